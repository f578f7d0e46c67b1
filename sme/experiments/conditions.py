"""The conditions of an experiment: one configuration of values, or a grid of two.

A condition is a mapping of parameter overrides; the full values (defaults filled in) are
what an episode is told and what the prediction is computed for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sme.runtime.errors import SMEError
from sme.scenario.declaration import Scenario
from sme.studies.diagram import parse_axis


def grid_conditions(scenario: Scenario, fixed: Mapping[str, Any], x: str | None,
                    y: str | None) -> list[dict[str, Any]]:
    """The conditions of ``--x NAME=LO:HI:N`` (and ``--y``), rows over ``y``, columns over
    ``x``, each on top of ``fixed``; ``[fixed]`` without axes."""
    scenario.values(fixed)  # validate before anything runs
    if x is None and y is None:
        return [dict(fixed)]
    if x is None:
        raise SMEError("--y needs --x (give --x alone for one axis)")
    axes = [parse_axis(x, scenario)] + ([parse_axis(y, scenario)] if y is not None else [])
    if len(axes) == 2 and axes[0].name == axes[1].name:
        raise SMEError(f"--x and --y sweep the same parameter {axes[0].name!r}")
    params = scenario.all_params
    columns = axes[0].values(params[axes[0].name])
    rows = axes[1].values(params[axes[1].name]) if len(axes) == 2 else [None]
    out = []
    for row in rows:
        for column in columns:
            condition = {**fixed, axes[0].name: column}
            if row is not None:
                condition[axes[1].name] = row
            out.append(condition)
    return out


def json_values(scenario: Scenario, condition: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter's value for ``condition``, as JSON-safe Python scalars."""
    return {k: (v if isinstance(v, str | bool | int) else float(v))
            for k, v in scenario.values(condition).items()}


def split_conditions(scenario: Scenario, conditions: list[dict[str, Any]]
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The conditions inside the scenario's constraints, and those that break one."""
    valid, broken = [], []
    for condition in conditions:
        (broken if scenario.violated(scenario.values(condition)) else valid).append(condition)
    return valid, broken
