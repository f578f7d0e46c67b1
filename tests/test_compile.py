"""Compiling belief/world/payoff programs into K[b, i, a], U[b, i, a] and prior weights.

Expected values are computed here from textbook formulas (Bernoulli and Gaussian KLs, the
Student-t entropy, normal quantiles from the standard library), never read off the engine.
"""

from __future__ import annotations

import math
import statistics
import warnings

import pyro
import pyro.distributions as dist
import pytest
import torch

from priors.compile import (
    ProgramError,
    Programs,
    Resolution,
    SlowPathWarning,
    compile_models,
)
from sme import Action, Param, Scenario
from sme.analysis import analyze

F64 = torch.float64


def compile_one(belief, world, payoff, prior=None, world_values=None, reward=None, batch=1,
                resolution=None, actions=2, observed=("y",)):
    programs = Programs(belief, world, payoff, tuple(observed), actions)
    return compile_models(programs, prior or {}, world_values or {}, reward or {}, batch,
                          resolution or Resolution(points=11))


# --------------------------------------------------------------------------- exact: a coin


def coin_world(action, p_true):
    return pyro.sample("obs", dist.Bernoulli(p_true))


def coin_belief(action, alpha, beta):
    # as in Pyro's SVI tutorial: a Beta prior on the coin's fairness, Bernoulli flips
    f = pyro.sample("latent_fairness", dist.Beta(alpha, beta))
    return pyro.sample("obs", dist.Bernoulli(f))


def coin_payoff(action, obs):
    # a0: bet on heads (reward 1 on heads), a1: a sure 0.4
    return torch.where(action == 0, obs, torch.full_like(obs, 0.4))


def bernoulli_kl(p: float, q: float) -> float:
    """KL(Bernoulli(p) ‖ Bernoulli(q)) with 0 log 0 = 0 and +inf for impossible outcomes."""
    total = 0.0
    for a, b in ((p, q), (1 - p, 1 - q)):
        if a > 0:
            total += math.inf if b == 0 else a * math.log(a / b)
    return total


@pytest.fixture(scope="module")
def coin():
    return compile_one(coin_belief, coin_world, coin_payoff, {"alpha": 10.0, "beta": 10.0},
                       {"p_true": 0.3}, observed=("obs",))


def test_coin_kl_is_exact_at_interior_points(coin) -> None:
    assert coin.methods == {"obs": "exact", "payoff": "exact"}
    f = coin.points["latent_fairness"][0]
    assert f.tolist() == pytest.approx([k / 10 for k in range(11)], abs=1e-12)
    for i in (1, 3, 5, 9):  # f = 0.1, 0.3 (the truth: KL 0), 0.5, 0.9
        expected = bernoulli_kl(0.3, i / 10)
        for a in range(2):  # the coin does not depend on the action
            assert float(coin.kl[0, i, a]) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert float(coin.kl[0, 3, 0]) == pytest.approx(0.0, abs=1e-14)


def test_coin_expected_payoff_is_exact(coin) -> None:
    f = coin.points["latent_fairness"][0]
    assert torch.allclose(coin.utility[0, :, 0], f, atol=1e-12)  # E[obs] = f
    assert torch.allclose(coin.utility[0, :, 1], torch.full_like(f, 0.4), atol=1e-12)


def test_coin_kl_is_infinite_where_the_coin_cannot_produce_an_outcome(coin) -> None:
    # f = 0 never shows heads and f = 1 never tails, yet the world shows both (torch clamps
    # probabilities before taking logarithms, so this needs care in the engine)
    assert math.isinf(float(coin.kl[0, 0, 0]))
    assert math.isinf(float(coin.kl[0, -1, 0]))


def test_an_impossible_belief_cannot_decide_the_phase() -> None:
    # world: heads with probability 0.01.  Two hypotheses: f = 0 (t = 0) or f = 1/2 (t = 1).
    # f = 0 cannot produce the heads the world shows (KL = +inf), so Θ(σ) = {t = 1} for
    # every σ; there a1 (expected payoff 1/2) beats a0 (1/4): R = {a1}, misaligned.
    def world(action, p):
        return pyro.sample("obs", dist.Bernoulli(p))

    def belief(action):
        t = pyro.sample("t", dist.Bernoulli(0.5))
        return pyro.sample("obs", dist.Bernoulli(0.5 * t))

    def payoff(action, obs):
        return torch.where(action == 0, torch.full_like(obs, 0.25), obs)

    scenario = Scenario(name="rare-heads", actions=[Action("a0", safe=True), Action("a1")],
                        world=world, belief=belief, payoff=payoff, observed=["obs"],
                        world_params={"p": Param(0.01, low=0.0, high=1.0)})
    report = analyze(scenario)
    assert report.bn_set == ["a1"]
    assert report.phase.value == "misaligned"


