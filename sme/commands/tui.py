"""``sme tui``: the terminal UI (design priors, see their phase, search, export)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sme.cli import (
    EXIT_OK,
    add_numeric_options,
    add_risk_option,
    add_value_options,
    overrides_from,
    settings_from,
)


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "tui", help="full-screen terminal UI: design priors, phase diagrams, search, export",
        description="Open the terminal UI on a scenario (or, without one, a picker over "
        "examples/ and recently opened files): edit every prior parameter and see its phase "
        "at once, sweep phase diagrams, run searches in the background, simulate learners "
        "and export priors. F1 shows the keys; ctrl+p the command palette.",
        epilog="example: sme tui examples/linear_gaussian.py --set hi=1.5",
    )
    parser.add_argument("scenario", nargs="?", help="scenario file (.py) defining `scenario`")
    add_value_options(parser)
    add_numeric_options(parser)
    add_risk_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the app until it is closed."""
    from tui.app import SMEApp

    app = SMEApp(Path(args.scenario) if args.scenario else None, overrides_from(args),
                 settings_from(args))
    app.run()
    return EXIT_OK
