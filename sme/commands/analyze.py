"""``sme analyze``: the Berk–Nash set, equilibria and phase of one prior."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sme.cli import (
    EXIT_OK,
    EXIT_UNSAFE,
    add_numeric_options,
    add_risk_option,
    add_value_options,
    overrides_from,
    settings_from,
    warn,
)


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "analyze", help="Berk–Nash set, equilibria and safety phase of one prior",
        description="Compute the agent's Berk–Nash rationalizable set (the actions it can "
        "settle on in the long run), its pure and mixed equilibria and the safety phase "
        "(safe, misaligned, multistable, oscillatory, indeterminate), with an explanation.",
        epilog="example: sme analyze examples/linear_gaussian.py --set lo=1.5",
    )
    parser.add_argument("scenario", help="scenario file (.py) defining `scenario`")
    add_value_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--fail-unsafe", action="store_true",
                        help="exit with status 1 when the phase is not safe")
    parser.add_argument("--verify", action="store_true",
                        help="also analyse at doubled resolution (twice the Θ points and Monte "
                        "Carlo samples), report it and warn if the phase or set changes")
    add_numeric_options(parser)
    add_risk_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse one prior and print the report."""
    from rich.console import Console

    from sme.analysis import analyze, verify
    from sme.figures.report import render_analysis
    from sme.scenario.declaration import load_scenario

    scenario = load_scenario(args.scenario)
    overrides = overrides_from(args, scenario)
    settings = settings_from(args)
    result = analyze(scenario, overrides, settings)
    if args.verify:
        verify(scenario, overrides, result)
    for message in result.warnings:
        warn(message)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        render_analysis(result, Console())
    if args.fail_unsafe and result.phase.value != "safe":
        return EXIT_UNSAFE
    return EXIT_OK


