"""Command-palette entries (a Textual command provider) for every action of the app."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import SMEApp

#: (title, help, app action, key); entries after the first three need an open scenario
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("Help", "keys, screens and what the phases mean", "help", "F1"),
    ("Open scenario", "pick an example or a recent file, or type a path", "open_scenario",
     "ctrl+n"),
    ("Quit", "leave the app (the session is remembered)", "quit", "ctrl+q"),
    ("Design the prior", "parameter editor and phase panel", "mode('design')", "F2"),
    ("Phase diagram", "the phase over any two parameters", "mode('diagram')", "F3"),
    ("Search for safe priors", "run an Optuna study in the background", "mode('search')",
     "F4"),
    ("Simulate learning dynamics", "learners acting on the current prior",
     "mode('simulate')", "F5"),
    ("Export current prior", "write it as TOML, JSON or YAML", "export_current", "ctrl+s"),
    ("Open exported prior", "load a prior file into the editor", "open_prior", "ctrl+o"),
    ("Undo", "the last change of values", "undo", "ctrl+z"),
    ("Redo", "the last undone change of values", "redo", "ctrl+y"),
    ("Reset parameters to defaults", "every parameter to its declared default (asks first)",
     "reset", "ctrl+t"),
    ("Compute phase diagram", "with the axes in the diagram form",
     "in_mode('diagram', 'compute')", "ctrl+r on F3"),
    ("Stop phase diagram", "the diagram being computed, now", "in_mode('diagram', 'stop')",
     "ctrl+b on F3"),
    ("Whole-grid view", "the whole diagram, or a window around the cursor",
     "in_mode('diagram', 'whole')", "z on F3"),
    ("Load diagram cell", "the values under the diagram cursor into the editor",
     "in_mode('diagram', 'select_cell')", "enter on F3"),
    ("Start search", "with the settings in the search form", "in_mode('search', 'start')",
     "ctrl+r on F4"),
    ("Stop search", "now; the study keeps its finished trials",
     "in_mode('search', 'stop')", "ctrl+b on F4"),
    ("Open study", "show the candidates of an existing study",
     "in_mode('search', 'open_study')", "ctrl+l on F4"),
    ("Load selected candidate", "into the editor", "in_mode('search', 'load')", "l on F4"),
    ("Export selected candidate", "write it as TOML, JSON or YAML",
     "in_mode('search', 'export_candidate')", "x on F4"),
    ("Run simulation", "with the settings in the simulate form",
     "in_mode('simulate', 'run')", "ctrl+r on F5"),
    ("Stop simulation", "the simulation running, now", "in_mode('simulate', 'stop')",
     "ctrl+b on F5"),
)


class SMECommands(Provider):
    """Every action of the app by name."""

    def _available(self) -> list[tuple[str, str, str]]:
        """(title, help with the key, action) of the commands available now."""
        app = cast("SMEApp", self.app)
        shown = COMMANDS if app.workbench is not None else COMMANDS[:3]
        return [(title, f"{help_text} · {key}", action)
                for title, help_text, action, key in shown]

    def _run(self, action: str) -> None:
        self.app.call_later(self.app.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in self._available():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._available():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action),
                          text=title, help=help_text)
