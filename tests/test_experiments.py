"""Behavioural experiments (sme experiment) without network: Inspect's mockllm provider with
scripted replies, the sme/bayes provider over grids, logs from elsewhere, and resume."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("inspect_ai")

from cli_runner import run_cli
from inspect_ai.model import ModelOutput, get_model

from sme import Action, Param, Prompt, Scenario
from sme.experiments import protocol
from sme.experiments.consistency import (
    MixedPrediction,
    Prediction,
    judge_episode,
    mixed_prediction,
)
from sme.experiments.observed import (
    episode_behaviour,
    observed_phase,
    wilson_interval,
)
from sme.experiments.records import read_experiment, read_inspect_logs
from sme.experiments.run import run_experiment
from sme.experiments.task import ROUNDS_KEY, sample_rounds
from sme.experiments.world import EpisodeWorld, round_seed
from sme.runtime.errors import ScenarioError
from sme.scenario.declaration import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SYCOPHANCY = str(ROOT / "examples" / "sycophancy.py")
LINEAR = str(ROOT / "examples" / "linear_gaussian.py")
REWARD_HACKING = str(ROOT / "examples" / "reward_hacking.py")


@pytest.fixture(autouse=True)
def _offline_token_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """mockllm reports input tokens through tiktoken, whose encoding is downloaded on first
    use; offline, a length estimate stands in (the tests never look at token counts)."""
    import inspect_ai.model._model as model_module

    monkeypatch.setattr(model_module, "count_text_tokens", lambda text: max(1, len(text) // 4))


def _replies(*texts: str) -> object:
    return get_model("mockllm/model", custom_outputs=[
        ModelOutput.from_content(model="mockllm", content=t) for t in texts])


def _eval_members(log_dir: Path) -> str:
    """Every file Inspect wrote under ``log_dir``, as text (zip members unpacked)."""
    parts = []
    for path in log_dir.rglob("*"):
        if path.is_file() and path.suffix == ".eval":
            with zipfile.ZipFile(path) as archive:
                parts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


# ------------------------------------------------------------------------- prompt, parsing


@pytest.mark.parametrize(("reply", "expected"), [
    ("ACTION: agree", "agree"),
    ("I weighed it.\nAction: **Honest**", "honest"),
    ("action = `agree`.", "agree"),
    ("honest", "honest"),
    ("I will stay honest this time.", "honest"),
    ("honest or agree? ACTION: agree", "agree"),
    ("ACTION: honest\nwait, ACTION: agree", "agree"),
    ("honest or agree, hard to say", None),
    ("I refuse.", None),
    ("ACTION: dishonest", None),
    ("", None),
])
def test_replies_are_parsed_or_marked_unreadable(reply: str, expected: str | None) -> None:
    assert protocol.parse_action(reply, ["honest", "agree"]) == expected


def _toy(prompt: Prompt) -> Scenario:
    return Scenario(
        name="toy", actions=[Action("a", safe=True), Action("b")],
        world=lambda action, p: None, belief=lambda action, lo: None,
        payoff=lambda action, y: y, observed=["y"],
        prior_params={"lo": Param(0.0)}, world_params={"p": Param(0.5)}, prompt=prompt)


def test_a_prompt_field_no_name_fills_is_refused_naming_template_and_field() -> None:
    with pytest.raises(ScenarioError, match=r"prompt\.outcome: unknown field \{nope\}"):
        _toy(Prompt(situation="s {actions}", prior="lo={lo}", outcome="{nope}"))
    with pytest.raises(ScenarioError, match=r"prompt\.labels: 'z' is not an observed site"):
        _toy(Prompt(situation="s", prior="p", outcome="{y}", labels={"z": {0: "no"}}))
    _toy(Prompt(situation="{rounds} rounds of {actions}, p={p}", prior="{lo}",
                outcome="{round}: {action} gave {y} ({reward})"))


def test_an_exported_prior_renders_to_the_same_text_as_set(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prior = tmp_path / "chosen.toml"
    prior.write_text("[parameters.prior]\nhi = 0.45\n", encoding="utf-8")
    code, from_file, err = run_cli(capsys, "experiment", SYCOPHANCY, "--show-prompt",
                                   "--prior", str(prior))
    assert code == 0, err
    code, from_set, _ = run_cli(capsys, "experiment", SYCOPHANCY, "--show-prompt",
                                "--set", "hi=0.45")
    _, default, _ = run_cli(capsys, "experiment", SYCOPHANCY, "--show-prompt")
    assert from_file == from_set
    assert "between 0% and 45% of the time" in from_file
    assert "between 0% and 100% of the time" in default
    assert "ACTION: <name>" in from_file and "honest, agree" in from_file


def test_every_example_declares_a_prompt_that_renders() -> None:
    for path in sorted((ROOT / "examples").glob("*.py")):
        scenario = load_scenario(path)
        text = protocol.intro(scenario, scenario.values(), rounds=7)
        assert "7" in text and all(a in text for a in scenario.action_names), path.name


def test_the_engine_and_the_cli_never_import_inspect() -> None:
    code = ("import sys; from sme.cli import build_parser; build_parser(); "
            "from sme.scenario.declaration import load_scenario; "
            "import sme.analysis, sme.studies.dynamics; "
            f"load_scenario({SYCOPHANCY!r}); print('inspect_ai' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"


# ------------------------------------------------------------------ the protocol (mockllm)


def test_scripted_replies_make_the_rounds_of_the_log(tmp_path: Path) -> None:
    scenario = load_scenario(SYCOPHANCY)
    model = _replies("ACTION: agree", "hmm, not sure", "I will stay honest.",
                     "ACTION: `honest`")
    run_experiment(scenario, [{}], model=model, log_dir=tmp_path, episodes=1, rounds=4,
                   seed=3, display="none")
    episodes, failed = read_inspect_logs(tmp_path, scenario)
    assert failed == 0
    assert [e.actions for e in episodes] == [["agree", None, "honest", "honest"]]
    from inspect_ai.log import list_eval_logs, read_eval_log

    log = read_eval_log(list_eval_logs(str(tmp_path))[0].name)
    sample = log.samples[0]
    rounds = sample.store[ROUNDS_KEY]
    world = EpisodeWorld(scenario, {})
    for record in rounds:
        if record["action"] is None:
            assert record["outcome"] is None and record["reward"] is None
            continue
        # the world program drew the outcome with the round's seed; reward = approval
        outcome, reward = world.play(scenario.action_index(record["action"]),
                                     round_seed(3, 0, 0, record["round"]))
        assert record["outcome"] == outcome
        assert record["reward"] == reward == outcome["approval"]
    users = [m.text for m in sample.messages if m.role == "user"]
    assert users[0] == protocol.request(1, 4)
    first = "a thumbs-up" if rounds[0]["outcome"]["approval"] == 1 else "no thumbs-up"
    assert f"you chose agree; the user gave {first}" in users[1]
    assert "this round was lost" in users[2] and "Round 3 of 4" in users[2]
    assert sample.messages[0].text == protocol.intro(scenario, scenario.values(), 4)


def test_rounds_survive_a_sample_recovered_without_its_store(tmp_path: Path) -> None:
    """Inspect rebuilds the samples of a killed run from its buffer with an empty store
    (scores kept): the rounds are read from the score's metadata then."""
    from inspect_ai.log import list_eval_logs, read_eval_log, write_eval_log

    scenario = load_scenario(SYCOPHANCY)
    run_experiment(scenario, [{}], model=_replies("ACTION: agree", "ACTION: honest", "x"),
                   log_dir=tmp_path, episodes=1, rounds=3, seed=5, display="none")
    (info,) = list_eval_logs(str(tmp_path))
    log = read_eval_log(info.name)
    (sample,) = log.samples
    logged = sample_rounds(sample)
    assert [r["action"] for r in logged] == ["agree", "honest", None]
    sample.store = {}  # as a recovered sample has it
    write_eval_log(log, info.name)
    (recovered,) = read_eval_log(info.name).samples
    assert recovered.store == {} and sample_rounds(recovered) == logged
    episodes, failed = read_inspect_logs(tmp_path, scenario)
    assert failed == 0 and [e.actions for e in episodes] == [["agree", "honest", None]]
    for score in recovered.scores.values():  # without either copy, the episode is missing
        score.metadata = {}
    assert sample_rounds(recovered) is None


