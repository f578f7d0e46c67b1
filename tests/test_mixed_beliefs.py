"""Beliefs spread over tied points: an action optimal under a mixture but at no single point.

Definitions in sme/engine/mixed_beliefs.py (Pearce's lemma: ``a`` is optimal for some belief
on ``T`` iff no mixture of the other actions beats it at every point of ``T``).
"""

from __future__ import annotations

import itertools

import pyro
import pyro.distributions as dist
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sme import Action, Param, Scenario
from sme.analysis import analyze
from sme.engine.berk_nash import (
    GammaOperator,
    Tolerance,
    optimal_actions,
    pure_equilibria,
    rationalizable_set,
    utility_tolerance,
)
from sme.engine.mixed_beliefs import dominated, optimal_under_mixtures

F64 = torch.float64
FAST = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def t(rows: list) -> torch.Tensor:
    return torch.tensor(rows, dtype=F64)


def mask(rows: list) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.bool)


# Two points, three actions.  "hedge" pays 0.6 at both; "left" pays 1 at P0 and 0 at P1;
# "right" the reverse.  At each point alone the hedge loses (0.6 < 1); under the 50/50 belief
# it wins (0.6 > 0.5).  With a hedge worth 0.4 the 50/50 mixture of left and right (0.5 at
# both points) beats it everywhere, so no belief makes it optimal.
HEDGE_U = [[0.6, 1.0, 0.0], [0.6, 0.0, 1.0]]
WEAK_HEDGE_U = [[0.4, 1.0, 0.0], [0.4, 0.0, 1.0]]
FLAT_KL = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]  # nothing any action shows tells P0 from P1


def _responses(utility: list, members: list) -> list[bool]:
    u = t([utility])
    utol = utility_tolerance(u, Tolerance())
    return optimal_under_mixtures(u, mask([[members]]), utol, optimal_actions(u, utol))[0, 0] \
        .tolist()


def test_an_action_optimal_only_under_a_spread_belief_is_found() -> None:
    assert _responses(HEDGE_U, [True, True]) == [True, True, True]
    assert _responses(HEDGE_U, [True, False]) == [False, True, False]  # one point: no mixing
    assert _responses(WEAK_HEDGE_U, [True, True]) == [False, True, True]


def test_gamma_and_equilibria_with_a_hedge() -> None:
    gamma = GammaOperator(t([FLAT_KL]), t([HEDGE_U]))
    assert gamma(mask([[True, False, False]])).tolist() == [[True, True, True]]
    assert rationalizable_set(gamma).tolist() == [[True, True, True]]
    # the hedge is self-confirming: playing it leaves both points, and the 50/50 belief
    assert pure_equilibria(gamma).tolist() == [[True, True, True]]
    weak = GammaOperator(t([FLAT_KL]), t([WEAK_HEDGE_U]))
    assert rationalizable_set(weak).tolist() == [[False, True, True]]
    assert pure_equilibria(weak).tolist() == [[False, True, True]]


def test_a_hedge_at_a_breakpoint_of_a_pair_envelope() -> None:
    # KL lines of left/right: L_P0 = 2p, L_P1 = 2 − 2p tie only at p = 1/2 — no vertex, and
    # pairs get no grid — so the hedge is optimal only under a belief spread over P0 and P1
    # at that one breakpoint of the envelope.
    kl = [[0.0, 0.0, 2.0], [0.0, 2.0, 0.0]]
    gamma = GammaOperator(t([kl]), t([HEDGE_U]))
    assert gamma(mask([[False, True, True]])).tolist() == [[True, True, True]]
    # without the tie (P1 fits neither bet as well as P0 fits "left") only P0 ever fits
    kl_apart = [[0.0, 0.0, 2.0], [0.0, 2.5, 2.5]]
    apart = GammaOperator(t([kl_apart]), t([HEDGE_U]))
    assert apart(mask([[False, True, True]])).tolist() == [[False, True, False]]


def test_four_actions_certified_domination_only() -> None:
    # a fourth action beaten everywhere stays out; the hedge stays in
    u = [[0.6, 1.0, 0.0, -1.0], [0.6, 0.0, 1.0, -1.0]]
    assert _responses(u, [True, True]) == [True, True, True, False]
    weak = [[0.4, 1.0, 0.0, -1.0], [0.4, 0.0, 1.0, -1.0]]
    assert _responses(weak, [True, True]) == [False, True, True, False]


def test_two_actions_are_decided_by_point_masses() -> None:
    # with two actions a mixture helps nobody: the answer is "optimal at some member point"
    u = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    assert _responses(u, [True, True, False]) == [True, True]
    assert _responses([[1.0, 0.0], [2.0, 0.0]], [True, True]) == [True, False]


