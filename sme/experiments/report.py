"""Predicted against observed: per condition, whether the episodes are consistent with the
prediction, the observed phase beside it, the confusion matrix, and the two phase diagrams
side by side.

A condition's **prediction** is SME's analysis of its values (phase, ``R``, equilibria;
:func:`.consistency.predict`); its episodes are judged against it one by one
(:mod:`.consistency`), and the condition **agrees** when they are consistent with it.  Its
**observed** phase (:func:`.observed.observed_phase`) is a description of the episodes, shown
for reference: a multistable prediction allows every episode to settle on the same safe
resting point.  A condition lies **on a phase boundary** when the predicted phase changes
within ``margin`` (a share of each swept parameter's range across the conditions) of it;
agreement away from boundaries is reported separately, since near a boundary a finite
experiment cannot be expected to resolve the prediction.  A condition outside the scenario's
constraints (``catch_lo > catch_hi``) is **invalid**: it is not run, has no prediction, and
is counted apart.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sme.analysis import Settings, summarise_batch
from sme.engine.phases import Phase
from sme.experiments.consistency import (
    RULE,
    Consistency,
    Prediction,
    judge_condition,
    predict,
)
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
#: how a condition outside the scenario's constraints is written (as `sme phase-diagram` does)
INVALID = "invalid"


@dataclass
class ConditionResult:
    """One model at one condition: judged, or invalid (outside the constraints)."""

    model: str
    condition: dict[str, Any]
    prediction: Prediction | None  # None when invalid
    observed: ObservedPhase | None  # None when invalid
    consistency: Consistency | None  # None when invalid
    on_boundary: bool | None  # None when nothing was swept, or invalid
    invalid: list[str] = field(default_factory=list)  # the constraints it violates
    episodes: int = 0  # episodes read (an invalid condition's are not judged)

    @property
    def predicted(self) -> Phase | None:
        return self.prediction.phase if self.prediction is not None else None

    @property
    def agrees(self) -> bool | None:
        """Whether the episodes are consistent with the prediction; ``None`` when invalid."""
        return self.consistency.agrees if self.consistency is not None else None

    def to_json(self) -> dict[str, Any]:
        if self.invalid:
            return {"model": self.model, "condition": self.condition, "predicted": INVALID,
                    "violates": self.invalid, "episodes": self.episodes, "agrees": None,
                    "on_boundary": None}
        assert self.prediction is not None and self.observed is not None
        assert self.consistency is not None
        return {"model": self.model, "condition": self.condition,
                "predicted": self.prediction.phase.value,
                "prediction": self.prediction.to_json(), "observed": self.observed.to_json(),
                "consistency": self.consistency.to_json(), "agrees": self.agrees,
                "on_boundary": self.on_boundary}


def compare(scenario: Scenario, experiment: Experiment, fixed: Mapping[str, Any],
            settings: Settings, late: float = 0.5, tolerance: float = 0.1,
            margin: float = 0.05, confidence: float = 0.95) -> list[ConditionResult]:
    """Prediction, consistency and observed phase of every (model, condition) in the
    experiment, and the conditions it lists as invalid (not run)."""
    names, safe = scenario.action_names, [a.name for a in scenario.actions if a.safe]
    groups: dict[tuple[str, str], list[Any]] = {}
    for episode in experiment.episodes:
        groups.setdefault(episode.key, []).append(episode)
    skipped = {(model, condition_key(c)): c for model, c in experiment.invalid}
    shown = [episodes[0].condition for episodes in groups.values()] + list(skipped.values())
    named = {k: None for c in shown for k in {**fixed, **c}}
    conditions = {}  # every condition with the same keys: a value missing in one is its default
    for key, condition in [*((k, e[0].condition) for k, e in groups.items()),
                           *skipped.items()]:
        values = scenario.values({**fixed, **condition})
        conditions[key] = {k: values[k] for k in named}
    violated = {key: scenario.violated(scenario.values(c)) for key, c in conditions.items()}
    valid = [key for key in groups if not violated[key]]
    distinct = list({condition_key(conditions[k]): conditions[k] for k in valid}.values())
    predicted: dict[str, Prediction] = {}
    boundary: dict[str, bool | None] = {}
    if distinct:
        predicted = dict(zip((condition_key(c) for c in distinct),
                             predict(scenario, distinct, settings), strict=True))
        boundary = _boundaries(scenario, distinct,
                               {k: p.phase for k, p in predicted.items()}, settings, margin)
    results = []
    for key, episodes in groups.items():
        condition = conditions[key]
        if violated[key]:
            results.append(ConditionResult(key[0], condition, None, None, None, None,
                                           violated[key], len(episodes)))
            continue
        rounds = sum(len(e.actions) for e in episodes)
        behaviours = [episode_behaviour(e.actions, names, safe, late) for e in episodes]
        seen = observed_phase(behaviours, names, rounds, tolerance)
        ckey = condition_key(condition)
        prediction = predicted[ckey]
        consistency = judge_condition(behaviours, prediction, tolerance, confidence)
        results.append(ConditionResult(key[0], condition, prediction, seen, consistency,
                                       boundary[ckey], [], len(episodes)))
    for key in skipped:
        if key not in groups:
            results.append(ConditionResult(key[0], conditions[key], None, None, None, None,
                                           violated[key] or ["outside the constraints"]))
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
                probe = {**c, name: value}
                if scenario.violated(scenario.values(probe)):
                    continue  # the edge of the constraints is no phase boundary
                probes.append(probe)
                owners.append(condition_key(c))
    phases = summarise_batch(scenario, probes, settings).phases() if probes else []
    out: dict[str, bool | None] = {condition_key(c): False for c in conditions}
    for owner, phase in zip(owners, phases, strict=True):
        if phase != predicted[owner]:
            out[owner] = True
    return out


def agreement(results: Sequence[ConditionResult]) -> dict[str, Any]:
    """Agreement (consistency with the prediction) over the valid conditions and over those
    away from phase boundaries, the invalid conditions counted apart, episodes outside R,
    and the confusion matrix of predicted against observed phases
    ``matrix[predicted][observed]`` (counts; a description, not the agreement)."""
    judged = [r for r in results if not r.invalid]
    away = [r for r in judged if r.on_boundary is False]
    matrix = {p.value: {o: 0 for o in OBSERVED_LABELS} for p in Phase}
    for r in judged:
        assert r.predicted is not None and r.observed is not None
        matrix[r.predicted.value][r.observed.phase] += 1
    agree = sum(bool(r.agrees) for r in judged)
    agree_away = sum(bool(r.agrees) for r in away)
    return {
        "rule": RULE,
        "conditions": len(judged),
        "agree": agree,
        "share": agree / len(judged) if judged else 0.0,
        "away_from_boundaries": len(away),
        "agree_away": agree_away,
        "share_away": agree_away / len(away) if away else None,
        "invalid": len(results) - len(judged),
        "episodes_outside_R": sum(r.consistency.outside for r in judged
                                  if r.consistency is not None),
        "confusion": matrix,
    }


def to_json(results: Sequence[ConditionResult], experiment: Experiment) -> str:
    return json.dumps({"conditions": [r.to_json() for r in results],
                       "agreement": agreement(results), "failed_episodes": experiment.failed,
                       "sources": experiment.sources}, indent=2)


def render(results: Sequence[ConditionResult], experiment: Experiment, console: Any) -> None:
    """Per condition the prediction, the observed phase and the episodes' resting points,
    then agreement (consistency), the rule in one line, and the confusion matrix."""
    from rich.table import Table

    models = sorted({r.model for r in results})
    axes = swept([r.condition for r in results])
    title = "predicted vs observed" + (f": {models[0]}" if len(models) == 1 else "")
    table = Table(title=title)
    columns = (["model"] if len(models) > 1 else []) + [
        "condition", "predicted", "observed", "episodes s/u/m", "resting points",
        "outside R", "switching", "unreadable", "agrees"]
    for column in columns:
        table.add_column(column)
    for r in results:
        shown = {k: v for k, v in r.condition.items() if k in axes} if axes else r.condition
        condition = ", ".join(f"{k}={_fmt(v)}" for k, v in shown.items()) or "(defaults)"
        lead = [r.model] if len(models) > 1 else []
        if r.invalid:
            table.add_row(*lead, condition, INVALID, "-", "-", "violates " +
                          "; ".join(r.invalid), "-", "-", "-", "not run")
            continue
        o, c = r.observed, r.consistency
        assert o is not None and c is not None and r.predicted is not None
        resting = ", ".join(f"{a}:{k}" for a, k in c.resting.items()) or "-"
        mark = ("yes" if r.agrees else "no") + (" (boundary)" if r.on_boundary else "")
        patterns = "/".join(str(o.patterns[p]) for p in ("safe", "unsafe", "mixed"))
        table.add_row(*lead, condition, _coloured(r.predicted.value), _coloured(o.phase),
                      patterns, resting, f"{c.outside}/{c.judged}",
                      f"{o.switching_rate:.2f}", f"{o.unreadable}/{o.rounds}", mark)
    console.print(table)
    summary = agreement(results)
    line = (f"agreement: {summary['agree']} of {summary['conditions']} conditions "
            f"({summary['share']:.0%})")
    if summary["invalid"]:
        line += (f"; {summary['invalid']} invalid (outside the scenario's constraints, not "
                 "run) counted apart")
    console.print(line, highlight=False)
    if summary["share_away"] is not None:
        console.print(f"away from phase boundaries: {summary['agree_away']} of "
                      f"{summary['away_from_boundaries']} ({summary['share_away']:.0%})",
                      highlight=False)
    console.print(RULE, highlight=False)
    confusion = Table(title="predicted (rows) and observed (columns) phases")
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
    several models, the first model's conditions): ✗ marks a condition whose episodes are
    not consistent with the prediction, hatched white cells the invalid conditions (outside
    the scenario's constraints, not run), and the rule of agreement is written beneath."""
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    from sme.figures.plots import _check, _figure, _save
    from sme.runtime.errors import SMEError

    _check(path)
    model = results[0].model
    mine = [r for r in results if r.model == model]
    axes = swept([r.condition for r in mine])
    if len(axes) > 2:
        raise SMEError(f"{path}: the conditions sweep {len(axes)} parameters "
                       f"({', '.join(axes)}); a figure shows at most two")
    x = sorted({r.condition[axes[0]] for r in mine}, key=_order) if axes else [None]
    y = sorted({r.condition[axes[1]] for r in mine}, key=_order) if len(axes) == 2 else [None]

    def cell(r: ConditionResult) -> tuple[int, int]:
        i = x.index(r.condition[axes[0]]) if axes else 0
        j = y.index(r.condition[axes[1]]) if len(axes) == 2 else 0
        return i, j

    labels = [p.value for p in Phase] + [UNDETERMINED]
    colours = [p.colour for p in Phase] + [UNDETERMINED_COLOUR]
    blank = float("nan")
    grids = {"predicted": [[blank] * len(x) for _ in y],
             "observed": [[blank] * len(x) for _ in y]}
    for r in mine:
        if r.invalid:
            continue
        assert r.predicted is not None and r.observed is not None
        i, j = cell(r)
        grids["predicted"][j][i] = labels.index(r.predicted.value)
        grids["observed"][j][i] = labels.index(r.observed.phase)
    fig = _figure(10.0, 4.8)
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
        for r in mine:
            if r.invalid:
                i, j = cell(r)
                panel.add_patch(Rectangle((i - 0.5, j - 0.5), 1.0, 1.0, facecolor="white",
                                          edgecolor="black", hatch="//", linewidth=0.5))
    for r in mine:  # mark the conditions whose episodes are inconsistent with the prediction
        if r.agrees is False:
            i, j = cell(r)
            panels[1].text(i, j, "✗", ha="center", va="center", color="black", fontsize=14)
    if len(axes) == 2:
        panels[0].set_ylabel(axes[1])
    present = {r.predicted.value for r in mine if r.predicted is not None} | \
        {r.observed.phase for r in mine if r.observed is not None}
    handles: list[Any] = [Patch(facecolor=c, edgecolor="black", label=lab)
                          for lab, c in zip(labels, colours, strict=True) if lab in present]
    if any(r.invalid for r in mine):
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//",
                             label=f"{INVALID} (not run)"))
    if any(r.agrees is False for r in mine):
        handles.append(Line2D([], [], linestyle="none", marker="$✗$", color="black",
                              markersize=9, label="inconsistent"))
    fig.legend(handles=handles, loc="center right", frameon=False)
    fig.suptitle(f"{title}: predicted and observed phases")
    fig.text(0.01, 0.01, "\n".join(textwrap.wrap(RULE, 130)), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.08, 0.84, 1))
    _save(fig, path)
