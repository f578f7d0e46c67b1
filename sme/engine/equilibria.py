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

from sme.engine.berk_nash import GammaOperator, best_fit
from sme.engine.envelope import envelope_intervals
from sme.engine.mixed_equilibrium import MixedEquilibrium
from sme.engine.wide_equilibria import indifferent_belief, wide_equilibria

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
    kl, utility = gamma.kl[row], gamma.utility[row]
    ktol, utol = gamma.ktol[row : row + 1], float(gamma.utol[row])
    k0, k1 = kl[:, a], kl[:, c]
    on, lo, hi = (t[0] for t in envelope_intervals(k0[None], k1[None], ktol))
    if not bool(on.any()):
        return []
    diff = utility[:, c] - utility[:, a]
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    mid = (lo + hi) / 2
    index = torch.nonzero(on).flatten().tolist()
    order = sorted(index, key=lambda i: (float(lo[i]), float(hi[i])))
    probes: list[float] = []
    for i in order:  # each breakpoint, and inside each interval (where Θ(p) is constant)
        if 0.0 < float(hi[i]) < 1.0:
            probes.append(float(hi[i]))
        probes.append(float(mid[i]))
    candidates: list[_Candidate] = []
    for p in sorted(set(probes)):
        if not 0.0 < p < 1.0:
            continue
        loss = torch.where(finite, (1 - p) * k0 + p * k1, torch.full_like(k0, float("inf")))
        # interval ends carry the tie slack; twice the tolerance keeps both neighbours
        members = torch.nonzero(best_fit(loss[None], 2 * ktol)[0] & finite).flatten().tolist()
        cand = _support(gamma, row, (a, c), p, members, diff, utol, lo, hi)
        if cand is not None:
            candidates.append(cand)
    return _merge(candidates, a, c)


def _support(gamma: GammaOperator, row: int, pair: tuple[int, int], p: float,
             members: list[int], diff: torch.Tensor, utol: float, lo: torch.Tensor,
             hi: torch.Tensor) -> _Candidate | None:
    """The belief that makes the pair indifferent on ``Θ(p)``, if one exists and no other
    action beats them under it.  When the belief chosen below is beaten, a linear program
    over all of ``Θ(p)`` (:func:`sme.engine.wide_equilibria.indifferent_belief`) decides, so an
    equilibrium that needs a third point to hold the other actions off is not lost.

    Between two points on opposite sides of indifference the probability is refined only
    when both points win an interval strictly inside ``(0, 1)``: then they are neighbours on
    a chain of best fits and the continuous best fit passes through each near the centre of
    its interval.  A point whose interval reaches 0 or 1 is no such neighbour, and the
    breakpoint itself is reported."""
    a = pair[0]
    mid = (lo + hi) / 2
    values = {i: float(diff[i]) for i in members}
    zero = [i for i, d in values.items() if abs(d) <= utol]
    below = [i for i, d in values.items() if d < -utol]
    above = [i for i, d in values.items() if d > utol]
    if zero:
        i = zero[0]
        belief: tuple[tuple[int, float], ...] = ((i, 1.0),)
        p_ref, low, high, exact = float(mid[i]), p, p, True
    elif below and above:
        i = max(below, key=lambda k: values[k])
        j = min(above, key=lambda k: values[k])
        lam = -values[i] / (values[j] - values[i])
        belief = ((i, 1.0 - lam), (j, lam))
        mi, mj = float(mid[i]), float(mid[j])
        interior = all(float(lo[k]) > 0.0 and float(hi[k]) < 1.0 for k in (i, j))
        p_ref = mi + lam * (mj - mi) if interior else p
        low, high, exact = min(mi, mj, p), max(mi, mj, p), False
    else:
        return None
    utility = gamma.utility[row]
    weights = torch.zeros(utility.shape[0], dtype=utility.dtype, device=utility.device)
    for i, w in belief:
        weights[i] = w
    expected = weights @ utility
    if bool((expected > expected[a] + utol).any()):
        return _belief_by_lp(gamma, row, pair, p, members)
    return _Candidate(min(max(p_ref, 0.0), 1.0), low, high, frozenset(members), belief, exact)


def _belief_by_lp(gamma: GammaOperator, row: int, pair: tuple[int, int], p: float,
                  members: list[int]) -> _Candidate | None:
    """The candidate at ``p`` with a belief on ``members`` from the linear program, if any;
    its interval is the range of mixtures of the pair at which every point of that belief
    still fits (all of them equilibria, supported by the same belief)."""
    utility = gamma.utility[row].detach().cpu().double().numpy()
    mu = indifferent_belief(utility[members], list(pair), float(gamma.utol[row]))
    if mu is None:
        return None
    used = [i for i in range(len(members)) if mu[i] > 1e-12]
    belief = tuple((members[i], float(mu[i])) for i in used)
    kl = gamma.kl[row][:, list(pair)].detach().cpu().double().numpy()
    kl = kl[np.isfinite(kl).all(axis=1)]
    low, high = 0.0, 1.0
    for i in used:  # (1 − q) d_0 + q d_1 ≤ ktol against every finite point, for q in [0, 1]
        d = gamma.kl[row][members[i], list(pair)].detach().cpu().double().numpy() - kl
        slope, start = d[:, 1] - d[:, 0], d[:, 0] - float(gamma.ktol[row])
        rising, falling = slope > 0, slope < 0
        if rising.any():
            high = min(high, float((-start[rising] / slope[rising]).min()))
        if falling.any():
            low = max(low, float((-start[falling] / slope[falling]).max()))
    return _Candidate(p, min(low, p), max(high, p), frozenset(members), belief, False)


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
