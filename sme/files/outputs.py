"""The one place that decides whether a path may be written, checked before any work so
that a long computation never ends in a file that cannot be written, and so that no output
replaces a file the same command reads (its storage, scenario, configuration or logs),
``--force`` or not."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sme.runtime.errors import SMEError
from sme.runtime.reading import read_paths

#: an input named by the caller: (path, what it is); a ``None`` path is skipped
Input = tuple[str | os.PathLike[str] | None, str]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name one file: the same inode where both exist (hard links,
    symbolic links, ``..``), else the same absolute path after resolving links."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def check_not_an_input(path: str | os.PathLike[str], reads: Iterable[Input] = ()) -> None:
    """Refuse ``path`` when it is a file this command reads: one noted with
    :func:`sme.runtime.reading.note_read`, or one of ``reads``.

    Raises:
        SMEError: one line naming ``path`` and the input it would replace.
    """
    for source, what in [*read_paths(), *reads]:
        if source is not None and same_file(path, source):
            shown = "" if os.fspath(source) == os.fspath(path) else f" ({source})"
            raise SMEError(f"{path}: is {what}{shown}, which this command reads; write the "
                           "output elsewhere (--force never replaces an input)")


def check_output_directory(path: Path, reads: Iterable[Input] = ()) -> Path:
    """The directory ``path`` will be written in, after checking that ``path`` is no input
    of this command (:func:`check_not_an_input`), is not a directory, and that its directory
    exists and this process may create files in it.

    Raises:
        SMEError: one line naming ``path`` and what is wrong.
    """
    check_not_an_input(path, reads)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SMEError(f"{path}: is a directory")
    if not directory.is_dir():
        raise SMEError(f"{path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise SMEError(f"{path}: directory {directory} is not writable")
    return directory
