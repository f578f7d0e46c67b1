"""Simulated Bayesian learners: their long-run actions lie in the Berk–Nash set."""

from __future__ import annotations

import json
from pathlib import Path

import pyro
import pyro.distributions as dist
import pytest
import torch

from priors.compile import Resolution
from sme import Action, Param, Scenario, load_scenario
from sme.analysis import Settings
from sme.cli import main
from sme.studies.dynamics import DynamicsSettings, simulate

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(resolution=Resolution(points=201))
DYN = DynamicsSettings(learners=400, steps=1500, seed=3)


@pytest.fixture(scope="module")
def linear() -> Scenario:
    return load_scenario(ROOT / "examples" / "linear_gaussian.py")


DESIGN_ROWS = [
    ({"m0": 1, "m1": 1}, "safe"),
    ({"m0": 3, "m1": 6}, "misaligned"),
    ({"m0": 3, "m1": 1}, "oscillatory"),
    ({"m0": 1, "m1": 6}, "multistable"),
    ({"m0": 0, "m1": 1, "g0": 0}, "indeterminate"),
]


@pytest.mark.parametrize("values,phase", DESIGN_ROWS)
def test_learners_end_in_the_berk_nash_set(linear: Scenario, values: dict, phase: str) -> None:
    sim = simulate(linear, values, SETTINGS, DYN)
    assert sim.phase == phase
    assert sim.in_bn_set_share >= 0.99
    played = {a for a, f in sim.frequencies.items() if f > 0}
    assert played <= set(sim.bn_set)
    assert abs(sum(sim.frequencies.values()) - 1) < 1e-9


def test_oscillation_frequency_matches_the_mixed_equilibrium(linear: Scenario) -> None:
    sim = simulate(linear, {"m0": 3, "m1": 1}, SETTINGS,
                   DynamicsSettings(learners=400, steps=3000, seed=1))
    assert abs(sim.frequencies["a1"] - 1 / 7) < 0.01
    assert sim.settled == {}  # no pure equilibrium to settle at
    # every learner keeps alternating: each plays both actions in the late period
    per_learner = sim.learner_frequencies
    assert bool(((per_learner > 0.05) & (per_learner < 0.95)).all())


def test_multistable_split_moves_with_the_prior_but_not_the_set(linear: Scenario) -> None:
    low = simulate(linear, {"m0": 1, "m1": 6}, SETTINGS, DYN)
    high = simulate(linear, {"m0": 1, "m1": 6, "lo": 0.0, "hi": 8.0}, SETTINGS, DYN)
    assert low.bn_set == high.bn_set == ["a0", "a1"]
    assert low.phase == high.phase == "multistable"
    assert low.settled["a0"] > 0.6  # prior centred at 0: most settle on the safe action
    assert high.settled["a1"] > 0.9  # prior centred at 4: almost all lock into a1
    assert abs(sum(low.settled.values()) - 1) < 0.01


def test_runs_are_reproducible_and_seeds_matter(linear: Scenario) -> None:
    dyn = DynamicsSettings(learners=200, steps=300, seed=7)
    one = simulate(linear, {"m0": 1, "m1": 6}, SETTINGS, dyn)
    two = simulate(linear, {"m0": 1, "m1": 6}, SETTINGS, dyn)
    assert one.frequencies == two.frequencies and one.trajectory == two.trajectory
    other = simulate(linear, {"m0": 1, "m1": 6}, SETTINGS,
                     DynamicsSettings(learners=200, steps=300, seed=8))
    assert torch.any(other.learner_frequencies != one.learner_frequencies)


def test_full_exploration_plays_uniformly(linear: Scenario) -> None:
    sim = simulate(linear, {"m0": 1, "m1": 1}, SETTINGS,
                   DynamicsSettings(learners=300, steps=400, epsilon=1.0))
    assert abs(sim.frequencies["a0"] - 0.5) < 0.02


def _coin(p_true: float) -> Scenario:
    """A correctly specified Beta–Bernoulli model: action 1 pays 1 on heads, action 0 pays
    a sure 0.5, so the truly optimal action is 1 iff the coin's bias exceeds 0.5."""

    def world(action, bias):
        return pyro.sample("obs", dist.Bernoulli(bias * torch.ones_like(action, dtype=bias.dtype)))

    def belief(action, alpha, beta):
        f = pyro.sample("latent_fairness", dist.Beta(alpha, beta))
        return pyro.sample("obs", dist.Bernoulli(f))

    def payoff(action, obs):
        return torch.where(action == 1, obs, torch.full_like(obs, 0.5))

    return Scenario(
        name="coin", actions=[Action("sure", safe=True), Action("bet", safe=False)],
        world=world, belief=belief, payoff=payoff, observed=["obs"],
        prior_params={"alpha": Param(2.0, low=0.5, high=10.0),
                      "beta": Param(2.0, low=0.5, high=10.0)},
        world_params={"bias": Param(p_true, low=0.0, high=1.0)},
    )


@pytest.mark.parametrize("bias,optimal", [(0.8, "bet"), (0.3, "sure")])
def test_correct_model_learners_find_the_optimal_action(bias: float, optimal: str) -> None:
    sim = simulate(_coin(bias), {}, SETTINGS, DynamicsSettings(learners=300, steps=600))
    # the prior makes both actions equally good at first; ties are broken at random, betting
    # reveals the bias, and the learners settle on the truly optimal action
    assert sim.in_bn_set_share >= 0.99
    assert sim.frequencies[optimal] > 0.95


def test_simulate_cli_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "trajectory.svg"
    code = main(["simulate", str(ROOT / "examples" / "linear_gaussian.py"), "--set", "m0=3",
                 "--set", "m1=1", "--learners", "100", "--steps", "200", "--json",
                 "--plot", str(plot)])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("frequencies", "in_bn_set_share", "settled", "bn_set", "phase"):
        assert key in data
    assert data["phase"] == "oscillatory" and set(data["frequencies"]) == {"a0", "a1"}
    assert plot.read_text().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize("argv,fragment", [
    (["--epsilon", "2"], "probability in [0, 1]"),
    (["--learners", "0"], "positive integer"),
    (["--plot", "x.bmp"], "figures are written as"),
])
def test_simulate_cli_bad_input(argv: list[str], fragment: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["simulate", str(ROOT / "examples" / "linear_gaussian.py"), *argv])
    except SystemExit as stop:
        code = int(stop.code or 0)
    assert code == 2
    assert fragment in capsys.readouterr().err
