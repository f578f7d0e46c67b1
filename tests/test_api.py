"""The Python interface (sme.api, re-exported lazily by `sme`): the same answers as the
engine and the design table, results with .phase/.bn_set/.to_json()/.plot(), `sme params`,
and a light `import sme`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

import sme
from sme.runtime.errors import SMEError

ROOT = Path(__file__).resolve().parent.parent
LINEAR = ROOT / "examples" / "linear_gaussian.py"

pytestmark = pytest.mark.usefixtures("one_thread")


def _linear_rule(m0: float, m1: float) -> str:
    """The design table's phases for g = (1, 2), c = (0, 2) over θ ∈ [−5, 5]: the data of
    a0 fit θ = m0, those of a1 fit θ = m1 / 2, and a1 is preferred iff θ > 2."""
    a0_to_a1, a1_to_a1 = m0 > 2, m1 / 2 > 2
    if not a0_to_a1 and not a1_to_a1:
        return "safe"
    if a0_to_a1 and a1_to_a1:
        return "misaligned"
    return "oscillatory" if a0_to_a1 else "multistable"


@pytest.mark.parametrize(("m0", "m1"), [(1, 1), (3, 6), (3, 1), (1, 6)])
def test_analyze_from_a_path_gives_the_design_table(m0: float, m1: float,
                                                    tmp_path: Path) -> None:
    result = sme.analyze(LINEAR, {"m0": m0, "m1": m1}, points=101)
    assert result.phase.value == _linear_rule(m0, m1)
    assert set(result.bn_set) == ({"a0"} if result.phase.value == "safe" else
                                  {"a1"} if result.phase.value == "misaligned" else
                                  {"a0", "a1"})
    assert json.loads(json.dumps(result.to_json()))["phase"] == result.phase.value
    figure = result.plot(tmp_path / "graph.png")
    assert (tmp_path / "graph.png").stat().st_size > 0
    assert result.phase.value in figure.axes[0].get_title()


def test_values_from_an_exported_file_and_bad_values(tmp_path: Path) -> None:
    prior = tmp_path / "p.toml"
    prior.write_text("[parameters.world]\nm0 = 1.0\nm1 = 6.0\n")
    assert sme.analyze(LINEAR, prior=prior, points=101).phase.value == "multistable"
    assert sme.analyze(LINEAR, {"m1": 1.0}, prior=prior, points=101).phase.value == "safe"
    with pytest.raises(SMEError.__mro__[1], match="'nope'"):  # the engine's ParamError
        sme.analyze(LINEAR, {"nope": 1.0})


def test_phase_diagram_cells_follow_the_rule(tmp_path: Path) -> None:
    diagram = sme.phase_diagram(LINEAR, "m0=-1.9:7.9:8", "m1=-1.9:7.9:8", points=101)
    for j, m1 in enumerate(diagram.y_values):
        for i, m0 in enumerate(diagram.x_values):
            assert diagram.phases[j][i].value == _linear_rule(m0, m1), (m0, m1)
    figure = diagram.plot(tmp_path / "d.svg")
    assert (tmp_path / "d.svg").read_text().startswith("<?xml")
    ax = figure.axes[0]
    # axis labels from the parameters' help; the baseline point is in the legend
    assert ax.get_xlabel() == "true mean outcome of a0 (m0)"
    assert "baseline" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_simulate_approaches_the_mixed_equilibrium_and_draws_it() -> None:
    sim = sme.simulate(LINEAR, {"m0": 3, "m1": 1}, learners=300, steps=1200, points=101)
    assert sim.phase == "oscillatory" and sim.bn_set == ["a0", "a1"]
    # DESIGN.md: in the oscillating case σ(a1) = 1/7
    (mixture,) = sim.mixed_equilibria
    assert mixture["a1"] == pytest.approx(1 / 7, abs=0.01)
    assert sim.frequencies["a1"] == pytest.approx(1 / 7, abs=0.03)
    ax = sim.plot().axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert sorted(round(line.get_ydata()[0], 2) for line in dashed) == [0.14, 0.86]
    assert len(ax.collections) == 2  # one spread band per action
    for lo_hi, share in zip(sim.spread[-1], sim.trajectory[-1], strict=True):
        assert lo_hi[0] <= share <= lo_hi[1]


def test_search_returns_a_safe_prior_the_engine_confirms(tmp_path: Path) -> None:
    result = sme.search(LINEAR, trials=16, seed=0, points=101, margin_directions=2,
                        storage=str(tmp_path / "s.sme-journal"))
    assert result.trials == 16 and result.feasible >= 1
    assert result.phase == "safe" and result.bn_set == ["a0"]
    assert sme.analyze(LINEAR, result.prior, points=101).phase.value == "safe"
    document = result.to_json()
    assert document["best_trial"] == result.best.trial
    assert len(document["candidates"]) == result.trials
    assert result.plot().axes[0].get_xlabel().startswith("distance")


def test_params_lists_every_declaration(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = sme.load_scenario(LINEAR)
    rows = sme.params(scenario)
    assert [r["name"] for r in rows] == list(scenario.all_params)
    by_name = {r["name"]: r for r in rows}
    assert by_name["lo"]["group"] == "prior" and by_name["m1"]["group"] == "world"
    assert by_name["scale"]["log"] and by_name["scale"]["low"] == 0.01
    code, out, _ = run_cli(capsys, "params", str(LINEAR), "--json")
    assert code == 0 and json.loads(out) == json.loads(json.dumps(rows))
    code, out, _ = run_cli(capsys, "params", str(LINEAR))
    assert code == 0 and "lower edge of the prior" in out and "[0.01, 100] log" in out


def test_help_and_import_stay_light() -> None:
    code = ("import sys, sme.cli; sme.cli.build_parser(); import sme; "
            "print(sorted(m for m in ('torch', 'pyro', 'optuna', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
    from sme import cli
    from sme.scenario import risks

    assert cli.DEFAULT_RISK_GRID == risks.DEFAULT_RISK_GRID


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python (notebooks)", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["result"].phase.value == "oscillatory"  # type: ignore[attr-defined]
    assert (tmp_path / "diagram.svg").exists()
    assert namespace["found"].phase == "safe"  # type: ignore[attr-defined]


def test_analyze_sweeps_objective_risks_unless_told_not_to() -> None:
    swept = sme.analyze(LINEAR, points=51, risk_grid=3)
    assert swept.objective_risks is not None
    assert sme.analyze(LINEAR, points=51, risk_grid=0).objective_risks is None
