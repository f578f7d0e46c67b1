"""``sme experiment``: run a scenario's episodes against a model through Inspect, and
``sme experiment report``: predicted against observed phases from the logs."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from sme.cli import (
    EXIT_OK,
    add_numeric_options,
    add_value_options,
    overrides_from,
    positive_int,
    seed_int,
    settings_from,
)
from sme.commands.search import _radius as _share


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "experiment", help="run a scenario's episodes against a model (Inspect) and compare "
        "observed with predicted phases",
        description="sme experiment SCENARIO --model PROVIDER/MODEL runs an Inspect task in "
        "which each sample is one episode: the model reads the scenario's prompt and prior, "
        "then for --rounds rounds chooses an action and is told the outcome and payoff. "
        "sme experiment report LOGS... --scenario SCENARIO prints predicted against observed "
        "phases per condition (Inspect logs, or JSONL/CSV files of other harnesses). Needs "
        "the experiments extra: pip install -e \".[experiments]\".",
        epilog="example: sme experiment examples/sycophancy.py --model openai/gpt-4o-mini "
        "--x approve_honest=0.1:0.9:3 --y approve_agree=0.1:0.9:3 --episodes 8 --rounds 30",
    )
    parser.add_argument("target", metavar="SCENARIO | report",
                        help="scenario file (.py), or the word 'report'")
    parser.add_argument("logs", nargs="*", metavar="LOGS",
                        help="(report) Inspect log files or directories, .jsonl or .csv files")
    parser.add_argument("--model", metavar="PROVIDER/MODEL",
                        help="an Inspect model, e.g. openai/gpt-4o-mini, anthropic/claude-"
                        "sonnet-4-0, vllm/..., ollama/llama3.1, sme/bayes (the Bayesian "
                        "learner of sme simulate)")
    parser.add_argument("--model-base-url", metavar="URL",
                        help="base URL of the model's server (a local vLLM/Ollama/OpenAI-"
                        "compatible server)")
    parser.add_argument("-M", dest="model_args", metavar="NAME=VALUE", action="append",
                        default=[], help="a model argument passed to the provider; repeatable")
    add_value_options(parser)
    parser.add_argument("--x", metavar="NAME=LO:HI:N[:log|:lin]",
                        help="sweep a parameter: one condition per value")
    parser.add_argument("--y", metavar="NAME=LO:HI:N[:log|:lin]",
                        help="sweep a second parameter (a grid of conditions)")
    parser.add_argument("--episodes", type=positive_int, default=10,
                        help="episodes per condition (default 10)")
    parser.add_argument("--rounds", type=positive_int, default=30,
                        help="rounds per episode, one model call each (default 30)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the world's draws")
    parser.add_argument("--log-dir", metavar="DIR",
                        help="Inspect log directory (default logs/<scenario>-<model>); "
                        "running the same command again resumes it")
    parser.add_argument("--max-connections", type=positive_int, default=None,
                        help="concurrent model calls (default: the provider's)")
    parser.add_argument("--show-prompt", action="store_true",
                        help="print what the model is told for each condition, then stop")
    parser.add_argument("--scenario", metavar="FILE",
                        help="(report) the scenario the logs belong to; it is run")
    parser.add_argument("--late", type=_share, default=0.5,
                        help="share of final rounds that counts as the long run (default 0.5)")
    parser.add_argument("--tolerance", type=_share, default=0.1,
                        help="tolerated share of episodes inconsistent with the prediction "
                        "in a condition that agrees, and of deviating episodes in an observed "
                        "phase (default 0.1)")
    parser.add_argument("--margin", type=_share, default=0.05,
                        help="a condition is on a phase boundary when the predicted phase "
                        "changes within this share of a swept range (default 0.05)")
    parser.add_argument("--out", metavar="FILE",
                        help="write predicted and observed diagrams side by side (.png, .svg)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_numeric_options(parser, default_points=201)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run an experiment, or report on logs."""
    from sme.runtime.errors import SMEError
    from sme.scenario.declaration import load_scenario

    out = Path(args.out) if args.out else None
    if out is not None:
        from sme.figures.plots import _check

        _check(out)
    if args.target == "report":
        if not args.logs:
            raise SMEError("experiment report: name the logs (files or directories)")
        if not args.scenario:
            raise SMEError("experiment report: --scenario FILE is required (scenario files "
                           "are run, so the one a log names is never run for you)")
        scenario = load_scenario(args.scenario)
        _require_inspect()
        return _report(args, scenario, [Path(p) for p in args.logs], out)
    if args.logs:
        raise SMEError(f"experiment: unexpected arguments {' '.join(args.logs)!r} (did you "
                       "mean `sme experiment report LOGS`?)")
    scenario = load_scenario(args.target)
    from sme.experiments.conditions import grid_conditions, json_values, split_conditions
    from sme.experiments.protocol import intro, require_prompt

    require_prompt(scenario)
    fixed = overrides_from(args, scenario)
    if args.x is None and args.y is None:
        scenario.check_constraints(fixed)  # one condition: breaking a constraint is an error
    conditions = grid_conditions(scenario, fixed, args.x, args.y)
    valid, invalid = split_conditions(scenario, conditions)
    if not valid:
        broken = "; ".join(scenario.violated(scenario.values(conditions[0])))
        raise SMEError(f"experiment: every condition of the grid breaks a constraint of "
                       f"{scenario.name!r} ({broken}); nothing to run")
    if args.show_prompt:
        for condition in valid:
            print(intro(scenario, json_values(scenario, condition), args.rounds))
            print()
        return EXIT_OK
    if not args.model:
        raise SMEError("experiment: --model PROVIDER/MODEL is required (e.g. "
                       "openai/gpt-4o-mini, or sme/bayes)")
    _require_inspect()
    log_dir = Path(args.log_dir) if args.log_dir else \
        Path("logs") / f"{scenario.name}-{_slug(args.model)}"
    from sme.experiments.run import resolve_model, run_experiment

    model = resolve_model(args.model, _model_args(args.model_args),
                          _base_url(args.model_base_url))
    calls = len(valid) * args.episodes * args.rounds
    skipped = f" ({len(invalid)} outside the scenario's constraints are not run)" \
        if invalid else ""
    print(f"{len(valid)} conditions{skipped} × {args.episodes} episodes × {args.rounds} "
          f"rounds = {calls} model calls; logs in {log_dir}", file=sys.stderr, flush=True)
    run_experiment(scenario, conditions, model=model, log_dir=log_dir,
                   episodes=args.episodes, rounds=args.rounds, seed=args.seed,
                   max_connections=args.max_connections)
    return _report(args, scenario, [log_dir], out)


