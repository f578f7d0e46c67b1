"""The sorted envelope computations of the two-action path against the pairwise definitions.

``envelope_intervals`` and the pair path of ``mixed_equilibria`` once compared every point
with every other (``O(N²)`` memory) and scanned every point at every probe.  The references
below are those computations, kept verbatim: the ``N × N`` half-line intersection for the
intervals, and the per-probe scan of all points with one linear program per probe for the
pair's equilibria.  On random problems (exact ties, duplicated points, ``+∞`` KLs, tie
tolerances from ``10⁻⁹`` to ``0.3``, ``N`` from 1 to a few hundred, batches of several
configurations) the engine must give the same points, the same intervals up to rounding and
the same equilibria.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from test_equilibria_reference import RANDOM

import sme.engine.equilibria as equilibria
from sme.engine.berk_nash import GammaOperator, Tolerance, best_fit, kl_tolerance
from sme.engine.envelope import envelope_intervals, envelope_points, half_line_bounds
from sme.engine.mixed_equilibrium import MixedEquilibrium
from sme.engine.wide_equilibria import indifferent_belief

F64 = torch.float64
INF = math.inf

# ------------------------------------------------------------------ references (pairwise)


def reference_intervals(k0: torch.Tensor, k1: torch.Tensor, ktol: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(on, p_lo, p_hi)`` from the ``N × N`` differences ``L_i − L_j = α_ij + β_ij p``:
    the winning set of ``i`` is the intersection of the half-lines ``α + β p ≤ ktol`` over
    the finite ``j``, with ``[0, 1]``."""
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    zero = torch.zeros((), dtype=k0.dtype)
    a0 = torch.where(finite, k0, zero)
    a1 = torch.where(finite, k1, zero)
    alpha = a0.unsqueeze(2) - a0.unsqueeze(1)  # (B, i, j)
    beta = (a1.unsqueeze(2) - a1.unsqueeze(1)) - alpha
    slack = ktol.reshape(-1, 1, 1) - alpha
    relevant = finite.unsqueeze(1)
    pos, neg = beta > 0, beta < 0
    ratio = slack / torch.where(beta == 0, torch.ones_like(beta), beta)
    inf = torch.full_like(ratio, INF)
    p_hi = torch.where(relevant & pos, ratio, inf).min(dim=2).values.clamp(max=1.0)
    p_lo = torch.where(relevant & neg, ratio, -inf).max(dim=2).values.clamp(min=0.0)
    flat_ok = torch.where(relevant & (beta == 0), slack >= 0, torch.ones_like(pos)).all(dim=2)
    on = finite & flat_ok & (p_lo <= p_hi)
    return on, p_lo, p_hi


def reference_pair(gamma: GammaOperator, row: int, a: int, c: int) -> list[MixedEquilibrium]:
    """The pair path as first written: probes at every interval's end and centre, the fitting
    points at each probe from all ``N`` losses, a belief per probe (a linear program per
    probe where the simple belief is beaten), then the engine's own grouping."""
    kl, utility = gamma.kl[row], gamma.utility[row]
    ktol, utol = gamma.ktol[row : row + 1], float(gamma.utol[row])
    k0, k1 = kl[:, a], kl[:, c]
    on, lo, hi = (t[0] for t in reference_intervals(k0[None], k1[None], ktol))
    if not bool(on.any()):
        return []
    diff = utility[:, c] - utility[:, a]
    finite = torch.isfinite(k0) & torch.isfinite(k1)
    mid = (lo + hi) / 2
    index = torch.nonzero(on).flatten().tolist()
    probes: list[float] = []
    for i in sorted(index, key=lambda i: (float(lo[i]), float(hi[i]))):
        if 0.0 < float(hi[i]) < 1.0:
            probes.append(float(hi[i]))
        probes.append(float(mid[i]))
    candidates = []
    for p in sorted(set(probes)):
        if not 0.0 < p < 1.0:
            continue
        loss = torch.where(finite, (1 - p) * k0 + p * k1, torch.full_like(k0, INF))
        members = torch.nonzero(best_fit(loss[None], 2 * ktol)[0] & finite).flatten().tolist()
        cand = _reference_support(gamma, row, (a, c), p, members, diff, utol, lo, hi)
        if cand is not None:
            candidates.append(cand)
    return equilibria._merge(candidates, a, c)


