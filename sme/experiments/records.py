"""Episodes read back: from Inspect eval logs, or from JSONL/CSV files of other harnesses.

**Schema of logs from elsewhere** (``.jsonl``: one JSON object per line; ``.csv``: a header
row), one record per round:

* ``model`` — who played (any string);
* ``episode`` — episode number within its condition (integer);
* ``round`` — round number within the episode (integer; rounds are sorted by it);
* ``action`` — the action's name, or empty / ``null`` for an unreadable reply;
* ``reward`` (optional) — the payoff received;
* every other key is a declared parameter of the scenario (its value is part of the
  condition) or an observed site (the outcome; informational).  Any other key is an error
  naming the file, line and key.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priors.params import ParamError
from sme.runtime.errors import SMEError
from sme.runtime.reading import note_read
from sme.scenario.declaration import Scenario

REQUIRED = ("model", "episode", "round", "action")
OPTIONAL = ("reward",)
RECORD_SUFFIXES = (".jsonl", ".csv")


@dataclass
class Episode:
    """One episode's actions in round order (``None`` for an unreadable reply)."""

    model: str
    condition: dict[str, Any]
    episode: int
    actions: list[str | None]

    @property
    def key(self) -> tuple[str, str]:
        return self.model, condition_key(self.condition)


@dataclass
class Experiment:
    """Every episode read, and the episodes that could not be used."""

    episodes: list[Episode] = field(default_factory=list)
    #: episodes that ended in an error (a provider error that outlasted Inspect's retries)
    failed: int = 0
    sources: list[str] = field(default_factory=list)
    #: (model, condition) of the conditions left out because they break the scenario's
    #: constraints (an Inspect log lists them under ``sme_invalid`` in its metadata)
    invalid: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def condition_key(condition: Mapping[str, Any]) -> str:
    return json.dumps(dict(sorted(condition.items())), sort_keys=True)


def read_experiment(paths: Iterable[str | Path], scenario: Scenario) -> Experiment:
    """Episodes from Inspect logs (``.eval``/``.json`` files or log directories) and from
    JSONL/CSV files; a later episode with the same model, condition and number replaces
    an earlier one (a resumed run)."""
    found: dict[tuple[str, str, int], Episode] = {}
    out = Experiment()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise SMEError(f"{path}: no such file or directory")
        if path.suffix.lower() in RECORD_SUFFIXES:
            episodes = read_records(path, scenario)
        else:
            episodes, failed, invalid = read_inspect_log_set(path, scenario)
            out.failed += failed
            out.invalid += [c for c in invalid if c not in out.invalid]
        out.sources.append(str(path))
        for episode in episodes:
            found[(*episode.key, episode.episode)] = episode
    out.episodes = sorted(found.values(), key=lambda e: (e.key, e.episode))
    if not out.episodes and not out.invalid:
        raise SMEError(f"{', '.join(out.sources) or 'LOGS'}: no episodes found")
    return out


def read_inspect_logs(path: Path, scenario: Scenario) -> tuple[list[Episode], int]:
    """The episodes of every eval log at ``path`` (a log file or a directory of them),
    oldest log first, and the number of samples that ended in an error."""
    episodes, failed, _ = read_inspect_log_set(path, scenario)
    return episodes, failed


