"""Studies and the ask/tell loop (Optuna's ask-and-tell interface,
https://optuna.readthedocs.io/en/stable/tutorial/20_recipes/009_ask_and_tell.html).

The loop asks ``B`` trials, lets each suggest its prior, evaluates the whole batch in one
batched pass and tells the ``B`` results.  It knows nothing about where the study is stored.

Every told trial carries user attributes ``prior`` (the full prior), ``phase``, ``bn_set``,
``equilibria`` (``pure`` and ``mixed``), ``objectives``, ``feasible``, ``warnings`` when a
best fit lies on a quantile cut-off of an unbounded prior (``--tail``) and, with
``--robust``, ``robust`` (phase and set per context); its one constraint is the violation
of :mod:`search.objectives`, stored as the system attribute ``constraints`` (a list), the
form that both Optuna (``FrozenTrial.constraints``, read by its samplers) and
optuna-dashboard (which greys out and labels infeasible trials) read.  ``Trial.set_constraint``
would store it under ``constraints:NAME``, which the dashboard does not read, so every unsafe
trial would look feasible there.  A configuration the engine cannot analyse becomes a
FAILED trial with the message in ``error``.  Trials stopped by Ctrl-C are told FAILED
without ``error``.  RUNNING trials of dead workers (a process on this machine that exited,
or a heartbeat that stopped in a database storage) are failed and enqueued again when a
search opens the study and before every batch (:func:`fail_stale_trials`), so a killed
search can simply be run again and a search on many machines survives losing one.

``--trials N`` is the number of trials the study should hold: a search stops when COMPLETE
trials, trials that failed with ``error`` and RUNNING trials of live processes reach ``N``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from search.objectives import Evaluator, ObjectiveSpec, Outcome
from search.space import SearchSpace
from sme.runtime.errors import SMEError

#: the trial system attribute both Optuna and optuna-dashboard read constraints from
CONSTRAINTS_KEY = "constraints"

#: study user attribute holding the setup every trial of the study was computed with
SETUP_KEY = "sme_setup"
#: setup fields that must match for a study to be resumed
SETUP_FIELDS = ("scenario_name", "context", "robust", "risks", "objective", "resolution")


def worker_tag() -> dict[str, Any]:
    """Identifies the process that runs a trial (stored as the ``worker`` user attribute)."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_alive(trial: Any, host: str) -> bool:
    """Whether a RUNNING ``trial`` is still being worked on: its process runs on another
    machine or is alive on this one.  A trial without a ``worker`` tag (killed between its
    creation and its tagging) counts as abandoned."""
    tag = trial.user_attrs.get("worker")
    if not isinstance(tag, Mapping):
        return False
    if tag.get("host") != host:
        return True
    pid = tag.get("pid")
    return isinstance(pid, int) and _pid_alive(pid)


def fail_stale_trials(study: Any) -> int:
    """Fail the RUNNING trials whose worker is gone and enqueue each again; returns how many.

    A trial is stale when its process on this machine has exited (any storage), when it has
    had no ``worker`` tag for :data:`~search.storage.GRACE_SECONDS`, or when its heartbeat
    stopped for longer than the storage's grace period (database storages, whose
    heartbeats cover workers on other machines; ``optuna.storages.fail_stale_trials``).  Each
    stale trial is told FAILED by exactly one process (the storage refuses to finish a trial
    twice) and that process enqueues a WAITING copy with the same parameters through the
    storage's retry callback (:func:`search.storage.retry_callback`), which the next
    ``study.ask()`` of any worker picks up."""
    import copy

    import optuna
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages import fail_stale_trials as fail_heartbeat_stale
    from optuna.storages._heartbeat import is_heartbeat_enabled
    from optuna.trial import TrialState

    from search.storage import GRACE_SECONDS, retry_callback

    storage = study._storage
    host = socket.gethostname()
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    stale = 0
    retry = None
    ours: set[int] = set()
    now = datetime.now()
    for trial in running:
        tag = trial.user_attrs.get("worker")
        if tag is None:  # killed between its creation and its tagging (milliseconds apart)
            started = trial.datetime_start
            if started is None or (now - started).total_seconds() < GRACE_SECONDS:
                continue
        elif not (isinstance(tag, Mapping) and tag.get("host") == host) or _running_alive(
                trial, host):
            continue
        try:
            if not storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                continue
        except (UpdateFinishedTrialError, KeyError):
            continue  # another process failed (or finished) it first
        stale += 1
        ours.add(trial._trial_id)
        retry = retry or _storage_retry(storage) or retry_callback()
        retry(study, copy.deepcopy(storage.get_trial(trial._trial_id)))
    # database storages: trials whose heartbeat stopped (workers on any machine)
    if is_heartbeat_enabled(storage):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            fail_heartbeat_stale(study)
        before = {t._trial_id for t in running} - ours
        if before:  # counted for the message only (a trial finished meanwhile may count)
            stale += sum(1 for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
                         if t._trial_id in before and "error" not in t.user_attrs)
    return stale


