"""Searched parameters that cannot change the Berk–Nash set are named before a search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyro
import pyro.distributions as dist
import pytest
import torch
from cli_runner import run_cli

from priors.compile import Resolution
from search.inert import inert_parameters
from search.space import build_space
from sme import Action, Param, Scenario, load_scenario
from sme.analysis import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(resolution=Resolution(points=101))

pytestmark = pytest.mark.usefixtures("one_thread")


def _world(action: Any, p0: Any, p1: Any) -> Any:
    return pyro.sample("obs", dist.Bernoulli(torch.where(action == 0, p0, p1)))


def _belief(action: Any, alpha: Any, beta: Any, gain: Any) -> Any:
    # Beta shapes move the prior's bulk, never its support [0, 1]; the gain is structural
    f = pyro.sample("f", dist.Beta(alpha, beta))
    q = torch.where(action == 0, f * gain, 1.0 - f)
    return pyro.sample("obs", dist.Bernoulli(q))


def _scenario(gain_high: float) -> Scenario:
    return Scenario(
        name="beta", actions=[Action("a0", safe=True), Action("a1")], world=_world,
        belief=_belief, payoff=lambda action, obs: obs, observed=["obs"],
        prior_params={"alpha": Param(2.0, low=0.5, high=10.0),
                      "beta": Param(2.0, low=0.5, high=10.0, log=True),
                      "gain": Param(0.5, low=0.5, high=gain_high)},
        world_params={"p0": Param(0.1), "p1": Param(0.7)})


def _inert(scenario: Scenario) -> list[str]:
    space, _ = build_space(scenario, [], {})
    return inert_parameters(scenario, space, scenario.values({}), SETTINGS)


def test_beta_shapes_are_inert_and_a_structural_belief_is_not() -> None:
    assert _inert(_scenario(gain_high=1.0)) == ["alpha", "beta"]


def test_every_parameter_of_the_linear_example_matters() -> None:
    assert _inert(load_scenario(ROOT / "examples" / "linear_gaussian.py")) == []


def test_a_search_says_so_before_it_starts(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "beta.py"
    scenario.write_text((ROOT / "tests" / "test_inert.py").read_text().split(
        "\n\ndef _inert")[0].replace("from cli_runner import run_cli\n", "")
        + "\n\nscenario = _scenario(0.5)\n")  # gain fixed: nothing searched can matter
    code, _, err = run_cli(capsys, "search", str(scenario), "--trials", "4", "--points", "51",
                           "--margin-directions", "0", "--storage",
                           str(tmp_path / "s.sme-journal"), "--json")
    assert code == 0
    first = err.splitlines()[0]
    assert first.startswith("sme: warning: no searched prior parameter can change the "
                            "Berk–Nash set (alpha, beta:")
    assert "baseline phase" in first
