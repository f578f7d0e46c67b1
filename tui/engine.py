"""The engine calls the UI makes from its worker threads, how they share the engine, how
they are stopped, and how their errors read.

Sharing.  Tracing a program and seeded draws hold the library's own process lock
(:data:`priors.shared_state.PROCESS_STATE`), but a few switches of the engine are still
process-wide (Pyro's validation switch, torch's thread count), so two computations must
not overlap.  :data:`GATE` orders them with a priority: the design analysis (``urgent``)
goes before any waiting background job, and background jobs (diagrams, simulations, search
batches) hold the gate only for short slices — a chunk of diagram cells, one candidate
of a search batch, the steps of a simulation between two progress reports — so the design
analysis waits at most for the slice in progress, never for the whole job.

Stopping.  Every background job takes a :class:`StopToken`; the job checks it between
slices and at every progress report of the engine (between its passes) and raises
:class:`Cancelled`.  The screens mark a job stopped at once and ignore whatever it still
reports, so "stop" acts immediately for the person while the thread ends at its next check.
"""

from __future__ import annotations

import contextlib
import pickle
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from priors.compile import ProgramError
from priors.grid import GridError
from sme.analysis import Analysis, BatchAnalysis, Settings, analyze, analyze_batch, summarise_batch
from sme.engine.phases import Phase
from sme.runtime.errors import describe_failure, escape_line
from sme.scenario.declaration import Scenario, load_scenario
from sme.studies.diagram import Axis, Cells, PhaseDiagram
from sme.studies.dynamics import DynamicsSettings, Simulation, simulate

Progress = Callable[[int, int], None]

#: seconds of work a background job aims to do per slice of the gate
SLICE_SECONDS = 0.1


class Cancelled(Exception):
    """The work was stopped by the person, or superseded by newer work."""


class StopToken:
    """A stop flag a worker checks (:meth:`check`) and the UI raises (:meth:`stop`)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def stop(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` once :meth:`stop` was called."""
        if self._event.is_set():
            raise Cancelled


