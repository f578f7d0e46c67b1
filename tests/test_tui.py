"""The terminal UI, driven end to end with Textual's Pilot (coarse resolution, no timings)."""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Static

from priors.compile import Resolution
from priors.params import Param
from sme.analysis import Settings
from sme.engine.phases import Phase
from tui import recent
from tui.app import SMEApp
from tui.engine import StopToken
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen
from tui.screens.picker import PickerScreen
from tui.values import format_value, nudge
from tui.widgets.candidates import CandidatesTable
from tui.widgets.param_editor import ParamInput
from tui.widgets.phase_grid import PhaseGrid

ROOT = Path(__file__).resolve().parent.parent
LINEAR = ROOT / "examples" / "linear_gaussian.py"
SIZE = (100, 32)
FAST = Settings(resolution=Resolution(points=101))

Script = Callable[[SMEApp, Any], Awaitable[None]]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test works in its own directory with its own recent-files list."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def make_app(scenario: Path | None = LINEAR, **kwargs: Any) -> SMEApp:
    kwargs.setdefault("survive_errors", False)
    app = SMEApp(scenario, settings=FAST, timings=False, examples=ROOT / "examples", **kwargs)
    app.notes = []  # type: ignore[attr-defined]
    shown = app.notify

    def record(message: str, **options: Any) -> None:
        app.notes.append((message, options.get("severity", "information")))  # type: ignore[attr-defined]
        shown(message, **options)

    app.notify = record  # type: ignore[method-assign]
    return app


def drive(app: SMEApp, script: Script) -> None:
    """Run ``script(app, pilot)`` against the app, headless."""

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await script(app, pilot)

    asyncio.run(main())


async def settle(app: SMEApp, pilot: Any, rounds: int = 4) -> None:
    """Let workers finish and their results reach the screen."""
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def type_into(app: SMEApp, pilot: Any, name: str, text: str,
                    submit: bool = True) -> None:
    """Type ``text`` into parameter ``name`` (and press enter)."""
    box = app.screen.query_one(f"#param-{name}", ParamInput)
    box.focus()
    box.value = ""
    await pilot.press(*text, *(["enter"] if submit else []))
    await settle(app, pilot)


