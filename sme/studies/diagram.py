"""Phase diagrams: the phase of every cell of a grid over two parameters.

Any two declared parameters (prior, world or reward) span the plane; the others keep their
defaults or the values given.  The grid is evaluated by :func:`sme.analysis.summarise_batch` in
passes sized to the memory budget, so a 200 × 200 diagram is a few batched passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from priors.compile import ProgramError
from priors.grid import GridError
from priors.params import Param, grid_values
from sme.analysis import Settings, summarise_batch
from sme.engine.phases import Phase
from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Axis:
    """One axis of a diagram: ``count`` values of ``name`` from ``low`` to ``high``."""

    name: str
    low: float
    high: float
    count: int
    log: bool

    def values(self, param: Param) -> list[float]:
        raw = grid_values(param, self.low, self.high, self.count, self.log)
        if param.kind == "int":
            return [float(round(v)) for v in raw]
        return [float(v) for v in raw]

    def to_json(self, values: list[float]) -> dict[str, Any]:
        return {"name": self.name, "values": values, "log": self.log}


def parse_axis(text: str, scenario: Scenario) -> Axis:
    """Parse ``NAME=LO:HI:N`` (optionally ``:log`` or ``:lin``) against the scenario.

    The spacing defaults to the parameter's declared scale.  Raises :class:`SMEError` with a
    one-line message for a malformed spec, an unknown or categorical parameter, or bounds
    outside the declared range.
    """
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise SMEError(f"axis {text!r}: expected NAME=LO:HI:N[:log|:lin]")
    params = scenario.all_params
    if name not in params:
        raise SMEError(f"axis {text!r}: unknown parameter {name!r} "
                       f"(known: {', '.join(params)})")
    param = params[name]
    if param.kind == "categorical":
        raise SMEError(f"axis {text!r}: {name!r} is categorical; sweep a numeric parameter")
    parts = spec.split(":")
    if len(parts) not in (3, 4):
        raise SMEError(f"axis {text!r}: expected NAME=LO:HI:N[:log|:lin]")
    try:
        low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise SMEError(f"axis {text!r}: LO and HI must be numbers and N an integer") from None
    scale = parts[3].strip().lower() if len(parts) == 4 else ("log" if param.log else "lin")
    if scale not in ("log", "lin"):
        raise SMEError(f"axis {text!r}: spacing must be 'log' or 'lin', got {scale!r}")
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise SMEError(f"axis {text!r}: need finite LO < HI")
    if not 2 <= count <= 2000:
        raise SMEError(f"axis {text!r}: N must be between 2 and 2000")
    if scale == "log" and low <= 0:
        raise SMEError(f"axis {text!r}: a log axis needs LO > 0")
    for bound in (low, high):
        try:
            param.validate(bound)
        except ValueError as exc:
            raise SMEError(f"axis {text!r}: {exc}") from None
    return Axis(name, low, high, count, scale == "log")


#: how an invalid cell (outside the scenario's constraints) is written in JSON and counts
INVALID = "invalid"


@dataclass
class PhaseDiagram:
    """``phases[j][i]`` is the phase at ``y.values[j]``, ``x.values[i]``; ``None`` marks an
    invalid cell, one whose configuration violates a constraint of the scenario."""

    scenario: Scenario
    x: Axis
    y: Axis
    x_values: list[float]
    y_values: list[float]
    phases: list[list[Phase | None]]
    fixed: dict[str, Any]
    baseline: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "x": self.x.to_json(self.x_values),
            "y": self.y.to_json(self.y_values),
            "phases": [[INVALID if p is None else p.value for p in row]
                       for row in self.phases],
            "fixed": self.fixed,
            "baseline": self.baseline or None,
        }

    def baseline_cell(self) -> tuple[int, int] | None:
        """The (row, column) nearest the baseline point when it lies inside the plane."""
        if not self.baseline:
            return None
        bx, by = self.baseline[self.x.name], self.baseline[self.y.name]

        def nearest(values: list[float], v: float, log: bool) -> int | None:
            lo, hi = min(values), max(values)
            if not lo <= v <= hi:
                return None
            key = (lambda t: abs(math.log(t) - math.log(v))) if log and v > 0 else \
                (lambda t: abs(t - v))
            return min(range(len(values)), key=lambda k: key(values[k]))

        i = nearest(self.x_values, bx, self.x.log)
        j = nearest(self.y_values, by, self.y.log)
        return None if i is None or j is None else (j, i)

    def plot(self, path: str | None = None) -> Any:
        """The figure of :func:`sme.figures.plots.diagram_figure` (a matplotlib ``Figure``); also
        written to ``path`` (.png, .svg, .pdf) when given."""
        from sme.figures.plots import diagram_figure, show_or_save

        return show_or_save(diagram_figure(self), path)

    def counts(self) -> dict[str, int]:
        """Cells per phase (and ``invalid``, when some cell violates a constraint)."""
        out = {p.value: 0 for p in Phase}
        for row in self.phases:
            for p in row:
                key = INVALID if p is None else p.value
                out[key] = out.get(key, 0) + 1
        return out


class Cells(Sequence[dict[str, Any]]):
    """The configurations of a diagram's cells, row by row (``y`` outer, ``x`` inner), made
    when asked for: a 2000 × 2000 diagram is evaluated in passes sized to the memory budget
    without holding four million configurations at once."""

    def __init__(self, fixed: Mapping[str, Any], x_name: str, xs: list[float], y_name: str,
                 ys: list[float]) -> None:
        self._fixed, self._x, self._xs, self._y, self._ys = dict(fixed), x_name, xs, y_name, ys

    def __len__(self) -> int:
        return len(self._xs) * len(self._ys)

    def _cell(self, index: int) -> dict[str, Any]:
        row, column = divmod(index, len(self._xs))
        return {**self._fixed, self._x: self._xs[column], self._y: self._ys[row]}

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._cell(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._cell(index % len(self))


def phase_diagram(
    scenario: Scenario,
    x: Axis,
    y: Axis,
    overrides: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> PhaseDiagram:
    """Evaluate the phase over the ``x`` × ``y`` grid (other parameters from ``overrides``
    or their defaults)."""
    if x.name == y.name:
        raise SMEError(f"the two axes sweep the same parameter {x.name!r}")
    settings = settings or Settings()
    fixed = dict(overrides or {})
    fixed.pop(x.name, None)
    fixed.pop(y.name, None)
    params = scenario.all_params
    xs, ys = x.values(params[x.name]), y.values(params[y.name])
    configs = Cells(fixed, x.name, xs, y.name, ys)
    codes: list[Phase | None] = [None] * len(configs)
    if scenario.constraints:  # cells outside the declared constraints stay invalid (None)
        valid: Sequence[int] = [k for k in range(len(configs))
                                if not scenario.violated(scenario.values(configs[k]))]
        chosen: Sequence[dict[str, Any]] = [configs[k] for k in valid]
    else:
        valid, chosen = range(len(configs)), configs
    if chosen:
        try:
            phases = summarise_batch(scenario, chosen, settings, progress).phases()
        except (ProgramError, GridError) as exc:
            raise _cell_error(scenario, chosen, settings, x, y, exc) from exc
        for k, phase in zip(valid, phases, strict=True):
            codes[k] = phase
    grid = [codes[j * len(xs):(j + 1) * len(xs)] for j in range(len(ys))]
    base = scenario.values(overrides or {})
    baseline = {x.name: float(base[x.name]), y.name: float(base[y.name])}
    return PhaseDiagram(scenario, x, y, xs, ys, grid, scenario.values(fixed), baseline)


def _cell_error(scenario: Scenario, configs: Sequence[dict[str, Any]], settings: Settings,
                x: Axis, y: Axis, error: Exception) -> SMEError:
    """The first cell that cannot be analysed, found by bisection, named in one line."""
    rows = list(range(len(configs)))
    message = str(error)
    while len(rows) > 1:
        half = rows[:len(rows) // 2]
        try:
            summarise_batch(scenario, [configs[i] for i in half], settings)
        except (ProgramError, GridError) as exc:
            rows, message = half, str(exc)
            continue
        rows = rows[len(rows) // 2:]
    cell = configs[rows[0]]
    try:
        summarise_batch(scenario, [cell], settings)
    except (ProgramError, GridError) as exc:
        message = str(exc)
    return SMEError(f"cell {x.name}={cell[x.name]:g}, {y.name}={cell[y.name]:g}: {message} "
                    "(choose axis ranges where every cell is a valid configuration, or declare "
                    f"the relation, e.g. Scenario(constraints=['{x.name} < {y.name}']), to "
                    "show such cells as invalid)")
