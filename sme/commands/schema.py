"""``sme schema``: the JSON Schema of exported prior files."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sme.cli import EXIT_OK


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "schema", help="print the JSON Schema of exported prior files",
        description="Print the JSON Schema (draft 2020-12) that files written by `sme export` "
        "follow; `sme check` validates against the same strict model.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the schema."""
    from sme.files.export import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK
