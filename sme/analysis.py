"""The analysis facade: scenario + parameter values → Berk–Nash set, equilibria, phase.

:func:`analyze_batch` evaluates many configurations in batched passes (:mod:`sme.runtime.passes`;
what searches use, and phase diagrams through :func:`summarise_batch`); :func:`analyze`
evaluates one configuration and returns a full :class:`Analysis` report with mixed
equilibria, graphs, diagnostics and an explanation.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import torch

from priors.compile import (
    ModelTensors,
    ProgramError,
    Resolution,
    Values,
    compile_models,
    rows_per_compile,
)
from priors.params import Scalar
from sme.engine.berk_nash import GammaOperator, Tolerance, pure_equilibria, rationalizable_set
from sme.engine.equilibria import MixedEquilibrium, mixed_equilibria
from sme.engine.graphs import best_response_graph, dependency_graph, observed_coupling
from sme.engine.phases import Phase, classify
from sme.figures.explain import explain
from sme.runtime.passes import pass_workers, rows_per_pass, run_passes, spans
from sme.scenario.declaration import Scenario
from sme.scenario.risks import DEFAULT_RISK_GRID, RiskSweep, risk_configurations


@dataclass(frozen=True)
class Settings:
    """Numerical settings of an analysis (reported beside every result)."""

    resolution: Resolution = field(default_factory=Resolution)
    tolerance: Tolerance = field(default_factory=Tolerance)
    device: str = "cpu"
    dtype: torch.dtype = torch.float64
    memory_budget: int = 1 << 29  # bytes of working memory for one batched pass
    #: values per world parameter in the sweep over objective risks (0: no sweep);
    #: see :mod:`sme.scenario.risks`
    risk_grid: int = 5
    #: the world and reward parameters the sweep varies (``None``: every world parameter)
    risk_params: tuple[str, ...] | None = None

    def describe(self) -> dict[str, Any]:
        r, t = self.resolution, self.tolerance
        return {
            "points": r.points, "max_points": r.max_points,
            "per_dimension": list(r.per_dimension) if r.per_dimension is not None else None,
            "mc_samples": r.mc_samples,
            "tail_quantile": r.tail, "seed": r.seed, "kl_tie_atol": t.kl_atol,
            "kl_tie_rtol": t.kl_rtol, "utility_tie_rtol": t.utility_rtol,
            "device": self.device, "risk_grid": self.risk_grid,
            **({"risk_params": list(self.risk_params)} if self.risk_params is not None else {}),
        }


def resolve_device(name: str) -> str:
    """``auto`` → ``cuda`` when available, else ``cpu``; checks explicit choices."""
    from sme.runtime.errors import SMEError

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SMEError("--device cuda: no CUDA device is available (use auto or cpu)")
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise SMEError(f"--device: expected auto, cpu or cuda, got {name!r}")
    return name


@dataclass
class _Pass:
    """The results of one pass over some configurations (``tensors`` and ``gamma`` are
    ``None`` when only the per-configuration results are kept)."""

    tensors: ModelTensors | None
    gamma: GammaOperator | None
    bn_set: torch.Tensor  # (b, A) bool
    pure: torch.Tensor  # (b, A) bool
    phase_codes: torch.Tensor  # (b,)


@dataclass
class BatchAnalysis:
    """Results for ``B`` configurations of one scenario (tensors on the analysis device).

    The compiled tensors and the ``Γ`` operator of the passes (:mod:`sme.runtime.passes`) are
    joined into whole-batch ones when first used (``tensors``, ``gamma``): the answers
    alone never need them."""

    scenario: Scenario
    configs: list[dict[str, Scalar]]
    passes: list[_Pass]
    index: torch.Tensor | None  # puts the passes' rows back in the configurations' order
    bn_set: torch.Tensor  # (B, A) bool
    pure: torch.Tensor  # (B, A) bool
    phase_codes: torch.Tensor  # (B,)
    settings: Settings

    @functools.cached_property
    def tensors(self) -> ModelTensors:
        """The compiled tensors of every configuration (:class:`ModelTensors`)."""
        return _joined_tensors([p.tensors for p in self.passes if p.tensors is not None],
                               self.index)

    @functools.cached_property
    def gamma(self) -> GammaOperator:
        """``Γ`` over every configuration, with the passes' tolerances and responses."""
        return GammaOperator.joined([p.gamma for p in self.passes if p.gamma is not None],
                                    self.index)

    def __len__(self) -> int:
        return len(self.configs)

    def phase(self, row: int) -> Phase:
        return Phase.from_code(int(self.phase_codes[row]))

    def phases(self) -> list[Phase]:
        return [Phase.from_code(int(c)) for c in self.phase_codes.tolist()]

    def bn_names(self, row: int) -> list[str]:
        return [a for a, keep in zip(self.scenario.action_names, self.bn_set[row].tolist(),
                                     strict=True) if keep]

    def pure_names(self, row: int) -> list[str]:
        return [a for a, keep in zip(self.scenario.action_names, self.pure[row].tolist(),
                                     strict=True) if keep]

    def report(self, row: int) -> Analysis:
        """The full single-configuration report for ``row``."""
        return _report(self, row)


