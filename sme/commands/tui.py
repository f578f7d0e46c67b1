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
    """Run the app until it is closed (refused at once without a terminal)."""
    import sys

    from sme.runtime.errors import SMEError

    missing = [name for name, stream in (("input", sys.stdin), ("output", sys.stdout))
               if stream is None or not stream.isatty()]
    if missing:
        raise SMEError(f"tui: needs a terminal, but standard {' and '.join(missing)} "
                       f"{'is' if len(missing) == 1 else 'are'} not one; use `sme analyze` "
                       "or `sme search` in scripts")
    from tui.app import SMEApp

    app = SMEApp(Path(args.scenario) if args.scenario else None, overrides_from(args),
                 settings_from(args))
    app.run()
    return EXIT_OK
