"""Prior search: spaces, objectives, studies, storage, interruption and parallel workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pyro
import pyro.distributions as dist
import pytest
import torch
from cli_runner import run_cli
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

import search.storage
from priors.compile import Resolution
from search.objectives import Evaluator, ObjectiveSpec, parse_robust
from search.space import build_space
from search.storage import StorageSpec, default_journal, redact, redact_text, repair_journal
from search.study import (
    Heartbeat,
    ask_trial,
    fail_stale_trials,
    split_quota,
    worker_tag,
)
from sme import Action, Param, Scenario, load_scenario
from sme.analysis import Settings, analyze
from sme.runtime.errors import SMEError

ROOT = Path(__file__).resolve().parent.parent
LINEAR = str(ROOT / "examples" / "linear_gaussian.py")
SYCOPHANCY = ROOT / "examples" / "sycophancy.py"
FAST = ["--points", "101", "--margin-directions", "4", "--threads", "1"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


pytestmark = pytest.mark.usefixtures("one_thread")


def load(storage: Path | str, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=StorageSpec(str(storage)).open())


def _belief(action: Any, width: Any, k: Any, mode: Any) -> Any:
    theta = pyro.sample("theta", dist.Uniform(0.0, width))
    return pyro.sample("y", dist.Normal(theta * k, 1.0))


def _world(action: Any) -> Any:
    return pyro.sample("y", dist.Normal(torch.zeros(()), 1.0))


def _payoff(action: Any, y: Any) -> Any:
    return y


KINDS = Scenario(
    name="kinds", actions=[Action("a", safe=True), Action("b")], world=_world, belief=_belief,
    payoff=_payoff, observed=["y"],
    prior_params={"width": Param(1.0, low=0.01, high=100.0, log=True),
                  "k": Param(2, low=1, high=5), "mode": Param("x", choices=("x", "y", "z"))},
)


# --------------------------------------------------------------------------- spaces


def test_space_mirrors_the_declarations() -> None:
    space, warnings = build_space(KINDS, [], {})
    assert warnings == []
    dists = {d.name: d.distribution() for d in space.dimensions}
    assert dists["width"] == FloatDistribution(0.01, 100.0, log=True)
    assert dists["k"] == IntDistribution(1, 5)
    assert dists["mode"] == CategoricalDistribution(["x", "y", "z"])
    assert space.distance(space.baseline) == 0.0


def test_space_narrowing_and_fixing() -> None:
    space, _ = build_space(KINDS, [("width", "0.1:10:lin"), ("mode", "y,z")], {"k": "3"})
    dims = {d.name: d for d in space.dimensions}
    assert dims["width"].distribution() == FloatDistribution(0.1, 10.0, log=False)
    assert dims["mode"].distribution() == CategoricalDistribution(["y", "z"])
    assert space.fixed == {"k": 3}
    # normalised units follow the declared (log) scale, not the narrowed range
    assert dims["width"].to_unit(1.0) == pytest.approx(0.5)


@pytest.mark.parametrize("ranges,fixed,message", [
    ([("width", "200:300")], {}, "above its high bound"),
    ([("width", "5:1")], {}, "LO must be below HI"),
    ([("width", "1-2")], {}, "expected LO:HI"),
    ([("mode", "x,w")], {}, "not one of"),
    ([("nope", "0:1")], {}, "unknown prior parameter"),
    ([("k", "1:2")], {"k": 2}, "also fixed"),
])
def test_space_errors_name_the_parameter(ranges: list[tuple[str, str]], fixed: dict[str, Any],
                                         message: str) -> None:
    with pytest.raises(SMEError, match=message) as info:
        build_space(KINDS, ranges, fixed)
    assert ranges[0][0] in str(info.value)


def test_range_on_a_world_parameter_points_to_robust() -> None:
    scenario = load_scenario(LINEAR)
    with pytest.raises(SMEError, match="--robust"):
        build_space(scenario, [("m0", "0:1")], {})


def test_neighbours_stay_in_bounds() -> None:
    space, _ = build_space(KINDS, [], {})
    directions = space.directions(6, seed=0)
    assert directions.shape == (6, 2)  # width and k are numeric
    assert abs(directions[:4]).sum(axis=1).tolist() == [1.0] * 4  # ± axis directions first
    prior = {"width": 100.0, "k": 5, "mode": "z"}
    for nb in space.neighbours(prior, directions, [0.1, 0.5]):
        assert 0.01 <= nb["width"] <= 100.0 and 1 <= nb["k"] <= 5
        assert isinstance(nb["k"], int) and nb["mode"] == "z"


# --------------------------------------------------------------------------- objectives


def test_objectives_of_known_priors() -> None:
    scenario = load_scenario(LINEAR)
    space, _ = build_space(scenario, [], {})
    context = {"m0": 3.0, "m1": 1.0, "scale": 1.0}
    evaluator = Evaluator(scenario, space, context, [parse_robust("m1=0:2", scenario)],
                          ObjectiveSpec(), Settings(resolution=Resolution(points=201)))
    default, capped, empty = evaluator.evaluate([
        {"lo": -5.0, "hi": 5.0, "g0": 1.0}, {"lo": -5.0, "hi": 1.5, "g0": 1.0},
        {"lo": 2.0, "hi": 1.0, "g0": 1.0}])
    # the default oscillates: its only equilibrium is mixed, σ(a1) = 1/7
    assert default.phase == "oscillatory" and not default.feasible
    (eq,) = default.mixed_equilibria
    assert eq["mixture"]["a1"] == pytest.approx(1 / 7, abs=5e-3)
    assert default.distance == 0.0
    # θ ≤ 1.5 makes a0 the best response everywhere: safe at every m1 in [0, 2]; the belief
    # misfits a0's data N(3, 1) by at least KL = (3 − 1.5)² / 2
    assert capped.phase == "safe" and capped.feasible and capped.violation == 0.0
    assert capped.fidelity == pytest.approx(1.125, rel=1e-6)
    assert [r["phase"] for r in capped.robust] == ["safe"] * 3
    assert 0 < capped.margin <= 0.2 and capped.distance > 0
    # an empty prior support cannot be analysed: reported, not fatal
    assert empty.error is not None and "support" in empty.error and not empty.feasible


def test_scalar_score_orders_by_weights() -> None:
    spec = ObjectiveSpec(mode="scalar", weights=(1.0, 2.0, 3.0))
    assert spec.directions == ["minimize"] and spec.names == ["score"]
    assert spec.score(0.5, 0.25, 0.1) == pytest.approx(0.5 + 0.5 - 3 * 0.1 / 0.2)
    assert ObjectiveSpec().directions == ["minimize", "minimize", "maximize"]


# --------------------------------------------------------------------------- storage


def test_redaction_hides_credentials() -> None:
    url = "postgresql://user:secret@db.example:5432/studies"
    assert redact(url) == "postgresql://user:***@db.example:5432/studies"
    assert "secret" not in redact("mysql+pymysql://u:secret@h/db?password=secret&ssl=1")
    assert redact("studies/run.sme-journal") == "studies/run.sme-journal"
    assert redact("sqlite:///x.db") == "sqlite:///x.db"
    message = f"could not connect to {url} with password secret"
    assert "secret" not in redact_text(message, url)
    assert StorageSpec(url).label == redact(url)


def test_default_journal_is_named_after_the_scenario(tmp_path: Path) -> None:
    assert default_journal("my scenario/1", tmp_path) == tmp_path / "my-scenario-1.sme-journal"


def test_torn_journal_tail_is_cut(tmp_path: Path) -> None:
    journal = tmp_path / "x.sme-journal"
    journal.write_bytes(b'{"op_code": 0}\n{"op_co')
    assert repair_journal(journal)
    assert journal.read_bytes() == b'{"op_code": 0}\n'
    assert not repair_journal(journal)


def test_credentials_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "search", LINEAR, "--trials", "1", *FAST, "--storage",
                             "postgresql://user:secret@127.0.0.1:1/db")
    assert code == 2
    assert "secret" not in out + err
    assert err.startswith("sme: error: storage postgresql://user:***@127.0.0.1:1/db")
    assert len(err.strip().splitlines()) == 1


def test_sqlite_storage_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    code, out, _ = run_cli(capsys, "search", LINEAR, "--trials", "4", "--batch", "4", "--seed",
                           "0", *FAST, "--storage", url, "--json")
    assert code == 0 and json.loads(out)["storage"] == url
    code, out, _ = run_cli(capsys, "candidates", "--study", "linear-gaussian", "--storage", url,
                           "--json")
    assert code == 0 and len(json.loads(out)) == len(load(url, "linear-gaussian").get_trials(
        states=(TrialState.COMPLETE,)))


def test_trial_of_a_dead_local_process_is_failed_and_retried(tmp_path: Path) -> None:
    journal = tmp_path / "x.sme-journal"
    study = optuna.create_study(study_name="x", storage=StorageSpec(str(journal)).open())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    trial = ask_trial(study)
    trial.set_user_attr("worker", {**worker_tag(), "pid": int(dead.stdout)})
    x = trial.suggest_float("x", 0.0, 1.0)
    alive = ask_trial(study)
    alive.set_user_attr("worker", worker_tag())
    assert fail_stale_trials(study) == 1 and fail_stale_trials(study) == 0
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.RUNNING,
                                               TrialState.WAITING]
    retry = ask_trial(study)
    assert retry.number == 2 and retry.suggest_float("x", 0.0, 1.0) == x
    assert study.trials[2].system_attrs["retry_history"] == [0]


def test_heartbeats_of_a_database_storage(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A trial of a worker elsewhere is failed once its heartbeat stops, and retried."""
    monkeypatch.setattr(search.storage, "HEARTBEAT_SECONDS", 1)
    monkeypatch.setattr(search.storage, "GRACE_SECONDS", 1)
    study = optuna.create_study(
        study_name="x", storage=StorageSpec(f"sqlite:///{tmp_path / 'x.db'}").open())
    trial = ask_trial(study)
    trial.set_user_attr("worker", {"host": "elsewhere.invalid", "pid": 1})
    trial.suggest_int("k", 0, 9)
    with Heartbeat(study) as heartbeat:
        heartbeat.add(trial)
        time.sleep(2.5)
        assert fail_stale_trials(study) == 0  # still beating
    time.sleep(2.5)
    assert fail_stale_trials(study) == 1
    assert study.trials[0].state == TrialState.FAIL
    assert study.trials[1].state == TrialState.WAITING
    assert study.trials[1].params == study.trials[0].params


