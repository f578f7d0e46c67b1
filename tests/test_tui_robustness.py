"""The terminal UI never crashes on a typed path, keeps the session on an unexpected error,
stops long work at once, marks stale results and undoes edits (Textual's Pilot)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_tui import FAST, LINEAR, SIZE, badge, drive, make_app, settle, type_into
from textual.app import App
from textual.widgets import Input

from tui import engine
from tui.app import SMEApp
from tui.paths import PathError, probe, typed_path
from tui.screens.confirm import ConfirmScreen
from tui.screens.export import ExportScreen
from tui.screens.open_prior import OpenPriorScreen
from tui.screens.picker import PickerScreen
from tui.widgets.param_editor import ParamInput

LONG_NAME = "x" * 300 + ".toml"
NO_USER = "~nosuchuser_sme_test/x.toml"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def text_of(app: SMEApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


# --------------------------------------------------------------------------- typed paths


@pytest.mark.parametrize("text", [LONG_NAME, NO_USER, "", "a\0b.toml"])
def test_typed_paths_fail_as_one_line(text: str) -> None:
    with pytest.raises(PathError) as caught:
        path = typed_path(text)
        probe(path)
    message = str(caught.value)
    assert "\n" not in message and "Error" not in message
    assert len(message) < 160


def test_a_long_name_says_so() -> None:
    with pytest.raises(PathError, match="file name too long"):
        probe(typed_path(LONG_NAME))
    with pytest.raises(PathError, match="no user"):
        typed_path(NO_USER)


@pytest.mark.parametrize("text", [LONG_NAME, NO_USER])
def test_export_dialog_keeps_bad_paths_inline(text: str) -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#path", Input).value = text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        message = text_of(app, "#export-error")
        assert message and "Error" not in message
        await pilot.press("escape")
        assert app.return_code is None

    drive(make_app(), script)


@pytest.mark.parametrize("text", [LONG_NAME, NO_USER, "missing.toml"])
def test_open_prior_dialog_keeps_bad_paths_inline(text: str) -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, OpenPriorScreen)
        app.screen.query_one("#path", Input).value = text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OpenPriorScreen)
        message = text_of(app, "#open-error")
        assert message and "Error" not in message
        assert app.return_code is None

    drive(make_app(), script)


@pytest.mark.parametrize("text", [LONG_NAME, NO_USER, "missing.py"])
def test_picker_keeps_bad_paths_inline(text: str) -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        assert isinstance(app.screen, PickerScreen)
        box = app.screen.query_one("#path", Input)
        box.focus()
        box.value = text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert text_of(app, "#picker-error")
        assert app.return_code is None

    drive(make_app(None), script)


def test_an_unexpected_error_is_a_message_and_the_session_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: SMEApp) -> None:
        raise RuntimeError("something broke")

    monkeypatch.setattr(SMEApp, "action_help", broken)

    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f1")
        await pilot.pause()
        assert app.return_code is None and app.is_running
        assert any("something broke" in m and s == "error" for m, s in app.notes)  # type: ignore[attr-defined]
        await type_into(app, pilot, "hi", "1.5")
        assert "SAFE" in badge(app)

    drive(make_app(survive_errors=True), script)


def test_an_app_that_ends_on_an_error_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    def ended_badly(self: App[None], *args: Any, **kwargs: Any) -> None:
        self._return_code = 1

    monkeypatch.setattr(App, "run", ended_badly)
    with pytest.raises(SystemExit) as caught:
        make_app().run()
    assert caught.value.code == 1


def test_error_lines_have_no_type_prefix_and_no_cli_flags() -> None:
    line = engine.error_text(ValueError("ValueError: too big; lower --memory-budget or "
                                        "--learners, raise --memory-budget"))
    assert not line.startswith("ValueError")
    assert "lower the memory budget (sme tui --memory-budget) or learners" in line
    assert line.endswith("raise the memory budget")
