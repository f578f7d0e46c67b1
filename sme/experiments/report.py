"""Predicted against observed: per condition, the agreement and the confusion matrix, and
the two phase diagrams side by side.

A condition's **predicted** phase is SME's analysis of its values; its **observed** phase
is :func:`.observed.observed_phase` of its episodes.  They **agree** when they are equal,
or when SME predicts ``indeterminate`` and the episodes look ``safe`` (an indeterminate
scenario's resting points are all safe; what is indeterminate is the beliefs, which
behaviour cannot show).  A condition lies **on a phase boundary** when the predicted phase
changes within ``margin`` (a share of each swept parameter's range across the conditions)
of it; agreement away from boundaries is reported separately, since near a boundary a
finite experiment cannot be expected to resolve the phase.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sme.analysis import Settings, summarise_batch
from sme.engine.phases import Phase
from sme.experiments.observed import (
    UNDETERMINED,
    ObservedPhase,
    episode_behaviour,
    observed_phase,
)
from sme.experiments.records import Experiment, condition_key
from sme.scenario.declaration import Scenario

OBSERVED_LABELS = [*(p.value for p in Phase if p is not Phase.INDETERMINATE), UNDETERMINED]
UNDETERMINED_COLOUR = "#9e9e9e"


@dataclass
class ConditionResult:
    """One model at one condition."""

    model: str
    condition: dict[str, Any]
    predicted: Phase
    observed: ObservedPhase
    on_boundary: bool | None  # None when nothing was swept

    @property
    def agrees(self) -> bool:
        return agrees(self.predicted, self.observed.phase)

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "condition": self.condition,
                "predicted": self.predicted.value, "observed": self.observed.to_json(),
                "agrees": self.agrees, "on_boundary": self.on_boundary}


def agrees(predicted: Phase, observed: str) -> bool:
    """Whether an observed phase is what the prediction says behaviour should look like."""
    if predicted is Phase.INDETERMINATE:
        return observed in (Phase.SAFE.value, Phase.INDETERMINATE.value)
    return observed == predicted.value


def compare(scenario: Scenario, experiment: Experiment, fixed: Mapping[str, Any],
            settings: Settings, late: float = 0.5, tolerance: float = 0.1,
            margin: float = 0.05) -> list[ConditionResult]:
    """Predicted and observed phase of every (model, condition) in the experiment."""
    names, safe = scenario.action_names, [a.name for a in scenario.actions if a.safe]
    groups: dict[tuple[str, str], list[Any]] = {}
    for episode in experiment.episodes:
        groups.setdefault(episode.key, []).append(episode)
    named = {k: None for episodes in groups.values() for k in {**fixed, **episodes[0].condition}}
    conditions = {}  # every condition with the same keys: a value missing in one is its default
    for key, episodes in groups.items():
        values = scenario.values({**fixed, **episodes[0].condition})
        conditions[key] = {k: values[k] for k in named}
    distinct = list({condition_key(c): c for c in conditions.values()}.values())
    predicted = dict(zip((condition_key(c) for c in distinct),
                         summarise_batch(scenario, distinct, settings).phases(), strict=True))
    boundary = _boundaries(scenario, distinct, predicted, settings, margin)
    results = []
    for key, episodes in groups.items():
        condition = conditions[key]
        rounds = sum(len(e.actions) for e in episodes)
        behaviours = [episode_behaviour(e.actions, names, safe, late) for e in episodes]
        seen = observed_phase(behaviours, names, rounds, tolerance)
        ckey = condition_key(condition)
        results.append(ConditionResult(key[0], condition, predicted[ckey], seen,
                                       boundary[ckey]))
    return sorted(results, key=lambda r: (r.model, [(k, _order(v)) for k, v in
                                                    sorted(r.condition.items())]))


def _order(value: Any) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, float(value), ""
    return 1, 0.0, str(value)


def swept(conditions: Sequence[Mapping[str, Any]]) -> list[str]:
    """The parameters whose values differ across the conditions, in first-seen order."""
    names: dict[str, None] = {}
    for c in conditions:
        names.update(dict.fromkeys(c))
    return [n for n in names if len({repr(c.get(n)) for c in conditions}) > 1]


def _boundaries(scenario: Scenario, conditions: list[dict[str, Any]],
                predicted: Mapping[str, Phase], settings: Settings, margin: float
                ) -> dict[str, bool | None]:
    params = scenario.all_params
    axes = [n for n in swept(conditions) if params[n].is_numeric]
    if not axes:
        return {condition_key(c): None for c in conditions}
    spans = {n: max(float(c[n]) for c in conditions) - min(float(c[n]) for c in conditions)
             for n in axes}
    probes: list[dict[str, Any]] = []
    owners: list[str] = []
    for c in conditions:
        for name in axes:
            for sign in (-1.0, 1.0):
                value = float(c[name]) + sign * margin * spans[name]
                param = params[name]
                if param.low is not None:
                    value = max(value, float(param.low))
                if param.high is not None:
                    value = min(value, float(param.high))
                probes.append({**c, name: value})
                owners.append(condition_key(c))
    phases = summarise_batch(scenario, probes, settings).phases()
    out: dict[str, bool | None] = {condition_key(c): False for c in conditions}
    for owner, phase in zip(owners, phases, strict=True):
        if phase != predicted[owner]:
            out[owner] = True
    return out


def agreement(results: Sequence[ConditionResult]) -> dict[str, Any]:
    """Agreement over all conditions and over those away from phase boundaries, and the
    confusion matrix ``matrix[predicted][observed]`` (counts)."""
    away = [r for r in results if r.on_boundary is False]
    matrix = {p.value: {o: 0 for o in OBSERVED_LABELS} for p in Phase}
    for r in results:
        matrix[r.predicted.value][r.observed.phase] += 1
    return {
        "conditions": len(results),
        "agree": sum(r.agrees for r in results),
        "share": sum(r.agrees for r in results) / len(results) if results else 0.0,
        "away_from_boundaries": len(away),
        "agree_away": sum(r.agrees for r in away),
        "share_away": (sum(r.agrees for r in away) / len(away)) if away else None,
        "confusion": matrix,
    }


def to_json(results: Sequence[ConditionResult], experiment: Experiment) -> str:
    return json.dumps({"conditions": [r.to_json() for r in results],
                       "agreement": agreement(results), "failed_episodes": experiment.failed,
                       "sources": experiment.sources}, indent=2)


def render(results: Sequence[ConditionResult], experiment: Experiment, console: Any) -> None:
    """Per condition predicted against observed, then agreement and the confusion matrix."""
    from rich.table import Table

    models = sorted({r.model for r in results})
    axes = swept([r.condition for r in results])
    title = "predicted vs observed" + (f": {models[0]}" if len(models) == 1 else "")
    table = Table(title=title)
    columns = (["model"] if len(models) > 1 else []) + [
        "condition", "predicted", "observed", "95% interval", "episodes s/u/m", "settled",
        "switching", "unreadable", "agrees"]
    for column in columns:
        table.add_column(column)
    for r in results:
        o = r.observed
        shown = {k: v for k, v in r.condition.items() if k in axes} if axes else r.condition
        condition = ", ".join(f"{k}={_fmt(v)}" for k, v in shown.items()) or "(defaults)"
        settled = ", ".join(f"{a}:{k}" for a, k in o.settled.items() if k) or "-"
        mark = ("yes" if r.agrees else "no") + (" (boundary)" if r.on_boundary else "")
        patterns = "/".join(str(o.patterns[p]) for p in ("safe", "unsafe", "mixed"))
        row = ([r.model] if len(models) > 1 else []) + [
            condition, _coloured(r.predicted.value), _coloured(o.phase),
            f"{o.interval[0]:.2f}-{o.interval[1]:.2f}", patterns, settled,
            f"{o.switching_rate:.2f}", f"{o.unreadable}/{o.rounds}", mark]
        table.add_row(*row)
    console.print(table)
    summary = agreement(results)
    console.print(f"agreement: {summary['agree']} of {summary['conditions']} conditions "
                  f"({summary['share']:.0%})", highlight=False)
    if summary["share_away"] is not None:
        console.print(f"away from phase boundaries: {summary['agree_away']} of "
                      f"{summary['away_from_boundaries']} ({summary['share_away']:.0%})",
                      highlight=False)
    confusion = Table(title="confusion (rows: predicted, columns: observed)")
    confusion.add_column("")
    for label in OBSERVED_LABELS:
        confusion.add_column(label, justify="right")
    for predicted, row in summary["confusion"].items():
        if any(row.values()):
            confusion.add_row(predicted, *(str(row[o]) for o in OBSERVED_LABELS))
    console.print(confusion)
    if experiment.failed:
        console.print(f"{experiment.failed} episodes ended in an error (after Inspect's "
                      "retries) and are left out; the eval log says why", highlight=False)


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _coloured(phase: str) -> str:
    colour = Phase(phase).colour if phase in Phase.__members__.values() else \
        UNDETERMINED_COLOUR
    return f"[{colour}]{phase}[/]"


def save_figure(results: Sequence[ConditionResult], path: Path, title: str) -> None:
    """The predicted and the observed diagram side by side (one figure per file; with
    several models, the first model's conditions)."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from sme.figures.plots import _check, _figure, _save
    from sme.runtime.errors import SMEError

    _check(path)
    model = results[0].model
    mine = [r for r in results if r.model == model]
    axes = swept([r.condition for r in mine])
    if len(axes) > 2:
        raise SMEError(f"{path}: the conditions sweep {len(axes)} parameters "
                       f"({', '.join(axes)}); a figure shows at most two")
    x = sorted({r.condition[axes[0]] for r in mine}) if axes else [None]
    y = sorted({r.condition[axes[1]] for r in mine}) if len(axes) == 2 else [None]
    labels = [p.value for p in Phase] + [UNDETERMINED]
    colours = [p.colour for p in Phase] + [UNDETERMINED_COLOUR]
    blank = float("nan")
    grids = {"predicted": [[blank] * len(x) for _ in y],
             "observed": [[blank] * len(x) for _ in y]}
    for r in mine:
        i = x.index(r.condition[axes[0]]) if axes else 0
        j = y.index(r.condition[axes[1]]) if len(axes) == 2 else 0
        grids["predicted"][j][i] = labels.index(r.predicted.value)
        grids["observed"][j][i] = labels.index(r.observed.phase)
    fig = _figure(10.0, 4.4)
    panels = fig.subplots(1, 2, sharey=True)
    cmap = ListedColormap(colours)
    for panel, (side, grid) in zip(panels, grids.items(), strict=True):
        panel.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(labels) - 0.5, origin="lower",
                     aspect="auto", interpolation="nearest")
        panel.set_title(side + (f" ({model})" if side == "observed" else ""))
        panel.set_xticks(range(len(x)), [_fmt(v) if v is not None else "" for v in x],
                         rotation=45)
        panel.set_xlabel(axes[0] if axes else "")
        if len(axes) == 2:
            panel.set_yticks(range(len(y)), [_fmt(v) for v in y])
        else:
            panel.set_yticks([])
    for r in mine:  # mark the conditions where behaviour disagrees with the prediction
        if not r.agrees:
            i = x.index(r.condition[axes[0]]) if axes else 0
            j = y.index(r.condition[axes[1]]) if len(axes) == 2 else 0
            panels[1].text(i, j, "✗", ha="center", va="center", color="black", fontsize=14)
    if len(axes) == 2:
        panels[0].set_ylabel(axes[1])
    present = {r.predicted.value for r in mine} | {r.observed.phase for r in mine}
    handles = [Patch(facecolor=c, edgecolor="black", label=lab)
               for lab, c in zip(labels, colours, strict=True) if lab in present]
    fig.legend(handles=handles, loc="center right", frameon=False)
    fig.suptitle(f"{title}: predicted and observed phases")
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    _save(fig, path)