def rendered(widget: Static) -> str:
    """The plain text of a static widget's content."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def badge(app: SMEApp) -> str:
    return str(app.screen.query_one("#badge").render())


def errors(app: SMEApp) -> list[str]:
    return [m for m, severity in app.notes if severity == "error"]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- design


def test_editing_a_parameter_changes_the_phase_badge() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        assert app.current_mode == "design"
        assert "OSCILLATORY" in badge(app)
        await type_into(app, pilot, "hi", "1.5")
        assert app.workbench is not None and app.workbench.values["hi"] == 1.5
        assert app.workbench.analysis is not None
        assert app.workbench.analysis.phase is Phase.SAFE
        assert "SAFE" in badge(app)
        await type_into(app, pilot, "hi", "5")
        await type_into(app, pilot, "lo", "2.5")
        assert "MISALIGNED" in badge(app)
        status = str(app.screen.query_one("#status").render())
        assert "lo = 2.5: oscillatory → misaligned" in status and "report in" in status
        panel = str(app.screen.query_one("#bn-set").render())
        assert "✗ unsafe" in panel and "{a1}" in panel
        graphs = str(app.screen.query_one("#belief-graph").render())
        assert "theta" in graphs and "└─▶ y" in graphs

    drive(make_app(), script)


def test_the_status_bar_states_the_real_grid() -> None:
    """Two latents at ``--points 6x5``: the status bar says 30 Θ points on a 6 × 5 grid
    (it used to say the one-dimensional count, whatever the grid)."""
    settings = Settings(resolution=Resolution(per_dimension=(6, 5)), risk_grid=0)

    async def script(app: SMEApp, pilot: Any) -> None:
        status = str(app.screen.query_one("#status").render())
        assert "30 points (6 × 5)" in status

    app = SMEApp(ROOT / "examples" / "reward_hacking.py", settings=settings, timings=False,
                 examples=ROOT / "examples")
    drive(app, script)


def test_a_bad_value_shows_an_error_and_changes_nothing() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        assert app.workbench is not None
        before = app.workbench.analysis
        for count, text in enumerate(["abc", "20", ""], start=1):
            await type_into(app, pilot, "lo", text, submit=False)
            line = app.screen.query_one("#error-lo")
            assert line.has_class("-shown") and str(line.render())
            await pilot.press("enter")
            await settle(app, pilot)
            assert len(errors(app)) == count, "no error notification"
            assert app.workbench.values["lo"] == -5.0
            assert app.workbench.analysis is before
            assert "OSCILLATORY" in badge(app)
            await pilot.press("escape")  # restores the last valid value
            assert app.screen.query_one("#param-lo", ParamInput).value == "-5"
            assert not line.has_class("-shown")

    drive(make_app(), script)


def test_nudge_keys_respect_scale_and_kind() -> None:
    log = Param(1.0, low=0.01, high=100.0, log=True, name="scale")
    assert nudge(log, 1.0, 1) == pytest.approx(10 ** 0.04)
    assert nudge(log, 1.0, -1) == pytest.approx(10 ** -0.04)
    assert nudge(log, 100.0, 1) == 100.0
    whole = Param(3, low=0, high=10, name="k")
    assert nudge(whole, 3, 1) == 4 and nudge(whole, 0, -1) == 0
    assert isinstance(nudge(whole, 3, 1), int)
    linear = Param(-5.0, low=-10.0, high=2.5, name="lo")
    assert nudge(linear, -5.0, 1) == -4.875
    choice = Param("a", choices=("a", "b"), name="c")
    assert nudge(choice, "a", 1) == "b" and nudge(choice, "b", 1) == "b"
    assert format_value(-4.875) == "-4.875" and format_value(3) == "3"

    async def script(app: SMEApp, pilot: Any) -> None:
        assert app.workbench is not None
        app.screen.query_one("#param-scale", ParamInput).focus()
        await pilot.press("up")
        await settle(app, pilot)
        assert app.workbench.values["scale"] == pytest.approx(10 ** 0.04)
        app.screen.query_one("#param-lo", ParamInput).focus()
        await pilot.press("shift+down")
        await settle(app, pilot)
        assert app.workbench.values["lo"] == -6.25

    drive(make_app(), script)


def test_a_program_that_raises_is_reported_not_fatal(tmp_path: Path) -> None:
    text = LINEAR.read_text().replace(
        '    theta = pyro.sample("theta", dist.Uniform(lo, hi))',
        '    if bool((hi > 8).any()):\n        raise RuntimeError("hi too large")\n'
        '    theta = pyro.sample("theta", dist.Uniform(lo, hi))')
    scenario = tmp_path / "raising.py"
    scenario.write_text(text)

    async def script(app: SMEApp, pilot: Any) -> None:
        await type_into(app, pilot, "hi", "9")
        assert "no result" in badge(app)
        assert any("hi too large" in m for m in errors(app))
        await type_into(app, pilot, "hi", "1.5")
        assert "SAFE" in badge(app)

    drive(make_app(scenario), script)


def test_a_scenario_that_fails_to_load_opens_the_picker() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        assert any("no such scenario file" in m for m in errors(app))
        assert isinstance(app.screen, PickerScreen)

    drive(make_app(Path("missing.py")), script)


def test_picker_opens_an_example_and_remembers_it() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        assert isinstance(app.screen, PickerScreen)
        app.screen.query_one("#path").focus()
        await pilot.press(*str(LINEAR), "enter")
        await settle(app, pilot)
        assert app.current_mode == "design" and app.workbench is not None
        assert recent.load_recent() == [LINEAR.resolve()]

    drive(make_app(None), script)


# --------------------------------------------------------------------------- diagram


def test_diagram_cell_selection_loads_values() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        assert app.current_mode == "diagram"
        for axis, n in (("x", "9"), ("y", "7")):
            app.screen.query_one(f"#{axis}-n").value = n  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        screen = app.screen
        diagram = screen.diagram  # type: ignore[attr-defined]
        assert diagram is not None and diagram.x.name == "lo" and diagram.y.name == "m0"
        grid = screen.query_one(PhaseGrid)
        assert grid.has_focus and grid.mark is not None
        await pilot.press("right", "right", "up")
        row, column = grid.cursor
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "design"
        assert app.workbench is not None
        assert app.workbench.values["lo"] == pytest.approx(diagram.x_values[column])
        assert app.workbench.values["m0"] == pytest.approx(diagram.y_values[row])
        assert app.workbench.analysis is not None
        assert app.workbench.analysis.phase is diagram.phases[row][column]
        assert app.screen.query_one("#param-m0", ParamInput).value == format_value(
            diagram.y_values[row])

    drive(make_app(), script)


def test_diagram_axis_errors_are_inline() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one("#x-lo").value = "abc"  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert errors(app) and "LO and HI must be numbers" in errors(app)[-1]
        assert app.screen.diagram is None  # type: ignore[attr-defined]

    drive(make_app(), script)


# --------------------------------------------------------------------------- search


async def run_search(app: SMEApp, pilot: Any, trials: str = "16") -> None:
    await pilot.press("f4")
    await pilot.pause()
    assert app.current_mode == "search"
    app.screen.query_one("#trials").value = trials  # type: ignore[attr-defined]
    await pilot.press("ctrl+r")
    await settle(app, pilot, rounds=8)


def test_search_finds_safe_candidates_exports_and_loads_them(tmp_path: Path) -> None:
    from sme.files.export import read_export

    async def script(app: SMEApp, pilot: Any) -> None:
        await run_search(app, pilot)
        table = app.screen.query_one(CandidatesTable)
        assert table.row_count == 16
        best = table.selected
        assert best is not None and best.feasible and best.phase == "safe"
        assert "16/16" in str(app.screen.query_one("#rate").render())
        assert (tmp_path / "linear-gaussian.sme-journal").is_file()
        compare = rendered(app.screen.query_one("#compare", Static))
        assert f"#{best.trial}" in compare
        table.focus()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("enter")
        await pilot.pause()
        document = read_export(tmp_path / f"linear-gaussian-trial{best.trial}.toml")
        assert document.provenance.trial == best.trial
        assert document.result.phase == "safe" and document.objectives is not None
        assert document.parameters.prior == best.params
        await pilot.press("l")
        await settle(app, pilot)
        assert app.current_mode == "design" and app.workbench is not None
        for name in ("lo", "hi", "g0"):
            assert app.workbench.values[name] == best.params[name]
        assert app.workbench.analysis is not None
        assert app.workbench.analysis.phase is Phase.SAFE

    drive(make_app(), script)


def test_opening_an_existing_study_shows_its_candidates(tmp_path: Path) -> None:
    from tui.services import SearchRequest, run_search

    run_search(SearchRequest(LINEAR, {}, trials=8, batch=8, points=101,
                             storage="linear-gaussian.sme-journal"),
               lambda _: None, StopToken())

    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert app.screen.query_one(CandidatesTable).row_count == 8
        app.screen.query_one("#study").value = "nope"  # type: ignore[attr-defined]
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert "no study 'nope'" in errors(app)[-1]

    drive(make_app(), script)


# --------------------------------------------------------------------------- export


def test_export_the_current_prior_and_open_it_again(tmp_path: Path) -> None:
    from sme.files.export import read_export

    async def script(app: SMEApp, pilot: Any) -> None:
        await type_into(app, pilot, "hi", "1.5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        path = app.screen.query_one("#path")
        path.value = "chosen.json"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        document = read_export(tmp_path / "chosen.json")
        assert document.result.phase == "safe"
        assert document.parameters.prior["hi"] == 1.5
        # the same name again asks before overwriting; cancelling keeps the dialog
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#path").value = "chosen.json"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert "Overwrite" in str(app.screen.query_one("#yes").render())
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        # back to the default, then open the file: the editor gets hi = 1.5 again
        await type_into(app, pilot, "hi", "5")
        assert "OSCILLATORY" in badge(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*"chosen.json", "enter")
        await settle(app, pilot)
        assert app.workbench is not None and app.workbench.values["hi"] == 1.5
        assert "SAFE" in badge(app)
        assert app.screen.query_one("#param-hi", ParamInput).value == "1.5"

    drive(make_app(), script)


def test_opening_a_bad_file_is_an_inline_error(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[parameters.prior]\nhi = 99\n")

    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*"bad.toml", "enter")
        await pilot.pause()
        message = str(app.screen.query_one("#open-error").render())
        assert "above its high bound" in message
        await pilot.press("escape")
        assert app.workbench is not None and app.workbench.values["hi"] == 5.0

    drive(make_app(), script)


# --------------------------------------------------------------------------- simulate


def test_simulate_shows_frequencies() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f5")
        await pilot.pause()
        for name, value in (("learners", "40"), ("steps", "200")):
            app.screen.query_one(f"#{name}").value = value  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        shown = str(app.screen.query_one("#trajectory").render())
        assert "long-run frequency" in shown and "a0" in shown and "a1" in shown
        status = str(app.screen.query_one("#status").render())
        freqs = dict(part.split() for part in status.split(": ", 1)[1].split("│")[0]
                     .strip().split(", "))
        assert math.isclose(sum(float(v) for v in freqs.values()), 1.0, abs_tol=1e-2)

    drive(make_app(), script)


# --------------------------------------------------------------------------- app


def test_help_and_command_palette() -> None:
    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"phase diagram")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "diagram"

    drive(make_app(), script)


def test_every_command_names_an_action() -> None:
    from tui.app import WORKSPACES
    from tui.commands import COMMANDS

    for _title, _help, action, key in COMMANDS:
        name = action.split("(")[0]
        assert hasattr(SMEApp, f"action_{name}") or name == "quit"
        assert key
        if name == "in_mode":
            mode, inner = (part.strip(" '") for part in action[8:-1].split(","))
            assert hasattr(WORKSPACES[mode], f"action_{inner}"), action


def test_the_cli_knows_tui() -> None:
    from sme.cli import build_parser

    args = build_parser().parse_args(["tui", str(LINEAR), "--set", "hi=1.5", "--points", "51"])
    assert args.scenario == str(LINEAR) and args.points == (51,)
    assert args.assignments == [("hi", "1.5")]
    from sme.cli import settings_from

    assert settings_from(args).resolution.per_dimension == (51,)


# --------------------------------------------------------------------------- bad input


def cli_error(argv: list[str]) -> str:
    """The message ``sme`` prints for ``argv`` (without ``sme: error: ``); exit code 2."""
    import contextlib

    from sme.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 2
    (line,) = err.getvalue().splitlines()
    return line.removeprefix("sme: error: ")


def test_a_scenario_with_a_syntax_error_shows_the_cli_message(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("scenario = Scenario(\n")
    expected = cli_error(["analyze", "broken.py"])
    assert expected.startswith("broken.py:1: syntax error")

    async def script(app: SMEApp, pilot: Any) -> None:
        assert expected in errors(app)
        assert isinstance(app.screen, PickerScreen)

    drive(make_app(Path("broken.py")), script)


def test_opening_an_unsafe_yaml_prior_shows_the_cli_message(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text("hi: !!python/object/apply:os.system ['touch pwned']\n")
    expected = cli_error(["analyze", str(LINEAR), "--prior", "evil.yaml"])
    assert "evil.yaml:1: invalid YAML" in expected

    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*"evil.yaml", "enter")
        await pilot.pause()
        assert str(app.screen.query_one("#open-error").render()) == expected
        await pilot.press("escape")
        assert app.workbench is not None and app.workbench.values["hi"] == 5.0

    drive(make_app(), script)
    assert not (tmp_path / "pwned").exists()


def test_a_bad_storage_url_in_the_search_screen(tmp_path: Path) -> None:
    url = "postgresql://u:secret@127.0.0.1:1/db"
    expected = cli_error(["candidates", "--study", "linear-gaussian", "--storage", url])
    assert "postgresql://u:***@127.0.0.1:1/db" in expected and "secret" not in expected

    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f4")
        await pilot.pause()
        app.screen.query_one("#storage").value = url  # type: ignore[attr-defined]
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert errors(app) and errors(app)[-1] == expected
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        message = errors(app)[-1]
        assert "postgresql://u:***@127.0.0.1:1/db" in message and "secret" not in message
        assert "\n" not in message
        app.screen.query_one("#storage").value = "foo://x"  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert errors(app)[-1] == cli_error(["search", str(LINEAR), "--storage", "foo://x",
                                              "--points", "41"])
        assert app.current_mode == "search"
        assert list(tmp_path.glob("*.sme-journal")) == []

    drive(make_app(), script)


def test_search_trials_are_the_study_total_as_on_the_command_line(tmp_path: Path) -> None:
    from tui.services import SearchRequest, run_search

    def request(trials: int) -> SearchRequest:
        return SearchRequest(LINEAR, {}, trials=trials, batch=4, points=101,
                             storage="linear-gaussian.sme-journal")

    first = run_search(request(8), lambda _: None, StopToken())
    assert (first.done, first.total, first.ran) == (8, 8, 8)
    again = run_search(request(8), lambda _: None, StopToken())
    assert (again.done, again.ran) == (8, 0)  # the study already holds 8
    more = run_search(request(12), lambda _: None, StopToken())
    assert (more.done, more.ran) == (12, 4)
    assert len(more.candidates) == 12


def test_diagram_shows_invalid_cells_of_a_constrained_scenario(tmp_path: Path) -> None:
    from test_constraints import SCENARIO_FILE

    path = tmp_path / "ranges.py"
    path.write_text(SCENARIO_FILE)

    async def script(app: SMEApp, pilot: Any) -> None:
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#y-name").value = "hi"  # type: ignore[attr-defined]
        await pilot.pause()
        for axis in ("x", "y"):
            screen.query_one(f"#{axis}-lo").value = "-4.5"  # type: ignore[attr-defined]
            screen.query_one(f"#{axis}-hi").value = "4.5"  # type: ignore[attr-defined]
            screen.query_one(f"#{axis}-n").value = "4"  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        diagram = screen.diagram  # type: ignore[attr-defined]
        assert diagram is not None and (diagram.x.name, diagram.y.name) == ("lo", "hi")
        assert diagram.counts()["invalid"] == 10  # lo ≥ hi on a 4 × 4 grid
        grid = screen.query_one(PhaseGrid)
        assert "·" in str(grid.render())
        screen.action_select_cell(0, 0)  # type: ignore[attr-defined]  # lo = hi = −4.5
        await pilot.pause()
        assert app.current_mode == "diagram"
        assert any("violates" in m for m, _ in app.notes)  # type: ignore[attr-defined]

    drive(make_app(path), script)
