"""Studies read correctly in optuna-dashboard: loaded through the dashboard's own WSGI app
(the server ``optuna-dashboard STORAGE`` runs), unsafe trials are infeasible, objectives are
named and the phase is a trial attribute."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import optuna
import pytest
from cli_runner import run_cli

from search.results import best_candidate
from search.storage import StorageSpec

optuna_dashboard = pytest.importorskip("optuna_dashboard")

ROOT = Path(__file__).resolve().parent.parent
LINEAR = str(ROOT / "examples" / "linear_gaussian.py")

pytestmark = pytest.mark.usefixtures("one_thread")


def _get(app: Any, path: str) -> Any:
    """``GET path`` on the WSGI ``app``, decoded from JSON."""
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET",
                               "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, *exc: status.append(s)))
    assert status[0].startswith("200"), (status, body[:200])
    return json.loads(body)


def test_dashboard_reads_unsafe_trials_as_infeasible(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = tmp_path / "s.sme-journal"
    code, _, _ = run_cli(capsys, "search", LINEAR, "--trials", "16", "--seed", "2",
                         "--points", "101", "--margin-directions", "2", "--threads", "1",
                         "--sampler", "random", "--storage", str(storage), "--json")
    assert code == 0
    app = optuna_dashboard.wsgi(StorageSpec(str(storage)).open())
    studies = _get(app, "/api/studies")["study_summaries"]
    assert [s["study_name"] for s in studies] == ["linear-gaussian"]
    detail = _get(app, f"/api/studies/{studies[0]['study_id']}")
    assert detail["objective_names"] == ["fidelity", "distance", "margin"]
    complete = [t for t in detail["trials"] if t["state"] == "Complete"]
    phases = set()
    for trial in complete:
        attrs = {a["key"]: a["value"] for a in trial["user_attrs"]}
        phases.add(attrs["phase"])
        # what the dashboard's plots and tables test: every constraint ≤ 0 means feasible
        feasible_there = all(c <= 0 for c in trial["constraints"])
        assert trial["constraints"], trial
        assert feasible_there == (attrs["phase"] == "safe"), (trial["number"], attrs)
    assert "safe" in phases and phases - {"safe"}, phases  # both kinds are exercised
    # the dashboard's "Best Trials" ignore constraints; the study names the best safe one
    study_attrs = {a["key"]: json.loads(a["value"]) for a in detail["user_attrs"]
                   if a["key"] == "best_safe_trial"}
    best = best_candidate(optuna.load_study(study_name="linear-gaussian",
                                            storage=StorageSpec(str(storage)).open()))
    assert best is not None and study_attrs["best_safe_trial"]["trial"] == best.trial
    assert study_attrs["best_safe_trial"]["phase"] == "safe"
