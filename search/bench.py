"""Search throughput for ``sme bench``: trials per second of a seeded search, end to end.

:func:`measure` runs the ``sme search`` loop (TPE, batches of 8, margin neighbours) on the
default storage — an Optuna journal file — in a temporary directory, and the same loop on an
SQLite file for comparison; it reports trials per second, the share of the time spent in the
batched analysis, and the journal/SQLite ratio.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from search.objectives import Evaluator, ObjectiveSpec
from search.samplers import make_sampler
from search.space import build_space
from search.storage import StorageSpec, default_journal
from search.study import open_study, quiet_optuna, run_trials
from sme.analysis import Settings
from sme.scenario.declaration import Scenario

BATCH = 8


class _TimedEvaluator:
    """Counts the seconds spent in the batched analysis."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self.seconds = 0.0

    def evaluate(self, priors: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.evaluator.evaluate(priors)
        finally:
            self.seconds += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:  # scenario, context: as the wrapped evaluator
        return getattr(self.evaluator, name)


def _rate(scenario: Scenario, settings: Settings, trials: int, storage: StorageSpec
          ) -> tuple[float, float]:
    """Trials per second and the evaluation's share of the time, on ``storage``."""
    objective = ObjectiveSpec()
    space, _ = build_space(scenario, [], {})
    context = {k: v for k, v in scenario.values().items() if scenario.group_of(k) != "prior"}
    evaluator = _TimedEvaluator(Evaluator(scenario, space, context, [], objective, settings))
    evaluator.evaluate([dict(space.baseline)])  # warm-up
    evaluator.seconds = 0.0
    setup = {"scenario_name": scenario.name, "context": context, "robust": [],
             "objective": objective.to_json(), "resolution": {}}
    with quiet_optuna():
        study, _ = open_study(storage.open(), "bench", setup, objective, make_sampler("tpe", 0),
                              storage.label)
        start = time.perf_counter()
        run_trials(study, space, evaluator, objective, target=trials,  # type: ignore[arg-type]
                   batch=BATCH)
        elapsed = time.perf_counter() - start
    return trials / elapsed, evaluator.seconds / elapsed


def measure(scenario: Scenario, settings: Settings, trials: int) -> dict[str, Any]:
    """``trials_per_s`` and ``evaluation_share`` on the default journal storage, and
    ``sqlite_trials_per_s`` and ``journal_vs_sqlite`` for the same loop on SQLite (run with
    an eighth of the trials, 8 to 32)."""
    with tempfile.TemporaryDirectory() as where:
        journal = StorageSpec(str(default_journal(scenario.name, Path(where))))
        rate, share = _rate(scenario, settings, trials, journal)
        sqlite = StorageSpec(f"sqlite:///{Path(where) / 'bench.db'}")
        sqlite_rate, _ = _rate(scenario, settings, max(BATCH, min(trials // 8, 32)), sqlite)
    return {"trials_per_s": rate, "evaluation_share": share, "trials": trials,
            "batch": BATCH, "storage": "journal", "sqlite_trials_per_s": sqlite_rate,
            "journal_vs_sqlite": rate / sqlite_rate}
