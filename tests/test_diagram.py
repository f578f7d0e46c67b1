"""Phase diagrams: the right phase in the right cell, and usable outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from priors.compile import Resolution
from sme import Scenario, load_scenario
from sme.analysis import Settings, analyze
from sme.cli import main
from sme.runtime.errors import SMEError
from sme.studies.diagram import Axis, parse_axis, phase_diagram

ROOT = Path(__file__).resolve().parent.parent
LINEAR = ROOT / "examples" / "linear_gaussian.py"
SETTINGS = Settings(resolution=Resolution(points=201))


@pytest.fixture(scope="module")
def linear() -> Scenario:
    return load_scenario(LINEAR)


def _cell(diagram, x: float, y: float) -> str:
    i = min(range(len(diagram.x_values)), key=lambda k: abs(diagram.x_values[k] - x))
    j = min(range(len(diagram.y_values)), key=lambda k: abs(diagram.y_values[k] - y))
    return diagram.phases[j][i].value


def test_all_five_phases_at_the_expected_cells(linear: Scenario) -> None:
    # m0 = 3: the a0 data fit θ = 3 / g0 (no information when g0 = 0); the a1 data fit
    # θ = m1 / 2; a1 is preferred iff θ (2 − g0) > 2.
    diagram = phase_diagram(linear, Axis("g0", 0.0, 3.0, 31, False),
                            Axis("m1", -2.0, 8.0, 21, False), {"m0": 3.0}, SETTINGS)
    assert _cell(diagram, 0.0, 0.0) == "indeterminate"  # uninformative a0, a1 → a0
    assert _cell(diagram, 0.0, 8.0) == "multistable"  # a1 fits θ = 4 and confirms itself
    assert _cell(diagram, 1.0, 0.0) == "oscillatory"  # the design table's default row
    assert _cell(diagram, 1.0, 8.0) == "misaligned"
    assert _cell(diagram, 2.5, 0.0) == "safe"  # a0 fits θ = 1.2, and 1.2·(2 − 2.5) < 2
    assert all(count > 0 for count in diagram.counts().values())


def test_mean_plane_has_the_four_quadrants_of_the_design_table(linear: Scenario) -> None:
    diagram = phase_diagram(linear, Axis("m0", -2.0, 8.0, 21, False),
                            Axis("m1", -2.0, 8.0, 21, False), None, SETTINGS)
    assert _cell(diagram, 1.0, 1.0) == "safe"
    assert _cell(diagram, 3.0, 6.0) == "misaligned"
    assert _cell(diagram, 3.0, 1.0) == "oscillatory"
    assert _cell(diagram, 1.0, 6.0) == "multistable"
    # the boundaries sit where the fitted beliefs cross θ = 2: m0 = 2 and m1 = 4
    for j, m1 in enumerate(diagram.y_values):
        for i, m0 in enumerate(diagram.x_values):
            if abs(m0 - 2) > 0.3 and abs(m1 - 4) > 0.3:
                expected = {(False, False): "safe", (True, True): "misaligned",
                            (True, False): "oscillatory", (False, True): "multistable"}
                assert diagram.phases[j][i].value == expected[(m0 > 2, m1 > 4)]


def test_diagram_cells_equal_single_analyses(linear: Scenario) -> None:
    diagram = phase_diagram(linear, Axis("lo", -6.0, 0.0, 5, False),
                            Axis("hi", 0.5, 6.0, 4, False), {"m0": 1, "m1": 6}, SETTINGS)
    for j, hi in enumerate(diagram.y_values):
        for i, lo in enumerate(diagram.x_values):
            single = analyze(linear, {"lo": lo, "hi": hi, "m0": 1, "m1": 6}, SETTINGS)
            assert diagram.phases[j][i] == single.phase


def test_payoff_scale_never_moves_the_phase(linear: Scenario) -> None:
    diagram = phase_diagram(linear, Axis("scale", 0.01, 100.0, 9, True),
                            Axis("hi", 0.5, 6.0, 12, False), {"m0": 1, "m1": 6}, SETTINGS)
    for row in diagram.phases:
        assert len(set(row)) == 1
    assert len({row[0] for row in diagram.phases}) > 1  # while the prior's edge does


def test_baseline_is_marked_only_inside_the_plane(linear: Scenario) -> None:
    inside = phase_diagram(linear, Axis("m0", 0.0, 6.0, 7, False),
                           Axis("m1", 0.0, 6.0, 7, False), None, SETTINGS)
    assert inside.baseline_cell() == (1, 3)  # default m0 = 3, m1 = 1
    outside = phase_diagram(linear, Axis("m0", 4.0, 6.0, 3, False),
                            Axis("m1", 0.0, 6.0, 3, False), None, SETTINGS)
    assert outside.baseline_cell() is None


def test_parse_axis(linear: Scenario) -> None:
    axis = parse_axis("scale=0.1:10:5", linear)
    assert axis.log  # declared log scale
    assert parse_axis("scale=0.1:10:5:lin", linear).log is False
    values = axis.values(linear.all_params["scale"])
    assert values[0] == pytest.approx(0.1) and values[2] == pytest.approx(1.0)


@pytest.mark.parametrize("spec,fragment", [
    ("nope=0:1:3", "unknown parameter 'nope'"),
    ("m0=0:1", "expected NAME=LO:HI:N"),
    ("m0=a:1:3", "must be numbers"),
    ("m0=1:0:3", "LO < HI"),
    ("m0=0:1:1", "between 2 and 2000"),
    ("m0=0:1:3:cubic", "'log' or 'lin'"),
    ("m0=-1:1:3:log", "LO > 0"),
    ("m0=-9:1:3", "below its low bound"),
    ("m0", "expected NAME=LO:HI:N"),
])
def test_parse_axis_errors(linear: Scenario, spec: str, fragment: str) -> None:
    with pytest.raises(SMEError, match=None) as info:
        parse_axis(spec, linear)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_json_and_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png, svg = tmp_path / "d.png", tmp_path / "d.svg"
    code = main(["phase-diagram", str(LINEAR), "--x", "m0=-2:8:6", "--y", "m1=-2:8:4",
                 "--json", "--out", str(png), "--points", "101"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["x"]["name"] == "m0" and len(data["x"]["values"]) == 6
    assert data["y"]["name"] == "m1" and len(data["y"]["values"]) == 4
    assert len(data["phases"]) == 4 and all(len(row) == 6 for row in data["phases"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["phase-diagram", str(LINEAR), "--x", "m0=-2:8:6", "--y", "m1=-2:8:4",
                 "--out", str(svg), "--points", "101"]) == 0
    out = capsys.readouterr().out
    assert "S " in out and "m0" in out and "safe" in out  # grid glyphs, axis, legend
    assert "<svg" in svg.read_text()


def test_cli_rejects_same_axis_twice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phase-diagram", str(LINEAR), "--x", "m0=0:1:3", "--y", "m0=0:1:3"]) == 2
    assert "same parameter" in capsys.readouterr().err
