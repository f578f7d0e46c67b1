"""A search job: the command line's choices as plain data, and everything built from them.

A :class:`SearchJob` is picklable, so worker processes receive it and build their own
scenario, space, evaluator and study (:func:`prepare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from search.inert import inert_message, inert_parameters
from search.objectives import Evaluator, ObjectiveSpec, RobustRange, parse_robust
from search.samplers import make_sampler
from search.space import SearchSpace, build_space
from search.storage import StorageSpec, resolve_storage
from search.study import fail_stale_trials, open_study
from sme.analysis import Settings, resolve_device, theta_grid
from sme.runtime.errors import SMEError
from sme.runtime.limits import MAX_SEED, check_device, check_seed
from sme.runtime.resources import check_margin_directions, check_search_batch
from sme.runtime.version import __version__
from sme.scenario.declaration import Scenario, load_scenario
from sme.scenario.risks import risk_axes

#: version of the setup record stored with each study
SETUP_VERSION = 1
#: the margin directions do not depend on --seed, so margins stay comparable across runs
DIRECTION_SEED = 0


@dataclass
class SearchJob:
    """Everything ``sme search`` was asked to do (see ``sme search --help``)."""

    scenario: str
    trials: int = 100
    batch: int = 8
    sampler: str = "tpe"
    seed: int | None = None
    study: str | None = None
    storage: str | None = None
    objective: ObjectiveSpec = field(default_factory=ObjectiveSpec)
    assignments: list[tuple[str, str]] = field(default_factory=list)
    ranges: list[tuple[str, str]] = field(default_factory=list)
    robust: list[str] = field(default_factory=list)
    points: int = 401
    #: ``--points`` per latent dimension (:attr:`priors.compile.Resolution.per_dimension`)
    per_dimension: tuple[int, ...] | None = None
    mc_samples: int | None = None
    device: str = "auto"
    memory_budget: int = 512 * 1024 * 1024
    threads: int | None = None
    #: values per world parameter of the sweep over objective risks (0: none)
    risk_grid: int = 5
    #: the world and reward parameters the sweep varies (``--risk-params``; ``None``: every
    #: world parameter)
    risk_params: tuple[str, ...] | None = None
    #: feasible only when safe at every objective risk (``--robust-risks``)
    robust_risks: bool = False
    tail: float | None = None

    def settings(self) -> Settings:
        from priors.compile import Resolution

        base = Resolution()
        return Settings(resolution=Resolution(points=self.points,
                                              per_dimension=self.per_dimension,
                                              mc_samples=self.mc_samples or base.mc_samples,
                                              tail=base.tail if self.tail is None else self.tail),
                        device=resolve_device(check_device(self.device)),
                        memory_budget=self.memory_budget, risk_grid=self.risk_grid,
                        risk_params=self.risk_params)


@dataclass
class Prepared:
    """A job made ready to run: the scenario loaded, the study opened."""

    job: SearchJob
    scenario: Scenario
    space: SearchSpace
    evaluator: Evaluator
    storage: StorageSpec
    study: Any
    study_name: str
    setup: dict[str, Any]
    warnings: list[str]
    #: points per latent coordinate of the baseline prior (``[64, 64]``; ``[]``: Sobol)
    grid: list[int] = field(default_factory=list)


def make_setup(scenario: Scenario, context: dict[str, Any], robust: list[RobustRange],
               objective: ObjectiveSpec, settings: Settings, space: SearchSpace,
               required: bool = False, per_dimension: bool = False) -> dict[str, Any]:
    """The record stored with a study: what its trials' values depend on (``per_dimension``:
    record ``--points`` per latent dimension, see :func:`_resolution_record`)."""
    _, world, reward = scenario.split(scenario.values(context))
    return {
        "version": SETUP_VERSION,
        "tool_version": __version__,
        "scenario_name": scenario.name,
        "scenario": {"name": scenario.name,
                     "path": str(scenario.source) if scenario.source else None,
                     "sha256": scenario.source_sha256()},
        "context": {"world": world, "reward": reward},
        "robust": [r.to_json() for r in robust],
        "risks": {"grid": settings.risk_grid, "required": required,
                  **({"params": list(settings.risk_params)}
                     if settings.risk_params is not None else {})},
        "objective": objective.to_json(),
        "resolution": _resolution_record(settings, per_dimension),
        "baseline": dict(space.baseline),
        "safe_actions": [a.name for a in scenario.actions if a.safe],
    }


def _resolution_record(settings: Settings, per_dimension: bool = False) -> dict[str, Any]:
    """The resolution a study's trials depend on; the tail cut-off is recorded only when it
    is not the default, and the points per latent dimension only when asked (when they give
    another grid than ``points`` alone did before ``--points`` applied to every dimension),
    so studies begun before either could be chosen still resume."""
    from priors.compile import Resolution

    r = settings.resolution
    record: dict[str, Any] = {"points": r.points, "mc_samples": r.mc_samples}
    if per_dimension and r.per_dimension is not None:
        record["per_dimension"] = list(r.per_dimension)
    if r.tail != Resolution().tail:
        record["tail"] = r.tail
    return record


def prepare(job: SearchJob, worker: int = 0, clean_stale: bool = True) -> Prepared:
    """Load the scenario, build the space and evaluator, open (or create) the study.

    ``worker`` offsets the sampler seed so that parallel workers do not repeat each other
    (except QMC, whose workers share one sequence).
    """
    if job.trials < 1:
        raise SMEError("--trials must be at least 1")
    scenario = load_scenario(job.scenario)
    if not any(action.safe for action in scenario.actions):
        raise SMEError(f"{job.scenario}: scenario {scenario.name!r} marks no action safe, so "
                       "no prior can be safe; mark the acceptable ones Action(..., safe=True)")
    overrides: dict[str, Any] = {}
    for name, value in job.assignments:
        if name in overrides:
            raise SMEError(f"--set {name}: given twice")
        overrides[name] = value
    scenario.values(overrides)  # validates names and values
    fixed = {k: v for k, v in overrides.items() if scenario.group_of(k) == "prior"}
    context = {k: v for k, v in overrides.items() if scenario.group_of(k) != "prior"}
    context = {k: v for k, v in scenario.values(context).items()
               if scenario.group_of(k) != "prior"}
    robust = [parse_robust(text, scenario) for text in job.robust]
    names = [r.name for r in robust]
    if len(set(names)) != len(names):
        raise SMEError("--robust: each parameter may be given once")
    space, warnings = build_space(scenario, job.ranges, fixed)
    settings = job.settings()
    if job.robust_risks:
        if job.risk_grid == 0:
            raise SMEError("--robust-risks needs --risk-grid of at least 1")
        if not risk_axes(scenario, job.risk_grid, job.risk_params)[0]:
            raise SMEError(f"--robust-risks: scenario {scenario.name!r} declares no world "
                           "parameter with a range, so there are no objective risks to sweep")
    elif job.risk_grid > 0 and job.risk_params is not None:
        risk_axes(scenario, job.risk_grid, job.risk_params)  # names checked before any trial
    margin = job.objective.margin
    if margin.enabled and space.numeric:  # before the directions are drawn
        check_margin_directions(margin.directions, margin.levels, job.batch,
                                settings.memory_budget)
    evaluator = Evaluator(scenario, space, context, robust, job.objective, settings,
                          seed=DIRECTION_SEED, require_risks=job.robust_risks)
    check_search_batch(job.batch, evaluator.rows_per_trial, settings.memory_budget)
    if worker == 0:
        inert = inert_parameters(scenario, space, context, settings)
        if inert:
            warnings.append(inert_message(inert, space.names, evaluator.baseline_phase))
    baseline = {**context, **space.baseline, **space.fixed}
    grid = theta_grid(scenario, baseline, settings)
    # ``--points N`` meant N along a single latent only; record the counts where they differ
    legacy = (settings.resolution.per_dimension is None or grid == theta_grid(
        scenario, baseline, replace(settings, resolution=replace(
            settings.resolution, per_dimension=None))))
    setup = make_setup(scenario, context, robust, job.objective, settings, space,
                       job.robust_risks, per_dimension=not legacy)
    storage = resolve_storage(job.storage, scenario.name)
    study_name = job.study or scenario.name
    try:
        seed = None if job.seed is None else check_seed(job.seed)
    except SMEError as exc:
        raise SMEError(f"--seed: {exc}") from None
    if seed is not None and job.sampler != "qmc":
        seed = (seed + worker) % (MAX_SEED + 1)  # stays a valid seed
    sampler = make_sampler(job.sampler, seed)
    study, more = open_study(storage.open(), study_name, setup, job.objective, sampler,
                             storage.label)
    warnings += more
    if clean_stale:
        stale = fail_stale_trials(study)
        if stale:
            warnings.append(f"{stale} trial(s) left running by a stopped search were "
                            "marked failed and enqueued again")
    return Prepared(job, scenario, space, evaluator, storage, study, study_name, setup,
                    warnings, grid)
