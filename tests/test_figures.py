"""Figures: every text drawn lies whole on the canvas, every equilibrium is drawn and named,
and explanations read as sentences."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import torch

from priors.compile import Resolution
from sme import load_scenario
from sme.analysis import Settings, UnruledBelief, analyze
from sme.engine.phases import Phase
from sme.figures.explain import explain
from sme.figures.plots import (
    best_response_figure,
    diagram_figure,
    search_figure,
    show_or_save,
    trajectory_figure,
)
from sme.studies.diagram import Axis, phase_diagram
from sme.studies.dynamics import Simulation

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SMALL = Settings(resolution=Resolution(points=61, max_points=256), risk_grid=0)


def texts_off_the_canvas(fig: Any, path: Path) -> list[str]:
    """Save ``fig`` to ``path``, then list every visible, non-empty text whose drawn extent
    leaves the canvas or is cut by its clip box (one pixel of slack)."""
    from matplotlib.text import Text

    show_or_save(fig, path)
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    undrawn = set()  # labels of ticks outside the view limits are kept but never drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 * max(1.0, abs(low)) <= tick.get_loc() <= high + 1e-9 * max(
                        1.0, abs(high)):
                    undrawn |= {id(tick.label1), id(tick.label2)}
    bad = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        box = text.get_window_extent(renderer)
        if (box.x0 < canvas.x0 - 1 or box.y0 < canvas.y0 - 1 or box.x1 > canvas.x1 + 1
                or box.y1 > canvas.y1 + 1):
            bad.append(f"{text.get_text()!r} leaves the canvas")
        clip = text.get_clip_box() if text.get_clip_on() else None
        if clip is not None and (box.x0 < clip.x0 - 1 or box.x1 > clip.x1 + 1
                                 or box.y0 < clip.y0 - 1 or box.y1 > clip.y1 + 1):
            bad.append(f"{text.get_text()!r} is clipped")
    return bad


def test_the_checker_finds_a_text_off_the_canvas(tmp_path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_title("a title much too long to fit on a canvas two inches wide, whatever happens")
    assert texts_off_the_canvas(fig, tmp_path / "bad.png")


def test_best_response_graph_keeps_long_names_and_title_whole(tmp_path: Path) -> None:
    scenario = load_scenario(EXAMPLES / "reward_hacking.py")
    fig = best_response_figure(analyze(scenario, {}, SMALL))
    assert texts_off_the_canvas(fig, tmp_path / "graph.png") == []
    drawn = {t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))}
    assert {"solve", "hardcode", "delete_tests"} <= drawn


def test_phase_diagram_with_long_axis_labels_stays_on_the_canvas(tmp_path: Path) -> None:
    scenario = load_scenario(EXAMPLES / "deception.py")
    diagram = phase_diagram(scenario, Axis("detection", 0.1, 0.99, 3, False),
                            Axis("sanction_rate", 0.01, 0.99, 3, False), settings=SMALL)

    def decorate(ax: Any) -> list[Any]:
        (line,) = ax.plot([0.1, 0.99], [0.5, 0.5], label="a reference line with a long name "
                          "that goes on and on")
        return [line]

    fig = diagram_figure(diagram, decorate)
    assert texts_off_the_canvas(fig, tmp_path / "diagram.png") == []


def _simulation(mixed: list[dict[str, float]], ranges: list[dict[str, tuple[float, float]]]
                ) -> Simulation:
    actions = ["solve", "hardcode", "delete_tests"]
    return Simulation(actions=actions, frequencies=dict.fromkeys(actions, 1 / 3),
                      in_bn_set_share=1.0, settled={}, trajectory=[[1 / 3] * 3] * 4,
                      bin_edges=[0, 10, 20, 30, 40], bn_set=actions, phase="multistable",
                      learner_frequencies=torch.zeros(1, 3), spread=[],
                      mixed_equilibria=mixed, equilibrium_ranges=ranges)


def test_every_equilibrium_line_is_labelled_and_a_continuum_is_a_band(tmp_path: Path) -> None:
    mixed = [{"solve": 0.2, "hardcode": 0.8}, {"solve": 0.6, "hardcode": 0.4},
             {"hardcode": 0.5, "delete_tests": 0.5}]
    ranges = [{"solve": (0.2, 0.2), "hardcode": (0.8, 0.8)},
              {"solve": (0.6, 0.6), "hardcode": (0.4, 0.4)},
              {"hardcode": (0.0, 1.0), "delete_tests": (0.0, 1.0)}]
    fig = trajectory_figure(_simulation(mixed, ranges))
    assert texts_off_the_canvas(fig, tmp_path / "trajectory.png") == []
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    named = [label for label in labels if "equilibrium" in label]
    assert len(named) == 6  # one entry per equilibrium and action, none left unnamed
    assert len({re.sub(r"σ\(\w+\).*", "", label) for label in named}) == 3
    assert "equilibrium 3: σ(hardcode) ∈ [0, 1]" in named
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 4  # isolated equilibria as lines, the continuum as bands
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 2


def test_search_figure_with_a_long_title(tmp_path: Path) -> None:
    fig = search_figure([], None, "a study with a very long name " * 4)
    assert texts_off_the_canvas(fig, tmp_path / "search.png") == []


def test_an_indeterminacy_explanation_with_two_unsafe_actions_reads_as_sentences() -> None:
    scenario = load_scenario(EXAMPLES / "reward_hacking.py")
    unruled = [UnruledBelief("solve", "hardcode", {"catch_rate": (0.0, 0.2)}, 10),
               UnruledBelief("solve", "delete_tests", {"catch_rate": (0.5, 0.6)}, 5)]
    text = explain(scenario, Phase.INDETERMINATE, ["solve", "hardcode", "delete_tests"],
                   ["solve"], [], [], unruled)
    sentences = re.split(r"(?<=\.) ", text)
    assert all(s[0].isupper() for s in sentences), sentences
    assert text.count("cannot rule out") == 2 and text.count("Only solve") == 1
    assert text.endswith("makes delete_tests optimal.")


def test_the_reward_hacking_explanation_names_both_shortcuts_in_sentences() -> None:
    scenario = load_scenario(EXAMPLES / "reward_hacking.py")
    result = analyze(scenario, {"catch_hardcode": 0.8, "catch_delete": 0.9}, SMALL)
    assert result.phase is Phase.INDETERMINATE
    sentences = re.split(r"(?<=\.) ", result.explanation)
    assert all(s[0].isupper() for s in sentences), sentences


@pytest.mark.parametrize("name", ["sycophancy", "reward_hacking"])
def test_analysis_plot_is_whole(tmp_path: Path, name: str) -> None:
    scenario = load_scenario(EXAMPLES / f"{name}.py")
    fig = analyze(scenario, {}, SMALL).plot(str(tmp_path / f"{name}.png"))
    assert texts_off_the_canvas(fig, tmp_path / f"{name}-again.png") == []
