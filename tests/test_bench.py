"""``sme bench`` prints every documented figure, measured against its baseline."""

from __future__ import annotations

import json

import pytest

from sme.cli import main


def test_bench_json_has_the_documented_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json", "--device", "cpu"]) == 0
    data = json.loads(capsys.readouterr().out)
    analysis = data["analysis"]
    for key in ("batched_per_s", "plain_per_s", "ratio", "points"):
        assert analysis[key] > 0
    assert analysis["ratio"] == pytest.approx(analysis["batched_per_s"]
                                              / analysis["plain_per_s"])
    assert analysis["plain_agrees"] is True
    assert data["phase_diagram_200_s"] > 0
    assert data["simulate"]["learner_steps_per_s"] > 0
    search = data["search"]
    assert search["trials_per_s"] > 0
    assert 0 < search["evaluation_share"] < 1
    assert search["journal_vs_sqlite"] == pytest.approx(search["trials_per_s"]
                                                        / search["sqlite_trials_per_s"])
    assert data["peak_rss_mb"] >= analysis["peak_rss_mb"] > 0
    assert data["device"] == "cpu"
