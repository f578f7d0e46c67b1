"""The quantile cut-off covering unbounded priors (--tail): exposed, recorded, and a best fit
on it is warned about — it can hide the true phase."""

from __future__ import annotations

import json
from typing import Any

import pyro
import pyro.distributions as dist
import pytest
import torch
from cli_runner import run_cli

from priors.compile import Resolution
from search.objectives import Evaluator, MarginSpec, ObjectiveSpec
from search.space import build_space
from sme import Action, Param, Scenario
from sme.analysis import Settings, analyze
from sme.files.export import document_from_analysis

pytestmark = pytest.mark.usefixtures("one_thread")


def _world(action: Any, m: Any) -> Any:
    return pyro.sample("y", dist.Normal(m + 0.0 * action, 1.0))


def _belief(action: Any, mu: Any) -> Any:
    theta = pyro.sample("theta", dist.Normal(mu, 1.0))  # unbounded: covered by quantiles
    return pyro.sample("y", dist.Normal(theta + 0.0 * action, 1.0))


def _payoff(action: Any, y: Any) -> Any:
    return torch.where(action == 0, torch.zeros_like(y), y - 4.5)  # a1 pays iff E y > 4.5


# The data (y ~ N(5, 1) after either action) are best fit at θ = 5, beyond the 1 − 1e-4
# quantile of N(0, 1) (3.72) but inside its 1 − 1e-12 quantile (7.03).  At θ = 5 the agent
# prefers the unsafe a1, so the true phase is misaligned; the truncated cover says safe.
HIDDEN = Scenario(name="hidden", actions=[Action("a0", safe=True), Action("a1")],
                  world=_world, belief=_belief, payoff=_payoff, observed=["y"],
                  prior_params={"mu": Param(0.0, low=-1.0, high=1.0)},
                  world_params={"m": Param(5.0)})


def _settings(tail: float) -> Settings:
    return Settings(resolution=Resolution(points=101, tail=tail))


def test_a_best_fit_on_the_cut_off_is_warned_and_a_smaller_tail_finds_the_phase() -> None:
    coarse = analyze(HIDDEN, {}, _settings(1e-4))
    assert coarse.phase.value == "safe"
    (warning,) = coarse.warnings
    assert "theta = 3.719" in warning and "upper cut-off" in warning and "--tail" in warning
    fine = analyze(HIDDEN, {}, _settings(1e-12))
    assert fine.phase.value == "misaligned" and fine.bn_set == ["a1"]
    assert fine.warnings == []
    assert fine.to_json()["resolution"]["tail_quantile"] == 1e-12


def test_an_end_of_a_bounded_support_is_not_a_cut_off() -> None:
    def belief(action: Any, lo: Any, hi: Any) -> Any:
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Normal(theta + 0.0 * action, 1.0))

    bounded = Scenario(name="bounded", actions=[Action("a0", safe=True), Action("a1")],
                       world=_world, belief=belief, payoff=_payoff, observed=["y"],
                       prior_params={"lo": Param(0.0), "hi": Param(3.0)},
                       world_params={"m": Param(5.0)})
    result = analyze(bounded, {}, _settings(1e-4))  # best fit at θ = 3, the support's end
    assert result.phase.value == "safe" and result.warnings == []


def test_the_tail_is_exported_and_searches_record_the_warning(tmp_path: Any) -> None:
    result = analyze(HIDDEN, {}, _settings(1e-12))
    HIDDEN.source = tmp_path / "hidden.py"
    HIDDEN.source.write_text("# stands in for the scenario file\n")
    try:
        assert document_from_analysis(result).provenance.tail == 1e-12
    finally:
        HIDDEN.source = None
    space, _ = build_space(HIDDEN, [], {})
    evaluator = Evaluator(HIDDEN, space, {"m": 5.0}, [],
                          ObjectiveSpec(margin=MarginSpec(directions=0)), _settings(1e-4))
    (outcome,) = evaluator.evaluate([{"mu": 0.0}])
    assert outcome.feasible and outcome.warnings and "cut-off" in outcome.warnings[0]


def test_tail_option(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    linear = str(Path(__file__).resolve().parent.parent / "examples" / "linear_gaussian.py")
    code, out, _ = run_cli(capsys, "analyze", linear, "--points", "51", "--tail", "1e-6",
                           "--json")
    assert code == 0 and json.loads(out)["resolution"]["tail_quantile"] == 1e-6
    for bad in ("0", "0.5", "1e-20", "x"):
        code, _, err = run_cli(capsys, "analyze", linear, "--tail", bad)
        assert code == 2 and "--tail" in err and len(err.strip().splitlines()) == 1


def test_check_reanalyses_at_the_recorded_tail(tmp_path: Any,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from sme.files.export import write_export
    from sme.scenario.declaration import load_scenario

    source = tmp_path / "hidden.py"
    source.write_text(
        "import pyro\nimport pyro.distributions as dist\nimport torch\n"
        "from sme import Action, Param, Scenario\n\n"
        "def world(action, m):\n    return pyro.sample('y', dist.Normal(m + 0.0 * action, 1.0))\n\n"
        "def belief(action, mu):\n    theta = pyro.sample('theta', dist.Normal(mu, 1.0))\n"
        "    return pyro.sample('y', dist.Normal(theta + 0.0 * action, 1.0))\n\n"
        "def payoff(action, y):\n"
        "    return torch.where(action == 0, torch.zeros_like(y), y - 4.5)\n\n"
        "scenario = Scenario(name='hidden', actions=[Action('a0', safe=True), Action('a1')],\n"
        "    world=world, belief=belief, payoff=payoff, observed=['y'],\n"
        "    prior_params={'mu': Param(0.0, low=-1.0, high=1.0)},\n"
        "    world_params={'m': Param(5.0)})\n")
    exported = tmp_path / "fine.toml"
    fine = analyze(load_scenario(source), {}, _settings(1e-12))
    assert fine.phase.value == "misaligned"
    write_export(document_from_analysis(fine), exported)
    # at the default cut-off the phase would read safe: check must use the recorded 1e-12
    code, out, _ = run_cli(capsys, "check", str(exported), "--scenario", str(source),
                           "--unchanged")
    assert code == 0 and "unchanged — phase misaligned" in out
