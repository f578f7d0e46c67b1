"""Bad input, everywhere it enters: a corpus of malformed scenarios, parameter settings,
config files and storage URLs, each run through the real command line.

Every case must end with exit code 2 and exactly one line on stderr, ``sme: error: ...``,
naming the file, field, site or parameter at fault and what was expected — no traceback
(unless ``--debug``) and nothing written or half-written in the working directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sme.cli import main
from sme.runtime.errors import SMEError

ROOT = Path(__file__).resolve().parent.parent
LINEAR = str(ROOT / "examples" / "linear_gaussian.py")
FAST = ["--points", "41"]


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case runs in its own empty working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def snapshot(directory: Path) -> dict[str, tuple[int, int, str]]:
    """Every path under ``directory`` with its size, modification time and, for a file, the
    SHA-256 of its content (a link: its target; a directory: empty)."""
    found = {}
    for path in sorted(directory.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            digest = os.readlink(path)
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest = ""
        found[str(path.relative_to(directory))] = (info.st_size, info.st_mtime_ns, digest)
    return found


def run_cli(argv: Sequence[str]) -> int:
    """``main``'s status, also when argparse exits for a usage error."""
    try:
        return main(list(argv))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2


def expect_bad_input(capsys: pytest.CaptureFixture[str], argv: Sequence[str],
                     fragments: Sequence[str], directory: Path | None = None,
                     absent: Sequence[Path] = ()) -> str:
    """Run ``argv``; check exit 2, one ``sme: error:`` line holding every fragment, no
    traceback, nothing written under ``directory`` (default: the working directory) and
    no file at any of ``absent``.  Returns the error line."""
    where = directory or Path.cwd()
    before = snapshot(where)
    capsys.readouterr()
    code = run_cli(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, f"exit {code}; stderr: {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line, got: {err!r}"
    line = lines[0]
    assert line.startswith("sme: error: "), line
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert snapshot(where) == before, "the command wrote or changed files"
    for path in absent:
        assert not path.exists(), f"{path} was written"
    return line


# --------------------------------------------------------------------------- scenario files

HEADER = """\
import math

import pyro
import pyro.distributions as dist
import torch

from sme import Action, Param, Scenario
"""

WORLD = """\
def world(action, m0, m1):
    return pyro.sample("y", dist.Normal(torch.where(action == 0, m0, m1), 1.0))
"""

BELIEF = """\
def belief(action, lo, hi, k, mode):
    theta = pyro.sample("theta", dist.Uniform(lo, hi))
    gain = torch.where(action == 0, 1.0, 2.0)
    return pyro.sample("y", dist.Normal(theta * gain, 1.0))
"""

PAYOFF = """\
def payoff(action, y, scale):
    return scale * (y - torch.where(action == 0, 0.0, 2.0))
"""

BUILD = """\
scenario = Scenario(
    name="corpus",
    actions={actions},
    world=world,
    belief=belief,
    payoff=payoff,
    observed={observed},
    prior_params={{
        "lo": Param(-5.0, low=-10.0, high=2.5),
        "hi": Param(5.0, low=0.0, high=10.0),
        "k": Param(3, low=1, high=10, integer=True),
        "mode": Param("plain", choices=("plain", "fancy")),
    }},
    world_params={{"m0": Param(3.0, low=-5.0, high=10.0), "m1": Param(1.0, low=-5.0, high=10.0)}},
    reward_params={{"scale": Param(1.0, low=0.01, high=100.0, log=True)}},
)
"""


def scenario_source(world: str = WORLD, belief: str = BELIEF, payoff: str = PAYOFF,
                    actions: str = '[Action("a0", safe=True), Action("a1")]',
                    observed: str = '["y"]', build: str = BUILD, extra: str = "") -> str:
    """A scenario file: the linear-Gaussian example with one piece replaced."""
    return "\n\n".join([HEADER, extra, textwrap.dedent(world), textwrap.dedent(belief),
                        textwrap.dedent(payoff),
                        build.format(actions=actions, observed=observed)])


def good_scenario(directory: Path) -> str:
    """Write the unmodified corpus scenario (it analyses fine) and return its path."""
    file = directory / "good.py"
    file.write_text(scenario_source())
    return str(file)


SCENARIOS = [
    pytest.param("scenario = (\n", ["bad.py:1", "syntax error"], id="syntax-error"),
    pytest.param("x = 1\nscenario = Scenario(\n    name='x'\n    actions=[])\n",
                 ["bad.py:", "syntax error"], id="syntax-error-missing-comma"),
    pytest.param("import not_a_module_xyz\n", ["bad.py:1", "ModuleNotFoundError",
                                               "not_a_module_xyz"], id="import-error"),
    pytest.param("x = 1\n", ["bad.py", "defines no 'scenario'", "Scenario(...)"],
                 id="missing-scenario"),
    pytest.param("scenario = 42\n", ["bad.py", "'scenario' must be a Scenario", "int"],
                 id="scenario-wrong-type"),
    pytest.param("scenario = None\n", ["bad.py", "'scenario'"], id="scenario-none"),
    pytest.param("raise SystemExit(0)\n", ["bad.py:1", "SystemExit"],
                 id="scenario-exits"),
    pytest.param("1 / 0\n", ["bad.py:1", "ZeroDivisionError"], id="raises-while-loading"),
    pytest.param(scenario_source(actions="[]"), ["bad.py", "'actions' is empty"],
                 id="no-actions"),
    pytest.param(scenario_source(actions='[Action("a0", safe=True), Action("a0")]'),
                 ["bad.py", "duplicate action name 'a0'"], id="duplicate-actions"),
    pytest.param(scenario_source(actions='["a0", "a1"]'),
                 ["bad.py", "actions must be Action", "'a0'"], id="action-not-an-Action"),
    pytest.param(scenario_source(actions='[Action("", safe=True), Action("a1")]'),
                 ["bad.py", "action name"], id="empty-action-name"),
    pytest.param(scenario_source(observed="[]"), ["bad.py", "'observed'"],
                 id="no-observed-sites"),
    pytest.param(scenario_source(observed='["y", "z"]'),
                 ["bad.py", "'z'"], id="observed-site-payoff-lacks"),
    pytest.param(scenario_source(
        observed='["z"]', payoff="def payoff(action, z, scale):\n    return z * scale\n"),
        ["'z'", "belief"], id="observed-site-never-sampled"),
    pytest.param(scenario_source(world="""\
        def world(action, m0, m1):
            return pyro.sample("w", dist.Normal(torch.where(action == 0, m0, m1), 1.0))
        """), ["'y'", "world"], id="observed-site-world-never-samples"),
    pytest.param(scenario_source(belief="""\
        def belief(action, lo, hi, k, mode):
            raise RuntimeError("belief exploded")
        """), ["belief program raised RuntimeError at ", "bad.py:", "belief exploded"],
        id="belief-raises"),
    pytest.param(scenario_source(world="""\
        def world(action, m0, m1):
            raise KeyError("world exploded")
        """), ["world program raised KeyError at ", "bad.py:", "world exploded"],
        id="world-raises"),
    pytest.param(scenario_source(payoff="""\
        def payoff(action, y, scale):
            raise ValueError("payoff exploded")
        """), ["payoff program raised ValueError at ", "bad.py:", "payoff exploded"],
        id="payoff-raises"),
    pytest.param(scenario_source(belief="""\
        def belief(action, lo, hi, k, mode):
            theta = pyro.sample("theta", dist.Uniform(lo, hi))
            return pyro.sample("y", dist.Normal(theta * math.nan, 1.0))
        """), ["'y'", "belief"], id="belief-nan-parameter"),
    pytest.param(scenario_source(
        world="""\
        def world(action, m0, m1):
            return pyro.sample("y", dist.StudentT(5.0, torch.where(action == 0, m0, m1), 1.0))
        """,
        belief="""\
        def belief(action, lo, hi, k, mode):
            theta = pyro.sample("theta", dist.Uniform(lo, hi))
            return pyro.sample("y", dist.Normal(theta, lo - 20.0, validate_args=False))
        """), ["'y'", "NaN"], id="belief-nan-log-prob"),
    pytest.param(scenario_source(world="""\
        def world(action, m0, m1):
            mean = torch.where(action == 0, m0, m1)
            return pyro.sample("y", dist.Normal(mean * math.nan, 1.0, validate_args=False))
        """), ["'y'", "NaN"], id="world-nan-outcomes"),
    pytest.param(scenario_source(payoff="""\
        def payoff(action, y, scale):
            return y * math.nan
        """), ["payoff", "NaN"], id="payoff-nan"),
    pytest.param(scenario_source(payoff="""\
        def payoff(action, y, scale):
            return torch.zeros(7)
        """), ["payoff", "shape"], id="payoff-wrong-shape"),
    pytest.param(scenario_source(payoff="""\
        def payoff(action, y, scale):
            return "a lot"
        """), ["payoff"], id="payoff-returns-text"),
    pytest.param(scenario_source(payoff="""\
        def payoff(action, y, scale):
            return None
        """), ["payoff"], id="payoff-returns-none"),
    pytest.param(scenario_source(
        world="""\
        def world(action, m0, m1):
            return pyro.sample("y", dist.Categorical(torch.tensor([0.2, 0.3, 0.5])))
        """,
        belief="""\
        def belief(action, lo, hi, k, mode):
            theta = pyro.sample("theta", dist.Uniform(lo, hi))
            p = torch.sigmoid(theta * torch.where(action == 0, 1.0, 2.0))
            return pyro.sample("y", dist.Bernoulli(p))
        """), ["'y'", "infinite"], id="belief-support-misses-world"),
    pytest.param(scenario_source(world="""\
        def world(action, m0, m1, extra):
            return pyro.sample("y", dist.Normal(m0, 1.0))
        """), ["world()", "'extra'"], id="world-undeclared-argument"),
    pytest.param(scenario_source(belief="""\
        def belief(action, lo, hi):
            theta = pyro.sample("theta", dist.Uniform(lo, hi))
            return pyro.sample("y", dist.Normal(theta, 1.0))
        """), ["belief()", "'k'"], id="belief-missing-declared-argument"),
    pytest.param(scenario_source(build=BUILD.replace('Param(3, low=1, high=10, integer=True)',
                                                     'Param(30, low=1, high=10, integer=True)')),
                 ["bad.py:36", "parameter 'k': default 30 is above its high bound 10"],
                 id="param-default-out-of-range"),
    pytest.param(scenario_source(build=BUILD.replace(
        'Param(1.0, low=0.01, high=100.0, log=True)',
        'Param(1.0,\n        low=0.0, high=100.0,\n        log=True)')),
                 ["bad.py:", "parameter 'scale': log scale needs low > 0"],
                 id="param-log-scale-without-positive-low"),
    pytest.param(scenario_source(build=BUILD.replace('"k": Param(', '"m0": Param(')),
                 ["bad.py", "'m0'", "both"], id="param-declared-twice"),
    pytest.param(scenario_source(build=BUILD.replace('"k": Param(3, low=1, high=10, '
                                                     'integer=True)', '"k": 3')),
                 ["bad.py", "'k'", "Param"], id="param-not-a-Param"),
    pytest.param(scenario_source(build=BUILD.replace('name="corpus"', 'name=""')),
                 ["bad.py", "'name'"], id="empty-scenario-name"),
    pytest.param(scenario_source(build=BUILD.replace("world=world", "world=42")),
                 ["bad.py", "'world'", "function"], id="world-not-callable"),
    pytest.param(b"\x00\x01\x02garbage\xff\xfe", ["bad.py: syntax error", "null bytes"],
                 id="binary-garbage"),
]


@pytest.mark.parametrize("source,fragments", SCENARIOS)
def test_malformed_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            source: str | bytes, fragments: list[str]) -> None:
    file = tmp_path / "bad.py"
    if isinstance(source, bytes):
        file.write_bytes(source)
    else:
        file.write_text(source)
    expect_bad_input(capsys, ["analyze", str(file), *FAST], fragments)


