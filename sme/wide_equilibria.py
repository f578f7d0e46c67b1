"""Mixed Berk–Nash equilibria with three or more actions in their support.

Definition (Esponda & Pouzo, Econometrica 2016, Def. 1): ``σ`` is an equilibrium when some
belief ``μ ∈ Δ(Θ(σ))`` makes every action of ``supp σ`` optimal.  For a support ``S``:

1. every tie set of a mixture in ``Δ(S)`` lies inside the tie set ``T`` of a vertex of the
   KL envelope over ``Δ(S)`` (:mod:`sme.tie_sets`);
2. for each such ``T`` a linear program seeks ``μ ∈ Δ(T)`` under which the actions of ``S``
   are indifferent (within the payoff tolerance) and none is beaten;
3. the points ``M`` that ``μ`` uses must all fit one mixture with support ``S``: a second
   linear program finds the mixture of ``Δ(S)`` furthest from its boundary with
   ``M ⊆ Θ(σ)`` (``L_m(σ) ≤ L_j(σ) + ktol``); it is an equilibrium when every weight
   exceeds ``PURE_MARGIN``, and two more programs per action bracket the last action's
   weight over that region (the ``interval``).

Each vertex contributes the region of the belief HiGHS returns (a basic solution, few
points); other beliefs on the same tie set can support further parts of the same face,
which are then not listed separately.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from sme.tie_sets import vertex_mixtures

#: mixtures putting less than this on an action are taken as on the simplex's boundary
PURE_MARGIN = 1e-6


def wide_equilibria(gamma: object, row: int, support: tuple[int, ...]) -> list[object]:
    """Equilibria of configuration ``row`` whose support is exactly ``support`` (three or
    more actions), as :class:`sme.equilibria.MixedEquilibrium`."""
    from sme.equilibria import MixedEquilibrium

    kl = gamma.kl[row].detach().cpu().double().numpy()  # type: ignore[attr-defined]
    utility = gamma.utility[row].detach().cpu().double().numpy()  # type: ignore[attr-defined]
    ktol, utol = float(gamma.ktol[row]), float(gamma.utol[row])  # type: ignore[attr-defined]
    cols = list(support)
    finite = np.isfinite(kl[:, cols]).all(axis=1)
    if not finite.any():
        return []
    seen: set[frozenset[int]] = set()
    found = []
    for vertex, tie in vertex_mixtures(kl[:, cols], ktol):
        points = np.flatnonzero(tie & finite)
        if points.size == 0:
            continue
        belief = _indifferent_belief(utility[points], cols, utol)
        if belief is None:
            continue
        used = frozenset(int(points[i]) for i in np.flatnonzero(belief > 1e-12))
        if used in seen:
            continue
        seen.add(used)
        region = _fitting_region(kl[:, cols], finite, sorted(used), ktol)
        if region is None:
            continue
        sigma, low, high = region
        if vertex.min() > PURE_MARGIN:  # the vertex itself lies inside: exact, prefer it
            sigma = vertex
        if not _fits(kl[:, cols], finite, sigma, sorted(used), ktol):
            continue  # the solver's slack exceeded the tie tolerance: not certified
        weights = {int(points[i]): float(belief[i]) for i in np.flatnonzero(belief > 1e-12)}
        found.append(MixedEquilibrium(
            actions=support, probability=float(sigma[-1]), interval=(low, high),
            belief=tuple(sorted(weights.items())), weights=tuple(float(w) for w in sigma)))
    return found


def _indifferent_belief(utility: np.ndarray, support: list[int], utol: float
                        ) -> np.ndarray | None:
    """``μ`` over the rows of ``utility`` ``(n, A)`` with the ``support`` actions within
    ``utol`` of each other and no action more than ``utol`` above them, or ``None``."""
    n = utility.shape[0]
    scale = max(float(np.abs(utility).max()), np.finfo(float).tiny)
    u = utility / scale
    tol = utol / scale / 2  # solver slack stays inside the tolerance, re-checked below
    base = u[:, support[0]]
    rows = [u[:, c] - base for c in range(u.shape[1]) if c != support[0]]
    rows += [base - u[:, a] for a in support[1:]]
    found = linprog(np.zeros(n), A_ub=np.array(rows), b_ub=np.full(len(rows), tol),
                    A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[(0.0, None)] * n,
                    method="highs", options={"primal_feasibility_tolerance": 1e-10})
    if found.status != 0:
        return None
    mu = np.clip(found.x, 0.0, None)
    mu = mu / mu.sum()
    values = mu @ utility
    top = values[support]
    if top.max() - top.min() > utol or values.max() > top.min() + utol:
        return None
    return mu


def _fits(kl: np.ndarray, finite: np.ndarray, sigma: np.ndarray, used: list[int],
          ktol: float) -> bool:
    """Every ``used`` point is within ``ktol`` of the best weighted KL at ``sigma``."""
    losses = kl[finite] @ sigma
    index = {int(p): i for i, p in enumerate(np.flatnonzero(finite))}
    return bool(all(losses[index[m]] <= losses.min() + ktol for m in used))


def _fitting_region(kl: np.ndarray, finite: np.ndarray, used: list[int], ktol: float
                    ) -> tuple[np.ndarray, float, float] | None:
    """The mixture of ``Δ(S)`` furthest inside with every ``used`` point in ``Θ(σ)`` and
    the range of the last weight over that region, or ``None`` when it touches no
    mixture with every weight above ``PURE_MARGIN``."""
    x = kl[finite]
    k = x.shape[1]
    inside = [(m, j) for m in used for j in range(x.shape[0])]
    index = {int(p): i for i, p in enumerate(np.flatnonzero(finite))}
    a_fit = np.array([x[index[m]] - x[j] for m, j in inside])  # L_m − L_j ≤ ktol
    # variables (σ_1 … σ_k, t): maximise t with σ_a ≥ t
    a_ub = np.vstack([np.hstack([a_fit, np.zeros((len(inside), 1))]),
                      np.hstack([-np.eye(k), np.ones((k, 1))])])
    b_ub = np.concatenate([np.full(len(inside), ktol / 2), np.zeros(k)])
    a_eq = np.append(np.ones(k), 0.0)[None, :]
    cost = np.zeros(k + 1)
    cost[-1] = -1.0
    found = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0],
                    bounds=[(0.0, 1.0)] * k + [(None, None)], method="highs",
                    options={"primal_feasibility_tolerance": 1e-10})
    if found.status != 0 or found.x[-1] <= PURE_MARGIN:
        return None
    sigma = found.x[:k]
    ends = []
    for sign in (1.0, -1.0):
        c = np.zeros(k + 1)
        c[k - 1] = sign  # the last weight's least and greatest value, every σ_a ≥ t ≥ margin
        end = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0],
                      bounds=[(0.0, 1.0)] * k + [(PURE_MARGIN, None)], method="highs")
        ends.append(float(end.x[k - 1]) if end.status == 0 else float(sigma[-1]))
    return sigma, min(ends), max(ends)