def _group_key(values: Mapping[str, Scalar], numeric: Sequence[str]) -> tuple[Any, ...]:
    return tuple((k, v) for k, v in sorted(values.items()) if k not in numeric)


def analyze_batch(
    scenario: Scenario,
    configs: Sequence[Mapping[str, Any]],
    settings: Settings = Settings(),
) -> BatchAnalysis:
    """Analyse many configurations; each is a mapping of overrides (any parameter group).

    Numeric parameters travel as tensors, so one pass covers many configurations;
    configurations that differ in a non-numeric categorical parameter (a string choice,
    say) are compiled in passes of their own.  Passes are sized and run on the chosen
    threads by :mod:`sme.runtime.passes`; the answers do not depend on the split.  The result
    keeps every configuration's tensors (``B × N × A``): for batches too large to hold,
    :func:`summarise_batch` keeps only the answers.
    """
    full = _resolved(scenario, configs)
    order, passes = _analyse(scenario, full, settings, keep=True)
    index = _inverse(order)
    bn, pure, codes = (_joined([getattr(p, name) for p in passes], index)
                       for name in ("bn_set", "pure", "phase_codes"))
    return BatchAnalysis(scenario, full, passes, index, bn, pure, codes, settings)


def _resolved(scenario: Scenario, configs: Sequence[Mapping[str, Any]]
              ) -> list[dict[str, Scalar]]:
    """Every configuration's values (defaults updated, validated)."""
    full = [scenario.values(c) for c in configs]
    if not full:
        raise ValueError("the analysis needs at least one configuration")
    if len(scenario.observed) > 1:
        _check_observed_independent(scenario, full[0])
    return full


def _analyse(scenario: Scenario, full: list[dict[str, Scalar]], settings: Settings,
             keep: bool, done: Callable[[int], None] | None = None
             ) -> tuple[list[int], list[_Pass]]:
    """Every configuration of ``full`` in passes: the rows in the order of the passes, and
    the passes.  A first pass of one configuration shows the number of Θ points and how
    the sites are integrated, which size the rest."""
    numeric = [k for k, p in scenario.all_params.items() if p.is_numeric]
    groups: dict[tuple[Any, ...], list[int]] = {}
    if len(numeric) == len(scenario.all_params):  # every parameter travels as a tensor
        groups[()] = list(range(len(full)))
    else:
        for row, values in enumerate(full):
            groups.setdefault(_group_key(values, numeric), []).append(row)
    order: list[int] = []
    passes: list[_Pass] = []
    actions = len(scenario.actions)
    for rows in groups.values():
        batch_values: dict[str, Any] = {}
        for name in scenario.all_params:
            if name in numeric:
                batch_values[name] = torch.tensor([float(full[r][name]) for r in rows],
                                                  dtype=settings.dtype)
            else:
                batch_values[name] = full[rows[0]][name]
        prior, world, reward = scenario.split(batch_values)

        def work(begin: int, end: int, pass_rows: int | None = None, keep_tensors: bool = keep,
                 rows: list[int] = rows, prior: Values = prior, world: Values = world,
                 reward: Values = reward) -> _Pass:
            part = [_sliced(v, begin, end) for v in (prior, world, reward)]
            tensors = compile_models(
                scenario.programs, *part, end - begin, settings.resolution, settings.device,
                settings.dtype, settings.memory_budget, pass_rows=pass_rows)
            return _solve(scenario, tensors, settings, keep_tensors, rows[begin:end],
                          len(full))

        first = work(0, 1, keep_tensors=True)  # its tensors size the other passes
        assert first.tensors is not None
        step = _pass_rows(first.tensors, actions, settings)
        if not keep:
            first.tensors, first.gamma = None, None
        if done is not None:
            done(1)
        parts = list(spans(1, len(rows), step))
        rest = run_passes(functools.partial(work, pass_rows=step), parts,
                          pass_workers(settings.device), done)
        order += rows
        passes += [first, *rest]
    return order, passes