@pytest.mark.parametrize("command", ["simulate", "phase-diagram", "search", "check"])
def test_a_program_that_raises_is_reported_by_every_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    file = tmp_path / "bad.py"
    file.write_text(Path(LINEAR).read_text().replace(
        'theta = pyro.sample("theta", dist.Uniform(lo, hi))',
        'raise RuntimeError("belief exploded")'))
    argv = {
        "simulate": ["simulate", str(file), "--learners", "4", "--steps", "5", *FAST],
        "phase-diagram": ["phase-diagram", str(file), "--x", "m0=0:1:3", "--y", "m1=0:1:3",
                          "--out", "d.png", *FAST],
        "search": ["search", str(file), "--trials", "2", "--export", "best.toml", *FAST],
        "check": ["check", str(write_doc(tmp_path / "doc.toml", valid_document())),
                  "--scenario", str(file), *FAST],
    }[command]
    expect_bad_input(capsys, argv, ["belief", "belief exploded"],
                     absent=[tmp_path / "d.png", tmp_path / "best.toml",
                             tmp_path / "linear-gaussian.sme-journal"])


@pytest.mark.parametrize("make,fragments", [
    pytest.param(lambda d: d / "missing.py", ["missing.py", "no such"], id="nonexistent"),
    pytest.param(lambda d: d, ["is a directory"], id="a-directory"),
    pytest.param(lambda d: _write(d / "scenario.txt", scenario_source()),
                 ["scenario.txt", ".py"], id="not-a-py-file"),
    pytest.param(lambda d: _write(d / "dir.py", None), ["dir.py", "is a directory"],
                 id="a-directory-named-py"),
])
def test_scenario_path_is_not_a_scenario_file(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              make: Any, fragments: list[str]) -> None:
    expect_bad_input(capsys, ["analyze", str(make(tmp_path)), *FAST], fragments)


def _write(path: Path, text: str | None) -> Path:
    if text is None:
        path.mkdir()
    else:
        path.write_text(text)
    return path


def test_search_needs_a_safe_action(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    file = tmp_path / "bad.py"
    file.write_text(scenario_source(actions='[Action("a0"), Action("a1")]'))
    expect_bad_input(capsys, ["search", str(file), "--trials", "2", *FAST],
                     ["bad.py", "marks no action safe", "safe=True"],
                     absent=[tmp_path / "corpus.sme-journal"])
    # analysing it is fine: no prior is safe, and the report says so
    assert run_cli(["analyze", str(file), "--json", *FAST]) == 0
    assert json.loads(capsys.readouterr().out)["phase"] == "misaligned"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    file = tmp_path / "bad.py"
    file.write_text(scenario_source(actions="[]"))
    cmd = [sys.executable, "-m", "sme", "analyze", str(file), *FAST]
    plain = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert plain.returncode == 2
    assert plain.stderr.splitlines() == [
        f"sme: error: {file}: scenario 'corpus': 'actions' is empty; declare at least one "
        "Action"]
    debug = subprocess.run([sys.executable, "-m", "sme", "--debug", *cmd[3:]],
                           capture_output=True, text=True, cwd=tmp_path)
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and "'actions' is empty" in debug.stderr


# --------------------------------------------------------------------------- parameters

PARAMETERS = [
    pytest.param(["--set", "nope=1"], ["unknown parameter 'nope'", "known:"], id="unknown-name"),
    pytest.param(["--set", "lo=abc"], ["parameter 'lo'", "expected a number", "'abc'"],
                 id="text-for-float"),
    pytest.param(["--set", "k=2.5"], ["parameter 'k'", "expected an integer"],
                 id="float-for-int"),
    pytest.param(["--set", "k=many"], ["parameter 'k'", "expected a number"],
                 id="text-for-int"),
    pytest.param(["--set", "mode=weird"], ["parameter 'mode'", "'weird'", "plain"],
                 id="unknown-choice"),
    pytest.param(["--set", "lo=-11"], ["parameter 'lo'", "below its low bound -10"],
                 id="below-range"),
    pytest.param(["--set", "k=11"], ["parameter 'k'", "above its high bound 10"],
                 id="above-range"),
    pytest.param(["--set", "scale=0"], ["parameter 'scale'", "below its low bound"],
                 id="reward-out-of-range"),
    pytest.param(["--set", "lo=nan"], ["parameter 'lo'", "finite"], id="nan"),
    pytest.param(["--set", "m0=inf"], ["parameter 'm0'", "finite"], id="inf"),
    pytest.param(["--set", "hi=-inf"], ["parameter 'hi'", "finite"], id="minus-inf"),
    pytest.param(["--set", "lo"], ["--set", "expected NAME=VALUE", "'lo'"], id="set-without-eq"),
    pytest.param(["--set", "=3"], ["--set", "expected NAME=VALUE"], id="set-without-name"),
    pytest.param(["--set", "lo=2", "--set", "hi=1"], ["lo", "hi"], id="empty-prior-support"),
    pytest.param(["--points", "0"], ["--points", "positive integer", "'0'"], id="points-zero"),
    pytest.param(["--points", "-5"], ["--points", "positive integer", "'-5'"],
                 id="points-negative"),
    pytest.param(["--points", "many"], ["--points", "positive integer"], id="points-text"),
    pytest.param(["--mc-samples", "0"], ["--mc-samples", "positive integer"], id="mc-zero"),
    pytest.param(["--device", "tpu"], ["--device", "tpu"], id="unknown-device"),
]


@pytest.mark.parametrize("options,fragments", PARAMETERS)
def test_bad_parameter_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               options: list[str], fragments: list[str]) -> None:
    argv = ["analyze", good_scenario(tmp_path), *FAST, *options]
    expect_bad_input(capsys, argv, fragments)


SEARCH_OPTIONS = [
    pytest.param(["--range", "hi=abc"], ["--range hi", "'abc'"], id="range-not-numbers"),
    pytest.param(["--range", "hi=5:1"], ["--range hi", "LO must be below HI"],
                 id="range-reversed"),
    pytest.param(["--range", "hi=0:20"], ["--range hi", "above its high bound"],
                 id="range-outside-declared"),
    pytest.param(["--range", "hi=1:2:3:4"], ["--range hi", "LO:HI"], id="range-too-many-parts"),
    pytest.param(["--range", "nope=0:1"], ["--range nope", "unknown prior parameter"],
                 id="range-unknown"),
    pytest.param(["--range", "m0=0:1"], ["--range m0", "world parameter"],
                 id="range-not-a-prior-parameter"),
    pytest.param(["--range", "hi"], ["--range", "expected NAME=VALUE"], id="range-without-eq"),
    pytest.param(["--range", "mode=plain,weird"], ["--range mode", "'weird'"],
                 id="range-unknown-choice"),
    pytest.param(["--robust", "m1=abc"], ["--robust", "m1"], id="robust-not-numbers"),
    pytest.param(["--robust", "m1=0:1:0"], ["--robust", "m1"], id="robust-zero-count"),
    pytest.param(["--robust", "lo=0:1"], ["--robust", "lo", "prior"], id="robust-prior-param"),
    pytest.param(["--robust", "nope=0:1"], ["--robust", "nope"], id="robust-unknown"),
    pytest.param(["--robust", "m1"], ["--robust", "m1"], id="robust-without-eq"),
    pytest.param(["--robust", "m1=0:50"], ["--robust", "m1", "above"], id="robust-out-of-range"),
    pytest.param(["--set", "hi=nan"], ["parameter 'hi'", "finite"], id="search-set-nan"),
    pytest.param(["--trials", "0"], ["--trials", "positive integer"], id="trials-zero"),
    pytest.param(["--weights", "1,2"], ["--weights", "F,D,M"], id="weights-two"),
    pytest.param(["--margin-radius", "2"], ["--margin-radius", "(0, 1]"], id="radius-too-big"),
    pytest.param(["--export", "best.ini"], ["best.ini", "unknown config format"],
                 id="export-wrong-suffix"),
    pytest.param(["--export", "nodir/best.toml"], ["nodir", "does not exist"],
                 id="export-into-missing-directory"),
]


