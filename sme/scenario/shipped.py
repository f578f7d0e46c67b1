"""Where the shipped example scenarios are: ``examples/`` of a source checkout, or the copy
installed with the package as ``sme/examples``."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # the sme package


def examples_dir() -> Path | None:
    """The folder of shipped examples, or ``None`` when neither copy exists."""
    for candidate in (_PACKAGE.parent / "examples", _PACKAGE / "examples"):
        if (candidate / "linear_gaussian.py").is_file():
            return candidate
    return None