def _storage_retry(storage: Any) -> Callable[[Any, Any], None] | None:
    """The retry callback a database storage was opened with (``None`` for journals)."""
    getter = getattr(storage, "get_heartbeat_stale_trial_callback", None)
    return getter() if getter is not None else None


class Heartbeat:
    """Records the heartbeat of a batch's RUNNING trials in a database storage every
    ``heartbeat_interval`` seconds while the batch is evaluated (what ``study.optimize`` does
    for one trial; the ask/tell loop needs it for many).  Does nothing for storages without
    heartbeats (journals, whose trials are checked by process id instead)."""

    def __init__(self, study: Any) -> None:
        from optuna.storages._heartbeat import is_heartbeat_enabled

        self._storage = study._storage
        self._enabled = is_heartbeat_enabled(self._storage)
        self._ids: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, trial: Any) -> None:
        """Start beating for ``trial`` (an ``optuna.Trial``), with one heartbeat at once."""
        if not self._enabled:
            return
        self._storage.record_heartbeat(trial._trial_id)
        self._ids.append(trial._trial_id)
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="sme-heartbeat",
                                            daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        interval = self._storage.get_heartbeat_interval()
        while not self._stop.wait(interval):
            for trial_id in list(self._ids):
                with contextlib.suppress(Exception):  # a lost beat is retried next time
                    self._storage.record_heartbeat(trial_id)

    def __enter__(self) -> Heartbeat:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


@dataclass
class Progress:
    """Counts of a study, for progress reports and summaries."""

    counted: int = 0
    complete: int = 0
    feasible: int = 0
    failed: int = 0
    running: int = 0
    rejected: int = 0  # PRUNED: proposals outside the scenario's constraints
    best_trial: int | None = None
    best_score: float | None = None


def study_progress(study: Any, objective: ObjectiveSpec) -> Progress:
    """Counts of ``study``: trials towards ``--trials``, feasible ones, and the best feasible
    trial by the weighted score."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    out = Progress()
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.COMPLETE:
            out.complete += 1
            out.counted += 1
            if trial.user_attrs.get("feasible"):
                out.feasible += 1
                score = (trial.user_attrs.get("objectives") or {}).get("score")
                if isinstance(score, int | float) and (
                        out.best_score is None or score < out.best_score):
                    out.best_score, out.best_trial = float(score), trial.number
        elif trial.state == TrialState.FAIL:
            if "error" in trial.user_attrs:
                out.failed += 1
                out.counted += 1
        elif trial.state == TrialState.PRUNED and "rejected" in trial.user_attrs:
            out.rejected += 1
        elif trial.state == TrialState.RUNNING and _running_alive(trial, host):
            out.running += 1
            out.counted += 1
    return out


# --------------------------------------------------------------------------- opening


def open_study(storage: Any, name: str, setup: Mapping[str, Any], objective: ObjectiveSpec,
               sampler: Any, storage_label: str) -> tuple[Any, list[str]]:
    """Load the study ``name`` (checking it was run with the same setup) or create it.

    Returns the study and warnings (a changed scenario file).

    Raises:
        SMEError: the study exists with a different setup, or was not made by ``sme search``.
    """
    import optuna
    from optuna.exceptions import DuplicatedStudyError

    try:
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
    except KeyError:
        try:
            study = optuna.create_study(study_name=name, storage=storage, sampler=sampler,
                                        directions=objective.directions)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                study.set_metric_names(objective.names)
            study.set_user_attr(SETUP_KEY, dict(setup))
        except DuplicatedStudyError:
            study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
    recorded = _wait_for_setup(study)
    if recorded is None:
        raise SMEError(f"study {name!r} in {storage_label} was not created by `sme search`; "
                       "choose another name with --study")
    if not isinstance(recorded, Mapping):
        raise SMEError(f"study {name!r} in {storage_label}: its {SETUP_KEY} attribute is a "
                       f"{type(recorded).__name__}, not a mapping (the study was not made by "
                       "`sme search`, or was edited); choose another name with --study")
    return study, compare_setup(recorded, setup, name)


def _wait_for_setup(study: Any, timeout: float = 5.0) -> Mapping[str, Any] | None:
    """The study's recorded setup; waits briefly when another process is creating it."""
    deadline = time.monotonic() + timeout
    while True:
        recorded = study.user_attrs.get(SETUP_KEY)
        if recorded is not None or time.monotonic() > deadline:
            return recorded
        time.sleep(0.1)


