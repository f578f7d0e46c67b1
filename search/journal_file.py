"""What SME checks before it touches a journal file, and the journal's lock.

Recognising a journal.  An Optuna journal file is a sequence of JSON objects, one a line, each
an operation with an integer ``op_code`` of ``optuna.storages.journal.JournalOperation`` and a
``worker_id``.  SME writes only to a file it can recognise as one (:func:`check_journal`): a
file that does not exist yet or is empty, or one whose every complete line is such a record.
A file that is anything else (notes, an image, a journal with NUL bytes or a garbage line in
the middle) is refused with the number of its first bad line, and nothing is written to it.
Only the last line may be incomplete (a record torn by a crash), and only after at least one
good record: :func:`search.storage.repair_journal` cuts it off.

The lock.  Appends are serialised by a lock file ``<journal>.lock``, a symbolic link created
atomically, as Optuna's ``JournalFileSymlinkLock`` makes it, so plain Optuna processes can share
the journal.  SME holds it for a few milliseconds per append.  :class:`JournalLock` never waits
forever: a lock older than :data:`STALE_LOCK_SECONDS` (its process was killed while holding it;
Optuna's own lock breaks such a lock after its ``grace_period`` in the same way) is broken
safely — renamed to a unique name, and deleted only if it is still the very lock found stale —
and after :data:`LOCK_TIMEOUT_SECONDS` of waiting for a live lock the command stops with one
line naming the lock file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
import uuid
from pathlib import Path

from sme.runtime.errors import SMEError

#: a lock held this long (seconds) is taken to be left by a killed process
STALE_LOCK_SECONDS = 30.0
#: the longest a command waits for a live lock (seconds) before it gives up
LOCK_TIMEOUT_SECONDS = 120.0
#: suffix of the lock file beside a journal (Optuna's ``LOCK_FILE_SUFFIX``)
LOCK_SUFFIX = ".lock"
#: op codes of Optuna's journal records (``JournalOperation``: CREATE_STUDY … DISCARD_TRIALS)
_OP_CODES = range(0, 11)


def _bad_record(line: bytes) -> str | None:
    """Why ``line`` (without its newline) is not a journal record, or None when it is one."""
    if b"\x00" in line:
        return "NUL bytes"
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # also invalid UTF-8 and too many digits
        return "not JSON"
    if not isinstance(record, dict):
        return "not a JSON object"
    op = record.get("op_code")
    if type(op) is not int or op not in _OP_CODES:
        return "no valid op_code"
    if not isinstance(record.get("worker_id"), str):
        return "no worker_id"
    return None


def check_journal(path: Path) -> None:
    """Check that SME may write to the journal ``path`` (see the module docstring).

    Raises:
        SMEError: one line naming the file and, for a file that is not a journal, its first
            bad line.
    """
    try:
        if not path.exists():
            return
        if not path.is_file():
            raise SMEError(f"storage {path}: not a regular file; give a journal file name")
        with open(path, "rb") as handle:
            lines = handle.read().split(b"\n")
    except OSError as exc:
        raise SMEError(f"storage {path}: cannot read it: {exc.strerror or exc}") from None
    torn = lines.pop()  # after the last newline: b"" when the file ends with one
    for number, line in enumerate(lines, start=1):
        why = _bad_record(line)
        if why is not None:
            what = "not an Optuna journal" if number == 1 else "corrupt Optuna journal"
            raise SMEError(f"storage {path}: {what}: line {number} is not a journal record "
                           f"({why}); SME writes only to journal files it can read, so the "
                           "file was left as it is")
    if torn and (not lines or b"\x00" in torn or not torn.startswith(b"{")):
        number = len(lines) + 1
        what = "not an Optuna journal" if not lines else "corrupt Optuna journal"
        raise SMEError(f"storage {path}: {what}: line {number} is not a journal record "
                       "(incomplete); SME writes only to journal files it can read, so the "
                       "file was left as it is")


class JournalLock:
    """The journal's lock file (an ``optuna.storages.journal.BaseJournalFileLock``): a
    symbolic link ``<journal>.lock`` created atomically; stale locks are broken and waiting
    is bounded (see the module docstring)."""

    def __init__(self, journal: str) -> None:
        self._target = journal
        self._lock = journal + LOCK_SUFFIX

    def acquire(self) -> bool:
        """Take the lock, breaking a stale one; :class:`SMEError` after
        :data:`LOCK_TIMEOUT_SECONDS`."""
        start = time.monotonic()
        pause = 0.001
        while True:
            try:
                os.symlink(self._target, self._lock)
                return True
            except FileExistsError:
                pass
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise SMEError(f"storage {self._target}: cannot create its lock file "
                                   f"{self._lock}: {exc.strerror or exc}") from None
            if self._break_if_stale():
                continue
            if time.monotonic() - start > LOCK_TIMEOUT_SECONDS:
                raise SMEError(
                    f"storage {self._target}: its lock file {self._lock} has been held for "
                    f"over {LOCK_TIMEOUT_SECONDS:g} s by another process; if no search is "
                    "running on this journal, delete the lock file")
            time.sleep(pause)
            pause = min(2 * pause, 0.25)

    def _break_if_stale(self) -> bool:
        """Remove the lock when it is older than :data:`STALE_LOCK_SECONDS`; True when the
        lock is gone (broken here, or released meanwhile)."""
        try:
            found = os.lstat(self._lock)
        except FileNotFoundError:
            return True
        if time.time() - found.st_mtime < STALE_LOCK_SECONDS:
            return False
        aside = f"{self._lock}.{uuid.uuid4().hex}.stale"
        try:
            os.rename(self._lock, aside)
        except FileNotFoundError:
            return True
        moved = os.lstat(aside)
        if (moved.st_ino, moved.st_mtime_ns) == (found.st_ino, found.st_mtime_ns):
            os.unlink(aside)  # the stale lock itself
            return True
        # another process took the lock between the check and the rename: give it back
        with contextlib.suppress(OSError):
            if os.path.lexists(self._lock):
                os.unlink(aside)
            else:
                os.rename(aside, self._lock)
        return False

    def release(self) -> None:
        """Remove the lock (renamed first, as Optuna's lock does)."""
        aside = f"{self._lock}.{uuid.uuid4().hex}.release"
        try:
            os.rename(self._lock, aside)
            os.unlink(aside)
        except OSError:
            raise RuntimeError("Error: did not possess lock") from None
