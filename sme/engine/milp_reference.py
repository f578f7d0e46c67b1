"""A plain solver for ``Γ`` straight from its definition, one mixed-integer program per
support and action — the reference the tests check the engine against and the baseline
``sme bench`` measures it against.

``a ∈ Γ(A')`` (DESIGN.md; Esponda & Pouzo, *Berk–Nash rationalizability*, arXiv 2505.20708)
iff some ``σ ∈ Δ(A')`` and some belief ``μ`` on points fitting ``σ`` make ``a`` optimal.
As a MILP (``scipy.optimize.milp``, HiGHS) over ``σ``, ``μ`` and binary fit indicators
``z``: ``μ_i ≤ z_i``; ``z_i = 1 ⇒ L_i(σ) ≤ min_j L_j(σ) + ktol`` (big-M);
``Σ_i μ_i (U[i, c] − U[i, a]) ≤ utol`` for every ``c``.  It knows nothing of envelopes,
grids, hulls or vertices.  A point with an infinite KL on an action fits only mixtures
that leave that action out, so with infinite KLs it runs once per support ``T ⊆ A'`` over
the points finite on ``T`` (a closed face: on its boundary this is the limit from inside
the face, which the tie tolerance reaches).  Exponential in the number of points; for
checking, not for use.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["FitProgram", "reference_gamma", "reference_rationalizable_set"]


class FitProgram:
    """The rows of a mixed-integer program over ``σ`` (``k`` weights), the best weighted KL
    ``v``, a belief ``μ`` on ``n`` points and their binary fit indicators ``z`` that say
    ``μ`` rests only on points fitting ``σ`` best: ``Σ σ = Σ μ = 1``; ``v ≤ L_j(σ)`` and
    ``L_j(σ) − v ≤ ktol + big (1 − z_j)`` for every point ``j`` (``L_j(σ) = x[j] · σ``);
    ``μ_j ≤ z_j``.  Optimality rows on ``μ`` are added with :meth:`add_belief_row`."""

    def __init__(self, x: np.ndarray, ktol: float) -> None:
        n, k = x.shape
        self.size = k + 1 + 2 * n
        self.sig, self.v = slice(0, k), k
        self.mu, self.z = slice(k + 1, k + 1 + n), slice(k + 1 + n, self.size)
        self.rows: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        big = float(x.max() - x.min()) + 1.0
        for part in (self.sig, self.mu):
            row = np.zeros(self.size)
            row[part] = 1.0
            self._add(row, 1.0, 1.0)
        for j in range(n):
            row = np.zeros(self.size)  # v ≤ L_j(σ)
            row[self.v], row[self.sig] = 1.0, -x[j]
            self._add(row, -np.inf, 0.0)
            row = np.zeros(self.size)  # L_j(σ) − v ≤ ktol + big (1 − z_j)
            row[self.sig], row[self.v], row[k + 1 + n + j] = x[j], -1.0, big
            self._add(row, -np.inf, ktol + big)
            row = np.zeros(self.size)  # μ_j ≤ z_j
            row[k + 1 + j], row[k + 1 + n + j] = 1.0, -1.0
            self._add(row, -np.inf, 0.0)

    def _add(self, row: np.ndarray, lo: float, hi: float) -> None:
        self.rows.append(row)
        self.lower.append(lo)
        self.upper.append(hi)

    def add_belief_row(self, gain: np.ndarray, bound: float) -> None:
        """The constraint ``gain · μ ≤ bound``."""
        row = np.zeros(self.size)
        row[self.mu] = gain
        self._add(row, -np.inf, bound)

    def solve(self, cost: np.ndarray | None = None, margin: float = 0.0,
              presolve: bool = True) -> Any:
        """HiGHS's answer (``scipy.optimize.milp``), every weight of ``σ`` at least
        ``margin``, minimising ``cost`` (nothing when ``None``)."""
        lo, hi = np.zeros(self.size), np.ones(self.size)
        lo[self.sig] = margin
        lo[self.v], hi[self.v] = -np.inf, np.inf
        integrality = np.zeros(self.size)
        integrality[self.z] = 1
        return milp(np.zeros(self.size) if cost is None else cost,
                    constraints=LinearConstraint(np.array(self.rows), self.lower, self.upper),
                    bounds=Bounds(lo, hi), integrality=integrality,
                    options={"presolve": presolve})


def _fits_and_optimal(kl: np.ndarray, utility: np.ndarray, face: tuple[int, ...],
                      action: int, ktol: float, utol: float) -> bool:
    """MILP: some ``σ ∈ Δ(face)`` and ``μ`` on points fitting it make ``action`` optimal."""
    finite = np.isfinite(kl[:, list(face)]).all(axis=1)
    if not finite.any():  # every point infinitely far: every point fits
        points = np.arange(kl.shape[0])
        x = np.zeros((kl.shape[0], len(face)))
    else:
        points = np.flatnonzero(finite)
        x = kl[points][:, list(face)]
    program = FitProgram(x, ktol)
    for c in range(utility.shape[1]):
        if c != action:
            program.add_belief_row(utility[points, c] - utility[points, action], utol)
    return program.solve().status == 0


def reference_gamma(kl: np.ndarray, utility: np.ndarray, subset: tuple[int, ...],
                    ktol: float, utol: float) -> list[bool]:
    """``Γ(subset)`` from the definition, one MILP per (support, action)."""
    if np.isfinite(kl[:, list(subset)]).all():
        faces = [subset]
    else:
        faces = [f for r in range(1, len(subset) + 1) for f in itertools.combinations(subset, r)]
    return [any(_fits_and_optimal(kl, utility, f, a, ktol, utol) for f in faces)
            for a in range(utility.shape[1])]



def reference_rationalizable_set(kl: np.ndarray, utility: np.ndarray, ktol: float,
                                 utol: float) -> list[bool]:
    """The largest ``A'`` with ``A' ⊆ Γ(A')``, iterating :func:`reference_gamma`."""
    current = tuple(range(utility.shape[1]))
    while True:
        gamma = reference_gamma(kl, utility, current, ktol, utol)
        nxt = tuple(a for a in current if gamma[a])
        if nxt == current or not nxt:
            return [a in nxt for a in range(utility.shape[1])]
        current = nxt
