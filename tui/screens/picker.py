"""The scenario picker: shipped examples, recently opened files, or a path typed in."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.paths import PathError, probe, quoted, typed_path
from tui.resilient import Resilient


def summary(path: Path) -> str:
    """The first line of a scenario file's docstring (read, not run)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        return ""
    return (doc or "").strip().splitlines()[0] if doc else ""


def examples_in(directory: Path | None) -> list[Path]:
    """The scenario files of ``directory`` (sorted)."""
    if directory is None or not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))


class PickerScreen(Resilient, Screen[Path | None]):
    """Pick a scenario; dismisses with its path (``None``: cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, examples: Path | None, recent: list[Path],
                 cancellable: bool) -> None:
        super().__init__()
        self._examples = examples_in(examples)
        self._recent = [p for p in recent if p not in {e.resolve() for e in self._examples}]
        self._cancellable = cancellable

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="picker"):
            yield Label("Open a scenario", classes="dialog-title")
            yield Static("Scenario files are Python and are run when opened: open only files "
                         "you trust.", classes="dialog-text")
            options: list[Option | None] = []
            if self._examples:
                options.append(Option(Text("examples", style="bold"), disabled=True))
                options += [Option(self._label(p.name, summary(p)), id=str(p))
                            for p in self._examples]
            if self._recent:
                options.append(Option(Text("recent", style="bold"), disabled=True))
                options += [Option(self._label(str(p), ""), id=str(p)) for p in self._recent]
            if not options:
                options.append(Option(Text("no examples or recent files", style="dim"),
                                      disabled=True))
            yield OptionList(*options, id="choices")
            yield Input(placeholder="or type the path of a scenario file (.py) and press enter",
                        id="path")
            yield Static("", id="picker-error", classes="dialog-error")
        yield Footer(compact=True)

    @staticmethod
    def _label(name: str, text: str) -> Text:
        label = Text(f"  {name}", style="bold")
        if text:
            label.append(f"  {text}", style="italic")
        return label

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        choices.focus()
        for index in range(choices.option_count):
            if not choices.get_option_at_index(index).disabled:
                choices.highlighted = index
                break

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(Path(event.option.id))

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        error = self.query_one("#picker-error", Static)
        try:
            path = typed_path(event.value)
            if not probe(path, Path.is_file):
                raise PathError(f"{quoted(path)}: no such file" if not probe(path)
                                else f"{quoted(path)}: not a file")
        except PathError as exc:
            error.update(str(exc))
            return
        error.update("")
        self.dismiss(path)

    def action_cancel(self) -> None:
        """Close the picker when a scenario is already open."""
        if self._cancellable:
            self.dismiss(None)