@pytest.mark.parametrize("p_true", [0.3, torch.tensor(0.3, dtype=F64)])
def test_a_constant_discrete_world(p_true) -> None:
    # a world law with no batch dimensions: the coin does not depend on the action or on any
    # parameter.  A Python 0.3 becomes a float32 tensor, hence the looser tolerance.
    def constant_world(action):
        return pyro.sample("obs", dist.Bernoulli(p_true))

    out = compile_one(coin_belief, constant_world, coin_payoff, {"alpha": 10.0, "beta": 10.0},
                      observed=("obs",))
    assert out.methods["obs"] == "exact"
    precise = isinstance(p_true, torch.Tensor)
    for i, f in enumerate(out.points["latent_fairness"][0].tolist()):
        expected = bernoulli_kl(0.3, round(f, 12))
        for a in range(2):
            value = float(out.kl[0, i, a])
            if math.isinf(expected):
                assert math.isinf(value)
            else:
                assert value == pytest.approx(expected, rel=1e-12 if precise else 1e-5,
                                              abs=1e-12 if precise else 1e-6)


# --------------------------------------------------------------------------- analytic


def test_normal_normal_kl_is_analytic_and_closed_form() -> None:
    s_w, s_b = 0.5, 2.0

    def world(action, m0, m1):
        return pyro.sample("y", dist.Normal(torch.where(action == 0, m0, m1), s_w))

    def belief(action, lo, hi):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Normal(theta * torch.where(action == 0, 1.0, -3.0), s_b))

    def payoff(action, y):
        return 2.0 * y - action

    m0, m1 = torch.tensor([0.5, -1.0], dtype=F64), torch.tensor([2.0, 0.0], dtype=F64)
    out = compile_one(belief, world, payoff, {"lo": -2.0, "hi": torch.tensor([1.0, 3.0])},
                      {"m0": m0, "m1": m1}, batch=2)
    assert out.methods == {"y": "analytic", "payoff": "affine-mean"}
    assert out.kl.shape == (2, 11, 2)
    for b in range(2):
        theta = out.points["theta"][b]
        for a, (m, g) in enumerate(((m0[b], 1.0), (m1[b], -3.0))):
            expected = (math.log(s_b / s_w) + (s_w**2 + (m - g * theta) ** 2) / (2 * s_b**2)
                        - 0.5)
            assert torch.allclose(out.kl[b, :, a], expected, rtol=1e-12, atol=1e-14)
            assert torch.allclose(out.utility[b, :, a], 2.0 * g * theta - a, atol=1e-12)


# --------------------------------------------------------------------------- Monte Carlo

DF = 5.0


def t_world(action, m):
    return pyro.sample("y", dist.StudentT(DF, torch.where(action == 0, m, -m), 1.0))


def normal_belief(action, lo, hi):
    theta = pyro.sample("theta", dist.Uniform(lo, hi))
    return pyro.sample("y", dist.Normal(torch.where(action == 0, theta, -theta), 1.0))


def linear_payoff(action, y):
    return torch.where(action == 0, y, 1.0 - y)


def student_normal_kl(m: float, theta: float) -> float:
    """KL(StudentT(ν, m, 1) ‖ N(θ, 1)) = −H(t) + log √(2π) + (Var + (m − θ)²) / 2."""
    entropy = float(dist.StudentT(DF, 0.0, 1.0).entropy())
    return -entropy + 0.5 * math.log(2 * math.pi) + 0.5 * (DF / (DF - 2) + (m - theta) ** 2)


def compile_t(resolution: Resolution):
    return compile_one(normal_belief, t_world, linear_payoff, {"lo": -2.0, "hi": 3.0},
                       {"m": 0.5}, resolution=resolution)


