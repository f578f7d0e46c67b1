"""The export dialog: format, path, overwrite confirmation; writes the prior (all parameter
values, its phase, provenance) as TOML, JSON or YAML."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from sme.files.export import ExportedPrior
from tui import services
from tui.engine import error_text
from tui.paths import probe, typed_path
from tui.resilient import Resilient
from tui.screens.confirm import ConfirmScreen


class ExportScreen(Resilient, ModalScreen[Path | None]):
    """Write ``document`` where the user says (``suggestion`` first); dismisses with the
    written path."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, document: ExportedPrior, suggestion: Path, title: str) -> None:
        super().__init__()
        self._document = document
        self._suggestion = suggestion
        self._title = title

    def compose(self) -> ComposeResult:
        path = str(self._suggestion)
        fmt = path.rsplit(".", 1)[-1] if "." in path else "toml"
        result = self._document.result
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Static(f"phase {result.phase} · Berk–Nash set {{{', '.join(result.bn_set)}}}",
                         classes="dialog-text")
            with Horizontal(classes="form"):
                yield Label("format ", classes="form-label")
                yield Select([(f, f) for f in services.FORMATS], value=fmt,
                             allow_blank=False, compact=True, id="format")
            with Horizontal(classes="form"):
                yield Label("path   ", classes="form-label")
                yield Input(path, compact=True, id="path")
            yield Static("", id="export-error", classes="dialog-error")
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Select.Changed, "#format")
    def _format(self, event: Select.Changed) -> None:
        box = self.query_one("#path", Input)
        box.value = services.with_format(box.value.strip() or "prior", str(event.value))

    @on(Button.Pressed, "#export")
    @on(Input.Submitted, "#path")
    def _export(self) -> None:
        try:
            path = typed_path(self.query_one("#path", Input).value)
            services.export_format(path)
            exists = probe(path)
        except ValueError as exc:
            self._error(error_text(exc))
            return
        if exists:
            self.app.push_screen(ConfirmScreen(f"{path} exists. Overwrite it?", "Overwrite"),
                                 lambda yes: self._write(path, True) if yes else None)
            return
        self._write(path, False)

    def _write(self, path: Path, overwrite: bool) -> None:
        try:
            written = services.write_document(self._document, path, overwrite)
        except Exception as exc:  # whatever the system refuses: inline, never fatal
            self._error(error_text(exc))
            return
        self.dismiss(written)

    def _error(self, message: str) -> None:
        self.query_one("#export-error", Static).update(message)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without writing."""
        self.dismiss(None)
