"""Mixed Berk–Nash equilibria with three or more actions in their support.

The engine: sme/engine/wide_equilibria.py.

Each reported equilibrium is checked against the definition (Esponda & Pouzo 2016, Def. 1):
the belief's points all best fit the mixture, and every action of the support is optimal
under the belief.  (Two-action equilibria are refined between neighbouring Θ points for
continuous models, tests/test_berk_nash.py; they are not checked here.)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from sme.engine.berk_nash import GammaOperator, fitted_points
from sme.engine.equilibria import mixed_equilibria

F64 = torch.float64
CENTRE = np.array([0.29, 0.31, 0.40])


def _gamma(kl: np.ndarray, utility: np.ndarray) -> GammaOperator:
    return GammaOperator(torch.tensor(kl[None], dtype=F64), torch.tensor(utility[None],
                                                                          dtype=F64))


def _satisfies_the_definition(gamma: GammaOperator, eq: object) -> bool:
    sigma = torch.zeros(gamma.n_actions, dtype=F64)
    for action, weight in eq.mixture().items():  # type: ignore[attr-defined]
        sigma[action] = weight
    fits = fitted_points(gamma.kl, sigma, gamma.ktol)[0]
    mu = torch.zeros(gamma.kl.shape[1], dtype=F64)
    for point, weight in eq.belief:  # type: ignore[attr-defined]
        mu[point] = weight
    values = mu @ gamma.utility[0]
    support = list(eq.mixture())  # type: ignore[attr-defined]
    utol = float(gamma.utol[0])
    return (bool(fits[mu > 0].all()) and abs(float(mu.sum()) - 1.0) < 1e-9
            and bool((values[support] >= values.max() - utol).all()))


def test_three_bets_tied_at_an_interior_mixture_form_a_three_action_equilibrium() -> None:
    """Three points tie only at σ* = (0.29, 0.31, 0.40) and bet j pays 1 at point j: under
    the uniform belief over the three every bet is optimal, so σ* is an equilibrium with
    all three actions in its support (and each pair of bets has its own on an edge)."""
    kl = (1.0 - np.eye(3)) / (1.0 - CENTRE)[:, None]
    gamma = _gamma(kl, np.eye(3))
    found = mixed_equilibria(gamma, 0)
    wide = [eq for eq in found if len(eq.actions) == 3]
    assert len(wide) == 1
    (eq,) = wide
    assert np.allclose([eq.mixture()[a] for a in range(3)], CENTRE, atol=1e-6)
    assert eq.interval[0] <= CENTRE[2] + 1e-6 and eq.interval[1] >= CENTRE[2] - 1e-6
    assert np.allclose([w for _, w in eq.belief], 1 / 3)
    assert sorted(len(eq.actions) for eq in found) == [2, 2, 2, 3]
    assert all(_satisfies_the_definition(gamma, eq) for eq in found if len(eq.actions) >= 3)


def test_no_equilibrium_of_the_three_bets_when_a_safe_action_beats_their_average() -> None:
    """A fourth action paying 0.5 everywhere (and showing nothing: constant KL) beats the
    bets whenever all three are indifferent (each then pays ⅓), so no equilibrium has
    support {0, 1, 2}; ones mixing two bets with it (each bet at ½) remain."""
    kl = np.hstack([(1.0 - np.eye(3)) / (1.0 - CENTRE)[:, None], np.full((3, 1), 5.0)])
    utility = np.hstack([np.eye(3), np.full((3, 1), 0.5)])
    gamma = _gamma(kl, utility)
    wide = [eq for eq in mixed_equilibria(gamma, 0) if len(eq.actions) >= 3]
    assert (0, 1, 2) not in [eq.actions for eq in wide]
    assert (0, 1, 3) in [eq.actions for eq in wide]
    assert all(_satisfies_the_definition(gamma, eq) for eq in wide)


def test_reported_wide_equilibria_satisfy_the_definition_on_random_problems() -> None:
    rng = np.random.default_rng(5)
    wide = 0
    for _ in range(60):
        n_actions, n = int(rng.integers(3, 5)), int(rng.integers(3, 7))
        kl = rng.integers(0, 3, size=(n, n_actions)).astype(float)
        utility = rng.integers(0, 3, size=(n, n_actions)).astype(float)
        gamma = _gamma(kl, utility)
        for eq in [e for e in mixed_equilibria(gamma, 0) if len(e.actions) >= 3]:
            assert _satisfies_the_definition(gamma, eq), (kl.tolist(), utility.tolist())
            wide += len(eq.actions) >= 3
    assert wide > 0  # the random problems do exercise supports of three or more


# ------------------------------------------------------------------ regions, built on purpose

SEGMENT_KL = np.array([[2.0, 0.0, 1.5], [1.5, 1.0, 2.25], [2.5, 1.0, 1.25], [1.0, 2.0, 1.0]])
SEGMENT_UTILITY = np.array([[1.0, 0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.5, 1.0]])
SEGMENT_ENDS = np.array([[2 / 3, 1 / 3, 0.0], [0.0, 0.2, 0.8]])


def test_a_segment_of_equilibria_beside_beliefs_that_fit_only_the_boundary() -> None:
    """P0 and P3 tie on the line σ_0 − 2σ_1 + σ_2/2 = 0, which crosses Δ from
    w = (⅔, ⅓, 0) to w′ = (0, 0.2, 0.8); under ½P0 + ½P3 all three actions pay ½.  P1 and
    P2 (payoff 0 everywhere: every action optimal alone) are ½(P0 + P3) plus one on the
    action that w (resp. w′) leaves out, so each fits only at its end of the line.  At w
    the tie set {P0, P1, P3} thus holds two beliefs: δ_P1, whose region is the single
    boundary mixture w, and ½P0 + ½P3, whose region is the whole segment — the only
    equilibria with support {0, 1, 2}.  (Taking the solver's first belief at each vertex,
    as this engine once did, finds δ_P1 and δ_P2 and lists nothing.)"""
    gamma = _gamma(SEGMENT_KL, SEGMENT_UTILITY)
    (eq,) = [e for e in mixed_equilibria(gamma, 0) if len(e.actions) == 3]
    assert eq.pure is False
    assert sorted(map(tuple, np.round(eq.vertices, 9))) == sorted(
        map(tuple, np.round(SEGMENT_ENDS, 9)))
    assert dict(eq.belief) == pytest.approx({0: 0.5, 3: 0.5})
    ranges = eq.ranges()
    assert ranges[2] == pytest.approx((0.0, 0.8)) and eq.interval == pytest.approx((0.0, 0.8))
    for t in np.linspace(0.01, 0.99, 7):  # the whole open segment, not one mixture of it
        assert _satisfies_the_definition(gamma, replace(eq, weights=tuple(
            (1 - t) * SEGMENT_ENDS[0] + t * SEGMENT_ENDS[1])))


def test_a_region_is_reported_with_its_corners_in_json_and_text() -> None:
    from sme.analysis import _mixed_json
    from sme.figures.report import _mixed_extent

    gamma = _gamma(SEGMENT_KL, SEGMENT_UTILITY)
    (eq,) = [e for e in mixed_equilibria(gamma, 0) if len(e.actions) == 3]
    theta = torch.arange(4, dtype=F64)
    data = _mixed_json(eq, ["a", "b", "c"], {"theta": theta})
    assert data["pure"] is False
    assert sorted(tuple(round(v, 9) for v in corner.values()) for corner in data["region"]) == \
        sorted(map(tuple, np.round(SEGMENT_ENDS, 9)))
    assert data["ranges"]["c"] == pytest.approx([0.0, 0.8])
    assert [b["point"]["theta"] for b in data["belief"]] == [0.0, 3.0]
    assert _mixed_extent(data) == "one of a region with 2 corners: a 0.0000–0.6667, " \
        "b 0.2000–0.3333, c 0.0000–0.8000"
    from sme.scenario.declaration import Action
    from tui.widgets.bn_set import render_set

    shown = render_set([Action(n, safe=True) for n in "abc"], ["a", "b", "c"], [], [data])
    assert "(one of a region with 2 corners)" in shown.plain


def test_bets_the_data_cannot_tell_apart_are_equilibria_in_every_mixture() -> None:
    """Every point fits every mixture equally (one KL for all) and bet j pays 0.8 at P_j,
    0.2 elsewhere.  A pair of bets is indifferent and unbeaten only under a belief with
    equal weights on their points, at least the third's (the point where both pay 0.2 alone
    lets the third bet win, which the first belief tried at a tie picks), so each edge is a
    continuum of equilibria; with all three, under the uniform belief, the whole triangle."""
    kl = np.full((3, 3), 0.2)
    utility = np.where(np.eye(3) > 0, 0.8, 0.2)
    gamma = _gamma(kl, utility)
    found = mixed_equilibria(gamma, 0)
    pairs = {eq.actions: eq for eq in found if len(eq.actions) == 2}
    assert sorted(pairs) == [(0, 1), (0, 2), (1, 2)]
    for (a, c), eq in pairs.items():
        assert eq.interval == pytest.approx((0.0, 1.0))
        weights = dict(eq.belief)
        assert weights[a] == pytest.approx(weights[c])
        assert weights[a] >= weights.get(3 - a - c, 0.0) - 1e-9
    (whole,) = [eq for eq in found if len(eq.actions) == 3]
    assert sorted(map(tuple, np.round(whole.vertices, 12))) == sorted(map(tuple, np.eye(3)))
    assert all(_satisfies_the_definition(gamma, eq) for eq in found)


def test_faces_are_the_intersections_of_vertex_tie_sets_and_their_number_is_capped() -> None:
    from priors.budget import BudgetError
    from sme.engine.envelope_faces import bits_to_points, closed_tie_sets, mask_to_bits, vertices_of

    sets = [0b0111, 0b1110, 0b1001]
    assert closed_tie_sets(sets) == [0b0001, 0b1000, 0b0110, 0b1001, 0b0111, 0b1110]
    assert vertices_of(0b0010, sets) == [0, 1] and vertices_of(0b0001, sets) == [0, 2]
    assert bits_to_points(mask_to_bits(np.array([True, False, True, True]))) == [0, 2, 3]
    # points in general position tied in threes: every subset of a tie set is a face
    many = [(1 << 40) - 1 - (1 << i) for i in range(40)]
    with pytest.raises(BudgetError, match="more than 500 faces") as raised:
        closed_tie_sets(many, limit=500)
    assert "\n" not in str(raised.value)