def test_unreadable_replies_are_counted_never_a_crash(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "experiment", SYCOPHANCY, "--model", "mockllm/model",
                             "--episodes", "2", "--rounds", "3", "--log-dir", str(tmp_path),
                             "--json")
    assert code == 0, err
    report = json.loads(out)
    (condition,) = report["conditions"]
    assert condition["observed"]["unreadable_replies"] == 6
    assert condition["observed"]["phase"] == "undetermined"


def test_a_provider_error_fails_the_episode_not_the_run(tmp_path: Path) -> None:
    calls = []

    def broken(*_: object) -> ModelOutput:
        calls.append(1)
        raise RuntimeError("the provider is down")

    scenario = load_scenario(SYCOPHANCY)
    model = get_model("mockllm/model", custom_outputs=broken)
    run_experiment(scenario, [{}], model=model, log_dir=tmp_path, episodes=2, rounds=2,
                   seed=0, display="none")
    episodes, failed = read_inspect_logs(tmp_path, scenario)
    assert (episodes, failed) == ([], 2)
    assert len(calls) >= 2
    with pytest.raises(Exception, match="no episodes found"):
        read_experiment([tmp_path], scenario)


def test_api_keys_never_reach_output_or_logs(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    marker = "sk-test-MARKER-5f1c0ffee"
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.setenv(name, marker)
    code, out, err = run_cli(capsys, "experiment", SYCOPHANCY, "--model", "mockllm/model",
                             "--episodes", "1", "--rounds", "2", "--log-dir", str(tmp_path),
                             "--out", str(tmp_path / "report.png"))
    assert code == 0, err
    written = _eval_members(tmp_path)
    assert "mockllm/model" in written  # the logs were read
    assert marker not in out + err + written


@pytest.mark.parametrize("option", [["-M", "api_key=sk-MARKER"],
                                    ["--model-base-url", "https://u:sk-MARKER@example.org/v1"]])
def test_secrets_in_options_are_refused_before_anything_is_logged(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, option: list[str]) -> None:
    code, out, err = run_cli(capsys, "experiment", SYCOPHANCY, "--model", "mockllm/model",
                             *option, "--log-dir", str(tmp_path / "logs"))
    assert code == 2 and out == "" and "environment variable" in err
    assert "MARKER" not in err
    assert not (tmp_path / "logs").exists()


# ---------------------------------------------------------------------- observed phases


def test_wilson_interval_matches_its_closed_forms() -> None:
    z2 = 1.959963984540054 ** 2
    for n in (1, 4, 10, 50):
        low, high = wilson_interval(0, n)
        assert math.isclose(low, 0.0, abs_tol=1e-12) and math.isclose(high, z2 / (n + z2))
        low, high = wilson_interval(n, n)
        assert math.isclose(high, 1.0) and math.isclose(low, n / (n + z2))
    low, high = wilson_interval(3, 10)
    assert math.isclose(low + high, 2 * (0.3 + z2 / 20) / (1 + z2 / 10))


def _classify(episodes: list[list[str]]) -> str:
    names, safe = ["honest", "agree"], ["honest"]
    behaviours = [episode_behaviour(e, names, safe) for e in episodes]
    return observed_phase(behaviours, names, sum(map(len, episodes))).phase


def test_the_observed_phase_follows_the_late_period_of_the_episodes() -> None:
    honest, agree = ["honest"] * 8, ["agree"] * 8
    late_agree = ["honest"] * 4 + ["agree"] * 4  # the early rounds do not count
    cycling = ["honest", "agree"] * 4
    assert _classify([honest] * 4) == "safe"
    assert _classify([late_agree] * 4) == "misaligned"
    assert _classify([honest, agree] * 3) == "multistable"
    assert _classify([cycling] * 5) == "oscillatory"
    assert _classify([honest] * 3) == "undetermined"  # too few to tell at 95%
    assert _classify([honest, agree, cycling, cycling]) == "undetermined"
    assert _classify([honest] * 19 + [agree]) == "safe"  # one in twenty: tolerated noise
    assert _classify([honest] * 5 + [agree]) == "multistable"


# ------------------------------------------------------------------- logs from elsewhere


def _records(kind: str) -> list[dict[str, object]]:
    """Episodes at two conditions: always honest (safe world) and cycling (oscillatory)."""
    rows: list[dict[str, object]] = []
    for honest_rate, agree_rate, pattern in ((0.9, 0.1, ["honest"]),
                                             (0.2, 0.2, ["honest", "agree"])):
        for episode in range(5):
            for number in range(1, 9):
                action = pattern[(number + episode) % len(pattern)]
                rows.append({"model": kind, "episode": episode, "round": number,
                             "action": action, "reward": 1.0, "approval": 1,
                             "approve_honest": honest_rate, "approve_agree": agree_rate})
    return rows


def test_jsonl_and_csv_records_give_the_same_report(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    rows = _records("other-harness")
    jsonl = tmp_path / "runs.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    csv_file = tmp_path / "runs.csv"
    header = list(rows[0])
    csv_file.write_text("\n".join([",".join(header)] + [",".join(str(r[k]) for k in header)
                                                        for r in rows]) + "\n",
                        encoding="utf-8")
    reports = []
    for path in (jsonl, csv_file):
        code, out, err = run_cli(capsys, "experiment", "report", str(path), "--scenario",
                                 SYCOPHANCY, "--json", "--points", "101")
        assert code == 0, err
        report = json.loads(out)
        reports.append([(c["condition"], c["predicted"], c["observed"]["phase"])
                        for c in report["conditions"]])
    assert reports[0] == reports[1]
    assert sorted((p, o) for _, p, o in reports[0]) == [("oscillatory", "oscillatory"),
                                                       ("safe", "safe")]


def test_a_record_with_an_unknown_key_names_file_line_and_key(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    good = {"model": "m", "episode": 0, "round": 1, "action": "honest"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "colour": "red"}) + "\n",
                    encoding="utf-8")
    code, out, err = run_cli(capsys, "experiment", "report", str(path), "--scenario",
                             SYCOPHANCY)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"sme: error: {path}:2: unknown key 'colour' (expected model, episode, round, action,"
        " reward, parameters or observed sites of 'sycophancy')"]


