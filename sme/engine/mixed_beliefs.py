"""Actions that are optimal under some belief spread over a set of tied points.

``Γ`` (DESIGN.md; Esponda & Pouzo, *Berk–Nash rationalizability*, arXiv 2505.20708) asks,
for a set ``T = Θ(σ)`` of best-fitting points, which actions ``a`` are optimal for some
belief ``μ ∈ Δ(T)``.  With two actions a point-mass belief is as general as any ``μ``
(if ``a`` beats the other action on average it does so at some point).  With three or more
it is not: a cautious action can be optimal under a 50/50 belief over two points while being
beaten at each point alone.

**Definition used.**  Let ``D[i, c] = U[i, a] − U[i, c]`` for the other actions ``c``.
``a`` is optimal for some ``μ ∈ Δ(T)`` iff ``max_μ min_c Σ_i μ_i D[i, c] ≥ −tol``; by the
minimax theorem this value equals ``min_{τ ∈ Δ(A∖{a})} max_{i ∈ T} Σ_c τ_c D[i, c]``, so
``a`` is *not* optimal under any belief on ``T`` exactly when some mixture ``τ`` of the other
actions beats it at every point of ``T`` (Pearce, *Econometrica* 1984, Lemma 3).

**How it is decided.**

* three actions (``τ = (t, 1 − t)``): ``max_i`` of lines in ``t`` is convex, so bisection on
  the slope of the active line finds its minimum to machine precision — exact;
* four or more: a batched screen settles what it can with certificates (one- and
  two-point tie sets exactly; a belief or a dominating mixture found cheaply otherwise,
  :func:`screen`).  Every case left is decided by the linear program
  ``max_{μ ∈ Δ(T)} min_c Σ_i μ_i D[i, c]`` (HiGHS, :func:`scipy.optimize.linprog`), whose
  solution is checked on the data: its ``μ`` certifies optimality, its dual ``τ``
  certifies domination.  Exact up to the solver's precision; when neither certificate
  clears the tolerance (a value within about ``10⁻⁹`` of the tie threshold) the action is
  kept, erring towards a larger set, never towards a false "safe".
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.optimize import linprog

from sme.engine.envelope import compact

Tensor = torch.Tensor

BISECTION_STEPS = 64  # halvings of [0, 1]: below double precision
HEDGE_STEPS = 60  # multiplicative-weights rounds of the screen (four or more actions)


def optimal_under_mixtures(utility: Tensor, points: Tensor, utol: Tensor,
                           point_optimal: Tensor, only: Tensor | None = None) -> Tensor:
    """``(B, S, A)``: action ``a`` is optimal for some belief ``μ ∈ Δ(points[b, s])``.

    Args:
        utility: ``U`` ``(B, N, A)``.
        points: tie sets as masks ``(B, S, N)``.
        utol: payoff tie tolerance per configuration ``(B,)``.
        point_optimal: ``(B, N, A)``, action optimal for a point-mass belief (within ``utol``).
        only: ``(B, A)``; when given, spread beliefs are tried only for these actions (the
            others are answered for point masses alone).
    """
    # (B, S, A): optimal at some member point; a product of 0/1 matrices counts them exactly
    by_point = torch.bmm(points.to(utility.dtype), point_optimal.to(utility.dtype)) > 0
    if utility.shape[-1] <= 2:
        return by_point
    open_question = ~by_point & (points.sum(dim=-1) >= 2).unsqueeze(-1)
    if only is not None:
        open_question = open_question & only.unsqueeze(1)
    if not bool(open_question.any()):
        return by_point
    batch_index, set_index = torch.nonzero(open_question.any(dim=-1), as_tuple=True)
    # identical tie sets of one configuration are decided once
    keys = torch.cat([batch_index.unsqueeze(1), points[batch_index, set_index].long()], dim=1)
    unique, inverse = torch.unique(keys, dim=0, return_inverse=True)
    members, valid, _ = compact(unique[:, 1:].bool())
    undecided = torch.zeros(unique.shape[0], utility.shape[-1], dtype=torch.bool,
                            device=points.device)
    undecided[inverse] = open_question[batch_index, set_index]  # copies carry the same row
    answers = _decide(utility, unique[:, 0], members, valid, utol, undecided)
    result = by_point.clone()
    result[batch_index, set_index] |= answers[inverse]
    return result


def optimal_on_members(utility: Tensor, members: Tensor, valid: Tensor, utol: Tensor,
                       point_optimal: Tensor, only: Tensor | None = None) -> Tensor:
    """As :func:`optimal_under_mixtures` for small tie sets given as point lists:
    ``members`` ``(B, S, W)`` (columns of ``utility``), ``valid`` ``(B, S, W)``."""
    batch, sets, width = members.shape
    flat = members.reshape(batch, sets * width)
    at = torch.gather(point_optimal, 1, flat.unsqueeze(-1).expand(-1, -1, utility.shape[-1]))
    at = at.reshape(batch, sets, width, utility.shape[-1]) & valid.unsqueeze(-1)
    by_point = at.any(dim=2)
    if utility.shape[-1] <= 2 or sets == 0:
        return by_point
    open_question = ~by_point & (valid.sum(dim=-1) >= 2).unsqueeze(-1)
    if only is not None:
        open_question = open_question & only.unsqueeze(1)
    if not bool(open_question.any()):
        return by_point
    batch_index, set_index = torch.nonzero(open_question.any(dim=-1), as_tuple=True)
    answers = _decide(utility, batch_index, members[batch_index, set_index],
                      valid[batch_index, set_index], utol,
                      open_question[batch_index, set_index])
    result = by_point.clone()
    result[batch_index, set_index] |= answers
    return result


def optimal_on_some(utility: Tensor, sets: Tensor, action: int, utol: float,
                    point_optimal: Tensor) -> bool:
    """Whether ``action`` is optimal under some belief on one of the tie sets ``sets``
    ``(T, N)`` of one configuration (``utility`` ``(N, A)``, ``point_optimal`` ``(N, A)``).

    Cheapest first: a member point where it is optimal; then the batched search for a
    dominating mixture over all sets; then the linear program on the sets that search left
    open, stopping at the first that makes the action optimal."""
    if bool((sets & point_optimal[:, action]).any()):
        return True
    sets = sets[sets.sum(dim=1) >= 2]
    if sets.shape[0] == 0 or utility.shape[-1] <= 2:
        return False
    members, valid, _ = compact(sets)
    others = [c for c in range(utility.shape[-1]) if c != action]
    u = utility[members]  # (T, W, A)
    gain = u[..., action:action + 1] - u[..., others]
    tol = torch.full((sets.shape[0],), utol, dtype=utility.dtype, device=utility.device)
    if gain.shape[-1] == 2:
        return not bool(_bisect_two(gain, valid).lt(-tol).all())
    beaten, optimal = screen(gain, valid, tol)
    if bool(optimal.any()):
        return True
    for m in torch.nonzero(~beaten).flatten().tolist():
        if optimal_by_lp(gain[m][valid[m]].detach().cpu().double().numpy(), utol):
            return True
    return False


def _decide(utility: Tensor, rows: Tensor, members: Tensor, valid: Tensor, utol: Tensor,
            undecided: Tensor) -> Tensor:
    """``(M, A)``: for tie set ``m`` (points ``members[m]`` of configuration ``rows[m]``),
    whether each ``undecided`` action is optimal under some belief on it."""
    n_actions = utility.shape[-1]
    answers = torch.zeros_like(undecided)
    for action in range(n_actions):
        todo = torch.nonzero(undecided[:, action]).flatten()
        if todo.numel() == 0:
            continue
        config = rows[todo]
        u = utility[config.unsqueeze(1), members[todo]]  # (m, W, A)
        others = [c for c in range(n_actions) if c != action]
        gain = u[..., action:action + 1] - u[..., others]  # (m, W, A − 1)
        answers[todo, action] = ~dominated(gain, valid[todo], utol[config])
    return answers


def dominated(gain: Tensor, members: Tensor, utol: Tensor) -> Tensor:
    """``(M,)``: some mixture ``τ`` of the other actions beats the action by more than
    ``utol`` at every member point, i.e. ``min_τ max_{i ∈ T} τ · gain[i] < −utol``.

    ``gain`` is ``(M, N, k)`` (the action's payoff minus each other action's), ``members``
    ``(M, N)``.  Bisection for ``k = 2``; for ``k ≥ 3`` the batched screen
    (:func:`screen`), then the linear program for every case it leaves open.
    """
    if gain.shape[-1] == 1:
        return (torch.where(members, gain[..., 0], -math.inf).max(dim=1).values < -utol)
    if gain.shape[-1] == 2:
        return _bisect_two(gain, members) < -utol
    beaten, optimal = screen(gain, members, utol)
    result = beaten.clone()
    for m in torch.nonzero(~beaten & ~optimal).flatten().tolist():
        chosen = gain[m][members[m]].detach().cpu().double().numpy()
        result[m] = not optimal_by_lp(chosen, float(utol[m]))
    return result


def screen(gain: Tensor, members: Tensor, utol: Tensor, search: bool = True
           ) -> tuple[Tensor, Tensor]:
    """Batched, certified answers for ``k ≥ 3`` other actions: ``(beaten, optimal)``, each
    ``(M,)``; a row in neither is left to the linear program.

    * tie sets of one point: the answer is read off;
    * of two points: ``max_λ min_c ((1 − λ) g_0c + λ g_1c)`` is concave in ``λ`` and
      attained at ``λ ∈ {0, 1}`` or where two lines cross — all candidates are evaluated,
      so the answer is exact;
    * larger sets: optimal when the uniform belief already makes the action optimal;
      beaten when a single other action beats it at every point; otherwise a short
      multiplicative-weights search (``search``) yields a mixture ``τ`` and a belief
      ``μ̄``, each a certificate when it clears the tolerance.
    """
    count = members.sum(dim=1)
    minus_inf = torch.tensor(-math.inf, dtype=gain.dtype, device=gain.device)
    # pure τ: the best single competitor at the worst member point
    worst = torch.where(members.unsqueeze(-1), gain, minus_inf).max(dim=1).values  # (M, k)
    beaten = worst.min(dim=1).values < -utol
    weights = members.to(gain.dtype) / count.clamp(min=1).unsqueeze(1).to(gain.dtype)
    uniform = (weights.unsqueeze(-1) * gain).sum(dim=1).min(dim=1).values
    optimal = uniform >= -utol
    pairs = (count == 2) & ~beaten & ~optimal  # both answers above are certificates
    if bool(pairs.any()):
        index, _, _ = compact(members[pairs])
        rows = torch.nonzero(pairs).flatten()
        two = gain[rows.unsqueeze(1), index[:, :2]]  # (P, 2, k)
        value = _best_two_point_belief(two)
        optimal[rows] = value >= -utol[rows]
        beaten[rows] = ~optimal[rows]
    if search:
        large = (count >= 3) & ~beaten & ~optimal
        if bool(large.any()):
            rows = torch.nonzero(large).flatten()
            upper, lower = _hedge(gain[rows], members[rows])
            beaten[rows] = upper < -utol[rows]
            optimal[rows] = lower >= -utol[rows]
    return beaten, optimal


def _best_two_point_belief(two: Tensor) -> Tensor:
    """``max_{λ ∈ [0, 1]} min_c ((1 − λ) two[:, 0, c] + λ two[:, 1, c])`` ``(P,)``."""
    g0, g1 = two[:, 0], two[:, 1]  # (P, k)
    slope = g1 - g0
    cross_num = g0.unsqueeze(2) - g0.unsqueeze(1)  # (P, c, d): lines c and d meet at λ
    cross_den = slope.unsqueeze(1) - slope.unsqueeze(2)
    safe = torch.where(cross_den != 0, cross_den, torch.ones_like(cross_den))
    lam = torch.where(cross_den != 0, cross_num / safe, torch.zeros_like(cross_num))
    lam = torch.cat([lam.flatten(1), torch.zeros_like(g0[:, :1]), torch.ones_like(g0[:, :1])],
                    dim=1).clamp(0.0, 1.0)  # (P, C)
    values = g0.unsqueeze(1) + lam.unsqueeze(2) * slope.unsqueeze(1)  # (P, C, k)
    return values.min(dim=2).values.max(dim=1).values


def optimal_by_lp(gain: np.ndarray, utol: float) -> bool:
    """Whether some belief ``μ`` over the rows of ``gain`` ``(n, k)`` (the action's payoff
    minus each other action's, at each member point) gives ``min_c Σ_i μ_i gain[i, c] ≥
    −utol``.  Solved as ``max t`` s.t. ``Σ_i μ_i gain[i, c] ≥ t`` (HiGHS), then both
    certificates are re-measured in double precision: the primal ``μ`` (optimal) and the
    dual ``τ`` (dominated, Pearce's lemma); when neither clears ``utol`` the answer is
    ``True``."""
    n, k = gain.shape
    scale = max(float(np.abs(gain).max()), np.finfo(float).tiny)
    g = gain / scale
    # variables (μ_1 … μ_n, t); minimise −t
    cost = np.zeros(n + 1)
    cost[-1] = -1.0
    a_ub = np.hstack([-g.T, np.ones((k, 1))])  # t − Σ_i μ_i g[i, c] ≤ 0
    a_eq = np.append(np.ones(n), 0.0)[None, :]
    bounds = [(0.0, None)] * n + [(None, None)]
    found = linprog(cost, A_ub=a_ub, b_ub=np.zeros(k), A_eq=a_eq, b_eq=[1.0], bounds=bounds,
                    method="highs")
    if found.status != 0:  # not expected for this bounded, feasible program
        return True
    mu = np.clip(found.x[:n], 0.0, None)
    mu = mu / mu.sum()
    if float((mu @ gain).min()) >= -utol:
        return True
    tau = np.clip(-np.asarray(found.ineqlin.marginals), 0.0, None)
    if tau.sum() > 0:
        tau = tau / tau.sum()
        if float((gain @ tau).max()) < -utol:
            return False
    return True


def _upper(gain: Tensor, members: Tensor, tau: Tensor) -> tuple[Tensor, Tensor]:
    """``max_{i ∈ T} τ · gain[i]`` and the maximising point, for ``τ`` ``(M, k)``."""
    values = (gain * tau.unsqueeze(1)).sum(dim=-1)
    values = torch.where(members, values, torch.full_like(values, -math.inf))
    best, where = values.max(dim=1)
    return best, where


def _bisect_two(gain: Tensor, members: Tensor) -> Tensor:
    """``min_{t ∈ [0, 1]} max_i (t g_i0 + (1 − t) g_i1)`` by bisection on the active slope.

    The values are :func:`_upper`'s for ``τ = (t, 1 − t)``, written out for two actions
    (``g_i0 t + g_i1 (1 − t)``, the same sum in the same order)."""
    m = gain.shape[0]
    lo = torch.zeros(m, dtype=gain.dtype, device=gain.device)
    hi = torch.ones_like(lo)
    g0, g1 = gain[..., 0].contiguous(), gain[..., 1].contiguous()
    slope = g0 - g1  # (M, N)
    outside = torch.full_like(g0, -math.inf)

    def upper(t: Tensor) -> tuple[Tensor, Tensor]:
        values = g0 * t.unsqueeze(1) + g1 * (1 - t).unsqueeze(1)
        best, where = torch.where(members, values, outside).max(dim=1)
        return best, where

    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        _, active = upper(mid)
        rising = torch.gather(slope, 1, active.unsqueeze(1))[:, 0] > 0
        hi = torch.where(rising, mid, hi)
        lo = torch.where(rising, lo, mid)
    return torch.minimum(upper(lo)[0], upper(hi)[0])


def _hedge(gain: Tensor, members: Tensor) -> tuple[Tensor, Tensor]:
    """Bounds ``(upper, lower)`` on ``min_τ max_i τ · gain[i]`` from multiplicative weights
    on ``τ`` against the best-responding point: ``upper`` is the best value of the iterates
    and their running average (each attained by a real ``τ``), ``lower`` the value
    ``min_c μ̄ · gain[:, c]`` of the empirical belief ``μ̄`` over the responding points
    (attained by a real ``μ``; minimax: lower ≤ value ≤ upper)."""
    m, n, k = gain.shape
    scale = torch.where(members.unsqueeze(-1), gain.abs(), torch.zeros_like(gain))
    scale = scale.flatten(1).max(dim=1).values.clamp(min=torch.finfo(gain.dtype).tiny)
    rate = math.sqrt(8.0 * math.log(k) / HEDGE_STEPS)
    log_weights = torch.zeros(m, k, dtype=gain.dtype, device=gain.device)
    total = torch.zeros_like(log_weights)
    counts = torch.zeros(m, n, dtype=gain.dtype, device=gain.device)
    best = torch.full((m,), math.inf, dtype=gain.dtype, device=gain.device)
    arange = torch.arange(m, device=gain.device)
    for step in range(1, HEDGE_STEPS + 1):
        tau = torch.softmax(log_weights, dim=1)
        total = total + tau
        value, active = _upper(gain, members, tau)
        counts[arange, active] += 1.0
        best = torch.minimum(best, value)
        best = torch.minimum(best, _upper(gain, members, total / step)[0])
        log_weights = log_weights - rate * gain[arange, active] / scale.unsqueeze(1)
    belief = counts / HEDGE_STEPS
    lower = (belief.unsqueeze(-1) * gain).sum(dim=1).min(dim=1).values
    return best, lower
