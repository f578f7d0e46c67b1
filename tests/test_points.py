"""``--points`` per latent dimension: ``N`` along every continuous latent dimension, or one
count per dimension (``64x16``), honoured by the grid, recorded in results, exports and
search setups, reported as the real grid, and refused with one line when it does not fit."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import pytest
import torch
from cli_runner import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from priors.compile import Resolution
from priors.grid import AxisRange, GridError, axis_counts, build_points, point_count

ROOT = Path(__file__).resolve().parent.parent
HACKING = str(ROOT / "examples" / "reward_hacking.py")  # two uniform latents
LINEAR = str(ROOT / "examples" / "linear_gaussian.py")  # one latent
QUICK = ["--risk-grid", "0"]

pytestmark = pytest.mark.usefixtures("one_thread")


def _sites(continuous: int, discrete: list[int]) -> dict[str, tuple[torch.Size, list[AxisRange]]]:
    axes = [AxisRange(low=torch.zeros(1), high=torch.ones(1)) for _ in range(continuous)]
    axes += [AxisRange(values=torch.arange(float(v))) for v in discrete]
    return {"theta": (torch.Size([len(axes)]), axes)}


@settings(max_examples=40, deadline=None)
@given(continuous=st.integers(1, 5), discrete=st.lists(st.integers(1, 4), max_size=2),
       counts=st.lists(st.integers(1, 6), min_size=1, max_size=5), one=st.booleans())
def test_counts_per_dimension_build_that_product_grid(continuous: int, discrete: list[int],
                                                      counts: list[int], one: bool) -> None:
    """Each continuous dimension gets its count (or the one count), each discrete one its
    values, for any number of dimensions; the budget's estimate is the points built."""
    per = counts[:1] if one else (counts * continuous)[:continuous]
    sites = _sites(continuous, discrete)
    built = build_points(sites, 1, 401, 4096, torch.float64, torch.device("cpu"), per)
    expected = [per[0] if one else per[d] for d in range(continuous)] + discrete
    assert axis_counts(sites, 401, 4096, per) == expected
    assert built.log_volume.shape[1] == point_count(sites, 401, 4096, per)
    values = built.values["theta"][0]  # (N, D)
    assert [int(torch.unique(values[:, d]).numel()) for d in range(values.shape[1])] == expected


def test_without_counts_the_defaults_stay() -> None:
    """No per-dimension counts: ``points`` for one dimension, the budget for two or three,
    Sobol points above."""
    assert axis_counts(_sites(1, []), 401, 4096) == [401]
    assert axis_counts(_sites(2, []), 401, 4096) == [64, 64]
    assert axis_counts(_sites(3, [2]), 401, 4096) == [16, 16, 16, 2]
    assert axis_counts(_sites(4, []), 401, 4096) is None


def test_a_count_per_wrong_number_of_dimensions_names_them() -> None:
    sites = {"catch": (torch.Size([]), [AxisRange(low=torch.zeros(1), high=torch.ones(1))]),
             "skill": (torch.Size([2]), [AxisRange(low=torch.zeros(1), high=torch.ones(1)),
                                         AxisRange(values=torch.arange(3.0))])}
    with pytest.raises(GridError, match=r"--points 4x5x6: 3 counts for 2 continuous latent "
                       r"dimensions \(catch, skill\[0\]\)"):
        point_count(sites, 401, 4096, (4, 5, 6))


def test_doubled_doubles_every_count() -> None:
    assert Resolution(per_dimension=(8, 5)).doubled().per_dimension == (15, 9)
    assert Resolution(points=11).doubled().per_dimension is None
    assert Resolution(per_dimension=(8, 5)).points_text == "8x5"
    assert Resolution(points=11).points_text == "11"


def _analyse(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run_cli(capsys, "analyze", *argv, *QUICK, "--json")
    assert code == 0, err
    return json.loads(out)


def test_one_count_applies_to_every_latent_dimension(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """``--points 8`` on two latents is an 8 × 8 grid (it used to stay 64 × 64)."""
    data = _analyse(capsys, HACKING, "--points", "8")
    assert data["resolution"]["grid"] == [8, 8]
    assert data["resolution"]["theta_points"] == 64
    assert data["resolution"]["per_dimension"] == [8]


def test_unequal_counts_follow_the_latent_sites(capsys: pytest.CaptureFixture[str]) -> None:
    data = _analyse(capsys, HACKING, "--points", "8x5")
    assert data["resolution"]["grid"] == [8, 5]
    assert data["resolution"]["theta_points"] == 40
    code, out, _ = run_cli(capsys, "analyze", HACKING, "--points", "8x5", *QUICK)
    assert code == 0
    assert "40 Θ points (a 8 × 5 grid)" in " ".join(out.replace("│", " ").split())


def test_without_points_the_defaults_stay_on_the_command_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _analyse(capsys, LINEAR)["resolution"]["grid"] == [401]
    assert _analyse(capsys, LINEAR, "--points", "51")["resolution"]["grid"] == [51]


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--points", "4x5x6"], ["--points 4x5x6", "3 counts", "2 continuous latent dimensions",
                             "catch_rate, skill"]),
    (["--points", "8x"], ["--points", "positive integer", "64x16", "'8x'"]),
    (["--points", "0x8"], ["--points", "positive integer", "'0x8'"]),
])
def test_bad_counts_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                 fragments: list[str]) -> None:
    code, out, err = run_cli(capsys, "analyze", HACKING, *argv, *QUICK)
    assert code == 2 and not out
    line = err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    for fragment in fragments:
        assert fragment in line


