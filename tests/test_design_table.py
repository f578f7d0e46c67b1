"""Every row of the worked table in DESIGN.md, through examples/linear_gaussian.py.

The model: truth ``y ~ N(m_a, 1)``, belief ``y ~ N(θ g_a, 1)`` with ``θ ~ Uniform(-5, 5)``,
``g = (g0, 2)``, payoff ``y − c_a`` with ``c = (0, 2)``.  By hand:

* ``K[θ, a] = (m_a − θ g_a)² / 2``, so always playing ``a`` fits ``θ = m_a / g_a`` (any ``θ``
  when ``g_a = 0``);
* ``U[θ, a0] = θ g0`` and ``U[θ, a1] = 2θ − 2``: with ``g0 = 1`` the agent prefers a1 iff
  ``θ > 2``;
* mixing a1 with probability ``p`` fits ``θ(p) = ((1−p) g0 m0 + 2p m1) / ((1−p) g0² + 4p)``;
  a mixed equilibrium needs ``θ(p) = 2``: for ``m = (3, 1)`` that is ``(3 − p)/(1 + 3p) = 2``,
  ``p = 1/7``; for ``m = (1, 6)`` it is ``(1 + 11p)/(1 + 3p) = 2``, ``p = 1/5``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import sme
from sme.analysis import Analysis, analyze, analyze_batch
from sme.engine.phases import Phase

ROOT = Path(__file__).resolve().parent.parent
LINEAR = ROOT / "examples" / "linear_gaussian.py"

#: (values, phase, R, pure equilibria, σ(a1) of the mixed equilibria, fit after a0, after a1)
#: a fit of None means "every θ of the prior support fits" (the a0 data carry no information)
ROWS = [
    ({"m0": 1, "m1": 1}, "safe", ["a0"], ["a0"], [], 1.0, 0.5),
    ({"m0": 3, "m1": 6}, "misaligned", ["a1"], ["a1"], [], 3.0, 3.0),
    ({"m0": 3, "m1": 1}, "oscillatory", ["a0", "a1"], [], [1 / 7], 3.0, 0.5),
    ({"m0": 1, "m1": 6}, "multistable", ["a0", "a1"], ["a0", "a1"], [1 / 5], 1.0, 3.0),
    ({"m0": 0, "m1": 1, "g0": 0}, "indeterminate", ["a0", "a1"], ["a0"], [], None, 0.5),
]
IDS = [row[1] for row in ROWS]


@pytest.fixture(scope="module")
def linear() -> sme.Scenario:
    return sme.load_scenario(LINEAR)


@pytest.fixture(scope="module")
def single(linear: sme.Scenario) -> dict[str, Analysis]:
    return {row[1]: analyze(linear, row[0]) for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_phase_set_and_pure_equilibria(single: dict[str, Analysis], row: tuple) -> None:
    _, phase, bn, pure, _, _, _ = row
    report = single[phase]
    assert report.phase is Phase(phase)
    assert report.bn_set == bn
    assert report.pure_equilibria == pure


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_mixed_equilibria(single: dict[str, Analysis], row: tuple) -> None:
    _, phase, _, _, mixed, _, _ = row
    found = single[phase].mixed_equilibria
    assert len(found) == len(mixed)
    for eq, expected in zip(found, mixed, strict=True):
        assert set(eq["mixture"]) == {"a0", "a1"}
        assert abs(eq["mixture"]["a1"] - expected) < 0.005
        assert abs(eq["mixture"]["a0"] + eq["mixture"]["a1"] - 1.0) < 1e-12
        low, high = eq["interval"]
        assert low <= expected <= high  # the reported resolution brackets the true value


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_fitted_beliefs(single: dict[str, Analysis], row: tuple) -> None:
    _, phase, _, _, _, fit0, fit1 = row
    fitted = {f.action: f for f in single[phase].fitted}
    step = 10.0 / 400  # default grid: 401 points on [-5, 5]
    for action, fit in (("a0", fit0), ("a1", fit1)):
        low, high = fitted[action].ranges["theta"]
        if fit is None:
            assert (low, high) == pytest.approx((-5.0, 5.0))
            assert fitted[action].points == 401
        else:
            assert abs(low - fit) < step / 2 and abs(high - fit) < step / 2
            assert fitted[action].kl == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("values,phase,bn", [
    ({"lo": 2.5}, "misaligned", ["a1"]),  # θ > 2 is certain: a1 everywhere
    ({"hi": 1.5}, "safe", ["a0"]),  # θ ≤ 1.5 < 2: a0 everywhere
])
def test_prior_support_moves_the_phase(linear: sme.Scenario, values: dict, phase: str,
                                       bn: list[str]) -> None:
    report = analyze(linear, values)
    assert report.values["m0"] == 3.0 and report.values["m1"] == 1.0  # the default row
    assert report.phase is Phase(phase)
    assert report.bn_set == bn
    assert report.pure_equilibria == bn
    assert report.mixed_equilibria == []


def test_payoff_scale_does_not_move_any_row(linear: sme.Scenario) -> None:
    configs = [{**row[0], "scale": scale} for row in ROWS for scale in (0.01, 37.0)]
    batch = analyze_batch(linear, configs)
    assert [p.value for p in batch.phases()] == [row[1] for row in ROWS for _ in range(2)]


def _summary(report: Analysis) -> tuple:
    mixed = tuple(round(eq["mixture"]["a1"], 12) for eq in report.mixed_equilibria)
    return report.phase, tuple(report.bn_set), tuple(report.pure_equilibria), mixed


def test_one_batch_equals_the_single_analyses(linear: sme.Scenario,
                                              single: dict[str, Analysis]) -> None:
    batch = analyze_batch(linear, [row[0] for row in ROWS])
    assert len(batch) == len(ROWS)
    for index, row in enumerate(ROWS):
        _, phase, bn, pure, _, _, _ = row
        assert batch.phase(index) is Phase(phase)
        assert batch.bn_names(index) == bn
        assert batch.pure_names(index) == pure
        assert _summary(batch.report(index)) == _summary(single[phase])


def test_shuffled_batch_with_other_configurations(linear: sme.Scenario,
                                                  single: dict[str, Analysis]) -> None:
    others = [{"lo": 2.5}, {"hi": 1.5}, {"m0": 2.0, "m1": 2.5, "g0": 1.7},
              {"m0": -1.0, "m1": 8.0, "lo": -2.0, "hi": 9.0}, {"m0": 5.0, "m1": 0.0}]
    tagged = [(row[1], row[0]) for row in ROWS] + [(None, c) for c in others]
    random.Random(7).shuffle(tagged)
    batch = analyze_batch(linear, [c for _, c in tagged])
    for index, (phase, values) in enumerate(tagged):
        alone = single[phase] if phase is not None else analyze(linear, values)
        assert _summary(batch.report(index)) == _summary(alone)
        if phase is not None:
            assert batch.phase(index) is Phase(phase)