def compare_setup(recorded: Mapping[str, Any], setup: Mapping[str, Any], name: str
                  ) -> list[str]:
    """Check that ``setup`` matches the study's recorded one; returns warnings."""
    for key in SETUP_FIELDS:
        old, new = recorded.get(key), setup.get(key)
        if key == "objective" and isinstance(old, Mapping) and isinstance(new, Mapping) \
                and new.get("mode") != "scalar":
            old = {k: v for k, v in old.items() if k != "weights"}
            new = {k: v for k, v in new.items() if k != "weights"}
        if old != new:
            raise SMEError(
                f"study {name!r} was run with a different {key.replace('_', ' ')} "
                f"({_diff(old, new)}); rerun with the original options or start a new study "
                "with --study NAME")
    notes = []
    old_sha, new_sha = (part.get("sha256") if isinstance(part, Mapping) else None
                        for part in (recorded.get("scenario"), setup.get("scenario")))
    if old_sha and new_sha and old_sha != new_sha:
        notes.append(f"the scenario file changed since study {name!r} began; earlier trials "
                     "were computed with the old file")
    return notes


def _diff(old: Any, new: Any) -> str:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key) != new.get(key):
                return f"{key}: {_diff(old.get(key), new.get(key))}"
    return f"{old!r} then, {new!r} now"


# --------------------------------------------------------------------------- the loop


class StopFlag:
    """Ctrl-C handling for the loop: the first SIGINT asks the loop to stop after the
    current batch (``requested``); a second one raises ``KeyboardInterrupt`` at once.
    Installed only in the main thread; ``notice`` is called on the first press; ``event``
    (set by a parent process) requests a stop too."""

    def __init__(self, notice: Callable[[], None] | None = None, event: Any = None) -> None:
        self._requested = False
        self._notice = notice
        self._event = event  # a multiprocessing.Event another process may set
        self._previous: Any = None

    @property
    def requested(self) -> bool:
        return self._requested or (self._event is not None and self._event.is_set())

    def _handler(self, signum: int, frame: Any) -> None:
        if self._requested:
            raise KeyboardInterrupt
        self._requested = True
        if self._notice is not None:
            self._notice()

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


@dataclass
class LoopStats:
    """What one loop did."""

    told: int = 0
    feasible: int = 0
    failed: int = 0
    stopped: bool = False
    rejected: int = 0  # proposals outside the scenario's constraints, told PRUNED


#: batches in a row whose every proposal violates the scenario's constraints before the loop
#: gives up (the sampler cannot find the allowed region)
MAX_REJECTED_BATCHES = 50


def record(study: Any, trial: Any, outcome: Outcome, objective: ObjectiveSpec) -> None:
    """Store ``outcome`` on ``trial`` (user attributes, constraint) and tell it."""
    from optuna.trial import TrialState

    trial.set_user_attr("prior", outcome.prior)
    if outcome.error is not None:
        trial.set_user_attr("error", outcome.error)
        study.tell(trial, state=TrialState.FAIL)
        return
    trial.set_user_attr("phase", outcome.phase)
    trial.set_user_attr("bn_set", outcome.bn_set)
    trial.set_user_attr("equilibria", {"pure": outcome.pure_equilibria,
                                       "mixed": outcome.mixed_equilibria})
    objectives: dict[str, float | None] = {
        k: v if v is not None and math.isfinite(v) else None
        for k, v in outcome.objectives(objective).items()}
    objectives["violation"] = outcome.violation
    trial.set_user_attr("objectives", objectives)
    trial.set_user_attr("feasible", outcome.feasible)
    if outcome.robust:
        trial.set_user_attr("robust", outcome.robust)
    if outcome.objective_risks is not None:
        trial.set_user_attr("objective_risks", outcome.objective_risks)
    if outcome.warnings:
        trial.set_user_attr("warnings", outcome.warnings)
    study._storage.set_trial_system_attr(trial._trial_id, CONSTRAINTS_KEY,
                                         [float(outcome.violation)])
    study.tell(trial, objective.values(outcome))


