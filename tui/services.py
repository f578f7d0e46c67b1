"""Adapters between the screens and the search and export packages.

The screens call only the functions here, so a change in how searches run or files are
written touches this module alone.  Searches run through :mod:`search.job` and
:mod:`search.study` (the same ask/tell loop as ``sme search``), candidates are ranked by
:mod:`search.results` (as ``sme candidates`` ranks them), and files are written and read by
:mod:`sme.files.export` (the format of ``sme export`` and ``sme check``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priors.params import Scalar
from search import results, samplers
from sme.analysis import Analysis
from sme.files.export import ExportedPrior
from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario
from tui.engine import GATE, SLICE_SECONDS, Cancelled, StopToken

#: samplers offered in the search form
SAMPLERS: tuple[str, ...] = samplers.SAMPLERS
#: export formats (file suffixes)
FORMATS: tuple[str, ...] = ("toml", "json", "yaml")
#: objectives shown for a candidate, in column order
OBJECTIVES: tuple[str, ...] = ("fidelity", "distance", "margin", "score")

Candidate = results.Candidate


# --------------------------------------------------------------------------- search


@dataclass
class SearchRequest:
    """What the search form asks for."""

    scenario: Path
    context: dict[str, Scalar]
    trials: int = 100
    batch: int = 8
    sampler: str = "tpe"
    seed: int | None = 0
    storage: str | None = None
    study: str | None = None
    points: int = 401
    #: ``--points`` per latent dimension (:attr:`priors.compile.Resolution.per_dimension`)
    per_dimension: tuple[int, ...] | None = None
    device: str = "cpu"


@dataclass
class SearchProgress:
    """Where a running search stands."""

    done: int  # trials the study holds (towards ``total``)
    total: int  # trials the study should hold
    feasible: int
    elapsed: float
    study: str
    storage: str
    handle: Any = None  # the optuna study
    candidates: list[Candidate] = field(default_factory=list)
    ran: int = 0  # trials this run added

    @property
    def rate(self) -> float:
        """Trials per second this run."""
        return self.ran / self.elapsed if self.elapsed > 0 else 0.0


class _StopRequest:
    """The loop's stop flag (``requested``), raised by the UI."""

    def __init__(self, token: StopToken) -> None:
        self._token = token

    @property
    def requested(self) -> bool:
        return self._token.stopped


class _SlicedEvaluator:
    """Evaluates a batch a few candidates at a time (slices of about
    :data:`tui.engine.SLICE_SECONDS`), each slice holding :data:`tui.engine.GATE` in the
    background (so the design analysis waits for one slice, not a batch) and checking
    the stop token between candidates (:class:`tui.engine.Cancelled`: the loop tells the
    batch's trials FAIL, as for an interrupt).  A candidate's outcome depends on its own
    configurations only, so the outcomes are those of one whole-batch call."""

    def __init__(self, evaluator: Any, token: StopToken) -> None:
        self._evaluator = evaluator
        self._token = token
        self._size = 1  # candidates per slice, grown while a slice stays short

    def evaluate(self, priors: Sequence[Mapping[str, Scalar]]) -> list[Any]:
        out: list[Any] = []
        while len(out) < len(priors):
            self._token.check()
            part = priors[len(out):len(out) + self._size]
            started = time.perf_counter()
            with GATE.background(self._token):
                out.extend(self._evaluator.evaluate(part))
            took = time.perf_counter() - started
            self._size = max(1, min(2 * self._size,
                                    int(self._size * SLICE_SECONDS / max(took, 1e-3))))
        return out

    def __getattr__(self, name: str) -> Any:  # scenario, context: as the wrapped evaluator
        return getattr(self._evaluator, name)


def _job(request: SearchRequest) -> Any:
    from search.job import SearchJob

    if request.trials < 1 or request.batch < 1:
        raise SMEError("trials and batch must be at least 1")
    if request.sampler not in SAMPLERS:
        raise SMEError(f"unknown sampler {request.sampler!r} (choose from "
                       f"{', '.join(SAMPLERS)})")
    return SearchJob(
        scenario=str(request.scenario), trials=request.trials, batch=request.batch,
        sampler=request.sampler, seed=request.seed, study=request.study or None,
        storage=request.storage or None,
        assignments=[(k, str(v)) for k, v in request.context.items()],
        points=request.points, per_dimension=request.per_dimension, device=request.device,
    )


