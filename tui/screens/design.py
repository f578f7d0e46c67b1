"""The design screen: the parameter editor beside the phase panel.

Every valid edit re-analyses the prior in a worker; the phase panel then shows the phase
badge, the Berk–Nash set with safe/unsafe marks, the equilibria, the explanation and the
two graphs, and the status bar the analysis time.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static

from sme.analysis import Analysis
from sme.figures.report import grid_text
from tui import engine
from tui.screens.base import WorkbenchScreen
from tui.widgets.bn_set import BerkNashSet
from tui.widgets.graph_view import GraphView, render_best_response, render_dependencies
from tui.widgets.param_editor import ParamEditor, ParamInput
from tui.widgets.phase_badge import PhaseBadge
from tui.widgets.screen_tabs import ScreenTabs
from tui.widgets.status_bar import StatusBar


class DesignScreen(WorkbenchScreen):
    """Edit the prior; see its phase."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "app.export_current", "Export"),
        Binding("ctrl+o", "app.open_prior", "Open"),
        Binding("ctrl+t", "defaults", "Reset", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(name="design")
        self._ticket = 0

    def compose(self) -> ComposeResult:
        scenario = self.bench.scenario
        yield ScreenTabs("design", self.bench.label)
        with Horizontal(id="design"):
            yield ParamEditor({"prior": scenario.prior_params,
                               "world": scenario.world_params,
                               "reward": scenario.reward_params},
                              self.bench.values, id="editor-pane")
            with VerticalScroll(id="phase-panel"):
                yield PhaseBadge(id="badge")
                yield BerkNashSet(id="bn-set")
                yield Static(id="explanation")
                with Horizontal(id="graphs"):
                    yield GraphView(id="belief-graph")
                    yield GraphView(id="br-graph")
                yield Static(id="warnings")
        yield StatusBar(self.bench.scenario.name, id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sme.values_changed.subscribe(self, self._values_loaded)
        self.query(ParamInput).first().focus()
        self.query_one("#badge", PhaseBadge).show_phase(None, "analysing…")
        self.analyse()

    # ------------------------------------------------------------------ editing

    @on(ParamEditor.Changed)
    def _edited(self, event: ParamEditor.Changed) -> None:
        self.bench.values[event.name] = event.value
        self.analyse()

    @on(ParamEditor.Invalid)
    def _rejected(self, event: ParamEditor.Invalid) -> None:
        self.notify(event.error, title=f"invalid value for {event.name}", severity="error")

    def _values_loaded(self, _values: dict[str, Any]) -> None:
        self.query_one(ParamEditor).set_values(self.bench.values)
        self.analyse()

    def action_defaults(self) -> None:
        """Put every parameter back to its declared default."""
        self.sme.load_values(self.bench.scenario.values(), "declared defaults")

    # ------------------------------------------------------------------ analysis

    def analyse(self) -> None:
        """Re-analyse the current values in a worker (the newest request wins)."""
        self._ticket += 1
        self.query_one(StatusBar).set_message("analysing…")
        self._analyse(self._ticket, dict(self.bench.values))

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def _analyse(self, ticket: int, values: dict[str, Any]) -> None:
        bench = self.bench
        try:
            timed = engine.analyse(bench.scenario, values, bench.settings)
        except Exception as exc:  # the user's program: report, never crash
            self.app.call_from_thread(self._failed, ticket, engine.error_text(exc))
            return
        self.app.call_from_thread(self._show, ticket, timed.value, timed.seconds)

    def _failed(self, ticket: int, message: str) -> None:
        if ticket != self._ticket:
            return
        self.bench.analysis = None
        self.query_one("#badge", PhaseBadge).show_phase(None, message)
        self.query_one("#bn-set", BerkNashSet).update("")
        self.query_one("#explanation", Static).update("")
        self.query_one(StatusBar).set_message(f"analysis failed: {message}", error=True)
        self.notify(message, title="analysis failed", severity="error")

    def _show(self, ticket: int, result: Analysis, seconds: float) -> None:
        if ticket != self._ticket:
            return
        self.bench.analysis = result
        scenario = self.bench.scenario
        risks = result.objective_risks
        self.query_one("#badge", PhaseBadge).show_phase(
            result.phase, risks=risks.summary() if risks is not None else "")
        self.query_one("#bn-set", BerkNashSet).show_set(
            scenario.actions, result.bn_set, result.pure_equilibria, result.mixed_equilibria)
        self.query_one("#explanation", Static).update(result.explanation)
        self.query_one("#belief-graph", GraphView).show_graph(
            "belief structure", render_dependencies(result.dependencies))
        self.query_one("#br-graph", GraphView).show_graph(
            "best responses", render_best_response(result.best_response))
        warnings = Text("\n".join(f"⚠ {w}" for w in result.warnings), style="yellow")
        self.query_one("#warnings", Static).update(warnings)
        timing = self.sme.timing_text(seconds, "analysed in")
        self.query_one(StatusBar).set_message(
            f"{result.phase.value} · {result.theta_points} Θ points ({grid_text(result.grid)})",
            timing)