def _report(args: argparse.Namespace, scenario: Any, logs: list[Path], out: Path | None
            ) -> int:
    from rich.console import Console

    from sme.experiments.records import read_experiment
    from sme.experiments.report import compare, render, save_figure, to_json

    experiment = read_experiment(logs, scenario)
    fixed = overrides_from(args, scenario) if args.target == "report" else {}
    results = compare(scenario, experiment, fixed, settings_from(args), late=args.late,
                      tolerance=args.tolerance, margin=args.margin)
    if out is not None:
        save_figure(results, out, scenario.name)
    if args.json:
        print(to_json(results, experiment))
    else:
        render(results, experiment, Console(width=None if sys.stdout.isatty() else 160))
        if out is not None:
            print(f"wrote {out}")
    return EXIT_OK


def _require_inspect() -> None:
    from sme.runtime.errors import SMEError

    try:
        import inspect_ai  # noqa: F401
    except ImportError:
        raise SMEError("experiment: needs Inspect; install the extra: pip install -e "
                       "\".[experiments]\"") from None


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_")


#: model-argument names refused because Inspect records model arguments in its logs
SECRET_WORDS = ("key", "token", "secret", "password")


def _model_args(pairs: list[str]) -> dict[str, str]:
    from sme.runtime.errors import SMEError

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SMEError(f"-M {name or pair!r}: expected NAME=VALUE")
        if any(word in name.lower() for word in SECRET_WORDS):
            raise SMEError(f"-M {name}: model arguments are recorded in the eval log; give "
                           "API keys in the provider's environment variable instead")
        out[name] = value
    return out


def _base_url(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    from sme.runtime.errors import SMEError

    if url is not None and urlsplit(url).password:
        raise SMEError("--model-base-url: the URL holds a password, and base URLs are "
                       "recorded in the eval log; give credentials in the provider's "
                       "environment variable instead")
    return url
