"""Long commands draw a progress bar on a terminal's stderr, never into --json output; off a
terminal (a log, a pipe) they print plain lines every few seconds instead, and long work
states its estimated time once its first part is measured."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

from sme.runtime.progress import PlainProgress, duration, progress_interval

ROOT = Path(__file__).resolve().parent.parent
LINEAR = str(ROOT / "examples" / "linear_gaussian.py")
#: rich treats stderr as an interactive terminal (https://rich.readthedocs.io, environment)
TERMINAL = {**os.environ, "OMP_NUM_THREADS": "1", "TTY_COMPATIBLE": "1",
            "TTY_INTERACTIVE": "1", "COLUMNS": "120"}


def _sme(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sme", *argv], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120, check=True)


@pytest.mark.parametrize(("argv", "label", "total"), [
    (["simulate", LINEAR, "--learners", "20", "--steps", "200", "--points", "51"],
     "simulating", "200/200"),
    (["phase-diagram", LINEAR, "--x", "m0=-2:8:12", "--y", "m1=-2:8:10", "--points", "51"],
     "phase diagram", "120/120"),
])
def test_a_terminal_sees_progress_and_json_stays_clean(argv: list[str], label: str,
                                                        total: str) -> None:
    shown = _sme(*argv, "--json", env=TERMINAL)
    json.loads(shown.stdout)  # the bar never reaches stdout
    assert label in shown.stderr and total in shown.stderr
    piped = _sme(*argv, "--json", env={**os.environ, "OMP_NUM_THREADS": "1"})
    json.loads(piped.stdout)
    assert "\r" not in piped.stderr and "\x1b[" not in piped.stderr  # no bar drawn
    assert all(line.startswith(f"{label}: ") for line in piped.stderr.splitlines())


PIPED = {**os.environ, "OMP_NUM_THREADS": "1", "SME_PROGRESS_SECONDS": "0"}


@pytest.mark.parametrize(("argv", "label", "unit", "total"), [
    (["simulate", LINEAR, "--learners", "20", "--steps", "200", "--points", "51"],
     "simulating", "steps", 200),
    (["phase-diagram", LINEAR, "--x", "m0=-2:8:12", "--y", "m1=-2:8:10", "--points", "51"],
     "phase diagram", "cells", 120),
])
def test_a_log_follows_long_work_in_plain_lines(argv: list[str], label: str, unit: str,
                                                total: int) -> None:
    """Off a terminal every progress line is plain text a log can hold (here one per update:
    ``SME_PROGRESS_SECONDS=0``), ending with the time it took."""
    piped = _sme(*argv, "--json", env=PIPED)
    json.loads(piped.stdout)
    lines = piped.stderr.splitlines()
    assert "\r" not in piped.stderr and "\x1b[" not in piped.stderr
    assert len(lines) >= 2 and all(line.startswith(f"{label}: ") for line in lines)
    assert re.fullmatch(rf"{label}: \d+/{total} {unit}, \d+ s(, ~.* left)?", lines[0])
    assert re.fullmatch(rf"{label}: {total}/{total} {unit} in \d+ s", lines[-1])


def test_a_search_in_a_log(tmp_path: Path) -> None:
    piped = _sme("search", LINEAR, "--trials", "16", "--batch", "8", "--seed", "0",
                 "--points", "51", "--margin-directions", "0", "--risk-grid", "0",
                 "--threads", "1", "--storage", str(tmp_path / "s.sme-journal"), env=PIPED)
    lines = [line for line in piped.stderr.splitlines() if line.startswith("search: ")]
    assert any(re.fullmatch(r"search: 8/16 trials \(\d+ safe\), \d+ s, ~\d+ s left", line)
               for line in lines), piped.stderr
    assert re.fullmatch(r"search: 16/16 trials in \d+ s", lines[-1])
    assert "\x1b[" not in piped.stderr


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_lines_estimate_and_end() -> None:
    """A line every interval (none before it), the estimate once the first part is measured
    (start-up before the first update not counted), a closing line."""
    clock, out = Clock(), io.StringIO()
    progress = PlainProgress("search", "trials", stream=out, interval=5.0, clock=clock,
                             already=None)
    clock.now = 3.0  # start-up: reading the study
    progress.update(0, 300)
    clock.now = 4.0
    progress.update(8, 300, "3 safe")  # measured on 1 s and 8 trials only: no estimate yet
    clock.now = 5.0
    progress.update(16, 300, "6 safe")  # 2 s measured: 8 trials/s, 284 left: 36 s
    clock.now = 6.0
    progress.update(24, 300)  # within the interval of the estimate: quiet
    clock.now = 10.5
    progress.update(60, 300, "20 safe")
    clock.now = 40.0
    progress.update(300, 300)
    progress.finish()
    assert out.getvalue().splitlines() == [
        "search: 300 trials, about 40 s in all (measured on 16 trials in 2 s)",
        "search: 60/300 trials (20 safe), 10 s, ~30 s left",
        "search: 300/300 trials in 40 s",
    ]


def test_short_work_prints_nothing() -> None:
    clock, out = Clock(), io.StringIO()
    progress = PlainProgress("phase diagram", "cells", stream=out, interval=5.0, clock=clock)
    for done in range(1, 11):
        clock.now = done * 0.3
        progress.update(done, 10)
    progress.finish()
    assert out.getvalue() == ""


def test_a_resumed_study_counts_only_this_run_in_the_rate() -> None:
    clock, out = Clock(), io.StringIO()
    progress = PlainProgress("search", "trials", stream=out, interval=0.0, clock=clock,
                             already=None)
    progress.update(100, 300)  # 100 trials from an earlier run
    clock.now = 10.0
    progress.update(110, 300)
    assert out.getvalue().splitlines()[-1] == "search: 110/300 trials, 10 s, ~3 min 10 s left"


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0 s"), (41, "41 s"), (125, "2 min 5 s"),
                                               (3780, "1 h 3 min")])
def test_durations_read(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_the_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SME_PROGRESS_SECONDS", "0.5")
    assert progress_interval() == 0.5
    monkeypatch.setenv("SME_PROGRESS_SECONDS", "soon")
    assert progress_interval() == 5.0


def test_a_long_search_states_its_estimate_in_a_log(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the command, stderr captured (not a terminal): the estimate is stated once
    the first batch is measured (here every search counts as long)."""
    import sme.runtime.progress

    monkeypatch.setattr(sme.runtime.progress, "LONG_WORK", -1.0)
    monkeypatch.setattr(sme.runtime.progress, "MEASURE", 0.0)
    code, _, err = run_cli(capsys, "search", LINEAR, "--trials", "16", "--batch", "8",
                           "--seed", "0", "--points", "51", "--margin-directions", "0",
                           "--risk-grid", "0", "--threads", "1", "--storage",
                           str(tmp_path / "s.sme-journal"))
    assert code == 0, err
    assert re.search(r"^search: 16 trials, about \d+ s in all \(measured on 8 trials in "
                     r"\d+ s\)$", err, re.MULTILINE), err
