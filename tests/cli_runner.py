"""Running the command line in-process from tests."""

from __future__ import annotations

import pytest

from sme.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``sme ARGV`` in this process: its exit status (also when argparse exits for a usage
    error), stdout and stderr."""
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    out, err = capsys.readouterr()
    return code, out, err
