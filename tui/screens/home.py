"""The screen beneath everything before a scenario is open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class HomeScreen(Screen[None]):
    """A title and how to open a scenario."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Subjective Model Engineering\n\nctrl+n opens a scenario · F1 help · "
                     "ctrl+q quits", id="home")
        yield Footer(compact=True)
