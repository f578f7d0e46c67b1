"""Every Berk–Nash equilibrium of three or more actions, against a reference from the definition.

The reference (tests/equilibrium_reference.py) is a mixed-integer program over the mixture,
the belief and binary fit indicators, and a linear program at a fixed mixture; it shares no
code with the engine (sme/engine/wide_equilibria.py).  On random problems with 3–6 actions, for
random supports ``S`` of three or more:

* existence: when the program finds an equilibrium with support ``S`` (every weight at
  least ``10⁻⁴``, re-checked at a fixed mixture) the engine lists a region containing it,
  and when it finds none the engine lists no region reaching that far inside ``Δ(S)``;
* coverage: optimising random linear objectives over the equilibria gives mixtures that
  each lie in one of the engine's regions;
* soundness: each region's representative and vertices are equilibria by the fixed-mixture
  program, and no region lies inside another.

A solution of the mixed-integer program that fails the fixed-mixture re-check (HiGHS works
to ``10⁻⁶``, the tie tolerances are ``10⁻⁹``) decides nothing; such cases are counted and
must stay rare.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from equilibrium_reference import is_equilibrium, reference_equilibrium
from scipy.optimize import linprog
from test_exact_gamma import FAMILIES

from sme.engine.berk_nash import GammaOperator, pure_equilibria, rationalizable_set
from sme.engine.phases import classify
from sme.engine.wide_equilibria import wide_equilibria

F64 = torch.float64
#: the reference looks for equilibria with every weight at least this
DEPTH = 1e-4


def _bets(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Small integer KLs and 0/1 payoffs: many exact ties, indifferences and regions."""
    n_actions, n = int(rng.integers(3, 7)), int(rng.integers(3, 10))
    kl = rng.integers(0, 3, size=(n, n_actions)).astype(float)
    return kl, rng.integers(0, 2, size=(n, n_actions)).astype(float)


