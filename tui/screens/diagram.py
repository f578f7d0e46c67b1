"""The phase diagram screen: the phase over any two parameters, with the current prior
marked; ``enter`` on a cell loads its values into the editor."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Footer, Input, Label, ProgressBar, Select, Static

from priors.params import Param
from sme.engine.phases import Phase
from sme.figures.report import INVALID_GLYPH, PHASE_GLYPH
from sme.studies.diagram import INVALID, PhaseDiagram, parse_axis
from tui import engine
from tui.screens.base import WorkbenchScreen
from tui.values import format_value
from tui.widgets.phase_badge import phase_style
from tui.widgets.phase_grid import GridData, PhaseGrid
from tui.widgets.screen_tabs import ScreenTabs
from tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.workbench import Workbench

#: default number of cells along x and y
DEFAULT_CELLS = (41, 21)


def sweepable(params: dict[str, Param]) -> list[str]:
    """Parameters a diagram can sweep: numeric with both bounds declared."""
    return [n for n, p in params.items()
            if p.choices is None and p.low is not None and p.high is not None
            and p.high > p.low]


def default_axes(bench: Workbench) -> tuple[str, str] | None:
    """The first designable parameter against the first context one (or the second
    designable one)."""
    scenario = bench.scenario
    names = sweepable(scenario.all_params)
    if len(names) < 2:
        return None
    prior = [n for n in names if n in scenario.prior_params]
    context = [n for n in names if n not in scenario.prior_params]
    x = (prior or names)[0]
    rest = [n for n in context + prior + names if n != x]
    return x, rest[0]


def legend() -> Text:
    """One chip per phase, then the marks."""
    text = Text()
    for phase in Phase:
        text.append(f" {PHASE_GLYPH[phase]} ", style=phase_style(phase))
        text.append(f" {phase.value} ")
    text.append(" ◆ current prior", style="bold")
    return text


class DiagramScreen(WorkbenchScreen):
    """Sweep two parameters and move across the phases."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "compute", "Compute")]

    def __init__(self) -> None:
        super().__init__(name="diagram")
        self.diagram: PhaseDiagram | None = None

    def compose(self) -> ComposeResult:
        params = self.bench.scenario.all_params
        names = sweepable(params)
        axes = default_axes(self.bench) or (None, None)
        yield ScreenTabs("diagram", self.bench.label)
        for axis, name, cells in zip(("x", "y"), axes, DEFAULT_CELLS, strict=True):
            with Horizontal(classes="form"):
                yield Label(f"{axis} ", classes="form-label")
                yield Select([(n, n) for n in names], value=name or Select.NULL,
                             allow_blank=name is None, compact=True, id=f"{axis}-name",
                             classes="axis-name")
                yield Label(" from ", classes="form-label")
                yield Input(_bound(params, name, "low"), compact=True, id=f"{axis}-lo",
                            classes="num")
                yield Label(" to ", classes="form-label")
                yield Input(_bound(params, name, "high"), compact=True, id=f"{axis}-hi",
                            classes="num")
                yield Label(" cells ", classes="form-label")
                yield Input(str(cells), compact=True, id=f"{axis}-n", classes="count")
                if axis == "y":
                    yield Button("Compute", id="compute", compact=True, variant="primary")
        yield ProgressBar(id="progress", show_eta=False)
        yield PhaseGrid(id="grid")
        yield Static(id="cell-info")
        yield Static(legend(), id="legend")
        yield StatusBar(self.bench.scenario.name, id="status")
        yield Footer(compact=True)

    def on_screen_resume(self) -> None:
        if self.diagram is not None:
            self.query_one(PhaseGrid).set_mark(self._mark(self.diagram))

    @on(Select.Changed, ".axis-name")
    def _axis_changed(self, event: Select.Changed) -> None:
        axis = (event.select.id or "x")[0]
        name = event.value if isinstance(event.value, str) else None
        params = self.bench.scenario.all_params
        self.query_one(f"#{axis}-lo", Input).value = _bound(params, name, "low")
        self.query_one(f"#{axis}-hi", Input).value = _bound(params, name, "high")

    @on(Button.Pressed, "#compute")
    @on(Input.Submitted, ".form Input")
    def _compute_pressed(self) -> None:
        self.action_compute()

    def _axis_text(self, axis: str) -> str:
        name = self.query_one(f"#{axis}-name", Select).value
        if not isinstance(name, str):
            return ""
        lo = self.query_one(f"#{axis}-lo", Input).value.strip()
        hi = self.query_one(f"#{axis}-hi", Input).value.strip()
        n = self.query_one(f"#{axis}-n", Input).value.strip()
        return f"{name}={lo}:{hi}:{n}"

    def action_compute(self) -> None:
        """Check the axes and compute the diagram in a worker."""
        scenario = self.bench.scenario
        try:
            x = parse_axis(self._axis_text("x"), scenario)
            y = parse_axis(self._axis_text("y"), scenario)
            if x.name == y.name:
                raise ValueError("the two axes sweep the same parameter")
        except ValueError as exc:
            self.query_one(StatusBar).set_message(engine.error_text(exc), error=True)
            self.notify(engine.error_text(exc), title="diagram", severity="error")
            return
        bar = self.query_one(ProgressBar)
        bar.update(total=x.count * y.count, progress=0)
        self.query_one(StatusBar).set_message(f"computing {x.count} × {y.count} cells…")
        self._compute(x, y, dict(self.bench.values))

    @work(thread=True, exclusive=True, group="diagram", exit_on_error=False)
    def _compute(self, x: object, y: object, values: dict[str, object]) -> None:
        bench = self.bench

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self.query_one(ProgressBar).update, progress=done,
                                      total=total)

        try:
            timed = engine.diagram(bench.scenario, x, y, values,  # type: ignore[arg-type]
                                   bench.settings, progress)
        except Exception as exc:
            self.app.call_from_thread(self._failed, engine.error_text(exc))
            return
        self.app.call_from_thread(self._show, timed.value, timed.seconds)

    def _failed(self, message: str) -> None:
        self.query_one(StatusBar).set_message(f"diagram failed: {message}", error=True)
        self.notify(message, title="diagram failed", severity="error")

    def _mark(self, diagram: PhaseDiagram) -> tuple[int, int] | None:
        values = self.bench.values
        baseline = {diagram.x.name: float(values[diagram.x.name]),  # type: ignore[arg-type]
                    diagram.y.name: float(values[diagram.y.name])}  # type: ignore[arg-type]
        return replace(diagram, baseline=baseline).baseline_cell()

    def _show(self, diagram: PhaseDiagram, seconds: float) -> None:
        self.diagram = diagram
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total or 0)
        grid = self.query_one(PhaseGrid)
        grid.show(GridData(diagram.x.name, diagram.y.name, diagram.x_values,
                           diagram.y_values, diagram.phases), self._mark(diagram))
        grid.focus()
        counts = " · ".join(
            f"{INVALID_GLYPH if k == INVALID else PHASE_GLYPH[Phase(k)]} {v}"
            for k, v in diagram.counts().items() if v)
        self.query_one(StatusBar).set_message(
            f"{len(diagram.x_values)}×{len(diagram.y_values)}: {counts}",
            self.sme.timing_text(seconds))

    @on(PhaseGrid.Moved)
    def _moved(self, event: PhaseGrid.Moved) -> None:
        diagram = self.diagram
        if diagram is None:
            return
        phase = diagram.phases[event.row][event.column]
        x, y = diagram.x_values[event.column], diagram.y_values[event.row]
        where = f"{diagram.x.name} = {format_value(x)}   {diagram.y.name} = {format_value(y)}   "
        if phase is None:
            violated = ", ".join(diagram.scenario.violated(diagram.scenario.values(
                {**diagram.fixed, diagram.x.name: x, diagram.y.name: y})))
            text = Text.assemble(where, Text(f" invalid: violates {violated} ", style="dim"))
        else:
            text = Text.assemble(where, Text(f" {phase.value} ", style=phase_style(phase)),
                                 Text("   enter loads these values", style="dim"))
        self.query_one("#cell-info", Static).update(text)

    @on(PhaseGrid.Selected)
    def _selected(self, event: PhaseGrid.Selected) -> None:
        self.action_select_cell(event.row, event.column)

    def action_select_cell(self, row: int | None = None, column: int | None = None) -> None:
        """Load the values of a cell (the cursor's by default) into the editor."""
        diagram = self.diagram
        if diagram is None:
            self.notify("compute a diagram first", severity="warning")
            return
        if row is None or column is None:
            row, column = self.query_one(PhaseGrid).cursor
        if diagram.phases[row][column] is None:
            self.notify("this cell violates the scenario's constraints", severity="warning")
            return
        values = {diagram.x.name: diagram.x_values[column],
                  diagram.y.name: diagram.y_values[row]}
        label = ", ".join(f"{k} = {format_value(v)}" for k, v in values.items())
        self.sme.load_values(values, label)


def _bound(params: dict[str, Param], name: str | None, which: str) -> str:
    if name is None:
        return ""
    value = getattr(params[name], which)
    return "" if value is None else format_value(float(value))
