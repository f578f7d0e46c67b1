"""The files this command reads: noted where they are opened, so that no output of the same
command may replace one of them (:func:`sme.files.outputs.check_output_directory` decides).

A command's inputs noted here are its scenario file, its storage (a journal file or an
SQLite database) and its record logs.  Configuration files (``--prior``) are not: no command
line writes an export or figure where it reads one (the suffixes differ), and the TUI may
save an edited prior over the file it opened.  :func:`forget_reads` starts a new command
(the command line calls it first; a long-lived program keeps accumulating, which only
refuses more).
"""

from __future__ import annotations

import os
from pathlib import Path

#: (absolute path, what it is) of every file read so far, oldest first
_READ: dict[str, str] = {}


def note_read(path: str | os.PathLike[str], what: str) -> None:
    """Record that this command reads ``path`` (``what``: e.g. ``the study's storage``)."""
    key = os.path.abspath(os.fspath(path))
    _READ.setdefault(key, what)


def read_paths() -> list[tuple[Path, str]]:
    """Every file recorded by :func:`note_read`, with what it is."""
    return [(Path(key), what) for key, what in _READ.items()]


def forget_reads() -> None:
    """Start a new command: no file counts as read."""
    _READ.clear()
