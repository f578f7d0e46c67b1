"""The search screen: run a prior search in the background and browse its candidates.

A search runs in a worker (ask a batch, evaluate it in one pass, tell it — the loop of
``sme search``), so the app stays responsive; a progress bar, trials per second and the
candidates table update after every batch.  ``l`` loads the selected candidate into the
editor, ``x`` exports it; opening an existing study shows its candidates.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)

from tui import engine, services
from tui.engine import StopToken
from tui.paths import PathError, probe, typed_path
from tui.screens.base import WorkbenchScreen
from tui.services import Candidate, SearchProgress, SearchRequest
from tui.values import format_value
from tui.widgets.candidates import CandidatesTable
from tui.widgets.phase_badge import phase_chip
from tui.widgets.screen_tabs import ScreenTabs
from tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.workbench import Workbench

#: form defaults: trials the study should hold (as `sme search --trials`) and per batch
DEFAULT_TRIALS, DEFAULT_BATCH = 100, 8


def compare(bench: Workbench, candidate: Candidate | None) -> RenderableType:
    """The selected candidate beside the current prior."""
    if candidate is None:
        return Text("select a candidate to compare it with the current prior", style="dim")
    current = bench.current_analysis()
    head = Text()
    head.append(f"#{candidate.trial:<7} ", style="bold")
    head.append_text(phase_chip(candidate.phase))
    head.append(f" {candidate.phase}\n")
    head.append("current  ", style="bold")
    head.append_text(phase_chip(current.phase if current else None))
    head.append(f" {current.phase.value if current else 'not analysed'}\n")
    head.append("set      ", style="bold")
    head.append("{" + ", ".join(candidate.bn_set) + "}")
    head.append("\nrisks    ", style="bold")
    head.append(candidate.risk_verdict or "not swept",
                style="" if candidate.risk_verdict else "dim")
    table = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, expand=False)
    table.add_column("", style="bold", no_wrap=True, overflow="fold", max_width=16)
    table.add_column("current", justify="right", no_wrap=True)
    table.add_column(f"#{candidate.trial}", justify="right", no_wrap=True)
    for name in bench.scenario.prior_params:
        now = bench.values[name]
        then = candidate.params.get(name, now)
        style = "bold" if then != now else "dim"
        table.add_row(name, format_value(now), Text(format_value(then), style=style))
    scores = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, expand=False)
    scores.add_column("", style="bold", no_wrap=True)
    scores.add_column(f"#{candidate.trial}", justify="right", no_wrap=True)
    scores.add_row("pareto", str(candidate.rank) if candidate.feasible else "—")
    for name in services.OBJECTIVES:
        value = candidate.objectives.get(name)
        scores.add_row(name, f"{value:.4g}" if isinstance(value, int | float) else "—")
    return Group(head, Text(), table, Text(), scores)


def best_line(candidate: Candidate | None, order: str) -> Text:
    """``best so far: #12 ✓ safe · score 0.12 · lo = 1, hi = 2`` (and the table's order)."""
    text = Text()
    if candidate is None:
        text.append("no completed trial yet", style="dim")
        return text
    text.append("best so far ", style="bold")
    text.append(f"#{candidate.trial} ")
    text.append_text(phase_chip(candidate.phase))
    text.append(f" {candidate.phase}")
    score = candidate.objectives.get("score")
    if isinstance(score, int | float):
        text.append(f" · score {score:.4g}")
    prior = ", ".join(f"{k} = {format_value(v)}" for k, v in candidate.params.items())
    if prior:
        text.append(f" · {prior}")
    text.append(f"   (rows {order}; s sorts, b follows the best)", style="dim")
    return text


