"""The design screen: the parameter editor beside the phase panel.

Every valid edit re-analyses the prior in a worker, in two stages: first the phase and the
Berk–Nash set (the batched analysis without the objective-risk sweep, shown as soon as it is
known, with the previous phase → the new one), then the full report (equilibria,
explanation, objective risks and the two graphs).  A newer edit supersedes an older one:
an analysis still waiting for the engine is dropped, and one whose first stage is done
abandons its second (its ticket is checked between the stages, and nothing outdated is
ever shown).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static

from sme.analysis import Analysis
from sme.engine.phases import Phase
from tui import engine
from tui.engine import Cancelled, QuickResult
from tui.screens.base import WorkbenchScreen
from tui.values import format_value
from tui.widgets.bn_set import BerkNashSet
from tui.widgets.graph_view import GraphView, render_best_response, render_dependencies
from tui.widgets.param_editor import ParamEditor, ParamInput
from tui.widgets.phase_badge import PhaseBadge
from tui.widgets.screen_tabs import ScreenTabs
from tui.widgets.status_bar import StatusBar


class DesignScreen(WorkbenchScreen):
    """Edit the prior; see its phase."""

    def __init__(self) -> None:
        super().__init__(name="design")
        self._ticket = 0
        self._phase: Phase | None = None  # the phase on screen
        self._change_line = ""  # what the latest edit did to the phase

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
        self.sme.values_changed.subscribe(self, self._values_changed)
        self.query(ParamInput).first().focus()
        self.query_one("#badge", PhaseBadge).show_phase(None, "analysing…")
        self.analyse()

    # ------------------------------------------------------------------ editing

    @on(ParamEditor.Changed)
    def _edited(self, event: ParamEditor.Changed) -> None:
        try:
            self.sme.change_values({event.name: event.value},
                                   f"{event.name} = {format_value(event.value)}",
                                   group=event.name if event.nudged else None)
        except ValueError as exc:
            self.notify(engine.error_text(exc), title=f"invalid value for {event.name}",
                        severity="error")
            self.query_one(ParamEditor).set_values(self.bench.values)

    @on(ParamEditor.Invalid)
    def _rejected(self, event: ParamEditor.Invalid) -> None:
        self.notify(engine.error_text(ValueError(event.error)),
                    title=f"invalid value for {event.name}", severity="error")

    def _values_changed(self, _values: dict[str, Any]) -> None:
        self.query_one(ParamEditor).set_values(self.bench.values)
        self.analyse()

    # ------------------------------------------------------------------ analysis

    def analyse(self) -> None:
        """Re-analyse the current values in a worker (the newest request wins)."""
        self._ticket += 1
        self.query_one(StatusBar).set_message(
            f"{self.sme.last_change}: analysing…" if self.sme.last_change else "analysing…")
        self._analyse(self._ticket, dict(self.bench.values))

    @work(thread=True, group="analysis", exit_on_error=False)
    def _analyse(self, ticket: int, values: dict[str, Any]) -> None:
        bench = self.bench

        def current() -> bool:
            return ticket == self._ticket

        try:
            quick = engine.quick(bench.scenario, values, bench.settings, current)
        except Cancelled:
            return
        except Exception as exc:  # the user's program: report, never crash
            self._post(self._failed, ticket, engine.error_text(exc), True)
            return
        if not current():
            return
        self._post(self._show_quick, ticket, quick.value, quick.seconds)
        try:
            full = engine.analyse(bench.scenario, values, bench.settings, current)
        except Cancelled:
            return
        except Exception as exc:
            self._post(self._failed, ticket, engine.error_text(exc), False)
            return
        if current():
            self._post(self._show, ticket, full.value, quick.seconds, full.seconds)

    def _failed(self, ticket: int, message: str, first_stage: bool) -> None:
        if ticket != self._ticket:
            return
        self.bench.analysis = None
        if first_stage:
            self._phase = None
            self.query_one("#badge", PhaseBadge).show_phase(None, message)
            self.query_one("#bn-set", BerkNashSet).update("")
        self.query_one("#explanation", Static).update("")
        self.query_one(StatusBar).set_message(f"analysis failed: {message}", error=True)
        self.notify(message, title="analysis failed", severity="error")

    def _show_quick(self, ticket: int, result: QuickResult, seconds: float) -> None:
        """The first stage: the phase and the set; the report follows."""
        if ticket != self._ticket:
            return
        previous, self._phase = self._phase, result.phase
        self._change_line = self._change_text(previous, result.phase)
        self.query_one("#badge", PhaseBadge).show_phase(result.phase,
                                                        risks="following…")
        self.query_one("#bn-set", BerkNashSet).show_set(
            self.bench.scenario.actions, result.bn_set, result.pure, [], pending=True)
        self.query_one("#explanation", Static).update(
            Text("explanation: following…", style="dim italic"))
        self.query_one(StatusBar).set_message(
            f"{self._change_line} · report following…",
            self.sme.timing_text(seconds, "phase in"))

    def _change_text(self, previous: Phase | None, phase: Phase) -> str:
        """``hi = 1.5: oscillatory → safe`` (what changed, the previous and new phase)."""
        change = self.sme.last_change
        if previous is None:
            moved = phase.value
        elif previous is phase:
            moved = f"{phase.value} (unchanged)"
        else:
            moved = f"{previous.value} → {phase.value}"
        return f"{change}: {moved}" if change else moved

    def _show(self, ticket: int, result: Analysis, quick_seconds: float,
              seconds: float) -> None:
        if ticket != self._ticket:
            return
        self.bench.analysis = result
        self._phase = result.phase
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
        timing = (f"{self.sme.timing_text(quick_seconds, 'phase in')} · "
                  f"{self.sme.timing_text(seconds, 'report in')}")
        self.query_one(StatusBar).set_message(
            f"{self._change_line or result.phase.value} · {grid_text(result)}", timing)


def grid_text(result: Analysis) -> str:
    """``4096 points (64 × 64)``: the Θ grid the analysis used."""
    points = result.theta_points or result.settings.resolution.points
    grid = " × ".join(str(n) for n in result.grid)
    return f"{points} points ({grid})" if len(result.grid) > 1 else f"{points} points"
