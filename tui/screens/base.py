"""The base of the screens that work on the open scenario (design, diagram, search,
simulate): typed access to the app and its workbench."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen

from tui.resilient import Resilient

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
        """Run ``callback`` on the UI thread from a worker (nothing once the app closed)."""
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(callback, *args)