@pytest.mark.parametrize("options,fragments", SEARCH_OPTIONS)
def test_bad_search_option(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                           options: list[str], fragments: list[str]) -> None:
    argv = ["search", good_scenario(tmp_path), "--trials", "2", "--batch", "2",
            "--margin-directions", "0", *FAST, *options]
    expect_bad_input(capsys, argv, fragments, absent=[tmp_path / "corpus.sme-journal"])


AXES = [
    pytest.param("m0", ["axis 'm0'", "NAME=LO:HI:N"], id="axis-without-eq"),
    pytest.param("m0=1:2", ["axis 'm0=1:2'", "NAME=LO:HI:N"], id="axis-without-count"),
    pytest.param("m0=a:b:3", ["axis 'm0=a:b:3'", "numbers"], id="axis-not-numbers"),
    pytest.param("m0=0:1:0", ["axis 'm0=0:1:0'", "N must be"], id="axis-zero-cells"),
    pytest.param("m0=0:1:2.5", ["axis 'm0=0:1:2.5'", "integer"], id="axis-fractional-cells"),
    pytest.param("m0=1:0:5", ["axis 'm0=1:0:5'", "LO < HI"], id="axis-reversed"),
    pytest.param("m0=0:nan:5", ["axis 'm0=0:nan:5'", "finite"], id="axis-nan"),
    pytest.param("m0=0:1:5:cubic", ["axis 'm0=0:1:5:cubic'", "'log' or 'lin'"],
                 id="axis-unknown-spacing"),
    pytest.param("m0=-1:1:5:log", ["axis 'm0=-1:1:5:log'", "LO > 0"], id="axis-log-negative"),
    pytest.param("nope=0:1:5", ["axis 'nope=0:1:5'", "unknown parameter 'nope'"],
                 id="axis-unknown-name"),
    pytest.param("mode=0:1:5", ["axis 'mode=0:1:5'", "categorical"], id="axis-categorical"),
    pytest.param("m0=-20:1:5", ["axis 'm0=-20:1:5'", "below its low bound"],
                 id="axis-outside-declared"),
    pytest.param("m1=0:1:5", ["same parameter 'm1'"], id="axis-same-as-y"),
]


@pytest.mark.parametrize("axis,fragments", AXES)
def test_bad_phase_diagram_axis(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                axis: str, fragments: list[str]) -> None:
    argv = ["phase-diagram", good_scenario(tmp_path), "--x", axis, "--y", "m1=0:1:3",
            "--out", "diagram.png", *FAST]
    expect_bad_input(capsys, argv, fragments, absent=[tmp_path / "diagram.png"])


