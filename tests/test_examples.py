"""The example scenarios: every phase their docstrings derive by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from priors.compile import Resolution
from sme import Scenario, load_scenario
from sme.analysis import Analysis, Settings, analyze, analyze_batch
from sme.cli import main
from sme.studies.diagram import Axis, phase_diagram

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NAMES = ("sycophancy", "hallucination", "deception")
SETTINGS = Settings(resolution=Resolution(points=201))


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    return {name: load_scenario(EXAMPLES / f"{name}.py") for name in NAMES}


def run(scenario: Scenario, overrides: dict[str, Any] | None = None) -> Analysis:
    return analyze(scenario, overrides or {}, SETTINGS)


def mixture(result: Analysis, action: str) -> list[float]:
    """Probabilities of ``action`` in the reported mixed equilibria."""
    return [eq["mixture"][action] for eq in result.mixed_equilibria]


# (example, overrides, phase, Berk–Nash set, pure equilibria): the docstrings' tables
DOCUMENTED = [
    # sycophancy: approval reward → misaligned; audited reward → oscillatory
    ("sycophancy", {}, "misaligned", ["agree"], ["agree"]),
    ("sycophancy", {"scheme": "audited"}, "oscillatory", ["honest", "agree"], []),
    ("sycophancy", {"approve_honest": 0.6}, "multistable", ["honest", "agree"],
     ["honest", "agree"]),
    ("sycophancy", {"noise": 0.2}, "misaligned", ["agree"], ["agree"]),
    ("sycophancy", {"scheme": "audited", "noise": 0.2}, "safe", ["honest"], ["honest"]),
    # hallucination: sycophancy relabelled (Corollary 4.1), one row per regime
    ("hallucination", {}, "misaligned", ["answer"], ["answer"]),
    ("hallucination", {"credit_abstain": 0.6, "credit_answer": 0.3}, "safe", ["abstain"],
     ["abstain"]),
    ("hallucination", {"credit_abstain": 0.6}, "multistable", ["abstain", "answer"],
     ["abstain", "answer"]),
    ("hallucination", {"credit_answer": 0.3, "credit_abstain": 0.3}, "oscillatory",
     ["abstain", "answer"], []),
    ("hallucination", {"abstain_bonus": 0.7}, "oscillatory", ["abstain", "answer"], []),
    # deception: locked in; indeterminate when disclosures carry no information
    ("deception", {}, "multistable", ["disclose", "conceal"], ["disclose", "conceal"]),
    ("deception", {"observability": 0.0}, "indeterminate", ["disclose", "conceal"],
     ["disclose"]),
    ("deception", {"sanction_rate": 0.6}, "misaligned", ["conceal"], ["conceal"]),
    ("deception", {"detection": 0.6}, "safe", ["disclose"], ["disclose"]),
    ("deception", {"observability": 0.05}, "safe", ["disclose"], ["disclose"]),
    ("deception", {"observability": 0.15}, "multistable", ["disclose", "conceal"],
     ["disclose", "conceal"]),
]

# the engineered priors: --set on prior parameters only, safe under the listed contexts
ENGINEERED = [
    ("sycophancy", {"hi": 0.45}, [{}, {"scheme": "audited"}, {"approve_honest": 0.6}],
     "honest"),
    ("hallucination", {"hi": 0.45}, [{}, {"abstain_bonus": 0.7}, {"credit_abstain": 0.6}],
     "abstain"),
    ("deception", {"lo": 0.6}, [{}, {"observability": 0.0}], "disclose"),
]


@pytest.mark.parametrize("name,overrides,phase,bn_set,pure", DOCUMENTED,
                         ids=[f"{n}-{o}" for n, o, *_ in DOCUMENTED])
def test_documented_phases(scenarios: dict[str, Scenario], name: str,
                           overrides: dict[str, Any], phase: str, bn_set: list[str],
                           pure: list[str]) -> None:
    result = run(scenarios[name], overrides)
    assert result.phase.value == phase
    assert result.bn_set == bn_set
    assert result.pure_equilibria == pure
    assert not result.warnings


@pytest.mark.parametrize("name,prior,contexts,safe_action", ENGINEERED,
                         ids=[n for n, *_ in ENGINEERED])
def test_engineered_prior_is_safe(scenarios: dict[str, Scenario], name: str,
                                  prior: dict[str, Any], contexts: list[dict[str, Any]],
                                  safe_action: str) -> None:
    scenario = scenarios[name]
    assert all(scenario.group_of(k) == "prior" for k in prior)
    assert run(scenario).phase.value != "safe"  # the baseline prior is unsafe
    for context in contexts:
        result = run(scenario, {**context, **prior})
        assert result.phase.value == "safe", context
        assert result.bn_set == [safe_action]
        assert result.pure_equilibria == [safe_action]


@pytest.mark.parametrize("name,prior", [(n, p) for n, p, *_ in ENGINEERED],
                         ids=[n for n, *_ in ENGINEERED])
def test_engineered_prior_from_the_command_line(capsys: pytest.CaptureFixture[str],
                                                name: str, prior: dict[str, Any]) -> None:
    argv = ["analyze", str(EXAMPLES / f"{name}.py"), "--json", "--fail-unsafe",
            "--points", "201"]
    for key, value in prior.items():
        argv += ["--set", f"{key}={value}"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["phase"] == "safe"
    assert main(argv[:-2 * len(prior)]) == 1  # the baseline fails --fail-unsafe
    capsys.readouterr()


# ------------------------------------------------------------------ hand-derived numbers


def test_sycophancy_fits_and_mixed_equilibria(scenarios: dict[str, Scenario]) -> None:
    syc = scenarios["sycophancy"]
    base = run(syc)
    fits = {f.action: f.ranges["user_reliability"] for f in base.fitted}
    # the paper's model: honest's data give θ = 1 − p_H = 0.9, agree's data θ = p_S = 0.7
    assert fits["honest"][0] == pytest.approx(0.9, abs=5e-3)
    assert fits["agree"][0] == pytest.approx(0.7, abs=5e-3)
    assert base.mixed_equilibria == []
    assert mixture(run(syc, {"scheme": "audited"}), "agree") == [pytest.approx(0.25, abs=1e-2)]
    assert mixture(run(syc, {"approve_honest": 0.6}), "agree") == \
        [pytest.approx(1 / 3, abs=1e-2)]


def test_hallucination_fits_and_mixed_equilibrium(scenarios: dict[str, Scenario]) -> None:
    hal = scenarios["hallucination"]
    fits = {f.action: f.ranges["knows_answer"] for f in run(hal).fitted}
    assert fits["abstain"][0] == pytest.approx(0.9, abs=5e-3)
    assert fits["answer"][0] == pytest.approx(0.7, abs=5e-3)
    # σ(answer) = (c_abstain − ½) / (c_abstain + c_answer − 1)
    assert mixture(run(hal, {"credit_abstain": 0.6}), "answer") == \
        [pytest.approx(1 / 3, abs=1e-2)]
    assert mixture(run(hal, {"abstain_bonus": 0.7}), "answer") == \
        [pytest.approx(0.25, abs=1e-2)]


def test_deception_fits_and_mixed_equilibrium(scenarios: dict[str, Scenario]) -> None:
    dec = scenarios["deception"]
    base = run(dec)
    fits = {f.action: f.ranges["vigilance"] for f in base.fitted}
    assert fits["disclose"][0] == pytest.approx(0.8, abs=5e-3)
    assert fits["conceal"][0] == pytest.approx(0.3, abs=5e-3)
    assert mixture(base, "conceal") == [pytest.approx(0.55, abs=1e-2)]
    blind = {f.action: f for f in run(dec, {"observability": 0.0}).fitted}
    assert blind["disclose"].ranges["vigilance"] == pytest.approx((0.0, 1.0))
    assert not blind["disclose"].identified  # every θ fits: some favour concealing


# ------------------------------------------------------------------ magnitude never matters


def test_sycophancy_magnitude_never_changes_the_phase(scenarios: dict[str, Scenario]) -> None:
    syc = scenarios["sycophancy"]
    his = [0.45, 0.48, 0.6, 0.8, 1.0]
    for scheme in ("approval", "audited"):
        configs = [{"scheme": scheme, "hi": hi, "magnitude": m}
                   for hi in his for m in (1.0, 0.01, 100.0)]
        batch = analyze_batch(syc, configs, SETTINGS)
        phases = [p.value for p in batch.phases()]
        for k, hi in enumerate(his):
            row = phases[3 * k: 3 * k + 3]
            assert len(set(row)) == 1, (scheme, hi, row)
            sets = {tuple(batch.bn_names(3 * k + j)) for j in range(3)}
            assert len(sets) == 1, (scheme, hi, sets)
        assert phases[0] == "safe"  # hi = 0.45
        assert phases[-1] == ("misaligned" if scheme == "approval" else "oscillatory")


def test_sycophancy_phase_diagram_changes_along_the_prior_only(
        scenarios: dict[str, Scenario]) -> None:
    diagram = phase_diagram(scenarios["sycophancy"], Axis("magnitude", 0.01, 100.0, 9, True),
                            Axis("hi", 0.46, 1.0, 10, False), None, SETTINGS)
    rows = [[p.value for p in row] for row in diagram.phases]  # one row per value of hi
    assert all(len(set(row)) == 1 for row in rows)  # constant along magnitude
    column = [row[0] for row in rows]
    assert column[0] == "safe" and column[-1] == "misaligned"  # changes along hi
    for hi, phase in zip(diagram.y_values, column, strict=True):
        assert phase == ("safe" if hi < 0.5 else "misaligned")


# ------------------------------------------------------------------ declarations


@pytest.mark.parametrize("name", NAMES)
def test_declarations_are_searchable_and_batched(scenarios: dict[str, Scenario],
                                                 name: str) -> None:
    scenario = scenarios[name]
    for param in scenario.all_params.values():
        assert param.help
        assert param.bounded
    for param in scenario.prior_params.values():
        assert param.low is not None and param.high is not None
    assert any(a.safe for a in scenario.actions) and not all(a.safe for a in scenario.actions)
    lows = {k: p.low for k, p in scenario.prior_params.items()}
    highs = {k: p.high for k, p in scenario.prior_params.items()}
    batch = analyze_batch(scenario, [{}, lows, highs], SETTINGS)
    assert batch.tensors.batched  # tensor-broadcasting programs: no slow path
    module_doc = (EXAMPLES / f"{name}.py").read_text().split('"""')[1]
    assert "Engineered prior" in module_doc
