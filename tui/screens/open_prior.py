"""The open dialog: read an exported prior (or any TOML/JSON/YAML file of parameter values)
back into the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from sme.scenario.declaration import Scenario
from tui import services
from tui.engine import error_text
from tui.paths import PathError, probe, quoted, typed_path
from tui.resilient import Resilient


class OpenPriorScreen(
    Resilient, ModalScreen[tuple[dict[str, Any], list[str], Path] | None],
):
    """Asks for a file; dismisses with its validated values, warnings and path."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scenario: Scenario, suggestion: str = "") -> None:
        super().__init__()
        self._scenario = scenario
        self._suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="open-dialog"):
            yield Label("Open an exported prior", classes="dialog-title")
            yield Static(".toml, .json or .yaml: parsed, never run", classes="dialog-text")
            with Horizontal(classes="form"):
                yield Label("path ", classes="form-label")
                yield Input(self._suggestion, compact=True, id="path")
            yield Static("", id="open-error", classes="dialog-error")
            with Horizontal(classes="buttons"):
                yield Button("Open", id="open", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Button.Pressed, "#open")
    @on(Input.Submitted, "#path")
    def _open(self) -> None:
        try:
            path = typed_path(self.query_one("#path", Input).value)
            if not probe(path, Path.is_file):
                raise PathError(f"{quoted(path)}: no such file")
            values, warnings = services.read_prior(path, self._scenario)
        except Exception as exc:  # whatever the file or the system refuses: inline
            self.query_one("#open-error", Static).update(error_text(exc))
            return
        self.dismiss((values, warnings, path))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without loading."""
        self.dismiss(None)