def _reference_support(gamma: GammaOperator, row: int, pair: tuple[int, int], p: float,
                       members: list[int], diff: torch.Tensor, utol: float, lo: torch.Tensor,
                       hi: torch.Tensor) -> equilibria._Candidate | None:
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
    weights = torch.zeros(utility.shape[0], dtype=utility.dtype)
    for i, w in belief:
        weights[i] = w
    expected = weights @ utility
    if bool((expected > expected[a] + utol).any()):
        return _reference_belief_by_lp(gamma, row, pair, p, members)
    return equilibria._Candidate(min(max(p_ref, 0.0), 1.0), low, high, frozenset(members),
                                 belief, exact)


def _reference_belief_by_lp(gamma: GammaOperator, row: int, pair: tuple[int, int], p: float,
                            members: list[int]) -> equilibria._Candidate | None:
    utility = gamma.utility[row].double().numpy()
    mu = indifferent_belief(utility[members], list(pair), float(gamma.utol[row]))
    if mu is None:
        return None
    used = [i for i in range(len(members)) if mu[i] > 1e-12]
    belief = tuple((members[i], float(mu[i])) for i in used)
    kl = gamma.kl[row][:, list(pair)].double().numpy()
    kl = kl[np.isfinite(kl).all(axis=1)]
    low, high = 0.0, 1.0
    for i in used:
        d = gamma.kl[row][members[i], list(pair)].double().numpy() - kl
        slope, start = d[:, 1] - d[:, 0], d[:, 0] - float(gamma.ktol[row])
        rising, falling = slope > 0, slope < 0
        if rising.any():
            high = min(high, float((-start[rising] / slope[rising]).min()))
        if falling.any():
            low = max(low, float((-start[falling] / slope[falling]).max()))
    return equilibria._Candidate(p, min(low, p), max(high, p), frozenset(members), belief,
                                 False)


# ------------------------------------------------------------------ random problems


def random_kl(seed: int, rows: int, points: int) -> torch.Tensor:
    """``(rows, points, 2)`` KL pairs of several kinds, with exact ties, duplicated points,
    equal ``K_0``, collinear runs, smooth convex fronts (many hull vertices) and ``+∞``."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, points, dtype=F64)
    noise = torch.rand(rows, points, 2, generator=gen, dtype=F64)
    kind = seed % 6
    if kind == 0:
        kl = (noise * 12).round() / 4  # a coarse grid: ties, duplicates, collinear points
    elif kind == 1:
        kl = (noise * 4).round() / 2
        kl[:, points // 2:] = kl[:, :points - points // 2].clone()  # every point twice
    elif kind == 2:  # a convex front (every point a hull vertex) with bumps
        kl = torch.stack([t, (1 - t) ** 2], -1).expand(rows, points, 2) + 0.01 * (noise < 0.3)
    elif kind == 3:  # two Gaussian location models on a grid of θ: a parabola of points
        theta = torch.linspace(-3, 3, points, dtype=F64)
        shift = noise[:, :1, :] * 2
        kl = (theta[None, :, None] * torch.tensor([1.0, -0.5], dtype=F64) - shift) ** 2 / 2
    elif kind == 4:  # a product grid: K_0 from one latent, K_1 from the other (flat ties)
        side = max(math.isqrt(points), 1)
        a = ((torch.arange(points) // side) / side).to(F64)
        b = ((torch.arange(points) % side) / side).to(F64)
        kl = torch.stack([(a - 0.3) ** 2, (b - 0.6) ** 2], -1).expand(rows, points, 2)
        kl = kl + 1e-3 * (noise < 0.05)
    else:
        kl = noise * 3
    kl = kl.clone()
    kl[torch.rand(rows, points, 2, generator=gen) < 0.1] = INF
    return kl


def tolerance(kl: torch.Tensor, seed: int) -> torch.Tensor:
    """The engine's tie tolerance, or a large one (ties within it are common)."""
    base = kl_tolerance(kl, Tolerance())
    return base if seed % 3 else base + [0.0, 0.02, 0.3][seed % 4 % 3]


