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

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["reference_gamma", "reference_rationalizable_set"]


def _fits_and_optimal(kl: np.ndarray, utility: np.ndarray, face: tuple[int, ...],
                      action: int, ktol: float, utol: float) -> bool:
    """MILP: some ``σ ∈ Δ(face)`` and ``μ`` on points fitting it make ``action`` optimal."""
    finite = np.isfinite(kl[:, list(face)]).all(axis=1)
    n_actions = utility.shape[1]
    if not finite.any():  # every point infinitely far: every point fits
        points = np.arange(kl.shape[0])
        x = np.zeros((kl.shape[0], len(face)))
    else:
        points = np.flatnonzero(finite)
        x = kl[points][:, list(face)]
    n, k = len(points), len(face)
    big = float(x.max() - x.min()) + 1.0
    # variables: σ (k), v, μ (n), z (n)
    size = k + 1 + 2 * n
    sig, v, mu, z = slice(0, k), k, slice(k + 1, k + 1 + n), slice(k + 1 + n, size)
    rows, lower, upper = [], [], []

    def add(row: np.ndarray, lo: float, hi: float) -> None:
        rows.append(row)
        lower.append(lo)
        upper.append(hi)

    row = np.zeros(size)
    row[sig] = 1.0
    add(row, 1.0, 1.0)
    row = np.zeros(size)
    row[mu] = 1.0
    add(row, 1.0, 1.0)
    for j in range(n):
        row = np.zeros(size)  # v ≤ L_j(σ)
        row[v], row[sig] = 1.0, -x[j]
        add(row, -np.inf, 0.0)
        row = np.zeros(size)  # L_j(σ) − v ≤ ktol + big (1 − z_j)
        row[sig], row[v], row[k + 1 + n + j] = x[j], -1.0, big
        add(row, -np.inf, ktol + big)
        row = np.zeros(size)  # μ_j ≤ z_j
        row[k + 1 + j], row[k + 1 + n + j] = 1.0, -1.0
        add(row, -np.inf, 0.0)
    for c in range(n_actions):
        if c != action:
            row = np.zeros(size)
            row[mu] = utility[points, c] - utility[points, action]
            add(row, -np.inf, utol)
    lo = np.zeros(size)
    hi = np.ones(size)
    lo[v], hi[v] = -np.inf, np.inf
    integrality = np.zeros(size)
    integrality[z] = 1
    found = milp(np.zeros(size), constraints=LinearConstraint(np.array(rows), lower, upper),
                 bounds=Bounds(lo, hi), integrality=integrality)
    return found.status == 0


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