class Gate:
    """A lock with two kinds of holders: ``urgent`` ones (the design analysis) are let in
    before any waiting ``background`` one; holders of one kind take turns."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._urgent_waiting = 0

    @property
    def urgent_waiting(self) -> bool:
        """Whether an urgent holder is waiting (background work should let it in)."""
        return self._urgent_waiting > 0

    def _enter(self, urgent: bool, token: StopToken | None) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:  # re-entry from the same thread
                self._depth += 1
                return
            if urgent:
                self._urgent_waiting += 1
            try:
                while self._owner is not None or (not urgent and self._urgent_waiting):
                    self._cond.wait(0.05)
                    if token is not None:
                        token.check()
            finally:
                if urgent:
                    self._urgent_waiting -= 1
            self._owner, self._depth = me, 1

    def _leave(self) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    @contextmanager
    def urgent(self) -> Iterator[None]:
        """Hold the gate before any waiting background work."""
        self._enter(True, None)
        try:
            yield
        finally:
            self._leave()

    @contextmanager
    def background(self, token: StopToken | None = None) -> Iterator[None]:
        """Hold the gate after every waiting urgent holder (``token`` stops the wait)."""
        self._enter(False, token)
        try:
            yield
        finally:
            self._leave()

    def let_urgent_in(self, token: StopToken | None = None) -> None:
        """Called by background work holding the gate at a point where nothing of its own is
        in flight: lets a waiting urgent holder run, then takes the gate back."""
        me = threading.get_ident()
        with self._cond:
            if self._owner != me or not self._urgent_waiting:
                return
            depth, self._owner, self._depth = self._depth, None, 0
            self._cond.notify_all()
            try:
                while self._owner is not None or self._urgent_waiting:
                    self._cond.wait(0.05)
                    if token is not None and token.stopped:
                        break
                while self._owner is not None:
                    self._cond.wait(0.05)
            finally:
                self._owner, self._depth = me, depth


#: the one gate of the engine (see the module docstring)
GATE = Gate()

#: command-line options of ``sme`` that the screens offer as form fields (named as fields)
FORM_FIELDS = {"learners", "steps", "batch", "trials", "seed", "epsilon", "sampler",
               "storage", "study"}
#: command-line options that only ``sme tui``'s command line sets
LAUNCH_OPTIONS = {"points": "the Θ points", "mc-samples": "the Monte Carlo samples",
                  "memory-budget": "the memory budget", "risk-grid": "the objective-risk grid",
                  "device": "the device", "tail": "the tail quantile",
                  "threads": "the thread count", "workers": "the worker count",
                  "margin-directions": "the margin directions"}
_FLAG = re.compile(r"--([a-z][a-z-]*)")
_TYPE_PREFIX = re.compile(r"^(?:[A-Za-z_.]*(?:Error|Exception)): ")


def _ui_words(line: str) -> str:
    """``line`` with command-line flags named as the UI names them: form fields by their
    label, options of the launch command as what they set (with the option, once)."""
    seen: set[str] = set()

    def word(match: re.Match[str]) -> str:
        flag = match.group(1)
        if flag in FORM_FIELDS:
            return flag
        if flag in LAUNCH_OPTIONS:
            if flag in seen:
                return LAUNCH_OPTIONS[flag]
            seen.add(flag)
            return f"{LAUNCH_OPTIONS[flag]} (sme tui --{flag})"
        return match.group(0)

    return _FLAG.sub(word, line)


def error_text(exc: BaseException) -> str:
    """One escaped line for the user, as the command line shows it
    (:func:`sme.runtime.errors.describe_failure`) but without exception type names and
    with flags named as the UI names them; for an unexpected failure the first line of its
    message (its type only when the message is empty)."""
    known = describe_failure(exc)
    if known is None:
        first = (str(exc).strip().splitlines() or [""])[0]
        known = escape_line(first or type(exc).__name__)
    return _ui_words(_TYPE_PREFIX.sub("", known))


@dataclass
class Timed:
    """A result and the seconds it took."""

    value: Any
    seconds: float


def open_scenario(path: str | Path) -> Scenario:
    """Load a scenario file (runs it: scenario files are code)."""
    with GATE.urgent():
        return load_scenario(path)


# --------------------------------------------------------------------------- design


def _still(current: Callable[[], bool] | None) -> None:
    if current is not None and not current():
        raise Cancelled


def quick(scenario: Scenario, values: Mapping[str, Any], settings: Settings,
          current: Callable[[], bool] | None = None) -> Timed:
    """The phase, Berk–Nash set and pure equilibria of one configuration (the batched
    analysis, no objective-risk sweep), timed: the first stage after an edit.  Raises
    :class:`Cancelled` without analysing when ``current()`` is false once the gate is
    held (a newer edit came while this one waited)."""
    with GATE.urgent():
        _still(current)
        start = time.perf_counter()
        batch: BatchAnalysis = analyze_batch(scenario, [dict(values)],
                                             replace(settings, risk_grid=0))
        result = QuickResult(batch.phase(0), batch.bn_names(0), batch.pure_names(0))
        return Timed(result, time.perf_counter() - start)


@dataclass(frozen=True)
class QuickResult:
    """What the first stage of an edit shows."""

    phase: Phase
    bn_set: list[str]
    pure: list[str]


def analyse(scenario: Scenario, values: Mapping[str, Any], settings: Settings,
            current: Callable[[], bool] | None = None) -> Timed:
    """The full report of one configuration, timed: the second stage after an edit
    (:class:`Cancelled` as for :func:`quick`)."""
    with GATE.urgent():
        _still(current)
        start = time.perf_counter()
        result: Analysis = analyze(scenario, dict(values), settings)
        return Timed(result, time.perf_counter() - start)


# --------------------------------------------------------------------------- background


def checked(progress: Progress | None, token: StopToken,
            safe_point: bool = False) -> Progress:
    """A progress callback that raises :class:`Cancelled` once ``token`` is stopped and,
    at a ``safe_point`` (nothing of the job in flight when it is called), lets a waiting
    design analysis run first."""

    def report(done: int, total: int) -> None:
        token.check()
        if safe_point:
            GATE.let_urgent_in(token)
            token.check()
        if progress is not None:
            progress(done, total)

    return report


def diagram(scenario: Scenario, x: Axis, y: Axis, values: Mapping[str, Any],
            settings: Settings, progress: Progress | None = None,
            token: StopToken | None = None) -> Timed:
    """A phase diagram over ``x`` × ``y`` with the other parameters at ``values``, timed.

    The cells are those of :func:`sme.studies.diagram.phase_diagram` and get the same phases
    (both are :func:`sme.analysis.summarise_batch` of the same configurations); here they are
    evaluated in slices of about :data:`SLICE_SECONDS`, each holding :data:`GATE` in the
    background, so the design analysis never waits for more than a slice, and ``token``
    stops the work between passes.  A cell outside the scenario's constraints, or one that
    cannot be analysed (its program raises, its grid cannot be built), is marked invalid
    (``None``) instead of refusing the whole plane."""
    token = token or StopToken()
    start = time.perf_counter()
    if x.name == y.name:
        raise ValueError(f"the two axes sweep the same parameter {x.name!r}")
    fixed = dict(values)
    fixed.pop(x.name, None)
    fixed.pop(y.name, None)
    params = scenario.all_params
    xs, ys = x.values(params[x.name]), y.values(params[y.name])
    cells = Cells(fixed, x.name, xs, y.name, ys)
    total = len(cells)
    codes: list[Phase | None] = [None] * total
    if scenario.constraints:
        valid = [k for k in range(total) if not scenario.violated(scenario.values(cells[k]))]
    else:
        valid = list(range(total))
    finished = total - len(valid)
    report = checked(progress, token)
    size = 16
    begin = 0
    while begin < len(valid):
        token.check()
        chunk = valid[begin:begin + size]
        started = time.perf_counter()
        with GATE.background(token):

            def step(done: int, _total: int, base: int = finished) -> None:
                report(base + done, total)

            for k, phase in zip(chunk, _phases(scenario, [cells[k] for k in chunk], settings,
                                               step, token), strict=True):
                codes[k] = phase
        finished += len(chunk)
        report(finished, total)
        begin += len(chunk)
        took = time.perf_counter() - started
        size = max(1, min(4 * size, int(size * SLICE_SECONDS / max(took, 1e-3))))
    grid = [codes[j * len(xs):(j + 1) * len(xs)] for j in range(len(ys))]
    base = scenario.values(values)
    baseline = {x.name: float(base[x.name]), y.name: float(base[y.name])}  # type: ignore[arg-type]
    result = PhaseDiagram(scenario, x, y, xs, ys, grid, scenario.values(fixed), baseline)
    return Timed(result, time.perf_counter() - start)


def _phases(scenario: Scenario, configs: Sequence[dict[str, Any]], settings: Settings,
            progress: Progress, token: StopToken) -> list[Phase | None]:
    """The phase of each configuration; ``None`` for one that cannot be analysed (found by
    bisection, as :func:`sme.studies.diagram.phase_diagram` names the first such cell)."""
    try:
        return list(summarise_batch(scenario, configs, settings, progress).phases())
    except (ProgramError, GridError, ValueError):
        token.check()
        if len(configs) == 1:
            return [None]
        half = len(configs) // 2
        quiet: Progress = lambda _d, _t: token.check()  # noqa: E731
        return (_phases(scenario, configs[:half], settings, quiet, token)
                + _phases(scenario, configs[half:], settings, quiet, token))


#: learner × step × Θ-point updates above which a simulation runs in a process of its own
#: (about 25 s on one core): in the app's process it can pause for the design analysis and
#: stop only at its progress reports, one per 1 % of its steps, which for a larger run are
#: seconds apart; a process of its own is never in the way and stops when killed
SUBPROCESS_WORK = 2e9


def simulation(scenario: Scenario, values: Mapping[str, Any], settings: Settings,
               dyn: DynamicsSettings, progress: Progress | None = None,
               token: StopToken | None = None, path: Path | None = None,
               points: int | None = None) -> Timed:
    """Learning dynamics of one configuration, timed.

    A small run (``learners × steps × points`` up to :data:`SUBPROCESS_WORK`; ``points``:
    the Θ points, when known) holds :data:`GATE` in the background and, at each progress
    report of the learners' loop (a point where nothing of it is in flight), lets a waiting
    design analysis run and checks ``token``.  A larger one, when the scenario's file
    ``path`` is given, runs in a process of its own (:func:`simulation_process`)."""
    token = token or StopToken()
    work = dyn.learners * dyn.steps * (points or settings.resolution.points)
    if path is not None and work > SUBPROCESS_WORK:
        return simulation_process(path, values, settings, dyn, progress, token)
    with GATE.background(token):
        token.check()
        start = time.perf_counter()
        result: Simulation = simulate(scenario, dict(values), settings, dyn,
                                      checked(progress, token, safe_point=True))
        return Timed(result, time.perf_counter() - start)


def simulation_process(path: Path, values: Mapping[str, Any], settings: Settings,
                       dyn: DynamicsSettings, progress: Progress | None = None,
                       token: StopToken | None = None) -> Timed:
    """:func:`simulation` in a process of its own (started fresh: it loads the scenario file
    ``path`` again), so that it shares nothing with the design analysis; stopping ``token``
    kills it at once.  Its failures come back as one line (:class:`SMEError`)."""
    import multiprocessing
    import queue as queues

    from sme.runtime.errors import SMEError

    token = token or StopToken()
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    # the child imports this very package (a relative entry of sys.path, such as the working
    # directory, could name another copy in the child); the app captures sys.stderr (no file
    # descriptor), and starting a process (or multiprocessing's resource tracker) needs one
    saved, saved_err = list(sys.path), sys.stderr
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.stderr = sys.__stderr__ or saved_err
    try:
        channel = context.Queue()
        child = context.Process(target=_simulate_child, daemon=True, name="sme-simulate",
                                args=(str(path), dict(values), settings, dyn, channel))
        child.start()
    finally:
        sys.path[:] = saved
        sys.stderr = saved_err
    try:
        while True:
            if token.stopped:
                raise Cancelled
            try:
                kind, payload = channel.get(timeout=0.05)
            except queues.Empty:
                if not child.is_alive() and channel.empty():
                    raise SMEError("the simulation's process ended unexpectedly (exit "
                                   f"status {child.exitcode})") from None
                continue
            if kind == "progress" and progress is not None:
                progress(*payload)
            elif kind == "done":
                return Timed(pickle.loads(payload), time.perf_counter() - start)
            elif kind == "error":
                raise SMEError(payload)
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        channel.close()


def _simulate_child(path: str, values: dict[str, Any], settings: Settings,
                    dyn: DynamicsSettings, channel: Any) -> None:
    """The body of :func:`simulation_process`'s process (its output goes nowhere: the
    terminal belongs to the app)."""
    import os

    with contextlib.suppress(OSError):
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
    try:
        scenario = load_scenario(path)

        def progress(done: int, total: int) -> None:
            channel.put(("progress", (done, total)))

        result = simulate(scenario, values, settings, dyn, progress)
        # plain bytes: torch would pass its tensors as shared memory, gone with the process
        channel.put(("done", pickle.dumps(result)))
    except BaseException as exc:
        channel.put(("error", error_text(exc)))
