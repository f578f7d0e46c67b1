"""Running an experiment: the task of :mod:`.task` as an Inspect eval set in one log
directory, so that running it again resumes it (completed episodes are kept from the logs,
interrupted ones run again)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario

#: per-sample retries of a provider error before the episode is recorded as failed
SAMPLE_RETRIES = 3
#: completed episodes are written to the log this many at a time, so a kill loses little
LOG_BUFFER = 1


def resolve_model(name: str, model_args: dict[str, Any] | None = None,
                  base_url: str | None = None) -> Any:
    """The Inspect ``Model`` for ``name``, checked before anything is written.

    Raises:
        SMEError: one line for an unknown provider, a missing key or a missing package.
    """
    from inspect_ai.model import get_model

    import sme.experiments.bayes  # noqa: F401  (registers the sme/bayes provider)

    try:
        return get_model(name, base_url=base_url, **(model_args or {}))
    except Exception as exc:
        raise SMEError(f"experiment: --model {name}: {_one_line(exc)}") from exc


def run_experiment(scenario: Scenario, conditions: list[dict[str, Any]], *, model: Any,
                   log_dir: Path, episodes: int, rounds: int, seed: int,
                   model_args: dict[str, Any] | None = None, base_url: str | None = None,
                   max_connections: int | None = None, display: str | None = None) -> None:
    """Run (or resume) ``episodes`` episodes of ``rounds`` rounds per condition.

    ``model`` is an Inspect model name (``openai/gpt-4o-mini``, ``sme/bayes``) or a
    ``Model``.

    API keys are read by Inspect's providers from their environment variables; nothing here
    reads, prints or records them.

    Raises:
        SMEError: one line when Inspect cannot start (unknown provider, missing key or
            package) or the run fails.
    """
    from inspect_ai import eval_set

    from sme.experiments.task import behaviour

    if scenario.source is None:
        raise SMEError(f"scenario {scenario.name!r}: experiments need a scenario file")
    name = model if isinstance(model, str) else getattr(model, "name", "model")
    if isinstance(model, str):
        model = resolve_model(model, model_args, base_url)
    shown = [{k: scenario.values(c)[k] for k in c} for c in conditions]
    task = behaviour(str(scenario.source), conditions=shown, episodes=episodes,
                     rounds=rounds, seed=seed)
    log_dir.mkdir(parents=True, exist_ok=True)
    if display is None:
        display = "rich" if sys.stdout.isatty() else "none"
    try:
        success, _ = eval_set(
            [task], log_dir=str(log_dir), model=model, max_connections=max_connections,
            fail_on_error=False, retry_on_error=SAMPLE_RETRIES, display=display,  # type: ignore[arg-type]
            log_buffer=LOG_BUFFER, log_level="error")
    except SMEError:
        raise
    except Exception as exc:
        raise SMEError(f"experiment: --model {name}: {_one_line(exc)}") from exc
    if not success:
        raise SMEError(f"experiment: the run in {log_dir} did not complete; run the same "
                       "command again to resume it")


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line, without Inspect's console markup."""
    text = re.sub(r"\[/?(bold|italic|red|yellow|green|blue|dim)\]", "", str(exc))
    text = " ".join(text.split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
