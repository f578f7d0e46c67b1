"""Long commands draw a progress bar on a terminal's stderr, never into --json output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert label not in piped.stderr  # off a terminal, no bar at all
