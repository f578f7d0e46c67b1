"""The Berk–Nash engine on small hand-made K/U tensors (K and U are ``(B, N, A)``).

Every expected value below is derived in the comments from the definitions in DESIGN.md:
``Θ(σ) = argmin_i Σ_a σ_a K[i, a]`` (0·∞ = 0), ``Γ(A')`` = actions optimal at some point of
``Θ(σ)`` for some ``σ ∈ Δ(A')``, ``R`` = the limit of ``A_{k+1} = Γ(A_k)``.
"""

from __future__ import annotations

import math

import pytest
import torch

from sme.engine.berk_nash import (
    GammaOperator,
    Tolerance,
    envelope_intervals,
    fitted_points,
    kl_tolerance,
    optimal_actions,
    pure_equilibria,
    rationalizable_set,
    simplex_grid,
    utility_tolerance,
    weighted_kl,
)
from sme.engine.equilibria import mixed_equilibria
from sme.engine.phases import Phase, classify

INF = math.inf
F64 = torch.float64


def t(rows: list) -> torch.Tensor:
    return torch.tensor(rows, dtype=F64)


def mask(rows: list) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.bool)


DEFAULT = Tolerance()


def gamma_of(kl: list, utility: list, tol: Tolerance = DEFAULT) -> GammaOperator:
    """One configuration from ``(N, A)`` nested lists."""
    return GammaOperator(t([kl]), t([utility]), tol)


# --------------------------------------------------------------------------- envelope


def test_envelope_intervals_of_three_crossing_lines() -> None:
    # L_0 = 3p, L_1 = 1, L_2 = 3 − 3p: point 0 wins [0, 1/3], point 1 [1/3, 2/3], point 2
    # [2/3, 1]; point 3 (L = 2 + p) never wins.
    k0, k1 = t([[0.0, 1.0, 3.0, 2.0]]), t([[3.0, 1.0, 0.0, 3.0]])
    on, lo, hi = envelope_intervals(k0, k1, t([1e-12]))
    assert on.tolist() == [[True, True, True, False]]
    assert lo[0, :3].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3], abs=1e-9)
    assert hi[0, :3].tolist() == pytest.approx([1 / 3, 2 / 3, 1.0], abs=1e-9)


def test_envelope_intervals_skip_points_with_an_infinite_kl() -> None:
    # point 0 cannot explain the a1 data: it takes no part in any interior mixture
    k0, k1 = t([[0.0, 1.0]]), t([[INF, 2.0]])
    on, lo, hi = envelope_intervals(k0, k1, t([1e-12]))
    assert on.tolist() == [[False, True]]
    assert (float(lo[0, 1]), float(hi[0, 1])) == (0.0, 1.0)


def _brute_winners(k0: torch.Tensor, k1: torch.Tensor, tol: float, p: torch.Tensor
                   ) -> torch.Tensor:
    """``(P, N)``: point ``i`` is within ``tol`` of the least weighted KL at ``p``."""
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    inf = torch.tensor(INF, dtype=F64)
    loss = torch.where(finite, (1 - p[:, None]) * k0 + p[:, None] * k1, inf)
    low = loss.min(dim=1, keepdim=True).values
    return finite & (loss <= low + tol)


