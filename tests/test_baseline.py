"""The batched engine agrees with the plain per-point loop (an independent evaluation)."""

from __future__ import annotations

from pathlib import Path

import pyro
import pyro.distributions as dist
import pytest
import torch

from priors.compile import Resolution
from sme import Action, Param, Scenario, load_scenario
from sme.analysis import Settings, analyze_batch
from sme.benchmarks.baseline import plain_phase, plain_tensors

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(resolution=Resolution(points=41, mc_samples=256))


def _coin() -> Scenario:
    def world(action, heads):
        return pyro.sample("obs", dist.Bernoulli(torch.where(action == 0, 0.5, heads)))

    def belief(action, alpha, beta):
        f = pyro.sample("latent_fairness", dist.Beta(alpha, beta))
        return pyro.sample("obs", dist.Bernoulli(torch.where(action == 0, 0.5, f)))

    def payoff(action, obs, stake):
        return torch.where(action == 0, 0.5 * torch.ones_like(obs), stake * obs)

    return Scenario(
        name="coin", actions=[Action("keep", safe=True), Action("bet")], world=world,
        belief=belief, payoff=payoff, observed=["obs"],
        prior_params={"alpha": Param(2.0, low=0.5, high=9.0),
                      "beta": Param(3.0, low=0.5, high=9.0)},
        world_params={"heads": Param(0.7, low=0.0, high=1.0)},
        reward_params={"stake": Param(1.0, low=0.1, high=3.0)},
    )


def _laplace() -> Scenario:
    """Laplace world, Normal model: no registered KL, so both paths use Monte Carlo."""

    def world(action, m):
        return pyro.sample("y", dist.Laplace(torch.where(action == 0, 0.0, m), 1.0))

    def belief(action, lo, hi):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Normal(torch.where(action == 0, 0.0, theta), 1.0))

    def payoff(action, y):
        return torch.where(action == 0, torch.zeros_like(y), torch.tanh(y))

    return Scenario(
        name="laplace", actions=[Action("stay", safe=True), Action("go")], world=world,
        belief=belief, payoff=payoff, observed=["y"],
        prior_params={"lo": Param(-2.0, low=-5.0, high=0.0),
                      "hi": Param(2.0, low=0.0, high=5.0)},
        world_params={"m": Param(0.5, low=-3.0, high=3.0)},
    )


@pytest.mark.parametrize("make,values", [
    (lambda: load_scenario(ROOT / "examples" / "linear_gaussian.py"), {"m0": 1, "m1": 6}),
    (_coin, {"heads": 0.4, "stake": 1.5}),
    (_laplace, {"m": -0.3}),
])
def test_batched_tensors_equal_the_plain_loop(make, values: dict) -> None:
    scenario = make()
    kl, utility = plain_tensors(scenario, values, SETTINGS)
    batch = analyze_batch(scenario, [{}, values], SETTINGS)
    assert torch.allclose(batch.tensors.kl[1:2], kl, rtol=1e-10, atol=1e-12)
    assert torch.allclose(batch.tensors.utility[1:2], utility, rtol=1e-10, atol=1e-12)
    assert plain_phase(scenario, values, SETTINGS) == batch.phase(1)
