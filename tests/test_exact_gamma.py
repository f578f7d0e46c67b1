"""Γ is exact for any number of actions: the engine against an independent reference.

The reference (:mod:`sme.engine.milp_reference`) decides ``a ∈ Γ(A')`` straight from the
definition as a mixed-integer program over the mixture, the belief and binary fit
indicators; it shares no code with the engine.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from sme.engine.berk_nash import GammaOperator, Tolerance, rationalizable_set
from sme.engine.milp_reference import reference_gamma

F64 = torch.float64
DEFAULT = Tolerance()


def _engine(kl: np.ndarray, utility: np.ndarray, copies: int = 1,
            tol: Tolerance = DEFAULT) -> GammaOperator:
    return GammaOperator(torch.tensor(np.stack([kl] * copies), dtype=F64),
                         torch.tensor(np.stack([utility] * copies), dtype=F64), tol)


def _agree(kl: np.ndarray, utility: np.ndarray, subset: tuple[int, ...],
           tol: Tolerance) -> None:
    gamma = _engine(kl, utility, tol=tol)
    mask = torch.zeros(1, utility.shape[1], dtype=torch.bool)
    mask[0, list(subset)] = True
    got = gamma(mask)[0].tolist()
    want = reference_gamma(kl, utility, subset, float(gamma.ktol[0]), float(gamma.utol[0]))
    assert got == want, (subset, kl.tolist(), utility.tolist())


def _subsets(rng: np.random.Generator, n_actions: int) -> list[tuple[int, ...]]:
    size = int(rng.integers(2, n_actions + 1))
    return [tuple(range(n_actions)), tuple(sorted(rng.choice(n_actions, size, replace=False)))]


def _discrete(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Small integer KLs and payoffs: exact ties, duplicates and collinear points abound."""
    n_actions, n = int(rng.integers(3, 7)), int(rng.integers(2, 9))
    kl = rng.integers(0, 4, size=(n, n_actions)).astype(float)
    utility = rng.integers(-3, 4, size=(n, n_actions)).astype(float)
    return kl, utility


