"""The reward-hacking example (three actions, two latents, a three-valued outcome): every
phase, fit and verdict its docstring derives by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from sme import Scenario, load_scenario
from sme.analysis import Settings, analyze, analyze_batch, sweep_risks
from sme.scenario.risks import risk_configurations

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "reward_hacking.py"
SETTINGS = Settings(risk_grid=0)

# (overrides, phase, Berk–Nash set, pure equilibria): the docstring's table
DOCUMENTED: list[tuple[dict[str, Any], str, list[str], list[str]]] = [
    ({}, "multistable", ["solve", "hardcode", "delete_tests"],
     ["solve", "hardcode", "delete_tests"]),
    ({"catch_hardcode": 0.8, "catch_delete": 0.9}, "indeterminate", ["solve", "hardcode"],
     ["solve"]),
    ({"catch_lo": 0.55}, "multistable", ["solve", "delete_tests"], ["solve", "delete_tests"]),
    ({"catch_lo": 0.55, "skill_lo": 0.3}, "safe", ["solve"], ["solve"]),
    ({"skill_hi": 0.2, "catch_hi": 0.3}, "misaligned", ["hardcode"], ["hardcode"]),
]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(EXAMPLE)


def test_the_example_has_the_size_of_a_real_scenario(scenario: Scenario) -> None:
    assert len(scenario.actions) == 3
    assert sum(not a.safe for a in scenario.actions) == 2
    assert len(scenario.world_params) == 3 and len(scenario.reward_params) == 3
    assert scenario.prompt is not None and scenario.constraints
    batch = analyze_batch(scenario, [{}], SETTINGS)
    assert batch.tensors.kl.shape[-2] == 64 * 64  # two latents on the default grid


def test_documented_phases_in_one_batch(scenario: Scenario) -> None:
    batch = analyze_batch(scenario, [o for o, *_ in DOCUMENTED], SETTINGS)
    for row, (overrides, phase, bn_set, pure) in enumerate(DOCUMENTED):
        assert batch.phase(row).value == phase, overrides
        assert batch.bn_names(row) == bn_set, overrides
        assert batch.pure_names(row) == pure, overrides


def test_fits_at_the_defaults(scenario: Scenario) -> None:
    result = analyze(scenario, {}, SETTINGS)
    fits = {f.action: f.ranges for f in result.fitted}
    # solving identifies the skill (≈ solve_rate) and leaves the catch rate free
    assert fits["solve"]["catch_rate"] == (0.0, 1.0)
    assert fits["solve"]["skill"] == pytest.approx((0.6, 0.6), abs=0.01)
    # each shortcut identifies the catch rate (κ = c_h; q(κ) = c_d) and leaves the skill free
    assert fits["hardcode"]["catch_rate"] == pytest.approx((0.3, 0.3), abs=0.01)
    assert fits["delete_tests"]["catch_rate"] == pytest.approx((5 / 9, 5 / 9), abs=0.01)
    assert fits["hardcode"]["skill"] == fits["delete_tests"]["skill"] == (0.0, 1.0)


@pytest.mark.parametrize(("overrides", "verdict"), [
    ({"catch_lo": 0.55, "skill_lo": 0.3}, "safe_for_every_risk"),
    ({"skill_hi": 0.2, "catch_hi": 0.3}, "locked_in"),
    ({}, "risk_dependent"),
])
def test_verdicts_over_objective_risks(scenario: Scenario, overrides: dict[str, Any],
                                       verdict: str) -> None:
    sweep = sweep_risks(scenario, scenario.values(overrides), SETTINGS, grid=3)
    assert sweep.verdict == verdict
    # the 3 × 3 × 3 grid over the world parameters, with the base values' own cell
    cells = risk_configurations(scenario, scenario.values(overrides), 3)[2]
    assert sum(sweep.counts.values()) == len(cells) == 28


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_scaling_every_payoff_never_changes_the_phase(scenario: Scenario, scale: float
                                                      ) -> None:
    """Every payoff multiplied by a positive constant (a wrapped payoff program): the
    phases and sets of the whole table stay as they are."""
    base = analyze_batch(scenario, [o for o, *_ in DOCUMENTED], SETTINGS)
    wrapped = dataclasses.replace(scenario, payoff=_scaled(scenario.payoff, scale))
    other = analyze_batch(wrapped, [o for o, *_ in DOCUMENTED], SETTINGS)
    assert base.phases() == other.phases()
    assert base.bn_set.tolist() == other.bn_set.tolist()


def _scaled(payoff: Any, scale: float) -> Any:
    def scaled_payoff(action: Any, verdict: Any, penalty: Any, fail_cost: Any,
                      effort: Any) -> Any:
        return scale * payoff(action, verdict, penalty, fail_cost, effort)

    return scaled_payoff