@pytest.mark.parametrize("seed", range(12))
def test_envelope_intervals_match_a_brute_force_p_grid(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    rows, points = 6, 2 + seed
    kl = torch.rand(rows, points, 2, generator=gen, dtype=F64) * 4
    if seed % 2:
        kl = (kl * 2).round() / 2  # exact ties and duplicated points
    kl[torch.rand(rows, points, 2, generator=gen) < 0.15] = INF
    ktol = kl_tolerance(kl, Tolerance())
    on, lo, hi = envelope_intervals(kl[..., 0], kl[..., 1], ktol)
    grid = torch.linspace(0, 1, 4001, dtype=F64)
    for b in range(rows):
        wins = _brute_winners(kl[b, :, 0], kl[b, :, 1], float(ktol[b]), grid)  # (P, N)
        for i in range(points):
            if bool(on[b, i]):
                inside = (grid > lo[b, i] + 1e-9) & (grid < hi[b, i] - 1e-9)
                assert bool(wins[inside, i].all()), (seed, b, i)
                assert bool(((grid >= lo[b, i] - 1e-9) & (grid <= hi[b, i] + 1e-9))[wins[:, i]]
                            .all()), (seed, b, i)
            else:
                assert not bool(wins[:, i].any()), (seed, b, i)


# --------------------------------------------------------------------------- Θ(σ)


def test_weighted_kl_treats_zero_times_infinity_as_zero() -> None:
    kl = t([[[0.0, INF], [1.0, 0.0]]])  # point 0 explains a0 perfectly and a1 not at all
    assert weighted_kl(kl, t([1.0, 0.0])).tolist() == [[0.0, 1.0]]
    assert weighted_kl(kl, t([0.0, 1.0])).tolist() == [[INF, 0.0]]
    assert weighted_kl(kl, t([0.5, 0.5])).tolist() == [[INF, 0.5]]
    stacked = weighted_kl(kl, t([[[1.0, 0.0], [0.25, 0.75]]]))  # (B, S, A) → (B, S, N)
    assert stacked.tolist() == [[[0.0, 1.0], [INF, 0.25]]]
    assert not bool(torch.isnan(stacked).any())


def test_fitted_points_with_infinities_and_ties() -> None:
    kl = t([[[0.0, INF], [1.0, 0.0], [0.0, 5.0]]])
    ktol = kl_tolerance(kl, Tolerance())
    assert fitted_points(kl, t([1.0, 0.0]), ktol).tolist() == [[True, False, True]]
    assert fitted_points(kl, t([0.0, 1.0]), ktol).tolist() == [[False, True, False]]
    # σ = (0.8, 0.2): losses ∞, 0.8, 1.0
    assert fitted_points(kl, t([0.8, 0.2]), ktol).tolist() == [[False, True, False]]
    # σ = (5/6, 1/6): losses ∞, 5/6, 5/6 — a tie
    assert fitted_points(kl, t([5 / 6, 1 / 6]), ktol).tolist() == [[False, True, True]]


def test_every_point_fits_when_every_point_is_infinitely_far() -> None:
    kl = t([[[INF, 0.0], [INF, 1.0]]])
    ktol = kl_tolerance(kl, Tolerance())
    assert fitted_points(kl, t([1.0, 0.0]), ktol).tolist() == [[True, True]]
    assert fitted_points(kl, t([0.5, 0.5]), ktol).tolist() == [[True, True]]
    assert fitted_points(kl, t([0.0, 1.0]), ktol).tolist() == [[True, False]]


# --------------------------------------------------------------------------- Γ, two actions

# Three points.  K[:, a0] = (0, 1, 4), K[:, a1] = (4, 1, 0): Θ(δ_a0) = {0}, Θ(δ_a1) = {2}
# and for σ(a1) = p the losses are 4p, 1, 4 − 4p, so point 1 fits for p ∈ [1/4, 3/4].
CROSS_KL = [[0.0, 4.0], [1.0, 1.0], [4.0, 0.0]]


def test_gamma_two_actions_cycle() -> None:
    # a1 is optimal at point 0, a0 at points 1 and 2: each action's data recommend the other
    gamma = gamma_of(CROSS_KL, [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    assert gamma(mask([[True, False]])).tolist() == [[False, True]]  # Γ({a0}) = {a1}
    assert gamma(mask([[False, True]])).tolist() == [[True, False]]  # Γ({a1}) = {a0}
    assert gamma(mask([[True, True]])).tolist() == [[True, True]]
    assert gamma(mask([[False, False]])).tolist() == [[False, False]]
    assert rationalizable_set(gamma).tolist() == [[True, True]]
    assert pure_equilibria(gamma).tolist() == [[False, False]]


def test_gamma_two_actions_needs_the_mixture() -> None:
    # only point 1 — fitted by mixtures alone, never by a pure action — recommends a1
    gamma = gamma_of(CROSS_KL, [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert gamma(mask([[True, False]])).tolist() == [[True, False]]
    assert gamma(mask([[False, True]])).tolist() == [[True, False]]
    assert gamma(mask([[True, True]])).tolist() == [[True, True]]
    # R = {a0, a1}; a0 confirms itself at point 0, a1 does not (point 2 recommends a0)
    assert rationalizable_set(gamma).tolist() == [[True, True]]
    assert pure_equilibria(gamma).tolist() == [[True, False]]


def test_mixed_equilibrium_of_the_cycle() -> None:
    # at p = 1/4 points 0 (a1 better by 1) and 1 (a0 better by 1) both fit: μ = (1/2, 1/2)
    # makes a0 and a1 indifferent, so σ(a1) = 1/4 is an equilibrium; no other p has both
    gamma = gamma_of(CROSS_KL, [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    (eq,) = mixed_equilibria(gamma, 0)
    assert eq.actions == (0, 1)
    low, high = eq.interval
    assert low <= 0.25 <= high
    assert {i for i, _ in eq.belief} == {0, 1}
    assert sum(w for _, w in eq.belief) == pytest.approx(1.0)


def test_no_mixed_equilibrium_away_from_the_tie() -> None:
    # K[:, a0] = (0, 0): a0's data cannot tell P0 from P1; K[:, a1] = (0, 1/4).
    # U: a1 better by 1 at P0, a0 better by 1 at P1.  For σ(a1) = p > 0 the losses are
    # 0 and p/4, so Θ(σ) = {P0} beyond p ≈ 4e-9 (the tie tolerance) and only a1 is optimal:
    # no equilibrium mixes the two actions with p bounded away from 0.
    gamma = gamma_of([[0.0, 0.0], [0.0, 0.25]], [[0.0, 1.0], [1.0, 0.0]])
    assert pure_equilibria(gamma).tolist() == [[True, True]]
    for eq in mixed_equilibria(gamma, 0):
        sigma = t([1.0 - eq.probability, eq.probability])
        fits = fitted_points(gamma.kl, sigma, gamma.ktol)[0]
        assert bool(fits[1]), eq  # P1, the only support for a0, must still fit at σ


def test_gamma_two_actions_ignores_points_no_data_fit() -> None:
    # add P3 with K = (5, 5): its losses 5 exceed min(4p, 1, 4 − 4p) ≤ 1 for every p, so no
    # mixture fits it.  a1 is optimal only at P3, hence Γ(A) = {a0} and R = {a0}.
    kl = [*CROSS_KL, [5.0, 5.0]]
    gamma = gamma_of(kl, [[2.0, 1.0], [2.0, 1.0], [2.0, -1.0], [0.0, 3.0]])
    assert gamma(mask([[True, True]])).tolist() == [[True, False]]
    assert gamma(mask([[False, True]])).tolist() == [[True, False]]
    assert rationalizable_set(gamma).tolist() == [[True, False]]
    assert pure_equilibria(gamma).tolist() == [[True, False]]
    assert mixed_equilibria(gamma, 0) == []


# --------------------------------------------------------------------------- Γ, three actions

# Points fitted by one action each: K = 0 for "its" action, 2 for the others.
#   Θ(δ_a0) = {P0}, Θ(δ_a1) = {P1}, Θ(δ_a2) = {P2}; for σ with σ_2 = 0 the losses are
#   2σ_1, 2σ_0, 2, so P2 never fits a mixture of a0 and a1.
# U: a0 optimal at P0 and P1, a1 optimal at P2, a2 nowhere.
#   Γ(A) = {a0, a1};  Γ({a0, a1}) = {a0};  Γ({a0}) = {a0}  ⇒  R = {a0} after two steps.
CHAIN_KL = [[0.0, 2.0, 2.0], [2.0, 0.0, 2.0], [2.0, 2.0, 0.0]]
CHAIN_U = [[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [0.0, 1.0, -1.0]]


def test_rationalizable_set_iteration_three_actions() -> None:
    gamma = gamma_of(CHAIN_KL, CHAIN_U)
    step1 = gamma(mask([[True, True, True]]))
    assert step1.tolist() == [[True, True, False]]
    step2 = gamma(step1)
    assert step2.tolist() == [[True, False, False]]
    assert gamma(step2).tolist() == [[True, False, False]]
    assert rationalizable_set(gamma).tolist() == [[True, False, False]]
    assert pure_equilibria(gamma).tolist() == [[True, False, False]]
    assert mixed_equilibria(gamma, 0) == []


def test_gamma_three_actions_interior_mixture() -> None:
    # P0..P2 as above but with K = 9 off their action, P3 = (5, 5, 5).  On an edge of the
    # simplex one of P0..P2 has loss ≤ 9/2 < 5; at the centre they have 6 > 5, so P3 fits
    # only interior mixtures.  a2 is optimal only at P3.
    kl = [[0.0, 9.0, 9.0], [9.0, 0.0, 9.0], [9.0, 9.0, 0.0], [5.0, 5.0, 5.0]]
    u = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    gamma = gamma_of(kl, u)
    assert gamma(mask([[True, True, True]])).tolist() == [[True, False, True]]
    for pair in ([True, True, False], [True, False, True], [False, True, True]):
        assert gamma(mask([pair])).tolist() == [[True, False, False]]
    # R: Γ(A) = {a0, a2}, Γ({a0, a2}) = {a0}, Γ({a0}) = {a0}
    assert rationalizable_set(gamma).tolist() == [[True, False, False]]


def test_gamma_is_row_wise_over_configurations() -> None:
    cycle = [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]
    locked = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    gamma = GammaOperator(t([CROSS_KL, CROSS_KL]), t([cycle, locked]))
    subsets = mask([[True, False], [False, True]])
    assert gamma(subsets).tolist() == [[False, True], [True, False]]
    assert rationalizable_set(gamma).tolist() == [[True, True], [True, True]]
    assert pure_equilibria(gamma).tolist() == [[False, False], [True, False]]


def test_simplex_grid() -> None:
    grid = simplex_grid(3, 4, F64, torch.device("cpu"))
    assert grid.shape == (15, 3)  # C(4 + 2, 2) mixtures
    assert torch.allclose(grid.sum(1), torch.ones(15, dtype=F64))
    assert bool((grid >= 0).all())
    assert len({tuple(r) for r in (grid * 4).round().long().tolist()}) == 15


# --------------------------------------------------------------------------- pure equilibria


def test_pure_equilibria_need_self_confirmation() -> None:
    # a0's data fit P0 (a0 optimal): a0 is an equilibrium.  a1's data fit P1 and P2 (tie),
    # a1 optimal only at P2: one point of Θ(δ_a1) suffices, a1 is an equilibrium.  a2's
    # data fit P0, where a0 is optimal: a2 is not.
    kl = [[0.0, 3.0, 0.0], [2.0, 1.0, 4.0], [2.0, 1.0, 4.0]]
    u = [[2.0, 0.0, 1.0], [2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]
    gamma = gamma_of(kl, u)
    assert pure_equilibria(gamma).tolist() == [[True, True, False]]


# --------------------------------------------------------------------------- tolerances


def test_kl_tolerance_definition() -> None:
    # per-action minimal finite KLs are 1 and 3 → atol + rtol · 3
    kl = t([[[1.0, INF], [2.0, 3.0], [INF, 4.0]]])
    tol = Tolerance(kl_atol=1e-6, kl_rtol=1e-3)
    assert kl_tolerance(kl, tol).tolist() == pytest.approx([1e-6 + 3e-3])
    # a column without finite values does not count
    kl = t([[[INF, 2.0], [INF, 5.0]]])
    assert kl_tolerance(kl, tol).tolist() == pytest.approx([1e-6 + 2e-3])


def test_kl_ties_follow_the_tolerance() -> None:
    kl = t([[[1.0, 0.0], [1.0 + 1e-12, 0.0], [1.0 + 1e-6, 0.0]]])
    sigma = t([1.0, 0.0])
    default = kl_tolerance(kl, Tolerance())  # 1e-9 + 1e-9 · 1
    assert fitted_points(kl, sigma, default).tolist() == [[True, True, False]]
    loose = kl_tolerance(kl, Tolerance(kl_atol=1e-5))
    assert fitted_points(kl, sigma, loose).tolist() == [[True, True, True]]
    exact = kl_tolerance(kl, Tolerance(kl_atol=0.0, kl_rtol=0.0))
    assert fitted_points(kl, sigma, exact).tolist() == [[True, False, False]]


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e8])
def test_utility_ties_are_relative_to_the_payoff_scale(scale: float) -> None:
    u = t([[[1.0, 1.0 - 1e-12, 1.0 - 1e-6]]]) * scale
    utol = utility_tolerance(u, Tolerance())
    assert optimal_actions(u, utol).tolist() == [[[True, True, False]]]
    loose = utility_tolerance(u, Tolerance(utility_rtol=1e-5))
    assert optimal_actions(u, loose).tolist() == [[[True, True, True]]]


def test_a_utility_tie_makes_both_actions_responses() -> None:
    # a single point fits everything; a0 and a1 tie there within the tolerance
    gamma = gamma_of([[0.0, 0.0]], [[1.0, 1.0 + 1e-12]])
    assert rationalizable_set(gamma).tolist() == [[True, True]]
    assert pure_equilibria(gamma).tolist() == [[True, True]]
    strict = gamma_of([[0.0, 0.0]], [[1.0, 1.0 + 1e-12]], Tolerance(utility_rtol=0.0))
    assert rationalizable_set(strict).tolist() == [[False, True]]


def test_a_kl_tie_keeps_an_action_rationalizable() -> None:
    # a0's data fit P0 and, within the tolerance, P1, where a1 is optimal; every other
    # mixture fits P0 alone (losses p and 1e-12 (1 − p) + 2p)
    kl = [[0.0, 1.0], [1e-12, 2.0]]
    u = [[1.0, 0.0], [0.0, 1.0]]
    assert rationalizable_set(gamma_of(kl, u)).tolist() == [[True, True]]
    strict = Tolerance(kl_atol=0.0, kl_rtol=0.0)
    assert rationalizable_set(gamma_of(kl, u, strict)).tolist() == [[True, False]]


# --------------------------------------------------------------------------- phases


SAFE2 = mask([True, False])


@pytest.mark.parametrize("bn,pure,phase", [
    ([True, False], [True, False], Phase.SAFE),
    ([True, False], [False, False], Phase.SAFE),  # R ⊆ S decides first
    ([False, True], [False, True], Phase.MISALIGNED),
    ([False, True], [False, False], Phase.MISALIGNED),  # before "oscillatory"
    ([True, True], [True, True], Phase.MULTISTABLE),
    ([True, True], [False, True], Phase.MULTISTABLE),
    ([True, True], [False, False], Phase.OSCILLATORY),
    ([True, True], [True, False], Phase.INDETERMINATE),
])
def test_classify_two_actions(bn: list[bool], pure: list[bool], phase: Phase) -> None:
    code = classify(mask([bn]), SAFE2, mask([pure]))
    assert Phase.from_code(int(code[0])) is phase


def test_classify_is_row_wise_and_handles_several_safe_actions() -> None:
    safe = mask([True, True, False])
    bn = mask([[True, True, False], [False, False, True], [True, False, True],
               [False, True, True], [True, True, True]])
    pure = mask([[False, False, False], [False, False, False], [False, False, True],
                 [False, False, False], [True, True, False]])
    codes = classify(bn, safe, pure)
    assert [Phase.from_code(int(c)) for c in codes] == [
        Phase.SAFE, Phase.MISALIGNED, Phase.MULTISTABLE, Phase.OSCILLATORY, Phase.INDETERMINATE]


def test_phase_codes_round_trip() -> None:
    for phase in Phase:
        assert Phase.from_code(phase.code) is phase
        assert phase.meaning and phase.colour.startswith("#")
    assert [p.value for p in Phase] == [
        "safe", "misaligned", "multistable", "oscillatory", "indeterminate"]


def test_engine_phase_of_hand_made_problems() -> None:
    # the CROSS_KL cycle is oscillatory; its a0-confirming variant is indeterminate when a0
    # is safe, multistable when a1 is safe (the pure equilibrium a0 is then unsafe)
    cycle = gamma_of(CROSS_KL, [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    variant = gamma_of(CROSS_KL, [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    for gamma, safe, phase in ((cycle, SAFE2, Phase.OSCILLATORY),
                               (variant, SAFE2, Phase.INDETERMINATE),
                               (variant, mask([False, True]), Phase.MULTISTABLE)):
        code = classify(rationalizable_set(gamma), safe, pure_equilibria(gamma))
        assert Phase.from_code(int(code[0])) is phase