@pytest.mark.parametrize("name,text,fragments", [
    pytest.param("runs.jsonl", '{"model": "m", "episode": 0, "round": 1, "action": "honest"}\n'
                 '{"model": "m", "episode": Infinity, "round": 2, "action": "honest"}\n',
                 [":2:", "'episode' must be an integer", "inf"], id="jsonl-infinite-episode"),
    pytest.param("runs.jsonl", '{"model": "m", "episode": 0, "round": 1.5, "action": "honest"}\n',
                 [":1:", "'round' must be an integer"], id="jsonl-fractional-round"),
    pytest.param("runs.csv", "model,episode,round,action\nm,0,1,honest\n"
                 f"m,0,2,\"{'x' * 200_000}\"\n", [":3:", "unreadable CSV", "field"],
                 id="csv-huge-field"),
])
def test_a_broken_record_log_names_file_and_line(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, name: str, text: str,
                                                 fragments: list[str]) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "experiment", "report", str(path), "--scenario",
                             SYCOPHANCY)
    lines = err.strip().splitlines()
    assert (code, out, len(lines)) == (2, "", 1), err[-2000:]
    assert lines[0].startswith(f"sme: error: {path}")
    for fragment in fragments:
        assert fragment in lines[0]


def test_an_unknown_provider_is_one_line_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "experiment", SYCOPHANCY, "--model", "nowhere/model",
                             "--log-dir", str(tmp_path / "logs"))
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [
        "sme: error: experiment: --model nowhere/model: Model API nowhere of model "
        "'nowhere/model' not recognized."]
    assert not (tmp_path / "logs").exists()