def test_bad_figure_suffix_writes_nothing(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["phase-diagram", good_scenario(tmp_path), "--x", "m0=0:1:3", "--y", "m1=0:1:3",
            "--out", "diagram.docx", *FAST]
    expect_bad_input(capsys, argv, ["diagram.docx"], absent=[tmp_path / "diagram.docx"])


# --------------------------------------------------------------------------- config files

_DOCUMENT: dict[str, Any] = {}


def valid_document() -> dict[str, Any]:
    """A valid exported document for the linear-Gaussian example (computed once)."""
    if not _DOCUMENT:
        from priors.compile import Resolution
        from sme.analysis import Settings, analyze
        from sme.files.export import document_from_analysis
        from sme.scenario.declaration import load_scenario

        analysis = analyze(load_scenario(LINEAR), {}, Settings(resolution=Resolution(41)))
        _DOCUMENT.update(document_from_analysis(analysis).model_dump(mode="json",
                                                                     exclude_none=True))
    return json.loads(json.dumps(_DOCUMENT))


def write_doc(path: Path, data: Any) -> Path:
    """Write ``data`` in the format named by the suffix."""
    if path.suffix == ".toml":
        path.write_text(tomli_w.dumps(data))
    elif path.suffix == ".json":
        path.write_text(json.dumps(data))
    else:
        path.write_text(yaml.safe_dump(data))
    return path


def edited(*path: str | int, value: Any = None, delete: bool = False) -> dict[str, Any]:
    """The valid document with the item at ``path`` set to ``value`` (or deleted)."""
    data = valid_document()
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


def _truncated(suffix: str) -> Any:
    def make(directory: Path) -> Path:
        file = write_doc(directory / f"doc{suffix}", valid_document())
        text = file.read_text()
        file.write_text(text[:len(text) // 2])
        return file
    return make


def _document(name: str, data: Any) -> Any:
    return lambda directory: write_doc(directory / name, data)


def _text(name: str, text: str | bytes) -> Any:
    def make(directory: Path) -> Path:
        file = directory / name
        if isinstance(text, bytes):
            file.write_bytes(text)
        else:
            file.write_text(text)
        return file
    return make


def _huge(directory: Path) -> Path:
    file = directory / "huge.toml"
    with file.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024)  # sparse: instant, over the 4 MB cap
    return file


def _directory(directory: Path) -> Path:
    (directory / "dir.toml").mkdir()
    return directory / "dir.toml"


CONFIG_FILES = [
    pytest.param(_truncated(".toml"), ["doc.toml", "invalid TOML"], id="truncated-toml"),
    pytest.param(_truncated(".json"), ["doc.json", "invalid JSON"], id="truncated-json"),
    pytest.param(_text("doc.yaml", "schema_version: 1\nscenario: {name: x, path: [\n"),
                 ["doc.yaml", "invalid YAML"], id="truncated-yaml"),
    pytest.param(_document("doc.toml", edited("schema_version", value=2)),
                 ["doc.toml", "schema_version", "unsupported schema version 2"],
                 id="schema-version-2"),
    pytest.param(_document("doc.json", edited("schema_version", value="1")),
                 ["doc.json", "schema_version"], id="schema-version-text"),
    pytest.param(_document("doc.toml", edited("schema_version", value=1.0)),
                 ["doc.toml", "schema_version", "unsupported schema version 1.0"],
                 id="schema-version-float"),
    pytest.param(_document("doc.json", edited("schema_version", value=True)),
                 ["doc.json", "schema_version"], id="schema-version-bool"),
    pytest.param(_document("doc.toml", edited("schema_version", delete=True)),
                 ["doc.toml", "schema_version", "missing"], id="schema-version-missing"),
    pytest.param(_document("doc.toml", edited("surprise", value=1)),
                 ["doc.toml", "surprise", "unknown key"], id="unknown-top-level-key"),
    pytest.param(_document("doc.yaml", edited("result", "extra", value="x")),
                 ["doc.yaml", "result.extra", "unknown key"], id="unknown-nested-key"),
    pytest.param(_document("doc.json", edited("result", "phase", value=3)),
                 ["doc.json", "result.phase"], id="phase-wrong-type"),
    pytest.param(_document("doc.json", edited("result", "phase", value="happy")),
                 ["doc.json", "result.phase", "happy"], id="phase-unknown"),
    pytest.param(_document("doc.toml", edited("result", "bn_set", value="a0")),
                 ["doc.toml", "result.bn_set"], id="bn-set-not-a-list"),
    pytest.param(_document("doc.toml", edited("result", "bn_set", value=["a0", "a9"])),
                 ["doc.toml", "result.bn_set", "'a9'", "a0, a1"], id="bn-set-unknown-action"),
    pytest.param(_document("doc.toml", edited("result", "pure_equilibria", value=["zz"])),
                 ["doc.toml", "result.pure_equilibria", "'zz'"],
                 id="equilibrium-unknown-action"),
    pytest.param(_document("doc.json", edited("parameters", "prior", "hi", value="abc")),
                 ["doc.json", "parameters.prior.hi", "expected a number"],
                 id="parameter-wrong-type"),
    pytest.param(_document("doc.json", edited("parameters", "prior", "hi", value=50.0)),
                 ["doc.json", "parameters.prior.hi", "above its high bound 10"],
                 id="parameter-out-of-range"),
    pytest.param(_text("doc.json", json.dumps(edited("parameters", "prior", "hi", value=1.0))
                       .replace('"hi": 1.0', '"hi": NaN')),
                 ["doc.json", "parameters.prior.hi", "finite"], id="parameter-nan"),
    pytest.param(_document("doc.toml", edited("parameters", "prior", value=[1, 2])),
                 ["doc.toml", "parameters.prior"], id="parameters-not-a-table"),
    pytest.param(_document("doc.toml", edited("provenance", "points", value=-3)),
                 ["doc.toml", "provenance.points"], id="points-negative"),
    pytest.param(_document("doc.toml", edited("provenance", "storage",
                                              value="postgresql://u:pw@h/db")),
                 ["doc.toml", "provenance.storage"], id="storage-with-password"),
    pytest.param(_text("doc.yaml", "!!python/object/apply:os.system ['touch pwned']\n"),
                 ["doc.yaml", "invalid YAML"], id="yaml-python-object-apply"),
    pytest.param(_text("doc.yaml", "schema_version: !!python/name:os.system\n"),
                 ["doc.yaml", "invalid YAML"], id="yaml-python-name"),
    pytest.param(_text("doc.yaml", "a: !!python/object:collections.OrderedDict {}\n"),
                 ["doc.yaml", "invalid YAML"], id="yaml-python-object"),
    pytest.param(_text("doc.yaml", "a: !custom 3\n"), ["doc.yaml", "invalid YAML"],
                 id="yaml-unknown-tag"),
    pytest.param(_text("doc.yaml", "- 1\n- 2\n"), ["doc.yaml", "mapping"],
                 id="yaml-top-level-list"),
    pytest.param(_text("doc.toml", "a = 1\na = 2\n"), ["doc.toml", "invalid TOML"],
                 id="toml-duplicate-key"),
    pytest.param(_text("doc.json", json.dumps(edited("parameters", "prior", "lo", value=1.0))
                       .replace('"lo": 1.0', '"lo": -9.5, "lo": 1.0')),
                 ["doc.json", "duplicate key 'lo'"], id="json-duplicate-key"),
    pytest.param(_text("doc.yaml", yaml.safe_dump(edited("parameters", "prior", "lo",
                                                         value=1.0))
                       .replace("    lo: 1.0\n", "    lo: -9.5\n    lo: 1.0\n")),
                 ["doc.yaml", "duplicate key 'lo'"], id="yaml-duplicate-key"),
    pytest.param(_document("doc.json", edited("parameters", "prior", "lo", value="-1.5")),
                 ["doc.json", "parameters.prior.lo", "expected a number", "'-1.5'"],
                 id="number-as-a-string"),
    pytest.param(_document("doc.yaml", edited("parameters", "world", "m0", value="1")),
                 ["doc.yaml", "parameters.world.m0", "expected a number"],
                 id="world-number-as-a-string"),
    pytest.param(_huge, ["huge.toml", "too large", "4194304"], id="huge-file"),
    pytest.param(_text("doc.toml", ""), ["doc.toml"], id="empty-toml"),
    pytest.param(_text("doc.json", ""), ["doc.json", "invalid JSON"], id="empty-json"),
    pytest.param(_text("doc.yaml", ""), ["doc.yaml", "mapping"], id="empty-yaml"),
    pytest.param(_text("doc.toml", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"),
                 ["doc.toml", "UTF-8"], id="binary-garbage"),
    pytest.param(_text("doc.ini", "[parameters]\nhi = 1\n"),
                 ["doc.ini", "unknown config format"], id="wrong-suffix"),
    pytest.param(_text("doc", "{}"), ["doc", "unknown config format"], id="no-suffix"),
    pytest.param(lambda d: d / "missing.toml", ["missing.toml", "no such file"],
                 id="missing-file"),
    pytest.param(_directory, ["dir.toml"], id="a-directory"),
]


@pytest.mark.parametrize("make,fragments", CONFIG_FILES)
def test_bad_exported_file_for_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     make: Any, fragments: list[str]) -> None:
    file = make(tmp_path)
    expect_bad_input(capsys, ["check", str(file), "--scenario", LINEAR, *FAST], fragments)


PRIOR_FILES = [
    pytest.param(_truncated(".toml"), ["doc.toml", "invalid TOML"], id="truncated-toml"),
    pytest.param(_truncated(".json"), ["doc.json", "invalid JSON"], id="truncated-json"),
    pytest.param(_text("doc.yaml", "prior: {hi: [\n"), ["doc.yaml", "invalid YAML"],
                 id="truncated-yaml"),
    pytest.param(_document("doc.toml", edited("schema_version", value=7)),
                 ["doc.toml", "schema_version", "7"], id="schema-version-7"),
    pytest.param(_document("doc.toml", {"parameters": {"prior": {"nope": 1.0}}}),
                 ["doc.toml", "nope"], id="unknown-parameter"),
    pytest.param(_document("doc.toml", {"parameters": {"prior": {"hi": 1.0},
                                                       "surprise": {"x": 1}}}),
                 ["doc.toml", "surprise"], id="unknown-group"),
    pytest.param(_document("doc.json", {"hi": "abc"}), ["doc.json", "'hi'",
                                                        "expected a number"],
                 id="wrong-type"),
    pytest.param(_document("doc.json", {"hi": True}), ["doc.json", "'hi'"],
                 id="bool-for-float"),
    pytest.param(_document("doc.yaml", {"prior": {"hi": 99}}), ["doc.yaml", "'hi'",
                                                                "above its high bound"],
                 id="out-of-range"),
    pytest.param(_text("doc.json", '{"hi": Infinity}'), ["doc.json", "'hi'", "finite"],
                 id="infinite"),
    pytest.param(_text("doc.yaml", "hi: !!python/object/apply:os.system ['touch pwned']\n"),
                 ["doc.yaml", "invalid YAML"], id="yaml-unsafe-tag"),
    pytest.param(_text("doc.yaml", "hi: &x [1, *x]\n"), ["doc.yaml", "contains itself"],
                 id="yaml-recursive-alias"),
    pytest.param(_huge, ["huge.toml", "too large"], id="huge-file"),
    pytest.param(_text("doc.toml", b"\x00\xff\xfe\x00garbage"), ["doc.toml", "UTF-8"],
                 id="binary-garbage"),
    pytest.param(_text("doc.yaml", ""), ["doc.yaml", "mapping"], id="empty-yaml"),
    pytest.param(_text("doc.yml.bak", "hi: 1\n"), ["doc.yml.bak", "unknown config format"],
                 id="wrong-suffix"),
    pytest.param(lambda d: d / "missing.json", ["missing.json", "no such file"],
                 id="missing-file"),
]


@pytest.mark.parametrize("make,fragments", PRIOR_FILES)
def test_bad_prior_file_for_analyze(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    make: Any, fragments: list[str]) -> None:
    file = make(tmp_path)
    expect_bad_input(capsys, ["analyze", LINEAR, "--prior", str(file), *FAST], fragments)
    assert not (tmp_path / "pwned").exists()


def test_check_needs_the_scenario_named(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    file = write_doc(tmp_path / "doc.toml", valid_document())
    expect_bad_input(capsys, ["check", str(file), *FAST], ["doc.toml", "--scenario PATH"])
    expect_bad_input(capsys, ["check", str(file), "--scenario", LINEAR,
                              "--trust-scenario-path"], ["not both"])


def test_the_valid_document_checks_clean(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The corpus's documents differ from a file that passes only in the broken part."""
    file = write_doc(tmp_path / "doc.toml", valid_document())
    assert run_cli(["check", str(file), "--scenario", LINEAR, "--unchanged", *FAST]) == 0
    assert "unchanged" in capsys.readouterr().out


# --------------------------------------------------------------------------- storage


def _journal_directory(directory: Path) -> str:
    (directory / "studies").mkdir()
    return str(directory / "studies")


STORAGES = [
    pytest.param(lambda d: "postgresql://u:secret@127.0.0.1:1/db",
                 ["postgresql://u:***@127.0.0.1:1/db"], id="unreachable-postgres"),
    pytest.param(lambda d: "foo://x", ["storage foo://x", "unknown scheme", "sqlite://"],
                 id="unknown-scheme"),
    pytest.param(lambda d: f"sqlite:///{d}/nowhere/studies.db", ["nowhere"],
                 id="sqlite-in-missing-directory"),
    pytest.param(_journal_directory, ["studies", "directory"], id="journal-is-a-directory"),
    pytest.param(lambda d: str(d / "nowhere" / "x.sme-journal"), ["nowhere"],
                 id="journal-in-missing-directory"),
]


@pytest.mark.parametrize("command", ["search", "candidates", "export"])
@pytest.mark.parametrize("make,fragments", STORAGES)
def test_bad_storage(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str,
                     make: Any, fragments: list[str]) -> None:
    storage = make(tmp_path)
    argv = {
        "search": ["search", LINEAR, "--trials", "2", "--batch", "2", "--margin-directions",
                   "0", "--export", "best.toml", *FAST],
        "candidates": ["candidates", LINEAR],
        "export": ["export", LINEAR, "--trial", "0", "-o", "out.toml"],
    }[command]
    line = expect_bad_input(capsys, [*argv, "--storage", storage], fragments,
                            absent=[tmp_path / "best.toml", tmp_path / "out.toml",
                                    tmp_path / "linear-gaussian.sme-journal"])
    assert "secret" not in line


def test_reading_a_missing_study_creates_nothing(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / "linear-gaussian.sme-journal"
    for argv in (["candidates", LINEAR], ["export", LINEAR, "--best", "-o", "out.toml"],
                 ["candidates", "--study", "nope"]):
        expect_bad_input(capsys, argv, ["sme-journal"], absent=[journal, tmp_path / "out.toml"])


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A journal holding a small finished study of the linear-Gaussian example."""
    directory = tmp_path_factory.mktemp("study")
    journal = directory / "linear-gaussian.sme-journal"
    code = main(["search", LINEAR, "--trials", "4", "--batch", "4", "--margin-directions", "0",
                 "--seed", "1", "--storage", str(journal), "--json", *FAST])
    assert code == 0
    return journal


EXPORTS = [
    pytest.param(["--trial", "99", "-o", "out.toml"], ["trial 99"], id="no-such-trial"),
    pytest.param(["--trial", "-1", "-o", "out.toml"], ["--trial", "'-1'"], id="negative-trial"),
    pytest.param(["--trial", "x", "-o", "out.toml"], ["--trial", "'x'"], id="text-trial"),
    pytest.param(["--trial", "0", "-o", "out.ini"], ["out.ini", "unknown config format"],
                 id="output-wrong-suffix"),
    pytest.param(["--trial", "0", "-o", "nodir/out.toml"], ["nodir", "does not exist"],
                 id="output-in-missing-directory"),
    pytest.param(["--trial", "0", "--study", "nope", "-o", "out.toml"], ["no study 'nope'"],
                 id="unknown-study"),
    pytest.param(["--trial", "0", "--best", "-o", "out.toml"], ["--best", "--trial"],
                 id="trial-and-best"),
]


@pytest.mark.parametrize("options,fragments", EXPORTS)
def test_bad_export(tmp_path: Path, capsys: pytest.CaptureFixture[str], searched: Path,
                    options: list[str], fragments: list[str]) -> None:
    journal = tmp_path / searched.name
    journal.write_bytes(searched.read_bytes())
    expect_bad_input(capsys, ["export", LINEAR, "--storage", str(journal), *options],
                     fragments, absent=[tmp_path / "out.toml", tmp_path / "out.ini"])


def test_export_never_overwrites_without_force(tmp_path: Path, searched: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / searched.name
    journal.write_bytes(searched.read_bytes())
    out = tmp_path / "out.toml"
    out.write_text("# mine\n")
    expect_bad_input(capsys, ["export", LINEAR, "--storage", str(journal), "--trial", "0",
                              "-o", str(out)], ["out.toml", "already exists", "--force"])
    assert out.read_text() == "# mine\n"


def test_search_refuses_a_different_context(tmp_path: Path, searched: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / searched.name
    journal.write_bytes(searched.read_bytes())
    expect_bad_input(capsys, ["search", LINEAR, "--trials", "8", "--batch", "4",
                              "--margin-directions", "0", "--storage", str(journal),
                              "--set", "m0=1", *FAST], ["m0"])


def test_no_password_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [sys.executable, "-m", "sme", "candidates", "--study", "x", "--storage",
         "postgresql://u:secret@127.0.0.1:1/db"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 2
    assert "secret" not in result.stdout + result.stderr
    assert result.stderr.startswith("sme: error: ") and len(result.stderr.splitlines()) == 1


def test_too_few_points_are_named_as_a_cause(capsys: pytest.CaptureFixture[str]) -> None:
    """Two Θ points on a Beta prior are its ends, where a Bernoulli belief cannot produce
    both outcomes: the message suggests more points."""
    expect_bad_input(capsys, ["analyze", str(Path(LINEAR).with_name("deception.py")),
                              "--points", "2"], ["2 Θ points", "raise --points"])


def test_a_diagram_cell_that_is_no_valid_prior_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sweeping lo against hi puts lo > hi in some cells: the first such cell is named."""
    monkeypatch.chdir(tmp_path)
    line = expect_bad_input(capsys, ["phase-diagram", LINEAR, "--x", "lo=-5:2.5:8", "--y",
                                     "hi=0:5:6", "--out", "d.png", *FAST],
                            ["cell lo=", "hi=0:", "latent site 'theta'", "support is empty"],
                            absent=[tmp_path / "d.png"])
    lo = float(line.split("cell lo=")[1].split(",")[0])
    assert lo > 0  # the cell really has lo > hi = 0


# --------------------------------------------------------------------------- the environment

LONG_NAME = "x" * 300  # longer than any file system allows for one name (255 bytes)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def _with_user_files(directory: Path) -> None:
    """Files a user may have beside their work: notes, an image, a directory of each
    expected suffix."""
    (directory / "notes.txt").write_text("my notes\n")
    (directory / "image.png").write_bytes(PNG)
    for name in ("dir.json", "dir.toml", "dir.png", "dir.sme-journal"):
        (directory / name).mkdir()


SEARCH = ["search", LINEAR, "--trials", "2", "--batch", "2", "--margin-directions", "0", *FAST]
DIAGRAM = ["phase-diagram", LINEAR, "--x", "m0=0:1:3", "--y", "m1=0:1:3", *FAST]
SIMULATE = ["simulate", LINEAR, "--learners", "3", "--steps", "5", *FAST]

OS_ERRORS = [
    pytest.param(["analyze", LINEAR, "--prior", "dir.json", *FAST],
                 ["dir.json", "is a directory"], id="prior-is-a-directory"),
    pytest.param(["analyze", LINEAR, "--prior", "notes.txt/x.json", *FAST],
                 ["notes.txt/x.json"], id="prior-under-a-file"),
    pytest.param(["analyze", LINEAR, "--prior", f"{LONG_NAME}.json", *FAST],
                 [f"{LONG_NAME[:50]}", "File name too long"], id="prior-name-too-long"),
    pytest.param(["analyze", f"{LONG_NAME}.py", *FAST], ["File name too long"],
                 id="scenario-name-too-long"),
    pytest.param([*SEARCH, "--storage", f"{LONG_NAME}.sme-journal"], ["File name too long"],
                 id="journal-name-too-long"),
    pytest.param([*SEARCH, "--storage", "notes.txt/j.sme-journal"], ["notes.txt"],
                 id="journal-under-a-file"),
    pytest.param([*SEARCH, "--storage", "dir.sme-journal"], ["dir.sme-journal", "directory"],
                 id="journal-is-a-directory"),
    pytest.param([*SEARCH, "--export", f"{LONG_NAME}.toml"], ["File name too long"],
                 id="export-name-too-long"),
    pytest.param([*SEARCH, "--export", "dir.toml"], ["dir.toml", "is a directory"],
                 id="export-is-a-directory"),
    pytest.param([*DIAGRAM, "--out", "dir.png"], ["dir.png", "is a directory"],
                 id="figure-is-a-directory"),
    pytest.param([*DIAGRAM, "--out", f"{LONG_NAME}.png"], ["File name too long"],
                 id="figure-name-too-long"),
    pytest.param([*SIMULATE, "--plot", "notes.txt/s.png"], ["notes.txt"],
                 id="plot-under-a-file"),
]


@pytest.mark.parametrize("argv,fragments", OS_ERRORS)
def test_operating_system_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              argv: list[str], fragments: list[str]) -> None:
    _with_user_files(tmp_path)
    expect_bad_input(capsys, argv, fragments,
                     absent=[tmp_path / "linear-gaussian.sme-journal"])


def _read_only(directory: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory this process may not write in: by its mode, or (for root, whom modes do
    not stop) as ``os.access`` reports it."""
    ro = directory / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if IS_ROOT:
        real = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: False
                            if Path(path).resolve() == ro.resolve() else real(path, mode, **kw))
    return ro


@pytest.mark.parametrize("argv", [
    pytest.param([*SEARCH, "--export", "ro/best.toml"], id="search-export"),
    pytest.param([*DIAGRAM, "--out", "ro/d.png"], id="diagram-out"),
    pytest.param([*SIMULATE, "--plot", "ro/s.png"], id="simulate-plot"),
    pytest.param([*SEARCH, "--storage", "ro/j.sme-journal"], id="search-storage"),
])
def test_a_read_only_output_directory_is_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        argv: list[str]) -> None:
    ro = _read_only(tmp_path, monkeypatch)
    try:
        expect_bad_input(capsys, argv, ["ro", "not writable"],
                         absent=[tmp_path / "linear-gaussian.sme-journal"])
    finally:
        ro.chmod(0o755)


def test_export_refuses_a_read_only_directory(tmp_path: Path, searched: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / searched.name
    journal.write_bytes(searched.read_bytes())
    ro = _read_only(tmp_path, monkeypatch)
    try:
        expect_bad_input(capsys, ["export", LINEAR, "--storage", str(journal), "--trial", "0",
                                  "-o", "ro/out.toml"], ["ro/out.toml", "not writable"])
    finally:
        ro.chmod(0o755)


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their mode")
@pytest.mark.parametrize("what", ["prior", "scenario", "journal"])
def test_an_unreadable_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        searched: Path, what: str) -> None:
    if what == "prior":
        file = write_doc(tmp_path / "doc.toml", {"lo": -4.0})
        argv = ["analyze", LINEAR, "--prior", str(file), *FAST]
    elif what == "scenario":
        file = Path(good_scenario(tmp_path))
        argv = ["analyze", str(file), *FAST]
    else:
        file = tmp_path / searched.name
        file.write_bytes(searched.read_bytes())
        argv = ["candidates", LINEAR, "--storage", str(file)]
    file.chmod(0)
    try:
        expect_bad_input(capsys, argv, [file.name])
    finally:
        file.chmod(0o644)


def test_an_os_error_deep_inside_a_command_names_its_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The boundary catches what no command anticipated: a disk that fails mid-analysis."""
    import sme.analysis

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OSError(5, "Input/output error", "/mnt/disk/cache.bin")

    monkeypatch.setattr(sme.analysis, "analyze", failing)
    line = expect_bad_input(capsys, ["analyze", LINEAR, *FAST], ["/mnt/disk/cache.bin",
                                                                 "Input/output error"])
    assert line == "sme: error: /mnt/disk/cache.bin: Input/output error"
    with pytest.raises(OSError):
        main(["--debug", "analyze", LINEAR, *FAST])


def test_a_defect_is_not_disguised_as_bad_input(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the input's and the environment's failures become one line; a bug in SME keeps
    its traceback."""
    import sme.analysis

    def buggy(*args: Any, **kwargs: Any) -> Any:
        return {}["missing"]

    monkeypatch.setattr(sme.analysis, "analyze", buggy)
    with pytest.raises(KeyError):
        main(["analyze", LINEAR, *FAST])


@pytest.mark.parametrize("exc,fragments", [
    pytest.param(PermissionError(13, "Permission denied", "/a/b.toml"),
                 ["/a/b.toml", "Permission denied"], id="os-error"),
    pytest.param(OSError(18, "Invalid cross-device link", "/a", None, "/b"), ["/a -> /b"],
                 id="os-error-two-paths"),
    pytest.param(RecursionError("maximum recursion depth exceeded"), ["nested too deeply"],
                 id="recursion"),
    pytest.param(MemoryError(), ["out of memory", "--memory-budget"], id="memory"),
    pytest.param(RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't "
                              "allocate memory: you tried to allocate 8000000000000 bytes."),
                 ["out of memory"], id="torch-allocator"),
    pytest.param(ValueError("Exceeds the limit (4300 digits) for integer string conversion"),
                 ["more digits", "4300"], id="digit-limit"),
    pytest.param(OverflowError("int too large to convert to float"), ["too large"],
                 id="overflow"),
    pytest.param(json.JSONDecodeError("Expecting value", "x\ny", 2), ["invalid JSON", "line 2"],
                 id="json"),
    pytest.param(yaml.YAMLError("bad"), ["invalid YAML"], id="yaml"),
])
def test_environment_failures_read_as_one_line(exc: BaseException, fragments: list[str]) -> None:
    from sme.runtime.errors import describe_failure

    line = describe_failure(exc)
    assert line is not None and "\n" not in line
    for fragment in fragments:
        assert fragment in line


@pytest.mark.parametrize("exc", [KeyError("x"), TypeError("x"), AttributeError("x"),
                                 RuntimeError("shape mismatch"), ValueError("other")])
def test_defects_are_not_described_as_bad_input(exc: BaseException) -> None:
    from sme.runtime.errors import describe_failure

    assert describe_failure(exc) is None


# --------------------------------------------------------------------------- parsers


def _nested(fmt: str, depth: int) -> str:
    inner = "[" * depth + "]" * depth
    return {"json": f'{{"lo": {inner}}}', "toml": f"lo = {inner}\n",
            "yaml": f"lo: {inner}\n"}[fmt]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["json", "toml", "yaml"]),
       depth=st.one_of(st.integers(33, 200), st.integers(1000, 20000)))
def test_deeply_nested_config_files_are_refused(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                fmt: str, depth: int) -> None:
    file = tmp_path / f"deep-{depth}.{fmt}"
    file.write_text(_nested(fmt, depth))
    try:
        expect_bad_input(capsys, ["analyze", LINEAR, "--prior", str(file), *FAST],
                         [file.name, "nested"])
    finally:
        file.unlink()


def test_nesting_within_the_limit_is_read(tmp_path: Path) -> None:
    from sme.files.configfile import MAX_DEPTH, read_config

    file = tmp_path / "ok.json"
    file.write_text(_nested("json", MAX_DEPTH - 1))
    assert "lo" in read_config(file)


def test_yaml_aliases_are_measured_once() -> None:
    """A 'billion laughs' document shares its nodes: measuring its depth visits each once."""
    from sme.files.configfile import nesting_depth

    node: Any = ["lol"]
    for _ in range(40):
        node = [node] * 10  # 10**40 paths, 41 distinct lists
    assert nesting_depth({"a": node}) == 42


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["json", "toml", "yaml", "cli"]),
       digits=st.one_of(st.integers(310, 400), st.integers(4301, 9000)),
       negative=st.booleans())
def test_numbers_with_thousands_of_digits(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          fmt: str, digits: int, negative: bool) -> None:
    number = ("-" if negative else "") + "7" * digits
    if fmt == "cli":
        argv = ["analyze", LINEAR, *FAST, "--set", f"lo={number}"]
        fragments = ["parameter 'lo'", "finite"]
    else:
        file = tmp_path / f"big.{fmt}"
        file.write_text({"json": f'{{"lo": {number}}}', "toml": f"lo = {number}\n",
                         "yaml": f"lo: {number}\n"}[fmt])
        argv = ["analyze", LINEAR, *FAST, "--prior", str(file)]
        fragments = [file.name, "digits" if digits > 4300 else "finite"]
    line = expect_bad_input(capsys, argv, fragments)
    assert len(line) < 500


@pytest.mark.parametrize("flag", ["--points", "--learners", "--steps", "--mc-samples"])
def test_a_flag_with_thousands_of_digits_is_one_short_line(
        capsys: pytest.CaptureFixture[str], flag: str) -> None:
    line = expect_bad_input(capsys, ["simulate", LINEAR, flag, "9" * 5000],
                            [flag, "positive integer"])
    assert len(line) < 500


@pytest.mark.parametrize("suffix", [".json", ".toml", ".yaml"])
def test_a_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       suffix: str) -> None:
    """Editors write a UTF-8 BOM; the file reads as without it."""
    file = write_doc(tmp_path / f"bom{suffix}", {"lo": -4.0})
    file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    assert run_cli(["analyze", LINEAR, "--prior", str(file), "--json", *FAST]) == 0
    assert json.loads(capsys.readouterr().out)["prior"]["lo"] == -4.0


def test_an_exported_file_with_a_byte_order_mark_checks(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    file = write_doc(tmp_path / "doc.json", valid_document())
    file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    assert run_cli(["check", str(file), "--scenario", LINEAR, "--unchanged", *FAST]) == 0
    assert "unchanged" in capsys.readouterr().out


# --------------------------------------------------------------------------- names echoed


def _printable(line: str) -> bool:
    import unicodedata

    return all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in line)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40).filter(lambda t: "=" not in t and t.strip()))
def test_odd_names_are_echoed_escaped_on_one_line(capsys: pytest.CaptureFixture[str],
                                                  name: str) -> None:
    code = run_cli(["analyze", LINEAR, *FAST, f"--set={name}\x1b[2J\n=1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("sme: error: ")
    assert _printable(err.rstrip("\n"))
    assert "\\x1b[2J" in err


def test_a_message_from_a_scenario_file_is_escaped(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.py"
    file.write_text('raise RuntimeError("\\x1b]0;owned\\x07 first\\u202e line")\n')
    line = expect_bad_input(capsys, ["analyze", str(file), *FAST], ["bad.py", "\\x1b]0;owned"])
    assert _printable(line) and "\\u202e" in line


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=600))
def test_escape_line_is_one_printable_line(text: str) -> None:
    from sme.runtime.errors import MAX_LINE, escape_line

    line = escape_line(text)
    assert _printable(line) and len(line) <= MAX_LINE
    if len(text) <= 100 and _printable(text):
        assert line == text  # printable text is shown as it is


# --------------------------------------------------------------------------- journals


def _journal_lines(searched: Path) -> list[bytes]:
    return searched.read_bytes().splitlines(keepends=True)


def _inserted(lines: list[bytes], at: int, line: bytes) -> bytes:
    """The journal ``lines`` with ``line`` inserted as line ``at + 1``."""
    return b"".join([*lines[:at], line, *lines[at:]])


def _not_journals(searched: Path) -> list[tuple[str, bytes, list[str]]]:
    lines = _journal_lines(searched)
    return [
        ("notes.txt", b"my notes\nmore notes\n", ["notes.txt", "not an Optuna journal", "line 1"]),
        ("image.png", PNG, ["image.png", "not an Optuna journal", "line 1"]),
        ("one-line.txt", b"hello", ["one-line.txt", "line 1"]),
        ("nul.sme-journal", b"".join(lines) + b"\x00" * 64,
         ["corrupt Optuna journal", f"line {len(lines) + 1}"]),
        ("nul-line.sme-journal", _inserted(lines, 3, b"\x00\x00\n"),
         ["corrupt Optuna journal", "line 4", "NUL"]),
        ("garbage.sme-journal", _inserted(lines, 5, b"garbage here\n"),
         ["corrupt Optuna journal", "line 6", "not JSON"]),
        ("bad-op.sme-journal", _inserted(lines, 2, b'{"op_code": 99, "worker_id": "w"}\n'),
         ["line 3", "op_code"]),
        ("object.sme-journal", _inserted(lines, 2, b'{"a": 1}\n'), ["line 3", "op_code"]),
        ("unreplayable.sme-journal", _inserted(lines, 3, b'{"op_code":4,"worker_id":"w"}\n'),
         ["corrupt Optuna journal", "line 4", "does not replay"]),
    ]


@pytest.mark.parametrize("command", ["search", "candidates", "export"])
def test_a_file_that_is_not_a_journal_is_never_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], searched: Path,
        command: str) -> None:
    for name, content, fragments in _not_journals(searched):
        file = tmp_path / name
        file.write_bytes(content)
        argv = {"search": [*SEARCH, "--export", "best.toml"],
                "candidates": ["candidates", LINEAR],
                "export": ["export", LINEAR, "--trial", "0", "-o", "out.toml"]}[command]
        expect_bad_input(capsys, [*argv, "--storage", str(file)], fragments,
                         absent=[tmp_path / "best.toml", tmp_path / "out.toml",
                                 Path(f"{file}.lock")])
        assert file.read_bytes() == content
        file.unlink()


def test_an_empty_file_is_a_new_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    """Only an empty or missing file may become a journal; the search then works as usual."""
    file = tmp_path / "empty.txt"
    file.touch()
    assert run_cli([*SEARCH, "--storage", str(file)]) == 0
    from search.journal_file import check_journal

    check_journal(file)  # what was written is a journal
    assert file.stat().st_size > 0


def test_check_journal_accepts_a_torn_last_record(tmp_path: Path, searched: Path) -> None:
    """A record torn by a crash (no newline yet) is allowed at the end only."""
    from search.journal_file import check_journal

    lines = _journal_lines(searched)
    file = tmp_path / "torn.sme-journal"
    file.write_bytes(b"".join(lines) + lines[-1][:10])
    check_journal(file)
    file.write_bytes(b"".join(lines[:2]) + lines[2][:10] + b"".join(lines[3:]))
    with pytest.raises(SMEError, match="line 3"):
        check_journal(file)


def _dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


@pytest.mark.parametrize("kind", ["old", "dangling", "killed"])
def test_a_stale_lock_is_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                searched: Path, monkeypatch: pytest.MonkeyPatch,
                                kind: str) -> None:
    """A lock left by a killed process no longer blocks the journal: the next command breaks
    it and goes on (it used to wait forever)."""
    import search.journal_file as journal_file

    journal = tmp_path / searched.name
    journal.write_bytes(searched.read_bytes())
    lock = Path(f"{journal}.lock")
    if kind == "killed":  # a real process that dies holding the lock
        monkeypatch.setattr(journal_file, "STALE_LOCK_SECONDS", 0.5)
        code = ("import os, signal, sys; from search.journal_file import JournalLock; "
                f"JournalLock({str(journal)!r}).acquire(); os.kill(os.getpid(), signal.SIGKILL)")
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
        assert lock.is_symlink()
        import time

        time.sleep(0.6)
    else:
        os.symlink(str(journal) if kind == "old" else str(tmp_path / "gone"), lock)
        os.utime(lock, (1e9, 1e9), follow_symlinks=False)
    monkeypatch.setattr(journal_file, "LOCK_TIMEOUT_SECONDS", 20.0)
    assert run_cli([*SEARCH, "--trials", "6", "--storage", str(journal)]) == 0
    assert not lock.is_symlink()
    capsys.readouterr()


def test_a_live_lock_is_waited_for_then_refused(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                searched: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import search.journal_file as journal_file

    journal = tmp_path / searched.name
    journal.write_bytes(searched.read_bytes())
    os.symlink(str(journal), f"{journal}.lock")
    monkeypatch.setattr(journal_file, "LOCK_TIMEOUT_SECONDS", 0.3)
    before = snapshot(tmp_path)
    capsys.readouterr()
    assert run_cli([*SEARCH, "--trials", "6", "--storage", str(journal)]) == 2
    last = capsys.readouterr().err.splitlines()[-1]  # after the study's one-line summary
    assert last.startswith("sme: error: ") and f"{journal.name}.lock" in last
    assert "delete the lock file" in last
    assert snapshot(tmp_path) == before  # the journal was not written


# --------------------------------------------------------------------------- resources

MONTE_CARLO = scenario_source(world="""\
    def world(action, m0, m1):
        return pyro.sample("y", dist.StudentT(5.0, torch.where(action == 0, m0, m1), 1.0))
    """)


def _provenance_points(directory: Path) -> list[str]:
    doc = valid_document()
    doc["provenance"]["points"] = 10**9
    return ["check", str(write_doc(directory / "doc.toml", doc)), "--scenario", LINEAR]


def _provenance_mc_samples(directory: Path) -> list[str]:
    """An exported file whose provenance asks for 10**12 Monte Carlo samples, checked against
    the linear-Gaussian example with a Student-t world (no analytic KL: Monte Carlo)."""
    source = Path(LINEAR).read_text()
    normal = 'dist.Normal(torch.where(action == 0, m0, m1), 1.0))'
    assert normal in source
    scenario = _write(directory / "student.py", source.replace(
        normal, 'dist.StudentT(5.0, torch.where(action == 0, m0, m1), 1.0))'))
    doc = valid_document()
    doc["provenance"]["mc_samples"] = 10**12
    return ["check", str(write_doc(directory / "doc.toml", doc)), "--scenario", str(scenario)]


RESOURCES = [
    pytest.param(lambda d: ["analyze", LINEAR, "--points", "1000000000"],
                 ["--points 1000000000", "GB", "--memory-budget 512 MB"], id="analyze-points"),
    pytest.param(lambda d: ["analyze", LINEAR, "--points", "100000", "--memory-budget", "1"],
                 ["--points 100000", "--memory-budget 1 MB"], id="small-budget"),
    pytest.param(lambda d: [*DIAGRAM[:-2], "--points", "1000000000", "--out", "d.png"],
                 ["--points 1000000000"], id="diagram-points"),
    pytest.param(lambda d: [*SEARCH[:-2], "--points", "1000000000", "--export", "b.toml"],
                 ["--points 1000000000"], id="search-points"),
    pytest.param(lambda d: ["simulate", LINEAR, "--learners", "100000000"],
                 ["--learners 100000000", "--memory-budget 512 MB", "TB"],
                 id="simulate-learners"),
    pytest.param(lambda d: ["simulate", LINEAR, "--learners", "1", "--steps", "1000000000"],
                 ["--steps 1000000000", "action history"], id="simulate-steps"),
    pytest.param(lambda d: ["analyze", str(_write(d / "mc.py", MONTE_CARLO)), *FAST,
                            "--mc-samples", str(10**12)],
                 ["--mc-samples 1000000000000", "Monte Carlo"], id="mc-samples"),
    pytest.param(_provenance_points, ["--points 1000000000"], id="exported-provenance"),
    pytest.param(_provenance_mc_samples, ["--mc-samples 1000000000000", "Monte Carlo"],
                 id="exported-provenance-mc-samples"),
    pytest.param(lambda d: [*SEARCH[:-2], "--batch", str(10**8), "--trials", str(10**8)],
                 ["--batch 100000000", "--memory-budget 512 MB"], id="search-batch"),
    pytest.param(lambda d: [*SEARCH, "--workers", str(10**6)],
                 ["--workers 1000000", "memory"], id="search-workers"),
    pytest.param(lambda d: [*SEARCH, "--margin-directions", str(10**8)],
                 ["--margin-directions 100000000", "--memory-budget 512 MB"],
                 id="search-margin-directions"),
]


@pytest.mark.parametrize("make,fragments", RESOURCES)
def test_work_beyond_the_memory_budget_is_refused_before_allocating(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any,
        fragments: list[str]) -> None:
    import resource

    argv = make(tmp_path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    expect_bad_input(capsys, argv, fragments,
                     absent=[tmp_path / "d.png", tmp_path / "b.toml",
                             tmp_path / "linear-gaussian.sme-journal"])
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 256, f"the peak memory grew by {grown_mb:.0f} MB before the refusal"


def test_monte_carlo_within_the_budget_runs(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The refusal is about the estimate, not the flag: the same scenario at its default
    sample count analyses."""
    file = _write(tmp_path / "mc.py", MONTE_CARLO)
    assert run_cli(["analyze", str(file), *FAST, "--json", "--mc-samples", "20000"]) == 0
    methods = json.loads(capsys.readouterr().out)["resolution"]["methods"]
    assert methods["y"] == "monte-carlo(20000)"


def test_interrupting_a_simulation_is_one_line(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import sme.studies.dynamics

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(sme.studies.dynamics, "run_learners", interrupted)
    capsys.readouterr()
    assert run_cli([*SIMULATE, "--plot", "s.png"]) == 130
    assert capsys.readouterr().err == "sme: interrupted\n"
    assert not (tmp_path / "s.png").exists()


def test_ctrl_c_stops_a_billion_steps(tmp_path: Path) -> None:
    """``--steps 10**9`` within a raised budget runs until Ctrl-C, which ends it at once with
    one line.  (The child says when its imports are done: a Ctrl-C while Python is still
    importing torch is Python's own.)"""
    import signal
    import time

    argv = ["simulate", LINEAR, "--learners", "1", "--steps", str(10**9), "--memory-budget",
            "2048", *FAST]
    code = ("import sys; import sme.studies.dynamics, sme.commands.simulate; "
            "from sme.cli import main; "
            "print('ready', flush=True); "
            f"sys.exit(main({argv!r}))")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    time.sleep(3)  # into the simulation
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err == "sme: interrupted\n" and out == ""


@settings(max_examples=30, deadline=None)
@given(nx=st.integers(1, 7), ny=st.integers(1, 7), data=st.data())
def test_diagram_cells_are_the_grid_row_by_row(nx: int, ny: int, data: Any) -> None:
    from sme.studies.diagram import Cells

    xs, ys = [float(i) for i in range(nx)], [10.0 + j for j in range(ny)]
    cells = Cells({"k": 1}, "x", xs, "y", ys)
    eager = [{"k": 1, "x": xv, "y": yv} for yv in ys for xv in xs]
    assert len(cells) == len(eager)
    start = data.draw(st.integers(0, len(eager)))
    stop = data.draw(st.integers(start, len(eager) + 3))
    assert cells[start:stop] == eager[start:stop]
    index = data.draw(st.integers(-len(eager), len(eager) - 1))
    assert cells[index] == eager[index]


def test_a_2000_by_2000_diagram_holds_no_cell_list() -> None:
    import tracemalloc

    from sme.studies.diagram import Cells

    values = [float(i) for i in range(2000)]
    tracemalloc.start()
    cells = Cells({}, "x", values, "y", values)
    assert len(cells) == 4_000_000 and cells[-1] == {"x": 1999.0, "y": 1999.0}
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1024 * 1024


def test_a_damaged_journal_does_not_hide_a_study_in_another(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], searched: Path) -> None:
    """``--study NAME`` looks through every journal of the directory; one that is not a
    journal is skipped (and named when the study is nowhere)."""
    (tmp_path / "notes.sme-journal").write_text("not a journal\n")
    expect_bad_input(capsys, ["candidates", "--study", "linear-gaussian"],
                     ["no study 'linear-gaussian'", "skipped 1", "notes.sme-journal", "line 1"])
    (tmp_path / "other.sme-journal").write_bytes(searched.read_bytes())
    assert run_cli(["candidates", "--study", "linear-gaussian"]) == 0
    assert "linear-gaussian" in capsys.readouterr().out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=30).filter(lambda t: "/" not in t and "\x00" not in t))
def test_odd_file_names_are_echoed_escaped(capsys: pytest.CaptureFixture[str],
                                           name: str) -> None:
    code = run_cli(["analyze", LINEAR, *FAST, f"--prior=missing-{name}\n\x1b[1m.json"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and _printable(err.rstrip("\n")), err
    assert "\\n\\x1b[1m.json" in err


def test_tui_messages_are_the_same_one_line() -> None:
    """The TUI shows errors as notifications: one escaped line, as the command line does."""
    from tui.engine import error_text

    assert error_text(PermissionError(13, "Permission denied", "/x/a.toml")) == \
        "/x/a.toml: Permission denied"
    line = error_text(SMEError("bad name 'a\x1b[2J'\nsecond line"))
    assert line == "bad name 'a\\x1b[2J'\\nsecond line"  # a newline in a name is shown
    assert "\n" not in error_text(RuntimeError("unexpected\n\x1b[31mboom"))
    assert error_text(RecursionError()).startswith("input nested too deeply")


def test_an_export_from_the_tui_names_the_read_only_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The TUI's ctrl+s writes through ``write_export``: a read-only directory is named with
    the file asked for, not a temporary file, and nothing is left behind."""
    from sme.files.export import validate, write_export

    ro = _read_only(tmp_path, monkeypatch)
    try:
        with pytest.raises(SMEError, match=r"ro/prior\.toml: directory .* is not writable"):
            write_export(validate(valid_document(), "doc"), ro / "prior.toml")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


@settings(max_examples=40, deadline=None)
@given(continuous=st.integers(0, 5), discrete=st.lists(st.integers(1, 4), max_size=2),
       points=st.integers(1, 50), max_points=st.integers(8, 300))
def test_the_point_estimate_is_the_points_built(continuous: int, discrete: list[int],
                                                points: int, max_points: int) -> None:
    """The budget check counts Θ points without building them; the count is exact."""
    import torch

    from priors.grid import AxisRange, build_points, point_count

    if continuous == 0 and not discrete:
        continuous = 1
    axes = [AxisRange(low=torch.zeros(1), high=torch.ones(1)) for _ in range(continuous)]
    axes += [AxisRange(values=torch.arange(float(v))) for v in discrete]
    sites = {"theta": (torch.Size([len(axes)]), axes)}
    built = build_points(sites, 1, points, max_points, torch.float64, torch.device("cpu"))
    assert point_count(sites, points, max_points) == built.log_volume.shape[1]


# --------------------------------------------------------------------------- third round


def _copied(tmp_path: Path, searched: Path, name: str) -> Path:
    journal = tmp_path / name
    journal.write_bytes(searched.read_bytes())
    return journal


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_an_output_is_never_a_file_the_command_reads(tmp_path: Path, searched: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    force: list[str]) -> None:
    """`sme export --storage study.json -o study.json --force` used to replace the study's
    journal with the export; an output that is an input is refused, --force or not, by
    path, through a symbolic link and through a hard link."""
    journal = _copied(tmp_path, searched, "study.json")
    (tmp_path / "link.json").symlink_to(journal)
    os.link(journal, tmp_path / "hard.json")
    for output in ("study.json", "link.json", "hard.json"):
        expect_bad_input(capsys, ["export", "--storage", "study.json", "--study",
                                  "linear-gaussian", "--trial", "0", "-o", output, *force],
                         [output, "the study's storage", "reads"])
    assert journal.read_bytes() == searched.read_bytes()


def test_an_output_found_to_be_an_input_only_while_writing_is_refused(
        tmp_path: Path, searched: Path) -> None:
    """The one place that decides (sme.files.outputs) also knows the files opened so far:
    a journal found by study name, not named on the command line, is still protected."""
    from sme.files.outputs import check_output_directory
    from sme.runtime.reading import forget_reads, note_read

    journal = _copied(tmp_path, searched, "found.json")
    forget_reads()
    check_output_directory(journal)  # nothing read yet: writable
    note_read(journal, "the study's storage")
    with pytest.raises(SMEError, match=r"found\.json: is the study's storage"):
        check_output_directory(tmp_path / "." / "found.json")
    forget_reads()


def _foreign_sqlite(directory: Path) -> Path:
    import sqlite3

    path = directory / "contacts.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (name TEXT)")
        connection.execute("INSERT INTO people VALUES ('Ada')")
    return path


@pytest.mark.parametrize("command", ["candidates", "export", "search"])
def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path: Path, command: str,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    database = _foreign_sqlite(tmp_path)
    argv = {"candidates": ["candidates", "--study", "S"],
            "export": ["export", "--study", "S", "--trial", "0", "-o", "out.toml"],
            "search": SEARCH}[command]
    expect_bad_input(capsys, [*argv, "--storage", f"sqlite:///{database}"],
                     ["contacts.db", "not an Optuna storage", "people"],
                     absent=[tmp_path / "out.toml", tmp_path / "linear-gaussian.sme-journal"])


@pytest.mark.parametrize("command", ["candidates", "export"])
def test_reading_commands_never_create_a_database(tmp_path: Path, command: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv = {"candidates": ["candidates", "--study", "S"],
            "export": ["export", "--study", "S", "--trial", "0", "-o", "out.toml"]}[command]
    expect_bad_input(capsys, [*argv, "--storage", "sqlite:///typo.db"],
                     ["sqlite:///typo.db", "no such database file"],
                     absent=[tmp_path / "typo.db", tmp_path / "out.toml"])
    (tmp_path / "empty.db").touch()  # an empty SQLite file holds no study either
    expect_bad_input(capsys, [*argv, "--storage", "sqlite:///empty.db"],
                     ["empty.db", "no Optuna"], absent=[tmp_path / "out.toml"])
    assert (tmp_path / "empty.db").stat().st_size == 0


@pytest.mark.parametrize("argv,fragments", [
    pytest.param([*SEARCH, "--seed", "-1"], ["--seed", "0 to 4294967295", "'-1'"],
                 id="search-negative"),
    pytest.param([*SEARCH, "--seed", str(2**80)], ["--seed", "0 to 4294967295"],
                 id="search-2-80"),
    pytest.param([*SIMULATE, "--seed", "-1"], ["--seed", "0 to 4294967295"],
                 id="simulate-negative"),
    pytest.param([*SIMULATE, "--seed", str(2**80)], ["--seed", "0 to 4294967295"],
                 id="simulate-2-80"),
    pytest.param([*SIMULATE, "--device", "cuda:99"], ["--device", "cuda:99"],
                 id="simulate-cuda-99"),
    pytest.param([*SEARCH, "--device", "cuda:99"], ["--device", "cuda:99"],
                 id="search-cuda-99"),
    pytest.param(["analyze", LINEAR, "--device", "tpu", *FAST], ["--device", "'tpu'"],
                 id="analyze-unknown-device"),
])
def test_seeds_and_devices_are_checked_in_one_place(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    argv: list[str], fragments: list[str]
                                                    ) -> None:
    expect_bad_input(capsys, argv, fragments,
                     absent=[tmp_path / "linear-gaussian.sme-journal"])


def test_limits_refuse_what_the_libraries_would_crash_on() -> None:
    from sme.runtime.limits import MAX_SEED, check_device, check_seed, check_threads

    assert check_seed("0") == 0 and check_seed(MAX_SEED) == MAX_SEED
    for bad in (-1, MAX_SEED + 1, 2**80, "1.5", "x", True, "9" * 5000):
        with pytest.raises(SMEError, match="expected a seed from 0 to 4294967295"):
            check_seed(bad)
    said: list[str] = []
    assert check_threads(100000, cores=2, warn=said.append) == 2
    assert check_threads(1, cores=2, warn=said.append) == 1
    assert len(said) == 1 and "100000" in said[0]
    with pytest.raises(SMEError):
        check_threads(0, cores=2)
    assert check_device("cpu") == "cpu" and check_device("auto") == "auto"
    with pytest.raises(SMEError, match="cuda:99"):
        check_device("cuda:99")  # absent here, or beyond the devices present
    with pytest.raises(SMEError, match="expected auto, cpu, cuda or cuda:N"):
        check_device("cuda:-1")


def test_thread_counts_beyond_the_cores_are_lowered_not_crashed(tmp_path: Path) -> None:
    """OMP_NUM_THREADS=100000 made OpenBLAS end the process with a segmentation fault when
    NumPy loaded, and --threads 100000 failed in torch; both are lowered to the cores with
    a warning."""
    env = {**os.environ, "OMP_NUM_THREADS": "100000", "OPENBLAS_NUM_THREADS": "100000",
           "PYTHONPATH": str(ROOT)}  # this checkout, whatever is installed
    run = subprocess.run([sys.executable, "-m", "sme", "search", LINEAR, "--trials", "2",
                          "--batch", "2", "--margin-directions", "0", "--risk-grid", "0",
                          "--points", "21", "--threads", "100000", "--json"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "OMP_NUM_THREADS=100000 is more than" in run.stderr
    assert "--threads 100000 is more than" in run.stderr
    assert json.loads(run.stdout)["trials"] >= 1


def test_a_setup_that_is_not_a_mapping_is_one_line(tmp_path: Path, searched: Path,
                                                   capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    import optuna

    from search.storage import StorageSpec

    journal = _copied(tmp_path, searched, "tampered.sme-journal")
    study = optuna.load_study(study_name="linear-gaussian",
                              storage=StorageSpec(str(journal)).open())
    study.set_user_attr("sme_setup", "not a table")
    expect_bad_input(capsys, ["search", LINEAR, "--trials", "8", "--batch", "4",
                              "--margin-directions", "0", "--storage", str(journal), *FAST],
                     ["sme_setup", "not a mapping"])


def test_a_full_disk_names_the_file_being_written(tmp_path: Path, searched: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``[Errno 28] No space left on device`` carries no file name of its own."""
    import errno

    import sme.files.export

    journal = _copied(tmp_path, searched, "study.sme-journal")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sme.files.export.os, "fsync", full)
    expect_bad_input(capsys, ["export", "--storage", str(journal), "--study",
                              "linear-gaussian", "--trial", "0", "-o", "out.toml"],
                     ["out.toml", "No space left on device"], absent=[tmp_path / "out.toml"])


def test_a_full_disk_names_the_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from matplotlib.figure import Figure

    def full(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Figure, "savefig", full)
    expect_bad_input(capsys, [*SIMULATE, "--plot", "s.png"],
                     ["s.png", "No space left on device"], absent=[tmp_path / "s.png"])


def test_the_tui_without_a_terminal_is_one_line(tmp_path: Path) -> None:
    """Without a terminal the TUI ran on, writing escape codes to a file."""
    with (tmp_path / "out").open("w") as out, (tmp_path / "err").open("w") as err:
        code = subprocess.run([sys.executable, "-m", "sme", "tui", LINEAR],
                              stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(ROOT)},
                              timeout=120).returncode
    lines = (tmp_path / "err").read_text().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("sme: error: tui: needs a terminal")
    assert (tmp_path / "out").read_text() == ""
