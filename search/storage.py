"""Where studies live: storage URLs, the default journal file, and credential redaction.

A ``--storage`` value is either

* a file path: an Optuna journal file (``optuna.storages.JournalStorage`` over
  ``optuna.storages.journal.JournalFileBackend``): embedded, append-only and safe for several
  processes on one machine (https://optuna.readthedocs.io/en/stable/reference/generated/
  optuna.storages.JournalStorage.html).  Without ``--storage`` the journal file
  ``<scenario name>.sme-journal`` in the working directory is used;
* an SQLAlchemy database URL (``sqlite:///study.db``, ``postgresql://user:pass@host/db``,
  ``mysql+pymysql://…``) opened as ``optuna.storages.RDBStorage``; PostgreSQL lets searches on
  many machines share one study;
* ``redis://…``: a journal kept in Redis (``JournalRedisBackend``).

Credentials in a URL (the password, and query parameters such as ``password=``) are never
printed, logged or exported: :func:`redact` replaces them with ``***`` and every message built
from a storage goes through :func:`redact_text`.  The same file or URL can be opened with
Optuna's own tools, e.g. ``optuna trials --storage sycophancy.sme-journal --study-name
sycophancy`` or ``optuna-dashboard sycophancy.sme-journal``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from sme.errors import SMEError

#: suffix of the default journal file (``<scenario name>.sme-journal``)
JOURNAL_SUFFIX = ".sme-journal"
#: query parameters of a URL whose values are secrets
SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "secret", "token", "sslpassword",
                               "api_key", "apikey", "access_token", "key"})
MASK = "***"

#: Python packages needed by URL schemes (the scheme's default driver)
_DRIVERS = {"postgresql": "psycopg2-binary", "postgres": "psycopg2-binary",
            "mysql": "pymysql", "redis": "redis"}


def is_url(text: str) -> bool:
    """True when ``text`` names a database or Redis URL rather than a journal file."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text) is not None


def redact(url: str) -> str:
    """``url`` with its password and secret query values replaced by ``***``.

    File paths come back unchanged; ``postgresql://user:secret@host/db`` becomes
    ``postgresql://user:***@host/db``.  Text that cannot be parsed as a URL has anything
    between ``:`` and ``@`` after the scheme masked.
    """
    if not is_url(url):
        return url
    try:
        parts = urlsplit(url)
        text = url
        if "@" in parts.netloc:
            userinfo, _, host = parts.netloc.rpartition("@")
            user, sep, _password = userinfo.partition(":")
            if sep:
                text = text.replace(f"//{parts.netloc}", f"//{user}:{MASK}@{host}", 1)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(k.lower() in SECRET_QUERY_KEYS for k, _ in pairs):
            query = urlencode([(k, MASK if k.lower() in SECRET_QUERY_KEYS else v)
                               for k, v in pairs], safe="*")
            text = text.replace(f"?{parts.query}", f"?{query}", 1)
        return text
    except ValueError:
        return re.sub(r"(://[^:/@]*):[^@]*@", rf"\1:{MASK}@", url)


def secrets_of(url: str) -> list[str]:
    """The secret substrings of ``url`` (password, secret query values), longest first."""
    if not is_url(url):
        return []
    found: list[str] = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found.append(parts.password)
        found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True)
                  if k.lower() in SECRET_QUERY_KEYS and v]
    except ValueError:
        match = re.search(r"://[^:/@]*:([^@]*)@", url)
        if match:
            found.append(match.group(1))
    variants = {v for s in found for v in (s, quote(s, safe=""), unquote(s)) if v}
    return sorted(variants, key=len, reverse=True)


def redact_text(text: str, url: str) -> str:
    """``text`` with every secret of ``url`` (and ``url`` itself) masked."""
    text = text.replace(url, redact(url))
    for secret in secrets_of(url):
        text = text.replace(secret, MASK)
    return text


