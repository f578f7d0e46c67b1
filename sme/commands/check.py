"""``sme check``: recompute an exported prior and say whether its phase and set still hold."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sme.cli import (
    EXIT_OK,
    EXIT_UNSAFE,
    add_risk_option,
    device_name,
    points_spec,
    positive_int,
    warn,
)


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "check", help="is an exported prior still safe? (exit 0 safe, 1 not, 2 invalid)",
        description="Validate an exported prior file strictly, re-analyse its configuration "
        "with the scenario and compare the phase, the Berk–Nash set and the verdict over "
        "objective risks with the recorded ones. As a gate it passes only a prior that is "
        "safe now and unchanged (--unchanged: any phase, as long as it is as recorded; "
        "--robust-risks: also safe for every objective risk). Scenario files are Python and "
        "are run when loaded, so the scenario is never taken from the file on its own: name "
        "it with --scenario PATH, or pass --trust-scenario-path to run the path the file "
        "records.",
        epilog="exit codes: 0 the file passes the gate (by default: the phase is safe and "
        "phase, set and verdict are unchanged); 1 it does not (not safe, or changed; a "
        "warning also notes a scenario file whose SHA-256 differs); 2 the file is invalid "
        "(one line naming the field) or the scenario cannot be loaded.\n"
        "example: sme check chosen.toml --scenario examples/sycophancy.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="exported prior (.toml, .json, .yaml)")
    parser.add_argument("--scenario", metavar="PATH",
                        help="scenario file to check against (Python: it is run)")
    parser.add_argument("--trust-scenario-path", action="store_true",
                        help="run the scenario file whose path FILE records")
    gate = parser.add_mutually_exclusive_group()
    gate.add_argument("--unchanged", dest="gate", action="store_const", const="unchanged",
                      default="safe", help="pass any phase, as long as the phase, set and "
                      "verdict are as recorded (not a safety gate)")
    gate.add_argument("--robust-risks", dest="gate", action="store_const", const="robust",
                      help="also require the verdict 'safe for every objective risk'")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_risk_option(parser)
    parser.add_argument("--device", default="auto", type=device_name,
                        help="torch device: auto (cuda when present), cpu, cuda or cuda:N")
    parser.add_argument("--points", type=points_spec, default=None, metavar="N|NxM",
                        help="Θ points per latent dimension: N along each, or one count per "
                        "continuous latent dimension in the order of the latent sites (64x16)"
                        " (default: as recorded)")
    parser.add_argument("--mc-samples", type=positive_int, default=None,
                        help="Monte Carlo samples (default: as recorded)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the file."""
    from priors.compile import Resolution
    from sme.analysis import Settings, resolve_device
    from sme.figures.report import grid_text
    from sme.files.export import read_export_noting
    from sme.scenario.declaration import load_scenario
    from sme.studies.check import check_document, scenario_path

    document, notes = read_export_noting(args.file)
    for note in notes:
        warn(note)
    path = scenario_path(document, args.file, args.scenario, args.trust_scenario_path)
    scenario = load_scenario(path)
    base = Resolution()
    recorded = document.provenance
    per_dimension = args.points or (tuple(recorded.per_dimension)
                                    if recorded.per_dimension else None)
    points = (args.points[0] if args.points and len(args.points) == 1
              else None if args.points else recorded.points) or base.points
    resolution = Resolution(
        points=points, per_dimension=per_dimension,
        mc_samples=args.mc_samples or document.provenance.mc_samples or base.mc_samples,
        tail=document.provenance.tail or base.tail)
    settings = Settings(resolution=resolution, device=resolve_device(args.device),
                        risk_grid=args.risk_grid, risk_params=args.risk_params)
    result = check_document(document, scenario, settings, args.file)
    for message in result.warnings:
        warn(message)
    described = {**settings.describe(), "theta_points": result.theta_points,
                 "grid": result.grid or None}
    grid = (f"{result.theta_points} Θ points ({grid_text(result.grid)})" if result.theta_points
            else f"--points {resolution.points_text}")
    at = (f"at {grid}, {resolution.mc_samples} Monte Carlo samples, tie tolerance "
          f"{described['kl_tie_rtol']:g}")
    gate = args.gate
    passed = result.passes(gate)
    if args.json:
        print(json.dumps({**result.to_json(gate), "resolution": described}, indent=2))
        return EXIT_OK if passed else EXIT_UNSAFE
    for problem in result.problems:
        print(f"{args.file}: {problem}")
    print(f"{args.file}: {_verdict_line(result, gate, passed)} ({at})")
    return EXIT_OK if passed else EXIT_UNSAFE


_GATES = {"safe": "gate: safe and unchanged", "unchanged": "gate: unchanged",
          "robust": "gate: safe for every objective risk and unchanged"}


def _verdict_line(result: Any, gate: str, passed: bool) -> str:
    """One line: PASS/FAIL, the gate, and what was found."""
    if result.phase is None:
        return f"FAIL ({_GATES[gate]}) — the scenario's parameters differ from the file's"
    risks = f", objective risks {result.verdict}" if result.verdict else ""
    if result.same:
        found = (f"unchanged — phase {result.phase}, Berk–Nash set "
                 f"{{{', '.join(result.bn_set)}}}{risks}")
    else:
        moved = (f"; objective risks {result.recorded_verdict} → {result.verdict}"
                 if result.recorded_verdict not in (None, result.verdict) else "")
        found = (f"CHANGED — phase {result.recorded_phase} → {result.phase}, Berk–Nash set "
                 f"{{{', '.join(result.recorded_bn_set)}}} → {{{', '.join(result.bn_set)}}}"
                 f"{moved}")
    return f"{'PASS' if passed else 'FAIL'} ({_GATES[gate]}) — {found}"
