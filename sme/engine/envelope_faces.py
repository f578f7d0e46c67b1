"""The faces of the KL envelope over a simplex of actions, from its vertices' tie sets.

For the actions ``S`` and points finite on all of them, ``L_i(σ) = Σ_a σ_a K[i, a]`` and
``E(σ) = min_i L_i(σ)`` is concave and piecewise linear on ``Δ(S)``.  The sets
``C_i = {σ : L_i(σ) = E(σ)}`` (each point's cell) and the simplex's facets subdivide
``Δ(S)`` into a polyhedral complex; each face ``G`` of it is the convex hull of the
envelope vertices it contains (:func:`sme.engine.tie_sets.vertex_mixtures`), and the points tied
throughout ``G`` are those tied at every vertex of ``G`` (on ``G``, ``E`` is linear and each
``L_i − E`` is linear, so it vanishes on ``G`` iff it vanishes at its vertices).

So the tie set of every face is an intersection of vertex tie sets, and conversely every
non-empty intersection ``C = T_{w_1} ∩ … ∩ T_{w_r}`` is the tie set of the face spanned by
the vertices ``{w : C ⊆ T_w}``.  :func:`closed_tie_sets` enumerates these intersections
(closure under intersection, incrementally); :func:`vertices_of` lists a face's vertices.

With the tie tolerance the vertex tie sets are measured within ``ktol``; every mixture in
the convex hull of a face's vertices then keeps all of ``C`` within ``ktol`` of the best
fit (each ``L_m − E`` is convex, ``E`` being concave), so a face never claims a mixture its
points do not fit.

**Cost.**  With ``F`` faces (tie sets) and ``V`` vertices: ``O(F · V)`` set operations on
``N``-bit masks.  ``F`` is at most ``2^{|S|−1}`` faces per simple vertex (tens for the
one-latent models, ``V`` growing like ``O(N^{⌊|S|/2⌋})`` in the worst case); degenerate
points (many tied at one vertex) raise it, and past :data:`MAX_FACES` the enumeration stops
with a :class:`priors.budget.BudgetError` rather than run away.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from priors.budget import BudgetError

__all__ = ["MAX_FACES", "bits_to_points", "closed_tie_sets", "mask_to_bits", "vertices_of"]

#: most tie sets (faces) examined for one support of one configuration
MAX_FACES = 20_000


def mask_to_bits(mask: np.ndarray) -> int:
    """An ``(N,)`` boolean mask as an integer bit set (bit ``i`` for point ``i``)."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def bits_to_points(bits: int) -> list[int]:
    """The point indices of a bit set, ascending."""
    raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little")).tolist()


def closed_tie_sets(vertex_sets: Iterable[int], limit: int = MAX_FACES) -> list[int]:
    """Every non-empty intersection of the given vertex tie sets (bit sets), smallest first.

    Raises :class:`priors.budget.BudgetError` when there are more than ``limit``."""
    family: set[int] = set()
    for ties in set(vertex_sets):
        if not ties:
            continue
        family |= {ties} | {ties & other for other in family if ties & other}
        if len(family) > limit:
            raise BudgetError(f"the KL envelope has more than {limit} faces over one support "
                           "(many points tied at one mixture); use fewer Θ points")
    return sorted(family, key=lambda bits: (bits.bit_count(), bits))


def vertices_of(ties: int, vertex_sets: list[int]) -> list[int]:
    """Indices of the vertices whose tie set contains ``ties``: the face's vertices."""
    return [w for w, t in enumerate(vertex_sets) if t & ties == ties]
