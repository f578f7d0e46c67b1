"""The simulate screen: many Bayesian learners acting on the current prior, and where they
end up (long-run action frequencies, settling, shares over time).

A simulation runs in a worker that lets the design analysis go first at each progress
report; ``stop`` (ctrl+b) ends it at once.  A simulation made for other values than the
editor's is marked stale, naming the values it was made for."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, ProgressBar, Static

from sme.engine.phases import Phase
from sme.studies.dynamics import DynamicsSettings, Simulation
from tui import engine
from tui.engine import Cancelled, StopToken
from tui.screens.base import StoppableScreen, stale_text
from tui.widgets.phase_badge import PhaseBadge
from tui.widgets.screen_tabs import ScreenTabs
from tui.widgets.status_bar import StatusBar
from tui.widgets.trajectory import TrajectoryView

#: form defaults (smaller than the command line's, so a run takes a moment)
DEFAULTS = {"learners": "200", "steps": "500", "epsilon": "0", "seed": "0"}
#: Θ points per latent dimension at most (the default of ``sme simulate``)
MAX_POINTS = 201


class SimulateScreen(StoppableScreen):
    """Simulate learners on the current prior."""

    START_BUTTON = "#run"
    WORK_NAME = "simulation"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "run", "Run"),
                                             Binding("ctrl+b", "stop", "Stop")]

    def __init__(self) -> None:
        super().__init__(name="simulate")
        self._token = StopToken()
        self._run = 0
        self.running = False
        self.made_for: dict[str, object] | None = None  # the values simulated

    def compose(self) -> ComposeResult:
        yield ScreenTabs("simulate", self.bench.label)
        with Horizontal(classes="form"):
            for name, value in DEFAULTS.items():
                yield Label(f"{name} ", classes="form-label")
                yield Input(self.remembered(name, value), compact=True, id=name,
                            classes="count")
                yield Label(" ", classes="form-label")
            yield Button("Run", id="run", compact=True, variant="primary")
            yield Button("Stop", id="stop", compact=True, disabled=True)
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="stale", classes="stale")
        with VerticalScroll(id="simulation"):
            yield PhaseBadge(id="sim-badge")
            yield TrajectoryView("run a simulation of the current prior (ctrl+r)",
                                 id="trajectory")
        yield StatusBar(self.bench.scenario.name, id="status")
        yield Footer(compact=True)

    def _settings(self) -> DynamicsSettings:
        fields = {k: self.query_one(f"#{k}", Input).value.strip() for k in DEFAULTS}
        try:
            learners, steps, seed = (int(fields[k]) for k in ("learners", "steps", "seed"))
            epsilon = float(fields["epsilon"])
        except ValueError:
            raise ValueError("learners, steps and seed must be whole numbers and epsilon a "
                             "number") from None
        if learners < 1 or steps < 1:
            raise ValueError("learners and steps must be at least 1")
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError("epsilon must be a probability in [0, 1]")
        return DynamicsSettings(learners=learners, steps=steps, epsilon=epsilon, seed=seed)

    def on_mount(self) -> None:
        self.sme.values_changed.subscribe(self, lambda _values: self._mark_stale())

    def _mark_stale(self) -> None:
        """Say when the simulation on screen was made for other values."""
        line = "" if self.made_for is None else stale_text(self.made_for, self.bench.values)
        self.query_one("#stale", Static).update(
            Text(f"⚠ stale: {line} · ctrl+r reruns", style="bold yellow") if line else "")

    @on(Button.Pressed, "#run")
    @on(Input.Submitted)
    def _run_pressed(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        """Simulate the current prior in a worker."""
        try:
            dyn = self._settings()
        except ValueError as exc:
            message = engine.error_text(exc)
            self.query_one(StatusBar).set_message(message, error=True)
            self.notify(message, title="simulate", severity="error")
            return
        self.query_one(ProgressBar).update(total=dyn.steps, progress=0)
        self.query_one(StatusBar).set_message(
            f"simulating {dyn.learners} learners × {dyn.steps} steps…")
        self._token.stop()
        self._token = StopToken()
        self._run += 1
        self._set_running(True)
        self._simulate(dyn, dict(self.bench.values), self._run, self._token)

    @work(thread=True, group="simulate", exit_on_error=False)
    def _simulate(self, dyn: DynamicsSettings, values: dict[str, object], run: int,
                  token: StopToken) -> None:
        bench = self.bench

        def progress(done: int, total: int) -> None:
            if not token.stopped:
                self._post(self._progressed, run, done, total)

        resolution = bench.settings.resolution
        settings = replace(bench.settings, resolution=replace(
            resolution, points=min(resolution.points, MAX_POINTS),
            per_dimension=None if resolution.per_dimension is None else tuple(
                min(n, MAX_POINTS) for n in resolution.per_dimension)))
        try:
            analysed = bench.current_analysis()
            timed = engine.simulation(bench.scenario, values, settings, dyn, progress, token,
                                      path=bench.path,
                                      points=analysed.theta_points if analysed else None)
        except Cancelled:
            return
        except Exception as exc:
            if not token.stopped:
                self._post(self._failed, run, engine.error_text(exc))
            return
        if not token.stopped:
            self._post(self._show, run, timed.value, timed.seconds, values)

    def _progressed(self, run: int, done: int, total: int) -> None:
        if run == self._run and self.running:
            self.query_one(ProgressBar).update(progress=done, total=total)

    def _failed(self, run: int, message: str) -> None:
        if run != self._run:
            return
        self._set_running(False)
        self.query_one(StatusBar).set_message(f"simulation failed: {message}", error=True)
        self.notify(message, title="simulation failed", severity="error")

    def _show(self, run: int, sim: Simulation, seconds: float,
              values: dict[str, object]) -> None:
        if run != self._run:
            return
        self._set_running(False)
        self.made_for = values
        self._mark_stale()
        self.query_one("#sim-badge", PhaseBadge).show_phase(Phase(sim.phase))
        self.query_one(TrajectoryView).show_simulation(sim, self.bench.scenario)
        freqs = ", ".join(f"{a} {f:.3f}" for a, f in sim.frequencies.items())
        self.query_one(StatusBar).set_message(f"long-run frequencies: {freqs}",
                                              self.sme.timing_text(seconds))
