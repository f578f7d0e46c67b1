"""Objective risks say where each phase holds, and reward parameters can be swept too."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from priors.compile import Resolution
from sme import Scenario, load_scenario
from sme.analysis import Settings, analyze, sweep_risks
from sme.cli import main
from sme.engine.phases import Phase
from sme.files.export import document_from_analysis, read_export, write_export
from sme.runtime.errors import SMEError
from sme.scenario.risks import RiskAxis, RiskSweep, describe_region
from sme.studies.check import check_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SMALL = Resolution(points=61, max_points=256)
ENGINEERED = {"catch_lo": 0.55, "skill_lo": 0.3}  # reward_hacking's safe prior

A = RiskAxis("a", (0.0, 0.25, 0.5, 0.75, 1.0))
B = RiskAxis("b", (0.1, 0.2, 0.3))
C = RiskAxis("scheme", ("approval", "audited"))


@pytest.mark.parametrize(("cells", "text"), [
    ([(0.5, 0.1)], "where a = 0.5 and b = 0.1"),
    ([(a, b) for a in (0.75, 1.0) for b in B.values], "where a ≥ 0.75"),
    ([(a, b) for a in (0.0, 0.25) for b in (0.2, 0.3)], "where a ≤ 0.25 and b ≥ 0.2"),
    ([(a, 0.2) for a in (0.25, 0.5, 0.75)], "where a in [0.25, 0.75] and b = 0.2"),
    ([(a, 0.3) for a in (0.0, 1.0)], "where a ∈ {0, 1} and b = 0.3"),
    ([(a, b) for a in A.values for b in B.values], "everywhere on the grid"),
    ([(0.0, 0.1), (0.25, 0.2)], "where a ≤ 0.25 and b ≤ 0.2 (2 of those 4 cells)"),
])
def test_regions_in_words(cells: list[tuple[float, float]], text: str) -> None:
    assert describe_region([A, B], cells) == text


def test_a_categorical_axis_is_listed_not_ordered() -> None:
    assert describe_region([C, B], [("audited", 0.1)]) == "where scheme = audited and b = 0.1"


def _holds(axes: list[RiskAxis], text: str, cell: tuple[float, ...]) -> bool:
    """Whether ``cell`` satisfies a region text without a '(k of those m cells)' note."""
    if text == "everywhere on the grid":
        return True
    for clause in text.removeprefix("where ").split(" and "):
        name, op, value = clause.split(" ", 2)
        k = [a.name for a in axes].index(name)
        v = cell[k]
        if op == "=" and f"{v:.3g}" != value:
            return False
        if op == "≤" and v > float(value):
            return False
        if op == "≥" and v < float(value):
            return False
        if op == "in":
            low, high = (float(x) for x in value.strip("[]").split(", "))
            if not low <= v <= high:
                return False
        if op == "∈" and f"{v:.3g}" not in value.strip("{}").split(", "):
            return False
    return True


def test_a_region_without_a_note_is_exactly_the_cells_of_that_phase() -> None:
    """Random phase maps on a 5 × 3 grid: a region text claims a cell iff the cell has that
    phase, unless the text says it covers only part of its box."""
    rng = random.Random(0)
    grid = list(itertools.product(A.values, B.values))
    for _ in range(200):
        cut_a, cut_b = rng.choice(A.values), rng.choice(B.values)
        noisy = rng.random() < 0.3
        phases = {cell: Phase.SAFE if (cell[0] >= cut_a and cell[1] <= cut_b)
                  != (noisy and rng.random() < 0.2) else Phase.MULTISTABLE for cell in grid}
        sweep = RiskSweep(axes=[A, B], grid=5, by_cell=list(phases.items()),
                          counts={p: sum(v is p for v in phases.values()) for p in Phase})
        for phase, text in sweep.regions().items():
            if "of those" in text:
                continue
            assert all(_holds([A, B], text, cell) == (p is phase) for cell, p in phases.items()), \
                (phase, text, phases)


@pytest.fixture(scope="module")
def hacking() -> Scenario:
    return load_scenario(EXAMPLES / "reward_hacking.py")


def test_the_sweep_says_where_each_phase_holds(hacking: Scenario) -> None:
    result = analyze(hacking, {}, Settings(resolution=SMALL, risk_grid=3))
    data = result.to_json()["objective_risks"]
    assert len(data["by_cell"]) == data["cells"] == 28
    assert set(data["regions"]) == set(data["phases"]) and len(data["phases"]) > 1
    assert data["swept"] == ["solve_rate", "catch_hardcode", "catch_delete"]
    summary = result.objective_risks.summary()
    for phase, text in data["regions"].items():
        assert f"{phase} {text}" in summary
    # every cell recorded is a cell of the grid (or the analysed point) with its phase
    assert sum(1 for c in data["by_cell"] if c["phase"] == "indeterminate") == \
        data["phases"].get("indeterminate", 0)


def test_sweeping_a_reward_parameter_finds_what_the_world_sweep_cannot(hacking: Scenario) -> None:
    """The engineered prior is safe at every world parameter; at penalty = 0 a shortcut
    pays (U(delete_tests) = 0.9 (1 − κ) > U(solve) at the lowest skill)."""
    world = sweep_risks(hacking, hacking.values(ENGINEERED), Settings(resolution=SMALL), 3)
    assert world.verdict == "safe_for_every_risk"
    both = Settings(resolution=SMALL, risk_params=("penalty", "solve_rate"))
    sweep = sweep_risks(hacking, hacking.values(ENGINEERED), both, 3)
    assert [a.name for a in sweep.axes] == ["penalty", "solve_rate"]
    assert sweep.verdict == "risk_dependent"
    unsafe = [values for values, phase in sweep.by_cell if phase is not Phase.SAFE]
    assert unsafe and all(values[0] == 0.0 for values in unsafe)
    assert "where penalty = 0" in " ".join(sweep.regions().values())


@pytest.mark.parametrize(("names", "message"), [
    (("catch_lo",), "'catch_lo' is a prior parameter"),
    (("nonesuch",), "'nonesuch' is not a declared parameter"),
])
def test_risk_params_must_be_world_or_reward_parameters(hacking: Scenario,
                                                        names: tuple[str, ...],
                                                        message: str) -> None:
    with pytest.raises(SMEError, match=message):
        sweep_risks(hacking, hacking.values({}), Settings(resolution=SMALL, risk_params=names))


def test_risk_params_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["analyze", str(EXAMPLES / "reward_hacking.py"), "--json", "--risk-grid", "3",
            "--risk-params", "penalty,solve_rate", *[f"--set={k}={v}" for k, v in
                                                      ENGINEERED.items()]]
    assert main(argv) == 0
    risks = json.loads(capsys.readouterr().out)["objective_risks"]
    assert risks["swept"] == ["penalty", "solve_rate"] and risks["verdict"] == "risk_dependent"
    assert main([*argv[:-4], "--risk-params", "catch_lo"]) == 2
    err = capsys.readouterr().err
    assert "--risk-params: 'catch_lo' is a prior parameter" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as stopped:  # argparse's own usage error
        main([*argv[:-4], "--risk-params", "penalty,,solve_rate"])
    assert stopped.value.code == 2
    assert "--risk-params: expected distinct names" in capsys.readouterr().err


def test_an_export_records_the_swept_parameters_and_check_sweeps_them_again(
        hacking: Scenario, tmp_path: Path) -> None:
    settings = Settings(resolution=SMALL, risk_grid=3, risk_params=("penalty",))
    analysis = analyze(hacking, ENGINEERED, settings)
    assert analysis.objective_risks.verdict == "risk_dependent"
    path = tmp_path / "prior.json"
    write_export(document_from_analysis(analysis), path)
    document = read_export(path)
    assert document.result.objective_risks.swept == ["penalty"]
    # check with default settings (every world parameter) still sweeps the penalty
    result = check_document(document, hacking, Settings(resolution=SMALL), str(path))
    assert result.verdict == "risk_dependent" == result.recorded_verdict


def test_a_search_sweeps_the_named_reward_parameters_at_every_trial(hacking: Scenario) -> None:
    from search.objectives import Evaluator, ObjectiveSpec
    from search.space import build_space

    space, _ = build_space(hacking, [], {})
    settings = Settings(resolution=SMALL, risk_grid=3, risk_params=("penalty",))
    evaluator = Evaluator(hacking, space, {}, [], ObjectiveSpec(), settings)
    assert [c["penalty"] for c in evaluator.risk_contexts] == [0.0, 2.5, 5.0]
    result = evaluator.evaluate([{**dict(space.baseline), **ENGINEERED}])[0]
    assert result.objective_risks["verdict"] == "risk_dependent"
    assert result.objective_risks["swept"] == ["penalty"]
