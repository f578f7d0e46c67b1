"""Checks on an output path made before any work, so that a long computation never ends in
a file that cannot be written."""

from __future__ import annotations

import os
from pathlib import Path

from sme.runtime.errors import SMEError


def check_output_directory(path: Path) -> Path:
    """The directory ``path`` will be written in, after checking that it exists, is a
    directory and that this process may create files in it; ``path`` itself must not be a
    directory.

    Raises:
        SMEError: one line naming ``path`` and what is wrong.
    """
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SMEError(f"{path}: is a directory")
    if not directory.is_dir():
        raise SMEError(f"{path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise SMEError(f"{path}: directory {directory} is not writable")
    return directory
