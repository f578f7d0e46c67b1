"""``sme candidates``: the trials of a prior search, safe ones first, best first."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sme.cli import EXIT_OK, positive_int


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "candidates", help="list a search's priors, safe ones first, best first",
        description="List the completed trials of a study made by `sme search`: safe "
        "(feasible) priors first, ranked by Pareto front and then by the weighted score; "
        "unsafe ones after, least violating first.",
        epilog="example: sme candidates examples/sycophancy.py --limit 10",
    )
    add_study_options(parser)
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help="show at most N (default 20 in the table, all with --json)")
    parser.add_argument("--safe-only", action="store_true", help="leave out unsafe priors")
    parser.add_argument("--json", action="store_true",
                        help="print a list of objects: trial, phase, bn_set, params, "
                        "objectives")
    parser.set_defaults(run=run)


def add_study_options(parser: argparse.ArgumentParser) -> None:
    """The options that name an existing study (shared with ``sme export``)."""
    parser.add_argument("scenario", nargs="?", default=None,
                        help="scenario file (.py; it is run): its name is the default study "
                        "name and <name>.sme-journal the default storage")
    parser.add_argument("--study", metavar="NAME", help="study name")
    parser.add_argument("--storage", metavar="FILE|URL",
                        help="journal file or Optuna storage URL (default: the scenario's "
                        "journal file, or the *.sme-journal file here that holds the study)")


def render_candidates(ranked: list[Any], console: Any) -> None:
    """A table of candidates on a terminal wide enough for it; elsewhere (a pipe, a file, a
    narrow terminal) one line per trial of ``name=value`` pairs with every value in full
    (:func:`candidate_line`), since a table cut to the width cannot be read."""
    from rich.measure import Measurement
    from rich.table import Table

    from sme.engine.phases import Phase

    table = Table(show_edge=False, header_style="bold")
    for column in ("trial", "phase", "objective risks", "Berk–Nash set", "prior", "fidelity",
                   "distance", "margin", "score"):
        table.add_column(column, overflow="fold", justify="right" if column in (
            "trial", "fidelity", "distance", "margin", "score") else "left")
    for c in ranked:
        colour = Phase(c.phase).colour if c.phase in Phase._value2member_map_ else "white"
        label = c.phase if c.feasible or c.phase != "safe" else "safe*"
        prior = ", ".join(f"{k}={_fmt(v)}" for k, v in c.params.items())
        table.add_row(str(c.trial), f"[{colour}]{label}[/]", _verdict(c.risk_verdict),
                      "{" + ", ".join(c.bn_set) + "}",
                      prior, *(_fmt(c.objectives.get(k)) for k in (
                          "fidelity", "distance", "margin", "score")))
    unbounded = console.options.update(max_width=1 << 20)  # the width it needs, uncut
    if console.is_terminal and Measurement.get(console, unbounded,
                                               table).maximum <= console.width:
        console.print(table)
    else:
        for c in ranked:
            console.print(candidate_line(c), markup=False, highlight=False, soft_wrap=True)
    if any(c.phase == "safe" and not c.feasible for c in ranked):
        console.print("safe*: safe here but not across every --robust context")


def candidate_line(c: Any) -> str:
    """One trial as ``trial=N phase=P objective_risks=V bn_set={A,B} NAME=VALUE...
    fidelity=F distance=D margin=M score=S``: the prior's values and the objectives in
    full (as ``repr`` writes them), the verdict over objective risks only when swept."""
    label = c.phase if c.feasible or c.phase != "safe" else "safe*"
    pairs = [f"trial={c.trial}", f"phase={label}"]
    if c.risk_verdict is not None:
        pairs.append(f"objective_risks={c.risk_verdict}")
    pairs.append("bn_set={" + ",".join(c.bn_set) + "}")
    pairs += [f"{k}={_full(v)}" for k, v in c.params.items()]
    pairs += [f"{k}={_full(c.objectives.get(k))}"
              for k in ("fidelity", "distance", "margin", "score")]
    return " ".join(pairs)


def _full(value: Any) -> str:
    """A value in full: ``repr`` of a number (its shortest exact form), ``-`` for none."""
    if value is None:
        return "-"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return repr(value)
    return str(value).replace(" ", "_")


def _verdict(verdict: str | None) -> str:
    """The verdict over objective risks in a few words (``—`` when not swept)."""
    return {None: "—", "locked_in": "locked in", "indeterminate_robust": "indeterminate "
            "everywhere", "safe_for_every_risk": "safe everywhere", "risk_dependent":
            "depends", "no_objective_risks": "none declared"}.get(verdict, str(verdict))


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    """Print the ranked candidates."""
    from rich.console import Console

    from search.results import candidates, open_study
    from search.study import quiet_optuna

    with quiet_optuna():
        study, spec = open_study(args.scenario, args.study, args.storage)
        ranked = candidates(study)
    if args.safe_only:
        ranked = [c for c in ranked if c.feasible]
    if args.json:
        if args.limit:
            ranked = ranked[:args.limit]
        print(json.dumps([c.to_json() for c in ranked], indent=2))
        return EXIT_OK
    console = Console()
    safe = sum(1 for c in ranked if c.feasible)
    console.print(f"study [bold]{study.study_name}[/] in {spec.label}: {len(ranked)} "
                  f"{'safe ' if args.safe_only else ''}trials, {safe} safe")
    if ranked:
        render_candidates(ranked[:args.limit or 20], console)
    return EXIT_OK