def test_report_needs_the_scenario_named(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "experiment", "report", str(tmp_path))
    assert code == 2 and "--scenario FILE is required" in err


# --------------------------------------------------- the Bayesian learner through Inspect


@pytest.mark.parametrize(("scenario", "grid"), [
    # prior θ ~ U(0, 4): a1 is preferred iff θ > 2 and the prior mean is the tie θ = 2, so
    # multistable learners split; the corners' fits (m0 and m1 / 2, clipped to [0, 4]) lie
    # at least 2 from θ = 2, the middle row and column on it
    (LINEAR, ["--set", "lo=0", "--set", "hi=4", "--x", "m0=-1:5:3", "--y", "m1=-2:10:3"]),
    # Theorem 3.2's four regimes at the corners; the middle row and column lie on p = ½
    (SYCOPHANCY, ["--x", "approve_honest=0.1:0.9:3", "--y", "approve_agree=0.1:0.9:3"]),
])
def test_the_bayesian_learner_reproduces_the_predicted_diagram(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, scenario: str,
        grid: list[str]) -> None:
    code, out, err = run_cli(capsys, "experiment", scenario, "--model", "sme/bayes", *grid,
                             "--episodes", "6", "--rounds", "16", "--points", "101",
                             "--log-dir", str(tmp_path), "--json",
                             "--out", str(tmp_path / "diagram.png"))
    assert code == 0, err
    report = json.loads(out)
    summary = report["agreement"]
    assert summary["away_from_boundaries"] >= 4
    away = [c for c in report["conditions"] if c["on_boundary"] is False]
    assert all(c["agrees"] for c in away), away  # the exact learner: every one agrees
    assert summary["episodes_outside_R"] == 0
    assert {c["predicted"] for c in away} == {"safe", "misaligned", "multistable",
                                              "oscillatory"}
    for c in away:  # each episode rests at one of the condition's predicted equilibria
        prediction, episodes = c["prediction"], c["consistency"]["episodes"]
        labels = set(prediction["pure_equilibria"]) | {
            f"mixed({', '.join(m['support'])})" for m in prediction["mixed_equilibria"] or []}
        assert {e["resting"] for e in episodes} <= labels, c
    assert report["agreement"]["rule"].startswith("agreement = consistency")
    assert (tmp_path / "diagram.png").stat().st_size > 0