def _pass_rows(probe: ModelTensors, actions: int, settings: Settings) -> int:
    """Configurations per pass after the first: within the memory budget of compilation
    (:func:`priors.compile.rows_per_compile`) and of the analysis (:mod:`sme.runtime.passes`)."""
    _, points, _ = probe.shape
    return min(rows_per_pass(points, actions, settings.memory_budget, settings.device),
               rows_per_compile(points, actions, probe.methods, settings.resolution,
                                settings.dtype, settings.memory_budget))


def _solve(scenario: Scenario, tensors: ModelTensors, settings: Settings, keep: bool,
           rows: Sequence[int], total: int) -> _Pass:
    """The Berk–Nash sets, pure equilibria and phases of one compiled pass of the
    configurations ``rows`` of ``total`` (its tensors and operator are kept with it for
    ``keep``), after checking that every action leaves a point that fits."""
    gamma = GammaOperator(tensors.kl, tensors.utility, settings.tolerance)
    _check_fit(scenario, torch.isinf(gamma.least_kl), tensors.shape[1], rows, total)
    bn = rationalizable_set(gamma)
    pure = pure_equilibria(gamma)
    safe = torch.tensor(scenario.safe_mask, dtype=torch.bool, device=bn.device)
    codes = classify(bn, safe, pure)
    if not keep:
        return _Pass(None, None, bn, pure, codes)
    return _Pass(tensors, gamma, bn, pure, codes)


def _sliced(values: Mapping[str, Any], begin: int, end: int) -> dict[str, Any]:
    return {k: v[begin:end] if isinstance(v, torch.Tensor) else v for k, v in values.items()}


def _inverse(order: list[int]) -> torch.Tensor | None:
    """The index that puts rows listed in ``order`` back in their places (``None`` when
    they are in place already)."""
    if order == list(range(len(order))):
        return None
    forward = torch.tensor(order)
    inverse = torch.empty_like(forward)
    inverse[forward] = torch.arange(len(order))
    return inverse


def _joined(parts: list[torch.Tensor], index: torch.Tensor | None) -> torch.Tensor:
    out = parts[0] if len(parts) == 1 else torch.cat(parts)
    return out if index is None else out[index.to(out.device)]


def _check_observed_independent(scenario: Scenario, values: Mapping[str, Scalar]) -> None:
    """KLs are summed over observed sites, which is right only when they are conditionally
    independent given the action and the latents."""
    prior, _, _ = scenario.split(values)
    coupled = observed_coupling(scenario, dependency_graph(scenario, prior))
    if coupled:
        raise ProgramError(
            f"observed site {coupled[1]!r} depends on observed site {coupled[0]!r}; observed "
            "sites must be independent given the action and the latents (combine them into "
            "one site with a joint distribution)"
        )


@dataclass
class PhaseSummary:
    """Phases, Berk–Nash sets and pure equilibria of many configurations (no tensors kept)."""

    scenario: Scenario
    phase_codes: torch.Tensor  # (B,)
    bn_set: torch.Tensor  # (B, A)
    pure: torch.Tensor  # (B, A)

    def phases(self) -> list[Phase]:
        return [Phase.from_code(int(c)) for c in self.phase_codes.tolist()]


#: configurations whose values are resolved at once by :func:`summarise_batch` (their
#: dictionaries, not the tensors, bound its memory for very large batches)
SUMMARY_BLOCK = 1 << 16