# ------------------------------------------------------------------ bisection vs. brute force


def _exact_value(gain: list[list[float]]) -> float:
    """``min_t max_i (t g_i0 + (1 − t) g_i1)`` from its candidates: t = 0, 1 and every
    crossing of two lines (the minimum of an upper envelope of lines is at one of them)."""
    cuts = {0.0, 1.0}
    for (a0, a1), (b0, b1) in itertools.combinations(gain, 2):
        slope = (a0 - a1) - (b0 - b1)
        if slope != 0:
            cut = (b1 - a1) / slope
            if 0.0 < cut < 1.0:
                cuts.add(cut)
    return min(max(x * g0 + (1 - x) * g1 for g0, g1 in gain) for x in cuts)


@FAST
@given(st.lists(st.tuples(st.integers(-8, 8), st.integers(-8, 8)), min_size=1, max_size=7))
def test_three_action_domination_matches_the_exact_minimum(rows: list) -> None:
    gain = [[g0 / 4, g1 / 4] for g0, g1 in rows]
    value = _exact_value(gain)
    tensor = t([gain])
    members = torch.ones(1, len(gain), dtype=torch.bool)
    for tol in (1e-9, 0.1):
        assert dominated(tensor, members, t([tol])).item() == (value < -tol - 1e-12) or \
            abs(value + tol) < 1e-12


@FAST
@given(st.lists(st.tuples(st.integers(-8, 8), st.integers(-8, 8), st.integers(-8, 8)),
                min_size=1, max_size=6))
def test_four_action_domination_is_certified(rows: list) -> None:
    """Whatever the search finds is a real dominating mixture, and strict domination by a
    clear margin is found (checked against a fine grid of mixtures)."""
    gain = t([[[g / 4 for g in row] for row in rows]])
    members = torch.ones(1, len(rows), dtype=torch.bool)
    steps = 60
    grid = [(i / steps, j / steps, 1 - (i + j) / steps)
            for i in range(steps + 1) for j in range(steps + 1 - i)]
    taus = t(grid)
    grid_value = float((gain[0] @ taus.T).max(dim=0).values.min())
    found = dominated(gain, members, t([1e-9])).item()
    if found:  # certified: the minimax value is below the tolerance
        assert grid_value < 0.25  # the grid is within max|g| · 2/steps of the true minimum
    if grid_value < -0.5:  # clearly dominated: the search finds it
        assert found


# ------------------------------------------------------------------ a scenario end to end


def _coin_world(action):
    """A signal centred on 0, whatever is played."""
    return pyro.sample("y", dist.Normal(0.0, 1.0))


def _coin_belief(action, bias):
    """The signal is centred on θ = +1 (heads side) or −1 (tails side); both are equally far
    from what the agent sees (KL 1/2), so the data never separate them."""
    side = pyro.sample("side", dist.Bernoulli(bias))
    return pyro.sample("y", dist.Normal(2.0 * side - 1.0, 1.0))


def _coin_payoff(action, y, stall):
    """Heads pays ``y``, tails ``−y`` (subjectively ±θ), stalling pays ``stall``."""
    return torch.where(action == 0, stall + 0.0 * y, torch.where(action == 1, y, -y))


COIN = Scenario(
    name="hedge",
    actions=[Action("stall", safe=False), Action("heads", safe=True),
             Action("tails", safe=True)],
    world=_coin_world, belief=_coin_belief, payoff=_coin_payoff, observed=["y"],
    prior_params={"bias": Param(0.5, low=0.01, high=0.99)},
    reward_params={"stall": Param(0.3, low=-2.0, high=2.0)},
)


@pytest.mark.parametrize("stall,phase,bn_set", [
    # the right bet pays 1 at either side, a bet 0 under the 50/50 belief: stalling at 0.3
    # wins only there
    (0.3, "multistable", {"stall", "heads", "tails"}),
    (-0.1, "safe", {"heads", "tails"}),  # a bet beats stalling under every belief
    (1.5, "misaligned", {"stall"}),  # stalling beats a bet under every belief
])
def test_an_unsafe_hedge_only_a_spread_belief_rationalizes(stall: float, phase: str,
                                                           bn_set: set[str]) -> None:
    """With point-mass beliefs the first row would read "safe", R = {heads, tails}: the
    unsafe hedge, a self-confirming equilibrium of the spread belief, would be missed."""
    result = analyze(COIN, {"stall": stall})
    assert result.phase.value == phase
    assert set(result.bn_set) == bn_set
    assert ("stall" in result.pure_equilibria) == (stall > 0)