def _dirichlet_bets(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Continuous KLs and payoffs on the simplex: isolated equilibria at envelope vertices."""
    n_actions, n = int(rng.integers(3, 7)), int(rng.integers(4, 12))
    return rng.gamma(2.0, size=(n, n_actions)), rng.dirichlet(np.ones(n_actions), size=n)


def _bets_with_infinities(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bets whose points cannot produce what some actions show (a sixth of the KLs ``+∞``)."""
    kl, utility = _bets(rng)
    kl[rng.random(kl.shape) < 1 / 6] = np.inf
    return kl, utility


def _two_latents_dirichlet(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The two-latent Gaussian KLs of ``FAMILIES`` with payoffs on the simplex."""
    kl, utility = FAMILIES["two_dimensional"](rng)
    return kl, rng.dirichlet(np.ones(utility.shape[1]), size=kl.shape[0])


RANDOM = {**FAMILIES, "bets": _bets, "dirichlet_bets": _dirichlet_bets,
          "bets_with_infinities": _bets_with_infinities,
          "two_latents_dirichlet": _two_latents_dirichlet}


def _distance_to_hull(corners: np.ndarray, sigma: np.ndarray) -> float:
    """``min_λ ‖λ · corners − σ‖_∞`` over ``λ ∈ Δ``."""
    w, k = corners.shape
    a_ub = np.vstack([np.hstack([corners.T, -np.ones((k, 1))]),
                      np.hstack([-corners.T, -np.ones((k, 1))])])
    found = linprog(np.append(np.zeros(w), 1.0), A_ub=a_ub, b_ub=np.concatenate([sigma, -sigma]),
                    A_eq=np.append(np.ones(w), 0.0)[None, :], b_eq=[1.0],
                    bounds=[(0.0, None)] * w + [(None, None)], method="highs")
    return float(found.x[-1])


def _depth(corners: np.ndarray) -> float:
    """The largest least weight of a mixture in the convex hull of ``corners``."""
    w, k = corners.shape
    found = linprog(np.append(np.zeros(w), -1.0), A_ub=np.hstack([-corners.T, np.ones((k, 1))]),
                    b_ub=np.zeros(k), A_eq=np.append(np.ones(w), 0.0)[None, :], b_eq=[1.0],
                    bounds=[(0.0, None)] * w + [(None, None)], method="highs")
    return float(-found.fun)


def _check_support(kl: np.ndarray, utility: np.ndarray, support: tuple[int, ...],
                   rng: np.random.Generator) -> tuple[int, int, int]:
    """Compares the engine with the reference on one support; returns the cases decided,
    the reference solutions left undecided and the regions reported."""
    gamma = GammaOperator(torch.tensor(kl[None], dtype=F64), torch.tensor(utility[None], dtype=F64))
    ktol, utol = float(gamma.ktol[0]), float(gamma.utol[0])
    regions = wide_equilibria(gamma, 0, support)
    corners = [np.array(eq.vertices) for eq in regions]
    case = (support, kl.tolist(), utility.tolist())
    for eq in regions:  # soundness
        assert eq.pure is False and eq.actions == support, case
        assert min(eq.weights) > 1e-6 and _distance_to_hull(np.array(eq.vertices),
                                                             np.array(eq.weights)) < 1e-9, case
        for sigma in [eq.weights, *eq.vertices]:
            assert is_equilibrium(kl, utility, support, np.array(sigma), ktol, utol), case
    for inner, outer in itertools.permutations(corners, 2):  # maximal, none twice
        assert max(_distance_to_hull(outer, v) for v in inner) > 1e-9, case
    decided = undecided = 0
    objectives = [None] + [rng.normal(size=len(support)) for _ in range(3)]
    for objective in objectives:
        sigma = reference_equilibrium(kl, utility, support, ktol, utol, objective, DEPTH)
        if sigma is None:
            if objective is None:  # no equilibrium that deep inside: no region reaches it
                assert all(_depth(c) < 2 * DEPTH for c in corners), case
                decided += 1
            break
        if not is_equilibrium(kl, utility, support, sigma, ktol, utol):
            undecided += 1
            continue
        decided += 1  # existence and coverage
        assert any(_distance_to_hull(c, sigma) < 1e-6 for c in corners), (sigma, case)
    return decided, undecided, len(regions)


@pytest.mark.parametrize("family", list(RANDOM))
def test_engine_lists_exactly_the_equilibria_of_the_reference(family: str) -> None:
    """40 problems per family, three random supports of three or more actions each."""
    rng = np.random.default_rng(sorted(RANDOM).index(family) + 41)
    decided = undecided = regions = 0
    for _ in range(40):
        kl, utility = RANDOM[family](rng)
        supports = [s for r in range(3, utility.shape[1] + 1)
                    for s in itertools.combinations(range(utility.shape[1]), r)]
        for i in rng.choice(len(supports), min(3, len(supports)), replace=False):
            d, u, r = _check_support(kl, utility, supports[i], rng)
            decided, undecided, regions = decided + d, undecided + u, regions + r
    assert decided >= 80 and undecided <= decided // 20, (decided, undecided)
    if family != "continuous":  # one latent, payoffs affine in it: never three indifferent
        assert regions > 0


# ------------------------------------------------------------------ built on purpose

CENTRE = np.array([0.29, 0.31, 0.40])
#: three bets tied only at CENTRE (``L_j(σ) = 1 + (1 − σ_j) / (1 − CENTRE_j)``), a hedge
#: (action 3) that shows nothing new, and P3: better than the bets everywhere on
#: Δ({0, 1, 2}) but unable to produce what the hedge shows (infinite KL there)
HEDGE_KL = np.vstack([np.hstack([1.0 + (1.0 - np.eye(3)) / (1.0 - CENTRE)[:, None],
                                 np.full((3, 1), 5.0)]), [[0.5, 0.5, 0.5, np.inf]]])
#: bet j pays 1 at P_j, the hedge ⅓ at each P_j: optimal only under the uniform belief on all
#: three (any belief on two leaves a bet at least ½); P3 pays nothing, every action optimal
HEDGE_UTILITY = np.vstack([np.hstack([np.eye(3), np.full((3, 1), 1 / 3)]), np.zeros((1, 4))])


def _regions(kl: np.ndarray, utility: np.ndarray, support: tuple[int, ...]) -> list:
    gamma = GammaOperator(torch.tensor(kl[None], dtype=F64), torch.tensor(utility[None], dtype=F64))
    return wide_equilibria(gamma, 0, support)


def _tolerances(kl: np.ndarray, utility: np.ndarray) -> tuple[float, float]:
    gamma = GammaOperator(torch.tensor(kl[None], dtype=F64), torch.tensor(utility[None], dtype=F64))
    return float(gamma.ktol[0]), float(gamma.utol[0])


def test_three_points_tied_only_inside_give_one_isolated_equilibrium() -> None:
    """Without P3 and the hedge the bets' only equilibrium with all three is CENTRE, which
    the reference finds too (it is no node of any grid)."""
    kl, utility = HEDGE_KL[:3, :3], HEDGE_UTILITY[:3, :3]
    (eq,) = _regions(kl, utility, (0, 1, 2))
    assert np.allclose(eq.vertices, [CENTRE]) and np.allclose(eq.weights, CENTRE)
    assert dict(eq.belief) == pytest.approx({0: 1 / 3, 1: 1 / 3, 2: 1 / 3})
    found = reference_equilibrium(kl, utility, (0, 1, 2), *_tolerances(kl, utility))
    assert found is not None and np.allclose(found, CENTRE, atol=1e-7)


def test_a_hedge_between_three_tied_points_and_a_point_infinite_on_it() -> None:
    """On Δ({0, 1, 2}) P3 fits best everywhere and supports every mixture (one region: the
    whole triangle).  With the hedge in the support P3 never fits, the bets tie only along
    σ = (1 − s) CENTRE + s δ_3 and the uniform belief on them makes all four optimal: the
    region is that segment (the hedge's weight spans (0, 1)), and the reference agrees."""
    ktol, utol = _tolerances(HEDGE_KL, HEDGE_UTILITY)
    (whole,) = _regions(HEDGE_KL, HEDGE_UTILITY, (0, 1, 2))
    assert sorted(map(tuple, np.round(whole.vertices, 12))) == sorted(map(tuple, np.eye(3)))
    assert whole.belief == ((3, 1.0),)
    (segment,) = _regions(HEDGE_KL, HEDGE_UTILITY, (0, 1, 2, 3))
    ends = np.array([[*CENTRE, 0.0], [0.0, 0.0, 0.0, 1.0]])
    assert sorted(map(tuple, np.round(segment.vertices, 9))) == sorted(
        map(tuple, np.round(ends, 9)))
    assert dict(segment.belief) == pytest.approx({0: 1 / 3, 1: 1 / 3, 2: 1 / 3})
    assert segment.interval == pytest.approx((0.0, 1.0))
    for objective in ([0, 0, 0, 1.0], [0, 0, 0, -1.0]):  # both ends of the hedge's weight
        sigma = reference_equilibrium(HEDGE_KL, HEDGE_UTILITY, (0, 1, 2, 3), ktol, utol,
                                      np.array(objective), DEPTH)
        assert sigma is not None and _distance_to_hull(np.array(segment.vertices), sigma) < 1e-7
        assert is_equilibrium(HEDGE_KL, HEDGE_UTILITY, (0, 1, 2, 3), sigma, ktol, utol)
    # a hedge paying more than ⅓ beats the bets under the only belief that could hold them
    richer = HEDGE_UTILITY.copy()
    richer[:3, 3] = 0.4
    assert _regions(HEDGE_KL, richer, (0, 1, 2, 3)) == []
    assert reference_equilibrium(HEDGE_KL, richer, (0, 1, 2, 3), ktol,
                                 _tolerances(HEDGE_KL, richer)[1]) is None


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_equilibria_and_phases_do_not_depend_on_payoff_scale(scale: float) -> None:
    rng = np.random.default_rng(3)
    for _ in range(12):
        kl, utility = _bets(rng)
        actions = utility.shape[1]
        base = GammaOperator(torch.tensor(kl[None], dtype=F64),
                             torch.tensor(utility[None], dtype=F64))
        scaled = GammaOperator(torch.tensor(kl[None], dtype=F64),
                               torch.tensor(utility[None] * scale, dtype=F64))
        safe = torch.arange(actions) % 2 == 0
        phases = [classify(rationalizable_set(g), safe, pure_equilibria(g)) for g in (base, scaled)]
        assert torch.equal(*phases)
        for support in itertools.combinations(range(actions), 3):
            one, other = (wide_equilibria(g, 0, support) for g in (base, scaled))
            assert [eq.vertices for eq in one] == [eq.vertices for eq in other]
            assert [eq.belief for eq in one] == pytest.approx([eq.belief for eq in other])


@pytest.mark.parametrize("family", ["discrete", "bets", "bets_with_infinities", "dirichlet_bets"])
def test_pairs_have_an_equilibrium_exactly_when_the_reference_finds_one(family: str) -> None:
    """The two-action path (sme/engine/equilibria.py) on every pair: an equilibrium the reference
    finds (weights at least ``10⁻⁴``, re-checked) is listed; a pair listed has one by the
    reference (weights at least ``10⁻⁶``, or ``10⁻⁴``)."""
    from sme.engine.equilibria import mixed_equilibria

    rng = np.random.default_rng(sorted(RANDOM).index(family) + 7)
    listed = 0
    for _ in range(15):
        kl, utility = RANDOM[family](rng)
        gamma = GammaOperator(torch.tensor(kl[None], dtype=F64),
                              torch.tensor(utility[None], dtype=F64))
        ktol, utol = float(gamma.ktol[0]), float(gamma.utol[0])
        pairs = {eq.actions for eq in mixed_equilibria(gamma, 0) if len(eq.actions) == 2}
        for pair in itertools.combinations(range(utility.shape[1]), 2):
            deep = reference_equilibrium(kl, utility, pair, ktol, utol, None, DEPTH)
            if deep is not None and is_equilibrium(kl, utility, pair, deep, ktol, utol):
                assert pair in pairs, (pair, kl.tolist(), utility.tolist())
            if pair in pairs:
                listed += 1
                assert deep is not None or reference_equilibrium(
                    kl, utility, pair, ktol, utol) is not None, (pair, kl.tolist())
    assert listed > 0
