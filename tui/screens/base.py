"""The base of the screens that work on the open scenario (design, diagram, search,
simulate): typed access to the app and its workbench."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.screen import Screen
from textual.widgets import Button, Input, Select

from tui.resilient import Resilient
from tui.values import format_value
from tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.app import SMEApp
    from tui.workbench import Workbench


class WorkbenchScreen(Resilient, Screen[None]):
    """A screen of the open scenario; only pushed once a workbench exists."""

    @property
    def sme(self) -> SMEApp:
        """The running app, typed."""
        return cast("SMEApp", self.app)

    @property
    def bench(self) -> Workbench:
        """The open scenario and its current values."""
        bench = self.sme.workbench
        assert bench is not None
        return bench

    def _post(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback`` on the UI thread from a worker (nothing once the app closed); an
        unexpected error in it is reported like one in a handler (:mod:`tui.resilient`)."""
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError as exc:
            if self.app.is_running and "not running" not in str(exc):
                self._report(exc)
        except Exception as exc:
            self._report(exc)

    def _report(self, exc: Exception) -> None:
        if not self.sme.survive_errors:
            raise exc
        with contextlib.suppress(Exception):
            self.app.call_from_thread(self.sme.report_unexpected, exc)

    # ------------------------------------------------------------------ forms

    def remembered(self, field: str, default: str) -> str:
        """The text form field ``field`` held last time (the session), else ``default``."""
        return self.sme.forms.get(self.name or "", {}).get(field, default)

    def remember_form(self, field: str, text: str) -> None:
        """Keep what form field ``field`` holds (for the next session)."""
        self.sme.remember_form(self.name or "", field, text)

    @on(Input.Changed, ".form Input")
    def _form_typed(self, event: Input.Changed) -> None:
        if event.input.id:
            self.remember_form(event.input.id, event.value)

    @on(Select.Changed, ".form Select")
    def _form_chosen(self, event: Select.Changed) -> None:
        if event.select.id and isinstance(event.value, str):
            self.remember_form(event.select.id, event.value)


def stale_text(made_for: Mapping[str, Any], now: Mapping[str, Any],
               ignore: tuple[str, ...] = ()) -> str:
    """``""`` when a result made for ``made_for`` still matches the values ``now`` (apart
    from the parameters in ``ignore``), else a line naming the values it was made for:
    ``made for hi = 5, lo = 0 (now hi = 1.5, lo = 0)``."""
    changed = [k for k in now if k not in ignore and made_for.get(k) != now[k]]
    if not changed:
        return ""
    then = ", ".join(f"{k} = {format_value(made_for[k])}" for k in changed if k in made_for)
    current = ", ".join(f"{k} = {format_value(now[k])}" for k in changed)
    return f"made for {then} (now {current})"


class StoppableScreen(WorkbenchScreen):
    """A screen whose long work (a diagram, a simulation) is started by the button
    :attr:`START_BUTTON` and stopped at once by ``#stop`` or the stop binding."""

    #: the selector of the button that starts the work
    START_BUTTON = "#run"
    #: what the work is called in the status bar ("diagram stopped")
    WORK_NAME = "work"

    @on(Button.Pressed, "#stop")
    def _stop_pressed(self) -> None:
        self.action_stop()

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.query_one(self.START_BUTTON, Button).disabled = running
        self.query_one("#stop", Button).disabled = not running

    def action_stop(self) -> None:
        """Stop the work being computed, now."""
        if not self.running:
            return
        self._token.stop()
        self._set_running(False)
        self.query_one(StatusBar).set_message(f"{self.WORK_NAME} stopped")
