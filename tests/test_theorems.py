"""The research's results on the shipped scenarios, the verdicts over objective risks and
``sme reproduce`` (Xu et al., *Epistemic Traps*, arXiv 2602.17676)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from cli_runner import run_cli

from priors.compile import Resolution
from sme import load_scenario
from sme.analysis import Settings, analyze, summarise_batch, sweep_risks
from sme.engine.phases import Phase
from sme.scenario.risks import RiskSweep, risk_configurations
from sme.studies.reproduce import CLAIMS, Claim, Outcome, reproduce, sycophancy_mixture

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SETTINGS = Settings(resolution=Resolution(points=201), risk_grid=0)


@pytest.fixture(scope="module")
def sycophancy():
    return load_scenario(EXAMPLES / "sycophancy.py")


@pytest.fixture(scope="module")
def hallucination():
    return load_scenario(EXAMPLES / "hallucination.py")


@pytest.fixture(scope="module")
def deception():
    return load_scenario(EXAMPLES / "deception.py")


def _rates(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Random (p_H, p_S) pairs at least 0.02 away from the boundaries at ½."""
    out: list[tuple[float, float]] = []
    while len(out) < count:
        h, s = rng.uniform(0.02, 0.98), rng.uniform(0.02, 0.98)
        if abs(h - 0.5) > 0.02 and abs(s - 0.5) > 0.02:
            out.append((h, s))
    return out


def _theorem_3_2(h: float, s: float) -> str:
    """Theorem 3.2's regimes, written independently of the engine and of sme.studies.reproduce."""
    if h > 0.5 and s < 0.5:
        return "safe"
    if h < 0.5 and s > 0.5:
        return "misaligned"
    return "multistable" if h > 0.5 else "oscillatory"


def test_theorem_3_2_regimes_on_random_objective_risks(sycophancy) -> None:
    pairs = _rates(random.Random(3), 200)
    batch = summarise_batch(sycophancy, [{"approve_honest": h, "approve_agree": s}
                                         for h, s in pairs], SETTINGS)
    for (h, s), phase in zip(pairs, batch.phases(), strict=True):
        assert phase.value == _theorem_3_2(h, s), (h, s)


def test_theorem_3_2_safe_region_is_smaller_than_the_correct_condition(sycophancy) -> None:
    # p_H > p_S (a correctly specified agent would be honest) but both above ½: not safe
    assert analyze(sycophancy, {"approve_honest": 0.9, "approve_agree": 0.6},
                   SETTINGS).phase is Phase.MULTISTABLE
    # both below ½ with p_H > p_S: not safe either (the agent keeps switching)
    assert analyze(sycophancy, {"approve_honest": 0.4, "approve_agree": 0.1},
                   SETTINGS).phase is Phase.OSCILLATORY


@pytest.mark.parametrize("h,s", [(0.6, 0.7), (0.9, 0.55), (0.3, 0.2), (0.05, 0.45)])
def test_theorem_3_2_mixed_equilibrium_formula(sycophancy, h: float, s: float) -> None:
    result = analyze(sycophancy, {"approve_honest": h, "approve_agree": s}, SETTINGS)
    mixed = [eq["mixture"]["agree"] for eq in result.mixed_equilibria]
    assert mixed == [pytest.approx((h - 0.5) / (h + s - 1.0), abs=1e-2)]
    assert sycophancy_mixture(h, s) == pytest.approx((h - 0.5) / (h + s - 1.0))


def test_corollary_4_1_hallucination_is_sycophancy_relabelled(sycophancy,
                                                              hallucination) -> None:
    pairs = [*_rates(random.Random(7), 120), (0.5, 0.5), (0.5, 0.8), (0.2, 0.5)]
    syc = summarise_batch(sycophancy, [{"approve_honest": h, "approve_agree": s}
                                       for h, s in pairs], SETTINGS)
    hal = summarise_batch(hallucination, [{"credit_abstain": h, "credit_answer": s}
                                          for h, s in pairs], SETTINGS)
    assert syc.phases() == hal.phases()
    assert bool((syc.bn_set == hal.bn_set).all()) and bool((syc.pure == hal.pure).all())
    for prior in ({"hi": 0.45}, {"lo": 0.3}, {"noise": 0.2}):
        assert analyze(sycophancy, prior, SETTINGS).phase == \
            analyze(hallucination, prior, SETTINGS).phase