class SearchScreen(WorkbenchScreen):
    """Search for safe priors; browse, compare, load and export candidates."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Start"),
        Binding("ctrl+b", "stop", "Stop"),
        Binding("ctrl+l", "open_study", "Open study", show=False),
        Binding("l", "load", "Load"),
        Binding("x", "export_candidate", "Export"),
    ]

    def __init__(self) -> None:
        super().__init__(name="search")
        self._token = StopToken()
        self._run = 0  # the run whose reports are shown (a stopped run's are ignored)
        self.running = False
        self.study_name = ""
        self.storage_label = ""
        self._study: object = None

    def compose(self) -> ComposeResult:
        scenario = self.bench.scenario
        yield ScreenTabs("search", self.bench.label)
        with Horizontal(classes="form"):
            yield Label("sampler ", classes="form-label")
            yield Select([(s, s) for s in services.SAMPLERS], value=self._sampler(),
                         allow_blank=False, compact=True, id="sampler")
            yield Label(" trials ", classes="form-label")
            yield Input(self.remembered("trials", str(DEFAULT_TRIALS)), compact=True,
                        id="trials", classes="count")
            yield Label(" batch ", classes="form-label")
            yield Input(self.remembered("batch", str(DEFAULT_BATCH)), compact=True,
                        id="batch", classes="count")
            yield Label(" seed ", classes="form-label")
            yield Input(self.remembered("seed", "0"), compact=True, id="seed", classes="count")
        with Horizontal(classes="form"):
            yield Label("storage ", classes="form-label")
            yield Input(self.remembered("storage", services.default_storage(scenario)),
                        compact=True, id="storage")
            yield Label(" study ", classes="form-label")
            yield Input(self.remembered("study", scenario.name), compact=True, id="study")
            yield Button("Start", id="start", compact=True, variant="primary")
            yield Button("Stop", id="stop", compact=True, disabled=True)
            yield Button("Open", id="open", compact=True)
        with Horizontal(id="search-progress"):
            yield ProgressBar(id="progress", show_eta=False)
            yield Static("", id="rate")
        yield Static(best_line(None, "best first"), id="best")
        with Horizontal(id="search-body"):
            yield CandidatesTable(list(scenario.prior_params), id="candidates")
            with VerticalScroll(id="compare-pane"):
                yield Static(compare(self.bench, None), id="compare")
        yield StatusBar(self.bench.scenario.name, id="status")
        yield Footer(compact=True)

    # ------------------------------------------------------------------ form

    def _sampler(self) -> str:
        chosen = self.remembered("sampler", "tpe")
        return chosen if chosen in services.SAMPLERS else "tpe"

    def _int(self, widget_id: str, allow_blank: bool = False) -> int | None:
        text = self.query_one(f"#{widget_id}", Input).value.strip()
        if not text and allow_blank:
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{widget_id}: expected a whole number, got {text!r}") from None

    def _request(self) -> SearchRequest:
        bench = self.bench
        sampler = self.query_one("#sampler", Select).value
        trials, batch = self._int("trials"), self._int("batch")
        assert trials is not None and batch is not None
        if trials < 1 or batch < 1:
            raise ValueError("trials and batch must be at least 1")
        return SearchRequest(
            scenario=bench.path, context=bench.context, trials=trials, batch=batch,
            sampler=str(sampler), seed=self._int("seed", allow_blank=True),
            storage=self.query_one("#storage", Input).value.strip() or None,
            study=self.query_one("#study", Input).value.strip() or None,
            points=bench.settings.resolution.points,
            per_dimension=bench.settings.resolution.per_dimension, device=bench.settings.device,
        )

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#stop")
    def _stop_pressed(self) -> None:
        self.action_stop()

    @on(Button.Pressed, "#open")
    def _open_pressed(self) -> None:
        self.action_open_study()

    # ------------------------------------------------------------------ running

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.query_one("#start", Button).disabled = running
        self.query_one("#stop", Button).disabled = not running
        self.query_one("#open", Button).disabled = running

    def action_start(self) -> None:
        """Start a search with the form's settings (in the background)."""
        if self.running:
            self.notify("a search is already running", severity="warning")
            return
        try:
            request = self._request()
        except ValueError as exc:
            self._error(engine.error_text(exc))
            return
        self._token = StopToken()
        self._run += 1
        self._set_running(True)
        self.query_one(ProgressBar).update(total=request.trials, progress=0)
        self.query_one(StatusBar).set_message(f"searching: {request.trials} trials…")
        self._search(request, self._run, self._token)

    def action_stop(self) -> None:
        """Stop the running search now: the candidate being evaluated is abandoned (its
        batch's trials are told FAIL), the study keeps every trial told before."""
        if not self.running:
            return
        self._token.stop()
        self._set_running(False)
        message = "stopped; the study keeps every trial finished before the stop"
        self.query_one(StatusBar).set_message(message)
        self.notify(message, title="search")
        if self._study is not None:
            self._reopen()

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, request: SearchRequest, run: int, token: StopToken) -> None:
        def report(progress: SearchProgress) -> None:
            if run == self._run and not token.stopped:
                self._post(self._progress, progress)

        try:
            final = services.run_search(request, report, token)
        except Exception as exc:
            if not token.stopped:
                self._post(self._finished, run, None, engine.error_text(exc))
            return
        if not token.stopped:
            self._post(self._finished, run, final, "")

    def _reopen(self) -> None:
        """Show the candidates of the study after a stop (in a worker)."""
        self._open(self.query_one("#storage", Input).value.strip(),
                   self.study_name or self.query_one("#study", Input).value.strip(),
                   quiet=True)

    def _progress(self, progress: SearchProgress) -> None:
        self.study_name, self.storage_label = progress.study, progress.storage
        self._study = progress.handle
        self.query_one(ProgressBar).update(total=progress.total, progress=progress.done)
        rate = self.sme.rate_text(progress.rate)
        self.query_one("#rate", Static).update(
            f" {progress.done}/{progress.total} · {rate} · {progress.feasible} safe")
        self._show_candidates(progress.candidates)

    def _finished(self, run: int, final: SearchProgress | None, error: str) -> None:
        if run != self._run:
            return
        self._set_running(False)
        if final is None:
            self._error(error)
            return
        self._progress(final)
        message = (f"done: {final.ran} trials run; study {final.study} holds "
                   f"{final.done} of {final.total}, {final.feasible} safe")
        if final.ran == 0:
            message += " (it already holds that many: raise trials to continue)"
        self.query_one(StatusBar).set_message(message)
        self.notify(message, title="search")

    def _error(self, message: str) -> None:
        self.query_one(StatusBar).set_message(message, error=True)
        self.notify(message, title="search", severity="error")

    # ------------------------------------------------------------------ candidates

    def _show_candidates(self, candidates: list[Candidate]) -> None:
        table = self.query_one(CandidatesTable)
        table.set_candidates(candidates)
        self._show_best()
        self._compare()

    def _show_best(self) -> None:
        table = self.query_one(CandidatesTable)
        self.query_one("#best", Static).update(best_line(table.best, table.order_text))

    def _compare(self) -> None:
        table = self.query_one(CandidatesTable)
        self.query_one("#compare", Static).update(compare(self.bench, table.selected))

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_best()
        self._compare()

    def on_mount(self) -> None:
        """Show the candidates of the study in the form when its journal exists (after
        reopening a scenario, say)."""
        storage = self.query_one("#storage", Input).value.strip()
        try:
            exists = bool(storage) and probe(typed_path(storage), Path.is_file)
        except PathError:
            exists = False
        if exists:
            self._open(storage, self.query_one("#study", Input).value.strip(), quiet=True)

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_load()

    def action_open_study(self) -> None:
        """Show the candidates of the study named in the form."""
        storage = self.query_one("#storage", Input).value.strip()
        study = self.query_one("#study", Input).value.strip()
        self._open(storage, study)

    @work(thread=True, exclusive=True, group="open-study", exit_on_error=False)
    def _open(self, storage: str, study: str, quiet: bool = False) -> None:
        try:
            handle, label, candidates = services.open_study(storage, study)
        except Exception as exc:
            if not quiet:
                self._post(self._error, engine.error_text(exc))
            return
        self._post(self._opened, handle, label, candidates, quiet)

    def _opened(self, handle: object, label: str, candidates: list[Candidate],
                quiet: bool = False) -> None:
        study = str(getattr(handle, "study_name", ""))
        self.study_name, self.storage_label, self._study = study, label, handle
        self._show_candidates(candidates)
        if quiet:
            return
        safe = sum(c.feasible for c in candidates)
        self.query_one(StatusBar).set_message(
            f"study {study}: {len(candidates)} completed trials, {safe} safe")

    def action_load(self) -> None:
        """Load the selected candidate's prior into the editor."""
        candidate = self.query_one(CandidatesTable).selected
        if candidate is None:
            self.notify("no candidate selected", severity="warning")
            return
        self.sme.load_values(candidate.params, f"candidate #{candidate.trial}")

    def action_export_candidate(self) -> None:
        """Export the selected candidate (format, path, overwrite confirmation)."""
        candidate = self.query_one(CandidatesTable).selected
        if candidate is None:
            self.notify("no candidate selected", severity="warning")
            return
        try:
            document = services.candidate_document(self._study, candidate.trial,
                                                   self.storage_label)
        except Exception as exc:
            self._error(engine.error_text(exc))
            return
        self.sme.export(document, Path(f"{self.study_name}-trial{candidate.trial}.toml"),
                        f"Export candidate #{candidate.trial}")
