"""Θ points that cover a prior's support, with prior weights.

The Berk–Nash set depends on which parameter values the agent deems *possible* (the prior's
support), not on how likely it deems them, so the points must reach the edges of the support:

* bounded supports (``interval``, ``unit_interval``, ``greater_than_eq`` with a known upper
  quantile, …): an evenly spaced grid including both closed endpoints;
* unbounded sides: a wide quantile range ``[q, 1 − q]`` of the prior (``icdf`` where the
  distribution implements it, empirical quantiles of seeded prior draws otherwise);
* finite discrete supports: every value (``enumerate_support``);
* several latent dimensions: a product grid for up to three dimensions, scrambled Sobol points
  mapped into the per-dimension ranges above that; or, when the counts are given per
  dimension (``--points 32`` or ``--points 64x16``), a product grid of those counts.

Each point carries a log weight ``log p(θ) + log cell volume``, normalised per configuration;
the weights matter only for learning dynamics, never for the Berk–Nash set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.distributions import constraints

from priors.shared_state import PROCESS_STATE


class GridError(ValueError):
    """A latent site's prior cannot be covered by points; the message names the site."""


@dataclass(frozen=True)
class AxisRange:
    """One latent dimension: per-configuration bounds ``(B,)`` or a finite set of values.

    ``truncated_low``/``truncated_high`` mark a bound that is a quantile cut-off of an
    unbounded side of the support rather than an end of the support: a best fit there may
    have its true minimiser beyond it.
    """

    low: torch.Tensor | None = None
    high: torch.Tensor | None = None
    values: torch.Tensor | None = None  # discrete support, shape (V,)
    truncated_low: bool = False
    truncated_high: bool = False

    @property
    def discrete(self) -> bool:
        return self.values is not None


def _unwrap(support: constraints.Constraint) -> constraints.Constraint:
    while isinstance(support, constraints.independent):
        support = support.base_constraint
    return support


