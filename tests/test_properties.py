"""Property tests: random small problems on the engine, random small scenarios end to end.

Payoffs and KLs are drawn from coarse grids (multiples of 1/4) so that ties are either exact
or far outside the tie tolerances: the properties are then exact statements, not statements
about rounding.
"""

from __future__ import annotations

import itertools
import math

import pyro
import pyro.distributions as dist
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from priors.compile import Resolution
from sme import Action, Param, Scenario
from sme.analysis import Settings, analyze_batch
from sme.engine.berk_nash import (
    GammaOperator,
    Tolerance,
    pure_equilibria,
    rationalizable_set,
)
from sme.engine.equilibria import mixed_equilibria
from sme.engine.phases import classify

F64 = torch.float64
INF = math.inf
# deterministic runs, and no example database written into the working tree
FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# --------------------------------------------------------------------------- random problems


@st.composite
def problems(draw: st.DrawFn, actions: tuple[int, int] = (2, 4)) -> tuple[torch.Tensor, ...]:
    """``(kl, utility, safe)``: K ≥ 0 on a 1/4 grid with some +inf, U on a 1/4 grid."""
    a = draw(st.integers(*actions))
    b = draw(st.integers(1, 3))
    n = draw(st.integers(1, 6))
    cells = b * n * a
    kl = draw(st.lists(st.one_of(st.integers(0, 16).map(lambda k: k / 4),
                                 st.just(INF)), min_size=cells, max_size=cells))
    u = draw(st.lists(st.integers(-12, 12).map(lambda k: k / 4), min_size=cells,
                      max_size=cells))
    safe = draw(st.lists(st.booleans(), min_size=a, max_size=a))
    return (torch.tensor(kl, dtype=F64).reshape(b, n, a),
            torch.tensor(u, dtype=F64).reshape(b, n, a),
            torch.tensor(safe, dtype=torch.bool))


def _engine(kl: torch.Tensor, u: torch.Tensor, safe: torch.Tensor
            ) -> tuple[GammaOperator, torch.Tensor, torch.Tensor, torch.Tensor]:
    gamma = GammaOperator(kl, u)
    bn = rationalizable_set(gamma)
    pure = pure_equilibria(gamma)
    return gamma, bn, pure, classify(bn, safe, pure)


# an independent brute force for two actions ------------------------------------------------


def _tolerances(kl: torch.Tensor, u: torch.Tensor, tol: Tolerance) -> tuple[float, float]:
    """The documented tie tolerances of one configuration ``(N, A)``."""
    minima = [min((float(x) for x in kl[:, a] if math.isfinite(x)), default=0.0)
              for a in range(kl.shape[1])]
    ktol = tol.kl_atol + tol.kl_rtol * max(abs(m) for m in minima)
    utol = tol.utility_rtol * float(u.abs().max()) + torch.finfo(F64).tiny
    return ktol, utol


def _argmin(losses: list[float], ktol: float) -> set[int]:
    low = min(losses)
    if low == INF:
        return set(range(len(losses)))
    return {i for i, v in enumerate(losses) if v <= low + ktol}


def _finite_for_both(k: list[list[float]]) -> list[int]:
    """The points whose KL is finite after both actions."""
    return [i for i in range(len(k)) if math.isfinite(k[i][0]) and math.isfinite(k[i][1])]


def _crossings(k: list[list[float]], both: list[int]) -> list[float]:
    """0, 1 and every ``p ∈ (0, 1)`` where the weighted-KL lines ``(1 − p) k_i0 + p k_i1`` of
    two points of ``both`` cross, sorted."""
    cuts = {0.0, 1.0}
    for i, j in itertools.combinations(both, 2):
        alpha = k[i][0] - k[j][0]
        beta = (k[i][1] - k[j][1]) - alpha
        if beta != 0 and 0.0 < -alpha / beta < 1.0:
            cuts.add(-alpha / beta)
    return sorted(cuts)


