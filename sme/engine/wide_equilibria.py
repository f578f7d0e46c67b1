"""Every mixed Berk–Nash equilibrium with three or more actions in its support.

Definition (Esponda & Pouzo, Econometrica 2016, Def. 1): ``σ`` is an equilibrium when some
belief ``μ ∈ Δ(Θ(σ))`` makes every action of ``supp σ`` optimal (within the payoff
tolerance of the best).  For a support ``S`` only the points finite on all of ``S`` can
fit a mixture with support exactly ``S``; with none, there is no such equilibrium.

For a set ``M`` of points let ``R(M) = {σ ∈ Δ(S) : M ⊆ Θ(σ)}``.  Then ``σ`` (support ``S``)
is an equilibrium iff ``σ ∈ R(M)`` for some ``M`` admitting a belief ``μ ∈ Δ(M)`` under
which the actions of ``S`` are indifferent and unbeaten.  The ``R(M)`` that matter are the
faces of the KL envelope over ``Δ(S)`` (:mod:`sme.engine.envelope_faces`), so the equilibria with
support ``S`` are a finite union of polytopes, found exactly:

1. the envelope's vertices and their tie sets ``T_w`` (:mod:`sme.engine.tie_sets`, qhull);
2. a linear program per distinct ``T_w``: is some belief on it indifferent and unbeaten?
   (after a cheap necessary test: for each support action ``a`` and other action ``c``
   some point of ``T_w`` where ``c`` beats ``a`` by at most the tolerance).  A face's tie
   set lies inside each of its vertices' tie sets and feasibility only grows with the
   set, so only faces all of whose vertices pass can be equilibria, and those faces'
   vertices are among the passing ones;
3. the faces spanned by the passing vertices (every intersection of their tie sets), smallest
   tie set — largest face — first; a face is an equilibrium region when it meets the
   interior of ``Δ(S)`` (an LP over its vertices' convex hull puts more than
   ``PURE_MARGIN`` on each action) and a belief on its tie set is indifferent and
   unbeaten.  A face inside one already reported (a larger tie set containing the
   reported one's) is skipped, so each region reported is maximal and none twice.

Every region comes with its vertices (its closure: a vertex on the boundary of ``Δ(S)``
has a smaller support, and there the tie set is the limit from inside, as in
:mod:`sme.engine.tie_sets`), a representative mixture inside it with every weight above
``PURE_MARGIN``, and one belief that supports the whole region.  The listing is
exhaustive up to the tie tolerances.  Cost per support: one halfspace intersection
(``N + |S| + 1`` halfspaces in ``|S|`` dimensions, ``V`` vertices), ``O(V |S| |A|)`` for
the necessary test, one small LP per vertex tie set that passes it and per candidate
face (see :mod:`sme.engine.envelope_faces` for the number of faces).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog

from sme.engine.envelope_faces import bits_to_points, closed_tie_sets, mask_to_bits, vertices_of
from sme.engine.mixed_equilibrium import MixedEquilibrium
from sme.engine.tie_sets import vertex_mixtures

__all__ = ["PURE_MARGIN", "indifferent_belief", "least_shortfall", "wide_equilibria"]

#: mixtures putting less than this on an action are taken as on the simplex's boundary
PURE_MARGIN = 1e-6


def wide_equilibria(gamma: object, row: int, support: tuple[int, ...]
                    ) -> list[MixedEquilibrium]:
    """The maximal equilibrium regions of configuration ``row`` whose support is exactly
    ``support`` (three or more actions), as :class:`MixedEquilibrium`."""
    kl = gamma.kl[row].detach().cpu().double().numpy()  # type: ignore[attr-defined]
    utility = gamma.utility[row].detach().cpu().double().numpy()  # type: ignore[attr-defined]
    ktol, utol = float(gamma.ktol[row]), float(gamma.utol[row])  # type: ignore[attr-defined]
    cols = list(support)
    members = np.flatnonzero(np.isfinite(kl[:, cols]).all(axis=1))
    if members.size == 0:
        return []
    mixtures, masks = _distinct_vertices(kl[members][:, cols], ktol)
    beliefs: dict[int, np.ndarray | None] = {}

    def belief_on(ties: int) -> np.ndarray | None:
        if ties not in beliefs:
            beliefs[ties] = indifferent_belief(utility[members[bits_to_points(ties)]], cols,
                                               utol)
        return beliefs[ties]

    # only faces whose every vertex admits a belief can (module docstring, step 2)
    hopeful = np.flatnonzero(_may_hold_a_belief(utility[members], masks, cols, utol))
    bits = {int(w): mask_to_bits(masks[w]) for w in hopeful}
    passing = [w for w in bits if belief_on(bits[w]) is not None]
    mixtures = mixtures[passing]
    vertex_sets = [bits[w] for w in passing]
    reported: list[int] = []
    found = []
    for ties in closed_tie_sets(vertex_sets):
        if any(ties & r == r for r in reported):
            continue  # inside a region already reported
        corners = mixtures[vertices_of(ties, vertex_sets)]
        inside = _inside_point(corners)
        if inside is None:
            continue
        belief = belief_on(ties)
        if belief is None:
            continue
        reported.append(ties)
        points = members[bits_to_points(ties)]
        weights = tuple((int(points[i]), float(belief[i]))
                        for i in np.flatnonzero(belief > 1e-12))
        last = corners[:, -1]
        found.append(MixedEquilibrium(
            actions=support, probability=float(inside[-1]),
            interval=(float(last.min()), float(last.max())), belief=weights,
            weights=tuple(float(w) for w in inside),
            vertices=tuple(tuple(float(w) for w in c) for c in corners)))
    return found


def _distinct_vertices(kl: np.ndarray, ktol: float) -> tuple[np.ndarray, np.ndarray]:
    """The envelope's vertices over the columns of ``kl`` (every entry finite): mixtures
    ``(V, |S|)`` and tie sets ``(V, N)`` (masks), duplicates (equal to 12 digits) merged."""
    found = vertex_mixtures(kl, ktol)
    sigma = np.stack([s for s, _ in found])
    ties = np.stack([t for _, t in found])
    _, first, group = np.unique(np.round(sigma, 12), axis=0, return_index=True,
                                return_inverse=True)
    merged = np.zeros((first.size, ties.shape[1]), dtype=bool)
    np.logical_or.at(merged, group.reshape(-1), ties)
    return sigma[first], merged


def _may_hold_a_belief(utility: np.ndarray, masks: np.ndarray, support: list[int],
                       utol: float) -> np.ndarray:
    """``(V,)``: a necessary condition for a belief on each masked set of rows (each
    non-empty) of ``utility`` ``(n, A)`` under which every ``support`` action is optimal —
    for each support action ``a`` and other action ``c``, some point where ``c`` beats ``a``
    by at most ``utol`` (else ``E_μ[U_c − U_a] > utol`` for every ``μ``)."""
    gains = np.stack([utility[:, c] - utility[:, a] for a in support
                      for c in range(utility.shape[1]) if c != a], axis=1)  # (n, R)
    rows, points = np.nonzero(masks)  # row-major: each vertex's points together
    starts = np.searchsorted(rows, np.arange(masks.shape[0]))
    least = np.minimum.reduceat(gains[points], starts, axis=0)  # (V, R)
    return (least <= utol).all(axis=1)


def _inside_point(corners: np.ndarray) -> np.ndarray | None:
    """A mixture in the convex hull of ``corners`` ``(W, k)`` with every weight above
    ``PURE_MARGIN`` (halfway between the one furthest from the simplex's boundary and the
    corners' mean, when that stays inside), or ``None`` when the hull has none."""
    mean = corners.mean(axis=0)
    if corners.shape[0] == 1:
        return mean if mean.min() > PURE_MARGIN else None
    w, k = corners.shape
    # variables (λ_1 … λ_W, t): maximise t with (λ · corners)_a ≥ t, λ ∈ Δ
    a_ub = np.hstack([-corners.T, np.ones((k, 1))])
    a_eq = np.append(np.ones(w), 0.0)[None, :]
    cost = np.zeros(w + 1)
    cost[-1] = -1.0
    found = linprog(cost, A_ub=a_ub, b_ub=np.zeros(k), A_eq=a_eq, b_eq=[1.0],
                    bounds=[(0.0, None)] * w + [(None, None)], method="highs")
    if found.status != 0:
        return None
    lam = np.clip(found.x[:w], 0.0, None)
    best = (lam / lam.sum()) @ corners
    if best.min() <= PURE_MARGIN:
        return None
    middle = (best + mean) / 2
    return middle if middle.min() > PURE_MARGIN else best


def indifferent_belief(utility: np.ndarray, support: list[int], utol: float
                       ) -> np.ndarray | None:
    """``μ`` over the rows of ``utility`` ``(n, A)`` under which every ``support`` action is
    within ``utol`` of the best payoff, or ``None``.

    The LP minimises the largest shortfall ``t`` (``E_μ[U_c − U_a] ≤ t`` for ``a`` in the
    support and every ``c``): always feasible and well conditioned, so a belief exactly
    indifferent is found rather than lost in the solver's own tolerance; the belief is then
    re-checked against ``utol``."""
    return least_shortfall(utility, support, utol)[0]


def least_shortfall(utility: np.ndarray, support: list[int], utol: float
                    ) -> tuple[np.ndarray | None, float, float]:
    """:func:`indifferent_belief` with the linear program's optimum: ``(μ or None, t,
    scale)``, ``t`` the least shortfall in units of ``scale = max |U|`` as the solver
    reports it (``+∞`` when it fails).  The true least shortfall of any subset of the rows
    is at least that of all of them."""
    n = utility.shape[0]
    scale = max(float(np.abs(utility).max()), np.finfo(float).tiny)
    u = utility / scale
    gains = np.array([u[:, c] - u[:, a] for a in support for c in range(u.shape[1]) if c != a])
    # variables (μ_1 … μ_n, t): minimise t with gains · μ ≤ t
    a_ub = np.hstack([gains, -np.ones((gains.shape[0], 1))])
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    found = linprog(cost, A_ub=a_ub, b_ub=np.zeros(gains.shape[0]),
                    A_eq=np.append(np.ones(n), 0.0)[None, :], b_eq=[1.0],
                    bounds=[(0.0, None)] * n + [(None, None)], method="highs")
    if found.status != 0:
        return None, math.inf, scale
    t = float(found.x[-1])
    if t > utol / scale:
        return None, t, scale
    mu = np.clip(found.x[:n], 0.0, None)
    mu = mu / mu.sum()
    values = mu @ utility
    return (mu if values.max() <= values[support].min() + utol else None), t, scale
