"""The candidates of a search read in full when piped: one line per trial of ``name=value``
pairs (no cell cut to a few characters), and a table only on a terminal wide enough for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

ROOT = Path(__file__).resolve().parent.parent
HACKING = str(ROOT / "examples" / "reward_hacking.py")
SEARCH = ["--trials", "4", "--batch", "4", "--seed", "0", "--points", "6",
          "--margin-directions", "0", "--risk-grid", "0", "--threads", "1"]

pytestmark = pytest.mark.usefixtures("one_thread")


def _pairs(line: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in line.split(" "))


@pytest.fixture
def study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """A small search of the reward-hacking example (long parameter names); its printed
    output and the study's storage."""
    storage = str(tmp_path / "hacking.sme-journal")
    code, out, err = run_cli(capsys, "search", HACKING, *SEARCH, "--storage", storage)
    assert code == 0, err
    return out, storage


def test_search_and_candidates_print_full_values_when_piped(
        study: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    printed, storage = study
    code, out, _ = run_cli(capsys, "candidates", HACKING, "--storage", storage, "--json")
    assert code == 0
    ranked = json.loads(out)
    code, out, _ = run_cli(capsys, "candidates", HACKING, "--storage", storage)
    assert code == 0
    for text, count in ((out, len(ranked)), (printed, min(5, len(ranked)))):
        assert "…" not in text
        rows = [line for line in text.splitlines() if line.startswith("trial=")]
        assert len(rows) == count
        for row, candidate in zip(rows, ranked, strict=False):
            pairs = _pairs(row)
            assert int(pairs["trial"]) == candidate["trial"]
            assert pairs["phase"] in (candidate["phase"], "safe*")
            assert pairs["bn_set"] == "{" + ",".join(candidate["bn_set"]) + "}"
            for name, value in candidate["params"].items():  # every digit of every value
                assert pairs[name] == repr(value), name
            for name in ("fidelity", "distance", "score"):
                value = candidate["objectives"][name]
                assert pairs[name] == ("-" if value is None else repr(value))


def _candidates(storage: str, columns: int) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TTY_COMPATIBLE": "1",
           "TTY_INTERACTIVE": "1", "COLUMNS": str(columns), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "sme", "candidates", HACKING, "--storage",
                           storage], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120, check=True).stdout


def test_a_terminal_gets_a_table_only_when_it_fits(study: tuple[str, str]) -> None:
    _, storage = study
    wide = _candidates(storage, 400)
    assert "Berk–Nash set" in wide and "trial=" not in wide and "…" not in wide
    narrow = _candidates(storage, 80)
    assert "trial=" in narrow and "…" not in narrow and "┃" not in narrow
