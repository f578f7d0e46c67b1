"""``sme phase-diagram``: the safety phase over a grid of two parameters."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sme.cli import (
    EXIT_OK,
    add_numeric_options,
    add_value_options,
    overrides_from,
    progress_bar,
    settings_from,
)


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "phase-diagram", help="the phase over a grid of any two parameters",
        description="Sweep two declared parameters (prior, world or reward) and show the "
        "safety phase of every cell: a coloured grid in the terminal, a figure with --out, "
        "the grid as JSON with --json. Other parameters keep their defaults or --set values; "
        "the baseline point is marked when it lies on the plane.",
        epilog="example: sme phase-diagram examples/linear_gaussian.py --x m0=-2:8:60 "
        "--y m1=-2:8:60 --out diagram.png",
    )
    parser.add_argument("scenario", help="scenario file (.py) defining `scenario`")
    parser.add_argument("--x", required=True, metavar="NAME=LO:HI:N[:log|:lin]",
                        help="horizontal axis (spacing defaults to the parameter's scale)")
    parser.add_argument("--y", required=True, metavar="NAME=LO:HI:N[:log|:lin]",
                        help="vertical axis")
    add_value_options(parser)
    parser.add_argument("--out", metavar="FILE", help="write a figure (.png, .svg, .pdf)")
    parser.add_argument("--json", action="store_true",
                        help='print {"x": {"name", "values"}, "y": ..., "phases": [[...]]}')
    add_numeric_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute the diagram and show or write it."""
    from rich.console import Console

    from sme.figures.report import render_diagram
    from sme.scenario.declaration import load_scenario
    from sme.studies.diagram import parse_axis, phase_diagram

    out = Path(args.out) if args.out else None
    if out is not None:
        from sme.figures.plots import _check

        _check(out)
    scenario = load_scenario(args.scenario)
    x, y = parse_axis(args.x, scenario), parse_axis(args.y, scenario)
    overrides = overrides_from(args, scenario)
    scenario.values(overrides)  # validate before the long part
    with progress_bar("phase diagram", "cells") as update:
        diagram = phase_diagram(scenario, x, y, overrides, settings_from(args),
                                progress=update)
    if out is not None:
        from sme.figures.plots import save_diagram

        save_diagram(diagram, out)
    if args.json:
        print(json.dumps(diagram.to_json()))
    else:
        render_diagram(diagram, Console())
        if out is not None:
            print(f"wrote {out}")
    return EXIT_OK
