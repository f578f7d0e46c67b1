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


# --------------------------------------------------------------------------- long work


async def wait_until(pilot: Any, condition: Any, seconds: float = 60.0) -> float:
    """Pause until ``condition()`` holds; the seconds it took (fails after ``seconds``)."""
    start = time.perf_counter()
    while not condition():
        assert time.perf_counter() - start < seconds, "timed out"
        await pilot.pause(0.05)
    return time.perf_counter() - start


def busy_threads(prefix: str = "") -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith(prefix))


async def stopped_quickly(app: SMEApp, pilot: Any) -> float:
    """Seconds until every worker has ended."""
    return await wait_until(pilot, lambda: not any(
        w.is_running for w in app.workers), 30.0)


def test_a_diagram_does_not_block_design_and_stops_at_once() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        for axis, n in (("x", "2000"), ("y", "1000")):  # far longer than the test
            app.screen.query_one(f"#{axis}-n", Input).value = n
        await pilot.press("ctrl+r")
        diagram = app.screen
        await wait_until(pilot, lambda: (diagram.query_one("#progress").progress or 0) > 0)
        # the design loop goes on while the diagram runs
        await pilot.press("f2")
        await pilot.pause()
        box = app.screen.query_one("#param-hi", ParamInput)
        box.focus()
        box.value = ""
        await pilot.press(*"1.5", "enter")
        await wait_until(pilot, lambda: "SAFE" in badge(app), 30.0)
        assert diagram.running  # type: ignore[attr-defined]
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not diagram.running  # type: ignore[attr-defined]
        assert "stopped" in text_of(app, "#status")
        await stopped_quickly(app, pilot)
        assert diagram.diagram is None  # type: ignore[attr-defined]

    drive(make_app(), script)


def test_a_simulation_does_not_block_design_and_stops_at_once() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f5")
        await pilot.pause()
        for name, value in (("learners", "2000"), ("steps", "20000")):
            app.screen.query_one(f"#{name}", Input).value = value
        await pilot.press("ctrl+r")
        simulate = app.screen
        await wait_until(pilot, lambda: (simulate.query_one("#progress").progress or 0) > 0)
        await pilot.press("f2")
        await pilot.pause()
        box = app.screen.query_one("#param-hi", ParamInput)
        box.focus()
        box.value = ""
        await pilot.press(*"1.5", "enter")
        await wait_until(pilot, lambda: "SAFE" in badge(app), 60.0)
        assert simulate.running  # type: ignore[attr-defined]
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not simulate.running  # type: ignore[attr-defined]
        assert "stopped" in text_of(app, "#status")
        await stopped_quickly(app, pilot)
        assert "run a simulation" in text_of(app, "#trajectory")

    drive(make_app(), script)


def test_a_search_stops_at_once_and_keeps_its_finished_trials() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f4")
        await pilot.pause()
        for name, value in (("trials", "100000"), ("batch", "64")):
            app.screen.query_one(f"#{name}", Input).value = value
        await pilot.press("ctrl+r")
        search = app.screen
        await wait_until(pilot, lambda: search.study_name != "")  # type: ignore[attr-defined]
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not search.running  # type: ignore[attr-defined]
        assert "stopped" in text_of(app, "#status")
        await stopped_quickly(app, pilot)

    drive(make_app(), script)


