"""What the app is working on: the scenario, the current parameter values and settings."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priors.params import Scalar
from sme.analysis import Analysis, Settings
from sme.scenario.declaration import Scenario

#: value changes that can be undone
UNDO_LIMIT = 200
#: nudges of one parameter closer than this (seconds) are one step of undo
GROUP_SECONDS = 1.5


@dataclass
class Workbench:
    """The open scenario and the prior being designed.

    Attributes:
        scenario: the loaded scenario.
        path: the scenario file.
        settings: numerical settings of every analysis.
        values: the current value of every declared parameter (prior, world, reward).
        analysis: the latest analysis of ``values`` (``None`` while none succeeded).
        undo_stack, redo_stack: earlier (and undone) values with what changed them, most
            recent last; every change of ``values`` goes through :meth:`change`.
    """

    scenario: Scenario
    path: Path
    settings: Settings
    values: dict[str, Scalar] = field(default_factory=dict)
    analysis: Analysis | None = None
    undo_stack: list[tuple[dict[str, Scalar], str]] = field(default_factory=list)
    redo_stack: list[tuple[dict[str, Scalar], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = self.scenario.values(self.values)
        self._group: str | None = None
        self._group_time = 0.0

    def validated(self, values: Mapping[str, Any]) -> dict[str, Scalar]:
        """The current values updated by ``values`` (raises ``ParamError``)."""
        return self.scenario.values({**self.values, **values})

    def change(self, values: Mapping[str, Any], label: str, group: str | None = None) -> bool:
        """Update the values by ``values`` (validated: raises ``ParamError``), remembering the
        previous ones for :meth:`undo`; ``False`` when nothing changed.  Changes of the same
        ``group`` (nudges of one parameter) less than :data:`GROUP_SECONDS` apart are undone
        together."""
        new = self.validated(values)
        if new == self.values:
            return False
        now = time.monotonic()
        joined = (group is not None and self.undo_stack and self._group == group
                  and now - self._group_time < GROUP_SECONDS)
        if joined:
            self.undo_stack[-1] = (self.undo_stack[-1][0], label)
        else:
            self.undo_stack.append((dict(self.values), label))
            del self.undo_stack[:-UNDO_LIMIT]
        self._group, self._group_time = group, now
        self.redo_stack.clear()
        self.values = new
        return True

    def undo(self) -> str | None:
        """Go back to the values before the last change; what it undid (``None``: nothing to
        undo)."""
        if not self.undo_stack:
            return None
        values, label = self.undo_stack.pop()
        self.redo_stack.append((dict(self.values), label))
        self.values = values
        return label

    def redo(self) -> str | None:
        """Make the last undone change again; what it redid (``None``: nothing to redo)."""
        if not self.redo_stack:
            return None
        values, label = self.redo_stack.pop()
        self.undo_stack.append((dict(self.values), label))
        self.values = values
        return label

    @property
    def context(self) -> dict[str, Scalar]:
        """The current world and reward values."""
        _, world, reward = self.scenario.split(self.values)
        return {**world, **reward}

    @property
    def label(self) -> str:
        """``name · file`` for status lines (the file name only, no directories)."""
        return f"{self.scenario.name} · {self.path.name}"

    def current_analysis(self) -> Analysis | None:
        """The latest analysis if it is of the current values."""
        if self.analysis is not None and self.analysis.values == self.values:
            return self.analysis
        return None
