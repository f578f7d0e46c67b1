"""A one-line strip naming the four screens (with their keys), the current one
highlighted, and the open scenario at the right; clicking a tab switches to it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Click
from textual.widgets import Label

#: (mode, key, title) of each screen, in order
TABS: tuple[tuple[str, str, str], ...] = (
    ("design", "F2", "Design"),
    ("diagram", "F3", "Diagram"),
    ("search", "F4", "Search"),
    ("simulate", "F5", "Simulate"),
)


class Tab(Label):
    """One screen's tab."""

    def __init__(self, mode: str, key: str, title: str, active: bool) -> None:
        super().__init__(f" {key} {title} ", classes="tab -active" if active else "tab")
        self.mode = mode

    async def on_click(self, event: Click) -> None:
        event.stop()
        await self.app.run_action(f"mode('{self.mode}')")


class ScreenTabs(Horizontal):
    """The screen strip; ``current`` is the screen it belongs to."""

    def __init__(self, current: str, scenario: str) -> None:
        super().__init__(classes="screen-tabs")
        self._current = current
        self._scenario = scenario

    def compose(self) -> ComposeResult:
        yield Label(" SME ", classes="brand")
        for mode, key, title in TABS:
            yield Tab(mode, key, title, mode == self._current)
        yield Label(self._scenario, classes="tabs-scenario")