def run_search(request: SearchRequest, report: Callable[[SearchProgress], None],
               token: StopToken) -> SearchProgress:
    """Run the study until it holds ``request.trials`` trials — the meaning ``--trials`` has
    for ``sme search``, so rerunning with the same number does nothing and a larger number
    continues — calling ``report`` after every batch (``done``/``total`` count the study's
    trials); once ``token`` is stopped it stops within the candidate being evaluated (the
    trials of that batch are told FAIL) and returns where the study stands."""
    from search.job import prepare
    from search.study import quiet_optuna, run_trials, study_progress

    job = _job(request)
    with quiet_optuna():
        with GATE.background(token):
            prepared = prepare(job)
        objective = job.objective
        started = time.perf_counter()
        start_count = study_progress(prepared.study, objective).counted

        def progress() -> SearchProgress:
            counts = study_progress(prepared.study, objective)
            return SearchProgress(
                done=min(request.trials, counts.counted), total=request.trials,
                ran=counts.counted - start_count,
                feasible=counts.feasible, elapsed=time.perf_counter() - started,
                study=prepared.study_name, storage=prepared.storage.label,
                handle=prepared.study, candidates=results.candidates(prepared.study))

        report(progress())
        with contextlib.suppress(Cancelled):  # stopped: the study holds what was told
            run_trials(prepared.study, prepared.space,
                       _SlicedEvaluator(prepared.evaluator, token),
                       objective, target=request.trials, batch=request.batch,
                       stop=_StopRequest(token),  # type: ignore[arg-type]
                       on_batch=lambda _stats: report(progress()))
        return progress()


def open_study(storage: str, study: str) -> tuple[Any, str, list[Candidate]]:
    """An existing study (``storage``: a journal file or a URL), its storage label and its
    candidates, best first."""
    from search.study import quiet_optuna

    if not storage:
        raise SMEError("give the storage (journal file or URL) of the study")
    with quiet_optuna():
        handle, spec = results.open_study(None, study or None, storage)
        return handle, spec.label, results.candidates(handle)


def default_storage(scenario: Scenario) -> str:
    """The journal file ``sme search`` uses by default, relative to the working directory."""
    from search.storage import default_journal

    return default_journal(scenario.name, Path(".")).as_posix()


# --------------------------------------------------------------------------- export


def current_document(analysis: Analysis) -> ExportedPrior:
    """The exported-prior document of an analysed configuration (no search objectives)."""
    from sme.files.export import document_from_analysis

    return document_from_analysis(analysis)


def candidate_document(study: Any, trial: int, storage_label: str) -> ExportedPrior:
    """The exported-prior document of a trial of ``study`` (with its objectives)."""
    from search.results import export_document

    return export_document(study, trial, storage_label)


def export_format(path: Path) -> str:
    """``toml``, ``json`` or ``yaml`` from ``path``'s suffix (one-line error otherwise)."""
    from sme.files.configfile import config_format

    return config_format(path)


def with_format(path: str, fmt: str) -> str:
    """``path`` with its suffix replaced by the one of ``fmt``."""
    stem = Path(path)
    if stem.suffix.lower() in (".toml", ".json", ".yaml", ".yml"):
        stem = stem.with_suffix("")
    return f"{stem}.{fmt}"


def write_document(document: ExportedPrior, path: Path, overwrite: bool = False) -> Path:
    """Write ``document`` atomically in the format ``path``'s suffix names; refuses to
    replace an existing file unless ``overwrite``."""
    from sme.files.export import write_export

    write_export(document, path, force=overwrite)
    return path


def read_prior(path: Path, scenario: Scenario) -> tuple[dict[str, Scalar], list[str]]:
    """Parameter values from an exported prior (validated strictly) or from any
    configuration file ``sme analyze --prior`` reads, checked against ``scenario``;
    returns them and warnings (another scenario, a changed scenario file)."""
    from sme.files.prior_values import read_values

    values, warnings = read_values(path, scenario)
    return scenario.values(values), warnings
