"""SVG snapshots of the main screens of the terminal UI (pytest-textual-snapshot).

Deterministic by construction: a fixed terminal size, coarse resolution, timings hidden,
seeded search, relative paths only.  Regenerate with ``pytest tests/test_tui_snapshots.py
--snapshot-update`` after an intended change, and look at the report before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytest_textual_snapshot")

from textual.widgets import Input

from priors.compile import Resolution
from sme.analysis import Settings
from tui.app import SMEApp
from tui.widgets.param_editor import ParamInput

ROOT = Path(__file__).resolve().parent.parent
LINEAR = ROOT / "examples" / "linear_gaussian.py"
Size = tuple[int, int]
#: every screen at the smallest terminal it is made for and at a wide one
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def size(request: pytest.FixtureRequest) -> Size:
    return SIZES[request.param]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with one example and an empty recent-files list."""
    (tmp_path / "examples").mkdir()
    shutil.copy(LINEAR, tmp_path / "examples" / "linear_gaussian.py")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def make_app(scenario: Path | None = Path("examples/linear_gaussian.py")) -> SMEApp:
    return SMEApp(scenario, settings=Settings(resolution=Resolution(points=101)),
                  timings=False, examples=Path("examples"), survive_errors=False)


async def settle(pilot: Any, rounds: int = 6) -> None:
    """Let workers finish; stop every input's cursor from blinking (the snapshot would
    depend on when it is taken)."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


async def set_param(pilot: Any, name: str, text: str) -> None:
    box = pilot.app.screen.query_one(f"#param-{name}", ParamInput)
    box.focus()
    box.value = ""
    await pilot.press(*text, "enter")
    await settle(pilot)


def test_design_screen(snap_compare: Any, workdir: Path, size: Size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=settle)


def test_design_screen_safe_prior(snap_compare: Any, workdir: Path, size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await set_param(pilot, "hi", "1.5")

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_design_screen_invalid_value(snap_compare: Any, workdir: Path, size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        box = pilot.app.screen.query_one("#param-lo", ParamInput)
        box.focus()
        box.value = ""
        await pilot.press(*"20")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_diagram_screen(snap_compare: Any, workdir: Path, size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        pilot.app.screen.query_one("#x-n").value = "25"
        pilot.app.screen.query_one("#y-n").value = "15"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("right", "up")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_search_screen(snap_compare: Any, workdir: Path, size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        pilot.app.screen.query_one("#trials").value = "16"
        await pilot.press("ctrl+r")
        await settle(pilot, rounds=10)
        pilot.app.screen.query_one("#candidates").focus()
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_simulate_screen(snap_compare: Any, workdir: Path, size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.pause()
        pilot.app.screen.query_one("#learners").value = "40"
        pilot.app.screen.query_one("#steps").value = "200"
        await pilot.press("ctrl+r")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_export_dialog(snap_compare: Any, workdir: Path, size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_help_screen(snap_compare: Any, workdir: Path, size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_scenario_picker(snap_compare: Any, workdir: Path, size: Size) -> None:
    assert snap_compare(make_app(None), terminal_size=size, run_before=settle)


def test_diagram_screen_stale_whole_grid(snap_compare: Any, workdir: Path,
                                         size: Size) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        pilot.app.screen.query_one("#x-n").value = "161"
        pilot.app.screen.query_one("#y-n").value = "41"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("z")
        await pilot.press("f2")
        await pilot.pause()
        await set_param(pilot, "hi", "1.5")
        await pilot.press("f3")
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