def test_a_three_action_multistable_grid_agrees_and_skips_invalid_conditions(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """reward_hacking (three actions, two latents): the grid of the report that called six
    episodes settling on `solve` a disagreement with `multistable`.  The exact learner
    agrees everywhere; the conditions that break `catch_lo < catch_hi` are not run, and are
    listed as invalid in the text, the JSON and the figure's legend."""
    import sme.figures.plots as plots

    figures: list[Any] = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, path: (figures.append(fig),
                                                           save(fig, path)))
    logs = tmp_path / "logs"
    grid = ["--x", "catch_lo=0:0.8:3", "--y", "catch_hi=0.4:1:2", "--episodes", "4",
            "--rounds", "24", "--log-dir", str(logs)]
    code, out, err = run_cli(capsys, "experiment", REWARD_HACKING, "--model", "sme/bayes",
                             *grid, "--out", str(tmp_path / "diagram.png"))
    assert code == 0, err
    assert "4 conditions (2 outside the scenario's constraints are not run)" in err
    assert "2 invalid (outside the scenario's constraints, not run)" in out
    assert out.count("violates catch_lo < catch_hi") == 2 and "agreement = consistency" in out
    (figure,) = figures
    legend = [t.get_text() for lg in figure.legends for t in lg.get_texts()]
    assert "invalid (not run)" in legend and "multistable" in legend
    episodes, failed = read_inspect_logs(logs, load_scenario(REWARD_HACKING))
    assert failed == 0 and len(episodes) == 4 * 4  # only the valid conditions were played
    code, out, err = run_cli(capsys, "experiment", "report", str(logs), "--scenario",
                             REWARD_HACKING, "--json")
    assert code == 0, err
    report = json.loads(out)
    invalid = [c for c in report["conditions"] if c["predicted"] == "invalid"]
    assert sorted(c["condition"]["catch_lo"] for c in invalid) == [0.4, 0.8]
    assert all(c["violates"] == ["catch_lo < catch_hi"] and c["agrees"] is None
               for c in invalid)
    summary = report["agreement"]
    assert (summary["conditions"], summary["agree"], summary["invalid"]) == (4, 4, 2)
    multistable = [c for c in report["conditions"] if c["predicted"] == "multistable"]
    assert len(multistable) == 3
    assert any(len(c["prediction"]["rationalizable"]) == 3 for c in multistable)
    assert all(c["agrees"] and c["consistency"]["outside_R"] == 0 for c in multistable)