SIZES = [1, 2, 3, 5, 9, 17, 40, 101, 257]


@pytest.mark.parametrize("seed", range(54))
def test_intervals_match_the_pairwise_computation(seed: int) -> None:
    kl = random_kl(seed, rows=4, points=SIZES[seed % len(SIZES)])
    ktol = tolerance(kl, seed)
    on, lo, hi = envelope_intervals(kl[..., 0], kl[..., 1], ktol)
    ref_on, ref_lo, ref_hi = reference_intervals(kl[..., 0], kl[..., 1], ktol)
    assert torch.equal(on, ref_on), seed
    assert torch.allclose(lo[on], ref_lo[on], rtol=0.0, atol=1e-12), seed
    assert torch.allclose(hi[on], ref_hi[on], rtol=0.0, atol=1e-12), seed
    assert bool((lo[~on] == 1.0).all() and (hi[~on] == 0.0).all())  # the empty interval
    # every point and its half-line bounds, on the envelope or not, infinite or not
    points = torch.arange(kl.shape[1]).expand(kl.shape[0], -1)
    low, high = half_line_bounds(kl[..., 0], kl[..., 1], ktol, points)
    assert torch.equal(low, ref_lo) and torch.equal(high, ref_hi)
    none_finite = ~(torch.isfinite(kl[..., 0]) & torch.isfinite(kl[..., 1])).any(1, True)
    assert torch.equal(envelope_points(kl[..., 0], kl[..., 1], ktol), on | none_finite)


def test_intervals_of_three_crossing_lines_and_a_loser() -> None:
    # L_0 = 3p, L_1 = 1, L_2 = 3 − 3p: point 0 wins [0, 1/3], point 1 [1/3, 2/3], point 2
    # [2/3, 1]; L_3 = 2 + p never wins (its half-lines give p_lo = 1 > p_hi = −1).
    k0, k1 = torch.tensor([[0.0, 1.0, 3.0, 2.0]], dtype=F64), torch.tensor([[3.0, 1.0, 0.0, 3.0]],
                                                                             dtype=F64)
    on, lo, hi = envelope_intervals(k0, k1, torch.tensor([0.0], dtype=F64))
    assert on.tolist() == [[True, True, True, False]]
    assert lo.tolist()[0] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0], abs=1e-15)
    assert hi.tolist()[0] == pytest.approx([1 / 3, 2 / 3, 1.0, 0.0], abs=1e-15)
    low, high = half_line_bounds(k0, k1, torch.tensor([0.0], dtype=F64), torch.tensor([[3]]))
    # L_3 − L_0 = 2 − 2p ≤ 0 for p ≥ 1; L_3 − L_1 = 1 + p ≤ 0 for p ≤ −1; L_3 − L_2 =
    # −1 + 4p ≤ 0 for p ≤ 1/4
    assert (float(low[0, 0]), float(high[0, 0])) == pytest.approx((1.0, -1.0))


def test_a_wide_tolerance_stretches_each_interval_by_its_slack() -> None:
    # L_0 = 2p, L_1 = 2 − 2p cross at p = 1/2; with ktol = 0.5 point 0 fits while
    # 2p − (2 − 2p) ≤ 0.5, i.e. p ≤ 5/8, and point 1 from p ≥ 3/8
    k0, k1 = torch.tensor([[0.0, 2.0]], dtype=F64), torch.tensor([[2.0, 0.0]], dtype=F64)
    on, lo, hi = envelope_intervals(k0, k1, torch.tensor([0.5], dtype=F64))
    assert on.tolist() == [[True, True]]
    assert lo.tolist() == [[0.0, 0.375]] and hi.tolist() == [[0.625, 1.0]]


