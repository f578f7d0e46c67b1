"""The Python interface, for notebooks and scripts: what the ``sme`` commands do, as functions.

Each function takes a scenario (a :class:`~sme.scenario.declaration.Scenario`, or the path
of a scenario file, which is run), parameter ``values`` (any declared parameter; strings are
parsed as on the command line) and the numerical options of the commands as keywords, and
returns the result object the command prints:

* :func:`analyze` → :class:`~sme.analysis.Analysis` (``.phase``, ``.bn_set``, ...);
* :func:`phase_diagram` → :class:`~sme.studies.diagram.PhaseDiagram` (``.phases``, one row per y);
* :func:`simulate` → :class:`~sme.studies.dynamics.Simulation` (``.phase``, ``.bn_set``,
  ``.frequencies``, ...);
* :func:`search` → :class:`SearchResult` (``.phase`` and ``.bn_set`` of the best safe prior,
  ``.candidates``, the Optuna ``.study``);
* :func:`params` → the declared parameters, as ``sme params`` lists them.

Every result has ``.to_json()`` (what ``--json`` prints) and ``.plot(path=None)``, which
returns a matplotlib ``Figure`` (shown inline by Jupyter) and writes it when given a path.
Bad input raises :class:`sme.runtime.errors.SMEError` (or the engine's errors) with the one-line
message the command line prints.  :func:`search` imports the ``search`` package on call (the
engine never imports it otherwise).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sme.analysis import Analysis, Settings
    from sme.scenario.declaration import Scenario
    from sme.studies.diagram import Axis, PhaseDiagram
    from sme.studies.dynamics import Simulation

def _scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    from sme.scenario.declaration import Scenario, load_scenario

    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(Path(scenario))


#: ``points`` of the functions below: Θ points along every continuous latent dimension, or one
#: count per dimension in the order of the latent sites (``(64, 16)``); ``None``: the
#: defaults (401 for one dimension, 201 for :func:`simulate`; 64 × 64 for two, 16 × 16 × 16 for
#: three, 4096 Sobol points above), as ``--points`` on the command line
Points = int | Sequence[int] | None


def _points(points: Points, default: int) -> tuple[int, tuple[int, ...] | None]:
    """``(points, per_dimension)`` of :class:`priors.compile.Resolution` from ``points``."""
    from sme.runtime.errors import SMEError

    if points is None:
        return default, None
    counts = (points,) if isinstance(points, int) else tuple(points)
    if not counts or any(isinstance(n, bool) or not isinstance(n, int) or n < 1
                         for n in counts):
        raise SMEError(f"points: expected a positive integer, or one per latent dimension "
                       f"such as (64, 16), got {points!r}")
    return (counts[0] if len(counts) == 1 else default), counts


def _settings(settings: Settings | None, points: Points, mc_samples: int | None,
              device: str, tail: float | None, default_points: int = 401) -> Settings:
    from priors.compile import Resolution
    from sme.analysis import Settings, resolve_device
    from sme.runtime.limits import check_device

    if settings is not None:
        return settings
    base = Resolution()
    count, per_dimension = _points(points, default_points)
    resolution = Resolution(points=count, per_dimension=per_dimension,
                            mc_samples=mc_samples or base.mc_samples,
                            tail=base.tail if tail is None else tail)
    return Settings(resolution=resolution, device=resolve_device(check_device(device)))


def _values(scenario: Scenario, values: Mapping[str, Any] | None,
            prior: str | os.PathLike[str] | None) -> dict[str, Any]:
    """``prior`` (an exported or configuration file) updated by ``values``, validated."""
    merged: dict[str, Any] = {}
    if prior is not None:
        from sme.files.prior_values import read_values

        from_file, notes = read_values(str(prior), scenario)
        for note in notes:
            warnings.warn(note, stacklevel=3)
        merged.update(from_file)
    merged.update(values or {})
    scenario.values(merged)  # raises naming the parameter
    return merged


def analyze(scenario: Scenario | str | os.PathLike[str],
            values: Mapping[str, Any] | None = None, settings: Settings | None = None, *,
            prior: str | os.PathLike[str] | None = None, points: Points = None,
            mc_samples: int | None = None, device: str = "cpu", tail: float | None = None,
            risk_grid: int = 5, verify: bool = False) -> Analysis:
    """The Berk–Nash set, equilibria and phase of one configuration (``sme analyze``).

    Args:
        scenario: a scenario, or the path of a scenario file.
        values: parameter values (defaults elsewhere); they win over ``prior``.
        settings: numerical settings; when given, ``points``, ``mc_samples``, ``device``
            and ``tail`` are ignored.
        prior: a file of values (``.toml``/``.json``/``.yaml``, e.g. from ``sme export``).
        points: Θ points along every continuous latent dimension, or one count per
            dimension in the order of the latent sites (``(64, 16)``); ``None``: 401 for one
            dimension, 64 × 64 for two, 16 × 16 × 16 for three (see :data:`Points`).
        mc_samples: Monte Carlo samples where no exact KL exists.
        device: ``cpu``, ``cuda`` or ``auto``.
        tail: the quantile cut-off covering unbounded priors (default ``1e-4``).
        risk_grid: values per world parameter of the sweep over objective risks
            (``result.objective_risks``; 0: no sweep), as ``--risk-grid``.
        verify: also analyse at doubled resolution (``result.verification``).
    """
    from sme.analysis import analyze as analyse_one
    from sme.analysis import verify as verify_one

    model = _scenario(scenario)
    overrides = _values(model, values, prior)
    if settings is None:
        settings = replace(_settings(None, points, mc_samples, device, tail), risk_grid=risk_grid)
    result = analyse_one(model, overrides, settings)
    if verify:
        verify_one(model, overrides, result)
    return result


def phase_diagram(scenario: Scenario | str | os.PathLike[str], x: str | Axis, y: str | Axis,
                  values: Mapping[str, Any] | None = None, settings: Settings | None = None,
                  *, prior: str | os.PathLike[str] | None = None, points: Points = None,
                  mc_samples: int | None = None, device: str = "cpu",
                  tail: float | None = None) -> PhaseDiagram:
    """The phase over a grid of two parameters (``sme phase-diagram``).

    ``x`` and ``y`` are ``"NAME=LO:HI:N[:log|:lin]"`` (as ``--x``/``--y``) or
    :class:`~sme.studies.diagram.Axis` objects; the other arguments are those of :func:`analyze`.
    """
    from sme.studies.diagram import parse_axis
    from sme.studies.diagram import phase_diagram as diagram

    model = _scenario(scenario)
    x_axis = parse_axis(x, model) if isinstance(x, str) else x
    y_axis = parse_axis(y, model) if isinstance(y, str) else y
    return diagram(model, x_axis, y_axis, _values(model, values, prior),
                   _settings(settings, points, mc_samples, device, tail))


def simulate(scenario: Scenario | str | os.PathLike[str],
             values: Mapping[str, Any] | None = None, settings: Settings | None = None, *,
             prior: str | os.PathLike[str] | None = None, learners: int = 1000,
             steps: int = 2000, epsilon: float = 0.0, seed: int = 0, late: float = 0.25,
             points: Points = None, mc_samples: int | None = None, device: str = "cpu",
             tail: float | None = None) -> Simulation:
    """Many Bayesian learners on one configuration (``sme simulate``): ``learners`` of them
    for ``steps`` decisions, exploring with probability ``epsilon``; the long run is the last
    ``late`` share of the steps.  Other arguments as in :func:`analyze`."""
    from sme.runtime.errors import SMEError
    from sme.studies.dynamics import DynamicsSettings
    from sme.studies.dynamics import simulate as run

    if not 0.0 < late <= 1.0:
        raise SMEError(f"late: expected a share in (0, 1], got {late!r}")
    if not 0.0 <= epsilon <= 1.0:
        raise SMEError(f"epsilon: expected a probability in [0, 1], got {epsilon!r}")
    from sme.runtime.limits import check_seed

    try:
        seed = check_seed(seed)
    except SMEError as exc:
        raise SMEError(f"seed: {exc}") from None
    model = _scenario(scenario)
    dyn = DynamicsSettings(learners=learners, steps=steps, epsilon=epsilon, seed=seed,
                           late_fraction=late)
    return run(model, _values(model, values, prior),
               _settings(settings, points, mc_samples, device, tail, default_points=201), dyn)


@dataclass
class SearchResult:
    """A search's study after :func:`search`: its candidates, best first."""

    study: Any  # optuna.Study
    storage: str
    candidates: list[Any]  # search.results.Candidate, best first
    trials: int
    feasible: int
    resolution: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> Any | None:
        """The best safe candidate (``search.results.Candidate``), or ``None``."""
        first = self.candidates[0] if self.candidates else None
        return first if first is not None and first.feasible else None

    @property
    def phase(self) -> str | None:
        """The phase of the best safe prior (``"safe"``), ``None`` when none was found."""
        return None if self.best is None else self.best.phase

    @property
    def bn_set(self) -> list[str] | None:
        """The Berk–Nash set of the best safe prior, ``None`` when none was found."""
        return None if self.best is None else list(self.best.bn_set)

    @property
    def prior(self) -> dict[str, Any] | None:
        """The best safe prior's parameter values, ``None`` when none was found."""
        return None if self.best is None else dict(self.best.params)

    def to_json(self) -> dict[str, Any]:
        """What ``sme search --json`` prints, with the ranked candidates."""
        return {"study": self.study.study_name, "storage": self.storage,
                "trials": self.trials, "feasible": self.feasible,
                "best_trial": None if self.best is None else self.best.trial,
                "resolution": self.resolution,
                "candidates": [c.to_json() for c in self.candidates]}

    def plot(self, path: str | None = None) -> Any:
        """Fidelity against distance of every completed trial, coloured by phase, the best
        safe one ringed (a matplotlib ``Figure``); also written to ``path`` when given."""
        from sme.figures.plots import search_figure, show_or_save

        return show_or_save(search_figure(self.candidates, self.best,
                                          self.study.study_name), path)


