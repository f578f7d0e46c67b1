"""Reading a finished (or running) study: ranked candidates and exported documents.

**Ranking.**  Completed trials are ordered: feasible (safe in every context) first; among
feasible trials by Pareto rank — the index of the non-dominated front the trial lies on
(Deb et al., *A fast and elitist multiobjective genetic algorithm: NSGA-II*, IEEE TEC 2002),
computed on the study's objective values and directions — then by the weighted score; among
infeasible ones by violation, then score; ties by trial number.  In a scalar study every
feasible trial has rank 0, so the score decides.  The *best* prior is the first candidate when
it is feasible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from search.study import SETUP_KEY
from sme.files.export import ExportedPrior, risk_record, validate
from sme.runtime.errors import SMEError
from sme.runtime.version import __version__


@dataclass
class Candidate:
    """One completed trial, as ``sme candidates`` shows it."""

    trial: int
    phase: str
    bn_set: list[str]
    params: dict[str, Any]
    objectives: dict[str, Any]
    feasible: bool
    rank: int
    #: the verdict over objective risks (``locked_in``, …; :mod:`sme.scenario.risks`), if swept
    risk_verdict: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``trial``, ``phase``, ``bn_set``, ``params``, ``objectives`` and
        ``objective_risks`` (the verdict, or ``null`` without a sweep)."""
        return {"trial": self.trial, "phase": self.phase, "bn_set": self.bn_set,
                "params": self.params, "objectives": self.objectives,
                "objective_risks": self.risk_verdict}


def pareto_ranks(values: np.ndarray, minimise: np.ndarray) -> np.ndarray:
    """Front index (0 = non-dominated) of each row of ``values`` ``(n, k)``; ``minimise``
    ``(k,)`` says which columns are minimised (others are maximised)."""
    n = values.shape[0]
    ranks = np.zeros(n, dtype=int)
    if n == 0:
        return ranks
    v = np.where(minimise, values, -values)
    v = np.where(np.isnan(v), np.inf, v)
    le = (v[:, None, :] <= v[None, :, :]).all(axis=2)
    lt = (v[:, None, :] < v[None, :, :]).any(axis=2)
    dominates = le & lt  # dominates[i, j]: i dominates j
    remaining = np.ones(n, dtype=bool)
    front = 0
    while remaining.any():
        dominated = (dominates & remaining[:, None]).any(axis=0)
        current = remaining & ~dominated
        ranks[current] = front
        remaining &= ~current
        front += 1
    return ranks


def _score(trial: Any) -> float:
    score = (trial.user_attrs.get("objectives") or {}).get("score")
    return float(score) if isinstance(score, int | float) else float("inf")