def run_trials(study: Any, space: SearchSpace, evaluator: Evaluator, objective: ObjectiveSpec,
               *, target: int, batch: int, quota: int | None = None,
               stop: StopFlag | None = None,
               on_batch: Callable[[LoopStats], None] | None = None) -> LoopStats:
    """Ask, evaluate and tell in batches of ``batch`` until the study holds ``target``
    trials (see the module docstring), this loop has told ``quota`` trials, or ``stop`` is
    requested.  On ``KeyboardInterrupt`` the asked but untold trials are told FAILED and the
    interrupt propagates."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    stats = LoopStats()
    tag = worker_tag()
    rejected_batches = 0
    while True:
        if stop is not None and stop.requested:
            stats.stopped = True
            break
        size = batch if quota is None else min(batch, quota - stats.told)
        size = min(size, target - study_progress(study, objective).counted)
        if size <= 0:
            break
        fail_stale_trials(study)  # workers that died meanwhile, here or elsewhere
        asked: list[Any] = []
        told = 0
        try:
            priors = []
            with Heartbeat(study) as heartbeat:
                for _ in range(size):
                    trial = ask_trial(study)
                    asked.append(trial)
                    trial.set_user_attr("worker", tag)
                    heartbeat.add(trial)
                    prior = space.suggest(trial)
                    if reject(study, trial, prior, evaluator):
                        asked.pop()
                        stats.rejected += 1
                        continue
                    priors.append(prior)
                if not priors:
                    rejected_batches += 1
                    if rejected_batches >= MAX_REJECTED_BATCHES:
                        raise SMEError(
                            f"the last {stats.rejected} proposals all violate the scenario's "
                            "constraints ("
                            + ", ".join(c.text for c in evaluator.scenario.parsed_constraints)
                            + "); narrow the search with --range to where they hold")
                    continue
                rejected_batches = 0
                outcomes = evaluator.evaluate(priors)
                for trial, outcome in zip(asked, outcomes, strict=True):
                    try:
                        record(study, trial, outcome, objective)
                    except UpdateFinishedTrialError:
                        told += 1
                        continue  # failed as stale by another process, which retries it
                    told += 1
                    stats.told += 1
                    stats.feasible += int(outcome.feasible)
                    stats.failed += int(outcome.error is not None)
        except BaseException:
            for trial in asked[told:]:
                with contextlib.suppress(Exception):
                    study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            raise
        if on_batch is not None:
            on_batch(stats)
    return stats


def reject(study: Any, trial: Any, prior: Mapping[str, Any], evaluator: Evaluator) -> bool:
    """Tell ``trial`` PRUNED, unanalysed, when its ``prior`` violates a constraint of the
    scenario (recorded in its ``rejected`` attribute); ``False`` when the prior is allowed.

    A pruned trial is not a failure and does not count towards ``--trials``; TPE ranks
    pruned trials below completed ones, so it learns to propose inside the constraints."""
    from optuna.trial import TrialState

    scenario = evaluator.scenario
    if not scenario.constraints:
        return False
    broken = scenario.violated(scenario.values({**evaluator.context, **prior}))
    if not broken:
        return False
    trial.set_user_attr("prior", dict(prior))
    trial.set_user_attr("rejected", broken)
    study.tell(trial, state=TrialState.PRUNED)
    return True


def ask_trial(study: Any) -> Any:
    """``study.ask()``, without Optuna's warning that heartbeats are meant for
    ``study.optimize`` (:class:`Heartbeat` records them for the ask/tell loop)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed")
        return study.ask()


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's per-trial log lines (warnings still show)."""
    import optuna

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


def split_quota(total: int, workers: int) -> list[int]:
    """``total`` trials shared as evenly as possible among ``workers``."""
    return [total // workers + (1 if k < total % workers else 0) for k in range(workers)]