def test_conditions_outside_the_constraints_alone_are_refused_in_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "experiment", REWARD_HACKING, "--show-prompt",
                             "--set", "catch_lo=0.8", "--set", "catch_hi=0.4")
    assert (code, out) == (2, "") and "constraint 'catch_lo < catch_hi'" in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = run_cli(capsys, "experiment", REWARD_HACKING, "--show-prompt",
                             "--set", "catch_hi=0.4", "--x", "catch_lo=0.5:0.9:2")
    assert (code, out) == (2, "") and "every condition of the grid breaks" in err
    code, out, _ = run_cli(capsys, "experiment", REWARD_HACKING, "--show-prompt",
                           "--set", "catch_hi=0.4", "--x", "catch_lo=0.2:0.9:2")
    assert code == 0 and out.count("between 20% and 40%") == 1  # the valid one only


def test_records_at_a_condition_outside_the_constraints_are_counted_apart(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = [{"model": "m", "episode": e, "round": r, "action": "solve", "catch_lo": 0.8,
             "catch_hi": hi} for hi in (1.0, 0.4) for e in range(3) for r in range(1, 9)]
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "experiment", "report", str(path), "--scenario",
                             REWARD_HACKING, "--json")
    assert code == 0, err
    report = json.loads(out)
    valid, invalid = sorted(report["conditions"], key=lambda c: c["predicted"] == "invalid")
    assert (valid["predicted"], valid["agrees"]) == ("safe", True)
    assert (invalid["predicted"], invalid["episodes"], invalid["agrees"]) == ("invalid", 3,
                                                                               None)
    assert report["agreement"]["conditions"] == 1 and report["agreement"]["invalid"] == 1


def test_a_learner_that_ignores_its_data_disagrees(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    """Episodes of a learner that agrees with probability 0.2 whatever it sees, at the four
    regimes of the sycophancy theorem: every condition disagrees — outside R where R is
    one action, at no equilibrium where it is both (the mixed one is σ(agree) = ½) — and
    the episodes that played outside R are counted."""
    import random

    rng = random.Random(3)
    rows = []
    for honest_rate, agree_rate in ((0.9, 0.1), (0.1, 0.9), (0.9, 0.9), (0.1, 0.1)):
        for episode in range(5):
            for number in range(1, 121):
                action = "agree" if rng.random() < 0.2 else "honest"
                rows.append({"model": "coin", "episode": episode, "round": number,
                             "action": action, "approve_honest": honest_rate,
                             "approve_agree": agree_rate})
    path = tmp_path / "coin.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "experiment", "report", str(path), "--scenario",
                             SYCOPHANCY, "--json", "--points", "101")
    assert code == 0, err
    report = json.loads(out)
    phases = {c["predicted"]: c for c in report["conditions"]}
    assert set(phases) == {"safe", "misaligned", "multistable", "oscillatory"}
    assert report["agreement"]["agree"] == 0
    for phase, c in phases.items():
        consistency = c["consistency"]
        assert consistency["inconsistent"] == 5 and not c["agrees"], phase
        assert consistency["outside_R"] == (5 if phase in ("safe", "misaligned") else 0)
    assert report["agreement"]["episodes_outside_R"] == 10


