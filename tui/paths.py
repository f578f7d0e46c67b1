"""Paths a person types (export, open-prior and scenario dialogs), checked in one place.

Every typed path goes through :func:`typed_path` and every question asked of the file
system about it through :func:`probe`, so that what the operating system refuses — a name
too long (``OSError``), ``~nosuchuser`` (``RuntimeError`` from ``expanduser``), a
component that is not a directory, a permission — becomes one line shown inline in the
dialog, never an exception that ends the app.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

from sme.runtime.errors import escape_line

#: characters of a typed path quoted in a message (a longer one is shortened)
QUOTE_CHARS = 60


class PathError(ValueError):
    """A typed path that cannot be used; the message is one line for the dialog."""


def quoted(text: str | Path) -> str:
    """``text`` for a message: escaped, and shortened with ``…`` past :data:`QUOTE_CHARS`."""
    text = str(text)
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1] + "…"
    return escape_line(text)


def os_error_text(path: str | Path, exc: OSError) -> str:
    """One line for an ``OSError`` about ``path`` (no exception type, no errno number)."""
    if exc.errno == errno.ENAMETOOLONG:
        reason = "file name too long"
    elif exc.strerror:
        reason = exc.strerror[0].lower() + exc.strerror[1:]
    else:
        reason = str(exc) or type(exc).__name__
    return f"{quoted(path)}: {reason}"


def typed_path(text: str) -> Path:
    """The path typed as ``text`` (surrounding blanks dropped, ``~`` expanded).

    Raises:
        PathError: nothing was typed, or ``~user`` names no user.
    """
    text = text.strip()
    if not text:
        raise PathError("give a file name")
    if "\0" in text:
        raise PathError(f"{quoted(text)}: a file name cannot contain a NUL character")
    try:
        path = Path(text).expanduser()
    except (RuntimeError, KeyError, OSError):  # ~nosuchuser: no home directory to expand
        path = Path(text)
    if str(path).startswith("~"):
        user = text[1:].split("/", 1)[0]
        who = f"user {quoted(user)}" if user else "home directory"
        raise PathError(f"{quoted(text)}: no {who} to expand ~{quoted(user)} to")
    return path


def probe(path: Path, question: Callable[[Path], bool] = Path.exists) -> bool:
    """``question(path)`` (``exists``, ``is_file``…), with what the system refuses turned
    into :class:`PathError`."""
    try:
        return question(path)
    except OSError as exc:
        raise PathError(os_error_text(path, exc)) from None
    except ValueError as exc:  # e.g. an embedded NUL byte
        raise PathError(f"{quoted(path)}: {escape_line(str(exc))}") from None