def test_a_newer_edit_drops_outdated_analyses(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    quick = engine.quick

    def counted(scenario: Any, values: Any, settings: Any, current: Any = None) -> Any:
        result = quick(scenario, values, settings, current)
        seen.append(values["hi"])
        return result

    monkeypatch.setattr(engine, "quick", counted)

    async def script(app: SMEApp, pilot: Any) -> None:
        seen.clear()
        box = app.screen.query_one("#param-hi", ParamInput)
        box.focus()
        with engine.GATE.urgent():  # the engine is busy: the nudges queue up
            await pilot.press(*["up"] * 10)
            await pilot.pause(0.3)
        await settle(app, pilot)
        assert app.workbench is not None
        assert app.workbench.values["hi"] == pytest.approx(5.0 + 10 * 0.1)
        # every nudge counted, but only the newest was analysed
        assert seen == [app.workbench.values["hi"]]
        analysis = app.workbench.current_analysis()
        assert analysis is not None and analysis.values["hi"] == app.workbench.values["hi"]

    drive(make_app(), script)


# --------------------------------------------------------------------------- stale marks


def test_diagram_and_simulation_are_marked_stale_after_an_edit() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        for axis, n in (("x", "9"), ("y", "7")):
            app.screen.query_one(f"#{axis}-n", Input).value = n
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert text_of(app, "#stale") == ""
        info = text_of(app, "#cell-info")
        assert "lo = " in info and "m0 = " in info
        await pilot.press("f5")
        await pilot.pause()
        for name, value in (("learners", "20"), ("steps", "50")):
            app.screen.query_one(f"#{name}", Input).value = value
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert text_of(app, "#stale") == ""
        await pilot.press("f2")
        await type_into(app, pilot, "hi", "1.5")
        await pilot.press("f5")
        await pilot.pause()
        assert "stale: made for hi = 5 (now hi = 1.5)" in text_of(app, "#stale")
        await pilot.press("f3")
        await pilot.pause()
        assert "stale: made for hi = 5 (now hi = 1.5)" in text_of(app, "#stale")
        from tui.widgets.phase_grid import PhaseGrid
        assert app.screen.query_one(PhaseGrid).stale
        # an edit of a swept parameter only moves the mark
        await pilot.press("f2")
        await type_into(app, pilot, "hi", "5")
        await type_into(app, pilot, "lo", "0.5")
        await pilot.press("f3")
        await pilot.pause()
        assert text_of(app, "#stale") == ""
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert text_of(app, "#stale") == ""

    drive(make_app(), script)


def test_the_sliced_diagram_equals_phase_diagram() -> None:
    from sme.studies.diagram import parse_axis, phase_diagram
    from tui.app import SMEApp  # noqa: F401  (the UI's modules import cleanly)
    from tui.engine import diagram as sliced

    scenario = engine.open_scenario(LINEAR)
    x, y = parse_axis("lo=-10:1.5:13", scenario), parse_axis("m0=-5:10:11", scenario)
    values = {"hi": 2.0}
    expected = phase_diagram(scenario, x, y, values, FAST)
    got = sliced(scenario, x, y, values, FAST).value
    assert got.phases == expected.phases
    assert got.x_values == expected.x_values and got.y_values == expected.y_values
    assert got.baseline == expected.baseline and got.fixed == expected.fixed


def test_a_plane_with_impossible_cells_marks_them_invalid() -> None:
    from sme.studies.diagram import parse_axis
    from tui.engine import diagram as sliced

    scenario = engine.open_scenario(LINEAR)
    x, y = parse_axis("lo=-10:2.5:13", scenario), parse_axis("m0=-5:10:4", scenario)
    got = sliced(scenario, x, y, {"hi": 2.0}, FAST).value  # lo > hi: an empty support
    for row in got.phases:
        assert [p is None for p in row] == [lo > 2.0 for lo in got.x_values]


def test_a_cell_that_cannot_be_analysed_is_marked_invalid() -> None:
    from sme.studies.diagram import parse_axis
    from tui.engine import diagram as sliced

    scenario = engine.open_scenario(LINEAR)
    x, y = parse_axis("lo=-2:2:5", scenario), parse_axis("m0=-1:3:5", scenario)
    calls = {"n": 0}
    import tui.engine as engine_module

    real = engine_module.summarise_batch

    def fragile(scn: Any, configs: Any, settings: Any, progress: Any = None) -> Any:
        from priors.compile import ProgramError
        if any(c["lo"] == 0 and c["m0"] == 1 for c in configs):
            calls["n"] += 1
            raise ProgramError("cannot analyse this cell")
        return real(scn, configs, settings, progress)

    engine_module.summarise_batch = fragile  # type: ignore[assignment]
    try:
        got = sliced(scenario, x, y, {}, FAST).value
    finally:
        engine_module.summarise_batch = real  # type: ignore[assignment]
    cells = [(j, i) for j, row in enumerate(got.phases) for i, p in enumerate(row) if p is None]
    assert cells == [(got.y_values.index(1.0), got.x_values.index(0.0))]
    assert calls["n"] > 0
    assert sum(p is not None for row in got.phases for p in row) == 24


# --------------------------------------------------------------------------- undo, confirm


def test_undo_and_redo_value_edits() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await type_into(app, pilot, "hi", "1.5")
        await type_into(app, pilot, "lo", "0.5")
        assert app.workbench is not None
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert app.workbench.values["lo"] == -5 and app.workbench.values["hi"] == 1.5
        assert app.screen.query_one("#param-lo", ParamInput).value == "-5"
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert app.workbench.values["hi"] == 5
        assert "OSCILLATORY" in badge(app)
        assert "undid hi = 1.5" in text_of(app, "#status")
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        assert app.workbench.values["hi"] == 1.5 and "SAFE" in badge(app)
        footer = " ".join(key for key, b in app.active_bindings.items()
                          if b.binding.show)
        assert "ctrl+z" in footer and "ctrl+y" in footer
        assert "ctrl+t" in footer and "ctrl+n" in footer

    drive(make_app(), script)


def test_reset_asks_first_and_can_be_undone() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await type_into(app, pilot, "hi", "1.5")
        assert app.workbench is not None
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.workbench.values["hi"] == 1.5
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert app.workbench.values["hi"] == 5
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert app.workbench.values["hi"] == 1.5

    drive(make_app(), script)


def test_switching_scenario_asks_first() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await type_into(app, pilot, "hi", "1.5")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.workbench is not None and app.workbench.values["hi"] == 1.5

    drive(make_app(), script)


def test_the_session_is_remembered_between_runs(tmp_path: Path) -> None:
    async def first(app: SMEApp, pilot: Any) -> None:
        await type_into(app, pilot, "hi", "1.5")
        await pilot.press("f5")
        await pilot.pause()
        app.screen.query_one("#learners", Input).value = "77"
        app.theme = "textual-light"
        await pilot.pause()
        app.save_session()

    drive(make_app(), first)
    stored = json.loads((tmp_path / "config" / "sme" / "session.json").read_text())
    assert stored["theme"] == "textual-light"

    async def second(app: SMEApp, pilot: Any) -> None:
        assert app.workbench is not None and app.workbench.values["hi"] == 1.5
        assert "SAFE" in badge(app)
        assert app.theme == "textual-light"
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.query_one("#learners", Input).value == "77"

    drive(make_app(), second)


def test_a_damaged_session_file_is_ignored(tmp_path: Path) -> None:
    file = tmp_path / "config" / "sme" / "session.json"
    file.parent.mkdir(parents=True)
    file.write_text("{not json")

    async def script(app: SMEApp, pilot: Any) -> None:
        assert app.workbench is not None and app.workbench.values["hi"] == 5

    drive(make_app(), script)


def test_clicking_the_tabs_switches_screens() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        from tui.widgets.screen_tabs import Tab
        tab = next(t for t in app.screen.query(Tab) if t.mode == "diagram")
        await pilot.click(tab)
        await settle(app, pilot)
        assert app.current_mode == "diagram"

    drive(make_app(), script)


_ = (asyncio, SIZE, busy_threads)


def test_the_phase_shows_before_the_report_and_a_newer_edit_abandons_an_older_report(
        monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    reported: list[float] = []
    full = engine.analyse

    def slow(scenario: Any, values: Any, settings: Any, current: Any = None) -> Any:
        release.wait(30)
        result = full(scenario, values, settings, current)
        reported.append(values["hi"])
        return result

    async def script(app: SMEApp, pilot: Any) -> None:
        monkeypatch.setattr(engine, "analyse", slow)
        box = app.screen.query_one("#param-hi", ParamInput)
        box.focus()
        box.value = ""
        await pilot.press(*"1.5", "enter")
        await wait_until(pilot, lambda: "SAFE" in badge(app))
        assert "report following" in text_of(app, "#status")
        assert "following" in text_of(app, "#explanation")
        assert app.workbench is not None and app.workbench.current_analysis() is None
        box.value = ""
        await pilot.press(*"5", "enter")
        await wait_until(pilot, lambda: "OSCILLATORY" in badge(app))
        release.set()
        await settle(app, pilot)
        assert reported == [5.0]  # the report for hi = 1.5 was abandoned
        analysis = app.workbench.current_analysis()
        assert analysis is not None and analysis.values["hi"] == 5.0
        assert "OSCILLATORY" in badge(app)

    drive(make_app(), script)


def test_search_follows_the_best_trial_sorts_and_survives_reopening() -> None:
    from tui.widgets.candidates import CandidatesTable

    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f4")
        await pilot.pause()
        app.screen.query_one("#trials", Input).value = "24"
        app.screen.query_one("#batch", Input).value = "4"
        await pilot.press("ctrl+r")
        await settle(app, pilot, rounds=8)
        table = app.screen.query_one(CandidatesTable)
        assert table.row_count == 24
        best = table.best
        assert best is not None and table.selected is not None
        assert table.selected.trial == best.trial
        assert f"best so far #{best.trial}" in text_of(app, "#best")
        labels = [str(c.label) for c in table.columns.values()]
        assert {"pareto", "risks", "lo", "hi", "g0", "score"} <= set(labels)
        table.focus()
        await pilot.press("s")
        await pilot.pause()
        assert table.sort_column == "phase" and "by phase" in table.order_text
        await pilot.press("down", "down")
        chosen = table.selected
        assert chosen is not None and not table.follow
        await pilot.press("b")
        assert table.follow and table.selected is not None
        assert table.selected.trial == best.trial
        # reopening the scenario shows the study's candidates again
        assert app.workbench is not None
        app.open_scenario(app.workbench.path, dict(app.workbench.values))
        await settle(app, pilot)
        await pilot.press("f4")
        await settle(app, pilot)
        assert app.screen.query_one(CandidatesTable).row_count == 24

    drive(make_app(), script)


def test_nudges_sent_in_a_burst_each_count_and_undo_together() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        box = app.screen.query_one("#param-hi", ParamInput)
        box.focus()
        for _ in range(10):  # as a terminal delivers a burst: before any message is handled
            box.action_nudge(1)
        await settle(app, pilot)
        assert app.workbench is not None
        assert app.workbench.values["hi"] == pytest.approx(6.0)
        assert box.value == "6"
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert app.workbench.values["hi"] == 5.0 and box.value == "5"

    drive(make_app(), script)


def test_a_categorical_parameter_is_a_select() -> None:
    from test_tui import ROOT
    from textual.widgets import Select

    async def script(app: SMEApp, pilot: Any) -> None:
        select = app.screen.query_one("#param-scheme", Select)
        assert app.workbench is not None
        assert select.value == app.workbench.values["scheme"] == "approval"
        select.value = "audited"
        await settle(app, pilot)
        assert app.workbench.values["scheme"] == "audited"
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert app.workbench.values["scheme"] == "approval"
        assert select.value == "approval"

    drive(make_app(ROOT / "examples" / "sycophancy.py"), script)


def test_an_in_process_simulation_lets_design_in_and_stops() -> None:
    from sme.studies.dynamics import DynamicsSettings

    scenario = engine.open_scenario(LINEAR)
    dyn = DynamicsSettings(learners=300, steps=20000)
    assert dyn.learners * dyn.steps * 101 <= engine.SUBPROCESS_WORK  # stays in this process
    token = engine.StopToken()
    ended: list[BaseException] = []
    started = threading.Event()

    def run() -> None:
        try:
            engine.simulation(scenario, {}, FAST, dyn, lambda _d, _t: started.set(), token,
                              path=LINEAR, points=101)
        except BaseException as exc:
            ended.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(60)
    begin = time.perf_counter()
    quick = engine.quick(scenario, {"hi": 1.5}, FAST)
    assert time.perf_counter() - begin < 10 and thread.is_alive()
    assert quick.value.phase.value == "safe"
    token.stop()
    thread.join(10)
    assert not thread.is_alive() and isinstance(ended[0], engine.Cancelled)


def test_a_simulation_process_returns_the_same_result_and_stops() -> None:
    from sme.studies.dynamics import DynamicsSettings, simulate

    scenario = engine.open_scenario(LINEAR)
    dyn = DynamicsSettings(learners=30, steps=80, seed=3)
    got = engine.simulation_process(LINEAR, {"hi": 3.0}, FAST, dyn).value
    expected = simulate(scenario, {"hi": 3.0}, FAST, dyn)
    assert got.frequencies == expected.frequencies and got.trajectory == expected.trajectory
    token = engine.StopToken()
    token.stop()
    with pytest.raises(engine.Cancelled):
        engine.simulation_process(LINEAR, {}, FAST, DynamicsSettings(learners=2000,
                                                                      steps=100000), None, token)
