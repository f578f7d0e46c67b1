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
from tui import engine, recent, services
from tui.commands import SMECommands
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
NEEDS_SCENARIO = {"mode", "in_mode", "export_current", "open_prior"}


class SMEApp(App[None]):
    """The app. ``timings=False`` hides measured times (for reproducible screenshots)."""

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
        Binding("ctrl+s", "export_current", "Export", show=False),
        Binding("ctrl+o", "open_prior", "Open", show=False),
        Binding("ctrl+n", "open_scenario", "Scenario", show=False),
    ]

    def __init__(self, scenario: Path | None = None, values: dict[str, Any] | None = None,
                 settings: Settings | None = None, *, timings: bool = True,
                 examples: Path | None = None, recent_file: Path | None = None) -> None:
        super().__init__()
        self.workbench: Workbench | None = None
        self.values_changed: Signal[dict[str, Any]] = Signal(self, "values-changed")
        self._start = scenario
        self._start_values = dict(values or {})
        self.settings = settings or Settings()
        self.timings = timings
        self.examples = examples if examples is not None else _default_examples()
        self.recent_file = recent_file

    # ------------------------------------------------------------------ opening

    def on_mount(self) -> None:
        if self._start is not None:
            self.open_scenario(self._start, self._start_values)
        else:
            self.action_open_scenario()

    def action_open_scenario(self) -> None:
        """Pick a scenario file and open it."""
        picker = PickerScreen(self.examples, recent.load_recent(self.recent_file),
                              cancellable=self.workbench is not None)
        self.push_screen(picker, lambda path: self.open_scenario(path) if path else None)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_scenario(self, path: Path, values: dict[str, Any] | None = None) -> None:
        """Load ``path`` (runs the file) in a worker, then show its design screen."""
        try:
            scenario = engine.open_scenario(path)
            bench = Workbench(scenario, Path(path), self.settings, dict(values or {}))
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
        await self.switch_mode("home")
        if self.workbench is not None:
            for mode in WORKSPACES:
                await self.remove_mode(mode)
        self.workbench = bench
        for mode, screen in WORKSPACES.items():
            self.add_mode(mode, screen)
        await self.switch_mode("design")
        self.sub_title = bench.label

    # ------------------------------------------------------------------ values

    def load_values(self, values: dict[str, Any], label: str) -> bool:
        """Validate ``values`` and load them into the editor; ``False`` (and an error
        notification) when they are invalid."""
        bench = self.workbench
        if bench is None:
            return False
        try:
            bench.values = bench.validated(values)
        except ValueError as exc:
            self.notify(engine.error_text(exc), title="cannot load", severity="error")
            return False
        self.values_changed.publish(bench.values)
        self.call_later(self.switch_mode, "design")
        self.notify(f"loaded {label}", title="editor")
        return True

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
