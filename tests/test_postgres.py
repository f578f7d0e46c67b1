"""Many workers on one PostgreSQL study: nothing lost, nothing numbered twice, no password shown.

Needs a PostgreSQL server: set ``SME_TEST_POSTGRES_URL`` to
``postgresql://USER:PASSWORD@HOST:PORT/DB`` (``.ci/run`` installs and starts one on loopback
and sets it).  Without it these tests are skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import optuna
import pytest
from optuna.trial import TrialState

from search.storage import StorageSpec, retry_callback, secrets_of
from search.study import Heartbeat, ask_trial, fail_stale_trials

URL = os.environ.get("SME_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(
    not URL, reason="SME_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server "
    "and sets it)")

ROOT = Path(__file__).resolve().parent.parent
SYCOPHANCY = str(ROOT / "examples" / "sycophancy.py")
FAST = ["--points", "101", "--margin-directions", "4", "--threads", "1"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
TRIALS = 24
WORKERS = 4
# Four workers interleave unseeded, so which priors get sampled varies from run to run.  The
# sycophancy prior is safe exactly when hi < 0.5; narrowing hi to the safe side makes every
# trial feasible, so the export (and the check that it carries no password) always happens.
SAFE_RANGE = ["--range", "hi=0.45:0.49"]


@pytest.fixture
def study_name() -> Iterator[str]:
    """A study name of its own (the database outlives the test); deleted afterwards."""
    name = f"sme-test-{uuid.uuid4().hex[:12]}"
    yield name
    storage = StorageSpec(URL).open()
    if name in optuna.get_all_study_names(storage):
        optuna.delete_study(study_name=name, storage=storage)


def _password() -> str:
    password = urlsplit(URL).password
    assert password, "SME_TEST_POSTGRES_URL must carry a password for this test"
    return password


def _assert_hidden(text: str, where: str) -> None:
    for secret in secrets_of(URL):
        assert secret not in text, f"the password appears in {where}"


def test_four_workers_lose_and_duplicate_nothing(study_name: str, tmp_path: Path) -> None:
    _password()
    run = subprocess.run(
        [sys.executable, "-m", "sme", "search", SYCOPHANCY, "--storage", URL, "--study",
         study_name, "--workers", str(WORKERS), "--trials", str(TRIALS), "--batch", "3",
         *FAST, *SAFE_RANGE, "--export", "best.toml", "--json"],
        cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=240)
    _assert_hidden(run.stdout, "stdout")
    _assert_hidden(run.stderr, "stderr")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["storage"] == StorageSpec(URL).label and "***" in summary["storage"]

    study = optuna.load_study(study_name=study_name, storage=StorageSpec(URL).open())
    trials = study.get_trials(deepcopy=False)
    # none lost, none numbered twice: numbers 0..N-1, one id each, N trials in all
    assert sorted(t.number for t in trials) == list(range(TRIALS))
    assert len({t._trial_id for t in trials}) == TRIALS
    # every trial finished: complete, or failed with the engine's reason
    unfinished = [t.number for t in trials if not (
        t.state == TrialState.COMPLETE
        or (t.state == TrialState.FAIL and "error" in t.user_attrs))]
    assert not unfinished
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert summary["trials"] == len(complete)
    # each trial asked its own prior (no batch evaluated twice)
    priors = [json.dumps(t.params, sort_keys=True) for t in trials]
    assert len(set(priors)) == TRIALS
    # the work was shared by the four workers, none of them the parent
    pids = {t.user_attrs["worker"]["pid"] for t in trials}
    assert len(pids) == WORKERS and os.getpid() not in pids

    # the password is in no attribute and no exported file
    _assert_hidden(json.dumps([t.user_attrs for t in trials], default=str), "user attributes")
    _assert_hidden(json.dumps([t.system_attrs for t in trials], default=str),
                   "system attributes")
    _assert_hidden(json.dumps(study.user_attrs, default=str), "study attributes")
    assert summary["best_trial"] is not None and summary["feasible"] == len(complete)
    exported = (tmp_path / "best.toml").read_text()
    _assert_hidden(exported, "the exported file")
    assert StorageSpec(URL).label in exported


def test_a_dead_workers_trial_is_failed_by_heartbeat_and_retried(study_name: str) -> None:
    """A trial whose worker (on another machine: no process to look for) stopped beating is
    failed after the grace period and enqueued again with the same parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            StorageSpec(URL).open().url, heartbeat_interval=1, grace_period=2,
            heartbeat_stale_trial_callback=retry_callback())
    study = optuna.create_study(study_name=study_name, storage=storage)
    trial = ask_trial(study)
    trial.set_user_attr("worker", {"host": "elsewhere.invalid", "pid": 1})
    x = trial.suggest_float("x", 0.0, 1.0)
    with Heartbeat(study) as heartbeat:
        heartbeat.add(trial)
        time.sleep(2.5)  # alive: beating
        assert fail_stale_trials(study) == 0
    time.sleep(3)  # the worker "died": no beat for longer than the grace period
    assert fail_stale_trials(study) == 1
    assert study.trials[0].state == TrialState.FAIL
    retry = ask_trial(study)  # the retry is asked first, with the same parameters
    assert retry.number == 1 and retry.suggest_float("x", 0.0, 1.0) == x
    frozen = study.trials[1]
    assert frozen.system_attrs["failed_trial"] == 0 and "worker" not in frozen.user_attrs