def _brute_gamma_two(kl: torch.Tensor, u: torch.Tensor, subset: frozenset[int]
                     ) -> frozenset[int]:
    """Γ(subset) for two actions from the definitions: every σ at which Θ(σ) can change
    (0, 1 and every crossing of two weighted-KL lines) and the midpoints between them."""
    ktol, utol = _tolerances(kl, u, Tolerance())
    k = kl.tolist()
    n = len(k)
    fitted: set[int] = set()
    for a in subset:  # pure mixtures, with 0 · ∞ = 0
        fitted |= _argmin([k[i][a] for i in range(n)], ktol)
    if subset == {0, 1}:
        both = _finite_for_both(k)
        ordered = _crossings(k, both)
        probes = ordered + [(x + y) / 2 for x, y in itertools.pairwise(ordered)]
        for p in probes:  # interior-side limits at 0 and 1: only points finite for both
            loss = [(1 - p) * k[i][0] + p * k[i][1] if i in both else INF for i in range(n)]
            if both:
                fitted |= _argmin(loss, ktol) & set(both)
            else:
                fitted |= set(range(n))
    best = [max(row) for row in u.tolist()]
    return frozenset(a for i in fitted for a in range(2) if float(u[i, a]) >= best[i] - utol)


def _brute_r_two(kl: torch.Tensor, u: torch.Tensor) -> frozenset[int]:
    """The largest A' with A' ⊆ Γ(A'), by checking every subset."""
    best: frozenset[int] = frozenset()
    for size in (1, 2):
        for subset in itertools.combinations(range(2), size):
            s = frozenset(subset)
            if s <= _brute_gamma_two(kl, u, s):
                best = best | s
    return best


def _as_set(row: torch.Tensor) -> frozenset[int]:
    return frozenset(int(a) for a in torch.nonzero(row).flatten())


# --------------------------------------------------------------------------- engine properties


@FAST
@given(problems())
def test_rationalizable_set_is_a_nonempty_fixed_point(problem: tuple) -> None:
    kl, u, safe = problem
    gamma, bn, _, _ = _engine(kl, u, safe)
    assert bool(bn.any(dim=1).all())
    assert bool((gamma(bn) >= bn).all())  # R ⊆ Γ(R)


@FAST
@given(problems(actions=(2, 2)))
def test_two_action_set_matches_a_brute_force(problem: tuple) -> None:
    kl, u, safe = problem
    gamma, bn, pure, _ = _engine(kl, u, safe)
    ktol_u = [_tolerances(kl[b], u[b], Tolerance()) for b in range(kl.shape[0])]
    for b in range(kl.shape[0]):
        assert _as_set(bn[b]) == _brute_r_two(kl[b], u[b])
        for subset in ({0}, {1}, {0, 1}):
            row = torch.zeros(kl.shape[0], 2, dtype=torch.bool)
            row[b, list(subset)] = True
            assert _as_set(gamma(row)[b]) == _brute_gamma_two(kl[b], u[b], frozenset(subset))
        ktol, utol = ktol_u[b]
        expected_pure = set()
        for a in range(2):
            fits = _argmin(kl[b, :, a].tolist(), ktol)
            if any(float(u[b, i, a]) >= float(u[b, i].max()) - utol for i in fits):
                expected_pure.add(a)
        assert _as_set(pure[b]) == expected_pure


@FAST
@given(problems())
def test_equilibria_lie_in_the_rationalizable_set(problem: tuple) -> None:
    kl, u, safe = problem
    gamma, bn, pure, _ = _engine(kl, u, safe)
    assert bool((pure <= bn).all())
    for b in range(kl.shape[0]):
        for eq in mixed_equilibria(gamma, b):
            # also when the equilibrium's belief is spread over two tied points: Γ considers
            # such beliefs at every breakpoint of a pair's envelope (sme.engine.mixed_beliefs)
            assert set(eq.actions) <= _as_set(bn[b]), (eq, bn[b])


def _brute_mixed_two(kl: torch.Tensor, u: torch.Tensor) -> list[tuple[float, float]]:
    """The mixtures ``p = σ(a1) ∈ (0, 1)`` that are Berk–Nash equilibria of a two-action
    problem ``(N, 2)``, as closed segments: Θ(p) is constant between consecutive crossings of
    the weighted-KL lines, and p is an equilibrium iff Θ(p) holds a point where a1 is at
    least as good as a0 and one where a0 is at least as good as a1 (μ mixes them)."""
    ktol, utol = _tolerances(kl, u, Tolerance())
    k, diff = kl.tolist(), (u[:, 1] - u[:, 0]).tolist()
    both = _finite_for_both(k)
    if not both:
        return []
    ordered = _crossings(k, both)

    def equilibrium(p: float) -> bool:
        loss = [(1 - p) * k[i][0] + p * k[i][1] for i in both]
        fit = [both[n] for n in _argmin(loss, ktol)]
        return min(diff[i] for i in fit) <= utol and max(diff[i] for i in fit) >= -utol

    pieces = [(c, c) for c in ordered[1:-1] if equilibrium(c)]
    pieces += [(x, y) for x, y in itertools.pairwise(ordered) if equilibrium((x + y) / 2)]
    segments: list[tuple[float, float]] = []  # connected components
    for x, y in sorted(pieces):
        if segments and x <= segments[-1][1]:
            segments[-1] = (segments[-1][0], max(segments[-1][1], y))
        else:
            segments.append((x, y))
    return segments


