"""Objective risks: the grid over a scenario's world parameters, and the verdict of a sweep.

The world parameters (true approval rates, detection probabilities, …) are the *objective
risks* of Xu et al., *Epistemic Traps* (arXiv 2602.17676).  Sweeping every numeric world
parameter over its declared range (a product grid of ``grid`` values each, categorical ones
over all their choices), with the prior and reward fixed, gives the research's verdicts:

====================================  =================================================
verdict                               rule (every cell of the sweep)
====================================  =================================================
``locked_in``                         ``misaligned`` at every objective risk: the prior
                                      alone decides (Theorem 5.2's structurally
                                      overconfident agent, a "locked-in" equilibrium)
``indeterminate_robust``              ``indeterminate`` at every objective risk
                                      (epistemic indeterminacy robust to objective risks)
``safe_for_every_risk``               ``safe`` at every objective risk
``risk_dependent``                    the phase depends on the objective risks
``no_objective_risks``                the scenario declares no world parameter with a
                                      range, so there is nothing to sweep
====================================  =================================================

The sweep is exact on its grid only: it certifies the grid's cells, and a phase change
between neighbouring cells is visible as ``risk_dependent`` only when some cell lands on
each side of it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from priors.params import Param, grid_values
from sme.engine.phases import Phase
from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario

#: default values per swept world parameter (25 configurations for two parameters)
DEFAULT_RISK_GRID = 5
#: the largest sweep analysed without a smaller --risk-grid
MAX_RISK_CELLS = 4096

VERDICTS: dict[str, str] = {
    "locked_in": "locked-in: misaligned at every objective risk (the prior alone decides)",
    "indeterminate_robust": "epistemic indeterminacy robust to objective risks",
    "safe_for_every_risk": "safe for every objective risk",
    "risk_dependent": "the phase depends on the objective risks",
    "no_objective_risks": "no objective risks declared (no world parameter with a range)",
}

_UNIFORM_VERDICT = {Phase.MISALIGNED: "locked_in", Phase.INDETERMINATE: "indeterminate_robust",
                    Phase.SAFE: "safe_for_every_risk"}


@dataclass(frozen=True)
class RiskAxis:
    """One swept world parameter and the values it takes."""

    name: str
    values: tuple[Any, ...]

    def to_json(self) -> dict[str, Any]:
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool)
                      for v in self.values)
        if numeric:
            return {"name": self.name, "low": min(self.values), "high": max(self.values),
                    "count": len(self.values)}
        return {"name": self.name, "choices": list(self.values), "count": len(self.values)}


@dataclass
class RiskSweep:
    """The phases of one prior over the grid of objective risks, and the verdict."""

    axes: list[RiskAxis]
    grid: int
    counts: dict[Phase, int] = field(default_factory=dict)
    #: world parameters that could not be swept (no declared range)
    unswept: list[str] = field(default_factory=list)

    @property
    def cells(self) -> int:
        return sum(self.counts.values())

    @property
    def verdict(self) -> str:
        """One of :data:`VERDICTS` (see the module docstring)."""
        if not self.axes:
            return "no_objective_risks"
        seen = [p for p, n in self.counts.items() if n]
        if len(seen) == 1 and seen[0] in _UNIFORM_VERDICT:
            return _UNIFORM_VERDICT[seen[0]]
        return "risk_dependent"

    @property
    def verdict_text(self) -> str:
        return VERDICTS[self.verdict]

    def summary(self) -> str:
        """One line: the verdict and the phases seen, e.g. for the terminal report."""
        if not self.axes:
            return self.verdict_text
        seen = ", ".join(f"{p.value} {n}/{self.cells}" for p, n in self.counts.items() if n)
        swept = ", ".join(f"{a.name}" for a in self.axes)
        return f"{self.verdict_text} ({seen}; swept {swept})"

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "verdict_meaning": self.verdict_text,
            "phases": {p.value: n for p, n in self.counts.items() if n},
            "cells": self.cells,
            "grid": self.grid,
            "parameters": [a.to_json() for a in self.axes],
            "unswept": self.unswept,
        }


def risk_axes(scenario: Scenario, grid: int) -> tuple[list[RiskAxis], list[str]]:
    """The swept axes (numeric world parameters with both bounds: ``grid`` values on their
    declared scale; categorical ones: every choice) and the names that cannot be swept."""
    axes, unswept = [], []
    for name, param in scenario.world_params.items():
        values = _axis_values(param, grid)
        if values is None:
            unswept.append(name)
        elif len(values) > 1:
            axes.append(RiskAxis(name, values))
    return axes, unswept


def _axis_values(param: Param, grid: int) -> tuple[Any, ...] | None:
    if param.choices is not None:
        return tuple(param.choices)
    if param.low is None or param.high is None:
        return None
    if param.low == param.high:
        return (param.validate(param.low),)
    raw = grid_values(param, float(param.low), float(param.high), grid, param.log)
    if param.kind == "int":
        return tuple(sorted({round(v) for v in raw}))
    return tuple(float(v) for v in raw)


def risk_configurations(scenario: Scenario, base: Mapping[str, Any], grid: int
                        ) -> tuple[list[RiskAxis], list[str], list[dict[str, Any]]]:
    """The configurations of the sweep: ``base`` with the world parameters set to each
    cell of the product grid.

    Raises:
        SMEError: the grid has more than :data:`MAX_RISK_CELLS` cells (naming
            ``--risk-grid``).
    """
    axes, unswept = risk_axes(scenario, grid)
    cells = math.prod(len(a.values) for a in axes) if axes else 0
    if cells > MAX_RISK_CELLS:
        raise SMEError(
            f"--risk-grid {grid}: sweeping {len(axes)} world parameters gives {cells} "
            f"configurations (at most {MAX_RISK_CELLS}); choose a smaller --risk-grid")
    names = [a.name for a in axes]
    cells_seen = list(itertools.product(*(a.values for a in axes))) if axes else []
    baseline = tuple(base.get(n) for n in names)
    if axes and all(v is not None for v in baseline) and baseline not in cells_seen:
        cells_seen.append(baseline)  # the point analysed is an objective risk too
    configs = [{**base, **dict(zip(names, cell, strict=True))} for cell in cells_seen]
    return axes, unswept, configs