def default_journal(scenario_name: str, directory: Path | None = None) -> Path:
    """The default journal file of a scenario: ``<name>.sme-journal`` in ``directory``
    (the working directory by default); characters unsafe in file names become ``-``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", scenario_name).strip(".-") or "study"
    return (directory or Path.cwd()) / f"{slug}{JOURNAL_SUFFIX}"


@dataclass(frozen=True)
class StorageSpec:
    """A storage named on the command line (or the default journal file)."""

    raw: str

    @property
    def is_journal_file(self) -> bool:
        return not is_url(self.raw)

    @property
    def label(self) -> str:
        """How the storage is shown and exported: the journal path, or the URL redacted."""
        return redact(self.raw)

    def open(self) -> Any:
        """The Optuna storage object; one-line :class:`SMEError` on failure."""
        import optuna

        if self.is_journal_file:
            return _open_journal(Path(self.raw))
        scheme = self.raw.split("://", 1)[0].lower()
        try:
            if scheme == "redis":
                from optuna.storages.journal import JournalRedisBackend

                return optuna.storages.JournalStorage(JournalRedisBackend(self.raw))
            return optuna.storages.RDBStorage(self.raw)
        except ImportError as exc:
            package = getattr(exc, "name", None) or _DRIVERS.get(scheme.split("+")[0], "")
            hint = _DRIVERS.get(scheme.split("+")[0], package)
            raise SMEError(
                f"storage {self.label}: needs the Python package {package!r} "
                f"(pip install {hint})") from None
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SMEError(
                f"storage {self.label}: cannot open it: {redact_text(first, self.raw)}"
            ) from None


#: op code of Optuna's journal record that creates a trial (``JournalOperation.CREATE_TRIAL``)
_CREATE_TRIAL = 4


def _journal_backend_class() -> type:
    """A ``JournalFileBackend`` that syncs to disk at commit points only.

    Optuna's file backend appends every record under a file lock and calls ``fsync`` on each;
    a trial writes a dozen records (parameters, user attributes, constraint, result).  This
    backend appends the same records under the same lock (``JournalFileSymlinkLock``, so
    plain Optuna processes can share the file) but calls ``fsync`` only for records that commit
    something: a finished trial (its state record carries ``datetime_complete``) and study-level
    records.  Records reach the page cache at once, so other processes see them and a killed
    process loses nothing; after a machine crash the journal ends at the last commit, and a
    torn last line is cut off when the journal is next opened (:func:`repair_journal`).
    """
    from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

    class CommitSyncJournalFileBackend(JournalFileBackend):
        def __init__(self, file_path: str) -> None:
            self._sme_path = file_path
            self._sme_lock = JournalFileSymlinkLock(file_path)
            super().__init__(file_path, lock_obj=self._sme_lock)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            commit = any("datetime_complete" in log or (
                "trial_id" not in log and log.get("op_code") != _CREATE_TRIAL) for log in logs)
            self._sme_lock.acquire()
            try:
                with open(self._sme_path, "ab") as handle:
                    handle.write(text.encode("utf-8"))
                    handle.flush()
                    if commit:
                        os.fsync(handle.fileno())
            finally:
                self._sme_lock.release()

    return CommitSyncJournalFileBackend


def repair_journal(path: Path) -> bool:
    """Cut a torn last record (a line without its newline) off the journal at ``path``;
    returns True when something was cut.  Runs under the journal's lock."""
    from optuna.storages.journal import JournalFileSymlinkLock

    if not path.is_file() or path.stat().st_size == 0:
        return False
    lock = JournalFileSymlinkLock(str(path))
    lock.acquire()
    try:
        with open(path, "rb+") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return False
            keep = size - 1
            while keep > 0:
                step = min(keep, 65536)
                handle.seek(keep - step)
                chunk = handle.read(step)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    keep = keep - step + newline + 1
                    break
                keep -= step
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
            return True
    finally:
        lock.release()


def _open_journal(path: Path) -> Any:
    import optuna

    if path.is_dir():
        raise SMEError(f"storage {path}: is a directory; give a journal file name")
    if not path.parent.is_dir():
        raise SMEError(f"storage {path}: directory {path.parent} does not exist")
    try:
        repair_journal(path)
        return optuna.storages.JournalStorage(_journal_backend_class()(str(path)))
    except (OSError, ValueError) as exc:
        raise SMEError(f"storage {path}: cannot read it as an Optuna journal: {exc}") from None


def resolve_storage(storage: str | None, scenario_name: str | None) -> StorageSpec:
    """The ``--storage`` value, or the default journal file of ``scenario_name``."""
    if storage:
        return StorageSpec(storage)
    if scenario_name is None:
        raise SMEError("no storage given: pass --storage FILE|URL or the scenario file")
    return StorageSpec(str(default_journal(scenario_name)))


def find_journal(study: str, directory: Path | None = None) -> StorageSpec:
    """The journal file in ``directory`` that holds ``study``: ``<study>.sme-journal`` first,
    then any other ``*.sme-journal`` file."""
    import optuna

    where = directory or Path.cwd()
    first = default_journal(study, where)
    others = sorted(p for p in where.glob(f"*{JOURNAL_SUFFIX}") if p != first)
    for path in ([first] if first.is_file() else []) + others:
        names = optuna.get_all_study_names(_open_journal(path))
        if study in names:
            return StorageSpec(str(path))
    raise SMEError(
        f"no study {study!r} in a *{JOURNAL_SUFFIX} file of {where}; pass --storage FILE|URL "
        "or the scenario file")