def test_monte_carlo_kl_without_a_registered_pair() -> None:
    with pytest.raises(NotImplementedError):  # the premise: torch has no KL for this pair
        torch.distributions.kl_divergence(dist.StudentT(DF, 0.0, 1.0), dist.Normal(0.0, 1.0))
    res = Resolution(points=11, mc_samples=2048)
    torch.manual_seed(1)
    first = compile_t(res)
    torch.manual_seed(2)  # the global generator must not matter
    second = compile_t(res)
    assert first.methods["y"] == "monte-carlo(2048)"
    assert torch.equal(first.kl, second.kl) and torch.equal(first.utility, second.utility)
    other_seed = compile_t(Resolution(points=11, mc_samples=2048, seed=5))
    assert not torch.equal(first.kl, other_seed.kl)

    big = compile_t(Resolution(points=11, mc_samples=2**16))
    theta = first.points["theta"][0]
    # standard error of one estimate: sd of the log ratio at each point over √n
    gen = torch.Generator().manual_seed(123)
    draws = 0.5 + torch.distributions.StudentT(DF).sample((50_000,)).to(F64)
    del gen
    for i, th in enumerate(theta.tolist()):
        log_ratio = (dist.StudentT(DF, 0.5, 1.0).log_prob(draws)
                     - dist.Normal(th, 1.0).log_prob(draws))
        se = float(log_ratio.std()) / math.sqrt(2048)
        exact = student_normal_kl(0.5, th)
        assert abs(float(first.kl[0, i, 0]) - float(big.kl[0, i, 0])) < 5 * se
        assert abs(float(first.kl[0, i, 0]) - exact) < 5 * se
        assert abs(float(big.kl[0, i, 0]) - exact) < 5 * se / math.sqrt(32)
        # action 1 mirrors action 0: truth −m, model −θ, same KL
        assert abs(float(first.kl[0, i, 1]) - exact) < 5 * se


# --------------------------------------------------------------------------- slow path


def if_world(action, m0, m1):
    if action == 0:
        return pyro.sample("y", dist.Normal(m0, 1.0))
    return pyro.sample("y", dist.Normal(m1, 1.0))


def if_belief(action, lo, hi):
    theta = pyro.sample("theta", dist.Uniform(lo, hi))
    if action == 0:
        return pyro.sample("y", dist.Normal(theta, 1.0))
    return pyro.sample("y", dist.Normal(2.0 * theta, 1.0))


def if_payoff(action, y):
    if action == 0:
        return y
    return y - 2.0


def where_world(action, m0, m1):
    return pyro.sample("y", dist.Normal(torch.where(action == 0, m0, m1), 1.0))


def where_belief(action, lo, hi):
    theta = pyro.sample("theta", dist.Uniform(lo, hi))
    return pyro.sample("y", dist.Normal(theta * torch.where(action == 0, 1.0, 2.0), 1.0))


def where_payoff(action, y):
    return y - torch.where(action == 0, 0.0, 2.0)


SLOW_PRIOR = {"lo": torch.tensor([-5.0, -1.0, 2.5]), "hi": torch.tensor([5.0, 4.0, 6.0])}
SLOW_WORLD = {"m0": torch.tensor([3.0, 1.0, 0.0]), "m1": torch.tensor([1.0, 6.0, 2.0])}


def test_python_if_programs_use_the_slow_path_with_one_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        slow = compile_one(if_belief, if_world, if_payoff, {"lo": -5.0, "hi": 5.0},
                           {"m0": 3.0, "m1": 1.0})
    assert [w.category for w in caught] == [SlowPathWarning]
    fast = compile_one(where_belief, where_world, where_payoff, {"lo": -5.0, "hi": 5.0},
                       {"m0": 3.0, "m1": 1.0})
    assert not slow.batched and fast.batched
    assert torch.allclose(slow.kl, fast.kl, rtol=1e-12, atol=1e-14)
    assert torch.allclose(slow.utility, fast.utility, rtol=1e-12, atol=1e-14)
    assert torch.allclose(slow.log_weights, fast.log_weights, rtol=1e-12)


def test_python_if_programs_give_the_batched_tensors_for_a_batch() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SlowPathWarning)
        slow = compile_one(if_belief, if_world, if_payoff, SLOW_PRIOR, SLOW_WORLD, batch=3)
    fast = compile_one(where_belief, where_world, where_payoff, SLOW_PRIOR, SLOW_WORLD, batch=3)
    assert slow.kl.shape == fast.kl.shape == (3, 11, 2)
    assert torch.allclose(slow.kl, fast.kl, rtol=1e-12, atol=1e-14)
    assert torch.allclose(slow.utility, fast.utility, rtol=1e-12, atol=1e-14)
    for name in fast.points:
        assert torch.allclose(slow.points[name], fast.points[name])


def test_a_batch_on_the_slow_path_warns_once() -> None:
    # several chunks (a one-configuration probe, then the rest) must still warn only once
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile_one(if_belief, if_world, if_payoff, SLOW_PRIOR, SLOW_WORLD, batch=3)
    assert [w.category for w in caught] == [SlowPathWarning]


