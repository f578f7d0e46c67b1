"""Search spaces: Optuna distributions built from a scenario's declared prior parameters.

Every prior parameter becomes one dimension (Optuna's distributions,
https://optuna.readthedocs.io/en/stable/reference/distributions.html):

* ``float`` → ``FloatDistribution(low, high, log=...)``;
* ``int`` → ``IntDistribution(low, high, log=...)``;
* ``categorical`` → ``CategoricalDistribution(choices)``.

The command line can narrow a dimension (``--range NAME=LO:HI[:log|:lin]``, or
``--range NAME=A,B`` for a subset of a categorical's choices) or fix it (``--set NAME=VALUE``).
A numeric parameter declared without both bounds cannot be sampled: unless narrowed, it is
held at its default.

Distances and neighbourhoods are measured in **normalised units**: each numeric parameter is
mapped to ``u ∈ [0, 1]`` over its declared bounds (on a log scale when declared ``log``), so
that a step of 0.1 moves a parameter by a tenth of its declared range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from priors.params import Param, ParamError, Scalar
from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario


@dataclass(frozen=True)
class Dimension:
    """One searched prior parameter.

    Attributes:
        name: the parameter name.
        param: its declaration.
        low, high: the sampled range (numeric kinds); ``log`` samples it geometrically.
        choices: the sampled choices (categorical kind).
        scale: the range that defines normalised units (the declared bounds, or the sampled
            range for a parameter declared without bounds).
    """

    name: str
    param: Param
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Scalar, ...] | None = None
    scale: tuple[float, float] | None = None

    @property
    def kind(self) -> str:
        return self.param.kind

    @property
    def numeric(self) -> bool:
        return self.choices is None

    def distribution(self) -> Any:
        """The Optuna distribution of this dimension."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.choices is not None:
            return CategoricalDistribution(list(self.choices))
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            return IntDistribution(math.ceil(self.low), math.floor(self.high), log=self.log)
        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def _log_scale(self) -> bool:
        assert self.scale is not None
        return self.param.log and self.scale[0] > 0

    def to_unit(self, value: float) -> float:
        """Normalised coordinate of ``value`` (0 at the low end of ``scale``, 1 at the high)."""
        assert self.scale is not None
        lo, hi = self.scale
        if hi <= lo:
            return 0.0
        if self._log_scale():
            return (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return (value - lo) / (hi - lo)

    def from_unit(self, unit: float) -> Scalar:
        """The parameter value at normalised coordinate ``unit`` (clipped to ``[0, 1]``)."""
        assert self.scale is not None
        lo, hi = self.scale
        u = min(1.0, max(0.0, unit))
        if self._log_scale():
            value = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            value = lo + u * (hi - lo)
        value = min(hi, max(lo, value))
        if self.kind == "int":
            return int(min(math.floor(hi), max(math.ceil(lo), round(value))))
        return float(value)


class SearchSpace:
    """The searched dimensions plus the prior parameters held fixed.

    Args:
        dimensions: the searched parameters, in declaration order.
        fixed: prior parameters held at one value (fixed with ``--set`` or unbounded).
        baseline: the scenario's baseline prior (declared defaults, ``--set`` applied).
    """

    def __init__(self, dimensions: Sequence[Dimension], fixed: Mapping[str, Scalar],
                 baseline: Mapping[str, Scalar]) -> None:
        self.dimensions = list(dimensions)
        self.fixed = dict(fixed)
        self.baseline = dict(baseline)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    @property
    def numeric(self) -> list[Dimension]:
        return [d for d in self.dimensions if d.numeric]

    def suggest(self, trial: Any) -> dict[str, Scalar]:
        """Ask ``trial`` (an ``optuna.Trial``) for every dimension; returns the full prior."""
        values: dict[str, Scalar] = {}
        for dim in self.dimensions:
            try:
                if dim.choices is not None:
                    raw = trial.suggest_categorical(dim.name, list(dim.choices))
                elif dim.kind == "int":
                    dist = dim.distribution()
                    raw = trial.suggest_int(dim.name, dist.low, dist.high, log=dim.log)
                else:
                    assert dim.low is not None and dim.high is not None
                    raw = trial.suggest_float(dim.name, dim.low, dim.high, log=dim.log)
            except ValueError as exc:
                raise SMEError(
                    f"--range {dim.name}: incompatible with earlier trials of this study "
                    f"({exc}); use --study NAME for a new study") from None
            values[dim.name] = dim.param.validate(raw)
        return {**self.baseline, **self.fixed, **values}

    def distance(self, prior: Mapping[str, Scalar]) -> float:
        """Root-mean-square normalised distance from the baseline prior, in ``[0, 1]``: each
        numeric dimension contributes ``|u − u₀|``, each categorical one 0 when equal and 1
        otherwise."""
        if not self.dimensions:
            return 0.0
        total = 0.0
        for dim in self.dimensions:
            value, base = prior[dim.name], self.baseline[dim.name]
            if dim.numeric:
                step = dim.to_unit(float(value)) - dim.to_unit(float(base))
                total += min(1.0, abs(step)) ** 2
            else:
                total += 0.0 if value == base else 1.0
        return math.sqrt(total / len(self.dimensions))

    def directions(self, count: int, seed: int) -> np.ndarray:
        """``count`` unit directions in the normalised space of the numeric dimensions:
        the ± axis directions first (while they fit), then seeded random directions."""
        d = len(self.numeric)
        if d == 0 or count <= 0:
            return np.zeros((0, d))
        rows: list[np.ndarray] = []
        for k in range(d):
            for sign in (1.0, -1.0):
                if len(rows) < count:
                    axis = np.zeros(d)
                    axis[k] = sign
                    rows.append(axis)
        rng = np.random.default_rng(seed)
        while len(rows) < count:
            v = rng.standard_normal(d)
            norm = float(np.linalg.norm(v))
            if norm > 1e-12:
                rows.append(v / norm)
        return np.stack(rows)

    def neighbours(self, prior: Mapping[str, Scalar], directions: np.ndarray,
                   radii: Sequence[float]) -> list[dict[str, Scalar]]:
        """Priors at normalised distance ``r`` from ``prior`` along each direction, for each
        radius (direction-major order); clipped to the declared bounds, integers rounded."""
        dims = self.numeric
        if not dims or directions.shape[0] == 0:
            return []
        base = np.array([dim.to_unit(float(prior[dim.name])) for dim in dims])
        out: list[dict[str, Scalar]] = []
        for direction in directions:
            for r in radii:
                point = base + r * direction
                moved = {dim.name: dim.from_unit(float(u)) for dim, u in zip(dims, point,
                                                                                strict=True)}
                out.append({**prior, **moved})
        return out

    def describe(self) -> list[dict[str, Any]]:
        """The space as plain data (shown by ``sme search`` and stored with trials)."""
        rows: list[dict[str, Any]] = []
        for dim in self.dimensions:
            if dim.numeric:
                rows.append({"name": dim.name, "kind": dim.kind, "low": dim.low,
                             "high": dim.high, "log": dim.log})
            else:
                rows.append({"name": dim.name, "kind": dim.kind,
                             "choices": list(dim.choices or ())})
        for name, value in self.fixed.items():
            rows.append({"name": name, "kind": "fixed", "value": value})
        return rows


def build_space(scenario: Scenario, ranges: Sequence[tuple[str, str]],
                fixed: Mapping[str, Any]) -> tuple[SearchSpace, list[str]]:
    """The search space of ``scenario``: its prior parameters, narrowed by ``ranges``
    (``(NAME, "LO:HI[:log|:lin]")`` or ``(NAME, "A,B,...")``) and with ``fixed`` prior values
    held.  Returns the space and warnings (parameters held because they are unbounded).

    Raises:
        SMEError: a range names a non-prior parameter, lies outside the declared bounds or
            is malformed (one line naming the parameter).
    """
    declared = scenario.prior_params
    narrowed: dict[str, str] = {}
    for name, text in ranges:
        if name not in declared:
            if name in scenario.all_params:
                raise SMEError(
                    f"--range {name}: {name!r} is a {scenario.group_of(name)} parameter; only "
                    "prior parameters are searched (use --set to fix it or --robust to require "
                    "safety across a range)")
            known = ", ".join(declared) or "none"
            raise SMEError(f"--range {name}: unknown prior parameter (prior parameters: {known})")
        if name in narrowed:
            raise SMEError(f"--range {name}: given twice")
        if name in fixed:
            raise SMEError(f"--range {name}: also fixed with --set; give one of them")
        narrowed[name] = text
    held: dict[str, Scalar] = {}
    for name, value in fixed.items():
        held[name] = declared[name].validate(value)
    baseline = {name: p.default for name, p in declared.items()}
    dims: list[Dimension] = []
    warnings: list[str] = []
    for name, param in declared.items():
        if name in held:
            continue
        if name in narrowed:
            dims.append(_narrow(param, narrowed[name]))
        elif param.choices is not None:
            dims.append(Dimension(name, param, choices=param.choices))
        elif param.low is None or param.high is None:
            held[name] = param.default
            warnings.append(f"prior parameter {name!r} has no declared bounds and is held at "
                            f"{param.default!r}; search it with --range {name}=LO:HI")
        elif param.low == param.high:
            held[name] = param.default
        else:
            dims.append(Dimension(name, param, low=param.low, high=param.high, log=param.log,
                                  scale=(param.low, param.high)))
    return SearchSpace(dims, held, baseline), warnings


def _narrow(param: Param, text: str) -> Dimension:
    name = param.name
    if param.choices is not None:
        picked: list[Scalar] = []
        for item in text.split(","):
            if not item.strip():
                raise SMEError(f"--range {name}: expected choices A,B,..., got {text!r}")
            try:
                choice = param.validate(item.strip())
            except ParamError as exc:
                raise SMEError(f"--range {name}: {exc}") from None
            if choice not in picked:
                picked.append(choice)
        return Dimension(name, param, choices=tuple(picked))
    parts = text.split(":")
    log = param.log
    if len(parts) == 3 and parts[2] in ("log", "lin"):
        log = parts[2] == "log"
        parts = parts[:2]
    if len(parts) != 2:
        raise SMEError(f"--range {name}: expected LO:HI[:log|:lin], got {text!r}")
    try:
        low, high = (param.validate(p.strip()) for p in parts)
    except ParamError as exc:
        raise SMEError(f"--range {name}: {exc}") from None
    assert isinstance(low, int | float) and isinstance(high, int | float)
    if low >= high:
        raise SMEError(f"--range {name}: LO must be below HI, got {text!r}")
    if log and low <= 0:
        raise SMEError(f"--range {name}: a log range needs LO > 0")
    scale = ((param.low, param.high) if param.low is not None and param.high is not None
             else (float(low), float(high)))
    return Dimension(name, param, low=float(low), high=float(high), log=log,
                     scale=(float(scale[0]), float(scale[1])))
