"""The engine calls the UI makes from its worker threads, and how their errors read.

Pyro keeps its effect-handler stack in a module-level list, so two programs traced at the
same time in different threads would see each other's handlers.  Every call into the engine
therefore holds :data:`ENGINE_LOCK`; the UI stays responsive because the calls run in
workers, and the lock only orders the workers among themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sme.analysis import Analysis, Settings, analyze
from sme.runtime.errors import describe_failure, escape_line
from sme.scenario.declaration import Scenario, load_scenario
from sme.studies.diagram import Axis, PhaseDiagram, phase_diagram
from sme.studies.dynamics import DynamicsSettings, Simulation, simulate

ENGINE_LOCK = threading.RLock()

Progress = Callable[[int, int], None]


def error_text(exc: BaseException) -> str:
    """One escaped line for the user, as the command line shows it
    (:func:`sme.runtime.errors.describe_failure`); for an unexpected failure the type and first
    line of its message."""
    known = describe_failure(exc)
    if known is not None:
        return known
    first = (str(exc).strip().splitlines() or [""])[0]
    return escape_line(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)


@dataclass
class Timed:
    """A result and the seconds it took."""

    value: Any
    seconds: float


def open_scenario(path: str | Path) -> Scenario:
    """Load a scenario file (runs it: scenario files are code)."""
    with ENGINE_LOCK:
        return load_scenario(path)


def analyse(scenario: Scenario, values: Mapping[str, Any], settings: Settings) -> Timed:
    """The full report of one configuration, timed."""
    with ENGINE_LOCK:
        start = time.perf_counter()
        result: Analysis = analyze(scenario, dict(values), settings)
        return Timed(result, time.perf_counter() - start)


def diagram(scenario: Scenario, x: Axis, y: Axis, values: Mapping[str, Any],
            settings: Settings, progress: Progress | None = None) -> Timed:
    """A phase diagram over ``x`` × ``y`` with the other parameters at ``values``, timed."""
    with ENGINE_LOCK:
        start = time.perf_counter()
        result: PhaseDiagram = phase_diagram(scenario, x, y, dict(values), settings, progress)
        return Timed(result, time.perf_counter() - start)


def simulation(scenario: Scenario, values: Mapping[str, Any], settings: Settings,
               dyn: DynamicsSettings, progress: Progress | None = None) -> Timed:
    """Learning dynamics of one configuration, timed."""
    with ENGINE_LOCK:
        start = time.perf_counter()
        result: Simulation = simulate(scenario, dict(values), settings, dyn, progress)
        return Timed(result, time.perf_counter() - start)