def summarise_batch(
    scenario: Scenario,
    configs: Sequence[Mapping[str, Any]],
    settings: Settings = Settings(),
    progress: Callable[[int, int], None] | None = None,
) -> PhaseSummary:
    """Phases of any number of configurations within ``settings.memory_budget``: the
    configurations are analysed in passes sized from the number of Θ points
    (:mod:`sme.runtime.passes`), blocks of :data:`SUMMARY_BLOCK` at a time, and only the
    per-configuration results are kept."""
    if not configs:
        raise ValueError("summarise_batch needs at least one configuration")
    total = len(configs)
    finished = 0

    def done(rows: int) -> None:
        nonlocal finished
        finished += rows
        if progress is not None:
            progress(finished, total)

    codes, sets, pures = [], [], []
    for begin, end in spans(0, total, SUMMARY_BLOCK):
        full = _resolved(scenario, configs[begin:end])
        order, passes = _analyse(scenario, full, settings, keep=False, done=done)
        index = _inverse(order)
        codes.append(_joined([p.phase_codes for p in passes], index).cpu())
        sets.append(_joined([p.bn_set for p in passes], index).cpu())
        pures.append(_joined([p.pure for p in passes], index).cpu())
    return PhaseSummary(scenario, torch.cat(codes), torch.cat(sets), torch.cat(pures))


def _joined_tensors(parts: list[ModelTensors], index: torch.Tensor | None) -> ModelTensors:
    """The compiled tensors of consecutive passes as one batch (rows taken by ``index``)."""
    sizes = {p.kl.shape[1] for p in parts}
    if len(sizes) != 1:
        raise ProgramError(
            "configurations with different categorical values give different numbers of Θ "
            "points; analyse them separately"
        )
    first = parts[0]
    return ModelTensors(
        kl=_joined([p.kl for p in parts], index),
        utility=_joined([p.utility for p in parts], index),
        log_weights=_joined([p.log_weights for p in parts], index),
        points={k: _joined([p.points[k] for p in parts], index) for k in first.points},
        methods=first.methods,
        batched=all(p.batched for p in parts),
        truncated=first.truncated,
    )


def _check_fit(scenario: Scenario, unfit: torch.Tensor, points: int, rows: Sequence[int],
               total: int) -> None:
    """Every action must leave some point with finite KL, or the model cannot explain the
    data at all (a support mismatch between the world and the belief program).  ``unfit``
    ``(b, A)`` marks the actions after which none of the ``points`` has finite KL;
    ``rows`` are the configurations' places in the whole batch of ``total``."""
    if bool(unfit.any()):
        local, action = (int(x) for x in torch.nonzero(unfit)[0])
        sites = ", ".join(repr(site) for site in scenario.observed)
        where = "" if total == 1 else f" (configuration {rows[local]})"
        raise ProgramError(
            f"site {sites}: after action {scenario.action_names[action]!r} every one of the "
            f"{points} Θ points has infinite KL{where}: the belief program cannot produce "
            "outcomes the world produces (their supports disagree"
            + (", or too few points: raise --points)" if points < 16 else ")")
        )


# --------------------------------------------------------------------------- single report


@dataclass
class FittedBelief:
    """``Θ(δ_a)``: the beliefs that best fit the data of always playing ``action``."""

    action: str
    kl: float
    ranges: dict[str, tuple[float, float]]
    responses: list[str]
    points: int

    @property
    def identified(self) -> bool:
        """True when every best-fitting belief recommends the same actions."""
        return len(self.responses) == 1


@dataclass
class UnruledBelief:
    """Beliefs that fit the data of the safe resting point ``resting`` as well as any, under
    which the unsafe ``favours`` is optimal (named in an ``indeterminate`` explanation)."""

    resting: str
    favours: str
    ranges: dict[str, tuple[float, float]]
    points: int