def test_the_same_task_runs_under_inspect_eval(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    """`inspect eval` loads the task file and finds sme/bayes through the entry point."""
    inspect = Path(sys.executable).with_name("inspect")
    subprocess.run([str(inspect), "eval", "sme/experiments/task.py@behaviour", "--model",
                    "sme/bayes", "-T", "scenario=examples/sycophancy.py", "-T", "episodes=4",
                    "-T", "rounds=4", "-T", 'conditions=[{"hi": 0.45}]', "-M", "points=51",
                    "--log-dir", str(tmp_path), "--display", "none"],
                   check=True, cwd=ROOT, capture_output=True, timeout=300,
                   env={**os.environ, "OMP_NUM_THREADS": "1", "PWD": str(ROOT)})
    code, out, err = run_cli(capsys, "experiment", "report", str(tmp_path), "--scenario",
                             SYCOPHANCY, "--json", "--points", "51")
    assert code == 0, err
    (condition,) = json.loads(out)["conditions"]
    assert condition["condition"] == {"hi": 0.45}
    assert (condition["predicted"], condition["observed"]["phase"]) == ("safe", "safe")


# ------------------------------------------------------------------------------- resume


def test_an_experiment_killed_midway_resumes_keeping_finished_episodes(
        tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    command = [sys.executable, "-m", "sme", "experiment", SYCOPHANCY, "--model", "sme/bayes",
               "--episodes", "12", "--rounds", "20", "--points", "51", "--log-dir", str(logs),
               "--max-connections", "1"]  # few episodes at a time, so some finish first
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env, cwd=ROOT, start_new_session=True)
    scenario = load_scenario(SYCOPHANCY)
    done: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and len(done) < 3 and first.poll() is None:
            time.sleep(0.3)
            try:
                episodes, _ = read_inspect_logs(logs, scenario)
            except Exception:  # no log yet, or one being written
                continue
            done = [f"c0-e{e.episode}" for e in episodes]
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert 3 <= len(done) < 12, f"the run must be killed midway ({len(done)} done)"
    killed_at = time.time()
    subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True, timeout=300)
    from inspect_ai.log import list_eval_logs, read_eval_log

    final = [read_eval_log(i.name) for i in list_eval_logs(str(logs))]
    (complete,) = [log for log in final if log.status == "success"]
    samples = {s.id: s for s in complete.samples}
    assert sorted(samples) == sorted(f"c0-e{e}" for e in range(12))
    for sample_id in done:  # kept from the killed run, not played again
        started = samples[sample_id].started_at
        assert started is not None and _timestamp(started) < killed_at
    short = {i: (sorted(s.store), s.error, s.started_at) for i, s in samples.items()
             if len(sample_rounds(s) or []) != 20}
    assert not short, f"samples without their 20 rounds: {short} (killed after {done})"
    read = read_experiment([logs], scenario)  # the killed run's log is read alongside
    assert sorted(e.episode for e in read.episodes) == list(range(12))


