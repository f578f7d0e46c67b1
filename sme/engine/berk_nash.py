"""Berk–Nash rationalizability on compiled tensors, batched over configurations.

Notation (DESIGN.md; Esponda & Pouzo, *Berk–Nash equilibrium*, Econometrica 2016, and
*Berk–Nash rationalizability*, arXiv 2505.20708): ``K[b, i, a]`` is the KL divergence of the
model at point ``θ_i`` from the truth after action ``a`` and ``U[b, i, a]`` the subjective
expected payoff; ``b`` indexes configurations.

* ``Θ(σ) = argmin_i Σ_a σ_a K[i, a]`` (with ``0 · ∞ = 0``; when every point is infinitely
  far, every point is a minimiser);
* ``Γ(A') = {a : ∃σ ∈ Δ(A'), ∃μ ∈ Δ(Θ(σ)), a ∈ argmax_b Σ_i μ_i U[i, b]}``;
* the Berk–Nash rationalizable set is the largest ``A'`` with ``A' ⊆ Γ(A')``, the limit of
  ``A_0 = A``, ``A_{k+1} = Γ(A_k)`` (a decreasing sequence, so at most ``|A|`` steps).

**Ties.**  ``i ∈ Θ(σ)`` when its weighted KL is within ``kl_atol + kl_rtol · m`` of the
minimum, ``m`` the largest per-action minimal KL of the configuration; an action is optimal at
a point when its payoff is within ``utility_rtol · max |U|`` of the best (relative, so scaling
payoffs never changes an answer).

**Exactness.**  ``Γ`` is exact on the given points for any number of actions.  For two
actions the set of points that minimise ``(1−p)K_0 + pK_1`` for some ``p`` is the lower
envelope of the KL lines (:mod:`sme.engine.envelope`), and a point-mass belief is as general as any
mixture.  With three or more actions a belief spread over tied points can make an action
optimal that is optimal at none of them (:mod:`sme.engine.mixed_beliefs`).  Batched passes first
settle what they can: an action is *in* ``Γ`` when it is optimal under some belief on a
tie set met at a pure action, at a breakpoint of a pair's envelope or at a node of a
simplex grid (each a real ``Θ(σ)``), and *out* when it is optimal under no belief over the
points that no other point beats on every action of ``A'`` (a superset of every
``Θ(σ)``).  The configurations with actions left open get the exact step: every ``Θ(σ)``
is contained in the tie set at a vertex of the envelope over ``Δ(A')``
(:mod:`sme.engine.tie_sets`), so an open action is in ``Γ`` iff some belief on one of those tie
sets makes it optimal (a linear program, :func:`sme.engine.mixed_beliefs.optimal_by_lp`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from priors.reductions import any_along, anything
from sme.engine.envelope import (
    compact,
    envelope_breakpoints,
    envelope_intervals,
    envelope_points,
    undominated,
)
from sme.engine.mixed_beliefs import optimal_on_members, optimal_on_some, optimal_under_mixtures
from sme.engine.tie_sets import vertex_tie_sets

Tensor = torch.Tensor

__all__ = [
    "GammaOperator",
    "Tolerance",
    "best_fit",
    "envelope_intervals",
    "envelope_points",
    "fitted_points",
    "kl_tolerance",
    "never_fitting",
    "optimal_actions",
    "pure_equilibria",
    "rationalizable_set",
    "simplex_grid",
    "utility_tolerance",
    "weighted_kl",
]


@dataclass(frozen=True)
class Tolerance:
    """Tie tolerances and the resolution of the simplex grid, a shortcut that settles
    interior ties in one batched pass before the exact vertex step (module docstring)."""

    kl_atol: float = 1e-9
    kl_rtol: float = 1e-9
    utility_rtol: float = 1e-9
    simplex_steps: int | None = None  # None: chosen from the number of actions

    def steps(self, k: int) -> int:
        """Grid steps per edge of the simplex of ``k`` actions (``k ≥ 3``)."""
        if self.simplex_steps is not None:
            return self.simplex_steps
        return {3: 4, 4: 2, 5: 2}.get(k, 1)


def least_kl(kl: Tensor, dim: int = 1) -> Tensor:
    """``(B, A)``: the least finite KL of each configuration and action (``+∞`` where no
    point's is finite), the points along ``dim`` (1 for ``(B, N, A)``)."""
    minima = kl.amin(dim=dim)  # the least finite KL when no KL is −∞ or NaN
    if not bool((minima > -math.inf).all()):
        finite = torch.where(torch.isfinite(kl), kl, torch.full_like(kl, math.inf))
        minima = finite.min(dim=dim).values
    return minima


def kl_tolerance(kl: Tensor, tol: Tolerance, minima: Tensor | None = None) -> Tensor:
    """Per-configuration absolute tolerance for KL ties, shape ``(B,)`` (``minima``: the
    :func:`least_kl` of ``kl``, when known)."""
    minima = least_kl(kl) if minima is None else minima
    minima = torch.where(torch.isfinite(minima), minima, torch.zeros_like(minima))
    return tol.kl_atol + tol.kl_rtol * minima.abs().max(dim=1).values


def utility_tolerance(utility: Tensor, tol: Tolerance) -> Tensor:
    """Per-configuration absolute tolerance for payoff ties, shape ``(B,)``."""
    scale = utility.flatten(1).abs().amax(dim=1)  # the largest |U| of each configuration
    return tol.utility_rtol * scale + torch.finfo(utility.dtype).tiny


def optimal_actions(utility: Tensor, utol: Tensor, dim: int = -1) -> Tensor:
    """``(B, N, A)``: action ``a`` is optimal for a belief concentrated on point ``i``
    (the actions along ``dim``: ``1`` for ``utility`` laid out ``(B, A, N)``)."""
    best = utility.amax(dim=dim, keepdim=True)
    return utility >= best - utol.reshape(-1, 1, 1)


def weighted_kl(kl: Tensor, sigma: Tensor) -> Tensor:
    """``Σ_a σ_a K[b, i, a]`` with ``0 · ∞ = 0``; ``sigma`` is ``(A,)``, ``(B, A)`` or
    ``(B, S, A)`` and the result ``(B, N)`` or ``(B, S, N)``."""
    if sigma.dim() == 1:
        sigma = sigma.unsqueeze(0).expand(kl.shape[0], -1)
    played = sigma > 0
    if sigma.dim() == 2:
        terms = torch.where(played.unsqueeze(1), kl * sigma.unsqueeze(1), torch.zeros_like(kl))
        return terms.sum(-1)
    terms = torch.where(played.unsqueeze(2), kl.unsqueeze(1) * sigma.unsqueeze(2),
                        torch.zeros((), dtype=kl.dtype, device=kl.device))
    return terms.sum(-1)


def best_fit(loss: Tensor, ktol: Tensor) -> Tensor:
    """Mask of the minimisers of ``loss`` (last dimension) within ``ktol``; all points when
    every value is infinite."""
    low = loss.amin(dim=-1, keepdim=True)
    shape = (-1,) + (1,) * (loss.dim() - 1)
    mask = loss <= low + ktol.reshape(shape)
    everywhere = torch.isinf(low)
    return mask | everywhere.expand_as(mask) if bool(everywhere.any()) else mask


def fitted_points(kl: Tensor, sigma: Tensor, ktol: Tensor) -> Tensor:
    """``Θ(σ)`` as a mask ``(B, N)`` (or ``(B, S, N)`` for a stack of mixtures)."""
    return best_fit(weighted_kl(kl, sigma), ktol)


def _pair_points(kl: Tensor, a: int, b: int, ktol: Tensor) -> Tensor:
    """Points that minimise the weighted KL for some mixture of ``a`` and ``b``."""
    return envelope_points(kl[:, :, a], kl[:, :, b], ktol)


def simplex_grid(k: int, steps: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """All mixtures of ``k`` actions with coordinates in ``{0, 1/steps, …, 1}``: ``(S, k)``."""
    rows = [c for c in itertools.product(range(steps + 1), repeat=k - 1) if sum(c) <= steps]
    grid = torch.tensor([[*list(c), steps - sum(c)] for c in rows], dtype=dtype, device=device)
    return grid / steps


class GammaOperator:
    """``Γ`` for a batch of compiled models, with the pieces it reuses cached.

    Args:
        kl, utility: ``(B, N, A)`` tensors.
        tol: tie tolerances.
    """

    def __init__(self, kl: Tensor, utility: Tensor, tol: Tolerance = Tolerance()) -> None:
        self.kl, self.utility, self.tol = kl, utility, tol
        #: ``(B, A, N)`` copies, so that reductions over the points run along memory
        self.kl_by_action = kl.transpose(1, 2).contiguous()
        self.least_kl = least_kl(self.kl_by_action, dim=2)  # (B, A)
        self.ktol = kl_tolerance(kl, tol, self.least_kl)
        self.utol = utility_tolerance(utility, tol)
        self.optimal_by_action = optimal_actions(utility.transpose(1, 2).contiguous(),
                                                 self.utol, dim=1)  # (B, A, N)
        self.optimal = self.optimal_by_action.transpose(1, 2).contiguous()  # (B, N, A)
        self.n_actions = kl.shape[-1]
        self._pure: Tensor | None = None
        self._pairs: dict[tuple[int, int], Tensor] = {}
        self._breakpoints: dict[tuple[int, int], tuple[Tensor, Tensor]] = {}

    @classmethod
    def joined(cls, parts: Sequence[GammaOperator], rows: Tensor | None = None
               ) -> GammaOperator:
        """One operator over the configurations of ``parts`` in turn (then taken in the
        order ``rows``, when given), from their tolerances and best responses as they are:
        nothing is computed again."""
        def join(tensors: list[Tensor]) -> Tensor:
            out = tensors[0] if len(tensors) == 1 else torch.cat(tensors)
            return out if rows is None else out[rows]

        first = parts[0]
        out = cls.__new__(cls)
        out.kl, out.utility = join([p.kl for p in parts]), join([p.utility for p in parts])
        out.tol, out.n_actions = first.tol, first.n_actions
        out.ktol, out.utol = join([p.ktol for p in parts]), join([p.utol for p in parts])
        out.least_kl = join([p.least_kl for p in parts])
        out.optimal = join([p.optimal for p in parts])
        out.kl_by_action = join([p.kl_by_action for p in parts])
        out.optimal_by_action = join([p.optimal_by_action for p in parts])
        pure = [p._pure for p in parts]
        out._pure = join(pure) if all(x is not None for x in pure) else None  # type: ignore[misc]
        out._pairs, out._breakpoints = {}, {}
        return out

    def responses(self, points: Tensor) -> Tensor:
        """Actions optimal at some point of the mask ``points`` ``(B, N)`` → ``(B, A)``."""
        return any_along(self.optimal_by_action & points.unsqueeze(1))

    def pure_fits(self) -> Tensor:
        """``(B, A, N)``: ``Θ(δ_a)`` for every action ``a``."""
        if self._pure is None:  # Θ(δ_a): the minimisers of K[:, a] alone
            self._pure = best_fit(self.kl_by_action, self.ktol)
        return self._pure

    def pair_fits(self, a: int, b: int) -> Tensor:
        """``(B, N)``: points in ``Θ(σ)`` for some mixture ``σ`` of ``a`` and ``b``."""
        key = (min(a, b), max(a, b))
        if key not in self._pairs:
            self._pairs[key] = _pair_points(self.kl, key[0], key[1], self.ktol)
        return self._pairs[key]

    def of_subset(self, subset: tuple[int, ...], rows: Tensor) -> Tensor:
        """``Γ(subset)`` for the configurations ``rows`` (a boolean ``(B,)`` mask) → ``(b, A)``."""
        every = bool(rows.all())
        pure = self.pure_fits() if every else self.pure_fits()[rows]
        if len(subset) < self.n_actions:
            pure = pure[:, list(subset), :]  # Θ(δ_a), a in the subset
        fits = any_along(pure, dim=1)
        if self.n_actions == 2 and len(subset) == 2:
            return self._of_pair(rows, fits, every)
        for a, b in itertools.combinations(subset, 2):
            fits = fits | self.pair_fits(a, b)[rows]
        tie_sets = [pure]
        if len(subset) >= 3:
            grid = simplex_grid(len(subset), self.tol.steps(len(subset)), self.kl.dtype,
                                self.kl.device)
            sigma = torch.zeros(grid.shape[0], self.n_actions, dtype=grid.dtype,
                                device=grid.device)
            sigma[:, list(subset)] = grid
            kl = self.kl[rows]
            sig = sigma.unsqueeze(0).expand(kl.shape[0], -1, -1)
            grid_fits = fitted_points(kl, sig, self.ktol[rows])  # (b, S, N)
            fits = fits | any_along(grid_fits, dim=1)
            tie_sets.append(grid_fits)
        responses = any_along(self.optimal_by_action[rows] & fits.unsqueeze(1))
        if self.n_actions <= 2:  # a point-mass belief is as general as any: done
            return responses
        return self._beyond_points(subset, rows, responses, torch.cat(tie_sets, dim=1))

    def _of_pair(self, rows: Tensor, pure: Tensor, every: bool) -> Tensor:
        """``Γ(A)`` for two actions ``A = {0, 1}``: the actions optimal at some point of
        the envelope of the KL lines (a point-mass belief is as general as any).  The
        points of ``Θ(δ_0)`` and ``Θ(δ_1)`` (``pure``, ``(b, N)``) are in ``Θ(σ)`` at the
        envelope's ends, so where the actions optimal there are already both actions,
        ``Γ(A) = A`` without the envelope.  Every envelope point is *undominated* (no
        point beats it by more than the tolerance on both actions), so where the missing
        action is optimal at no undominated point it is out, again without the envelope
        (unless no point has both KLs finite: the envelope is then every point).  The
        envelope is computed for the remaining rows only.  ``every``: ``rows`` are all
        the rows."""
        optimal = self.optimal_by_action if every else self.optimal_by_action[rows]
        responses = any_along(optimal & pure.unsqueeze(1))
        undecided = torch.nonzero(~responses.all(dim=1)).flatten()
        if undecided.numel() == 0:
            return responses
        picked = torch.nonzero(rows).flatten()[undecided]
        kl, ktol = self.kl_by_action[picked], self.ktol[picked]
        candidates = undominated(kl[:, 0], kl[:, 1], ktol)
        open_optimal = optimal[undecided] & ~responses[undecided].unsqueeze(-1)
        need = any_along(any_along(open_optimal & candidates.unsqueeze(1)), dim=1)
        need |= ~any_along(candidates)
        if not anything(need):
            return responses
        undecided, kl, ktol = undecided[need], kl[need], ktol[need]
        on = envelope_points(kl[:, 0], kl[:, 1], ktol)
        fits = pure[undecided] | on
        responses[undecided] = any_along(optimal[undecided] & fits.unsqueeze(1))
        return responses

    def _beyond_points(self, subset: tuple[int, ...], rows: Tensor, responses: Tensor,
                       tie_sets: Tensor) -> Tensor:
        """Decide the actions optimal at no fitting point met so far (module docstring),
        cheapest first: beliefs over the two points tied at each breakpoint of a pair's
        envelope (closed form); ruling out those no belief over the never-beaten points
        makes optimal; beliefs over the tie sets already met; then the exact vertex step."""
        utility, utol, optimal = self.utility[rows], self.utol[rows], self.optimal[rows]
        open_actions = ~responses
        for a, b in itertools.combinations(subset, 2):
            if not bool(open_actions.any()):
                return responses
            pairs, valid = self.breakpoint_pairs(a, b)
            mixed = optimal_on_members(utility, pairs[rows], valid[rows], utol, optimal,
                                       only=open_actions)
            responses = responses | (mixed.any(dim=1) & open_actions)
            open_actions = open_actions & ~responses
        if not bool(open_actions.any()):
            return responses
        candidates = ~never_fitting(self.kl[rows][:, :, list(subset)], self.ktol[rows],
                                    rivals=tie_sets.any(dim=1))
        possible = optimal_under_mixtures(utility, candidates.unsqueeze(1), utol, optimal,
                                          only=open_actions)[:, 0]
        open_actions = open_actions & possible
        if not bool(open_actions.any()):
            return responses
        mixed = optimal_under_mixtures(utility, tie_sets, utol, optimal, only=open_actions)
        responses = responses | (mixed.any(dim=1) & open_actions)
        return self._settle_open(subset, rows, responses, open_actions & ~responses)

    def _settle_open(self, subset: tuple[int, ...], rows: Tensor, responses: Tensor,
                     open_actions: Tensor) -> Tensor:
        """The exact step: each open action against the tie sets at the vertices of the
        envelope over ``Δ(subset)`` (:mod:`sme.engine.tie_sets`), one configuration at a time."""
        picked = torch.nonzero(rows).flatten()
        result = responses.clone()
        for r in torch.nonzero(open_actions.any(dim=1)).flatten().tolist():
            row = int(picked[r])
            kl = self.kl[row][:, list(subset)].detach().cpu().double().numpy()
            sets = torch.as_tensor(vertex_tie_sets(kl, float(self.ktol[row])),
                                   device=self.kl.device)
            for action in torch.nonzero(open_actions[r]).flatten().tolist():
                if optimal_on_some(self.utility[row], sets, action, float(self.utol[row]),
                                   self.optimal[row]):
                    result[r, action] = True
        return result

    def breakpoint_pairs(self, a: int, b: int) -> tuple[Tensor, Tensor]:
        """``(B, H, 2)`` point pairs tied where the envelope of the KL lines of ``a`` and
        ``b`` passes from one point to the next, and their validity ``(B, H, 2)``."""
        key = (min(a, b), max(a, b))
        if key not in self._breakpoints:
            _, pairs, valid = envelope_breakpoints(self.kl[:, :, key[0]], self.kl[:, :, key[1]],
                                                   self.ktol)
            self._breakpoints[key] = (pairs, valid.unsqueeze(-1).expand_as(pairs))
        return self._breakpoints[key]

    def __call__(self, subsets: Tensor, rows: Tensor | None = None) -> Tensor:
        """``Γ`` applied row-wise to the action masks ``subsets`` ``(B, A)`` — or, given
        the boolean mask ``rows`` ``(B,)``, to ``subsets`` ``(b, A)`` of those rows only."""
        out = torch.zeros_like(subsets)
        picked = None if rows is None else torch.nonzero(rows).flatten()
        if subsets.shape[1] < 63:  # each subset as one integer: a one-dimensional unique
            bits = 2 ** torch.arange(subsets.shape[1], device=subsets.device)
            codes = (subsets.long() * bits).sum(dim=1)
            keys = [(codes == code, (bits & code) != 0) for code in torch.unique(codes)]
        else:
            keys = [((subsets == key).all(dim=1), key) for key in torch.unique(subsets, dim=0)]
        for match, key in keys:
            subset = tuple(int(a) for a in torch.nonzero(key).flatten())
            if not subset:
                continue
            if picked is None:
                chosen = match
            else:
                chosen = torch.zeros_like(rows)
                chosen[picked[match]] = True
            out[match] = self.of_subset(subset, chosen)
        return out


def never_fitting(kl: Tensor, ktol: Tensor, rivals: Tensor | None = None) -> Tensor:
    """``(B, N)``: points ``i`` beaten by some rival point ``j`` by more than ``ktol`` on
    every action (``K[j, a] < K[i, a] − ktol`` for all ``a``; a finite KL beats ``+∞``).
    Such a point is in no ``Θ(σ)``: ``Σ_a σ_a K[j, a] < Σ_a σ_a K[i, a] − ktol`` for every
    ``σ``.  ``rivals`` ``(B, N)`` limits the ``j`` tried (default: every point); any choice
    gives a correct answer, fewer rivals only find fewer beaten points.

    Only the rivals that no other rival weakly dominates are tried (a rival ``j'`` with
    ``K[j', a] ≤ K[j, a]`` for all ``a`` beats every point that ``j`` beats), strongest
    first (least total KL) in growing blocks, and a point leaves the search once beaten.
    Neither step changes the answer, only its cost: ``O(R² |A|)`` for ``R`` rivals per
    configuration, and ``O(N R' |A|)`` at most for the ``R'`` rivals kept."""
    rows, points, actions = kl.shape
    if rivals is None:
        rivals = torch.ones(kl.shape[:2], dtype=torch.bool, device=kl.device)
    index, valid, _ = compact(rivals)
    rival_kl = torch.gather(kl, 1, index.unsqueeze(-1).expand(-1, -1, actions))
    inf = torch.full((), math.inf, dtype=kl.dtype, device=kl.device)
    # a padding column is no rival: +∞ everywhere beats nothing
    rival_kl = torch.where(valid.unsqueeze(-1), rival_kl, inf)
    strength = rival_kl.sum(dim=-1)  # (B, R); KLs are in [0, +∞]
    order = torch.argsort(strength, dim=1, stable=True)
    rival_kl = torch.gather(rival_kl, 1, order.unsqueeze(-1).expand(-1, -1, actions))
    _, _, (rival_kl,) = _undominated_rivals(rival_kl)
    threshold = kl - ktol.reshape(-1, 1, 1)  # (B, N, A); ∞ stays ∞
    width = rival_kl.shape[1]
    start = min(width, _NEVER_FITTING_DENSE)
    beaten = torch.zeros(rows, points, dtype=torch.bool, device=kl.device)
    for r in range(start):  # the strongest rivals against every point: most fall here
        below = rival_kl[:, r:r + 1] < threshold
        beaten |= below.view(torch.uint8).amin(dim=-1).bool()
    beaten = beaten.reshape(rows * points)
    threshold = threshold.reshape(rows * points, actions)
    pending = torch.nonzero(~beaten).flatten()
    owner = pending // points  # each pending point's configuration
    block = 1
    while start < width and pending.numel() > 0:
        block = max(1, min(block, width - start, _NEVER_FITTING_CELLS // pending.numel()))
        tried = rival_kl[owner, start:start + block]  # (P, block, A)
        below = tried < threshold[pending].unsqueeze(1)
        hit = below.view(torch.uint8).amin(dim=-1).amax(dim=-1).bool()  # some rival, all a
        beaten[pending[hit]] = True
        pending, owner = pending[~hit], owner[~hit]
        start += block
        block *= 2
    return beaten.reshape(rows, points)


#: (point, rival) pairs compared at once by :func:`never_fitting`
_NEVER_FITTING_CELLS = 1 << 18
#: rivals that :func:`never_fitting` tries against every point before it follows only the
#: points not yet beaten
_NEVER_FITTING_DENSE = 2


def _undominated_rivals(rival_kl: Tensor) -> tuple[Tensor, Tensor, list[Tensor]]:
    """Rivals ``(B, R, A)`` (strongest first) with those that another rival weakly
    dominates left out, moved to the front of each row (the rest are ``+∞``), and those
    with an infinite KL left out (they beat nothing).  Of rivals with equal KLs the first
    is kept.  Each rival left out is dominated by one kept (dominance, with ties broken by
    the order, is a strict partial order: its minimal elements dominate the rest), so no
    beaten point is lost.  The strongest few rivals prune the others first, then the
    survivors are compared pairwise."""
    width = rival_kl.shape[1]
    head = min(width, 16)
    positions = torch.arange(width, device=rival_kl.device)
    kept = torch.isfinite(rival_kl).all(dim=-1) & ~_dominated(
        rival_kl, rival_kl[:, :head], positions, positions[:head])
    index, valid, _ = compact(kept)
    rival_kl = _picked(rival_kl, index, valid)
    kept = valid & ~_dominated(rival_kl, rival_kl, index, index)
    index, valid, _ = compact(kept)
    return index, valid, [_picked(rival_kl, index, valid)]


def _picked(values: Tensor, index: Tensor, valid: Tensor) -> Tensor:
    """The rows ``values[b, index[b]]`` ``(B, W, A)``, ``+∞`` where not ``valid``."""
    out = torch.gather(values, 1, index.unsqueeze(-1).expand(-1, -1, values.shape[-1]))
    return torch.where(valid.unsqueeze(-1), out, torch.full((), math.inf, dtype=out.dtype,
                                                               device=out.device))


def _dominated(kl: Tensor, by: Tensor, place: Tensor, by_place: Tensor) -> Tensor:
    """``(B, R)``: rival ``j`` of ``kl`` ``(B, R, A)`` is weakly dominated by some rival
    ``j'`` of ``by`` ``(B, H, A)``: ``K[j'] ≤ K[j]`` everywhere and, where they are equal,
    ``j'`` comes first (``place`` ``(R,)`` or ``(B, R)``, ``by_place`` likewise: the
    rivals' positions in one common order)."""
    rows, width, actions = kl.shape
    out = torch.zeros(rows, width, dtype=torch.bool, device=kl.device)
    step = max(1, _NEVER_FITTING_CELLS * 16 // max(1, width * by.shape[1] * actions))
    place = place.expand(rows, -1) if place.dim() == 1 else place
    by_place = by_place.expand(rows, -1) if by_place.dim() == 1 else by_place
    for begin in range(0, rows, step):
        end = begin + step
        this, other = kl[begin:end].unsqueeze(2), by[begin:end].unsqueeze(1)  # [b, j, j', a]
        weakly = (other <= this).view(torch.uint8).amin(dim=-1).bool()
        equal = (other == this).view(torch.uint8).amin(dim=-1).bool()
        first = by_place[begin:end].unsqueeze(1) < place[begin:end].unsqueeze(2)
        out[begin:end] = any_along(weakly & (~equal | first), dim=-1)
    return out


def rationalizable_set(gamma: GammaOperator) -> Tensor:
    """The Berk–Nash rationalizable set ``(B, A)`` by iterating ``A_{k+1} = Γ(A_k)``."""
    current = torch.ones(gamma.kl.shape[0], gamma.n_actions, dtype=torch.bool,
                         device=gamma.kl.device)
    active = torch.ones(gamma.kl.shape[0], dtype=torch.bool, device=gamma.kl.device)
    for _ in range(gamma.n_actions + 1):  # a row that did not change has converged
        sets = current[active]
        nxt = gamma(sets, active) & sets
        changed = (nxt != sets).any(dim=1)
        if not bool(changed.any()):
            return current
        current[active] = nxt
        still = torch.zeros_like(active)
        still[active] = changed
        active = still
    return current


def pure_equilibria(gamma: GammaOperator) -> Tensor:
    """``(B, A)``: ``a`` is a pure Berk–Nash equilibrium iff it is optimal for some belief
    supported on ``Θ(δ_a)`` (a self-confirming resting point)."""
    fits = gamma.pure_fits()  # (B, A, N): row a is Θ(δ_a)
    if gamma.n_actions <= 2:  # a point-mass belief is as general as any
        return any_along(fits & gamma.optimal_by_action)
    responses = optimal_under_mixtures(gamma.utility, fits, gamma.utol, gamma.optimal)
    return torch.diagonal(responses, dim1=1, dim2=2)