# ------------------------------------------------------------------ the pair path


def _same(one: list[MixedEquilibrium], other: list[MixedEquilibrium]) -> bool:
    if len(one) != len(other):
        return False
    for x, y in zip(one, other, strict=True):
        if x.actions != y.actions or [i for i, _ in x.belief] != [i for i, _ in y.belief]:
            return False
        numbers = [(x.probability, y.probability), *zip(x.interval, y.interval, strict=True),
                   *((u, v) for (_, u), (_, v) in zip(x.belief, y.belief, strict=True))]
        if any(abs(u - v) > 1e-9 for u, v in numbers):
            return False
    return True


def _grid_problem(rng: np.random.Generator, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian location models on a grid of θ (a chain of best fits), payoffs affine in θ
    with an indifference inside the grid, coarsened at random (ties, duplicates)."""
    n_actions = int(rng.integers(2, 5))
    theta = np.linspace(-3.0, 3.0, points)
    g, m = rng.normal(size=n_actions), rng.normal(size=n_actions) * 2
    kl = (theta[:, None] * g - m) ** 2 / 2
    if rng.random() < 0.4:
        kl = np.round(kl * 4) / 4
    utility = theta[:, None] * rng.normal(size=n_actions) - rng.normal(size=n_actions)
    if rng.random() < 0.3:
        kl[rng.random(kl.shape) < 0.05] = np.inf
    return kl, utility


def _product_problem(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Two latents, each action's data about one of them (flat directions, many tied
    points), payoffs affine in both."""
    axis = np.linspace(0.0, 1.0, side)
    theta = np.array(list(itertools.product(axis, axis)))
    n_actions = 3
    which = rng.integers(0, 2, size=n_actions)
    target = rng.random(n_actions)
    kl = (theta[:, which] - target) ** 2 * 4
    utility = theta @ rng.normal(size=(2, n_actions)) - rng.normal(size=n_actions) * 0.3
    return kl, utility


def _problems() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2126)
    found = []
    for family, make in RANDOM.items():
        found.extend((family, *make(rng)) for _ in range(6))
    for points in [2, 7, 31, 101, 301]:
        found.extend(("grid", *_grid_problem(rng, points)) for _ in range(4))
    for side in [3, 8, 16]:
        found.extend(("product", *_product_problem(rng, side)) for _ in range(4))
    return found


@pytest.mark.parametrize("case", range(len(_problems())))
def test_pair_equilibria_match_the_pairwise_path(case: int) -> None:
    family, kl, utility = _problems()[case]
    gamma = GammaOperator(torch.tensor(kl[None], dtype=F64), torch.tensor(utility[None],
                                                                          dtype=F64))
    for a, c in itertools.combinations(range(kl.shape[1]), 2):
        fast = equilibria._pair(gamma, 0, a, c)
        slow = reference_pair(gamma, 0, a, c)
        assert _same(fast, slow), (family, case, (a, c), fast, slow)