def _bound(value: object, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(value, dtype=like.dtype, device=like.device)


def axis_ranges(
    site: str,
    fn: torch.distributions.Distribution,
    batch: int,
    tail: float,
    samples: int,
    dtype: torch.dtype,
    device: torch.device,
) -> list[AxisRange]:
    """Ranges covering the support of ``fn`` (one per scalar element of its event).

    ``fn`` has batch shape broadcastable to ``(1, batch, 1)``; the result holds ``(batch,)``
    bounds.  ``tail`` is the quantile cut for unbounded sides.
    """
    event_numel = math.prod(fn.event_shape)
    if fn.has_enumerate_support:
        try:
            values = fn.enumerate_support(expand=False).reshape(-1)
        except (NotImplementedError, RuntimeError, ValueError) as exc:
            raise GridError(
                f"latent site {site!r}: its discrete support differs across configurations ({exc})"
            ) from exc
        if event_numel != 1:
            raise GridError(f"latent site {site!r}: discrete latents must be scalar")
        return [AxisRange(values=values.to(dtype=dtype, device=device))]
    support = _unwrap(fn.support)
    like = torch.zeros((), dtype=dtype, device=device)
    low = high = None
    if isinstance(support, constraints._Interval | constraints._HalfOpenInterval):
        low, high = _bound(support.lower_bound, like), _bound(support.upper_bound, like)
    elif isinstance(support, constraints._GreaterThanEq):
        low = _bound(support.lower_bound, like)
    elif isinstance(support, constraints._LessThan):
        high = _bound(support.upper_bound, like)
    elif not isinstance(support, constraints._Real | constraints._GreaterThan):
        raise GridError(
            f"latent site {site!r}: support {support} is not an interval, half-line or the real "
            "line; write the prior with such a support"
        )
    truncated_low, truncated_high = low is None, high is None
    if low is None or high is None:
        q_low, q_high = _quantiles(site, fn, tail, samples, dtype, device)
        low = q_low if low is None else low.expand_as(q_low)
        high = q_high if high is None else high.expand_as(q_high)
    low = _per_config(low.to(dtype=dtype, device=device), batch, event_numel)
    high = _per_config(high.to(dtype=dtype, device=device), batch, event_numel)
    if not bool(torch.isfinite(low).all() & torch.isfinite(high).all()):
        raise GridError(f"latent site {site!r}: the prior's support bounds are not finite")
    if bool((high < low).any()):
        raise GridError(f"latent site {site!r}: the prior's support is empty (high < low)")
    return [AxisRange(low=low[:, k], high=high[:, k], truncated_low=truncated_low,
                      truncated_high=truncated_high) for k in range(event_numel)]


def _per_config(bound: torch.Tensor, batch: int, event_numel: int) -> torch.Tensor:
    """Reshape a bound broadcastable to ``(1, batch, 1, *event)`` into ``(batch, event)``."""
    if bound.dim() == 0:
        return bound.expand(batch, event_numel)
    event_dims = bound.dim() - 3 if bound.dim() >= 3 else 0
    if bound.dim() >= 3:
        flat = bound.reshape(*bound.shape[:3], -1) if event_dims else bound.unsqueeze(-1)
        flat = flat.expand(1, batch, 1, flat.shape[-1])[0, :, 0, :]
        return flat.expand(batch, event_numel)
    # event-only shapes (a constant prior with an event)
    return bound.reshape(1, -1).expand(batch, event_numel)


def _quantiles(
    site: str,
    fn: torch.distributions.Distribution,
    tail: float,
    samples: int,
    dtype: torch.dtype,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``tail`` and ``1 − tail`` quantiles of ``fn``, shaped like ``fn``'s batch + event."""
    probs = torch.tensor([tail, 1.0 - tail], dtype=dtype, device=device)
    shape = (2,) + (1,) * (len(fn.batch_shape) + len(fn.event_shape))
    try:
        q = fn.icdf(probs.reshape(shape))
        if bool(torch.isfinite(q).all()):
            return q[0].to(dtype), q[1].to(dtype)
    except (NotImplementedError, ValueError, RuntimeError):
        pass
    with PROCESS_STATE, torch.random.fork_rng(devices=[] if device.type == "cpu" else [device]):
        torch.manual_seed(0)
        draws = fn.sample((samples,)).to(dtype)
    if not bool(torch.isfinite(draws).all()):
        raise GridError(f"latent site {site!r}: prior draws are not finite")
    q = torch.quantile(draws, probs, dim=0)
    return q[0], q[1]


@dataclass
class Points:
    """Θ points for a batch: ``values[site]`` has shape ``(B, N, *event)``; ``log_volume``
    ``(B, N)`` is the log cell volume of each point."""

    values: dict[str, torch.Tensor]
    log_volume: torch.Tensor


def build_points(
    sites: dict[str, tuple[torch.Size, list[AxisRange]]],
    batch: int,
    points_1d: int,
    max_points: int,
    dtype: torch.dtype,
    device: torch.device,
    per_dimension: Sequence[int] | None = None,
) -> Points:
    """Points covering the product of every latent dimension's range.

    ``sites`` maps each latent site to its event shape and per-element ranges.  With ``D``
    continuous dimensions the grid has ``points_1d`` points for ``D = 1``,
    ``⌊max_points^(1/D)⌋`` per dimension for ``D ≤ 3`` and ``max_points`` Sobol points above;
    ``per_dimension`` (see :func:`axis_counts`) replaces those by a product grid of the given
    counts.  Discrete dimensions always take every value.
    """
    axes = [axis for _, ranges in sites.values() for axis in ranges]
    counts = axis_counts(sites, points_1d, max_points, per_dimension)
    if counts is not None:
        values, log_volume = _product([_axis_grid(axis, batch, n, dtype, device)
                                       for axis, n in zip(axes, counts, strict=True)])
    else:
        values, log_volume = _sobol(axes, batch, max_points, dtype, device)
    out: dict[str, torch.Tensor] = {}
    column = 0
    for site, (event_shape, ranges) in sites.items():
        k = len(ranges)
        block = values[:, :, column : column + k]
        column += k
        out[site] = block.reshape(batch, block.shape[1], *event_shape)
    return Points(out, log_volume)


def continuous_labels(sites: dict[str, tuple[torch.Size, list[AxisRange]]]) -> list[str]:
    """The continuous latent dimensions in the order of the latent sites: a scalar site's
    name, ``site[k]`` for element ``k`` of a site with an event shape."""
    labels = []
    for site, (_, ranges) in sites.items():
        for k, axis in enumerate(ranges):
            if not axis.discrete:
                labels.append(site if len(ranges) == 1 else f"{site}[{k}]")
    return labels


def axis_counts(sites: dict[str, tuple[torch.Size, list[AxisRange]]], points_1d: int,
                max_points: int, per_dimension: Sequence[int] | None = None
                ) -> list[int] | None:
    """Points along each latent dimension (all of them, in the order of the sites), or
    ``None`` for Sobol points.

    A discrete dimension has as many points as values.  The ``D`` continuous ones have
    ``per_dimension[0]`` each when it holds one count, ``per_dimension[d]`` along the
    ``d``-th when it holds ``D`` counts; without it, ``points_1d`` for ``D ≤ 1``,
    ``max(3, ⌊max_points^(1/D)⌋)`` each for ``D ≤ 3`` and Sobol points above.

    Raises:
        GridError: ``per_dimension`` holds neither one count nor one per continuous
            dimension (the message names ``--points`` and the dimensions).
    """
    axes = [axis for _, ranges in sites.values() for axis in ranges]
    dims = sum(1 for a in axes if not a.discrete)
    if per_dimension is not None and len(per_dimension) not in (1, dims):
        labels = continuous_labels(sites)
        given = "x".join(str(n) for n in per_dimension)
        raise GridError(
            f"--points {given}: {len(per_dimension)} counts for {dims} continuous latent "
            f"dimension{'' if dims == 1 else 's'} ({', '.join(labels) or 'none'}); give one "
            "count for every dimension or one per dimension in this order")
    if per_dimension is not None:
        each = iter(per_dimension if len(per_dimension) == dims else per_dimension * dims)
        return [a.values.numel() if a.values is not None else next(each) for a in axes]
    if dims > 3:
        return None
    n = points_1d if dims <= 1 else max(3, _integer_root(max_points, dims))
    return [a.values.numel() if a.values is not None else n for a in axes]


def _integer_root(value: int, power: int) -> int:
    """``⌊value^(1/power)⌋`` exactly (``4096 ** (1/3)`` is 15.999… in floating point)."""
    root = round(value ** (1.0 / power))
    while root ** power > value:
        root -= 1
    while (root + 1) ** power <= value:
        root += 1
    return root


def point_count(sites: dict[str, tuple[torch.Size, list[AxisRange]]], points_1d: int,
                max_points: int, per_dimension: Sequence[int] | None = None) -> int:
    """How many points :func:`build_points` makes for ``sites``, without making them."""
    counts = axis_counts(sites, points_1d, max_points, per_dimension)
    return max_points if counts is None else math.prod(counts)


def _axis_grid(
    axis: AxisRange, batch: int, n: int, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    if axis.discrete:
        assert axis.values is not None
        v = axis.values.to(dtype=dtype, device=device).expand(batch, -1)
        return v, torch.zeros_like(v)
    assert axis.low is not None and axis.high is not None
    t = torch.linspace(0.0, 1.0, n, dtype=dtype, device=device)
    width = (axis.high - axis.low).unsqueeze(1)
    v = axis.low.unsqueeze(1) + width * t
    # trapezoid cells: interior points own a full step, the endpoints half of one
    cell = torch.full((n,), 1.0 / max(n - 1, 1), dtype=dtype, device=device)
    if n > 1:
        cell[0] = cell[-1] = 0.5 / (n - 1)
    log_width = torch.log((width * cell).clamp_min(torch.finfo(dtype).tiny))
    return v, log_width


def _product(
    per_axis: list[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor]:
    if len(per_axis) == 1:  # one axis: its own points, in order
        values, log_width = per_axis[0]
        return values.unsqueeze(-1), log_width
    sizes = [v.shape[1] for v, _ in per_axis]
    device = per_axis[0][0].device
    index = torch.cartesian_prod(*[torch.arange(s, device=device) for s in sizes])
    if index.dim() == 1:
        index = index.unsqueeze(1)
    values = torch.stack([v[:, index[:, d]] for d, (v, _) in enumerate(per_axis)], dim=-1)
    log_volume = sum(w[:, index[:, d]] for d, (_, w) in enumerate(per_axis))
    return values, log_volume


def _sobol(
    axes: list[AxisRange], batch: int, count: int, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    engine = torch.quasirandom.SobolEngine(len(axes), scramble=True, seed=0)
    u = engine.draw(count).to(dtype=dtype, device=device)  # (N, D)
    columns, log_volume = [], torch.zeros(batch, count, dtype=dtype, device=device)
    for d, axis in enumerate(axes):
        if axis.discrete:
            assert axis.values is not None
            idx = (u[:, d] * axis.values.numel()).long().clamp_max(axis.values.numel() - 1)
            columns.append(axis.values.to(dtype=dtype, device=device)[idx].expand(batch, -1))
        else:
            assert axis.low is not None and axis.high is not None
            width = (axis.high - axis.low).unsqueeze(1)
            columns.append(axis.low.unsqueeze(1) + width * u[:, d])
            log_volume = log_volume + torch.log(width.clamp_min(torch.finfo(dtype).tiny) / count)
    return torch.stack(columns, dim=-1), log_volume
