"""The command line: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sme.cli import main

ROOT = Path(__file__).resolve().parent.parent
LINEAR = str(ROOT / "examples" / "linear_gaussian.py")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code = main(["analyze", LINEAR, "--json", *argv])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def exit_code(argv: list[str]) -> int:
    """``main``'s status, also when argparse exits for a usage error."""
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def test_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys)
    for key in ("scenario", "prior", "phase", "bn_set", "safe_actions", "pure_equilibria",
                "mixed_equilibria", "explanation"):
        assert key in data
    assert data["prior"] == {"lo": -5.0, "hi": 5.0, "g0": 1.0}
    assert data["safe_actions"] == ["a0"]
    assert data["phase"] == "oscillatory"
    (eq,) = data["mixed_equilibria"]
    assert abs(eq["mixture"]["a1"] - 1 / 7) < 5e-3
    assert set(eq["mixture"]) == {"a0", "a1"}


def test_set_moves_the_phase(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "--set", "lo=2.5")["phase"] == "misaligned"
    assert run_json(capsys, "--set", "hi=1.5")["phase"] == "safe"
    data = run_json(capsys, "--set", "m0=1", "--set", "m1=6")
    assert data["phase"] == "multistable"
    assert data["world"] == {"m0": 1.0, "m1": 6.0}


@pytest.mark.parametrize("suffix,text", [
    (".toml", "[parameters.prior]\nhi = 1.5\n"),
    (".json", '{"hi": 1.5}'),
    (".yaml", "prior:\n  hi: 1.5\n"),
])
def test_prior_file_sets_values(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                suffix: str, text: str) -> None:
    file = tmp_path / f"prior{suffix}"
    file.write_text(text)
    data = run_json(capsys, "--prior", str(file))
    assert data["prior"]["hi"] == 1.5
    assert data["phase"] == "safe"
    # --set wins over the file
    assert run_json(capsys, "--prior", str(file), "--set", "hi=5")["phase"] == "oscillatory"


def test_fail_unsafe_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", LINEAR, "--json", "--fail-unsafe"]) == 1
    assert main(["analyze", LINEAR, "--json", "--fail-unsafe", "--set", "hi=1.5"]) == 0
    capsys.readouterr()


def test_human_output_names_phase_and_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", LINEAR, "--set", "m0=1", "--set", "m1=1"]) == 0
    out = capsys.readouterr().out
    assert "safe" in out and "Berk–Nash set" in out and "{a0}" in out


@pytest.mark.parametrize("argv,fragment", [
    (["analyze", LINEAR, "--set", "nope=1"], "unknown parameter 'nope'"),
    (["analyze", LINEAR, "--set", "lo=abc"], "parameter 'lo': expected a number"),
    (["analyze", LINEAR, "--set", "lo=nan"], "parameter 'lo': expected a finite number"),
    (["analyze", LINEAR, "--set", "lo=-11"], "below its low bound"),
    (["analyze", LINEAR, "--set", "lo"], "expected NAME=VALUE"),
    (["analyze", "missing.py"], "missing.py: no such scenario file"),
    (["analyze", LINEAR, "--prior", "missing.toml"], "missing.toml: no such file"),
    (["analyze", LINEAR, "--prior", "x.ini"], "unknown config format"),
    (["analyze", LINEAR, "--device", "tpu"], "--device"),
    (["analyze", LINEAR, "--points", "0"], "positive integer"),
])
def test_bad_input_is_one_line_exit_2(argv: list[str], fragment: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_bad_config_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_yaml = tmp_path / "evil.yaml"
    bad_yaml.write_text("hi: !!python/object/apply:os.system ['echo pwned']\n")
    assert main(["analyze", LINEAR, "--prior", str(bad_yaml)]) == 2
    err = capsys.readouterr().err
    assert "evil.yaml" in err and "invalid YAML" in err
    truncated = tmp_path / "cut.json"
    truncated.write_text('{"hi": 1.')
    assert main(["analyze", LINEAR, "--prior", str(truncated)]) == 2
    assert "cut.json:1: invalid JSON" in capsys.readouterr().err
    nested = tmp_path / "nested.toml"
    nested.write_text("hi = [1, 2]\n")
    assert main(["analyze", LINEAR, "--prior", str(nested)]) == 2
    assert "parameter 'hi' must be a single value" in capsys.readouterr().err


def test_program_error_names_the_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    text = Path(LINEAR).read_text().replace('pyro.sample("y", dist.Normal(theta',
                                            'pyro.sample("z", dist.Normal(theta')
    bad = tmp_path / "bad.py"
    bad.write_text(text)
    assert main(["analyze", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "observed site 'y'" in err and "z" in err


def test_subprocess_has_no_traceback_and_debug_shows_one(tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text("scenario = (\n")
    cmd = [sys.executable, "-m", "sme", "analyze", str(bad)]
    plain = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert plain.returncode == 2
    assert "broken.py:1: syntax error" in plain.stderr
    assert "Traceback" not in plain.stderr
    debug = subprocess.run([sys.executable, "-m", "sme", "--debug", "analyze", str(bad)],
                           capture_output=True, text=True, cwd=ROOT)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_help_texts() -> None:
    out = subprocess.run([sys.executable, "-m", "sme", "analyze", "--help"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0
    for option in ("--set", "--prior", "--json", "--device", "--fail-unsafe", "--verify"):
        assert option in out.stdout
    top = subprocess.run([sys.executable, "-m", "sme", "--help"], capture_output=True,
                         text=True, cwd=ROOT)
    assert "analyze" in top.stdout and "run when loaded" in top.stdout
