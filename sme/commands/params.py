"""``sme params``: every declared parameter of a scenario, with its bounds and help."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sme.cli import EXIT_OK


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "params", help="list a scenario's declared parameters with their bounds and help",
        description="List every declared parameter of the scenario: its group (prior "
        "parameters are designed and searched; world and reward ones are context for --set, "
        "diagrams and --robust), kind, default, bounds, scale or choices, and help.",
        epilog="example: sme params examples/sycophancy.py",
    )
    parser.add_argument("scenario", help="scenario file (.py) defining `scenario` (it is run)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of name, group, kind, default, low, high, "
                        "log, choices, help")
    parser.set_defaults(run=run)


def _range(row: dict[str, Any]) -> str:
    if row["choices"] is not None:
        return "{" + ", ".join(str(c) for c in row["choices"]) + "}"
    low = "−∞" if row["low"] is None else f"{row['low']:g}"
    high = "∞" if row["high"] is None else f"{row['high']:g}"
    return f"[{low}, {high}]" + (" log" if row["log"] else "")


def run(args: argparse.Namespace) -> int:
    """Print the parameters."""
    from sme.api import params
    from sme.scenario.declaration import load_scenario

    scenario = load_scenario(args.scenario)
    rows = params(scenario)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for column in ("name", "group", "kind", "default", "range"):
        table.add_column(column, no_wrap=True)
    table.add_column("help")
    for row in rows:
        table.add_row(row["name"], row["group"], row["kind"], str(row["default"]), _range(row),
                      row["help"] or "—")
    console = Console()
    console.print(table)
    constraints = scenario.parsed_constraints
    if constraints:
        console.print("constraints: " + "; ".join(c.text for c in constraints))
    return EXIT_OK
