"""A one-line status bar: what is open, what is happening, how long it took."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    """``left`` names the scenario; ``message`` says what happened; ``timing`` how long
    it took (hidden when the app runs without timings)."""

    DEFAULT_CLASSES = "status-bar"

    def __init__(self, left: str = "", **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._left = left
        self._message = ""
        self._timing = ""
        self._error = False

    def set_message(self, message: str, timing: str = "", error: bool = False) -> None:
        """Show ``message`` (and ``timing`` when given)."""
        self._message, self._timing, self._error = message, timing, error
        self._redraw()

    def on_mount(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self._left, style="bold")
        if self._message:
            text.append("  │  ")
            text.append(self._message, style="bold red" if self._error else "")
        if self._timing:
            text.append("  │  ")
            text.append(self._timing)
        self.update(text)
