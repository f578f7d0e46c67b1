"""The lower envelope of the KL lines of two actions.

For a mixture ``σ = (1 − p) δ_a + p δ_b`` every point ``i`` has weighted KL
``L_i(p) = (1 − p) K_a[i] + p K_b[i]``, a line in ``p``; ``Θ(σ)`` is the set of lines at the
lower envelope ``E(p) = min_i L_i(p)`` (within the tie tolerance).  Both computations below
are exact and ``O(N log N)``: dominated points are discarded by a sort, the remaining
points, sorted by ``K_a``, form the envelope's lower convex hull (:func:`_envelope_hull`), and
``L_i − E`` is convex in ``p`` and linear between the hull's breakpoints.

* :func:`envelope_points` — which points are on the envelope for some ``p ∈ [0, 1]``: each
  point's gap to the envelope is measured at the hull breakpoint its slope falls between
  (where ``L_i − E`` is least).  Used by ``Γ`` on whole batches.
* :func:`envelope_intervals` — for every point, the interval of ``p`` it wins: the ends are
  where ``L_i − E`` crosses the tolerance, found by bisection over the breakpoints, and are
  computed from the hull vertex that binds there as the pairwise definition (the half-lines
  ``L_i − L_j ≤ ktol`` over all ``j``, :func:`half_line_bounds`) computes them.  Used for
  single reports, where the intervals locate mixed equilibria.

The hull is found by whole-batch passes (:func:`_hull_passes`): every point strictly above
the chord of its two surviving neighbours is removed at once, until no pass removes one; a
point strictly above a chord of two other points is never a hull vertex, so removing many at
once is safe, and what remains is locally, hence globally, convex.  Typical envelopes (the
KL curves of smooth models) need one or two passes; rows still changing after
:data:`MAX_HULL_PASSES` finish with Andrew's monotone chain (:func:`_lower_hull`), so the
result is the same either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from priors.reductions import any_along, anything

Tensor = torch.Tensor

#: whole-batch removal passes before the remaining rows finish with the monotone chain
MAX_HULL_PASSES = 16


def envelope_intervals(k0: Tensor, k1: Tensor, ktol: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """For each point, the interval ``[p_lo, p_hi] ⊆ [0, 1]`` of ``p`` on which it minimises
    ``L_i(p)`` within ``ktol``; returns ``(on, p_lo, p_hi)``, each ``(B, N)``.

    Only points with both KLs finite take part (any other point has infinite weighted KL at
    every interior ``p``).  ``L_i(p) − L_j(p) = α_ij + β_ij p``, so the winning set of ``i``
    is the intersection over the finite ``j`` of the half-lines ``α_ij + β_ij p ≤ ktol``
    with ``[0, 1]``: ``p_lo = max(0, max_{β_ij < 0} (ktol − α_ij) / β_ij)``, ``p_hi = min(1,
    min_{β_ij > 0} (ktol − α_ij) / β_ij)``, and ``on`` when ``p_lo ≤ p_hi`` and no ``j``
    with ``β_ij = 0`` is below ``L_i`` by more than ``ktol``.  Points not ``on`` get the
    empty interval ``p_lo = 1, p_hi = 0`` (:func:`half_line_bounds` gives any point's
    bounds).

    ``O(N log N)``.  On ``[0, 1]`` the envelope is that of the hull vertices
    (:func:`_envelope_hull`), so only they can bind.  A point's gap ``L_i − E`` is convex
    and linear between the hull's breakpoints, least at the breakpoint ``q_k`` its slope
    falls between (as in :func:`envelope_points`), and crosses ``ktol`` at most once on each
    side of it: a bisection over the breakpoints on each side finds the segment, whose
    active vertex binds.  The formulas above are then taken over the vertices next to those
    segments and to ``q_k`` (:func:`_window_bounds`); in exact arithmetic no other ``j`` is
    tighter, and the binding terms are computed as the pairwise definition computes them.
    """
    on = torch.zeros(k0.shape, dtype=torch.bool, device=k0.device)
    p_lo = torch.ones_like(k0)
    p_hi = torch.zeros_like(k0)
    hull = _envelope_hull(k0, k1, ktol)
    if hull is None:
        return on, p_lo, p_hi
    x, y, size = hull.x, hull.y, hull.size
    tol = ktol.reshape(-1, 1)
    q, e = _breakpoints(hull)
    j = _least_gap_position(hull)

    def above(k: Tensor) -> Tensor:  # the gap at q_k exceeds the tolerance
        at = torch.gather(q, 1, k)
        return (1 - at) * x + at * y - torch.gather(e, 1, k) > tol

    steps = max(int(size.max()), 1).bit_length()
    # the gap falls on [0, q_j]: the last breakpoint k < j above the tolerance
    left, right = torch.zeros_like(j), j.clone()
    for _ in range(steps):
        middle = (left + right) // 2
        high = above(middle)
        left, right = torch.where(high, middle, left), torch.where(high, right, middle)
    falling = left  # the crossing lies on [q_left, q_left+1], where vertex ``left`` is active
    # the gap rises on [q_j, 1]: the first breakpoint k > j above the tolerance
    left, right = j.clone(), torch.broadcast_to(size.unsqueeze(1), j.shape).clone()
    for _ in range(steps):
        middle = (left + right + 1) // 2
        high = above(middle)
        left, right = torch.where(high, left, middle), torch.where(high, middle, right)
    rising = right - 1  # the crossing lies on [q_right−1, q_right]
    window = [falling - 1, falling, falling + 1, j - 1, j, rising - 1, rising, rising + 1]
    low, high, flat_ok = _window_bounds(hull, window, tol)
    inside = hull.valid & flat_ok & (low <= high)
    low = torch.where(inside, low, torch.ones_like(low))
    high = torch.where(inside, high, torch.zeros_like(high))
    # ``index`` holds distinct columns in every row, so each column is written once
    index = hull.index
    return (on.scatter_(1, index, inside), p_lo.scatter_(1, index, low),
            p_hi.scatter_(1, index, high))


def _window_bounds(hull: _Hull, window: list[Tensor], tol: Tensor
                   ) -> tuple[Tensor, Tensor, Tensor]:
    """:func:`half_line_bounds` of every compacted point against the hull vertices
    ``window`` (each ``(B, W)``, clamped to the hull): ``(p_lo, p_hi, flat_ok)``, the last
    false where a vertex with ``β = 0`` lies below the point by more than ``ktol``."""
    last = (hull.size - 1).clamp(min=0).unsqueeze(1)
    low = torch.zeros_like(hull.x)  # the clamps to [0, 1]
    high = torch.ones_like(hull.x)
    flat_ok = torch.ones_like(hull.valid)
    for k in window:
        m = torch.minimum(k.clamp(min=0), last)
        alpha = hull.x - torch.gather(hull.hx, 1, m)
        beta = (hull.y - torch.gather(hull.hy, 1, m)) - alpha
        slack = tol - alpha
        ratio = slack / torch.where(beta == 0, torch.ones_like(beta), beta)
        high = torch.where(beta > 0, torch.minimum(high, ratio), high)
        low = torch.where(beta < 0, torch.maximum(low, ratio), low)
        flat_ok = flat_ok & ((beta != 0) | (slack >= 0))
    return low, high, flat_ok


def half_line_bounds(k0: Tensor, k1: Tensor, ktol: Tensor, points: Tensor
                     ) -> tuple[Tensor, Tensor]:
    """``(p_lo, p_hi)`` ``(B, M)`` for the columns ``points`` ``(B, M)``: the bounds of the
    intersection of the half-lines ``α_ij + β_ij p ≤ ktol`` over the points ``j`` with both
    KLs finite (:func:`envelope_intervals`; a point's KLs taken as 0 where not finite),
    ``p_lo = max(0, max_{β < 0} (ktol − α) / β)`` and ``p_hi = min(1, min_{β > 0}
    (ktol − α) / β)``.  For a point off the envelope they describe no interval
    (``p_lo > p_hi``, or a parallel line beaten by more than ``ktol``).  ``O(B M N)``: for a
    few points."""
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    zero = torch.zeros((), dtype=k0.dtype, device=k0.device)
    a0 = torch.where(finite, k0, zero)
    a1 = torch.where(finite, k1, zero)
    alpha = torch.gather(a0, 1, points).unsqueeze(2) - a0.unsqueeze(1)  # (B, M, N)
    beta = (torch.gather(a1, 1, points).unsqueeze(2) - a1.unsqueeze(1)) - alpha
    slack = ktol.reshape(-1, 1, 1) - alpha
    relevant = finite.unsqueeze(1)
    ratio = slack / torch.where(beta == 0, torch.ones_like(beta), beta)
    inf = torch.full_like(ratio, math.inf)
    p_hi = torch.where(relevant & (beta > 0), ratio, inf).min(dim=2).values.clamp(max=1.0)
    p_lo = torch.where(relevant & (beta < 0), ratio, -inf).max(dim=2).values.clamp(min=0.0)
    return p_lo, p_hi


def undominated(k0: Tensor, k1: Tensor, ktol: Tensor) -> Tensor:
    """``(B, N)``: points with both KLs finite that no other point beats by more than
    ``ktol`` on both actions (a point so beaten never minimises any mixture within the
    tolerance).  ``O(N log N)`` by sorting on ``K_0``."""
    keep, order, _, _ = _undominated_by_k0(k0, k1, ktol)
    return torch.zeros_like(keep).scatter_(1, order, keep)


def _undominated_by_k0(k0: Tensor, k1: Tensor, ktol: Tensor
                       ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """:func:`undominated` in the order of a stable sort on ``K_0`` (infinite points last):
    ``(keep, order, x, y)``, ``keep`` and the KLs ``x``, ``y`` at the columns ``order``."""
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    inf = torch.full_like(k0, math.inf)
    x, order = torch.sort(torch.where(finite, k0, inf), dim=1, stable=True)
    y = torch.gather(torch.where(finite, k1, inf), 1, order)
    y_prefix_min = torch.cummin(y, dim=1).values
    cut = torch.searchsorted(x, x - ktol.reshape(-1, 1))
    padded = torch.cat([inf[:, :1], y_prefix_min], dim=1)  # padded[c] = min of the first c
    best_left = torch.gather(padded, 1, cut)
    keep = torch.isfinite(y) & ~(best_left < y - ktol.reshape(-1, 1))
    return keep, order, x, y


def compact(mask: Tensor, *values: Tensor) -> tuple[Tensor, Tensor, list[Tensor]]:
    """Move the ``True`` entries of each row to the front: ``(index, valid, gathered)``."""
    counts = mask.sum(dim=1)
    width = max(int(counts.max()), 1)
    index = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)[:, :width]
    valid = torch.arange(width, device=mask.device).unsqueeze(0) < counts.unsqueeze(1)
    return index, valid, [torch.gather(v, 1, index) for v in values]


def _lower_hull(x: Tensor, y: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
    """Andrew's monotone chain on rows sorted by ``x`` (then ``y``), batched: returns the
    hull's column indices ``(B, M)`` (valid up to ``size``) and ``size`` ``(B,)``."""
    rows, width = x.shape
    stack = torch.zeros(rows, width, dtype=torch.long, device=x.device)
    size = torch.zeros(rows, dtype=torch.long, device=x.device)
    arange = torch.arange(rows, device=x.device)
    for k in range(width):
        live = valid[:, k]
        if not bool(live.any()):
            break
        bx, by = x[:, k], y[:, k]
        while True:
            can = live & (size >= 2)
            if not bool(can.any()):
                break
            o = stack[arange, (size - 2).clamp(min=0)]
            a = stack[arange, (size - 1).clamp(min=0)]
            ox, oy, ax, ay = x[arange, o], y[arange, o], x[arange, a], y[arange, a]
            cross = (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)
            pop = can & (cross <= 0)
            if not bool(pop.any()):
                break
            size = size - pop.long()
        stack[arange[live], size[live]] = k
        size = size + live.long()
    return stack, size


@dataclass(frozen=True)
class _Hull:
    """The compacted undominated points (sorted by ``K_a``) and the envelope's hull."""

    index: Tensor  # (B, W) column of each compacted point
    valid: Tensor  # (B, W)
    x: Tensor  # K_a of each compacted point
    y: Tensor  # K_b
    hx: Tensor  # (B, W) hull vertices, valid up to ``size``
    hy: Tensor
    size: Tensor  # (B,)
    vertex: Tensor  # (B, W) column of each hull vertex


def _neighbours(alive: Tensor) -> tuple[Tensor, Tensor]:
    """For every column, the nearest alive column to its left and to its right (``-1`` and
    ``W`` where there is none), from running maxima: ``(prev, next)``, each ``(B, W)``."""
    rows, width = alive.shape
    columns = torch.arange(width, device=alive.device).expand(rows, width)
    left = torch.cummax(torch.where(alive, columns, -1), dim=1).values
    prev = torch.cat([torch.full_like(left[:, :1], -1), left[:, :-1]], dim=1)
    flipped = torch.where(alive, width - 1 - columns, -1).flip(1)
    right = (width - 1 - torch.cummax(flipped, dim=1).values).flip(1)
    nxt = torch.cat([right[:, 1:], torch.full_like(right[:, :1], width)], dim=1)
    return prev, nxt


def _turn(x: Tensor, y: Tensor, alive: Tensor) -> tuple[Tensor, Tensor]:
    """``(cross, interior)``: for every alive column ``a`` with alive neighbours ``o``
    (left) and ``b`` (right), the cross product ``(a − o) × (b − o)`` (negative when ``a``
    lies strictly above the chord ``ob``, zero when on it), and the mask of such columns."""
    width = x.shape[1]
    prev, nxt = _neighbours(alive)
    interior = alive & (prev >= 0) & (nxt < width)
    o, b = prev.clamp(min=0), nxt.clamp(max=width - 1)
    ox, oy = torch.gather(x, 1, o), torch.gather(y, 1, o)
    bx, by = torch.gather(x, 1, b), torch.gather(y, 1, b)
    cross = (x - ox) * (by - oy) - (y - oy) * (bx - ox)
    return cross, interior


def _hull_passes(x: Tensor, y: Tensor, alive: Tensor) -> tuple[Tensor, Tensor]:
    """The strict lower hull of the alive columns of rows sorted by ``x`` (then ``y``),
    with no two alive columns equal: ``(vertex, converged)``, ``(B, W)`` and ``(B,)``.

    Each pass removes every column strictly above the chord of its alive neighbours
    (never a hull point); at the fixed point the chain is convex, and one more pass removes
    the points inside its edges.  Rows still changing after :data:`MAX_HULL_PASSES` passes
    are reported as not converged."""
    changing = torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
    cross, interior = _turn(x, y, alive)
    for _ in range(MAX_HULL_PASSES):
        above = interior & (cross < 0)
        changing = any_along(above, dim=1)
        if not bool(changing.any()):
            break
        alive = alive & ~above
        cross, interior = _turn(x, y, alive)
    return alive & ~(interior & (cross == 0)), ~changing


def _envelope_hull(k0: Tensor, k1: Tensor, ktol: Tensor) -> _Hull | None:
    """The lower hull of the undominated points that forms the envelope (``None`` when no
    point has both KLs finite anywhere in the batch)."""
    keep, order, x_sorted, y_sorted = _undominated_by_k0(k0, k1, ktol)
    if not anything(keep):
        return None
    _, valid, (x, y, index) = compact(keep, x_sorted, y_sorted, order)  # sorted by x
    inf = torch.tensor(math.inf, dtype=k0.dtype, device=k0.device)
    x = torch.where(valid, x, inf)
    y = torch.where(valid, y, inf)
    if anything((x[:, 1:] == x[:, :-1]) & (y[:, 1:] < y[:, :-1])):  # equal x: y first
        by_y = torch.argsort(y, dim=1, stable=True)
        by_xy = torch.gather(by_y, 1, torch.argsort(torch.gather(x, 1, by_y), dim=1,
                                                    stable=True))
        x, y, index, valid = (torch.gather(t, 1, by_xy) for t in (x, y, index, valid))
    # the envelope ends at the lowest point (the first in this order): the rest rises
    columns = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
    alive = valid & (columns <= torch.where(valid, y, inf).argmin(dim=1, keepdim=True))
    copy = (x[:, 1:] == x[:, :-1]) & (y[:, 1:] == y[:, :-1])  # of the column before
    first = torch.zeros(x.shape[0], 1, dtype=torch.bool, device=x.device)
    distinct = alive & ~torch.cat([first, copy], dim=1)
    vertex, converged = _hull_passes(x, y, distinct)
    stack, hull_valid, _ = compact(vertex)
    size = hull_valid.sum(dim=1)
    if not bool(converged.all()):  # rare: finish those rows with the monotone chain
        rows = ~converged
        slow_stack, slow_size = _lower_hull(x[rows], y[rows], alive[rows])
        stack, size = _merge_rows(stack, size, rows, slow_stack, slow_size)
        hull_valid = torch.arange(stack.shape[1], device=x.device) < size.unsqueeze(1)
    hx = torch.where(hull_valid, torch.gather(x, 1, stack), inf)
    hy = torch.where(hull_valid, torch.gather(y, 1, stack), inf)
    return _Hull(index, valid, x, y, hx, hy, size, torch.gather(index, 1, stack))


def _merge_rows(stack: Tensor, size: Tensor, rows: Tensor, other: Tensor, other_size: Tensor
                ) -> tuple[Tensor, Tensor]:
    """``stack``/``size`` with the ``rows`` mask's rows replaced by ``other``/``other_size``
    (the monotone chain's, truncated at the lowest point it reached)."""
    width = max(stack.shape[1], other.shape[1])
    merged = torch.zeros(stack.shape[0], width, dtype=stack.dtype, device=stack.device)
    merged[:, :stack.shape[1]] = stack
    merged[rows] = torch.nn.functional.pad(other, (0, width - other.shape[1]))
    size = size.clone()
    size[rows] = other_size
    return merged, size


def _crossing(lx: Tensor, ly: Tensor, rx: Tensor, ry: Tensor) -> Tensor:
    """``p`` where the lines ``(1 − p) lx + p ly`` and ``(1 − p) rx + p ry`` cross, in [0, 1]
    (0 for parallel lines)."""
    dx, dy = rx - lx, ry - ly
    denom = dx - dy
    safe = torch.where(denom != 0, denom, torch.ones_like(denom))
    return torch.where(denom != 0, dx / safe, torch.zeros_like(dx)).clamp(0.0, 1.0)


def envelope_breakpoints(k0: Tensor, k1: Tensor, ktol: Tensor
                         ) -> tuple[Tensor, Tensor, Tensor]:
    """``(p, pair, valid)``: the mixtures ``p`` ``(B, H)`` at which the envelope passes from
    one point's line to the next, and those two points ``pair`` ``(B, H, 2)`` (columns),
    which tie there.  These are the mixtures of the two actions at which distinct points
    tie for the best fit (a third line through the same crossing, or a copy of one of the
    two, ties too and is not listed)."""
    hull = _envelope_hull(k0, k1, ktol)
    if hull is None or hull.hx.shape[1] < 2:
        empty = torch.zeros(k0.shape[0], 0, dtype=k0.dtype, device=k0.device)
        pair = torch.zeros(k0.shape[0], 0, 2, dtype=torch.long, device=k0.device)
        return empty, pair, empty.bool()
    p = _crossing(hull.hx[:, :-1], hull.hy[:, :-1], hull.hx[:, 1:], hull.hy[:, 1:])
    columns = torch.arange(1, hull.hx.shape[1], device=k0.device).unsqueeze(0)
    valid = columns < hull.size.unsqueeze(1)
    pair = torch.stack([hull.vertex[:, :-1], hull.vertex[:, 1:]], dim=2)
    return torch.where(valid, p, torch.zeros_like(p)), pair, valid


def _breakpoints(hull: _Hull) -> tuple[Tensor, Tensor]:
    """``(q, e)``, each ``(B, W + 1)``: ``q_0 = 0``, ``q_k`` where the lines of hull vertices
    ``k − 1`` and ``k`` cross (``0 < k < size``), ``q_k = 1`` for ``k ≥ size``; and the
    envelope ``E(q_k)``, the lesser of those two lines there (vertex indices clamped to
    the hull)."""
    rows, width = hull.hx.shape
    k = torch.arange(width + 1, device=hull.hx.device).unsqueeze(0).expand(rows, -1)
    last = (hull.size - 1).clamp(min=0).unsqueeze(1)
    left = torch.minimum((k - 1).clamp(min=0), last)
    right = torch.minimum(k, last)
    lx, ly = torch.gather(hull.hx, 1, left), torch.gather(hull.hy, 1, left)
    rx, ry = torch.gather(hull.hx, 1, right), torch.gather(hull.hy, 1, right)
    q = _crossing(lx, ly, rx, ry)
    q = torch.where(k == 0, torch.zeros_like(q), q)
    q = torch.where(k > last, torch.ones_like(q), q)
    e = torch.minimum((1 - q) * lx + q * ly, (1 - q) * rx + q * ry)
    return q, e


def _least_gap_position(hull: _Hull) -> Tensor:
    """``(B, W)``: for every compacted point, the ``k`` at whose breakpoint ``q_k`` its gap
    ``L_i − E`` is least: the hull lines ``0 … k − 1`` are steeper (in ``p``) than its own
    line (ties go left).  ``L_i − E`` is convex, falling before ``q_k`` and rising after."""
    hull_valid = torch.arange(hull.hx.shape[1], device=hull.hx.device) < hull.size.unsqueeze(1)
    inf = torch.tensor(math.inf, dtype=hull.hx.dtype, device=hull.hx.device)
    # slopes in p of the hull lines, decreasing along the hull; negate to search ascending
    neg_slope = torch.where(hull_valid, hull.hx - hull.hy, inf)
    pt_neg_slope = torch.where(hull.valid, hull.x - hull.y, inf)
    return torch.searchsorted(neg_slope.contiguous(), pt_neg_slope.contiguous(), right=False)


def envelope_points(k0: Tensor, k1: Tensor, ktol: Tensor) -> Tensor:
    """``(B, N)``: points in ``Θ((1 − p) δ_a + p δ_b)`` for some ``p ∈ [0, 1]``, within
    ``ktol``.  Rows where no point has both KLs finite give every point (the literal argmin
    of an all-infinite loss).  Exact; see the module docstring for the method."""
    hull = _envelope_hull(k0, k1, ktol)
    if hull is None:
        return torch.ones(k0.shape, dtype=torch.bool, device=k0.device)
    none_finite = ~any_along(hull.valid, dim=1)  # a row with a finite point keeps its best one
    q, e = _breakpoints(hull)
    j = _least_gap_position(hull)
    # the point's gap at the breakpoint where it is least (or an end of [0, 1])
    p = torch.gather(q, 1, j)
    gap = (1 - p) * hull.x + p * hull.y - torch.gather(e, 1, j)
    on = hull.valid & (gap <= ktol.reshape(-1, 1))
    # ``index`` holds distinct columns in every row, so each column is written once
    out = torch.zeros(k0.shape, dtype=torch.bool, device=k0.device).scatter_(1, hull.index, on)
    return out | none_finite.unsqueeze(1)
