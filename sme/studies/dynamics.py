"""Learning dynamics: many Bayesian learners acting on their beliefs, batched on a device.

Each learner holds a posterior over the Θ points, starting from their prior weights.  At each
step it plays a best response to its posterior — ``argmax_a Σ_i w_i U[i, a]``, ties broken
uniformly at random, and with probability ``ε`` a uniformly random action instead — the world
program draws the outcome, and the posterior is updated by Bayes' rule with the belief
program's likelihood ``Q_θi(y | a)`` at every point.  Esponda & Pouzo (Econometrica 2016,
Thm. 2; arXiv 2505.20708) show that every action such a learner plays infinitely often lies
in the Berk–Nash rationalizable set; the tests check exactly that on simulated learners.

Learners and configurations are tensors ``(B, L, N)`` on the analysis device, so thousands of
learners advance in one step.  Outcomes with a finite support use precomputed likelihood
tables (exact and fast); other outcomes are drawn from the world's distributions and scored
by the belief's ``log_prob``.  An outcome no point can produce leaves the posterior unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from priors.compile import ObservationModels, Resolution, observation_models
from sme.analysis import BatchAnalysis, Settings, analyze_batch
from sme.engine.equilibria import mixed_equilibria
from sme.runtime.resources import check_simulation
from sme.scenario.declaration import Scenario

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DynamicsSettings:
    """How many learners, for how long, and how the long run is read.

    Attributes:
        learners: learners per configuration.
        steps: decisions per learner.
        epsilon: probability of a uniformly random action at each step.
        seed: seed of every random draw (runs are reproducible).
        late_fraction: the final share of steps that counts as the long run.
        bins: number of time bins in the reported trajectory.
    """

    learners: int = 1000
    steps: int = 2000
    epsilon: float = 0.0
    seed: int = 0
    late_fraction: float = 0.25
    bins: int = 60

    @property
    def late_steps(self) -> int:
        return max(1, round(self.steps * self.late_fraction))


@dataclass
class Simulation:
    """Outcome of :func:`simulate` for one configuration."""

    actions: list[str]
    frequencies: dict[str, float]
    in_bn_set_share: float
    settled: dict[str, float]
    trajectory: list[list[float]]  # per time bin, the share of each action
    bin_edges: list[int]
    bn_set: list[str]
    phase: str
    learner_frequencies: torch.Tensor = field(repr=False)  # (L, A) late-period frequencies
    #: per time bin and action, the 10 % and 90 % quantiles over learners of the share of
    #: that bin's steps in which a learner played the action (the spread across learners)
    spread: list[list[tuple[float, float]]] = field(default_factory=list)
    #: the Berk–Nash equilibria with two actions in their support, as action → probability
    #: (the long-run frequencies the oscillating learners approach)
    mixed_equilibria: list[dict[str, float]] = field(default_factory=list)
    #: per mixed equilibrium, each action's least and greatest probability over it (equal
    #: ends for an isolated equilibrium; a range for a continuum of equilibria)
    equilibrium_ranges: list[dict[str, tuple[float, float]]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "frequencies": self.frequencies,
            "in_bn_set_share": self.in_bn_set_share,
            "settled": self.settled,
            "bn_set": self.bn_set,
            "phase": self.phase,
            "mixed_equilibria": self.mixed_equilibria,
            "equilibrium_ranges": [{a: list(r) for a, r in ranges.items()}
                                   for ranges in self.equilibrium_ranges],
            "trajectory": {"bin_edges": self.bin_edges, "shares": self.trajectory,
                           "spread": [[list(q) for q in row] for row in self.spread],
                           "actions": self.actions},
        }

    def plot(self, path: str | None = None) -> Any:
        """The action shares over time (:func:`sme.figures.plots.trajectory_figure`) as a matplotlib
        ``Figure``; also written to ``path`` (.png, .svg, .pdf) when given."""
        from sme.figures.plots import show_or_save, trajectory_figure

        return show_or_save(trajectory_figure(self), path)


class _Outcomes:
    """Draws outcomes of chosen actions and their log-likelihood at every point."""

    def __init__(self, models: ObservationModels, n_actions: int, batch: int,
                 learners: int, generator: torch.Generator) -> None:
        self.models, self.generator = models, generator
        self.n_actions, self.batch, self.learners = n_actions, batch, learners
        self.tables: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for site, wfn in models.world.items():
            table = self._table(wfn, models.belief[site], batch)
            if table is not None:
                self.tables[site] = table

    def _table(self, wfn: torch.distributions.Distribution,
               bfn: torch.distributions.Distribution, batch: int
               ) -> tuple[torch.Tensor, torch.Tensor] | None:
        if not wfn.has_enumerate_support:
            return None
        try:
            values = wfn.enumerate_support(expand=False)
        except (NotImplementedError, RuntimeError, ValueError):
            return None
        n = bfn.batch_shape[-1] if len(bfn.batch_shape) else 1
        shape = (self.n_actions, batch, n)
        lw = torch.broadcast_to(wfn.log_prob(values), (values.shape[0], *shape[:2], 1))[..., 0]
        lq = bfn.log_prob(values)
        lq = torch.where(bfn.support.check(values), lq, torch.full_like(lq, -math.inf))
        lq = torch.broadcast_to(lq, (values.shape[0], *shape))
        # world log-probabilities (B, A, V) and belief tables (B, A, V, N)
        return lw.permute(2, 1, 0).contiguous(), lq.permute(2, 1, 0, 3).contiguous()

    def loglik(self, action: torch.Tensor) -> torch.Tensor:
        """``(B, L, N)``: log-likelihood at every point of an outcome of ``action`` ``(B, L)``."""
        total: torch.Tensor | None = None
        for site in self.models.world:
            if site in self.tables:
                term = self._discrete(site, action)
            else:
                term = self._continuous(site, action)
            total = term if total is None else total + term
        assert total is not None
        return total

    def _discrete(self, site: str, action: torch.Tensor) -> torch.Tensor:
        lw, lq = self.tables[site]  # (B, A, V), (B, A, V, N)
        b_index = torch.arange(self.batch, device=action.device).unsqueeze(1)
        logits = lw[b_index, action]  # (B, L, V)
        gumbel = -torch.log(-torch.log(
            torch.rand(logits.shape, generator=self.generator, device=logits.device,
                       dtype=logits.dtype).clamp_min(1e-300)))
        value = (logits + gumbel).argmax(dim=-1)  # (B, L)
        return lq[b_index, action, value]  # (B, L, N)

    def _continuous(self, site: str, action: torch.Tensor) -> torch.Tensor:
        wfn, bfn = self.models.world[site], self.models.belief[site]
        a, b = self.n_actions, self.batch
        wfn = wfn.expand(torch.Size((a, b, 1)))
        draws = wfn.sample((self.learners,))  # (L, A, B, 1, *event); global RNG, seeded
        event = tuple(wfn.event_shape)
        # pick each learner's own action: (L, B, 1, *event)
        chosen = action.t().reshape(self.learners, 1, b, 1, *([1] * len(event)))
        chosen = chosen.expand(self.learners, 1, b, 1, *event)
        y = torch.gather(draws, 1, chosen)  # (L, 1, B, 1, *event)
        lq = bfn.log_prob(y)  # (L, A, B, N)
        lq = torch.where(bfn.support.check(y), lq, torch.full_like(lq, -math.inf))
        lq = torch.broadcast_to(lq, (self.learners, a, b, lq.shape[-1]))
        index = action.t().reshape(self.learners, 1, b, 1).expand(-1, 1, -1, lq.shape[-1])
        return torch.gather(lq, 1, index)[:, 0].permute(1, 0, 2)  # (B, L, N)


def run_learners(
    analysis: BatchAnalysis, models: ObservationModels, dyn: DynamicsSettings,
    progress: Progress | None = None,
) -> torch.Tensor:
    """Advance ``dyn.learners`` learners per configuration; returns their actions
    ``(T, B, L)`` as ``int8``."""
    device = analysis.tensors.utility.device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(dyn.seed)  # outcome draws use the global generator
        generator = torch.Generator(device=device).manual_seed(dyn.seed)
        return _run(analysis, models, dyn, progress, generator)


def _run(analysis: BatchAnalysis, models: ObservationModels, dyn: DynamicsSettings,
         progress: Progress | None, generator: torch.Generator) -> torch.Tensor:
    utility = analysis.tensors.utility
    batch, _, n_actions = utility.shape
    device = utility.device
    utol = analysis.gamma.utol.reshape(-1, 1, 1)
    log_post = models.log_weights.to(utility.dtype).unsqueeze(1).expand(
        batch, dyn.learners, -1).clone()
    outcomes = _Outcomes(models, n_actions, batch, dyn.learners, generator)
    history = torch.empty(dyn.steps, batch, dyn.learners, dtype=torch.int8, device=device)
    every = max(1, dyn.steps // 100)
    for step in range(dyn.steps):
        weights = torch.softmax(log_post, dim=-1)
        expected = torch.bmm(weights, utility)  # (B, L, A)
        best = expected.max(dim=-1, keepdim=True).values
        ties = expected >= best - utol
        noise = torch.rand(expected.shape, generator=generator, device=device)
        action = torch.where(ties, noise, torch.full_like(noise, -1.0)).argmax(dim=-1)
        if dyn.epsilon > 0:
            explore = torch.rand(action.shape, generator=generator, device=device) < dyn.epsilon
            random_action = torch.randint(0, n_actions, action.shape, generator=generator,
                                          device=device)
            action = torch.where(explore, random_action, action)
        history[step] = action.to(torch.int8)
        loglik = outcomes.loglik(action)
        updated = log_post + loglik
        top = updated.max(dim=-1, keepdim=True).values
        explained = torch.isfinite(top)
        log_post = torch.where(explained, updated - torch.where(explained, top, 0.0), log_post)
        if progress is not None and (step % every == 0 or step == dyn.steps - 1):
            progress(step + 1, dyn.steps)
    return history


def summarise(history: torch.Tensor, analysis: BatchAnalysis, row: int,
              dyn: DynamicsSettings) -> Simulation:
    """Long-run frequencies, membership in the Berk–Nash set and settling, for ``row``."""
    names = analysis.scenario.action_names
    n_actions = len(names)
    acts = history[:, row, :].long()  # (T, L)
    late = acts[-dyn.late_steps:]
    onehot = torch.nn.functional.one_hot(late, n_actions).to(torch.float64)  # (t, L, A)
    per_learner = onehot.mean(dim=0)  # (L, A)
    frequencies = per_learner.mean(dim=0)
    in_set = analysis.bn_set[row].to(late.device)
    all_in = in_set[late].all(dim=0)
    pure = analysis.pure[row].tolist()
    settled = {names[a]: float((late == a).all(dim=0).double().mean())
               for a in range(n_actions) if pure[a]}
    edges = torch.linspace(0, acts.shape[0], min(dyn.bins, acts.shape[0]) + 1).round().long()
    trajectory, spread = [], []
    quantiles = torch.tensor([0.1, 0.9], dtype=torch.float64, device=acts.device)
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        per = torch.nn.functional.one_hot(acts[lo:hi], n_actions).double().mean(dim=0)  # (L, A)
        trajectory.append([float(x) for x in per.mean(dim=0)])
        q = torch.quantile(per, quantiles, dim=0)  # (2, A)
        spread.append([(float(q[0, a]), float(q[1, a])) for a in range(n_actions)])
    bn_rows = torch.nonzero(analysis.bn_set[row]).flatten().tolist()
    found = mixed_equilibria(analysis.gamma, row, bn_rows) if len(bn_rows) > 1 else []
    mixed = [{names[a]: p for a, p in eq.mixture().items()} for eq in found]
    ranges = [{names[a]: r for a, r in eq.ranges().items()} for eq in found]
    return Simulation(
        actions=names,
        frequencies={names[a]: float(frequencies[a]) for a in range(n_actions)},
        in_bn_set_share=float(all_in.double().mean()),
        settled=settled,
        trajectory=trajectory,
        bin_edges=edges.tolist(),
        bn_set=analysis.bn_names(row),
        phase=analysis.phase(row).value,
        learner_frequencies=per_learner,
        spread=spread,
        mixed_equilibria=mixed,
        equilibrium_ranges=ranges,
    )


def simulate(
    scenario: Scenario,
    overrides: dict[str, object] | None = None,
    settings: Settings | None = None,
    dyn: DynamicsSettings | None = None,
    progress: Progress | None = None,
) -> Simulation:
    """Simulate learners for one configuration (defaults updated by ``overrides``)."""
    scenario.check_constraints(overrides)
    settings = settings or Settings(resolution=Resolution(points=201))
    dyn = dyn or DynamicsSettings()
    return simulate_batch(scenario, [overrides or {}], settings, dyn, progress)[0]


def simulate_batch(
    scenario: Scenario,
    configs: list[dict[str, object]],
    settings: Settings,
    dyn: DynamicsSettings,
    progress: Progress | None = None,
) -> list[Simulation]:
    """Simulate learners for several configurations at once."""
    analysis = analyze_batch(scenario, configs, settings)
    _, points, actions = analysis.tensors.shape
    check_simulation(dyn.learners, dyn.steps, len(configs), points, actions,
                     settings.memory_budget)
    prior, world, _ = _batched_values(scenario, analysis)
    models = observation_models(scenario.programs, prior, world, len(configs),
                                settings.resolution, settings.device, settings.dtype)
    history = run_learners(analysis, models, dyn, progress)
    return [summarise(history, analysis, row, dyn) for row in range(len(configs))]


def _batched_values(scenario: Scenario, analysis: BatchAnalysis
                    ) -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    values: dict[str, object] = {}
    for name, param in scenario.all_params.items():
        column = [c[name] for c in analysis.configs]
        if param.is_numeric:
            values[name] = torch.tensor([float(v) for v in column],
                                        dtype=analysis.settings.dtype)
        else:
            if len(set(column)) > 1:
                from sme.runtime.errors import SMEError

                raise SMEError(f"parameter {name!r}: simulate one categorical value at a time")
            values[name] = column[0]
    return scenario.split(values)