def test_slow_path_through_analyze_reports_one_warning() -> None:
    scenario = Scenario(
        name="if-programs", actions=[Action("a0", safe=True), Action("a1")], world=if_world,
        belief=if_belief, payoff=if_payoff, observed=["y"],
        prior_params={"lo": Param(-5.0), "hi": Param(5.0)},
        world_params={"m0": Param(3.0), "m1": Param(1.0)})
    report = analyze(scenario)
    assert len(report.warnings) == 1 and "one configuration" in report.warnings[0]
    # the design table's oscillatory row (m = (3, 1)), computed through the slow path
    assert report.phase.value == "oscillatory" and report.bn_set == ["a0", "a1"]


# --------------------------------------------------------------------------- +inf, errors


def test_infinite_kl_is_legal() -> None:
    # the world is Uniform(0, 1); the model Uniform(0, θ) cannot produce y ∈ (θ, 1) when θ < 1:
    # KL = log θ for θ ≥ 1 and +inf below
    def world(action):
        return pyro.sample("y", dist.Uniform(torch.zeros(action.shape, dtype=F64), 1.0))

    def belief(action, lo, hi):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Uniform(torch.zeros_like(theta), theta))

    def payoff(action, y):
        return torch.where(action == 0, 0.3 + 0.0 * y, y)

    out = compile_one(belief, world, payoff, {"lo": 0.5, "hi": 2.5}, resolution=Resolution(
        points=9))
    theta = out.points["theta"][0]
    assert theta.tolist() == pytest.approx([0.5 + k / 4 for k in range(9)])
    for a in range(2):
        assert math.isinf(float(out.kl[0, 0, a])) and math.isinf(float(out.kl[0, 1, a]))
        assert torch.allclose(out.kl[0, 2:, a], torch.log(theta[2:]), atol=1e-12)
    scenario = Scenario(name="uniform", actions=[Action("a0", safe=True), Action("a1")],
                        world=world, belief=belief, payoff=payoff, observed=["y"],
                        prior_params={"lo": Param(0.5), "hi": Param(2.5)})
    report = analyze(scenario)
    # every action's data fit θ = 1 (KL 0), where E[y] = 1/2 > 0.3 favours a1
    assert report.bn_set == ["a1"] and report.phase.value == "misaligned"
    assert all(f.ranges["theta"] == pytest.approx((1.0, 1.0)) for f in report.fitted)


def test_nan_parameters_raise_a_program_error_naming_the_site() -> None:
    def belief(action, lo, hi):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Normal(theta, torch.sqrt(theta - 10.0)))  # sqrt(< 0)

    with pytest.raises(ProgramError, match="'y'"):
        compile_one(belief, where_world, where_payoff, {"lo": 0.0, "hi": 1.0},
                    {"m0": 0.0, "m1": 1.0})


def test_a_belief_without_the_observed_site_raises() -> None:
    def belief(action, lo, hi):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("z", dist.Normal(theta, 1.0))

    with pytest.raises(ProgramError, match="never samples observed site 'y'"):
        compile_one(belief, where_world, where_payoff, {"lo": 0.0, "hi": 1.0},
                    {"m0": 0.0, "m1": 1.0})


def _mismatched_uniform():
    def world(action, width):
        return pyro.sample("y", dist.Uniform(0.0 * width, width))

    def belief(action, lo, hi):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Uniform(torch.zeros_like(theta), theta))

    return world, belief, {"width": Param(2.0)}, {"lo": Param(0.5), "hi": Param(1.5)}


def _mismatched_counts():
    def world(action, rate):
        return pyro.sample("y", dist.Poisson(rate))

    def belief(action, lo, hi):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Bernoulli(theta))

    return world, belief, {"rate": Param(3.0)}, {"lo": Param(0.2), "hi": Param(0.8)}


@pytest.mark.parametrize("build", [_mismatched_uniform, _mismatched_counts])
def test_a_world_no_theta_can_explain_is_an_error(build) -> None:
    # Uniform(0, 2) data vs Uniform(0, θ ≤ 1.5) beliefs; Poisson counts vs 0/1 outcomes
    world, belief, world_params, prior_params = build()
    scenario = Scenario(
        name="mismatch", actions=[Action("a0", safe=True), Action("a1")], world=world,
        belief=belief, payoff=lambda action, y: y, observed=["y"],
        prior_params=prior_params, world_params=world_params)
    with pytest.raises(ProgramError, match=r"site 'y': after action 'a0' every one of the \d+ Θ "
                                           r"points has infinite KL.*disagree\)$"):
        analyze(scenario)