def candidates(study: Any) -> list[Candidate]:
    """Every completed trial of ``study``, best first (see the module docstring)."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    trials = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
              if "phase" in t.user_attrs]
    feasible = [t for t in trials if t.user_attrs.get("feasible")]
    ranks: dict[int, int] = {}
    if feasible and len(study.directions) > 1:
        values = np.array([t.values for t in feasible], dtype=float)
        minimise = np.array([d == StudyDirection.MINIMIZE for d in study.directions])
        for t, r in zip(feasible, pareto_ranks(values, minimise), strict=True):
            ranks[t.number] = int(r)

    def key(t: Any) -> tuple[Any, ...]:
        violation = float((t.user_attrs.get("objectives") or {}).get("violation", 1.0))
        if t.user_attrs.get("feasible"):
            return (0, ranks.get(t.number, 0), _score(t), t.number)
        return (1, violation, _score(t), t.number)

    out = []
    for t in sorted(trials, key=key):
        out.append(Candidate(
            trial=t.number, phase=t.user_attrs["phase"], bn_set=list(t.user_attrs["bn_set"]),
            params=dict(t.user_attrs.get("prior") or t.params),
            objectives=dict(t.user_attrs.get("objectives") or {}),
            feasible=bool(t.user_attrs.get("feasible")), rank=ranks.get(t.number, 0),
            risk_verdict=(t.user_attrs.get("objective_risks") or {}).get("verdict")))
    return out


#: study user attribute naming the best safe trial (see :func:`mark_best`)
BEST_KEY = "best_safe_trial"


def mark_best(study: Any, ranked: list[Candidate]) -> None:
    """Record the best safe candidate of ``ranked`` (or ``None``) as the study user attribute
    ``best_safe_trial`` (trial, phase, Berk–Nash set, prior).  optuna-dashboard shows study
    attributes; its own "Best Trials" list is a Pareto front that ignores constraints."""
    best = ranked[0] if ranked and ranked[0].feasible else None
    study.set_user_attr(BEST_KEY, None if best is None else {
        "trial": best.trial, "phase": best.phase, "bn_set": best.bn_set,
        "prior": best.params})


def best_candidate(study: Any) -> Candidate | None:
    """The best feasible candidate, or ``None`` when no trial is feasible."""
    ranked = candidates(study)
    return ranked[0] if ranked and ranked[0].feasible else None


def setup_of(study: Any) -> dict[str, Any]:
    """The setup a study was created with (raises for a study not made by ``sme search``)."""
    setup = study.user_attrs.get(SETUP_KEY)
    if not isinstance(setup, dict):
        raise SMEError(f"study {study.study_name!r} was not created by `sme search`")
    return setup


def export_document(study: Any, number: int, storage_label: str) -> ExportedPrior:
    """The exported-prior document of trial ``number`` of ``study``.

    Raises:
        SMEError: no such trial, or it did not complete (naming its state).
    """
    from optuna.trial import TrialState

    setup = setup_of(study)
    trials = study.get_trials(deepcopy=False)
    if not 0 <= number < len(trials):
        raise SMEError(f"study {study.study_name!r} has no trial {number} "
                       f"(trials 0 to {len(trials) - 1})" if trials else
                       f"study {study.study_name!r} has no trials yet")
    trial = trials[number]
    if trial.state != TrialState.COMPLETE or "phase" not in trial.user_attrs:
        reason = trial.user_attrs.get("error")
        raise SMEError(f"trial {number} of study {study.study_name!r} is {trial.state.name}"
                       + (f": {reason}" if reason else "") + "; export a completed trial")
    attrs = trial.user_attrs
    objectives = dict(attrs.get("objectives") or {})
    equilibria = attrs.get("equilibria") or {}
    scenario = setup.get("scenario") or {}
    per_dimension = (setup.get("resolution") or {}).get("per_dimension")
    data = {
        "schema_version": 1,
        "scenario": {"name": scenario.get("name") or setup.get("scenario_name"),
                     "path": scenario.get("path") or "",
                     "sha256": scenario.get("sha256") or ""},
        "parameters": {"prior": dict(attrs.get("prior") or {}),
                       "world": dict((setup.get("context") or {}).get("world") or {}),
                       "reward": dict((setup.get("context") or {}).get("reward") or {})},
        "result": {"phase": attrs["phase"], "bn_set": list(attrs.get("bn_set") or []),
                   "safe_actions": list(setup.get("safe_actions") or []),
                   "pure_equilibria": list(equilibria.get("pure") or []),
                   "mixed_equilibria": [
                       {"mixture": dict(m["mixture"]),
                        **({"interval": list(m["interval"])} if m.get("interval") else {})}
                       for m in equilibria.get("mixed") or []],
                   **({"objective_risks": risk_record(attrs["objective_risks"])}
                      if attrs.get("objective_risks") else {})},
        "objectives": {
            "feasible": bool(attrs.get("feasible")),
            "violation": float(objectives.get("violation", 0.0)),
            "fidelity": objectives.get("fidelity"),
            "distance": float(objectives.get("distance", 0.0)),
            "margin": objectives.get("margin"),
            "score": objectives.get("score"),
            "robust": list(setup.get("robust") or []),
        },
        "provenance": {
            "tool": "sme", "tool_version": __version__,
            "created": datetime.now(UTC).replace(microsecond=0),
            "study": study.study_name, "trial": number, "storage": storage_label,
            "points": int((setup.get("resolution") or {}).get("points", 401)),
            "mc_samples": int((setup.get("resolution") or {}).get("mc_samples", 2048)),
            "tail": float((setup.get("resolution") or {}).get("tail", 1e-4)),
            **({"per_dimension": list(per_dimension)} if per_dimension else {}),
        },
    }
    return validate(data, f"trial {number}")


def open_study(scenario_path: str | None, study: str | None, storage: str | None
               ) -> tuple[Any, Any]:
    """The existing study named by the command line, and its :class:`StorageSpec`.

    The study name is ``study`` or the scenario's name; the storage is ``storage``, the
    scenario's default journal file, or (with neither) the ``*.sme-journal`` file of the
    working directory that holds the study.

    Raises:
        SMEError: nothing names the study, or it does not exist (listing those that do).
    """
    from pathlib import Path

    import optuna

    from search.storage import StorageSpec, find_journal, resolve_storage
    from sme.scenario.declaration import load_scenario

    scenario_name = load_scenario(scenario_path).name if scenario_path else None
    name = study or scenario_name
    if name is None:
        raise SMEError("name the study: pass the scenario file or --study NAME")
    if storage:
        spec = StorageSpec(storage)
    elif scenario_name is not None:
        spec = resolve_storage(None, scenario_name)
    else:
        spec = find_journal(name)
    if spec.is_journal_file and Path(spec.raw).is_dir():
        raise SMEError(f"storage {spec.raw}: is a directory; expected a journal file or a "
                       "storage URL")
    if spec.is_journal_file and not Path(spec.raw).is_file():
        raise SMEError(f"no study file {spec.raw}; run `sme search` first or pass --storage")
    backend = spec.open(create=False)
    try:
        loaded = optuna.load_study(study_name=name, storage=backend)
    except KeyError:
        names = optuna.get_all_study_names(backend)
        known = ", ".join(names) or "none"
        raise SMEError(f"no study {name!r} in {spec.label} (studies there: {known})") from None
    return loaded, spec