def test_absurd_counts_are_refused_before_allocating(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, _, err = run_cli(capsys, "analyze", HACKING, "--points", "1000000x1000000", *QUICK)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--points 1000000x1000000" in err and "--memory-budget" in err
    assert grown_mb < 256


@pytest.mark.parametrize("command", ["analyze", "search", "phase-diagram", "simulate", "tui"])
def test_help_states_the_per_dimension_counts_and_the_defaults(
        capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run_cli(capsys, command, "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "64x16" in text and "64 × 64 for two" in text and "16 × 16 × 16 for three" in text


def test_check_reanalyses_at_the_exported_grid(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """An exported prior records the counts per dimension (strictly validated); `sme check`
    re-analyses at them and says so."""
    from sme.analysis import Settings, analyze
    from sme.files.export import document_from_analysis, read_export, write_export
    from sme.scenario.declaration import load_scenario

    analysis = analyze(load_scenario(HACKING), {}, Settings(
        resolution=Resolution(per_dimension=(8, 5)), risk_grid=0))
    assert analysis.grid == [8, 5]
    file = tmp_path / "prior.toml"
    write_export(document_from_analysis(analysis), file)
    assert read_export(file).provenance.per_dimension == [8, 5]
    code, out, err = run_cli(capsys, "check", str(file), "--scenario", HACKING, "--json",
                             "--unchanged", *QUICK)
    assert code == 0, err
    resolution = json.loads(out)["resolution"]
    assert resolution["grid"] == [8, 5] and resolution["theta_points"] == 40
    code, out, _ = run_cli(capsys, "check", str(file), "--scenario", HACKING, "--unchanged",
                           *QUICK)
    assert "at 40 Θ points (a 8 × 5 grid)" in out
    code, out, _ = run_cli(capsys, "check", str(file), "--scenario", HACKING, "--unchanged",
                           "--points", "6", *QUICK, "--json")
    assert json.loads(out)["resolution"]["grid"] == [6, 6]


def test_the_strict_schema_refuses_a_bad_count(tmp_path: Path) -> None:
    from sme.files.export import validate
    from sme.runtime.errors import ConfigError

    document = {
        "schema_version": 1,
        "scenario": {"name": "x", "path": "x.py", "sha256": "0" * 64},
        "parameters": {"prior": {}, "world": {}, "reward": {}},
        "result": {"phase": "safe", "bn_set": ["a"], "safe_actions": ["a"],
                   "pure_equilibria": [], "mixed_equilibria": []},
        "provenance": {"tool": "sme", "tool_version": "1", "created": "2026-01-01T00:00:00Z",
                       "per_dimension": [8, 0]},
    }
    with pytest.raises(ConfigError, match=r"provenance\.per_dimension"):
        validate(document, "doc.toml")


def test_a_search_records_the_counts_where_they_change_the_grid(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two latents: ``--points 6`` is a 6 × 6 grid, recorded in the study, its JSON, its
    text and its exports; one latent: ``--points 61`` is recorded as before, so studies
    begun before the counts applied per dimension still resume."""
    monkeypatch.chdir(tmp_path)
    common = ["--trials", "2", "--batch", "2", "--seed", "0", "--margin-directions", "0",
              "--threads", "1", *QUICK]
    code, out, err = run_cli(capsys, "search", HACKING, *common, "--points", "6", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["resolution"]["grid"] == [6, 6]
    code, out, err = run_cli(capsys, "search", HACKING, *common, "--points", "6")
    assert "36 Θ points (a 6 × 6 grid)" in " ".join(out.split())
    assert "36 Θ points each (a 6 × 6 grid)" in err
    code, _, err = run_cli(capsys, "search", HACKING, *common, "--points", "7")
    assert code == 2 and "resolution" in err  # another grid: not the same study
    code, _, err = run_cli(capsys, "export", HACKING, "--trial", "0", "-o", "t.json")
    assert code == 0, err
    assert json.loads(Path("t.json").read_text())["provenance"]["per_dimension"] == [6]
    code, out, err = run_cli(capsys, "check", "t.json", "--scenario", HACKING, "--json",
                             "--unchanged", *QUICK)
    assert code == 0, err
    assert json.loads(out)["resolution"]["grid"] == [6, 6]


def test_a_one_latent_search_records_points_as_before(tmp_path: Path) -> None:
    from search.job import SearchJob, prepare

    job = SearchJob(scenario=LINEAR, trials=1, batch=1, points=61, per_dimension=(61,),
                    storage=str(tmp_path / "s.sme-journal"), risk_grid=0)
    ready = prepare(job)
    assert ready.setup["resolution"] == {"points": 61, "mc_samples": 2048}
    assert ready.grid == [61]


def test_the_python_api_takes_the_same_counts() -> None:
    import sme
    from sme.runtime.errors import SMEError

    assert sme.analyze(HACKING, points=(8, 5), risk_grid=0).grid == [8, 5]
    assert sme.analyze(HACKING, points=8, risk_grid=0).grid == [8, 8]
    assert sme.analyze(LINEAR, points=51, risk_grid=0).grid == [51]
    with pytest.raises(SMEError, match="points: expected a positive integer"):
        sme.analyze(LINEAR, points=(0,))
