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
    assert sorted(data["many_actions"], key=int) == ["3", "4", "5", "8"]
    for k, figures in data["many_actions"].items():
        assert figures["actions"] == int(k)
        assert figures["batched_per_s"] > 0 and figures["plain_per_s"] > 0
        assert figures["ratio"] == pytest.approx(figures["batched_per_s"]
                                                 / figures["plain_per_s"])
        assert figures["plain_agrees"] is True
    assert data["phase_diagram_200_s"] > 0
    assert data["simulate"]["learner_steps_per_s"] > 0
    search = data["search"]
    assert search["trials_per_s"] > 0
    assert 0 < search["evaluation_share"] < 1
    assert search["journal_vs_sqlite"] == pytest.approx(search["trials_per_s"]
                                                        / search["sqlite_trials_per_s"])
    assert data["peak_rss_mb"] >= analysis["peak_rss_mb"] > 0
    assert data["device"] == "cpu"
    load = data["under_load"]
    assert load["competitors"] >= load["cores"] == load["default_threads"]
    assert load["chosen_threads"] == 1  # the competitors leave no core free: one thread
    assert load["default_vs_chosen"] == pytest.approx(load["default_s"] / load["chosen_s"])
    assert load["chosen_vs_one"] == pytest.approx(load["chosen_s"] / load["one_thread_s"])
    assert data["peak_rss_mb"] >= load["peak_rss_mb"] > 0
    large = data["large_batch"]
    assert large["batch"] == 16 * large["small_batch"]
    assert large["within_limit"] is True and large["peak_rss_mb"] < large["limit_mb"]
    assert large["growth_mb"] == pytest.approx(large["peak_rss_mb"]
                                               - large["small_peak_rss_mb"])
    assert data["within_memory_limit"] is True
    real = data["reward_hacking"]
    ra = real["analysis"]
    assert ra["plain_agrees"] is True and ra["points"] == 16 * 16
    assert ra["ratio"] == pytest.approx(ra["batched_per_s"] / ra["plain_per_s"])
    report = real["report"]
    assert report["edit_to_phase_s"] > 0 and report["report_s"] > 0
    assert report["plain_vs_report"] == pytest.approx(report["plain_phase_s"]
                                                      / report["report_s"])
    diagram = real["phase_diagram"]
    assert diagram["cells"] == 10 and diagram["ratio"] == pytest.approx(
        diagram["plain_estimate_s"] / diagram["seconds"])
    assert real["search"]["trials_per_s"] > 0
    assert real["search"]["time_per_trial_vs_toy"] == pytest.approx(
        search["trials_per_s"] / real["search"]["trials_per_s"])
    one, two = real["scaling"]["one_latent"], real["scaling"]["two_latents"]
    assert [r["points"] for r in one] == [401, 1001]
    assert [r["points"] for r in two] == [256, 1024]
    assert one[0]["per_point_vs_first"] == two[0]["per_point_vs_first"] == 1.0


def test_a_cuda_run_reports_the_cpu_figures_beside_it(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """On a CUDA device the same measurements run on the CPU too, with GPU/CPU ratios (the
    measurements themselves are replaced here: this machine has no GPU)."""
    import sme.benchmarks.bench

    def figures(device: str, quick: bool, say: object) -> dict[str, object]:
        speed = 10.0 if device.startswith("cuda") else 1.0
        return {"device": device, "device_name": device, "threads": 2, "torch": "x",
                "analysis": {"batched_per_s": 500.0 * speed, "plain_per_s": 1.0,
                             "ratio": 500.0 * speed, "points": 401, "batch": 4096,
                             "runs": 5, "plain_agrees": True, "peak_rss_mb": 100.0},
                "phase_diagram_200_s": 5.0 / speed,
                "phase_diagram": {"seconds": 5.0 / speed, "peak_rss_mb": 100.0},
                "search": None,
                "simulate": {"learner_steps_per_s": 1e5 * speed, "learners": 10, "steps": 10,
                             "peak_rss_mb": 100.0},
                "peak_rss_mb": 100.0}

    monkeypatch.setattr(sme.benchmarks.bench, "_measure_all", figures)
    result = sme.benchmarks.bench.run_bench("cuda")
    assert result["device"] == "cuda" and result["cpu"]["device"] == "cpu"
    assert result["gpu_vs_cpu"] == pytest.approx(
        {"analysis": 10.0, "phase_diagram_200": 10.0, "simulate": 10.0})
    import sme.analysis
    import sme.runtime.limits

    monkeypatch.setattr(sme.analysis, "resolve_device", lambda name: "cuda")
    monkeypatch.setattr(sme.runtime.limits, "check_device", lambda name: name)
    assert main(["bench", "--device", "cuda"]) == 0
    out = capsys.readouterr().out
    assert "GPU vs CPU: analysis ×10.0" in out and "sme bench — cpu" in out