def read_inspect_log_set(path: Path, scenario: Scenario
                         ) -> tuple[list[Episode], int, list[tuple[str, dict[str, Any]]]]:
    """:func:`read_inspect_logs`, and the (model, condition) of the conditions each log lists
    as left out for breaking the scenario's constraints."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    from sme.experiments.task import sample_rounds

    if path.is_dir():
        files = [info.name for info in list_eval_logs(str(path), descending=False)]
    else:
        files = [str(path)]
    if not files:
        raise SMEError(f"{path}: no Inspect eval logs (.eval, .json) here")
    episodes: list[Episode] = []
    failed = 0
    invalid: list[tuple[str, dict[str, Any]]] = []
    for name in files:
        try:
            log = read_eval_log(name)
        except Exception as exc:  # a log cut short by a kill, or not a log at all
            raise SMEError(f"{name}: not a readable Inspect eval log ({type(exc).__name__})"
                           ) from exc
        if log.eval.metadata is None or "sme_scenario" not in log.eval.metadata:
            raise SMEError(f"{name}: not a log of `sme experiment` (no sme_scenario)")
        logged = log.eval.metadata["sme_scenario"]
        if logged != scenario.name:
            raise SMEError(f"{name}: a log of scenario {logged!r}, not {scenario.name!r}")
        for condition in log.eval.metadata.get("sme_invalid") or []:
            if (log.eval.model, condition) not in invalid:
                invalid.append((log.eval.model, dict(condition)))
        for sample in log.samples or []:
            if sample.error is not None:
                failed += 1
                continue
            rounds = sample_rounds(sample)
            if not rounds:
                continue
            meta = sample.metadata or {}
            episodes.append(Episode(model=log.eval.model, condition=dict(meta["condition"]),
                                    episode=int(meta["episode"]),
                                    actions=[r["action"] for r in rounds]))
    return episodes, failed, invalid


def read_records(path: Path, scenario: Scenario) -> list[Episode]:
    """The episodes of a JSONL or CSV file in the schema of this module."""
    rows = list(_rows(path))
    params = scenario.all_params
    known = {*REQUIRED, *OPTIONAL, *params, *scenario.observed}
    grouped: dict[tuple[str, str, int], tuple[dict[str, Any], list[tuple[int, str | None]]]] = {}
    for line, row in rows:
        where = f"{path}:{line}"
        for key in row:
            if key not in known:
                raise SMEError(f"{where}: unknown key {key!r} (expected {', '.join(REQUIRED)}"
                               ", reward, parameters or observed sites of "
                               f"{scenario.name!r})")
        for key in REQUIRED:
            if key not in row:
                raise SMEError(f"{where}: missing key {key!r}")
        action = row["action"]
        if action in ("", None):
            action = None
        elif action not in scenario.action_names:
            raise SMEError(f"{where}: action {action!r} is not an action of "
                           f"{scenario.name!r} ({', '.join(scenario.action_names)})")
        episode, number = _integer(row["episode"]), _integer(row["round"])
        if episode is None or number is None:
            bad = "episode" if episode is None else "round"
            raise SMEError(f"{where}: {bad!r} must be an integer, got {str(row[bad])[:40]!r}")
        condition = {k: v for k, v in row.items() if k in params and v not in ("", None)}
        try:
            checked = scenario.values(condition)
        except ParamError as exc:
            raise SMEError(f"{where}: {exc}") from None
        condition = {k: checked[k] for k in condition}
        key = (str(row["model"]), condition_key(condition), episode)
        grouped.setdefault(key, (condition, []))[1].append((number, action))
    episodes = []
    for (model, _, episode), (condition, rounds) in grouped.items():
        rounds.sort(key=lambda r: r[0])
        episodes.append(Episode(model, condition, episode, [a for _, a in rounds]))
    return episodes


def _integer(value: Any) -> int | None:
    """``value`` as an integer (an int, a float without a fraction, or its text), or None
    (booleans, fractions, infinities, NaN, other text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    note_read(path, "a log this command reads")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SMEError(f"{path}: cannot be read ({exc})") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = iter(reader)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a field beyond the csv module's size limit
                # line_num counts the lines parsed before the one that failed
                raise SMEError(f"{path}:{reader.line_num + 1}: unreadable CSV: {exc}"
                               ) from None
            line = reader.line_num
            if None in row:
                raise SMEError(f"{path}:{line}: more fields than the header names")
            yield line, {k: v for k, v in row.items() if k is not None}
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SMEError(f"{path}:{line}: invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise SMEError(f"{path}:{line}: expected a JSON object per line")
        yield line, row
