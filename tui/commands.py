"""Command-palette entries (a Textual command provider) for every action of the app."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import SMEApp

#: (title, help, app action); entries after the first three need an open scenario
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Help", "keys, screens and what the phases mean", "help"),
    ("Open scenario", "pick an example or a recent file, or type a path", "open_scenario"),
    ("Quit", "leave the app", "quit"),
    ("Design the prior", "parameter editor and phase panel", "mode('design')"),
    ("Phase diagram", "the phase over any two parameters", "mode('diagram')"),
    ("Search for safe priors", "run an Optuna study in the background", "mode('search')"),
    ("Simulate learning dynamics", "learners acting on the current prior",
     "mode('simulate')"),
    ("Export current prior", "write it as TOML, JSON or YAML", "export_current"),
    ("Open exported prior", "load a prior file into the editor", "open_prior"),
    ("Reset parameters to defaults", "every parameter to its declared default",
     "in_mode('design', 'defaults')"),
    ("Compute phase diagram", "with the axes in the diagram form",
     "in_mode('diagram', 'compute')"),
    ("Load diagram cell", "the values under the diagram cursor into the editor",
     "in_mode('diagram', 'select_cell')"),
    ("Start search", "with the settings in the search form", "in_mode('search', 'start')"),
    ("Stop search", "after the current batch", "in_mode('search', 'stop')"),
    ("Open study", "show the candidates of an existing study",
     "in_mode('search', 'open_study')"),
    ("Load selected candidate", "into the editor", "in_mode('search', 'load')"),
    ("Export selected candidate", "write it as TOML, JSON or YAML",
     "in_mode('search', 'export_candidate')"),
    ("Run simulation", "with the settings in the simulate form",
     "in_mode('simulate', 'run')"),
)


class SMECommands(Provider):
    """Every action of the app by name."""

    def _available(self) -> list[tuple[str, str, str]]:
        app = cast("SMEApp", self.app)
        return list(COMMANDS if app.workbench is not None else COMMANDS[:3])

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
