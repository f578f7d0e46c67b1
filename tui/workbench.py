"""What the app is working on: the scenario, the current parameter values and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priors.params import Scalar
from sme.analysis import Analysis, Settings
from sme.scenario.declaration import Scenario


@dataclass
class Workbench:
    """The open scenario and the prior being designed.

    Attributes:
        scenario: the loaded scenario.
        path: the scenario file.
        settings: numerical settings of every analysis.
        values: the current value of every declared parameter (prior, world, reward).
        analysis: the latest analysis of ``values`` (``None`` while none succeeded).
    """

    scenario: Scenario
    path: Path
    settings: Settings
    values: dict[str, Scalar] = field(default_factory=dict)
    analysis: Analysis | None = None

    def __post_init__(self) -> None:
        self.values = self.scenario.values(self.values)

    def validated(self, values: Mapping[str, Any]) -> dict[str, Scalar]:
        """The current values updated by ``values`` (raises ``ParamError``)."""
        return self.scenario.values({**self.values, **values})

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
