"""What reports say matches what was computed: the Θ grid actually used, and a terminal
diagram that shows fewer cells than it has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyro
import pyro.distributions as dist
import torch
from rich.console import Console

from priors.compile import Resolution
from sme import Action, Param, Scenario, load_scenario
from sme.analysis import Settings, analyze
from sme.figures.report import render_analysis, render_diagram
from sme.studies.diagram import Axis, phase_diagram

ROOT = Path(__file__).resolve().parent.parent


def _world(action: Any, m0: Any, m1: Any) -> Any:
    return pyro.sample("y", dist.Normal(torch.where(action == 0, m0, m1), 1.0))


def _two_latents(action: Any, lo: Any, hi: Any) -> Any:
    a = pyro.sample("a", dist.Uniform(0.0, 1.0))
    b = pyro.sample("b", dist.Uniform(lo, hi))
    return pyro.sample("y", dist.Normal(a + b * action, 1.0))


TWO = Scenario(name="two", actions=[Action("a0", safe=True), Action("a1")], world=_world,
               belief=_two_latents, payoff=lambda action, y: y, observed=["y"],
               prior_params={"lo": Param(-1.0), "hi": Param(2.0)},
               world_params={"m0": Param(0.5), "m1": Param(2.0)})


def _text(render: Any, *args: Any, width: int = 100) -> str:
    console = Console(width=width, record=True, color_system=None)
    render(*args, console)
    return console.export_text()


def test_the_report_names_the_grid_it_used() -> None:
    result = analyze(TWO, {}, Settings(resolution=Resolution(points=401)))
    assert result.theta_points == 4096 and result.grid == [64, 64]
    text = " ".join(_text(render_analysis, result).split())
    assert "4096 Θ points (a 64 × 64 grid)" in text and "401" not in text
    one = analyze(load_scenario(ROOT / "examples" / "linear_gaussian.py"), {},
                  Settings(resolution=Resolution(points=101)))
    assert one.grid == [101] and one.to_json()["resolution"]["grid"] == [101]
    assert "101 Θ points (101 along the latent)" in " ".join(
        _text(render_analysis, one).split())


def test_a_sampled_terminal_diagram_says_so() -> None:
    scenario = load_scenario(ROOT / "examples" / "linear_gaussian.py")
    diagram = phase_diagram(scenario, Axis("m0", -2.0, 8.0, 60, False),
                            Axis("m1", -2.0, 8.0, 3, False), {},
                            Settings(resolution=Resolution(points=51)))
    narrow = _text(render_diagram, diagram, width=80)
    assert "sampled to fit the terminal: 33 of 60 columns, 3 of 3 rows shown" in narrow
    wide = _text(render_diagram, diagram, width=200)
    assert "sampled" not in wide
