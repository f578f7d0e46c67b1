"""User-facing errors: each carries one line naming the file, field or site at fault."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from priors.budget import BudgetError
from priors.compile import ProgramError
from priors.grid import GridError
from priors.params import ParamError


class SMEError(ValueError):
    """Bad input to the tool; the message is one line and says what was expected."""


class ScenarioError(SMEError):
    """A scenario file or object is malformed."""


class ConfigError(SMEError):
    """A configuration file (exported prior, settings) is malformed."""


#: every exception class whose message is meant for the user as it stands
USER_ERRORS: tuple[type[Exception], ...] = (SMEError, ParamError, ProgramError, GridError,
                                            BudgetError)


class ResourceError(SMEError):
    """Work that would need more memory than ``--memory-budget`` allows; the message names
    the flag, the estimate and the budget."""


#: longest error line shown; longer messages (a value with thousands of digits) are cut
MAX_LINE = 400


def escape_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` as one printable line: control and format characters (newlines, terminal
    escape sequences, bidirectional overrides, undecodable bytes) are written as Python
    escapes (``\\n``, ``\\x1b``, ``\\u202e``, ``\\udcff``) and a line longer than ``limit``
    is cut in the middle."""
    import unicodedata

    out = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    line = "".join(out)
    if len(line) > limit:
        keep = (limit - 5) // 2
        line = f"{line[:keep]} … {line[-keep:]}"
    return line


@contextlib.contextmanager
def naming_file(path: str | os.PathLike[str]) -> Iterator[None]:
    """Give an ``OSError`` raised inside the block without a file name (a full disk on
    ``write`` or ``fsync``: ``[Errno 28] No space left on device``) the name ``path``, so
    that its one-line message (:func:`describe_failure`) names the file being written."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno is not None and exc.strerror:
            exc.filename = os.fspath(path)  # an OSError built from one message keeps it
        raise


def _os_error_line(exc: OSError) -> str:
    what = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return (str(exc).strip().splitlines() or [what])[0]
    names = [str(exc.filename)] + ([str(exc.filename2)] if exc.filename2 is not None else [])
    return f"{' -> '.join(names)}: {what}"


def _parser_error_line(exc: Exception) -> str | None:
    """One line for an exception a JSON, TOML or YAML parser raises outside SME's own reading
    (inside a journal or a storage, say), or None."""
    import json
    import tomllib

    import yaml

    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"invalid TOML: {exc}"
    if isinstance(exc, yaml.YAMLError):
        problem = getattr(exc, "problem", None) or str(exc)
        return f"invalid YAML: {problem}"
    return None


def _is_allocation_failure(exc: BaseException) -> bool:
    """``MemoryError``, or torch's allocator failing on the CPU or a GPU."""
    if isinstance(exc, MemoryError):
        return True
    import torch

    if isinstance(exc, torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc)


def describe_failure(exc: BaseException) -> str | None:
    """The one line shown for a failure that is the input's or the environment's, not a
    defect of SME; None for anything else (shown with its traceback).

    Covers SME's own user errors, every ``OSError`` (naming ``filename``), parser errors,
    inputs nested too deeply for a parser (``RecursionError``), numbers too long or too large
    to convert (Python's integer-string digit limit, ``OverflowError``) and failed memory
    allocations.  The line is escaped (:func:`escape_line`).
    """
    if isinstance(exc, USER_ERRORS):  # one line already, unless a name holds a newline
        line = str(exc).strip() or type(exc).__name__
    elif isinstance(exc, OSError):
        line = _os_error_line(exc)
    elif isinstance(exc, RecursionError):
        line = ("input nested too deeply to read (Python's recursion limit); flatten the "
                "file or value")
    elif _is_allocation_failure(exc):
        line = ("out of memory; lower --points, --mc-samples, --learners, --steps or the "
                "diagram's cell counts, or lower --memory-budget so work is split finer")
    elif isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        line = f"a number has more digits than can be read (limit {sys.get_int_max_str_digits()})"
    elif isinstance(exc, OverflowError):
        first = (str(exc).strip().splitlines() or [""])[0]
        line = f"a number is too large{': ' + first if first else ''}"
    else:
        parsed = _parser_error_line(exc) if isinstance(exc, Exception) else None
        if parsed is None:
            return None
        line = parsed
    return escape_line(line)