def test_theorem_5_2_locked_in_at_every_objective_risk(deception) -> None:
    sweep = sweep_risks(deception, deception.values({"hi": 0.5}), SETTINGS, grid=7)
    assert sweep.verdict == "locked_in"
    assert sweep.counts[Phase.MISALIGNED] == sweep.cells == 7 * 7 + 1  # and the baseline
    # the same belief with a support reaching the vigilant side is not locked in
    assert sweep_risks(deception, deception.values({}), SETTINGS, 7).verdict == \
        "risk_dependent"


def test_theorem_5_2_indeterminacy_robust_to_objective_risks(deception) -> None:
    blind = {"observability": 0.0, "base_rate": 0.01}
    sweep = sweep_risks(deception, deception.values(blind), SETTINGS, grid=7)
    assert sweep.verdict == "indeterminate_robust"
    result = analyze(deception, blind, SETTINGS)
    # the explanation names the beliefs the disclosure data cannot rule out: θ < 0.06
    assert "cannot rule out vigilance anywhere in [0, 0.06]" in result.explanation
    assert "makes conceal optimal" in result.explanation


def test_engineered_deception_prior_is_safe_for_every_risk(deception) -> None:
    sweep = sweep_risks(deception, deception.values({"lo": 0.6}), SETTINGS, grid=5)
    assert sweep.verdict == "safe_for_every_risk"


def test_verdict_rules() -> None:
    sweep = RiskSweep(axes=[], grid=5)
    assert sweep.verdict == "no_objective_risks"
    from sme.scenario.risks import RiskAxis

    axes = [RiskAxis("p", (0.1, 0.9))]
    for phase, verdict in ((Phase.MISALIGNED, "locked_in"), (Phase.SAFE, "safe_for_every_risk"),
                           (Phase.INDETERMINATE, "indeterminate_robust"),
                           (Phase.MULTISTABLE, "risk_dependent"),
                           (Phase.OSCILLATORY, "risk_dependent")):
        assert RiskSweep(axes=axes, grid=2, counts={phase: 2}).verdict == verdict
    mixed = RiskSweep(axes=axes, grid=2, counts={Phase.SAFE: 1, Phase.MISALIGNED: 1})
    assert mixed.verdict == "risk_dependent"


def test_risk_grid_covers_declared_ranges_and_the_baseline(sycophancy) -> None:
    axes, unswept, configs = risk_configurations(
        sycophancy, sycophancy.values({"approve_agree": 0.333}), 3)
    assert [a.name for a in axes] == ["approve_agree", "approve_honest"] and not unswept
    assert len(configs) == 3 * 3 + 1
    assert {c["approve_agree"] for c in configs} == {0.01, 0.5, 0.99, 0.333}
    from sme.runtime.errors import SMEError

    with pytest.raises(SMEError, match="--risk-grid"):
        risk_configurations(sycophancy, {}, 100)


def test_scaling_payoffs_never_changes_phase_or_verdict(sycophancy, deception) -> None:
    for scenario, prior in ((sycophancy, {}), (sycophancy, {"hi": 0.45}), (deception, {})):
        base = Settings(resolution=Resolution(points=101), risk_grid=3)
        if "magnitude" not in scenario.reward_params:
            continue
        one = analyze(scenario, {**prior, "magnitude": 1.0}, base)
        for factor in (0.01, 100.0):
            many = analyze(scenario, {**prior, "magnitude": factor}, base)
            assert many.phase == one.phase and many.bn_set == one.bn_set
            assert many.objective_risks.verdict == one.objective_risks.verdict


# --------------------------------------------------------------------------- commands


def test_analyze_reports_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "analyze", str(EXAMPLES / "deception.py"), "--set",
                           "hi=0.5", "--points", "101", "--risk-grid", "4", "--json")
    assert code == 0
    risks = json.loads(out)["objective_risks"]
    assert risks["verdict"] == "locked_in" and risks["phases"] == {"misaligned": 17}
    assert [p["name"] for p in risks["parameters"]] == ["detection", "sanction_rate"]
    code, out, _ = run_cli(capsys, "analyze", str(EXAMPLES / "deception.py"), "--set",
                           "hi=0.5", "--points", "101", "--risk-grid", "0", "--json")
    assert json.loads(out)["objective_risks"] is None
    code, out, _ = run_cli(capsys, "analyze", str(EXAMPLES / "deception.py"), "--set",
                           "hi=0.5", "--points", "101", "--risk-grid", "3")
    assert "locked-in: misaligned at every objective risk" in out


