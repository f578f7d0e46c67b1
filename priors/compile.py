"""Compile (belief, world, payoff) programs into the tensors of the Berk–Nash engine.

For a batch of ``B`` parameter configurations, ``N`` Θ points and ``A`` actions this produces

* ``kl[b, i, a] = KL(Q(·|a) ‖ Q_θi(·|a))`` — the Kullback–Leibler divergence of the agent's
  model at point ``θ_i`` from the true law of the observed sites (Esponda & Pouzo, 2016,
  eq. (1)); summed over observed sites, which must be conditionally independent given the
  action and the latents;
* ``utility[b, i, a] = E_{Q_θi(·|a)} π(a, y)`` — the agent's subjective expected payoff;
* ``log_weights[b, i]`` — the prior weight of each point (normalised), used by dynamics.

Programs are run with Pyro's effect handlers: ``poutine.trace`` finds the sites and their
distributions and ``poutine.condition`` pins the latent sites to the Θ points.  Nothing is
re-derived by hand: KLs come from the distributions' own ``log_prob`` (exactly, by
``enumerate_support``, for finite discrete outcomes), from torch's registered analytic KL
when the pair has one, and from a seeded Monte Carlo estimate with common random numbers
otherwise.  ``+inf`` is a legal KL (the point cannot produce what the world produces); NaN is
an error naming the site.

Batched layout: every program is called once with the action as a ``(A, 1, 1)`` tensor,
each parameter as a ``(1, B, 1)`` tensor and each latent pinned to ``(1, B, N, *event)``;
programs written with tensor operations broadcast to ``(A, B, N)``.  A program that does not
broadcast is evaluated per configuration and action instead (with a
:class:`SlowPathWarning`).
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyro
import torch
from pyro import poutine
from pyro.poutine.util import site_is_subsample
from torch.distributions import kl_divergence

from priors import budget
from priors.grid import AxisRange, GridError, Points, axis_ranges, build_points, point_count
from priors.reductions import any_along, anything, everything
from priors.shared_state import PROCESS_STATE


class ProgramError(ValueError):
    """A program raised, sampled the wrong sites or produced NaN; the message names the site."""


class SlowPathWarning(UserWarning):
    """A program did not broadcast over the batch and runs per configuration instead."""


@dataclass(frozen=True)
class Resolution:
    """How finely the models are discretised and integrated.

    Attributes:
        points: Θ points for a one-dimensional latent (grid over its support).
        max_points: point budget for 2–3 latent dimensions (product grid) and above (Sobol).
        mc_samples: Monte Carlo draws where no exact or analytic value exists.
        tail: quantile cut ``[tail, 1 − tail]`` for unbounded sides of a support.
        seed: seed of every Monte Carlo draw (common random numbers across points).
        per_dimension: Θ points per continuous latent dimension as ``--points`` gives them:
            one count for every dimension, or one per dimension in the order of the latent
            sites (a product grid of those counts, whatever the number of dimensions);
            ``None``: ``points`` for one dimension and the ``max_points`` budget for more.
    """

    points: int = 401
    max_points: int = 4096
    mc_samples: int = 2048
    tail: float = 1e-4
    seed: int = 0
    per_dimension: tuple[int, ...] | None = None

    def doubled(self) -> Resolution:
        """The same settings with twice the points and samples (for ``--verify``)."""
        per = (None if self.per_dimension is None
               else tuple(2 * n - 1 for n in self.per_dimension))
        return Resolution(2 * self.points - 1, 2 * self.max_points, 2 * self.mc_samples,
                          self.tail, self.seed, per)

    @property
    def points_text(self) -> str:
        """The ``--points`` value these settings stand for: ``401``, ``32`` or ``64x16``."""
        if self.per_dimension is None:
            return str(self.points)
        return "x".join(str(n) for n in self.per_dimension)


@dataclass
class ModelTensors:
    """The compiled batch; see the module docstring for the definitions."""

    kl: torch.Tensor  # (B, N, A)
    utility: torch.Tensor  # (B, N, A)
    log_weights: torch.Tensor  # (B, N)
    points: dict[str, torch.Tensor]  # site -> (B, N, *event)
    methods: dict[str, str] = field(default_factory=dict)  # site -> exact | analytic | ...
    batched: bool = True
    #: site -> per scalar element, whether its lowest and highest points are quantile
    #: cut-offs of an unbounded support (``Resolution.tail``) rather than its ends
    truncated: dict[str, list[tuple[bool, bool]]] = field(default_factory=dict)

    @property
    def unfit(self) -> torch.Tensor:
        """``(B, A)``: True where no point has finite KL after that action (KLs are in
        ``[0, +∞]``: the least is infinite)."""
        return torch.isinf(self.kl.amin(dim=1))

    @property
    def shape(self) -> tuple[int, int, int]:
        b, n, a = self.kl.shape
        return b, n, a


@dataclass(frozen=True)
class Programs:
    """The three user programs and the names they share."""

    belief: Callable[..., Any]
    world: Callable[..., Any]
    payoff: Callable[..., Any]
    observed: tuple[str, ...]
    n_actions: int


Values = Mapping[str, Any]  # name -> (B,) tensor, or a constant Python value


# --------------------------------------------------------------------------- tracing


def _call(role: str, program: Callable[..., Any], *args: Any,
          _source: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """``program(*args, **kwargs)``; an exception becomes a one-line :class:`ProgramError`
    naming ``role`` and the line of ``_source`` (the user's function, default ``program``)."""
    try:
        return program(*args, **kwargs)
    except (ProgramError, GridError):
        raise
    except Exception as exc:  # the user's code: report, never crash
        first_line = (str(exc).strip().splitlines() or [""])[0]
        plate = _PLATE_MISMATCH.search(first_line)
        if plate is not None:  # Pyro's own message for a plate clashing with SME's batch
            raise ProgramError(plate_advice(role, plate["site"], plate["plate"], None)
                               + _where(_source or program, exc)) from exc
        raise ProgramError(f"{role} program raised {type(exc).__name__}"
                           f"{_where(_source or program, exc)}: {first_line}") from exc


#: Pyro's message when a plate's dimension clashes with a batch dimension
_PLATE_MISMATCH = re.compile(r"inside plate\('(?P<plate>[^']*)'\) at site (?P<site>\S+)")


def _where(program: Callable[..., Any], exc: BaseException) -> str:
    """`` at FILE:LINE`` of the deepest traceback frame in ``program``'s own file, or ``""``."""
    code = getattr(program, "__code__", None)
    if code is None:
        return ""
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == code.co_filename:
            found = f" at {code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _sample_sites(trace: poutine.Trace) -> dict[str, dict[str, Any]]:
    return {
        name: site
        for name, site in trace.nodes.items()
        if site["type"] == "sample" and not site_is_subsample(site)
    }


def trace_program(
    role: str, program: Callable[..., Any], *args: Any, data: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, dict[str, Any]]:
    """Run ``program`` under ``poutine.trace`` (and ``condition`` on ``data``); return its sites.

    Raises:
        ProgramError: the program raised, or it samples a site inside ``pyro.plate``
            (:func:`reject_plates`).
    """
    model = poutine.condition(program, data=dict(data)) if data else program
    tracer = poutine.trace(model)
    with PROCESS_STATE:
        _call(role, tracer.get_trace, *args, _source=program, **kwargs)
    sites = _sample_sites(tracer.trace)
    reject_plates(role, sites)
    return sites


def plate_advice(role: str, site: str, plate: str, size: int | None) -> str:
    """The one-line message for ``site`` sampled inside ``pyro.plate(plate)``.

    SME gives the batch dimensions to the action (−3), the configurations (−2) and the Θ
    points (−1), which a plate would claim too; a latent vector is one site with an event
    dimension, and an observed site is one outcome per action.
    """
    n = size if size is not None else "N"
    return (f"{role} site {site!r} is sampled inside pyro.plate({plate!r}); scenario programs "
            "cannot use plates (SME's batch dimensions are the action, configurations and Θ "
            f"points): make a latent vector one site, e.g. dist.Uniform(lo, hi).expand((*lo.shape,"
            f" {n})).to_event(1), and sample one outcome per observed site")


def reject_plates(role: str, sites: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`ProgramError` naming the first site sampled inside a ``pyro.plate``."""
    for name, site in sites.items():
        for frame in site.get("cond_indep_stack", ()):
            if getattr(frame, "vectorized", False):
                raise ProgramError(plate_advice(role, name, frame.name, frame.size))


@contextlib.contextmanager
def quiet_validation() -> Iterator[None]:
    """Grid points sit on closed support edges; support checks are done explicitly instead."""
    with pyro.validation_enabled(False):
        yield


@contextlib.contextmanager
def _seeded(seed: int, device: torch.device) -> Iterator[None]:
    devices = [device] if device.type == "cuda" else []
    with PROCESS_STATE, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class _Layout:
    """Where actions, configurations and points live in the tensors handed to programs."""

    action: torch.Tensor

    def target(self, points: int) -> tuple[int, ...]:
        """The batch shape every observed site must broadcast to."""
        raise NotImplementedError

    def param(self, value: Any) -> Any:
        raise NotImplementedError

    def latent(self, value: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def prior_shape(self, target: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of the latent prior density: the target without the action dimension."""
        raise NotImplementedError


@dataclass(frozen=True)
class _Batched(_Layout):
    """Action ``(A, 1, 1)``, parameters ``(1, B, 1)``, latents ``(1, B, N, *event)``."""

    batch: int = 1

    def target(self, points: int) -> tuple[int, ...]:
        return (self.action.shape[0], self.batch, points)

    def param(self, value: Any) -> Any:
        return value.reshape(1, -1, 1) if isinstance(value, torch.Tensor) else value

    def latent(self, value: torch.Tensor) -> torch.Tensor:
        return value.unsqueeze(0)

    def prior_shape(self, target: tuple[int, ...]) -> tuple[int, ...]:
        return (1, *target[1:])


@dataclass(frozen=True)
class _Single(_Layout):
    """One configuration and one action: scalars, latents ``(N, *event)``."""

    def target(self, points: int) -> tuple[int, ...]:
        return (points,)

    def param(self, value: Any) -> Any:
        return value.reshape(()) if isinstance(value, torch.Tensor) else value

    def latent(self, value: torch.Tensor) -> torch.Tensor:
        return value[0]

    def prior_shape(self, target: tuple[int, ...]) -> tuple[int, ...]:
        return target


# --------------------------------------------------------------------------- checks


def all_finite(values: torch.Tensor) -> bool:
    """Whether every value is finite: a finite sum shows it at once (an infinite or NaN
    value makes the sum infinite or NaN); otherwise (overflow, or a value that is not
    finite) the values are checked one by one."""
    return bool(torch.isfinite(values.sum())) or bool(torch.isfinite(values).all())


def has_nan(values: torch.Tensor) -> bool:
    """Whether some value is NaN: a sum that is not NaN shows there is none; otherwise
    (``+∞`` beside ``−∞``, or a NaN) the values are checked one by one."""
    return bool(torch.isnan(values.sum())) and bool(torch.isnan(values).any())


# --------------------------------------------------------------------------- per-site maths


def _support_mask(fn: torch.distributions.Distribution, value: torch.Tensor) -> torch.Tensor:
    ok = fn.support.check(value)
    return ok


def _impossible(fn: torch.distributions.Distribution, value: torch.Tensor) -> torch.Tensor | None:
    """Where a discrete distribution gives ``value`` probability exactly zero.

    torch clamps probabilities away from 0 and 1 before taking logarithms, so
    ``Bernoulli(0).log_prob(1)`` is about −16 rather than −∞; an outcome the model cannot
    produce must give an infinite KL, so the zeros are found from the probabilities."""
    D = torch.distributions
    if isinstance(fn, D.Bernoulli):
        return torch.where(value > 0, fn.probs == 0, fn.probs == 1)
    if isinstance(fn, D.Binomial):
        return ((fn.probs == 0) & (value > 0)) | ((fn.probs == 1) & (value < fn.total_count))
    if isinstance(fn, D.Categorical) and not isinstance(fn, D.OneHotCategorical):
        index = value.long().clamp(0, fn.probs.shape[-1] - 1).unsqueeze(-1)
        probs = fn.probs.expand(*torch.broadcast_shapes(value.shape, fn.batch_shape),
                                fn.probs.shape[-1])
        index = index.expand(*probs.shape[:-1], 1)
        return torch.gather(probs, -1, index).squeeze(-1) == 0
    if isinstance(fn, D.Geometric):
        return (fn.probs == 1) & (value > 0)
    return None


def _log_prob(fn: torch.distributions.Distribution, value: torch.Tensor) -> torch.Tensor:
    """``fn.log_prob(value)`` with ``-inf`` outside the support (validation is off) and
    where a discrete probability is exactly zero.  Integer outcomes (a world's
    ``Categorical``) are given the dtype of a belief whose ``log_prob`` needs floats."""
    try:
        lp = fn.log_prob(value)
    except RuntimeError:
        if value.is_floating_point():
            raise
        value = value.to(_dtype({"fn": fn}))
        lp = fn.log_prob(value)
    impossible = ~_support_mask(fn, value)
    zero = _impossible(fn, value)
    if zero is not None:
        impossible = impossible | zero
    return torch.where(impossible, torch.full_like(lp, -math.inf), lp)


def _align(values: torch.Tensor, fn: torch.distributions.Distribution,
           target: tuple[int, ...]) -> torch.Tensor:
    """Give values shaped ``(K, *fn.batch_shape, *event)`` exactly ``len(target)`` batch
    dimensions, so that ``K`` stays a leading dimension whatever ``fn``'s batch shape."""
    missing = len(target) - len(fn.batch_shape)
    if missing <= 0:
        return values
    return values.reshape(values.shape[0], *([1] * missing), *values.shape[1:])


def _enumerate(fn: torch.distributions.Distribution, target: tuple[int, ...]
               ) -> torch.Tensor | None:
    if not fn.has_enumerate_support:
        return None
    try:
        return _align(fn.enumerate_support(expand=False), fn, target)
    except (NotImplementedError, RuntimeError, ValueError):
        return None


def site_kl(
    site: str,
    world_fn: torch.distributions.Distribution,
    belief_fn: torch.distributions.Distribution,
    target: tuple[int, ...],
    resolution: Resolution,
    seed: int,
) -> tuple[torch.Tensor, str]:
    """``KL(world_fn ‖ belief_fn)`` broadcast to ``target``, and the method used."""
    method = "exact"
    values = _enumerate(world_fn, target) if belief_fn.has_enumerate_support else None
    if values is not None:
        lw = _log_prob(world_fn, values)
        lq = _log_prob(belief_fn, values)
        terms = torch.where(lw == -math.inf, torch.zeros_like(lw + lq),
                            lw.exp() * (lw - lq))
        kl = terms.sum(0)
    else:
        try:
            kl = kl_divergence(world_fn.expand(torch.Size(target)),
                               belief_fn.expand(torch.Size(target)))
            method = "analytic"
        except NotImplementedError:
            draws, method = common_draws(world_fn, resolution.mc_samples, seed)
            draws = _align(draws, world_fn, target)
            lw = _log_prob(world_fn, draws)
            lq = _log_prob(belief_fn, draws)
            kl = (lw - lq).mean(0)
    kl = torch.broadcast_to(kl, target)
    if has_nan(kl):
        raise ProgramError(
            f"site {site!r}: the KL divergence is NaN; the world or belief program gives it "
            "invalid distribution parameters"
        )
    return kl.clamp_min(0.0), method


def common_draws(fn: torch.distributions.Distribution, count: int, seed: int
                 ) -> tuple[torch.Tensor, str]:
    """``count`` draws from ``fn`` (shape ``(count, *batch, *event)``) and the method name.

    Where the distribution has an inverse CDF the draws are its values at the stratified
    quantiles ``(k + ½)/count``, in an order permuted by ``seed``: every batch element —
    every Θ point and every configuration — sees the same quantiles (common random numbers),
    so an estimate does not depend on what else is in the batch, and stratification keeps
    its error small.  Otherwise the draws are seeded samples.
    """
    cells = math.prod(fn.batch_shape) * max(1, math.prod(fn.event_shape))
    budget.require(count * cells * budget.BYTES_PER_DRAW, f"--mc-samples {count}",
                   f"{count} Monte Carlo draws × {cells} points and actions")
    device = _device_of(fn)
    dtype = _dtype({"fn": fn})
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(count, generator=generator)
    probs = ((order.to(dtype) + 0.5) / count).to(device)
    shape = (count,) + (1,) * (len(fn.batch_shape) + len(fn.event_shape))
    if not fn.event_shape:
        try:
            draws = fn.icdf(probs.reshape(shape))
            full = (count, *fn.batch_shape)
            if all_finite(draws):
                return torch.broadcast_to(draws, full), f"quantiles({count})"
        except (NotImplementedError, ValueError, RuntimeError):
            pass
    with _seeded(seed, device):
        draws = fn.rsample((count,)) if fn.has_rsample else fn.sample((count,))
    return draws, f"monte-carlo({count})"


def _device_of(fn: torch.distributions.Distribution) -> torch.device:
    for value in vars(fn).values():
        if isinstance(value, torch.Tensor):
            return value.device
    return torch.device("cpu")


def expected_payoff(
    payoff: Callable[..., Any],
    action: torch.Tensor,
    belief_fns: Mapping[str, torch.distributions.Distribution],
    reward: Mapping[str, Any],
    target: tuple[int, ...],
    resolution: Resolution,
    seed: int,
) -> tuple[torch.Tensor, str]:
    """``E_{Q_θ(·|a)} π(a, y)`` broadcast to ``target``, and the method used.

    Finite discrete sites are enumerated exactly, each on its own leading dimension.  When no
    site is discrete and the payoff is affine in the outcomes (checked numerically on seeded
    draws), the payoff of the mean is exact.  Otherwise the remaining sites share one leading
    dimension of draws from :func:`common_draws` (the same quantiles at every point, each
    site in its own seeded order, so independent sites are not coupled).
    """
    names = list(belief_fns)
    enumerated = {n: _enumerate(fn, target) for n, fn in belief_fns.items()}
    discrete = [n for n in names if enumerated[n] is not None]
    sampled = [n for n in names if enumerated[n] is None]
    lead = len(discrete) + (1 if sampled else 0)

    def call(values: Mapping[str, torch.Tensor]) -> torch.Tensor:
        out = _call("payoff", payoff, action, **values, **reward)
        try:
            pay = torch.as_tensor(out, dtype=_dtype(belief_fns), device=action.device)
        except (TypeError, ValueError, RuntimeError):
            raise ProgramError(f"payoff: returned {type(out).__name__} {out!r:.40}; expected "
                               "a number or a tensor of rewards") from None
        shapes = [v.shape for v in values.values() if isinstance(v, torch.Tensor)]
        try:
            torch.broadcast_shapes(pay.shape, action.shape, *shapes)
        except RuntimeError:
            raise ProgramError(
                f"payoff: returned shape {tuple(pay.shape)}; expected one reward per "
                f"outcome (a shape that broadcasts with the outcomes' "
                f"{tuple(torch.broadcast_shapes(action.shape, *shapes))})") from None
        return pay

    if sampled and not discrete:
        means = _finite_means(belief_fns)
        if means is not None and _affine(call, belief_fns, seed):
            u = _broadcast_utility(call(means), target)
            return _checked_utility(u), "affine-mean"
    values: dict[str, torch.Tensor] = {}
    log_w: torch.Tensor | None = None
    for k, name in enumerate(discrete):
        support = enumerated[name]
        assert support is not None
        values[name] = _to_lead(support, k, lead)
        lp = _to_lead(_log_prob(belief_fns[name], support), k, lead)
        log_w = lp if log_w is None else log_w + lp
    method = "exact"
    for k, name in enumerate(sampled):
        draws, method = common_draws(belief_fns[name], resolution.mc_samples, seed + 7 * k)
        values[name] = _to_lead(_align(draws, belief_fns[name], target), lead - 1, lead)
    pay = call(values)
    if log_w is not None:
        pay = torch.where(log_w == -math.inf, torch.zeros_like(pay), pay) * log_w.exp()
    try:
        pay = torch.broadcast_to(pay, torch.broadcast_shapes(pay.shape, (1,) * lead + target))
    except RuntimeError:
        raise ProgramError(f"payoff: returned shape {tuple(pay.shape)}; expected one reward "
                           f"per outcome, action and point {target}") from None
    if sampled:
        pay = pay.mean(dim=lead - 1)
    u = pay.reshape(-1, *target).sum(0)
    return _checked_utility(u), method


def _to_lead(t: torch.Tensor, position: int, lead: int) -> torch.Tensor:
    """Move dim 0 of ``t`` to leading position ``position`` of ``lead`` leading dims."""
    shape = [1] * lead
    shape[position] = t.shape[0]
    return t.reshape(*shape, *t.shape[1:])


def _dtype(fns: Mapping[str, torch.distributions.Distribution]) -> torch.dtype:
    for fn in fns.values():
        for value in vars(fn).values():
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                return value.dtype
    return torch.get_default_dtype()


def _finite_means(
    fns: Mapping[str, torch.distributions.Distribution],
) -> dict[str, torch.Tensor] | None:
    try:
        means = {n: fn.mean for n, fn in fns.items()}
    except NotImplementedError:
        return None
    if all(all_finite(m) for m in means.values()):
        return means
    return None


def _affine(
    call: Callable[[Mapping[str, torch.Tensor]], torch.Tensor],
    fns: Mapping[str, torch.distributions.Distribution],
    seed: int,
) -> bool:
    """Numerical check that the payoff is affine in the outcomes: at a few points of every
    configuration, midpoints and extrapolations of two outcomes (the mean, and the mean
    plus a seeded standard-deviation-sized step) must map to the midpoints and
    extrapolations of their payoffs."""
    generator = torch.Generator().manual_seed(seed)
    y1, y2 = {}, {}
    for name, fn in fns.items():
        try:
            mean, spread = fn.mean, fn.stddev
        except NotImplementedError:
            return False
        if fn.batch_shape:  # a few points of the last batch dimension suffice
            last = len(fn.batch_shape) - 1
            keep = min(4, mean.shape[last])
            mean, spread = mean.narrow(last, 0, keep), spread.narrow(last, 0, keep)
        step = torch.randn(mean.shape, generator=generator, dtype=mean.dtype).to(mean.device)
        y1[name] = mean
        y2[name] = mean + step * torch.where(torch.isfinite(spread), spread,
                                             torch.ones_like(spread))
    mid = {n: 0.5 * (y1[n] + y2[n]) for n in y1}
    ext = {n: 2.0 * y1[n] - y2[n] for n in y1}
    try:
        p1, p2, pm, pe = call(y1), call(y2), call(mid), call(ext)
    except ProgramError:
        return False
    scale = 1.0 + p1.abs() + p2.abs()
    ok_mid = ((pm - 0.5 * (p1 + p2)).abs() <= 1e-9 * scale).all()
    ok_ext = ((pe - (2.0 * p1 - p2)).abs() <= 1e-9 * (scale + pe.abs())).all()
    return bool(ok_mid & ok_ext)


def _broadcast_utility(u: torch.Tensor, target: tuple[int, ...]) -> torch.Tensor:
    """``u`` broadcast to ``target``; a payoff of another shape is the user's error."""
    try:
        return torch.broadcast_to(u, target)
    except RuntimeError:
        raise ProgramError(f"payoff: returned shape {tuple(u.shape)}; expected one reward "
                           f"per action and point {target}") from None


def _checked_utility(u: torch.Tensor) -> torch.Tensor:
    if not all_finite(u):
        raise ProgramError("payoff: the expected payoff is not finite (NaN or infinite)")
    return u


# --------------------------------------------------------------------------- compilation


def _discover(
    programs: Programs, layout: _Layout, prior: Values, batch: int,
    resolution: Resolution, dtype: torch.dtype, device: torch.device,
) -> tuple[dict[str, tuple[torch.Size, list[AxisRange]]], dict[str, dict[str, Any]]]:
    """Trace the belief program once; return its latent sites' ranges and all its sites."""
    params = {k: layout.param(v) for k, v in prior.items()}
    sites = trace_program("belief", programs.belief, layout.action, **params)
    missing = [name for name in programs.observed if name not in sites]
    if missing:
        raise ProgramError(
            f"belief program never samples observed site {missing[0]!r} "
            f"(its sample sites: {', '.join(sites) or 'none'})"
        )
    ranges: dict[str, tuple[torch.Size, list[AxisRange]]] = {}
    for name, site in sites.items():
        if name in programs.observed:
            continue
        if site["is_observed"]:
            raise ProgramError(
                f"belief site {name!r} has obs= set; list it in observed or drop obs="
            )
        fn = site["fn"]
        ranges[name] = (fn.event_shape, axis_ranges(
            name, fn, batch, resolution.tail, 4096, dtype, device))
    if not ranges:
        raise ProgramError("belief program samples no latent site: nothing for the agent to learn")
    return ranges, sites


@dataclass
class _Traced:
    """Both programs traced at the Θ points of one layout."""

    points: Any  # priors.grid.Points
    ranges: dict[str, tuple[torch.Size, list[AxisRange]]]
    target: tuple[int, ...]
    world_sites: dict[str, dict[str, Any]]
    belief_sites: dict[str, dict[str, Any]]
    #: the belief was traced for one configuration and is broadcast over the batch
    shared: bool = False


def _same_in_every_row(values: Values) -> bool:
    """Whether every tensor of ``values`` (``(B,)`` each) holds one value in every row."""
    return all(not isinstance(v, torch.Tensor) or v.numel() <= 1
               or bool(((v == v[0]) & (torch.signbit(v) == torch.signbit(v[0]))).all())
               for v in values.values())


def _trace_models(
    programs: Programs, layout: _Layout, prior: Values, world: Values, batch: int,
    resolution: Resolution, dtype: torch.dtype, device: torch.device, share: bool = False,
) -> _Traced:
    """Cover the prior with points, then trace the world and the belief pinned to them.

    When every configuration of a batched layout has the same prior values (an objective
    risk sweep: only the world changes), the prior is covered and the belief traced for one
    configuration and broadcast over the batch: the points, the belief's laws and
    everything computed from them alone are the same in every configuration (``share``;
    :attr:`_Traced.shared` says whether it was done)."""
    shared = (share and isinstance(layout, _Batched) and batch > 1
              and _same_in_every_row(prior))
    own = _Batched(layout.action, 1) if shared else layout
    own_prior, own_batch = (_slice(prior, 0, 1), 1) if shared else (prior, batch)
    ranges, _ = _discover(programs, own, own_prior, own_batch, resolution, dtype, device)
    n = point_count(ranges, resolution.points, resolution.max_points, resolution.per_dimension)
    actions = programs.n_actions if isinstance(layout, _Batched) else 1
    budget.require(n * actions * batch * budget.BYTES_PER_POINT_ACTION,
                   f"--points {resolution.points_text}", f"{n} Θ points × {actions} actions")
    pts = build_points(ranges, own_batch, resolution.points, resolution.max_points, dtype,
                       device, resolution.per_dimension)
    target = layout.target(pts.log_volume.shape[1])
    world_sites = trace_program(
        "world", programs.world, layout.action, **{k: layout.param(v) for k, v in world.items()})
    for name in programs.observed:
        if name not in world_sites:
            raise ProgramError(
                f"world program never samples observed site {name!r} "
                f"(its sample sites: {', '.join(world_sites) or 'none'})"
            )
    extra = [n for n in world_sites if n not in programs.observed]
    if extra:
        raise ProgramError(
            f"world program samples {extra[0]!r}, which is not an observed site; the world "
            "must give the law of the observed sites directly"
        )
    pinned = {name: own.latent(value) for name, value in pts.values.items()}
    # pin the observed sites to the world's draws too: only their distributions are needed
    pinned.update({name: world_sites[name]["value"] for name in programs.observed})
    params = {k: own.param(v) for k, v in own_prior.items()}
    belief_sites = trace_program("belief", programs.belief, own.action, data=pinned, **params)
    if shared:  # the configurations' points: views of the one configuration's
        pts = Points({k: v.expand(batch, *v.shape[1:]) for k, v in pts.values.items()},
                     pts.log_volume.expand(batch, -1))
    return _Traced(pts, ranges, target, world_sites, belief_sites, shared)


@dataclass
class ObservationModels:
    """The observed sites' laws for a batch, as distributions (for learning dynamics).

    ``world[site]`` has batch shape broadcastable to ``(A, B, 1)`` and ``belief[site]`` to
    ``(A, B, N)``; ``points`` and ``log_weights`` are as in :class:`ModelTensors`.
    """

    world: dict[str, torch.distributions.Distribution]
    belief: dict[str, torch.distributions.Distribution]
    points: dict[str, torch.Tensor]
    log_weights: torch.Tensor  # (B, N)


def observation_models(
    programs: Programs, prior: Values, world: Values, batch: int,
    resolution: Resolution = Resolution(), device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
) -> ObservationModels:
    """Trace the programs once for ``batch`` configurations (broadcasting programs only)."""
    device = torch.device(device)
    prior_t = _as_tensor_values(prior, batch, dtype, device)
    world_t = _as_tensor_values(world, batch, dtype, device)
    action = torch.arange(programs.n_actions, device=device).reshape(-1, 1, 1)
    layout = _Batched(action, batch)
    with quiet_validation(), torch.no_grad():
        traced = _trace_models(programs, layout, prior_t, world_t, batch, resolution, dtype,
                               device)
        log_prior = _latent_log_prob(traced.belief_sites, traced.ranges,
                                     layout.prior_shape(traced.target))
    for name in programs.observed:
        shape = traced.belief_sites[name]["fn"].batch_shape
        try:
            ok = torch.broadcast_shapes(shape, traced.target) == traced.target
        except RuntimeError:
            ok = False
        if not ok:
            raise ProgramError(
                f"site {name!r}: learning dynamics need programs that broadcast over a batch "
                f"(batch shape {tuple(shape)}, expected {traced.target})")
    return ObservationModels(
        world={n: traced.world_sites[n]["fn"] for n in programs.observed},
        belief={n: traced.belief_sites[n]["fn"] for n in programs.observed},
        points=traced.points.values,
        log_weights=_normalise(log_prior + traced.points.log_volume),
    )


def _evaluate(
    programs: Programs, layout: _Layout, prior: Values, world: Values, reward: Values,
    batch: int, resolution: Resolution, dtype: torch.dtype, device: torch.device,
) -> ModelTensors:
    """Compile one layout; K and U come out shaped ``layout.target(N)``.

    A batch whose configurations share their prior values traces the belief once
    (:func:`_trace_models`) when every observed site's belief law is finite and discrete:
    its KLs and payoffs are then exact sums over the outcomes, the same numbers as for a
    belief traced at every configuration.  Otherwise (payoffs from draws, whose stream
    depends on the shapes) the belief is traced at every configuration."""
    traced = _trace_models(programs, layout, prior, world, batch, resolution, dtype, device,
                           share=True)
    if traced.shared and any(_enumerate(traced.belief_sites[name]["fn"], traced.target) is None
                             for name in programs.observed):
        traced = _trace_models(programs, layout, prior, world, batch, resolution, dtype,
                               device)
    pts, ranges, target = traced.points, traced.ranges, traced.target
    world_sites, belief_sites = traced.world_sites, traced.belief_sites
    kl: torch.Tensor | None = None
    methods: dict[str, str] = {}
    belief_fns = {}
    for index, name in enumerate(programs.observed):
        wfn, bfn = world_sites[name]["fn"], belief_sites[name]["fn"]
        try:
            shape = torch.broadcast_shapes(wfn.batch_shape, bfn.batch_shape, target)
        except RuntimeError:
            shape = None
        if shape != target:
            raise _NotBroadcasting(
                f"site {name!r} has batch shapes {tuple(wfn.batch_shape)} (world) and "
                f"{tuple(bfn.batch_shape)} (belief), expected {target}"
            )
        try:
            site_value, methods[name] = site_kl(
                name, wfn, bfn, target, resolution, resolution.seed + index)
        except (ProgramError, GridError):
            raise
        except (RuntimeError, ValueError, TypeError) as exc:
            first_line = (str(exc).strip().splitlines() or [""])[0]
            raise ProgramError(
                f"site {name!r}: cannot compare the world's {type(wfn).__name__} with the "
                f"belief's {type(bfn).__name__}: {first_line}") from exc
        kl = site_value.to(dtype) if kl is None else kl + site_value.to(dtype)
        belief_fns[name] = bfn
    if kl is None:  # no observed site: every point fits equally
        kl = torch.zeros(target, dtype=dtype, device=device)
    reward_params = {k: layout.param(v) for k, v in reward.items()}
    utility, methods["payoff"] = expected_payoff(
        programs.payoff, layout.action, belief_fns, reward_params, target, resolution,
        resolution.seed + 1000)
    log_prior = _latent_log_prob(belief_sites, ranges, layout.prior_shape(target))
    volume = pts.log_volume if isinstance(layout, _Batched) else pts.log_volume[0]
    truncated = {site: [(axis.truncated_low, axis.truncated_high) for axis in axes]
                 for site, (_, axes) in ranges.items()}
    return ModelTensors(kl, utility.to(dtype), log_prior + volume, pts.values, methods,
                        truncated=truncated)


class _NotBroadcasting(ValueError):
    pass


def _edge_log_prob(fn: torch.distributions.Distribution, value: torch.Tensor) -> torch.Tensor:
    """``fn.log_prob(value)``, except that at a closed edge of the support where torch's
    density is ``−∞`` (``Uniform`` at ``high``) the density just inside the edge is used:
    the edge points belong to the support and carry their share of prior mass."""
    lp = fn.log_prob(value)
    if fn.has_enumerate_support or not anything(lp == -math.inf):
        return lp
    try:
        centre = fn.mean
    except NotImplementedError:
        return lp
    last = lp.dim() - 1  # the points' dimension
    if (last >= 0 and tuple(value.shape[:lp.dim()]) == tuple(lp.shape)
            and (not fn.batch_shape or fn.batch_shape[-1] == 1)):
        # the parameters do not vary along the points: repair only the columns with an edge
        edge = any_along((lp == -math.inf).reshape(-1, lp.shape[-1]), dim=0)
        columns = torch.nonzero(edge).flatten()
        part = value.index_select(last, columns)
        inner = fn.log_prob(part + 1e-9 * (centre - part))
        old = lp.index_select(last, columns)
        at_edge = (old == -math.inf) & torch.isfinite(inner) & fn.support.check(part)
        return lp.index_copy(last, columns, torch.where(at_edge, inner, old))
    inside = value + 1e-9 * (centre - value)
    inner = fn.log_prob(inside)
    at_edge = (lp == -math.inf) & torch.isfinite(inner) & fn.support.check(value)
    return torch.where(at_edge, inner, lp)


def _latent_log_prob(
    sites: dict[str, dict[str, Any]], latents: Mapping[str, Any], shape: tuple[int, ...]
) -> torch.Tensor:
    """Joint prior log density of the pinned points, shaped ``shape`` then squeezed of the
    leading action dimension; ``+inf`` densities at support edges are capped, NaN → ``-inf``."""
    total: torch.Tensor | None = None
    for name in latents:
        site = sites[name]
        lp = _edge_log_prob(site["fn"], site["value"])
        total = lp if total is None else total + lp
    assert total is not None
    try:
        lp_all = torch.broadcast_to(total, shape)
    except RuntimeError as exc:
        raise ProgramError(
            f"the latent prior has batch shape {tuple(total.shape)}; a prior must not depend "
            "on the action"
        ) from exc
    if len(shape) == 3:
        lp_all = lp_all[0]
    if everything(lp_all < math.inf):  # no NaN and no +∞: nothing to repair
        return lp_all
    lp_all = torch.where(torch.isnan(lp_all), torch.full_like(lp_all, -math.inf), lp_all)
    finite = torch.isfinite(lp_all)
    cap = lp_all[finite].max() + 50.0 if bool(finite.any()) else torch.zeros((), dtype=lp_all.dtype)
    return torch.where(lp_all == math.inf, cap, lp_all)


def _normalise(log_w: torch.Tensor) -> torch.Tensor:
    norm = torch.logsumexp(log_w, dim=-1, keepdim=True)
    if all_finite(norm):  # every configuration has prior mass somewhere
        return log_w - norm
    flat = torch.full_like(log_w, -math.log(log_w.shape[-1]))
    return torch.where(torch.isfinite(norm), log_w - norm, flat)


def _as_tensor_values(values: Values, batch: int, dtype: torch.dtype,
                      device: torch.device) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, torch.Tensor):
            out[k] = v.to(dtype=dtype, device=device).reshape(batch)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[k] = torch.full((batch,), float(v), dtype=dtype, device=device)
        else:
            out[k] = v
    return out


def compile_models(
    programs: Programs,
    prior: Values,
    world: Values,
    reward: Values,
    batch: int,
    resolution: Resolution = Resolution(),
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
    memory_budget: int = 1 << 29,
    pass_rows: int | None = None,
) -> ModelTensors:
    """Compile ``batch`` configurations; numeric values are ``(batch,)`` tensors or scalars.

    Configurations are processed in chunks so that the largest intermediate tensor stays
    within ``memory_budget`` bytes (sized by :func:`rows_per_compile` from a first
    configuration compiled alone, unless ``pass_rows`` gives the chunk size already).
    Falls back to a per-configuration evaluation (with a :class:`SlowPathWarning`) when a
    program does not broadcast.

    Raises:
        ProgramError: a program raised, misses a site, or a KL/payoff is NaN.
        GridError: a latent prior cannot be covered by points.
    """
    device = torch.device(device)
    prior_t = _as_tensor_values(prior, batch, dtype, device)
    world_t = _as_tensor_values(world, batch, dtype, device)
    reward_t = _as_tensor_values(reward, batch, dtype, device)
    with quiet_validation(), torch.no_grad(), budget.memory_budget(memory_budget):
        if pass_rows is None:
            first, reason = _compile_chunk(programs, prior_t, world_t, reward_t, 0, 1,
                                           resolution, dtype, device)
            _, n, a = first.shape
            chunk = rows_per_compile(n, a, first.methods, resolution, dtype, memory_budget)
            parts, start = [first], 1
        else:
            chunk, parts, start, reason = max(1, pass_rows), [], 0, None
        while start < batch:
            stop = min(batch, start + chunk)
            part, why = _compile_chunk(programs, prior_t, world_t, reward_t, start, stop,
                                       resolution, dtype, device, slow=reason is not None)
            reason = reason or why
            parts.append(part)
            start = stop
    if reason is not None:
        warnings.warn(
            f"the programs do not broadcast over a batch ({reason}); evaluated one "
            "configuration and action at a time (slower)",
            SlowPathWarning, stacklevel=2,
        )
    return _concat(parts)


def rows_per_compile(points: int, actions: int, methods: Mapping[str, str],
                     resolution: Resolution, dtype: torch.dtype, memory_budget: int) -> int:
    """Configurations compiled together so that the largest intermediate tensor stays
    within ``memory_budget`` bytes, given a configuration's Θ points, actions and how its
    sites are integrated (``methods``: draws cost ``mc_samples`` values per cell)."""
    sampled = any(m.startswith(("monte", "quantiles")) for m in methods.values())
    factor = resolution.mc_samples if sampled else 16
    per_config = max(1, points * actions * factor * (torch.finfo(dtype).bits // 8) * 4)
    return max(1, memory_budget // per_config)


def _slice(values: Mapping[str, Any], start: int, stop: int) -> dict[str, Any]:
    return {k: v[start:stop] if isinstance(v, torch.Tensor) else v for k, v in values.items()}


def _compile_chunk(
    programs: Programs, prior: Values, world: Values, reward: Values, start: int, stop: int,
    resolution: Resolution, dtype: torch.dtype, device: torch.device, slow: bool = False,
) -> tuple[ModelTensors, str | None]:
    """One chunk, batched when the programs allow it; returns the tensors and, when the
    per-configuration path was taken, why."""
    p, w, r = _slice(prior, start, stop), _slice(world, start, stop), _slice(reward, start, stop)
    size = stop - start
    reason = "the programs did not broadcast on an earlier chunk" if slow else None
    if not slow:
        action = torch.arange(programs.n_actions, device=device).reshape(-1, 1, 1)
        try:
            out = _evaluate(programs, _Batched(action, size), p, w, r, size, resolution,
                            dtype, device)
        except GridError:
            raise
        except (ProgramError, _NotBroadcasting) as exc:
            reason = str(exc)
        else:
            out.kl = out.kl.permute(1, 2, 0).contiguous()
            out.utility = out.utility.permute(1, 2, 0).contiguous()
            out.log_weights = _normalise(out.log_weights)
            return out, None
    try:
        return _per_configuration(programs, p, w, r, size, resolution, dtype, device), reason
    except _NotBroadcasting as inner:
        raise ProgramError(f"a program does not produce one value per point: {inner}") \
            from inner


def _per_configuration(
    programs: Programs, prior: Values, world: Values, reward: Values, size: int,
    resolution: Resolution, dtype: torch.dtype, device: torch.device,
) -> ModelTensors:
    """Evaluate configuration by configuration and action by action (the slow path)."""
    results: list[ModelTensors] = []
    for b in range(size):
        p, w, r = _slice(prior, b, b + 1), _slice(world, b, b + 1), _slice(reward, b, b + 1)
        per_action = [
            _evaluate(programs, _Single(torch.tensor(a, device=device)), p, w, r, 1,
                      resolution, dtype, device)
            for a in range(programs.n_actions)
        ]
        first = per_action[0]
        results.append(ModelTensors(
            kl=torch.stack([m.kl for m in per_action], dim=-1).unsqueeze(0),
            utility=torch.stack([m.utility for m in per_action], dim=-1).unsqueeze(0),
            log_weights=_normalise(first.log_weights.reshape(1, -1)),
            points=first.points,
            methods=first.methods,
            batched=False,
            truncated=first.truncated,
        ))
    return _concat(results)


def _concat(parts: list[ModelTensors]) -> ModelTensors:
    if len(parts) == 1:
        return parts[0]
    return ModelTensors(
        kl=torch.cat([p.kl for p in parts]),
        utility=torch.cat([p.utility for p in parts]),
        log_weights=torch.cat([p.log_weights for p in parts]),
        points={k: torch.cat([p.points[k] for p in parts]) for k in parts[0].points},
        methods=parts[0].methods,
        batched=all(p.batched for p in parts),
        truncated=parts[0].truncated,
    )