def _continuous(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian location models ``y ~ N(θ g_a, 1)`` against truths ``N(m_a, 1)`` on a grid
    of θ, payoffs affine in θ."""
    n_actions, n = int(rng.integers(3, 7)), int(rng.integers(5, 25))
    theta = np.linspace(-3.0, 3.0, n)
    g, m = rng.normal(size=n_actions), rng.normal(size=n_actions) * 2
    kl = (theta[:, None] * g - m) ** 2 / 2
    utility = theta[:, None] * rng.normal(size=n_actions) - rng.normal(size=n_actions)
    return kl, utility


def _two_dimensional(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two latents on a product grid: ``y ~ N(θ · w_a, 1)``, payoffs ``θ · h_a − c_a``."""
    n_actions, side = int(rng.integers(3, 6)), int(rng.integers(3, 5))
    axis = np.linspace(-2.0, 2.0, side)
    theta = np.array(list(itertools.product(axis, axis)))
    w, m = rng.normal(size=(2, n_actions)), rng.normal(size=n_actions) * 2
    kl = (theta @ w - m) ** 2 / 2
    utility = theta @ rng.normal(size=(2, n_actions)) - rng.normal(size=n_actions)
    return kl, utility


def _with_infinities(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bernoulli truths against Bernoulli models with θ on a grid that includes 0 and 1:
    ``KL(Bern(p) ‖ Bern(θ)) = ∞`` at the ends when ``0 < p < 1``, plus some deterministic
    truths (``p ∈ {0, 1}``) for which only one end is infinite."""
    n_actions, n = int(rng.integers(3, 6)), int(rng.integers(3, 8))
    theta = np.linspace(0.0, 1.0, n)
    probs = rng.choice([0.0, 0.2, 0.5, 0.7, 1.0], size=n_actions)
    flip = rng.random(n_actions) < 0.5  # action a's model is θ or 1 − θ
    q = np.where(flip, 1.0 - theta[:, None], theta[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = sum(np.where(pk > 0, pk * (np.log(pk) - np.log(qk)), 0.0)
                 for pk, qk in ((probs, q), (1 - probs, 1 - q)))
    utility = rng.integers(-2, 3, size=(n, n_actions)).astype(float) + q
    return kl, utility


FAMILIES = {"discrete": _discrete, "continuous": _continuous, "two_dimensional":
            _two_dimensional, "infinite": _with_infinities}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_engine_agrees_with_the_milp_reference(family: str) -> None:
    """75 problems per family, each on all its actions and on a random subset; half the
    problems with the default simplex grid, half with none (the grid is only a shortcut:
    without it the exact vertex step decides every open action)."""
    rng = np.random.default_rng(sorted(FAMILIES).index(family) + 12)
    cases = 0
    for problem in range(75):
        kl, utility = FAMILIES[family](rng)
        tol = Tolerance() if problem % 2 else Tolerance(simplex_steps=1)
        for subset in _subsets(rng, utility.shape[1]):
            _agree(kl, utility, subset, tol)
            cases += 1
    assert cases == 150


# ------------------------------------------------------------------ built on purpose

def test_points_tying_only_at_an_interior_mixture_of_three_actions() -> None:
    """P0, P1, P2 tie only at σ* = (0.29, 0.31, 0.40), which is no node of the simplex grid
    (``L_j(σ) = (1 − σ_j) / (1 − σ*_j)``); a hedge is optimal only under a belief over all
    three (each bet pays 1 at its own point; any belief on two points gives one bet at least
    ½ > 0.45)."""
    centre = np.array([0.29, 0.31, 0.40])
    kl = (1.0 - np.eye(3)) / (1.0 - centre)[:, None]
    kl = np.hstack([kl, np.full((3, 1), 5.0)])  # the hedge shows nothing new
    utility = np.array([[1.0, 0.0, 0.0, 0.45], [0.0, 1.0, 0.0, 0.45], [0.0, 0.0, 1.0, 0.45]])
    gamma = _engine(kl, utility)
    three = torch.tensor([[True, True, True, False]])
    assert gamma(three)[0].tolist() == [True, True, True, True]
    assert reference_gamma(kl, utility, (0, 1, 2), float(gamma.ktol[0]),
                           float(gamma.utol[0])) == [True, True, True, True]
    # a fourth point that fits the centre better removes the three-way tie and the hedge
    kl_better = np.vstack([kl, [[0.9, 0.9, 0.9, 5.0]]])
    u_better = np.vstack([utility, [[1.0, 0.0, 0.0, 0.0]]])
    assert _engine(kl_better, u_better)(three)[0].tolist()[3] is False


def test_a_hedge_between_three_tied_points_at_one_breakpoint_of_an_edge() -> None:
    """Three points tie at p = ½ between actions 0 and 1 (the case README used to list as
    missed): the hedge needs all three, any two leave a bet better."""
    kl = np.array([[0.0, 2.0, 9.0], [2.0, 0.0, 9.0], [1.0, 1.0, 9.0]])
    kl = np.hstack([kl, np.full((3, 1), 9.0)])
    utility = np.array([[1.0, 0.0, 0.0, 0.4], [0.0, 1.0, 0.0, 0.4], [0.0, 0.0, 1.0, 0.4]])
    gamma = _engine(kl, utility)
    pair = torch.tensor([[True, True, False, False]])
    assert gamma(pair)[0].tolist() == [True, True, True, True]
    assert reference_gamma(kl, utility, (0, 1), float(gamma.ktol[0]),
                           float(gamma.utol[0])) == [True, True, True, True]


def test_infinite_kls_restrict_a_point_to_the_mixtures_that_leave_the_action_out() -> None:
    """P1 is perfect for actions 0 and 1 but cannot produce what action 2 shows; it fits
    only mixtures without action 2, where it beats P0 — so action 3 (best at P1) is in Γ of
    {0, 1, 2} but not of {2} alone (actions 1 and 2 pay nothing and are never optimal)."""
    inf = math.inf
    kl = np.array([[1.0, 1.0, 0.0, 1.0], [0.0, 0.0, inf, 0.0]])
    utility = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    gamma = _engine(kl, utility, copies=2)
    masks = torch.tensor([[True, True, True, False], [False, False, True, False]])
    got = gamma(masks).tolist()
    assert got[0] == [True, False, False, True]
    assert got[1] == [True, False, False, False]
    for row, subset in enumerate([(0, 1, 2), (2,)]):
        assert reference_gamma(kl, utility, subset, float(gamma.ktol[0]),
                               float(gamma.utol[0])) == got[row]


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
def test_phases_and_sets_do_not_depend_on_payoff_scale(scale: float) -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        kl, utility = _continuous(rng)
        base = rationalizable_set(_engine(kl, utility))
        assert torch.equal(rationalizable_set(_engine(kl, utility * scale)), base)
