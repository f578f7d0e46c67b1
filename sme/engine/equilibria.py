"""Mixed Berk–Nash equilibria (Esponda & Pouzo, Econometrica 2016, Def. 1): pairs of actions
here, supports of three or more actions in :mod:`sme.engine.wide_equilibria` (every maximal
region of them, with its corners).

A mixture ``σ`` is a Berk–Nash equilibrium when some belief ``μ ∈ Δ(Θ(σ))`` makes every
action in ``supp σ`` optimal.  For ``σ = (1 − p) δ_a + p δ_c`` the set ``Θ(σ)`` changes only
at the breakpoints of the lower envelope of the KL lines (:func:`sme.engine.envelope.
envelope_intervals`), so the candidates are those breakpoints and the interiors of the
intervals (a point at which ``a`` and ``c`` are indifferent, or points with the same KLs
on both actions on either side of indifference, hold there).  A candidate is an
equilibrium when ``Θ(p)`` holds points on both sides of indifference; ``μ`` then mixes the
two nearest to indifference.

On a grid of Θ points an equilibrium of the continuous model shows up at a breakpoint between
neighbouring points; its probability is refined by interpolating between the centres of the
two points' intervals (where the continuous best fit passes through each point), and the
interval between those centres is reported as the resolution.  Mixtures within
``PURE_MARGIN`` of a pure action are not reported (they arise from tie tolerances).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

from priors.reductions import any_along, anything
from sme.engine.berk_nash import GammaOperator, best_fit
from sme.engine.envelope import envelope_intervals, envelope_points, half_line_bounds
from sme.engine.mixed_equilibrium import MixedEquilibrium
from sme.engine.wide_equilibria import least_shortfall, wide_equilibria

#: mixtures putting less than this on an action are taken as pure (tie-tolerance artefacts)
PURE_MARGIN = 1e-6


@dataclass
class _Candidate:
    p: float
    low: float
    high: float
    members: frozenset[int]
    belief: tuple[tuple[int, float], ...]
    exact_zero: bool


def mixed_equilibria(gamma: GammaOperator, row: int, actions: list[int] | None = None
                     ) -> list[MixedEquilibrium]:
    """Mixed equilibria of every support size (two actions first), for configuration ``row``.

    ``actions`` restricts the pairs considered (the rationalizable set is enough: every
    equilibrium's support lies in it).
    """
    pool = list(range(gamma.n_actions)) if actions is None else sorted(actions)
    found: list[MixedEquilibrium] = []
    for a, c in itertools.combinations(pool, 2):
        found.extend(_pair(gamma, row, a, c))
    for size in range(3, len(pool) + 1):
        for support in itertools.combinations(pool, size):
            found.extend(wide_equilibria(gamma, row, support))
    return found


def _pair(gamma: GammaOperator, row: int, a: int, c: int) -> list[MixedEquilibrium]:
    """The mixed equilibria of configuration ``row`` with support ``{a, c}`` (module
    docstring): one candidate per probe ``p``, built from the points that fit there."""
    kl = gamma.kl[row]
    ktol = gamma.ktol[row : row + 1]
    k0, k1 = kl[:, a], kl[:, c]
    on, lo, hi = (t[0] for t in envelope_intervals(k0[None], k1[None], ktol))
    if not bool(on.any()):
        return []
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    # each breakpoint, and inside each interval (where Θ(p) is constant)
    ends, mids = hi[on], ((lo + hi) / 2)[on]
    probes = torch.unique(torch.cat([ends[(ends > 0.0) & (ends < 1.0)], mids]))
    probes = probes[(probes > 0.0) & (probes < 1.0)].tolist()  # ascending
    if not probes:
        return []
    # interval ends carry the tie slack; twice the tolerance keeps both neighbours
    members, met = _fitting(k0, k1, finite, ktol, probes)
    pair = _Pair.of(gamma, row, (a, c), lo, hi, members, met & ~on)
    candidates = [pair.candidate(p, chosen) for p, chosen in zip(probes, members, strict=True)]
    return _merge([cand for cand in candidates if cand is not None], a, c)


#: most entries of one ``(probes, points)`` loss block in :func:`_fitting`
FIT_BLOCK = 1 << 20

#: a member set whose least shortfall (in units of its largest payoff) exceeds the payoff
#: tolerance by more than this settles every subset without a linear program; far above
#: the solver's own tolerance (about 1e-7)
SHORTFALL_MARGIN = 1e-5


def _fitting(k0: torch.Tensor, k1: torch.Tensor, finite: torch.Tensor, ktol: torch.Tensor,
             probes: list[float]) -> tuple[list[list[int]], torch.Tensor]:
    """For every mixture ``p`` of ``probes``, the points (ascending) with both KLs finite
    that minimise ``(1 − p) K_0 + p K_1`` within ``2 ktol``
    (:func:`sme.engine.berk_nash.best_fit`); and the mask ``(N,)`` of the points met so.

    Only points within ``2 ktol`` of the envelope (plus a margin for rounding) can be among
    them, and those include the least loss at every ``p`` (:func:`sme.engine.envelope.
    envelope_points`), so the losses are measured on them alone: ``O(P · n)`` for ``n`` such
    points instead of ``O(P · N)``, with the same floating-point values."""
    scale = torch.where(finite, torch.maximum(k0.abs(), k1.abs()), torch.zeros_like(k0))
    margin = 64 * torch.finfo(k0.dtype).eps * float(scale.max())
    near = envelope_points(k0[None], k1[None], 4 * ktol + margin)[0] & finite
    columns = torch.nonzero(near).flatten()
    n0, n1 = k0[columns], k1[columns]
    p = torch.tensor(probes, dtype=torch.float64, device=k0.device).unsqueeze(1)
    found: list[list[int]] = []
    met = torch.zeros_like(near)
    block = max(FIT_BLOCK // max(columns.numel(), 1), 1)
    for start in range(0, len(probes), block):
        q = p[start : start + block]
        loss = (1 - q).to(k0.dtype) * n0 + q.to(k0.dtype) * n1  # as (1 − p) K_0 + p K_1
        fits = best_fit(loss, (2 * ktol).expand(loss.shape[0]))
        met[columns] |= any_along(fits, dim=0)
        rows, cols = torch.nonzero(fits, as_tuple=True)
        counts = torch.bincount(rows, minlength=loss.shape[0]).tolist()
        points = columns[cols].tolist()
        at = 0
        for count in counts:
            found.append(points[at : at + count])
            at += count
    return found, met


@dataclass(frozen=True)
class _Belief:
    """The belief found on one member set: ``simple`` (a point where the pair is
    indifferent, or the two points nearest to indifference on either side, mixed) with the
    interpolation data, or one from the linear program with its range ``[low, high]``."""

    belief: tuple[tuple[int, float], ...]
    exact: bool = False
    simple: bool = True
    ends: tuple[int, ...] = ()  # the simple belief's points: (i,) or (i, j)
    lam: float = 0.0
    low: float = 0.0
    high: float = 1.0


@dataclass
class _Pair:
    """One pair of one configuration, as plain arrays: the interval ends of every point it
    may meet, the payoff differences, and the belief of every member set met so far."""

    gamma: GammaOperator
    row: int
    pair: tuple[int, int]
    lo: np.ndarray
    hi: np.ndarray
    mid: np.ndarray
    diff: np.ndarray  # U[:, c] − U[:, a]
    kl: np.ndarray  # (n, 2): the KLs of the pair at the points with both finite
    beliefs: dict[tuple[int, ...], _Belief | None]

    @classmethod
    def of(cls, gamma: GammaOperator, row: int, pair: tuple[int, int], lo: torch.Tensor,
           hi: torch.Tensor, members: list[list[int]], off: torch.Tensor) -> _Pair:
        """Interval ends from :func:`envelope_intervals` for the points on the envelope;
        the members ``off`` it (a mask) get the bounds of their half-lines
        (:func:`half_line_bounds`), as the pairwise computation gives every point.  Every
        member set's belief is found here, the linear programs largest set first
        (:meth:`_solve_all`)."""
        lo, hi = lo.clone(), hi.clone()
        kl = gamma.kl[row]
        if anything(off):
            index = torch.nonzero(off).flatten()
            low, high = half_line_bounds(kl[None, :, pair[0]], kl[None, :, pair[1]],
                                         gamma.ktol[row : row + 1], index[None])
            lo[index], hi[index] = low[0], high[0]

        def plain(t: torch.Tensor) -> np.ndarray:
            return t.detach().cpu().double().numpy()

        utility = gamma.utility[row]
        both = plain(kl[:, list(pair)])
        out = cls(gamma, row, pair, plain(lo), plain(hi), plain((lo + hi) / 2),
                  plain(utility[:, pair[1]] - utility[:, pair[0]]),
                  both[np.isfinite(both).all(axis=1)], {})
        out._solve_all(members)
        return out

    def candidate(self, p: float, members: list[int]) -> _Candidate | None:
        """The candidate at ``p`` on the points ``members`` that fit there, if a belief on
        them makes the pair indifferent and unbeaten.

        Between two points on opposite sides of indifference the probability is refined
        only when both points win an interval strictly inside ``(0, 1)``: then they are
        neighbours on a chain of best fits and the continuous best fit passes through each
        near the centre of its interval.  A point whose interval reaches 0 or 1 is no such
        neighbour, and the breakpoint itself is reported."""
        found = self.beliefs[tuple(members)]
        if found is None:
            return None
        chosen = frozenset(members)
        if not found.simple:
            return _Candidate(p, min(found.low, p), max(found.high, p), chosen, found.belief,
                              False)
        if found.exact:
            i = found.ends[0]
            return _Candidate(min(max(float(self.mid[i]), 0.0), 1.0), p, p, chosen,
                              found.belief, True)
        i, j = found.ends
        mi, mj = float(self.mid[i]), float(self.mid[j])
        interior = all(bool(self.lo[k] > 0.0) and bool(self.hi[k] < 1.0) for k in (i, j))
        p_ref = mi + found.lam * (mj - mi) if interior else p
        return _Candidate(min(max(p_ref, 0.0), 1.0), min(mi, mj, p), max(mi, mj, p), chosen,
                          found.belief, False)

    def _solve_all(self, members: list[list[int]]) -> None:
        """The belief of every distinct member set: the simple one where it is unbeaten
        (:meth:`_simple`, :meth:`_beaten`), else the linear program's
        (:func:`sme.engine.wide_equilibria.least_shortfall`), largest sets first; a set
        inside one whose least shortfall exceeds the tolerance by more than
        :data:`SHORTFALL_MARGIN` has none either (a belief on the subset is one on the set),
        so its program is not solved."""
        simple: dict[tuple[int, ...], _Belief] = {}
        for chosen in members:
            key = tuple(chosen)
            if key not in self.beliefs:
                self.beliefs[key] = found = self._simple(chosen)
                if found is not None:
                    simple[key] = found
        beaten = self._beaten([found.belief for found in simple.values()])
        unsettled = [key for key, out in zip(simple, beaten, strict=True) if out]
        hopeless: list[frozenset[int]] = []
        utol = float(self.gamma.utol[self.row])
        for key in sorted(unsettled, key=len, reverse=True):
            points = frozenset(key)
            if any(points <= larger for larger in hopeless):
                self.beliefs[key] = None
                continue
            self.beliefs[key], shortfall, scale = self._by_lp(list(key), utol)
            if shortfall > utol / scale + SHORTFALL_MARGIN:
                hopeless.append(points)

    def _simple(self, members: list[int]) -> _Belief | None:
        """The point-mass or two-point belief of :meth:`candidate` (a point where the pair
        is indifferent, the first such; else the nearest points to indifference on either
        side, mixed to make it); ``None`` when the members are all on one side."""
        utol = float(self.gamma.utol[self.row])
        values = self.diff[members]
        zero = np.abs(values) <= utol
        below, above = values < -utol, values > utol
        if zero.any():
            i = members[int(np.argmax(zero))]
            return _Belief(((i, 1.0),), exact=True, ends=(i,))
        if below.any() and above.any():
            i = members[int(np.argmax(np.where(below, values, -np.inf)))]
            j = members[int(np.argmin(np.where(above, values, np.inf)))]
            vi, vj = float(self.diff[i]), float(self.diff[j])
            lam = -vi / (vj - vi)
            return _Belief(((i, 1.0 - lam), (j, lam)), ends=(i, j), lam=lam)
        return None

    def _beaten(self, beliefs: list[tuple[tuple[int, float], ...]]) -> list[bool]:
        """For each belief of one or two points, whether another action's expected payoff
        exceeds the pair's first action's by more than the payoff tolerance, all at once.
        A comparison within rounding of the tolerance is made again as the pairwise path
        made it (``weights @ U`` over all points), so every answer is the same."""
        if not beliefs:
            return []
        utility = self.gamma.utility[self.row]
        plain = utility.detach().cpu().double().numpy()
        index = np.array([[b[0][0], b[-1][0]] for b in beliefs])
        weights = np.array([[b[0][1], b[-1][1] if len(b) == 2 else 0.0] for b in beliefs])
        expected = (weights[:, :, None] * plain[index]).sum(axis=1)  # (S, A)
        utol = float(self.gamma.utol[self.row])
        excess = expected - expected[:, self.pair[0] : self.pair[0] + 1] - utol
        rounding = 64 * torch.finfo(utility.dtype).eps * max(float(np.abs(plain).max()),
                                                              np.finfo(float).tiny)
        answers = (excess > 0).any(axis=1)
        for s in np.flatnonzero((np.abs(excess) <= rounding).any(axis=1)).tolist():
            vector = torch.zeros(utility.shape[0], dtype=utility.dtype, device=utility.device)
            for i, w in beliefs[s]:
                vector[i] = w
            exact = vector @ utility
            answers[s] = bool((exact > exact[self.pair[0]] + utol).any())
        return answers.tolist()

    def _by_lp(self, members: list[int], utol: float) -> tuple[_Belief | None, float, float]:
        """The linear program's belief on ``members`` (when it passes), with its range: the
        mixtures of the pair at which every point of the belief still fits (all of them
        equilibria, supported by the same belief); and the program's least shortfall and
        scale."""
        gamma, row, pair = self.gamma, self.row, self.pair
        utility = gamma.utility[row][members].detach().cpu().double().numpy()
        mu, shortfall, scale = least_shortfall(utility, list(pair), utol)
        if mu is None:
            return None, shortfall, scale
        used = [i for i in range(len(members)) if mu[i] > 1e-12]
        belief = tuple((members[i], float(mu[i])) for i in used)
        own = gamma.kl[row][[members[i] for i in used]][:, list(pair)]
        low, high = 0.0, 1.0
        ktol = float(gamma.ktol[row])
        for d in own.detach().cpu().double().numpy()[:, None, :] - self.kl[None]:
            # (1 − q) d_0 + q d_1 ≤ ktol against every finite point, for q in [0, 1]
            slope, start = d[:, 1] - d[:, 0], d[:, 0] - ktol
            rising, falling = slope > 0, slope < 0
            if rising.any():
                high = min(high, float((-start[rising] / slope[rising]).min()))
            if falling.any():
                low = max(low, float((-start[falling] / slope[falling]).max()))
        return _Belief(belief, simple=False, low=low, high=high), shortfall, scale


def _merge(candidates: list[_Candidate], a: int, c: int) -> list[MixedEquilibrium]:
    groups: list[list[_Candidate]] = []
    for cand in candidates:
        if groups and groups[-1][-1].members & cand.members:
            groups[-1].append(cand)
        else:
            groups.append([cand])
    result = []
    for group in groups:
        if not any(PURE_MARGIN < g.p < 1.0 - PURE_MARGIN for g in group):
            continue  # numerically pure: reported as a pure equilibrium, if it is one
        zeros = [g for g in group if g.exact_zero]
        chosen = zeros if zeros else group
        p = sum(g.p for g in chosen) / len(chosen)
        low = min(min(g.low, g.p) for g in group)
        high = max(max(g.high, g.p) for g in group)
        best = min(chosen, key=lambda g: abs(g.p - p))
        result.append(MixedEquilibrium((a, c), p, (low, high), best.belief))
    return result
