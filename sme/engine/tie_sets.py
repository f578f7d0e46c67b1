"""The largest tie sets ``Θ(σ)`` over the mixtures of a set of actions, for one configuration.

Definitions (DESIGN.md; Esponda & Pouzo, *Berk–Nash rationalizability*, arXiv 2505.20708):
for the actions ``S`` and ``σ ∈ Δ(S)`` every point ``i`` has weighted KL
``L_i(σ) = Σ_a σ_a K[i, a]`` (``0 · ∞ = 0``) and ``Θ(σ)`` is the set of its minimisers
within the tie tolerance.

**Geometry.**  With every ``K[i, S]`` finite, ``E(σ) = min_i L_i(σ)`` is concave and
piecewise linear on the simplex, and its hypograph ``P = {(σ, v) : σ ∈ Δ(S),
v ≤ L_i(σ) ∀i}`` is a polyhedron whose upper faces are the graph of ``E``.  The mixtures
sharing one tie set form the relative interior of a face of ``P``; tie sets grow towards
the faces' vertices, so every tie set is contained in the tie set of a vertex of ``P``
(the vertices of the lower convex hull of the points ``K[i, S]`` seen along non-negative
directions).  The vertices are found by qhull's halfspace intersection (Barber, Dobkin &
Huhdanpaa, *ACM TOMS* 1996) in the coordinates ``(σ_1 … σ_{|S|−1}, v)``; each vertex's tie
set is then recomputed from the KLs within the tolerance, so rounding in the geometry never
decides a tie.

**Infinite KLs.**  A point with ``K[i, a] = ∞`` can only fit mixtures with ``σ_a = 0``.  For
a face ``Δ(T)``, ``T ⊆ S``, the points that take part are those finite on all of ``T``; faces
with the same participating points share their geometry, so only the largest ``T`` of each
such group is examined.  On a face's boundary the tie set taken is the one among that
face's participating points (the limit of ``Θ(σ)`` from inside the face, which the tie
tolerance reaches at mixtures next to it).  When no point is finite on ``T`` every point
fits (the all-infinite convention of :mod:`sme.engine.berk_nash`).

**Cost.**  One halfspace intersection of ``N + |S| + 1`` halfspaces in ``|S|`` dimensions
per participating group (in practice one: the whole ``S``), plus ``O(N |S|)`` per vertex.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.spatial import HalfspaceIntersection, QhullError

__all__ = ["face_groups", "vertex_tie_sets"]


def face_groups(finite: np.ndarray) -> list[tuple[int, ...]]:
    """The largest faces ``T`` (column tuples of ``finite``, an ``(N, k)`` mask of finite
    KLs) for each distinct set of points finite on all of ``T``."""
    k = finite.shape[1]
    by_points: dict[bytes, list[tuple[int, ...]]] = {}
    for size in range(1, k + 1):
        for face in itertools.combinations(range(k), size):
            key = np.packbits(finite[:, list(face)].all(axis=1)).tobytes()
            by_points.setdefault(key, []).append(face)
    largest: list[tuple[int, ...]] = []
    for faces in by_points.values():
        sets = [set(f) for f in faces]
        largest.extend(f for f, s in zip(faces, sets, strict=True)
                       if not any(s < other for other in sets))
    return largest


def _vertices(points: np.ndarray) -> np.ndarray:
    """Mixtures ``(V, k)`` at the vertices of the hypograph of ``min_i σ · points[i]`` over
    the simplex (``points`` finite, ``(n, k)``, ``k ≥ 2``)."""
    n, k = points.shape
    shifted = points - points.min(axis=0, keepdims=True)  # per-action shifts keep every tie
    scale = float(shifted.max())
    if scale <= 0.0:  # every point ties everywhere: any vertex of the simplex will do
        return np.eye(k)
    x = shifted / scale
    # halfspaces A y + b ≤ 0 in y = (σ_1 … σ_{k−1}, v), σ_k = 1 − Σ σ_a
    rows = [np.hstack([-(x[:, :-1] - x[:, -1:]), np.ones((n, 1)), -x[:, -1:]])]
    rows.append(np.hstack([-np.eye(k - 1), np.zeros((k - 1, 1)), np.zeros((k - 1, 1))]))
    rows.append(np.hstack([np.ones((1, k - 1)), np.zeros((1, 1)), -np.ones((1, 1))]))
    centre = np.full(k, 1.0 / k)
    top = float((x @ centre).min())
    bottom = top - 3.0
    rows.append(np.hstack([np.zeros((1, k - 1)), -np.ones((1, 1)), np.full((1, 1), bottom)]))
    halfspaces = np.vstack(rows)
    inside = np.append(centre[:-1], top - 1.0)
    try:
        hull = HalfspaceIntersection(halfspaces, inside)
    except QhullError:  # degenerate input: qhull's joggle resolves it; ties are re-measured
        hull = HalfspaceIntersection(halfspaces, inside, qhull_options="QJ")
    y = hull.intersections
    y = y[y[:, -1] > bottom + 1.5]  # drop the artificial floor
    sigma = np.hstack([y[:, :-1], 1.0 - y[:, :-1].sum(axis=1, keepdims=True)])
    sigma = np.clip(sigma, 0.0, None)
    return sigma / sigma.sum(axis=1, keepdims=True)


def vertex_tie_sets(kl: np.ndarray, ktol: float) -> np.ndarray:
    """Tie sets ``(V, N)`` (masks) at the vertices of the envelope over ``Δ(S)``, ``S`` the
    columns of ``kl`` ``(N, |S|)``; every ``Θ(σ)``, ``σ ∈ Δ(S)``, is contained in one.

    Vertices are listed with their mixtures by :func:`vertex_mixtures`; this returns only the
    sets (duplicates removed, in the order of ``np.unique(sets, axis=0)``: compared as packed
    bits, most significant first, which orders the rows alike)."""
    masks = np.stack([s for _, s in vertex_mixtures(kl, ktol)])
    _, first = np.unique(np.packbits(masks, axis=1), axis=0, return_index=True)
    return masks[first]


def vertex_mixtures(kl: np.ndarray, ktol: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(σ, tie set)`` for every vertex of the envelope over ``Δ(S)`` (see the module
    docstring): ``σ`` is ``(|S|,)``, the tie set an ``(N,)`` mask."""
    n, k = kl.shape
    finite = np.isfinite(kl)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for face in face_groups(finite):
        members = finite[:, list(face)].all(axis=1)
        if not members.any():
            sigma = np.zeros(k)
            sigma[list(face)] = 1.0 / len(face)
            found.append((sigma, np.ones(n, dtype=bool)))
            continue
        points = kl[members][:, list(face)]
        mixtures = np.ones((1, 1)) if len(face) == 1 else _vertices(np.unique(points, axis=0))
        losses = mixtures @ points.T  # (V, members)
        best = losses.min(axis=1, keepdims=True)
        ties = losses <= best + ktol
        sigma = np.zeros((mixtures.shape[0], k))
        sigma[:, list(face)] = mixtures
        masks = np.zeros((mixtures.shape[0], n), dtype=bool)
        masks[:, members] = ties
        found.extend(zip(sigma, masks, strict=True))
    return found
