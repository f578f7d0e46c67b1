"""Keeping the session when a handler fails unexpectedly.

Textual ends the whole app when a message handler (a key binding's action, a button's
handler, a callback) raises.  The app, its screens and its own widgets dispatch their
messages through :class:`Resilient`, which turns such an error into an error notification
(:meth:`tui.app.SMEApp.report_unexpected`) so that the session goes on; where the app is
told not to (``survive_errors=False``, as the tests run it), the error ends the app as
before, and the command then exits non-zero.
"""

from __future__ import annotations

from asyncio import CancelledError
from typing import Any


class Resilient:
    """Mixin for a ``MessagePump`` (app, screen or widget): an exception raised while
    dispatching a message is reported instead of ending the app."""

    async def _dispatch_message(self, message: Any) -> None:
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except CancelledError:
            raise
        except Exception as error:
            app = self.app  # type: ignore[attr-defined]
            report = getattr(app, "report_unexpected", None)
            if report is None or not getattr(app, "survive_errors", False):
                raise
            report(error)