@FAST
@given(problems(actions=(2, 2)))
def test_two_action_mixed_equilibria_match_a_brute_force(problem: tuple) -> None:
    kl, u, safe = problem
    gamma, _, _, _ = _engine(kl, u, safe)
    margin, slack = 1e-6, 1e-9  # PURE_MARGIN: mixtures closer to a pure action are not reported
    for b in range(kl.shape[0]):
        segments = [(max(x, margin), min(y, 1 - margin))
                    for x, y in _brute_mixed_two(kl[b], u[b])]
        segments = [(x, y) for x, y in segments if x <= y]
        found = mixed_equilibria(gamma, b)
        for eq in found:  # every report brackets a true equilibrium away from the ends
            low, high = eq.interval
            assert low - slack <= eq.probability <= high + slack
            assert any(x - slack <= high and low <= y + slack for x, y in segments), (eq, segments)
        for x, y in segments:  # every true equilibrium is reported
            assert any(x - slack <= eq.interval[1] and eq.interval[0] <= y + slack
                       for eq in found), ((x, y), found)


@FAST
@given(problems(), st.sampled_from([1e-3, 0.37, 1.0, 8.0, 1e6]),
       st.integers(-400, 400).map(lambda k: k / 4))
def test_payoff_scaling_and_shifting_change_nothing(problem: tuple, scale: float,
                                                    shift: float) -> None:
    kl, u, safe = problem
    _, bn, pure, phase = _engine(kl, u, safe)
    for changed in (u * scale, u + shift):
        _, bn2, pure2, phase2 = _engine(kl, changed, safe)
        assert torch.equal(bn, bn2)
        assert torch.equal(pure, pure2)
        assert torch.equal(phase, phase2)


@FAST
@given(problems(), st.randoms(use_true_random=False))
def test_configurations_are_independent_of_their_batch(problem: tuple, rnd) -> None:
    kl, u, safe = problem
    _, bn, pure, phase = _engine(kl, u, safe)
    order = list(range(kl.shape[0]))
    rnd.shuffle(order)
    _, bn_p, pure_p, phase_p = _engine(kl[order], u[order], safe)
    assert torch.equal(bn_p, bn[order])
    assert torch.equal(pure_p, pure[order])
    assert torch.equal(phase_p, phase[order])
    for b in range(kl.shape[0]):
        _, bn1, pure1, phase1 = _engine(kl[b:b + 1], u[b:b + 1], safe)
        assert torch.equal(bn1[0], bn[b])
        assert torch.equal(pure1[0], pure[b])
        assert torch.equal(phase1[0], phase[b])


# --------------------------------------------------------------------------- random scenarios


def _pick(action: torch.Tensor, values: list) -> torch.Tensor:
    """``values[action]`` for an action tensor, written with ``torch.where``."""
    out = values[-1]
    for index in range(len(values) - 2, -1, -1):
        out = torch.where(action == index, values[index], out)
    return out


def gaussian_scenario(n_actions: int) -> Scenario:
    """Truth ``y ~ N(m_a, 1)``; belief ``θ ~ Uniform(lo, hi)``, ``y ~ N(θ g_a, 1)``; payoff
    ``scale · (y − c_a) + shift``."""
    idx = range(n_actions)

    def world(action, **p):
        return pyro.sample("y", dist.Normal(_pick(action, [p[f"m{a}"] for a in idx]), 1.0))

    def belief(action, lo, hi, **p):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        gain = _pick(action, [p[f"g{a}"] for a in idx])
        return pyro.sample("y", dist.Normal(theta * gain, 1.0))

    def payoff(action, y, scale, shift, **p):
        return scale * (y - _pick(action, [p[f"c{a}"] for a in idx])) + shift

    return Scenario(
        name=f"gaussian-{n_actions}",
        actions=[Action(f"a{a}", safe=(a == 0)) for a in idx],
        world=world, belief=belief, payoff=payoff, observed=["y"],
        prior_params={"lo": Param(-1.0), "hi": Param(1.0),
                      **{f"g{a}": Param(1.0) for a in idx}},
        world_params={f"m{a}": Param(0.0) for a in idx},
        reward_params={"scale": Param(1.0, low=1e-6), "shift": Param(0.0),
                       **{f"c{a}": Param(0.0) for a in idx}},
    )


