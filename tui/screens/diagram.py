"""The phase diagram screen: the phase over any two parameters, with the current prior
marked; clicking a cell or moving the cursor selects it, ``enter`` (or a double click)
loads its values into the editor, ``z`` toggles the whole-grid view.

The diagram is computed in a worker in short slices that let the design analysis go first;
``stop`` (ctrl+b) ends it at once.  A cell that violates the scenario's constraints or
cannot be analysed is marked invalid.  A diagram made for other values of the parameters
it does not sweep is marked stale, naming the values it was made for."""

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
from sme.studies.diagram import INVALID, Axis, PhaseDiagram, parse_axis
from tui import engine
from tui.engine import Cancelled, StopToken
from tui.screens.base import StoppableScreen, stale_text
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


class DiagramScreen(StoppableScreen):
    """Sweep two parameters and move across the phases."""

    START_BUTTON = "#compute"
    WORK_NAME = "diagram"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "compute", "Compute"),
        Binding("ctrl+b", "stop", "Stop"),
        Binding("z", "whole", "Whole grid"),
    ]

    def __init__(self) -> None:
        super().__init__(name="diagram")
        self.diagram: PhaseDiagram | None = None
        self.made_for: dict[str, object] = {}  # the values the diagram was computed for
        self._token = StopToken()
        self._run = 0
        self.running = False
        self._axis_names: dict[str, str | None] = {}

    def compose(self) -> ComposeResult:
        params = self.bench.scenario.all_params
        names = sweepable(params)
        axes = default_axes(self.bench) or (None, None)
        yield ScreenTabs("diagram", self.bench.label)
        for axis, default, cells in zip(("x", "y"), axes, DEFAULT_CELLS, strict=True):
            name = self.remembered(f"{axis}-name", default or "")
            name = name if name in names else default
            same = name == default or f"{axis}-lo" in self.sme.forms.get("diagram", {})
            self._axis_names[axis] = name
            with Horizontal(classes="form"):
                yield Label(f"{axis} ", classes="form-label")
                yield Select([(n, n) for n in names], value=name or Select.NULL,
                             allow_blank=name is None, compact=True, id=f"{axis}-name",
                             classes="axis-name")
                yield Label(" from ", classes="form-label")
                low, high = _bound(params, name, "low"), _bound(params, name, "high")
                yield Input(self.remembered(f"{axis}-lo", low) if same else low,
                            compact=True, id=f"{axis}-lo", classes="num")
                yield Label(" to ", classes="form-label")
                yield Input(self.remembered(f"{axis}-hi", high) if same else high,
                            compact=True, id=f"{axis}-hi", classes="num")
                yield Label(" cells ", classes="form-label")
                yield Input(self.remembered(f"{axis}-n", str(cells)), compact=True,
                            id=f"{axis}-n", classes="count")
                if axis == "y":
                    yield Button("Compute", id="compute", compact=True, variant="primary")
                    yield Button("Stop", id="stop", compact=True, disabled=True)
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="stale", classes="stale")
        yield PhaseGrid(id="grid")
        yield Static(id="cell-info")
        yield Static(legend(), id="legend")
        yield StatusBar(self.bench.scenario.name, id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sme.values_changed.subscribe(self, lambda _values: self._refresh_marks())

    def on_screen_resume(self) -> None:
        self._refresh_marks()

    def _refresh_marks(self) -> None:
        """Move ``◆`` to the editor's values; mark the diagram stale when the parameters it
        does not sweep changed since it was computed; renew the cell line."""
        diagram = self.diagram
        if diagram is None:
            return
        line = stale_text(self.made_for, self.bench.values,
                          ignore=(diagram.x.name, diagram.y.name))
        grid = self.query_one(PhaseGrid)
        grid.set_mark(self._mark(diagram), stale=bool(line))
        self.query_one("#stale", Static).update(
            Text(f"⚠ stale: {line} · ctrl+r recomputes", style="bold yellow") if line else "")
        self._cell_info(*grid.cursor)

    @on(Select.Changed, ".axis-name")
    def _axis_changed(self, event: Select.Changed) -> None:
        axis = (event.select.id or "x")[0]
        name = event.value if isinstance(event.value, str) else None
        if self._axis_names.get(axis) == name:
            return  # the value it was composed with
        self._axis_names[axis] = name
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
        self.query_one(StatusBar).set_message(
            f"computing {x.count} × {y.count} cells… (ctrl+b stops)")
        self._token.stop()
        self._token = StopToken()
        self._run += 1
        self._set_running(True)
        self._compute(x, y, dict(self.bench.values), self._run, self._token)

    def action_whole(self) -> None:
        """Toggle between the whole grid (cells sampled to fit) and the window around the
        cursor."""
        grid = self.query_one(PhaseGrid)
        grid.whole = not grid.whole

    @work(thread=True, group="diagram", exit_on_error=False)
    def _compute(self, x: Axis, y: Axis, values: dict[str, object], run: int,
                 token: StopToken) -> None:
        bench = self.bench

        def progress(done: int, total: int) -> None:
            if not token.stopped:
                self._post(self._progressed, run, done, total)

        try:
            timed = engine.diagram(bench.scenario, x, y, values, bench.settings, progress,
                                   token)
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
        self.query_one(StatusBar).set_message(f"diagram failed: {message}", error=True)
        self.notify(message, title="diagram failed", severity="error")

    def _mark(self, diagram: PhaseDiagram) -> tuple[int, int] | None:
        values = self.bench.values
        baseline = {diagram.x.name: float(values[diagram.x.name]),  # type: ignore[arg-type]
                    diagram.y.name: float(values[diagram.y.name])}  # type: ignore[arg-type]
        return replace(diagram, baseline=baseline).baseline_cell()

    def _show(self, run: int, diagram: PhaseDiagram, seconds: float,
              values: dict[str, object]) -> None:
        if run != self._run:
            return
        self._set_running(False)
        self.diagram = diagram
        self.made_for = values
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total or 0)
        grid = self.query_one(PhaseGrid)
        grid.show(GridData(diagram.x.name, diagram.y.name, diagram.x_values,
                           diagram.y_values, diagram.phases), self._mark(diagram))
        grid.focus()
        self._refresh_marks()
        counts = " · ".join(
            f"{INVALID_GLYPH if k == INVALID else PHASE_GLYPH[Phase(k)]} {v}"
            for k, v in diagram.counts().items() if v)
        self.query_one(StatusBar).set_message(
            f"{len(diagram.x_values)}×{len(diagram.y_values)}: {counts}",
            self.sme.timing_text(seconds))

    @on(PhaseGrid.Moved)
    def _moved(self, event: PhaseGrid.Moved) -> None:
        self._cell_info(event.row, event.column)

    def _cell_info(self, row: int, column: int) -> None:
        """The line under the grid: the cell's values and phase (of this diagram)."""
        diagram = self.diagram
        if diagram is None or row >= len(diagram.y_values) or column >= len(diagram.x_values):
            return
        phase = diagram.phases[row][column]
        x, y = diagram.x_values[column], diagram.y_values[row]
        where = f"{diagram.x.name} = {format_value(x)}   {diagram.y.name} = {format_value(y)}   "
        if phase is None:
            violated = ", ".join(_violated(diagram, x, y))
            why = f"violates {violated}" if violated else "cannot be analysed here"
            text = Text.assemble(where, Text(f" invalid: {why} ", style="dim"))
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
            x, y = diagram.x_values[column], diagram.y_values[row]
            why = ("violates the scenario's constraints" if _violated(diagram, x, y)
                   else "cannot be analysed")
            self.notify(f"this cell {why}", severity="warning")
            return
        values = {diagram.x.name: diagram.x_values[column],
                  diagram.y.name: diagram.y_values[row]}
        label = ", ".join(f"{k} = {format_value(v)}" for k, v in values.items())
        self.sme.load_values(values, label)


def _violated(diagram: PhaseDiagram, x: float, y: float) -> list[str]:
    """The constraints the cell at ``x``, ``y`` violates."""
    scenario = diagram.scenario
    try:
        return list(scenario.violated(scenario.values(
            {**diagram.fixed, diagram.x.name: x, diagram.y.name: y})))
    except ValueError:
        return []


def _bound(params: dict[str, Param], name: str | None, which: str) -> str:
    if name is None:
        return ""
    value = getattr(params[name], which)
    return "" if value is None else format_value(float(value))