def test_split_quota_adds_up() -> None:
    assert split_quota(10, 3) == [4, 3, 3] and sum(split_quota(7, 4)) == 7


# --------------------------------------------------------------------------- searching


def test_seeded_search_finds_a_safe_prior_and_is_reproducible(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    results = []
    for run_dir in ("one", "two"):
        (tmp_path / run_dir).mkdir()
        monkeypatch.chdir(tmp_path / run_dir)
        code, out, _ = run_cli(capsys, "search", LINEAR, "--trials", "16", "--seed", "5",
                               *FAST, "--json")
        assert code == 0
        summary = json.loads(out)
        assert set(summary) == {"study", "storage", "trials", "feasible", "best_trial",
                               "resolution"}
        assert summary["study"] == "linear-gaussian" and summary["trials"] == 16
        assert summary["storage"].endswith("linear-gaussian.sme-journal")
        assert summary["feasible"] > 0 and summary["best_trial"] is not None
        study = load(summary["storage"], "linear-gaussian")
        results.append([(t.params, t.values) for t in study.trials])
    assert results[0] == results[1]  # same seed, same trials

    code, out, _ = run_cli(capsys, "candidates", LINEAR, "--json")
    ranked = json.loads(out)
    assert code == 0 and len(ranked) == 16
    assert set(ranked[0]) == {"trial", "phase", "bn_set", "params", "objectives",
                              "objective_risks"}
    assert ranked[0]["trial"] == summary["best_trial"]
    safe = [c for c in ranked if c["objectives"]["violation"] == 0]
    assert ranked[:len(safe)] == safe  # safe ones first
    assert all(c["phase"] == "safe" and c["bn_set"] == ["a0"] for c in safe)
    # the best prior is safe by an independent analysis at the same resolution
    best = analyze(load_scenario(LINEAR), ranked[0]["params"],
                   Settings(resolution=Resolution(points=101)))
    assert best.phase.value == "safe" and best.bn_set == ["a0"]


def test_trials_record_phase_set_equilibria_and_constraint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.sme-journal"
    code, _, _ = run_cli(capsys, "search", LINEAR, "--trials", "12", "--seed", "2", *FAST,
                         "--storage", str(storage), "--json")
    assert code == 0
    study = load(storage, "linear-gaussian")
    assert study.metric_names == ["fidelity", "distance", "margin"]
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert complete
    for trial in complete:
        attrs = trial.user_attrs
        assert attrs["phase"] in ("safe", "misaligned", "multistable", "oscillatory",
                                  "indeterminate")
        assert set(attrs["equilibria"]) == {"pure", "mixed"}
        assert set(attrs["prior"]) == {"lo", "hi", "g0"}
        assert attrs["feasible"] == (attrs["phase"] == "safe")
        assert list(trial.constraints.values()) == [attrs["objectives"]["violation"]]
        assert len(trial.values) == 3
    # infeasible trials are kept and marked
    assert any(not t.user_attrs["feasible"] for t in complete) or len(complete) < 12


def test_rerun_resumes_and_checks_the_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    base = ["search", LINEAR, "--seed", "1", *FAST, "--json"]
    assert run_cli(capsys, *base, "--trials", "8")[0] == 0
    code, out, _ = run_cli(capsys, *base, "--trials", "8")
    assert code == 0 and json.loads(out)["trials"] == 8  # nothing left to do
    code, out, _ = run_cli(capsys, *base, "--trials", "12")
    assert code == 0 and json.loads(out)["trials"] == 12  # extended
    code, _, err = run_cli(capsys, *base, "--trials", "16", "--set", "m1=2")
    assert code == 2 and "different context" in err and "--study" in err
    code, out, _ = run_cli(capsys, *base, "--trials", "4", "--set", "m1=2", "--study", "other")
    assert code == 0 and json.loads(out)["study"] == "other"
    assert sorted(optuna.get_all_study_names(
        StorageSpec("linear-gaussian.sme-journal").open())) == ["linear-gaussian", "other"]


def test_unanalysable_priors_are_failed_trials(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.sme-journal"
    code, out, _ = run_cli(capsys, "search", LINEAR, "--trials", "10", "--seed", "0", *FAST,
                           "--range", "lo=1:2.5", "--range", "hi=0:2", "--storage",
                           str(storage), "--json", "--sampler", "random")
    assert code == 0
    study = load(storage, "linear-gaussian")
    failed = study.get_trials(states=(TrialState.FAIL,))
    assert failed and all("support" in t.user_attrs["error"] for t in failed)
    assert len(study.trials) == 10 and json.loads(out)["trials"] == 10 - len(failed)


@pytest.mark.parametrize("sampler", ["nsga2", "random", "tpe"])
def test_samplers_and_scalar_objective(sampler: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.sme-journal"
    code, out, _ = run_cli(capsys, "search", LINEAR, "--trials", "8", "--batch", "4",
                           "--seed", "0", "--sampler", sampler, "--objective", "scalar",
                           "--weights", "1,1,0", *FAST, "--storage", str(storage), "--json")
    assert code == 0 and json.loads(out)["trials"] >= 7
    study = load(storage, "linear-gaussian")
    assert study.metric_names == ["score"]
    for trial in study.get_trials(states=(TrialState.COMPLETE,)):
        o = trial.user_attrs["objectives"]
        assert trial.values[0] == pytest.approx(o["fidelity"] + o["distance"])


@pytest.mark.parametrize("sampler", ["qmc", "gp"])
def test_sampler_with_a_missing_package_says_which(sampler: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    if importlib.util.find_spec("scipy") is not None:
        pytest.skip("scipy is installed")
    code, _, err = run_cli(capsys, "search", LINEAR, "--sampler", sampler, "--storage",
                           str(tmp_path / "s.sme-journal"))
    assert code == 2 and "'scipy'" in err and len(err.strip().splitlines()) == 1


def test_robust_range_requires_safety_everywhere(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.sme-journal"
    code, _, _ = run_cli(capsys, "search", LINEAR, "--trials", "8", "--seed", "3", *FAST,
                         "--robust", "m0=0:8:4", "--storage", str(storage), "--json")
    assert code == 0
    for trial in load(storage, "linear-gaussian").get_trials(states=(TrialState.COMPLETE,)):
        robust = trial.user_attrs["robust"]
        assert [r["values"]["m0"] for r in robust] == pytest.approx([0, 8 / 3, 16 / 3, 8])
        everywhere = trial.user_attrs["phase"] == "safe" and all(
            r["phase"] == "safe" for r in robust)
        assert trial.user_attrs["feasible"] == everywhere
    code, _, err = run_cli(capsys, "search", LINEAR, "--robust", "lo=0:1", "--storage",
                           str(storage))
    assert code == 2 and "--robust lo" in err


def test_bad_options_are_one_line_errors(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    storage = ["--storage", str(tmp_path / "s.sme-journal")]
    for argv, expected in [
        (["--range", "hi=3:1"], "--range hi"),
        (["--set", "nope=1"], "nope"),
        (["--export", "best.txt"], "unknown config format"),
        (["--weights", "1,2"], "--weights"),
        (["--margin-radius", "2"], "--margin-radius"),
    ]:
        code, _, err = run_cli(capsys, "search", LINEAR, *argv, *storage)
        assert code == 2, argv
        assert expected in err and len(err.strip().splitlines()) == 1, err


# --------------------------------------------------------------------------- processes


def _search_process(cwd: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sme", "search", LINEAR, *FAST, "--batch", "2", *argv],
        cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_trials(journal: Path, count: int, process: subprocess.Popen[str]) -> None:
    """Wait until ``count`` trials finished."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        if journal.is_file():
            done = sum(1 for line in journal.read_text().splitlines()
                       if '"datetime_complete"' in line)
            if done >= count:
                return
        time.sleep(0.1)
    raise AssertionError("the search made no progress")


PAUSING_BELIEF = """
def _pause_when_asked():
    \"\"\"Block inside the batched analysis while the file `pause` exists (test hook).\"\"\"
    import pathlib, time
    here = pathlib.Path(__file__).parent
    if (here / "pause").exists():
        (here / "paused").touch()
        time.sleep(600)


def belief(action, lo, hi, g0):
    _pause_when_asked()
"""


def _pausing_scenario(where: Path) -> Path:
    """A copy of the linear-Gaussian scenario whose belief program blocks on request, so a
    test can kill a search exactly while a batch is being evaluated."""
    text = Path(LINEAR).read_text()
    head = "def belief(action, lo, hi, g0):\n"
    assert head in text
    copy = where / "linear_gaussian.py"
    copy.write_text(text.replace(head, PAUSING_BELIEF.lstrip("\n"), 1))
    return copy


def test_killed_search_keeps_completed_trials_and_resumes(tmp_path: Path) -> None:
    """SIGKILL mid-batch, rerun: completed trials kept as they were, the dead run's RUNNING
    trials failed and each retried once with its parameters, the target reached."""
    journal = tmp_path / "linear-gaussian.sme-journal"
    scenario = str(_pausing_scenario(tmp_path))
    process = subprocess.Popen(
        [sys.executable, "-m", "sme", "search", scenario, *FAST, "--batch", "2",
         "--trials", "400"], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    _wait_for_trials(journal, 6, process)
    (tmp_path / "pause").touch()  # the next batch blocks inside its evaluation
    deadline = time.monotonic() + 90
    while not (tmp_path / "paused").exists():
        assert process.poll() is None and time.monotonic() < deadline, "never paused"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    (tmp_path / "pause").unlink()
    killed = load(journal, "linear-gaussian")
    before = {t.number: (t.params, t.values) for t in killed.trials
              if t.state == TrialState.COMPLETE}
    stale = {t.number: t.params for t in killed.get_trials(states=(TrialState.RUNNING,))}
    assert len(before) >= 6 and any(stale.values())  # killed in the middle of a batch
    target = len(before) + len(stale) + 2
    rerun = subprocess.run(
        [sys.executable, "-m", "sme", "search", scenario, *FAST, "--trials", str(target),
         "--json"], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(stale)} trial(s) left running" in rerun.stderr
    study = load(journal, "linear-gaussian")
    trials = study.trials
    after = {t.number: (t.params, t.values) for t in trials if t.state == TrialState.COMPLETE}
    assert all(after[n] == before[n] for n in before)  # every completed trial kept as it was
    for number in stale:  # the dead run's trials failed, not counted, not lost
        assert trials[number].state == TrialState.FAIL
        assert "error" not in trials[number].user_attrs
    retries = {t.system_attrs["failed_trial"]: t for t in trials
               if "failed_trial" in t.system_attrs}
    assert sorted(retries) == sorted(stale)  # each retried exactly once
    for number, retry in retries.items():
        assert retry.number > max(before) and retry.state != TrialState.RUNNING
        if stale[number]:  # asked before the kill: retried with the same prior
            assert retry.params == stale[number]
    unanalysable = [t for t in study.get_trials(states=(TrialState.FAIL,))
                    if "error" in t.user_attrs]
    assert len(after) + len(unanalysable) == target  # the rerun finished the job
    assert json.loads(rerun.stdout)["trials"] == len(after)
    assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    journal = tmp_path / "linear-gaussian.sme-journal"
    process = _search_process(tmp_path, "--trials", "400", "--json")
    _wait_for_trials(journal, 4, process)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and json.loads(out)["trials"] >= 4
    study = load(journal, "linear-gaussian")
    # the current batch was finished: every trial is complete or could not be analysed
    assert all(t.state == TrialState.COMPLETE
               or (t.state == TrialState.FAIL and "error" in t.user_attrs) for t in study.trials)


def test_two_workers_lose_and_duplicate_nothing(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    code, out, err = run_cli(capsys, "search", LINEAR, *FAST, "--trials", "24", "--batch",
                             "3", "--workers", "2", "--seed", "4", "--json")
    assert code == 0, err
    study = load(tmp_path / "linear-gaussian.sme-journal", "linear-gaussian")
    numbers = [t.number for t in study.trials]
    assert sorted(numbers) == list(range(24))  # none lost, none numbered twice
    assert {t.state for t in study.trials} <= {TrialState.COMPLETE, TrialState.FAIL}
    workers = {t.user_attrs["worker"]["pid"] for t in study.trials}
    assert len(workers) == 2 and os.getpid() not in workers
    assert json.loads(out)["trials"] == len(study.get_trials(states=(TrialState.COMPLETE,)))


# --------------------------------------------------------------------------- sycophancy


@pytest.mark.skipif(not SYCOPHANCY.is_file(), reason="examples/sycophancy.py not written yet")
def test_seeded_search_on_sycophancy_finds_a_safe_prior(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "search", str(SYCOPHANCY), "--trials", "40", "--seed",
                             "0", *FAST, "--export", "best.toml", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["feasible"] > 0 and summary["best_trial"] is not None
    code, out, err = run_cli(capsys, "check", "best.toml", "--scenario", str(SYCOPHANCY))
    assert code == 0, err
    code, out, _ = run_cli(capsys, "analyze", str(SYCOPHANCY), "--prior", "best.toml",
                           "--points", "101", "--json")
    report = json.loads(out)
    assert report["phase"] == "safe" and report["bn_set"] == ["honest"]
    # the assistant agrees iff P(up | agree) > 1/2, which needs a belief that a disputing user
    # is right more than half the time: every safe prior caps hi below 1/2
    assert report["prior"]["hi"] < 0.5


# --------------------------------------------------------------------------- races, orphans

#: this checkout's code in subprocesses, whatever is installed
CHECKOUT_ENV = {**ENV, "PYTHONPATH": str(ROOT)}
QUICK = ["--points", "21", "--margin-directions", "0", "--risk-grid", "0", "--threads", "1"]


def test_storage_schema_creation_is_safe_when_searches_start_together(tmp_path: Path) -> None:
    """Four searches started at once on a new SQLite database raced to create Optuna's
    tables ('table studies already exists', 'UNIQUE constraint failed:
    alembic_version.version_num'); every one must succeed.  The same code path
    (search.storage.open_database) serves PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    processes = [subprocess.Popen(
        [sys.executable, "-m", "sme", "search", LINEAR, *QUICK, "--storage", url,
         "--trials", "4", "--batch", "2", "--json"], cwd=tmp_path, env=CHECKOUT_ENV,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in processes]
    for process in processes:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert all(code == 0 for code, _ in results), [err[-500:] for _, err in results]
    study = load(url, "linear-gaussian")
    assert sorted(t.number for t in study.trials) == list(range(len(study.trials)))
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) >= 4


def test_a_lost_schema_race_is_retried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                                       ) -> None:
    """What the loser of a creation race gets is retried; any other failure is not."""
    calls: list[int] = []
    real = optuna.storages.RDBStorage

    def racing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("(sqlite3.IntegrityError) UNIQUE constraint failed: "
                               "alembic_version.version_num")
        return real(*args, **kwargs)

    monkeypatch.setattr(optuna.storages, "RDBStorage", racing)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert search.storage.open_database(url) is not None and len(calls) == 3

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise RuntimeError("connection refused")

    calls.clear()
    monkeypatch.setattr(optuna.storages, "RDBStorage", broken)
    with pytest.raises(RuntimeError, match="connection refused"):
        search.storage.open_database(url)
    assert len(calls) == 1


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped does not count)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_workers_end_with_their_parent(tmp_path: Path, signum: int) -> None:
    """SIGTERM or SIGKILL of `sme search --workers 2` left both workers appending trials."""
    journal = tmp_path / "linear-gaussian.sme-journal"
    process = subprocess.Popen(
        [sys.executable, "-m", "sme", "search", LINEAR, *QUICK, "--workers", "2", "--batch",
         "2", "--trials", "100000"], cwd=tmp_path, env=CHECKOUT_ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        _wait_for_trials(journal, 4, process)
        study = load(journal, "linear-gaussian")
        workers = {t.user_attrs["worker"]["pid"] for t in study.trials
                   if "worker" in t.user_attrs}
        assert workers and process.pid not in workers
        process.send_signal(signum)
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "a worker outlived its parent"
        size = journal.stat().st_size
        time.sleep(2)
        assert journal.stat().st_size == size, "trials were appended after the parent died"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