def test_the_pair_path_is_tested_on_candidates_of_every_kind(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The random problems above reach every branch of the pair path: beliefs at a point of
    indifference, mixed over two points and from the linear program; and member sets whose
    program is skipped, a larger set's shortfall settling them (fewer programs than distinct
    member sets with a beaten simple belief)."""
    kinds: set[str] = set()
    original = equilibria._Pair.candidate

    def recording(self: equilibria._Pair, p: float, members: list[int]
                  ) -> equilibria._Candidate | None:
        out = original(self, p, members)
        if out is not None:
            found = self.beliefs[tuple(members)]
            assert found is not None
            kinds.add("program" if not found.simple else "point" if found.exact else "two")
        return out

    programs = {"engine": 0, "beaten": 0}

    def counting(name: str, solve):  # type: ignore[no-untyped-def]
        def wrapped(*args):  # type: ignore[no-untyped-def]
            programs[name] += 1
            return solve(*args)
        return wrapped

    monkeypatch.setattr(equilibria._Pair, "candidate", recording)
    monkeypatch.setattr(equilibria, "least_shortfall",
                        counting("engine", equilibria.least_shortfall))
    check = equilibria._Pair._beaten

    def beaten(self: equilibria._Pair, beliefs: list) -> list[bool]:  # type: ignore[type-arg]
        out = check(self, beliefs)
        programs["beaten"] += sum(out)
        return out

    monkeypatch.setattr(equilibria._Pair, "_beaten", beaten)
    for _, kl, utility in _problems():
        gamma = GammaOperator(torch.tensor(kl[None], dtype=F64),
                              torch.tensor(utility[None], dtype=F64))
        for a, c in itertools.combinations(range(kl.shape[1]), 2):
            equilibria._pair(gamma, 0, a, c)
    assert kinds == {"point", "two", "program"}
    assert 0 < programs["engine"] < programs["beaten"], programs


def test_a_member_off_the_envelope_keeps_its_half_line_bounds() -> None:
    """A point within twice the tolerance of the best fit at a probe but never within the
    tolerance itself fits there; its bounds are not an interval, yet they place the
    equilibrium exactly as the pairwise path does."""
    rng = np.random.default_rng(5)
    seen = 0
    for _ in range(200):
        kl, utility = _grid_problem(rng, 41)
        kl = kl[:, :2]
        utility = utility[:, :2]
        gamma = GammaOperator(torch.tensor(kl[None], dtype=F64),
                              torch.tensor(utility[None], dtype=F64), Tolerance(kl_atol=0.05))
        k0, k1 = gamma.kl[:, :, 0], gamma.kl[:, :, 1]
        on, _, _ = envelope_intervals(k0, k1, gamma.ktol)
        near = envelope_points(k0, k1, 2 * gamma.ktol)
        if bool((near & ~on).any()):
            seen += 1
            assert _same(equilibria._pair(gamma, 0, 0, 1), reference_pair(gamma, 0, 0, 1))
    assert seen > 10


def test_beliefs_are_beaten_exactly_when_the_expected_payoffs_say_so() -> None:
    """The batched test of the simple beliefs against the expectation over all points, on
    random payoffs and on exact ties at the payoff tolerance (where it measures again)."""
    rng = np.random.default_rng(3)
    for trial in range(40):
        n, n_actions = int(rng.integers(2, 30)), int(rng.integers(2, 5))
        utility = rng.integers(-8, 9, size=(n, n_actions)) / 8.0
        utility[0, 0] = 1.0  # max |U| = 1, so the payoff tolerance is 2⁻²⁰ exactly
        if n_actions > 2 and trial % 2:  # a third action better by exactly the tolerance
            utility[:, 2] = utility[:, 0] + 2.0 ** -20
        kl = rng.random((n, 2))
        gamma = GammaOperator(torch.tensor(kl[None], dtype=F64),
                              torch.tensor(utility[None], dtype=F64),
                              Tolerance(utility_rtol=2.0 ** -20))
        pair = equilibria._Pair.of(gamma, 0, (0, 1), torch.zeros(n, dtype=F64),
                                   torch.ones(n, dtype=F64), [], torch.zeros(n, dtype=torch.bool))
        beliefs = []
        for _ in range(20):
            i, j = (int(k) for k in rng.integers(0, n, size=2))
            lam = float(rng.choice([0.0, 0.25, 0.5, rng.random()]))
            beliefs.append(((i, 1.0),) if i == j else ((i, 1.0 - lam), (j, lam)))
        expected = []
        for belief in beliefs:
            weights = torch.zeros(n, dtype=F64)
            for i, w in belief:
                weights[i] = w
            values = weights @ gamma.utility[0]
            expected.append(bool((values > values[0] + gamma.utol[0]).any()))
        assert pair._beaten(beliefs) == expected
