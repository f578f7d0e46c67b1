"""``sme simulate``: many Bayesian learners acting on one prior, and where they end up."""

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
    positive_int,
    progress_bar,
    seed_int,
    settings_from,
)


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text!r}")
    return value


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        "simulate", help="run many Bayesian learners and report their long-run actions",
        description="Each learner starts from the prior weights of the Θ points, plays a best "
        "response to its posterior (ties at random, optional ε-exploration), observes an "
        "outcome drawn by the world program and updates by Bayes' rule. Reports each action's "
        "long-run frequency (late period), the share of learners that play only actions of "
        "the Berk–Nash set, and the share settled at each pure equilibrium.",
        epilog="example: sme simulate examples/linear_gaussian.py --set m0=3 --set m1=1 "
        "--learners 2000 --steps 3000",
    )
    parser.add_argument("scenario", help="scenario file (.py) defining `scenario`")
    add_value_options(parser)
    parser.add_argument("--learners", type=positive_int, default=1000,
                        help="learners (default 1000)")
    parser.add_argument("--steps", type=positive_int, default=2000,
                        help="decisions per learner (default 2000)")
    parser.add_argument("--epsilon", type=_probability, default=0.0,
                        help="probability of a random action each step (default 0)")
    parser.add_argument("--late", type=_probability, default=0.25,
                        help="share of final steps that counts as the long run (default 0.25)")
    parser.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    parser.add_argument("--plot", metavar="FILE",
                        help="also write the action shares over time (.png, .svg, .pdf)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_numeric_options(parser, default_points=201)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Simulate and print the summary."""
    from rich.console import Console

    from sme.figures.report import render_simulation
    from sme.runtime.errors import SMEError
    from sme.scenario.declaration import load_scenario
    from sme.studies.dynamics import DynamicsSettings, simulate

    if args.late <= 0:
        raise SMEError("--late must be greater than 0")
    plot = Path(args.plot) if args.plot else None
    if plot is not None:
        from sme.figures.plots import _check

        _check(plot)
    scenario = load_scenario(args.scenario)
    dyn = DynamicsSettings(learners=args.learners, steps=args.steps, epsilon=args.epsilon,
                           seed=args.seed, late_fraction=args.late)
    overrides = overrides_from(args, scenario)
    with progress_bar("simulating", "steps") as update:
        sim = simulate(scenario, overrides, settings_from(args), dyn, update)
    if plot is not None:
        from sme.figures.plots import save_trajectory

        save_trajectory(sim, plot)
    if args.json:
        print(json.dumps(sim.to_json(), indent=2))
    else:
        render_simulation(sim, Console())
        if plot is not None:
            print(f"wrote {plot}")
    return EXIT_OK
