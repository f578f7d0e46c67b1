"""Numerical trust: results carry their resolution, --points raises it, --verify compares
with a doubled one; scenario files are said to be run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import run_cli

ROOT = Path(__file__).resolve().parent.parent
SYCOPHANCY = str(ROOT / "examples" / "sycophancy.py")


def test_analysis_reports_its_resolution(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "analyze", SYCOPHANCY, "--points", "61", "--mc-samples",
                           "512", "--json")
    assert code == 0
    resolution = json.loads(out)["resolution"]
    assert resolution["theta_points"] == 61 and resolution["points"] == 61
    assert resolution["mc_samples"] == 512 and resolution["kl_tie_rtol"] > 0
    assert json.loads(out)["verification"] is None
    code, out, _ = run_cli(capsys, "analyze", SYCOPHANCY, "--points", "61")
    text = " ".join(out.split())
    assert "61 Θ points" in text and "512" not in text and "tie tolerance" in text


def test_verify_confirms_a_stable_result(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "analyze", SYCOPHANCY, "--points", "101", "--verify",
                             "--json")
    assert code == 0 and "doubled" not in err
    report = json.loads(out)
    assert report["verification"] == {
        "points": 201, "theta_points": 201, "mc_samples": 2 * report["resolution"]["mc_samples"],
        "phase": report["phase"], "bn_set": report["bn_set"], "unchanged": True}
    code, out, _ = run_cli(capsys, "analyze", SYCOPHANCY, "--points", "101", "--verify")
    assert "verified at doubled resolution (201 Θ points" in " ".join(out.split())
    assert "unchanged" in out


def test_verify_warns_when_the_phase_changes(capsys: pytest.CaptureFixture[str]) -> None:
    # three Θ points are too few for sycophancy: five give another phase
    code, out, err = run_cli(capsys, "analyze", SYCOPHANCY, "--points", "3", "--verify",
                             "--json")
    assert code == 0
    report = json.loads(out)
    check = report["verification"]
    assert check["unchanged"] is False and check["theta_points"] == 5
    assert check["phase"] != report["phase"]
    assert "at doubled resolution" in err and "raise --points" in err
    assert any("doubled resolution" in w for w in report["warnings"])
    code, out, _ = run_cli(capsys, "analyze", SYCOPHANCY, "--points", "3", "--verify")
    assert "CHANGED" in out


def test_search_and_check_report_their_resolution(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "search", SYCOPHANCY, "--trials", "8", "--seed", "0",
                             "--points", "61", "--margin-directions", "2", "--threads", "1",
                             "--json")
    assert code == 0, err
    assert json.loads(out)["resolution"]["points"] == 61
    code, out, err = run_cli(capsys, "export", SYCOPHANCY, "--trial", "0", "-o", "t.json")
    assert code == 0, err
    code, out, _ = run_cli(capsys, "check", "t.json", "--scenario", SYCOPHANCY, "--json",
                           "--unchanged")
    assert code == 0 and json.loads(out)["resolution"]["points"] == 61
    code, out, _ = run_cli(capsys, "check", "t.json", "--scenario", SYCOPHANCY, "--unchanged")
    assert "at 61 Θ points (61 along the latent)" in out


def test_help_says_scenario_files_are_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "check", "--help")
    assert code == 0 and "Scenario files are Python and are run" in " ".join(out.split())
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "Scenario files are code and are run" in readme