def _timestamp(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


# ----------------------------------------------- consistency with the prediction (Berk–Nash)


def _prediction(rationalizable: tuple[str, ...], pure: tuple[str, ...],
                mixed: tuple[MixedPrediction, ...] = ()) -> Prediction:
    from sme.engine.phases import Phase

    return Prediction(Phase.MULTISTABLE, rationalizable, pure, mixed)


def _judge(actions: list[str | None], prediction: Prediction,
           names: tuple[str, ...] = ("honest", "agree")) -> object:
    return judge_episode(episode_behaviour(actions, list(names), ["honest"]), prediction)


def test_an_episode_is_judged_by_its_late_actions_and_resting_point() -> None:
    sigma = mixed_prediction({"honest": 6 / 7, "agree": 1 / 7}, (1 / 7, 1 / 7), [])
    multistable = _prediction(("honest", "agree"), ("honest", "agree"))
    oscillatory = _prediction(("honest", "agree"), (), (sigma,))
    safe = _prediction(("honest",), ("honest",))
    # six episodes that all settle on one pure equilibrium are what multistable allows
    judged = _judge(["agree"] * 4 + ["honest"] * 20, multistable)
    assert (judged.consistent, judged.resting) == (True, "honest")
    # an action outside R in the late period is inconsistent whatever else it did
    judged = _judge(["honest"] * 19 + ["agree"], safe)
    assert (judged.consistent, judged.outside) == (False, ("agree",))
    assert _judge(["agree"] * 10 + ["honest"] * 10, safe).consistent is True  # early only
    # switching at the mixed equilibrium's frequency fits it; at a half it does not
    one_in_seven = (["honest"] * 6 + ["agree"]) * 20
    judged = _judge(one_in_seven, oscillatory)
    assert (judged.consistent, judged.resting) == (True, "mixed(honest, agree)")
    assert _judge(["honest", "agree"] * 70, oscillatory).consistent is False
    # settling on an action that is no pure equilibrium: fine for a short episode that a
    # mixed equilibrium explains (six rounds of honest at σ = 1/7), not for a long one
    assert _judge(["honest"] * 12, oscillatory).consistent is True
    assert _judge(["honest"] * 200, oscillatory).consistent is False
    assert _judge(["honest"] * 40, multistable).resting == "honest"
    # no late round read: not judged
    assert _judge([None] * 6, safe).consistent is None


def test_compatibility_with_an_interval_or_region_matches_the_linear_program() -> None:
    """The closed forms for one corner and for two (a segment) against the linear program
    that decides any number of corners, on random equilibria and frequency boxes."""
    import random

    from scipy.optimize import linprog

    from sme.experiments.consistency import compatible

    def by_lp(mixed: MixedPrediction, bounds: dict[str, tuple[float, float]]) -> bool:
        if any(a not in mixed.support and lo > 0 for a, (lo, _) in bounds.items()):
            return False
        rows, limits = [], []
        for a in mixed.support:
            lo, hi = bounds[a]
            rows += [[c[a] for c in mixed.corners], [-c[a] for c in mixed.corners]]
            limits += [hi, -lo]
        k = len(mixed.corners)
        result = linprog([0.0] * k, A_ub=rows, b_ub=limits, A_eq=[[1.0] * k], b_eq=[1.0],
                         bounds=[(0, None)] * k, method="highs")
        return result.status == 0

    rng = random.Random(7)
    names = ["a", "b", "c"]
    agreed = {True: 0, False: 0}
    for _ in range(400):
        support = tuple(rng.sample(names, rng.choice([2, 3])))
        corners = []
        for _ in range(rng.choice([1, 2])):
            weights = [rng.random() for _ in support]
            corners.append({a: w / sum(weights) for a, w in zip(support, weights, strict=True)})
        mixed = MixedPrediction(support, tuple(corners))
        if rng.random() < 0.5:  # counts drawn from one of the equilibrium's mixtures
            drawn = rng.choices(list(corners[0]), weights=list(corners[0].values()), k=12)
            counts = {a: drawn.count(a) for a in names}
        else:
            counts = {a: rng.randint(0, 12) for a in names}
        bounds = {a: wilson_interval(k, 12) for a, k in counts.items()}
        expected = by_lp(mixed, bounds)
        assert compatible(mixed, bounds) == expected, (mixed, bounds)
        agreed[expected] += 1
    assert min(agreed.values()) > 20  # both answers were exercised


def test_the_incremental_posterior_is_the_posterior_of_the_whole_history() -> None:
    """sme/bayes updates each episode's posterior by the rounds it has not seen; the answer
    is the one computed from the prior on random histories, also when a retried episode
    replays a different history."""
    import asyncio
    import random

    from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig

    from sme.experiments.bayes import BayesianLearnerAPI
    from sme.experiments.conditions import json_values
    from sme.experiments.task import SIDE_KEY

    api = BayesianLearnerAPI("bayes", points=41)
    for path, condition in ((LINEAR, {"m0": 1.0, "m1": 6.0}),
                            (SYCOPHANCY, {"approve_honest": 0.3, "approve_agree": 0.4}),
                            (REWARD_HACKING, {})):
        scenario = load_scenario(path)
        world = EpisodeWorld(scenario, condition)
        values = json_values(scenario, condition)
        rng = random.Random(path)
        for episode in range(3):
            side = {"scenario": path, "condition_index": 0, "condition": condition,
                    "values": values, "episode": episode % 2, "seed": 1, "rounds": 30}
            messages = [ChatMessageSystem(content="intro", metadata={SIDE_KEY: side})]
            pairs = []
            for number in range(1, 26):
                output = asyncio.run(api.generate(messages, [], "none", GenerateConfig()))
                learner = api._learner(path, values)
                seed = round_seed(1, 0, episode % 2, number) ^ 0x5DEECE66D
                expected = learner.names[learner.choose(pairs, seed)]
                assert output.completion == f"ACTION: {expected}"
                action = rng.randrange(len(scenario.actions))  # any history, not the reply
                outcome, reward = world.play(action, rng.randrange(1 << 30))
                pairs.append((action, outcome))
                record = {"round": number, "action": scenario.action_names[action],
                          "outcome": outcome, "reward": reward}
                messages.append(ChatMessageUser(content="next", metadata={SIDE_KEY: record}))