SCENARIOS = {n: gaussian_scenario(n) for n in (2, 3)}
POINTS = 41
ANALYSIS = Settings(resolution=Resolution(points=POINTS))
quarter = st.integers(-16, 16).map(lambda k: k / 4)


@st.composite
def configurations(draw: st.DrawFn, n_actions: int) -> dict[str, float]:
    lo = draw(st.integers(-16, 8).map(lambda k: k / 4))
    hi = lo + draw(st.integers(1, 16).map(lambda k: k / 4))
    config = {"lo": lo, "hi": hi}
    for a in range(n_actions):
        config[f"m{a}"] = draw(quarter)
        config[f"g{a}"] = draw(st.integers(-8, 8).map(lambda k: k / 4))
        config[f"c{a}"] = draw(quarter)
    return config


@SLOW
@given(st.data())
def test_scenario_pipeline_properties(data: st.DataObject) -> None:
    n = data.draw(st.sampled_from([2, 3]), label="actions")
    scenario = SCENARIOS[n]
    configs = data.draw(st.lists(configurations(n), min_size=1, max_size=3), label="configs")
    scale = data.draw(st.sampled_from([0.01, 0.3, 7.0, 250.0]), label="scale")
    shift = data.draw(st.integers(-40, 40).map(lambda k: k / 2), label="shift")
    batch = analyze_batch(scenario, configs, ANALYSIS)
    assert bool(batch.bn_set.any(dim=1).all())
    assert bool((batch.pure <= batch.bn_set).all())
    for row in range(len(configs)):
        for eq in mixed_equilibria(batch.gamma, row):
            assert set(eq.actions) <= _as_set(batch.bn_set[row])
    moved = analyze_batch(scenario, [{**c, "scale": scale, "shift": shift} for c in configs],
                          ANALYSIS)
    assert torch.equal(moved.bn_set, batch.bn_set)
    assert torch.equal(moved.pure, batch.pure)
    assert moved.phases() == batch.phases()
    alone = analyze_batch(scenario, [configs[-1]], ANALYSIS)
    assert torch.equal(alone.bn_set[0], batch.bn_set[-1])
    assert torch.equal(alone.pure[0], batch.pure[-1])
    assert alone.phase(0) == batch.phase(len(configs) - 1)
    assert torch.allclose(alone.tensors.kl[0], batch.tensors.kl[-1], rtol=1e-12, atol=1e-12)
    assert torch.allclose(alone.tensors.utility[0], batch.tensors.utility[-1], rtol=1e-12,
                          atol=1e-12)


@SLOW
@given(st.data())
def test_correct_and_identified_model_learns_the_optimal_actions(data: st.DataObject) -> None:
    # world y ~ N(θ* g_a, 1) with θ* inside [lo, hi] and every g_a ≠ 0: the model is correct
    # and each action alone identifies θ*, so Θ(σ) is the grid point nearest θ* for every σ
    # and R is the set of actions optimal at θ*.
    n = data.draw(st.sampled_from([2, 3]), label="actions")
    lo = data.draw(st.integers(-12, 4).map(lambda k: k / 4), label="lo")
    hi = lo + data.draw(st.integers(1, 16).map(lambda k: k / 4), label="hi")
    theta = lo + (hi - lo) * data.draw(st.floats(0.0, 1.0), label="position")
    gains = [data.draw(st.integers(1, 8).map(lambda k: k / 4) | st.integers(-8, -1)
                       .map(lambda k: k / 4), label=f"g{a}") for a in range(n)]
    costs = [data.draw(quarter, label=f"c{a}") for a in range(n)]
    value = [theta * g - c for g, c in zip(gains, costs, strict=True)]
    best = max(value)
    step = (hi - lo) / (POINTS - 1)
    margin = 2 * step * (max(abs(g) for g in gains) + 1e-9)
    # skip near-ties that the grid cannot resolve (the optimum must not change within a step)
    assume(all(v == best or best - v > margin for v in value))
    config = {"lo": lo, "hi": hi}
    for a in range(n):
        config |= {f"m{a}": theta * gains[a], f"g{a}": gains[a], f"c{a}": costs[a]}
    batch = analyze_batch(SCENARIOS[n], [config], ANALYSIS)
    expected = {a for a in range(n) if value[a] == best}
    assert _as_set(batch.bn_set[0]) == expected
    assert _as_set(batch.pure[0]) == expected