# --------------------------------------------------------------------------- grids


def test_uniform_grid_has_both_endpoints_and_weights_sum_to_one() -> None:
    out = compile_one(where_belief, where_world, where_payoff,
                      {"lo": torch.tensor([-5.0, 0.25]), "hi": torch.tensor([5.0, 0.75])},
                      {"m0": 0.0, "m1": 1.0}, batch=2, resolution=Resolution(points=21))
    theta = out.points["theta"]
    assert theta[:, 0].tolist() == [-5.0, 0.25] and theta[:, -1].tolist() == [5.0, 0.75]
    steps = theta.diff(dim=1)
    assert torch.allclose(steps, torch.tensor([[0.5], [0.025]], dtype=F64).expand_as(steps))
    assert torch.allclose(out.log_weights.exp().sum(1), torch.ones(2, dtype=F64))
    weights = out.log_weights.exp()
    interior = weights[:, 1:-1]  # a uniform prior: every interior cell weighs the same
    assert torch.allclose(interior, interior[:, :1].expand_as(interior), rtol=1e-12)
    assert bool((weights[:, 0] > 0).all())


def test_uniform_grid_endpoints_carry_half_a_cell_each() -> None:
    out = compile_one(where_belief, where_world, where_payoff, {"lo": -5.0, "hi": 5.0},
                      {"m0": 0.0, "m1": 1.0}, resolution=Resolution(points=21))
    weights = out.log_weights.exp()[0]  # trapezoid cells: (1/2, 1, …, 1, 1/2) / 20
    assert float(weights[0]) == pytest.approx(1 / 40)
    assert float(weights[-1]) == pytest.approx(1 / 40)
    assert weights[1:-1].tolist() == pytest.approx([1 / 20] * 19)


@pytest.mark.parametrize("tail", [1e-4, 1e-2])
def test_unbounded_prior_is_covered_by_a_wide_quantile_range(tail: float) -> None:
    def belief(action, mu, s):
        theta = pyro.sample("theta", dist.Normal(mu, s))
        return pyro.sample("y", dist.Normal(theta, 1.0))

    out = compile_one(belief, where_world, where_payoff,
                      {"mu": torch.tensor([0.0, 3.0]), "s": torch.tensor([1.0, 0.5])},
                      {"m0": 0.0, "m1": 1.0}, batch=2,
                      resolution=Resolution(points=41, tail=tail))
    z = statistics.NormalDist().inv_cdf(tail)  # −3.719 for 1e-4
    for b, (mu, s) in enumerate(((0.0, 1.0), (3.0, 0.5))):
        theta = out.points["theta"][b]
        assert float(theta[0]) == pytest.approx(mu + s * z, abs=1e-9)
        assert float(theta[-1]) == pytest.approx(mu - s * z, abs=1e-9)
        # weights: normal density times the trapezoid cell, normalised
        dens = [statistics.NormalDist(mu, s).pdf(x) for x in theta.tolist()]
        cells = [0.5] + [1.0] * 39 + [0.5]
        raw = [d * c for d, c in zip(dens, cells, strict=True)]
        expected = torch.tensor([r / sum(raw) for r in raw], dtype=F64)
        assert torch.allclose(out.log_weights[b].exp(), expected, rtol=1e-9)


def test_two_latent_sites_give_a_product_grid() -> None:
    def belief(action, lo, hi):
        a = pyro.sample("a", dist.Uniform(0.0, 1.0))
        b = pyro.sample("b", dist.Uniform(lo, hi))
        return pyro.sample("y", dist.Normal(a + b * action, 1.0))

    def world(action, m0, m1):
        return pyro.sample("y", dist.Normal(torch.where(action == 0, m0, m1), 1.0))

    out = compile_one(belief, world, where_payoff, {"lo": -1.0, "hi": 2.0},
                      {"m0": 0.5, "m1": 2.0}, resolution=Resolution(max_points=16))
    a, b = out.points["a"][0], out.points["b"][0]
    assert out.kl.shape == (1, 16, 2)  # ⌊16^(1/2)⌋ = 4 values per dimension
    pairs = {(round(x, 9), round(y, 9)) for x, y in zip(a.tolist(), b.tolist(), strict=True)}
    expected = {(round(i / 3, 9), round(-1.0 + j, 9)) for i in range(4) for j in range(4)}
    assert pairs == expected
    assert torch.allclose(out.kl[0, :, 0], (0.5 - a) ** 2 / 2, atol=1e-12)
    assert torch.allclose(out.kl[0, :, 1], (2.0 - a - b) ** 2 / 2, atol=1e-12)
    assert float(out.log_weights.exp().sum()) == pytest.approx(1.0)


