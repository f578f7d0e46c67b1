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
from collections.abc import Mapping, Sequence
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
    #: every analysed cell: the swept parameters' values (in the order of ``axes``) and the
    #: phase there; the last may be the analysed point itself, off the grid
    by_cell: list[tuple[tuple[Any, ...], Phase]] = field(default_factory=list)

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

    def regions(self) -> dict[Phase, str]:
        """Where each phase holds on the grid, in words, for every phase seen when more than
        one is (see :func:`describe_region`)."""
        seen = [p for p, n in self.counts.items() if n]
        if len(seen) < 2:
            return {}
        on_grid = [(values, phase) for values, phase in self.by_cell
                   if all(v in axis.values for v, axis in zip(values, self.axes, strict=True))]
        return {phase: describe_region(self.axes, [v for v, p in on_grid if p is phase])
                for phase in seen if any(p is phase for _, p in on_grid)}

    def summary(self) -> str:
        """One line: the verdict, the phases seen and where each holds, for the report."""
        if not self.axes:
            return self.verdict_text
        seen = ", ".join(f"{p.value} {n}/{self.cells}" for p, n in self.counts.items() if n)
        swept = ", ".join(f"{a.name}" for a in self.axes)
        where = "; ".join(f"{p.value} {text}" for p, text in self.regions().items())
        return f"{self.verdict_text} ({seen}; swept {swept})" + (f": {where}" if where else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "verdict_meaning": self.verdict_text,
            "phases": {p.value: n for p, n in self.counts.items() if n},
            "cells": self.cells,
            "grid": self.grid,
            "parameters": [a.to_json() for a in self.axes],
            "swept": [a.name for a in self.axes],
            "unswept": self.unswept,
            "regions": {p.value: text for p, text in self.regions().items()},
            "by_cell": [{"values": dict(zip((a.name for a in self.axes), values, strict=True)),
                         "phase": phase.value} for values, phase in self.by_cell],
        }


def _value_text(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def describe_region(axes: list[RiskAxis], cells: list[tuple[Any, ...]]) -> str:
    """``cells`` (values on the grid of ``axes``) in words: per axis the values they take —
    every value (the axis is left out), one value (``= v``), a run at an end of the axis
    (``≤ v``, ``≥ v``), a run inside it (``in [a, b]``) or a list (``∈ {a, b}``) — joined by
    "and".  When the cells are not the whole product of those values the text says how many
    of that box's cells they are, so it never claims more than was seen."""
    if not cells:
        return "nowhere"
    parts = []
    box = 1
    for k, axis in enumerate(axes):
        taken = sorted({c[k] for c in cells}, key=axis.values.index)
        box *= len(taken)
        if len(taken) == len(axis.values):
            continue
        index = [axis.values.index(v) for v in taken]
        run = index == list(range(index[0], index[-1] + 1))
        if len(taken) == 1:
            parts.append(f"{axis.name} = {_value_text(taken[0])}")
        elif run and index[0] == 0 and len(axis.values) > 2 and _ordered(axis):
            parts.append(f"{axis.name} ≤ {_value_text(taken[-1])}")
        elif run and index[-1] == len(axis.values) - 1 and _ordered(axis):
            parts.append(f"{axis.name} ≥ {_value_text(taken[0])}")
        elif run and _ordered(axis):
            parts.append(f"{axis.name} in [{_value_text(taken[0])}, "
                         f"{_value_text(taken[-1])}]")
        else:
            parts.append(f"{axis.name} ∈ {{{', '.join(_value_text(v) for v in taken)}}}")
    text = "where " + " and ".join(parts) if parts else "everywhere on the grid"
    if len(set(cells)) < box:
        text += f" ({len(set(cells))} of those {box} cells)"
    return text


def _ordered(axis: RiskAxis) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in axis.values)


def risk_axes(scenario: Scenario, grid: int, params: Sequence[str] | None = None
              ) -> tuple[list[RiskAxis], list[str]]:
    """The swept axes (numeric parameters with both bounds: ``grid`` values on their
    declared scale; categorical ones: every choice) and the names that cannot be swept.

    ``params`` names the world and reward parameters to sweep (``--risk-params``); by
    default every world parameter is, and those without a range are listed as unswept.

    Raises:
        SMEError: a name in ``params`` is unknown, a prior parameter, or has no range.
    """
    if params is None:
        chosen = dict(scenario.world_params)
    else:
        chosen = {}
        for name in params:
            group = scenario.group_of(name) if name in scenario.all_params else None
            if group not in ("world", "reward"):
                what = "a prior parameter" if group == "prior" else "not a declared parameter"
                raise SMEError(f"--risk-params: {name!r} is {what}; objective risks are world "
                               "and reward parameters")
            chosen[name] = scenario.all_params[name]
    axes, unswept = [], []
    for name, param in chosen.items():
        values = _axis_values(param, grid)
        if values is None:
            if params is not None:
                raise SMEError(f"--risk-params: {name!r} declares no range (low and high) "
                               "to sweep")
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


def risk_configurations(scenario: Scenario, base: Mapping[str, Any], grid: int,
                        params: Sequence[str] | None = None
                        ) -> tuple[list[RiskAxis], list[str], list[dict[str, Any]]]:
    """The configurations of the sweep: ``base`` with the swept parameters (``params``, by
    default the world parameters; :func:`risk_axes`) set to each cell of the product grid.

    Raises:
        SMEError: the grid has more than :data:`MAX_RISK_CELLS` cells (naming
            ``--risk-grid``).
    """
    axes, unswept = risk_axes(scenario, grid, params)
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
