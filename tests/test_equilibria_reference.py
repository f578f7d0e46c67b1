"""Every Berk–Nash equilibrium of three or more actions, against a reference from the definition.

The reference (tests/equilibrium_reference.py) is a mixed-integer program over the mixture,
the belief and binary fit indicators, and a linear program at a fixed mixture; it shares no
code with the engine (sme/wide_equilibria.py).  On random problems with 3–6 actions, for
random supports ``S`` of three or more:

* existence: when the program finds an equilibrium with support ``S`` (every weight at
  least ``10⁻⁴``, re-checked at a fixed mixture) the engine lists a region containing it,
  and when it finds none the engine lists no region reaching that far inside ``Δ(S)``;
* coverage: optimising random linear objectives over the equilibria gives mixtures that
  each lie in one of the engine's regions;
* soundness: each region's representative and vertices are equilibria by the fixed-mixture
  program.

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

from sme.berk_nash import GammaOperator
from sme.wide_equilibria import wide_equilibria

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


RANDOM = {**FAMILIES, "bets": _bets, "dirichlet_bets": _dirichlet_bets}


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