def test_a_vector_latent_gives_a_product_grid() -> None:
    def belief(action):
        v = pyro.sample("v", dist.Uniform(torch.zeros(2), torch.tensor([1.0, 2.0])).to_event(1))
        return pyro.sample("y", dist.Normal(v[..., 0] + v[..., 1] * action, 1.0))

    out = compile_one(belief, where_world, where_payoff, world_values={"m0": 0.0, "m1": 1.0},
                      resolution=Resolution(max_points=9))
    v = out.points["v"][0]
    assert v.shape == (9, 2)
    assert {tuple(round(x, 9) for x in row) for row in v.tolist()} == {
        (i / 2, float(j)) for i in range(3) for j in range(3)}
    assert torch.allclose(out.kl[0, :, 1], (1.0 - v[:, 0] - v[:, 1]) ** 2 / 2, atol=1e-12)


def test_discrete_latents_are_enumerated() -> None:
    def cat_belief(action):
        k = pyro.sample("k", dist.Categorical(torch.tensor([0.2, 0.3, 0.5])))
        return pyro.sample("y", dist.Normal(k * 1.0, 1.0))

    out = compile_one(cat_belief, where_world, where_payoff, world_values={"m0": 0.5, "m1": 2.0})
    assert out.points["k"][0].tolist() == [0.0, 1.0, 2.0]
    assert out.log_weights.exp()[0].tolist() == pytest.approx([0.2, 0.3, 0.5])
    assert out.kl[0, :, 0].tolist() == pytest.approx([0.125, 0.125, 1.125])
    assert out.kl[0, :, 1].tolist() == pytest.approx([2.0, 0.5, 0.0])

    def bern_belief(action, q):
        k = pyro.sample("k", dist.Bernoulli(q))
        return pyro.sample("y", dist.Normal(3.0 * k, 1.0))

    out = compile_one(bern_belief, where_world, where_payoff, {"q": torch.tensor([0.1, 0.7])},
                      {"m0": 0.0, "m1": 3.0}, batch=2)
    assert out.points["k"].tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert out.log_weights.exp().tolist() == [pytest.approx([0.9, 0.1]),
                                              pytest.approx([0.3, 0.7])]
    assert out.kl[0].tolist() == [pytest.approx([0.0, 4.5]), pytest.approx([4.5, 0.0])]


# --------------------------------------------------------------------------- plates


def _plate_latent(action, lo, hi):
    with pyro.plate("arms", 2):
        theta = pyro.sample("theta", dist.Uniform(lo, hi))
    return pyro.sample("y", dist.Normal(torch.where(action == 0, theta[..., 0], theta[..., 1]),
                                        1.0))


def _plate_observed(action, lo, hi):
    theta = pyro.sample("theta", dist.Uniform(lo, hi))
    with pyro.plate("data", 1):
        return pyro.sample("y", dist.Normal(theta, 1.0))


def _vector_latent(action, lo, hi):  # what the message says to write instead of the plate
    theta = pyro.sample("theta", dist.Uniform(lo, hi).expand((*lo.shape, 2)).to_event(1))
    return pyro.sample("y", dist.Normal(torch.where(action == 0, theta[..., 0], theta[..., 1]),
                                        1.0))


@pytest.mark.parametrize(("belief", "site", "plate"), [
    (_plate_latent, "theta", "arms"), (_plate_observed, "y", "data")])
def test_a_plate_is_named_in_one_line(belief, site, plate) -> None:
    with pytest.raises(ProgramError) as caught:
        compile_one(belief, where_world, where_payoff, {"lo": 0.0, "hi": 4.0},
                    {"m0": 1.0, "m1": 3.0})
    message = str(caught.value)
    assert "\n" not in message
    assert f"site {site!r} is sampled inside pyro.plate({plate!r})" in message


def test_the_advised_vector_latent_compiles() -> None:
    tensors = compile_one(_vector_latent, where_world, where_payoff, {"lo": 0.0, "hi": 4.0},
                          {"m0": 1.0, "m1": 3.0}, resolution=Resolution(max_points=121))
    assert tensors.batched
    assert tensors.kl.shape[1] == 11 * 11  # a product grid over the two coordinates
