"""``sme reproduce``: the research's theorems, checked on the shipped scenarios."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sme.cli import EXIT_OK, EXIT_UNSAFE, int_at_least

#: written into a figures folder SME created, so a later run may replace its figures
MARKER = ".sme-figures"


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "reproduce", help="check the research's theorems on the shipped scenarios",
        description="Reproduce Xu et al., Epistemic Traps (arXiv 2602.17676) on the shipped "
        "examples: Theorem 3.2 (sycophancy's four regimes, its safe region, its mixed "
        "equilibrium), Corollary 4.1 (hallucination is isomorphic to sycophancy), Theorem 5.2 "
        "(deception locked in, or indeterminate robustly to objective risks) and the claim "
        "that safety is a discrete phase set by the prior, not by reward magnitude. Prints "
        "one line per claim (the claim, the check run, pass or FAIL) and writes the figures.",
        epilog="exit codes: 0 every claim holds; 1 some claim failed; 2 bad input.\n"
        "example: sme reproduce --out figures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", metavar="DIR", default="sme-figures",
                        help="folder for the PNG figures (default sme-figures; created when "
                        "missing; a folder SME did not create must not hold figures of the "
                        "same names)")
    parser.add_argument("--no-figures", action="store_true", help="check only, write nothing")
    parser.add_argument("--points", type=int_at_least(16, "an integer of at least 16"),
                        default=201, help="Θ points per latent dimension (default 201)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def _figures_folder(text: str) -> Path:
    """The folder to write into: created (with a marker) when missing; an existing folder
    without the marker must not already hold any of the figures."""
    from sme.runtime.errors import SMEError
    from sme.studies.reproduce import FIGURES

    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise SMEError(f"--out {folder}: is not a folder")
    if not folder.exists():
        if not folder.parent.is_dir():
            raise SMEError(f"--out {folder}: directory {folder.parent} does not exist")
        folder.mkdir()
        (folder / MARKER).write_text("figures written by sme reproduce\n", encoding="utf-8")
    elif not (folder / MARKER).is_file():
        clash = [name for name in FIGURES if (folder / f"{name}.png").exists()]
        if clash:
            raise SMEError(f"--out {folder}: {clash[0]}.png exists and was not written by "
                           "sme reproduce; choose another folder")
    return folder


def run(args: argparse.Namespace) -> int:
    """Check every claim and print the verdicts."""
    from sme.cli import progress_bar
    from sme.studies.reproduce import reproduce

    out = None if args.no_figures else _figures_folder(args.out)
    with progress_bar("reproducing") as update:
        results, figures = reproduce(out, points=args.points, progress=update)
    failed = [claim for claim, outcome in results if not outcome.passed]
    if args.json:
        print(json.dumps({
            "claims": [{"source": c.source, "claim": c.statement, "check": o.detail,
                        "passed": o.passed} for c, o in results],
            "passed": not failed, "figures": [str(f) for f in figures]}, indent=2))
    else:
        for claim, outcome in results:
            mark = "pass" if outcome.passed else "FAIL"
            print(f"{mark}  {claim.source}: {claim.statement} — {outcome.detail}")
        for figure in figures:
            print(f"wrote {figure}")
        print(f"{len(results) - len(failed)} of {len(results)} claims hold")
    return EXIT_UNSAFE if failed else EXIT_OK
