"""The SME terminal UI: design priors, see their phase, run searches, export.

The app holds the open scenario (:class:`tui.workbench.Workbench`) and switches between four
screens, each a Textual mode so that a search keeps running while you design:
``design``, ``diagram``, ``search`` and ``simulate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.signal import Signal

from sme.analysis import Settings
from sme.files.export import ExportedPrior
from sme.scenario.shipped import examples_dir
from tui import engine, recent, services, session
from tui.commands import SMECommands
from tui.resilient import Resilient
from tui.screens.confirm import ConfirmScreen
from tui.screens.design import DesignScreen
from tui.screens.diagram import DiagramScreen
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.open_prior import OpenPriorScreen
from tui.screens.picker import PickerScreen
from tui.screens.search import SearchScreen
from tui.screens.simulate import SimulateScreen
from tui.workbench import Workbench

WORKSPACES = {"design": DesignScreen, "diagram": DiagramScreen, "search": SearchScreen,
              "simulate": SimulateScreen}
#: the screen keys share one footer entry
SCREENS = Binding.Group("screens")
#: actions that need an open scenario
NEEDS_SCENARIO = {"mode", "in_mode", "export_current", "open_prior", "undo", "redo", "reset"}


class SMEApp(Resilient, App[None]):
    """The app. ``timings=False`` hides measured times (for reproducible screenshots);
    ``recent_file`` and ``session_file`` replace the files in the user's directories;
    ``survive_errors=False`` ends the app on an unexpected error (tests)."""

    CSS_PATH = "sme.tcss"
    TITLE = "SME"
    SUB_TITLE = "Subjective Model Engineering"
    MODES: ClassVar[dict[str, Any]] = {"home": HomeScreen}
    DEFAULT_MODE = "home"
    COMMANDS = App.COMMANDS | {SMECommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("f2", "mode('design')", "Design", group=SCREENS),
        Binding("f3", "mode('diagram')", "Diagram", group=SCREENS),
        Binding("f4", "mode('search')", "Search", group=SCREENS),
        Binding("f5", "mode('simulate')", "Simulate", group=SCREENS),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("ctrl+y", "redo", "Redo"),
        Binding("ctrl+t", "reset", "Reset"),
        Binding("ctrl+n", "open_scenario", "Scenario"),
        Binding("ctrl+s", "export_current", "Export"),
        Binding("ctrl+o", "open_prior", "Open"),
    ]

    def __init__(self, scenario: Path | None = None, values: dict[str, Any] | None = None,
                 settings: Settings | None = None, *, timings: bool = True,
                 examples: Path | None = None, recent_file: Path | None = None,
                 session_file: Path | None = None, survive_errors: bool = True) -> None:
        super().__init__()
        self.survive_errors = survive_errors
        self.workbench: Workbench | None = None
        self.values_changed: Signal[dict[str, Any]] = Signal(self, "values-changed")
        self._start = scenario
        self._start_values = dict(values or {})
        self.settings = settings or Settings()
        self.timings = timings
        self.examples = examples if examples is not None else _default_examples()
        self.recent_file = recent_file
        self.session_file = session_file
        self.session = session.load(session_file)
        #: the screens' forms: ``{screen: {field id: text}}`` (remembered in the session)
        self.forms: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------------ opening

    def on_mount(self) -> None:
        if self.session.theme and self.session.theme in self.available_themes:
            self.theme = self.session.theme
        self.theme_changed_signal.subscribe(self, lambda _theme: self.save_session())
        if self._start is not None:
            self.open_scenario(self._start, self._start_values or None)
        else:
            self.action_open_scenario()

    def action_open_scenario(self) -> None:
        """Pick a scenario file and open it (asks first when one is open)."""
        picker = PickerScreen(self.examples, recent.load_recent(self.recent_file),
                              cancellable=self.workbench is not None)
        self.push_screen(picker, lambda path: self._confirm_open(path) if path else None)

    def _confirm_open(self, path: Path) -> None:
        bench = self.workbench
        if bench is None:
            self.open_scenario(path)
            return
        question = (f"Close {bench.scenario.name} and open {path.name}? Its values are kept "
                    "for the next time you open it, but its undo history and results are "
                    "not.")
        self.push_screen(ConfirmScreen(question, "Open"),
                         lambda yes: self.open_scenario(path) if yes else None)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_scenario(self, path: Path, values: dict[str, Any] | None = None) -> None:
        """Load ``path`` (runs the file) in a worker, then show its design screen; without
        ``values`` the ones remembered for it in the session (when still valid)."""
        remembered = values is None
        try:
            scenario = engine.open_scenario(path)
            start = dict(values or {}) if not remembered else self.session.values(Path(path))
            try:
                bench = Workbench(scenario, Path(path), self.settings, start)
            except ValueError:
                if not remembered:
                    raise
                bench = Workbench(scenario, Path(path), self.settings, {})
        except Exception as exc:
            self.call_from_thread(self._open_failed, engine.error_text(exc))
            return
        self.call_from_thread(self._install, bench)

    def _open_failed(self, message: str) -> None:
        self.notify(message, title="cannot open the scenario", severity="error", timeout=10)
        if self.workbench is None and not isinstance(self.screen, PickerScreen):
            self.action_open_scenario()

    async def _install(self, bench: Workbench) -> None:
        recent.remember(bench.path, self.recent_file)
        self.save_session()
        await self.switch_mode("home")
        if self.workbench is not None:
            for mode in WORKSPACES:
                await self.remove_mode(mode)
        self.workbench = bench
        self.forms = self.session.forms(bench.path)
        for mode, screen in WORKSPACES.items():
            self.add_mode(mode, screen)
        await self.switch_mode("design")
        self.sub_title = bench.label

    # ------------------------------------------------------------------ values

    def change_values(self, values: dict[str, Any], label: str,
                      group: str | None = None) -> bool:
        """Make ``values`` current (validated; undoable, nudges of one ``group`` together)
        and tell every screen; ``False`` when they change nothing (``ValueError`` when they
        are invalid)."""
        bench = self.workbench
        if bench is None or not bench.change(values, label, group):
            return False
        self.last_change = label
        self.values_changed.publish(bench.values)
        self._save_soon()
        return True

    #: what the latest change of values was (the design screen's status line says it)
    last_change = ""

    def load_values(self, values: dict[str, Any], label: str) -> bool:
        """Validate ``values`` and load them into the editor; ``False`` (and an error
        notification) when they are invalid."""
        bench = self.workbench
        if bench is None:
            return False
        try:
            self.change_values(values, f"loaded {label}")
        except ValueError as exc:
            self.notify(engine.error_text(exc), title="cannot load", severity="error")
            return False
        self.call_later(self.switch_mode, "design")
        self.notify(f"loaded {label} (ctrl+z undoes)", title="editor")
        return True

    def action_undo(self) -> None:
        """Undo the last change of values."""
        self._step(undo=True)

    def action_redo(self) -> None:
        """Redo the last undone change of values."""
        self._step(undo=False)

    def _step(self, undo: bool) -> None:
        bench = self.workbench
        if bench is None:
            return
        label = bench.undo() if undo else bench.redo()
        if label is None:
            self.notify("nothing to undo" if undo else "nothing to redo", title="editor",
                        severity="warning")
            return
        self.last_change = f"{'undid' if undo else 'redid'} {label}"
        self.values_changed.publish(bench.values)
        self._save_soon()

    def action_reset(self) -> None:
        """Every parameter back to its declared default (asks first; undoable)."""
        bench = self.workbench
        if bench is None:
            return
        if bench.values == bench.scenario.values():
            self.notify("every parameter already holds its default", title="editor")
            return
        changed = sum(bench.values[k] != v for k, v in bench.scenario.values().items())

        def answer(yes: bool | None) -> None:
            if yes:
                self.change_values(bench.scenario.values(), "reset to the defaults")
                self.call_later(self.switch_mode, "design")

        self.push_screen(ConfirmScreen(f"Put {changed} parameter(s) back to their declared "
                                       "defaults? (ctrl+z undoes it)", "Reset"), answer)

    # ------------------------------------------------------------------ session

    def remember_form(self, screen: str, field: str, text: str) -> None:
        """Keep what a form field holds (remembered in the session)."""
        self.forms.setdefault(screen, {})[field] = text
        self._save_soon()

    def _save_soon(self) -> None:
        timer = getattr(self, "_save_timer", None)
        if timer is not None:
            timer.stop()
        self._save_timer = self.set_timer(0.5, self.save_session)

    def save_session(self) -> None:
        """Write the session file (values, forms and theme; best effort)."""
        self.session.theme = self.theme
        bench = self.workbench
        if bench is not None:
            self.session.remember(bench.path, bench.values, self.forms)
        session.save(self.session, self.session_file)

    async def action_quit(self) -> None:
        """Save the session and leave."""
        self.save_session()
        await super().action_quit()

    # ------------------------------------------------------------------ failures

    def report_unexpected(self, error: Exception) -> None:
        """An unexpected error in a handler (see :mod:`tui.resilient`): logged and shown;
        the session goes on."""
        self.log.error(error)
        self.notify(f"{engine.error_text(error)} (an unexpected error; the session goes on)",
                    title="internal error", severity="error", timeout=15)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run until closed (returns what the app exited with); raises ``SystemExit`` with
        the app's status when it ended on an error, so the command exits non-zero."""
        result = super().run(*args, **kwargs)
        if self.return_code:
            raise SystemExit(self.return_code)
        return result

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in NEEDS_SCENARIO and self.workbench is None:
            return False
        return not (action == "mode" and parameters and parameters[0] == self.current_mode)

    def action_mode(self, mode: str) -> None:
        """Show one of the four screens."""
        if mode in WORKSPACES and self.workbench is not None:
            self.switch_mode(mode)

    async def action_in_mode(self, mode: str, action: str) -> None:
        """Show screen ``mode`` and run its ``action``."""
        if mode in WORKSPACES and self.workbench is not None:
            await self.switch_mode(mode)
            await self.screen.run_action(action)

    def action_help(self) -> None:
        """Keys, screens and phases."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export_current(self) -> None:
        """Export the prior in the editor."""
        bench = self.workbench
        if bench is None:
            return
        result = bench.current_analysis()
        if result is None:
            self.notify("the current values have no analysis yet (or it failed); fix them "
                        "first", title="export", severity="error")
            return
        try:
            document = services.current_document(result)
        except ValueError as exc:
            self.notify(engine.error_text(exc), title="export", severity="error")
            return
        self.export(document, Path(f"{bench.scenario.name}-prior.toml"),
                    "Export the current prior")

    def export(self, document: ExportedPrior, suggestion: Path, title: str) -> None:
        """Open the export dialog for ``document``."""

        def done(path: Path | None) -> None:
            if path is not None:
                self.notify(f"wrote {path}", title="export")

        self.push_screen(ExportScreen(document, suggestion, title), done)

    def action_open_prior(self) -> None:
        """Read an exported prior into the editor."""
        bench = self.workbench
        if bench is None:
            return

        def done(result: tuple[dict[str, Any], list[str], Path] | None) -> None:
            if result is None:
                return
            values, warnings, path = result
            for warning in warnings:
                self.notify(warning, severity="warning")
            self.load_values(values, path.name)

        self.push_screen(OpenPriorScreen(bench.scenario), done)

    # ------------------------------------------------------------------ display

    def timing_text(self, seconds: float, verb: str = "took") -> str:
        """``took 12 ms`` (or ``done`` without timings)."""
        if not self.timings:
            return f"{verb} (time hidden)"
        if seconds < 1:
            return f"{verb} {seconds * 1000:.0f} ms"
        return f"{verb} {seconds:.2f} s"

    def rate_text(self, rate: float) -> str:
        """Trials per second (or a dash without timings)."""
        return f"{rate:.1f} trials/s" if self.timings else "— trials/s"


def _default_examples() -> Path | None:
    """``examples/`` in the working directory, else the shipped examples."""
    here = Path("examples")
    if here.is_dir():
        return here
    return examples_dir()