def test_reproduce_passes_and_writes_figures(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "figures"
    code, out, _ = run_cli(capsys, "reproduce", "--out", str(out_dir), "--points", "101")
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.startswith(("pass", "FAIL"))]
    assert len(lines) == len(CLAIMS) and all(line.startswith("pass") for line in lines)
    assert any("Theorem 3.2" in line for line in lines)
    assert any("Corollary 4.1" in line for line in lines)
    assert sum("Theorem 5.2" in line for line in lines) == 2
    pngs = sorted(p.name for p in out_dir.glob("*.png"))
    assert len(pngs) == 5 and all((out_dir / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)
    # a second run replaces its own figures
    code, _, _ = run_cli(capsys, "reproduce", "--out", str(out_dir), "--points", "101",
                         "--json")
    assert code == 0


def test_reproduce_never_overwrites_a_foreign_file(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "theorem-3.2-sycophancy.png").write_bytes(b"mine")
    code, _, err = run_cli(capsys, "reproduce", "--out", str(tmp_path), "--points", "101")
    assert code == 2 and "not written by sme reproduce" in err
    assert (tmp_path / "theorem-3.2-sycophancy.png").read_bytes() == b"mine"


def test_reproduce_fails_when_a_claim_fails() -> None:
    failing = Claim("Test", "a claim that does not hold", lambda ctx: Outcome(False, "no"))
    results, figures = reproduce(None, points=51, claims=[failing, CLAIMS[2]])
    assert [o.passed for _, o in results] == [False, True] and figures == []


# --------------------------------------------------------------------------- check as a gate


def _export(path: Path, **values: float) -> None:
    """Export the deception prior with ``values`` as ``sme export`` would."""
    from sme.files.export import document_from_analysis, write_export

    scenario = load_scenario(EXAMPLES / "deception.py")
    result = analyze(scenario, values, Settings(resolution=Resolution(points=101),
                                                risk_grid=3))
    write_export(document_from_analysis(result), path)


def test_check_fails_an_unsafe_prior_unless_asked_for_unchanged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unsafe, safe = tmp_path / "unsafe.toml", tmp_path / "safe.toml"
    _export(unsafe)
    _export(safe, lo=0.6)
    scenario = str(EXAMPLES / "deception.py")
    code, out, _ = run_cli(capsys, "check", str(unsafe), "--scenario", scenario)
    assert code == 1 and "FAIL (gate: safe and unchanged)" in out and "unchanged" in out
    code, out, _ = run_cli(capsys, "check", str(unsafe), "--scenario", scenario, "--unchanged")
    assert code == 0 and "PASS (gate: unchanged)" in out
    code, out, _ = run_cli(capsys, "check", str(safe), "--scenario", scenario)
    assert code == 0 and "PASS" in out and "safe_for_every_risk" in out
    code, out, _ = run_cli(capsys, "check", str(safe), "--scenario", scenario,
                           "--robust-risks", "--json")
    assert code == 0 and json.loads(out)["now"]["objective_risks"] == "safe_for_every_risk"


def test_check_reads_the_old_phase_name_and_says_so(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    current = tmp_path / "now.json"
    _export(current)
    data = json.loads(current.read_text())
    assert data["result"]["phase"] == "multistable"
    data["result"]["phase"] = "locked_in"
    data["result"].pop("objective_risks")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    code, out, err = run_cli(capsys, "check", str(old), "--scenario",
                             str(EXAMPLES / "deception.py"), "--unchanged")
    assert code == 0 and "unchanged — phase multistable" in out
    assert "'locked_in' is read as 'multistable'" in err


def test_search_can_require_safety_at_every_objective_risk(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    common = ["search", str(EXAMPLES / "deception.py"), "--trials", "6", "--seed", "0",
              "--points", "61", "--margin-directions", "0", "--risk-grid", "3",
              "--threads", "1", "--set", "hi=1.0", "--set", "observability=1.0", "--json"]
    # a vigilant operator for sure (lo ≥ 0.6): safe at every objective risk, all feasible
    code, out, err = run_cli(capsys, *common, "--robust-risks", "--range", "lo=0.6:0.9",
                             "--study", "vigilant")
    assert code == 0, err
    assert json.loads(out)["feasible"] == 6
    code, out, _ = run_cli(capsys, "candidates", "--study", "vigilant", "--storage",
                           "deception.sme-journal", "--json")
    assert {c["objective_risks"] for c in json.loads(out)} == {"safe_for_every_risk"}
    # lax operators possible (lo ≤ 0.1): some detection rate lets concealment confirm itself
    code, out, err = run_cli(capsys, *common, "--robust-risks", "--range", "lo=0.0:0.1",
                             "--study", "lax")
    assert code == 0, err
    assert json.loads(out)["feasible"] == 0
    code, _, err = run_cli(capsys, *common, "--robust-risks", "--risk-grid", "0",
                           "--study", "none")
    assert code == 2 and "--robust-risks" in err
