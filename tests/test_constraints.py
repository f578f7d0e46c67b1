"""Relations between parameters (Scenario(constraints=[...])): parsed without running
anything, searched within (violations rejected before analysis, not failed trials), and
shown as invalid cells in phase diagrams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pyro
import pyro.distributions as dist
import pytest
import torch
from cli_runner import run_cli
from optuna.trial import TrialState
from rich.console import Console

from priors.compile import Resolution
from priors.constraints import Constraint, ConstraintError
from search.storage import StorageSpec
from sme import Action, Param, Scenario
from sme.analysis import Settings, analyze
from sme.figures.report import render_diagram
from sme.runtime.errors import ScenarioError, SMEError
from sme.studies.diagram import Axis, phase_diagram

SETTINGS = Settings(resolution=Resolution(points=51))

pytestmark = pytest.mark.usefixtures("one_thread")


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("text", "values", "holds"), [
    ("lo < hi", {"lo": 1, "hi": 2}, True),
    ("lo < hi", {"lo": 2, "hi": 2}, False),
    ("0 <= lo < hi <= 10", {"lo": 0, "hi": 10}, True),
    ("0 <= lo < hi <= 10", {"lo": -1, "hi": 3}, False),
    ("hi - lo >= 0.5 and not lo == 3", {"lo": 1, "hi": 1.5}, True),
    ("hi - lo >= 0.5 or lo > 9", {"lo": 1, "hi": 1.2}, False),
    ("max(lo, 0) ** 2 < log(exp(hi))", {"lo": 1, "hi": 2}, True),
    ("-lo > abs(hi) / 2", {"lo": -3, "hi": -4}, True),
    ("scheme != 'audited' or bonus > 0", {"scheme": "audited", "bonus": 0.0}, False),
])
def test_text_constraints_evaluate_like_python(text: str, values: dict[str, Any],
                                               holds: bool) -> None:
    constraint = Constraint.parse(text)
    assert constraint.holds(values) is holds
    assert set(constraint.names) <= set(values)


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "lo.real < 1",
                                  "[lo][0] < 1", "(lambda: 1)() < 2", "lo < ", "lo if hi else 1",
                                  "open('x') == 1", "lo < True"])
def test_anything_but_an_expression_of_parameters_is_refused(text: str) -> None:
    with pytest.raises(ConstraintError, match="constraint"):
        Constraint.parse(text)


def _world(action: Any, m0: Any, m1: Any) -> Any:
    return pyro.sample("y", dist.Normal(torch.where(action == 0, m0, m1), 1.0))


def _belief(action: Any, lo: Any, hi: Any) -> Any:
    theta = pyro.sample("theta", dist.Uniform(lo, hi))
    return pyro.sample("y", dist.Normal(theta * torch.where(action == 0, 1.0, 2.0), 1.0))


def _payoff(action: Any, y: Any) -> Any:
    return y - torch.where(action == 0, 0.0, 2.0)


def _scenario(constraints: Any = ("lo < hi",)) -> Scenario:
    # the design table's model, with overlapping declared ranges of the support's ends
    return Scenario(
        name="ranges", actions=[Action("a0", safe=True), Action("a1")], world=_world,
        belief=_belief, payoff=_payoff, observed=["y"],
        prior_params={"lo": Param(-2.0, low=-5.0, high=5.0), "hi": Param(4.0, low=-5.0, high=5.0)},
        world_params={"m0": Param(3.0, low=-5.0, high=10.0), "m1": Param(1.0)},
        constraints=list(constraints))


def test_declarations_are_checked_when_the_scenario_is_made() -> None:
    with pytest.raises(ScenarioError, match="'middle', which is not a declared parameter"):
        _scenario(["lo < middle"])
    with pytest.raises(ScenarioError, match="defaults violate constraint 'hi < lo'"):
        _scenario(["hi < lo"])
    with pytest.raises(ScenarioError, match="only the functions"):
        _scenario(["print(lo) < hi"])
    gap = _scenario([lambda lo, hi: hi - lo > 1.0])
    assert gap.violated({"lo": 0.0, "hi": 0.5, "m0": 3.0, "m1": 1.0}) == ["<lambda>"]


def test_analyze_refuses_values_outside_the_constraints() -> None:
    with pytest.raises(ScenarioError, match=r"constraint 'lo < hi' \(lo=3.0, hi=1.0\)"):
        analyze(_scenario(), {"lo": 3.0, "hi": 1.0}, SETTINGS)


# --------------------------------------------------------------------------- diagrams


def test_a_diagram_over_related_parameters_shows_invalid_cells() -> None:
    scenario = _scenario()
    diagram = phase_diagram(scenario, Axis("lo", -4.5, 4.5, 7, False),
                            Axis("hi", -4.5, 4.5, 7, False), {}, SETTINGS)
    for j, hi in enumerate(diagram.y_values):
        for i, lo in enumerate(diagram.x_values):
            phase = diagram.phases[j][i]
            if lo >= hi:
                assert phase is None
            else:  # each valid cell is what a single analysis of it says
                assert phase == analyze(scenario, {"lo": lo, "hi": hi}, SETTINGS).phase
    document = diagram.to_json()
    assert document["phases"][0][-1] == "invalid" and diagram.counts()["invalid"] == 28
    console = Console(width=120, record=True, color_system=None)
    render_diagram(diagram, console)
    assert "invalid: violates lo < hi" in console.export_text()
    legend = [t.get_text() for t in diagram.plot().axes[0].get_legend().get_texts()]
    assert "invalid" in legend


def test_without_constraints_the_refusal_suggests_declaring_them() -> None:
    with pytest.raises(SMEError, match=r"constraints=\['lo < hi'\]"):
        phase_diagram(_scenario(()), Axis("lo", -4.5, 4.5, 4, False),
                      Axis("hi", -4.5, 4.5, 4, False), {}, SETTINGS)


# --------------------------------------------------------------------------- searches


SCENARIO_FILE = '''
import pyro
import pyro.distributions as dist
import torch

from sme import Action, Param, Scenario


def world(action, m0, m1):
    return pyro.sample("y", dist.Normal(torch.where(action == 0, m0, m1), 1.0))


def belief(action, lo, hi):
    theta = pyro.sample("theta", dist.Uniform(lo, hi))
    return pyro.sample("y", dist.Normal(theta * torch.where(action == 0, 1.0, 2.0), 1.0))


def payoff(action, y):
    return y - torch.where(action == 0, 0.0, 2.0)


scenario = Scenario(
    name="ranges", actions=[Action("a0", safe=True), Action("a1")], world=world,
    belief=belief, payoff=payoff, observed=["y"],
    prior_params={"lo": Param(-2.0, low=-5.0, high=5.0), "hi": Param(4.0, low=-5.0, high=5.0)},
    world_params={"m0": Param(3.0), "m1": Param(1.0)},
    constraints=["lo < hi"])
'''


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_a_search_samples_within_the_constraints(sampler: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ranges.py"
    path.write_text(SCENARIO_FILE)
    storage = tmp_path / "s.sme-journal"
    code, out, _ = run_cli(capsys, "search", str(path), "--trials", "16", "--seed", "3",
                           "--points", "51", "--margin-directions", "2", "--sampler", sampler,
                           "--storage", str(storage), "--json")
    assert code == 0 and json.loads(out)["trials"] == 16
    study = optuna.load_study(study_name="ranges", storage=StorageSpec(str(storage)).open())
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 16 and not study.get_trials(states=(TrialState.FAIL,))
    assert all(t.params["lo"] < t.params["hi"] for t in complete)
    rejected = study.get_trials(states=(TrialState.PRUNED,))
    assert rejected, "half the square violates lo < hi: some proposals must be rejected"
    for trial in rejected:
        assert trial.params["lo"] >= trial.params["hi"]
        assert trial.user_attrs["rejected"] == ["lo < hi"] and "phase" not in trial.user_attrs


def test_sme_params_lists_the_constraints(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ranges.py"
    path.write_text(SCENARIO_FILE)
    code, out, _ = run_cli(capsys, "params", str(path))
    assert code == 0 and "constraints: lo < hi" in out


def test_the_margin_stops_at_the_constraints() -> None:
    from search.objectives import Evaluator, MarginSpec, ObjectiveSpec
    from search.space import build_space

    free, bound = _scenario(()), _scenario(["hi - lo >= 5.5"])
    spec = ObjectiveSpec(margin=MarginSpec(directions=8, radius=0.4))
    prior = {"lo": -2.0, "hi": 4.0}  # hi − lo = 6: a step of 0.5 breaks the constraint
    margins = []
    for scenario in (free, bound):
        space, _ = build_space(scenario, [], {})
        evaluator = Evaluator(scenario, space, {"m0": 3.0, "m1": 1.0}, [], spec, SETTINGS)
        (outcome,) = evaluator.evaluate([prior])
        margins.append(outcome.margin)
    # steps are in units of the declared range (10): 0.05 moves an end by 0.5
    assert margins[1] < margins[0] and margins[1] <= 0.05
