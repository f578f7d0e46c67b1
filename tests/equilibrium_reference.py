"""Berk–Nash equilibria of a given support straight from the definition, for the tests.

Esponda & Pouzo (2016), Def. 1: ``σ`` is an equilibrium iff some ``μ ∈ Δ(Θ(σ))`` makes every
action of ``supp σ`` optimal, ``Θ(σ)`` the points whose weighted KL ``L_i(σ) = Σ_a σ_a K[i, a]``
is within ``ktol`` of the least and optimal meaning within ``utol`` of the best payoff.  A
point with an infinite KL on an action of the support never fits a mixture with that
support (with no finite point there is no equilibrium).

:func:`reference_equilibrium` is one mixed-integer program (``scipy.optimize.milp``) over
``σ`` (``σ_a ≥ margin`` on the support, nothing elsewhere), the best weighted KL ``v``, ``μ``
and binary fit indicators ``z``: ``μ_i ≤ z_i``; ``z_i = 1 ⇒ L_i(σ) ≤ v + ktol`` (big-M),
``v ≤ L_j(σ)`` for all ``j``; ``Σ_i μ_i (U[i, c] − U[i, a]) ≤ utol`` for every support
action ``a`` and every action ``c``.  :func:`is_equilibrium` is the linear program at a fixed
``σ``.  Neither knows of envelopes, vertices or faces, and neither imports the engine;
the fit rows are those of the Γ reference (:class:`sme.engine.milp_reference.FitProgram`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from sme.engine.milp_reference import FitProgram

MARGIN = 1e-6


def _finite_points(kl: np.ndarray, support: tuple[int, ...]) -> np.ndarray:
    return np.flatnonzero(np.isfinite(kl[:, list(support)]).all(axis=1))


def _optimality_rows(utility: np.ndarray, support: tuple[int, ...]) -> np.ndarray:
    """Rows ``U[:, c] − U[:, a]`` (one per support action ``a`` and other action ``c``)."""
    return np.array([utility[:, c] - utility[:, a] for a in support
                     for c in range(utility.shape[1]) if c != a])


def reference_equilibrium(kl: np.ndarray, utility: np.ndarray, support: tuple[int, ...],
                          ktol: float, utol: float, objective: np.ndarray | None = None,
                          margin: float = MARGIN) -> np.ndarray | None:
    """An equilibrium ``σ`` (weights on ``support``) with every weight at least ``margin``
    — the one minimising ``objective · σ`` when given — or ``None`` when there is none."""
    points = _finite_points(kl, support)
    if points.size == 0:
        return None
    x = kl[points][:, list(support)]
    scale = max(float(np.abs(utility).max()), np.finfo(float).tiny)
    u = utility[points] / scale
    program = FitProgram(x, ktol)
    for gain in _optimality_rows(u, support):
        program.add_belief_row(gain, utol / scale)
    cost = np.zeros(program.size)
    if objective is not None:
        cost[program.sig] = objective
    for presolve in (True, False):  # HiGHS's presolve now and then calls these infeasible
        found = program.solve(cost, margin, presolve)
        if found.status == 0:
            break
    else:
        return None
    used = np.flatnonzero(found.x[program.mu] > 1e-9)
    polished = _polish(x, used, cost[program.sig], margin)
    return np.asarray(found.x[program.sig]) if polished is None else polished


def _polish(x: np.ndarray, used: np.ndarray, objective: np.ndarray, margin: float
            ) -> np.ndarray | None:
    """The mixture minimising ``objective`` with the ``used`` points tied exactly for the
    best fit (``L_m(σ) ≤ L_j(σ)``), a basic solution: its ties hold to rounding, where the
    mixed-integer solver's hold only to its own tolerance."""
    k = x.shape[1]
    a_ub = np.array([x[m] - x[j] for m in used for j in range(x.shape[0]) if j != m])
    found = linprog(objective, A_ub=a_ub if a_ub.size else None,
                    b_ub=np.zeros(len(a_ub)) if a_ub.size else None,
                    A_eq=np.ones((1, k)), b_eq=[1.0], bounds=[(margin, 1.0)] * k,
                    method="highs")
    return np.asarray(found.x) if found.status == 0 else None


def is_equilibrium(kl: np.ndarray, utility: np.ndarray, support: tuple[int, ...],
                   sigma: np.ndarray, ktol: float, utol: float) -> bool:
    """Some belief on ``Θ(σ)`` (``σ`` the weights on ``support``; ties among the points
    finite on the support, within ``ktol``) makes every support action optimal."""
    points = _finite_points(kl, support)
    if points.size == 0:
        return False
    losses = kl[points][:, list(support)] @ sigma
    fits = points[losses <= losses.min() + ktol]
    scale = max(float(np.abs(utility).max()), np.finfo(float).tiny)
    gains = _optimality_rows(utility[fits] / scale, support)  # (rows, fits)
    # the least worst shortfall max_rows gains · μ over μ ∈ Δ(fits): variables (μ, t)
    n = fits.size
    found = linprog(np.append(np.zeros(n), 1.0),
                    A_ub=np.hstack([gains, -np.ones((gains.shape[0], 1))]),
                    b_ub=np.zeros(gains.shape[0]), A_eq=np.append(np.ones(n), 0.0)[None, :],
                    b_eq=[1.0], bounds=[(0.0, None)] * n + [(None, None)], method="highs")
    return found.status == 0 and found.x[-1] <= utol / scale
