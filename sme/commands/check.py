"""``sme check``: recompute an exported prior and say whether its phase and set still hold."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sme.cli import EXIT_OK, EXIT_UNSAFE, positive_int, warn


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "check", help="is an exported prior still safe? (exit 0 same, 1 changed, 2 invalid)",
        description="Validate an exported prior file strictly, re-analyse its configuration "
        "with the scenario and compare the phase and the Berk–Nash set with the recorded "
        "ones. Scenario files are Python and are run when loaded, so the scenario is never "
        "taken from the file on its own: name it with --scenario PATH, or pass "
        "--trust-scenario-path to run the path the file records.",
        epilog="exit codes: 0 the phase and set are unchanged; 1 they changed (a warning "
        "also notes a scenario file whose SHA-256 differs); 2 the file is invalid (one line "
        "naming the field) or the scenario cannot be loaded.\n"
        "example: sme check chosen.toml --scenario examples/sycophancy.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="exported prior (.toml, .json, .yaml)")
    parser.add_argument("--scenario", metavar="PATH",
                        help="scenario file to check against (Python: it is run)")
    parser.add_argument("--trust-scenario-path", action="store_true",
                        help="run the scenario file whose path FILE records")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--device", default="auto",
                        help="torch device: auto (cuda when present), cpu or cuda")
    parser.add_argument("--points", type=positive_int, default=None,
                        help="Θ points per latent dimension (default: as recorded)")
    parser.add_argument("--mc-samples", type=positive_int, default=None,
                        help="Monte Carlo samples (default: as recorded)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the file."""
    from priors.compile import Resolution
    from sme.analysis import Settings, resolve_device
    from sme.check import check_document, scenario_path
    from sme.export import read_export
    from sme.scenario import load_scenario

    document = read_export(args.file)
    path = scenario_path(document, args.file, args.scenario, args.trust_scenario_path)
    scenario = load_scenario(path)
    base = Resolution()
    resolution = Resolution(
        points=args.points or document.provenance.points or base.points,
        mc_samples=args.mc_samples or document.provenance.mc_samples or base.mc_samples)
    settings = Settings(resolution=resolution, device=resolve_device(args.device))
    result = check_document(document, scenario, settings, args.file)
    for message in result.warnings:
        warn(message)
    described = settings.describe()
    at = (f"at {resolution.points} Θ points per latent dimension, {resolution.mc_samples} "
          f"Monte Carlo samples, tie tolerance {described['kl_tie_rtol']:g}")
    if args.json:
        print(json.dumps({**result.to_json(), "resolution": described}, indent=2))
    elif result.same:
        print(f"{args.file}: unchanged — phase {result.phase}, Berk–Nash set "
              f"{{{', '.join(result.bn_set)}}} ({at})")
    else:
        for problem in result.problems:
            print(f"{args.file}: {problem}")
        if result.phase is not None:
            print(f"{args.file}: CHANGED — phase {result.recorded_phase} → {result.phase}, "
                  f"Berk–Nash set {{{', '.join(result.recorded_bn_set)}}} → "
                  f"{{{', '.join(result.bn_set)}}} ({at})")
        else:
            print(f"{args.file}: CHANGED — the scenario's parameters differ from the file's")
    return EXIT_OK if result.same else EXIT_UNSAFE