def search(scenario: Scenario | str | os.PathLike[str], *, trials: int = 100,
           values: Mapping[str, Any] | None = None,
           ranges: Mapping[str, str] | None = None, robust: Sequence[str] = (),
           sampler: str = "tpe", seed: int | None = None, batch: int = 8,
           study: str | None = None, storage: str | None = None, objective: str = "pareto",
           weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
           margin_directions: int = 8, margin_radius: float = 0.2, points: Points = None,
           mc_samples: int | None = None, device: str = "cpu",
           tail: float | None = None) -> SearchResult:
    """Search for safe priors with Optuna (``sme search``), in this process.

    The study holds ``trials`` trials at the end (a rerun resumes it, as on the command
    line); it lives in ``storage`` (default ``<scenario name>.sme-journal`` in the working
    directory) under ``study`` (default: the scenario's name).  ``values`` fixes prior
    parameters or sets world and reward ones (``--set``), ``ranges`` narrows prior
    parameters (``{"hi": "0:4"}``, as ``--range``), ``robust`` requires safety across world
    or reward ranges (``["m1=0:2"]``, as ``--robust``).  The scenario must come from a file
    (a study records its path and SHA-256).
    """
    from search.job import SearchJob, prepare
    from search.objectives import MarginSpec, ObjectiveSpec
    from search.results import candidates, mark_best
    from search.study import quiet_optuna, run_trials, study_progress
    from sme.runtime.errors import SMEError
    from sme.scenario.declaration import Scenario

    if isinstance(scenario, Scenario):
        if scenario.source is None:
            raise SMEError(f"scenario {scenario.name!r}: search needs a scenario loaded from a "
                           "file (pass its path)")
        scenario = scenario.source
    if objective not in ("pareto", "scalar"):
        raise SMEError(f"objective: expected 'pareto' or 'scalar', got {objective!r}")
    count, per_dimension = _points(points, 401)
    spec = ObjectiveSpec(mode=objective, weights=tuple(weights),  # type: ignore[arg-type]
                         margin=MarginSpec(directions=margin_directions, radius=margin_radius))
    job = SearchJob(
        scenario=str(scenario), trials=trials, batch=batch, sampler=sampler, seed=seed,
        study=study, storage=storage, objective=spec,
        assignments=[(k, str(v)) for k, v in (values or {}).items()],
        ranges=list((ranges or {}).items()), robust=list(robust), points=count,
        per_dimension=per_dimension,
        mc_samples=mc_samples, device=device, tail=tail)
    with quiet_optuna():
        ready = prepare(job)
        for note in ready.warnings:
            warnings.warn(note, stacklevel=2)
        run_trials(ready.study, ready.space, ready.evaluator, spec, target=trials, batch=batch)
    progress = study_progress(ready.study, spec)
    ranked = candidates(ready.study)
    mark_best(ready.study, ranked)
    return SearchResult(study=ready.study, storage=ready.storage.label,
                        candidates=ranked, trials=progress.complete,
                        feasible=progress.feasible, resolution=job.settings().describe())


def params(scenario: Scenario | str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every declared parameter (``sme params``): ``name``, ``group`` (prior, world or
    reward), ``kind``, ``default``, ``low``, ``high``, ``log``, ``choices`` and ``help``."""
    model = _scenario(scenario)
    out = []
    for name, param in model.all_params.items():
        out.append({"name": name, "group": model.group_of(name), "kind": param.kind,
                    "default": param.default, "low": param.low, "high": param.high,
                    "log": param.log,
                    "choices": list(param.choices) if param.choices is not None else None,
                    "help": param.help})
    return out