@dataclass
class Analysis:
    """One configuration, fully reported."""

    scenario: Scenario
    values: dict[str, Scalar]
    phase: Phase
    bn_set: list[str]
    pure_equilibria: list[str]
    mixed_equilibria: list[dict[str, Any]]
    fitted: list[FittedBelief]
    explanation: str
    best_response: nx.DiGraph
    dependencies: nx.DiGraph
    methods: dict[str, str]
    settings: Settings
    warnings: list[str] = field(default_factory=list)
    #: how many Θ points the prior's support was covered with (all dimensions together)
    theta_points: int = 0
    #: points per latent coordinate of the product grid (``[64, 64]``); empty for Sobol
    #: points (more than three continuous dimensions)
    grid: list[int] = field(default_factory=list)
    #: ``--verify``: the result at doubled resolution (see :func:`verify`), else ``None``
    verification: dict[str, Any] | None = None
    #: the phases across the world parameters' declared ranges (:mod:`sme.scenario.risks`);
    #: ``None`` when the sweep was switched off (``risk_grid = 0``)
    objective_risks: RiskSweep | None = None

    @property
    def safe_actions(self) -> list[str]:
        return [a.name for a in self.scenario.actions if a.safe]

    def plot(self, path: str | None = None) -> Any:
        """The best-response graph (:func:`sme.figures.plots.best_response_figure`) as a matplotlib
        ``Figure``; also written to ``path`` (.png, .svg, .pdf) when given."""
        from sme.figures.plots import best_response_figure, show_or_save

        return show_or_save(best_response_figure(self), path)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (``sme analyze --json``)."""
        prior, world, reward = self.scenario.split(self.values)
        return {
            "scenario": self.scenario.name,
            "source": str(self.scenario.source) if self.scenario.source else None,
            "prior": prior,
            "world": world,
            "reward": reward,
            "phase": self.phase.value,
            "phase_meaning": self.phase.meaning,
            "bn_set": self.bn_set,
            "safe_actions": self.safe_actions,
            "pure_equilibria": self.pure_equilibria,
            "mixed_equilibria": [
                {k: v for k, v in eq.items()
                 if k in ("mixture", "interval", "belief", "pure", "ranges", "region")}
                for eq in self.mixed_equilibria
            ],
            "fitted_beliefs": [
                {"action": f.action, "kl": f.kl, "ranges": f.ranges,
                 "best_responses": f.responses, "identified": f.identified}
                for f in self.fitted
            ],
            "best_response_graph": [list(e) for e in self.best_response.edges],
            "belief_dependencies": [list(e) for e in self.dependencies.edges],
            "explanation": self.explanation,
            "resolution": {**self.settings.describe(), "theta_points": self.theta_points,
                           "grid": self.grid or None, "methods": self.methods},
            "objective_risks": (self.objective_risks.to_json()
                                if self.objective_risks is not None else None),
            "verification": self.verification,
            "warnings": self.warnings,
        }


def analyze(
    scenario: Scenario,
    overrides: Mapping[str, Any] | None = None,
    settings: Settings = Settings(),
) -> Analysis:
    """Analyse one configuration (defaults updated by ``overrides``) and report it fully.

    Raises:
        ScenarioError: the configuration violates a constraint of the scenario.
    """
    scenario.check_constraints(overrides)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        batch = analyze_batch(scenario, [dict(overrides or {})], settings)
        report = batch.report(0)
        if settings.risk_grid > 0:
            report.objective_risks = sweep_risks(scenario, batch.configs[0], settings,
                                                 settings.risk_grid)
    for w in records:
        caught.append(str(w.message))
    report.warnings.extend(dict.fromkeys(caught))
    return report


def verify(scenario: Scenario, overrides: Mapping[str, Any] | None, result: Analysis
           ) -> Analysis:
    """Analyse again at doubled resolution (twice the Θ points and Monte Carlo samples) and
    record the comparison on ``result`` (``result.verification``; a warning when the phase
    or the Berk–Nash set changes).  Returns ``result``."""
    from dataclasses import replace

    settings = result.settings
    fine = analyze(scenario, overrides, replace(settings, risk_grid=0,
                                                resolution=settings.resolution.doubled()))
    unchanged = fine.phase == result.phase and fine.bn_set == result.bn_set
    result.verification = {
        "points": fine.settings.resolution.points,
        "theta_points": fine.theta_points,
        "mc_samples": fine.settings.resolution.mc_samples,
        "phase": fine.phase.value,
        "bn_set": fine.bn_set,
        "unchanged": unchanged,
    }
    if not unchanged:
        result.warnings.append(
            f"at doubled resolution ({fine.theta_points} Θ points, "
            f"{fine.settings.resolution.mc_samples} Monte Carlo samples) the result changes: "
            f"phase {fine.phase.value}, set {{{', '.join(fine.bn_set)}}}; raise --points")
    return result


def _summarise_points(points: Mapping[str, torch.Tensor], mask: torch.Tensor
                      ) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for site, values in points.items():
        chosen = values[mask]
        flat = chosen.reshape(chosen.shape[0], -1)
        for k in range(flat.shape[1]):
            label = site if flat.shape[1] == 1 else f"{site}[{k}]"
            out[label] = (float(flat[:, k].min()), float(flat[:, k].max()))
    return out


def truncated_fits(batch: BatchAnalysis, row: int) -> list[str]:
    """Warnings for best fits on a quantile cut-off of an unbounded prior.

    An unbounded side of a prior's support is covered up to its ``tail`` (or ``1 − tail``)
    quantile (:mod:`priors.grid`).  When a point of ``Θ(δ_a)`` — the beliefs that best fit
    the data of always playing ``a`` — is the outermost point on such a side, the minimiser
    of the KL divergence may lie beyond the cover, and so may beliefs that decide the
    Berk–Nash set; the answer is then not certified.  One warning per site and side.
    """
    tensors, names = batch.tensors, batch.scenario.action_names
    fits = batch.gamma.pure_fits()[row]  # (A, N)
    tail = batch.settings.resolution.tail
    out = []
    for site, flags in tensors.truncated.items():
        values = tensors.points[site][row]
        values = values.reshape(values.shape[0], -1)
        for k, (cut_low, cut_high) in enumerate(flags):
            column = values[:, k]
            label = site if values.shape[1] == 1 else f"{site}[{k}]"
            for side, cut, edge, quantile in (("lower", cut_low, column.min(), f"{tail:g}"),
                                              ("upper", cut_high, column.max(),
                                               f"1 − {tail:g}")):
                if not cut:
                    continue
                at_edge = column == edge
                acts = [names[a] for a in range(len(names)) if bool((fits[a] & at_edge).any())]
                if acts:
                    out.append(
                        f"the data of always playing {', '.join(acts)} are best fit at "
                        f"{label} = {float(edge):.4g}, the {side} cut-off of its unbounded "
                        f"prior (its {quantile} quantile): the best fit may lie beyond "
                        "it, so the answer is not certified; lower --tail (e.g. --tail 1e-12)")
    return out


def grid_shape(points: Mapping[str, torch.Tensor]) -> list[int]:
    """Distinct values per latent coordinate of one configuration's points ``(N, *event)``
    when they form a product grid (their product is ``N``), else ``[]`` (Sobol points)."""
    counts: list[int] = []
    total = 0
    for values in points.values():
        flat = values.reshape(values.shape[0], -1)
        total = flat.shape[0]
        counts += [int(torch.unique(flat[:, k]).numel()) for k in range(flat.shape[1])]
    product = 1
    for c in counts:
        product *= c
    return counts if counts and product == total else []


def theta_grid(scenario: Scenario, values: Mapping[str, Any], settings: Settings
               ) -> list[int]:
    """The points per latent coordinate (:func:`grid_shape`) with which the configuration
    ``values`` is covered at ``settings`` (``[]`` for Sobol points): compiled alone, without
    the analysis."""
    full = _resolved(scenario, [values])[0]
    prior, world, reward = scenario.split(full)
    tensors = compile_models(scenario.programs, prior, world, reward, 1, settings.resolution,
                             settings.device, settings.dtype, settings.memory_budget)
    return grid_shape({k: v[0] for k, v in tensors.points.items()})


def _report(batch: BatchAnalysis, row: int) -> Analysis:
    scenario, gamma = batch.scenario, batch.gamma
    names = scenario.action_names
    points = {k: v[row] for k, v in batch.tensors.points.items()}
    fits = gamma.pure_fits()[row]  # (A, N)
    fitted = []
    for a, name in enumerate(names):
        mask = fits[a]
        kl_min = batch.tensors.kl[row, :, a][mask].min()
        responses = (gamma.optimal[row] & mask.unsqueeze(-1)).any(dim=0)
        fitted.append(FittedBelief(
            action=name, kl=float(kl_min), ranges=_summarise_points(points, mask),
            responses=[names[b] for b in range(len(names)) if bool(responses[b])],
            points=int(mask.sum()),
        ))
    bn_rows = torch.nonzero(batch.bn_set[row]).flatten().tolist()
    mixed = [_mixed_json(eq, names, points) for eq in mixed_equilibria(gamma, row, bn_rows)]
    phase = batch.phase(row)
    br_graph = best_response_graph(scenario, fitted, batch.bn_names(row))
    prior, _, _ = scenario.split(batch.configs[row])
    deps = dependency_graph(scenario, prior)
    unruled = _unruled_beliefs(batch, row, points) if phase is Phase.INDETERMINATE else []
    text = explain(scenario, phase, batch.bn_names(row), batch.pure_names(row), mixed, fitted,
                   unruled)
    return Analysis(
        scenario=scenario, values=batch.configs[row], phase=phase, bn_set=batch.bn_names(row),
        pure_equilibria=batch.pure_names(row), mixed_equilibria=mixed, fitted=fitted,
        explanation=text, best_response=br_graph, dependencies=deps,
        methods=dict(batch.tensors.methods), settings=batch.settings,
        theta_points=int(batch.tensors.kl.shape[1]), grid=grid_shape(points),
        warnings=truncated_fits(batch, row),
    )


def _unruled_beliefs(batch: BatchAnalysis, row: int, points: Mapping[str, torch.Tensor]
                     ) -> list[UnruledBelief]:
    """At each safe resting point ``a`` (a pure equilibrium): the beliefs that fit the data
    of playing ``a`` as well as any (``Θ(δ_a)``) and under which a rationalizable unsafe
    action is optimal — what the agent's own data cannot rule out (the research's epistemic
    indeterminacy)."""
    scenario, gamma = batch.scenario, batch.gamma
    names = scenario.action_names
    fits = gamma.pure_fits()[row]  # (A, N)
    optimal = gamma.optimal[row]  # (N, A)
    unsafe = [b for b in range(len(names))
              if not scenario.actions[b].safe and bool(batch.bn_set[row, b])]
    out = []
    for a in range(len(names)):
        if not bool(batch.pure[row, a]) or not scenario.actions[a].safe:
            continue
        for b in unsafe:
            mask = fits[a] & optimal[:, b]
            if bool(mask.any()):
                out.append(UnruledBelief(resting=names[a], favours=names[b],
                                         ranges=_summarise_points(points, mask),
                                         points=int(mask.sum())))
    return out


def _mixed_json(eq: MixedEquilibrium, names: list[str], points: Mapping[str, torch.Tensor]
                ) -> dict[str, Any]:
    belief = []
    for index, weight in eq.belief:
        at = {}
        for site, values in points.items():
            value = values[index]
            at[site] = float(value) if value.numel() == 1 else value.flatten().tolist()
        belief.append({"weight": weight, "point": at})
    return {
        "mixture": {names[a]: p for a, p in eq.mixture().items()},
        "interval": list(eq.interval),
        "belief": belief,
        "actions": [names[a] for a in eq.actions],
        "probability": eq.probability,
        "pure": eq.pure,
        "ranges": {names[a]: list(r) for a, r in eq.ranges().items()},
        **({"region": [dict(zip((names[a] for a in eq.actions), v, strict=True))
                       for v in eq.vertices]} if eq.vertices else {}),
    }


def sweep_risks(scenario: Scenario, base: Mapping[str, Any], settings: Settings,
                grid: int = DEFAULT_RISK_GRID) -> RiskSweep:
    """Analyse the prior and reward of ``base`` at every objective risk of the grid
    (batched within ``settings.memory_budget``) and count the phases."""
    axes, unswept, configs = risk_configurations(scenario, base, grid, settings.risk_params)
    sweep = RiskSweep(axes=axes, grid=grid, unswept=unswept)
    if not configs:
        return sweep
    summary = summarise_batch(scenario, configs, settings)
    sweep.counts = {phase: 0 for phase in Phase}
    for config, phase in zip(configs, summary.phases(), strict=True):
        sweep.counts[phase] += 1
        sweep.by_cell.append((tuple(config[a.name] for a in axes), phase))
    return sweep
