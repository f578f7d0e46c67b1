"""Where studies live: storage URLs, the default journal file, and credential redaction.

A ``--storage`` value is either

* a file path: an Optuna journal file (``optuna.storages.JournalStorage`` over
  ``optuna.storages.journal.JournalFileBackend``): embedded, append-only and safe for several
  processes on one machine (https://optuna.readthedocs.io/en/stable/reference/generated/
  optuna.storages.JournalStorage.html).  Without ``--storage`` the journal file
  ``<scenario name>.sme-journal`` in the working directory is used;
* an SQLAlchemy database URL (``sqlite:///study.db``, ``postgresql://user:pass@host/db``,
  ``mysql+pymysql://…``) opened as ``optuna.storages.RDBStorage``; PostgreSQL lets searches on
  many machines share one study.  A bare ``postgresql://`` (or ``postgres://``) URL uses
  whichever PostgreSQL driver is installed, psycopg 3 (SQLAlchemy 2.1's default) first, then
  psycopg2; the password may be left out of the URL and given by libpq's ``PGPASSWORD`` or
  ``~/.pgpass`` instead;
* ``redis://…``: a journal kept in Redis (``JournalRedisBackend``).

Dead workers.  Database storages record a heartbeat for every running trial
(``heartbeat_interval`` :data:`HEARTBEAT_SECONDS`, ``grace_period`` :data:`GRACE_SECONDS`);
a trial whose heartbeat stopped is failed by :func:`search.study.fail_stale_trials` and
retried through Optuna's ``RetryHeartbeatStaleTrialCallback`` (at most :data:`MAX_RETRIES`
times).  Optuna's ``JournalStorage`` has no heartbeat (it does not implement ``BaseHeartbeat``
in Optuna 5.0), so journal trials are checked by the process that ran them instead: each
trial records its host and process id, and a trial whose process on this machine has exited
is failed and retried the same way.

Reading and creating.  Only ``sme search`` creates a storage (``StorageSpec.open(create=True)``);
commands that read a study open it with ``create=False``, which refuses a journal file or an
SQLite file that does not exist and a database without Optuna's tables, and changes nothing.
A database that holds tables but none of Optuna's (someone's own SQLite file) is refused by
every command, untouched, as a file that is not a journal is.

Concurrent creation.  Several processes starting on one new database at once (the usual
start of a distributed search) race to create Optuna's tables and its schema version
records; the loser of each race gets "table already exists" or a unique-key violation.
:func:`open_database` retries the creation of Optuna's ``RDBStorage`` after such an error
(every creation step is skipped when already done), for SQLite, PostgreSQL and MySQL alike.

Credentials in a URL (the password, and query parameters such as ``password=``) are never
printed, logged or exported: :func:`redact` replaces them with ``***`` and every message built
from a storage goes through :func:`redact_text`.  The same file or URL can be opened with
Optuna's own tools, e.g. ``optuna trials --storage sycophancy.sme-journal --study-name
sycophancy`` or ``optuna-dashboard sycophancy.sme-journal``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import re
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from search.journal_file import JournalLock, check_journal
from sme.runtime.errors import SMEError, naming_file
from sme.runtime.reading import note_read

#: suffix of the default journal file (``<scenario name>.sme-journal``)
JOURNAL_SUFFIX = ".sme-journal"
#: query parameters of a URL whose values are secrets
SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "secret", "token", "sslpassword",
                               "api_key", "apikey", "access_token", "key"})
MASK = "***"

#: seconds between two heartbeats of a running trial in a database storage
HEARTBEAT_SECONDS = 10
#: seconds without a heartbeat after which a running trial counts as abandoned
GRACE_SECONDS = 60
#: how many times a trial abandoned by a dead worker is retried
MAX_RETRIES = 3

#: Python packages needed by URL schemes (the scheme's default driver)
_DRIVERS = {"postgresql": "psycopg[binary]", "postgres": "psycopg[binary]",
            "mysql": "pymysql", "redis": "redis"}
#: URL schemes (before any ``+driver``) that name an Optuna storage
KNOWN_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "redis")
#: tables Optuna's ``RDBStorage`` creates (``optuna.storages._rdb.models``, and Alembic's)
OPTUNA_TABLES = frozenset({
    "studies", "version_info", "study_directions", "study_user_attributes",
    "study_system_attributes", "trials", "trial_user_attributes", "trial_system_attributes",
    "trial_params", "trial_values", "trial_intermediate_values", "trial_heartbeats",
    "alembic_version"})
#: tries at creating Optuna's tables while other processes create them too
SCHEMA_ATTEMPTS = 12
#: fragments of the errors a lost schema-creation race gives (lower case)
_RACE_MESSAGES = ("already exists", "unique constraint", "duplicate", "database is locked",
                  "deadlock", "could not serialize", "concurrent")
#: PostgreSQL drivers a bare ``postgresql://`` URL may use, preferred first: (module, dialect)
_POSTGRES_DRIVERS = (("psycopg", "postgresql+psycopg"), ("psycopg2", "postgresql+psycopg2"))


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

    @property
    def local_file(self) -> Path | None:
        """The file that holds the storage on this machine: the journal file, or an SQLite
        URL's database file; ``None`` for a server or an in-memory database."""
        if self.is_journal_file:
            return Path(self.raw)
        return _sqlite_file(self.raw)

    def open(self, create: bool = True) -> Any:
        """The Optuna storage object; one-line :class:`SMEError` on failure.

        With ``create`` false (commands that only read a study) a storage that does not
        exist, or holds no Optuna tables, is refused and nothing is created or changed.
        Database storages record heartbeats (see the module docstring)."""
        import optuna

        if self.is_journal_file:
            path = Path(self.raw)
            if not create and not path.is_dir() and not path.is_file():
                raise SMEError(f"no study file {path}; run `sme search` first or pass "
                               "--storage")
            return _open_journal(path)
        scheme = self.raw.split("://", 1)[0].lower()
        if scheme.split("+")[0] not in KNOWN_SCHEMES:
            raise SMEError(
                f"storage {self.label}: unknown scheme {scheme!r} (expected a journal file "
                f"path or a URL starting {', '.join(s + '://' for s in KNOWN_SCHEMES)})")
        try:
            if scheme == "redis":
                from optuna.storages.journal import JournalRedisBackend

                return optuna.storages.JournalStorage(JournalRedisBackend(self.raw))
            _check_database(self, create)
            return open_database(database_url(self.raw))
        except SMEError:
            raise
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


def _sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL (``sqlite:///rel.db``, ``sqlite:////abs.db``);
    ``None`` for other URLs, in-memory databases and ``file:`` URIs."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0].lower() != "sqlite":
        return None
    path = unquote(rest.split("?", 1)[0])
    if not path.startswith("/"):
        return None  # sqlite://host/..., not a file URL
    path = path[1:]
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return Path(path)


def _tables(spec: StorageSpec) -> set[str]:
    """The tables of the database ``spec`` names, read without changing it (an SQLite file
    is opened read-only; a server database through SQLAlchemy's inspector)."""
    file = _sqlite_file(spec.raw)
    if file is not None:
        import sqlite3

        try:
            uri = f"file:{quote(str(file.resolve()))}?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
                rows = connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        except sqlite3.DatabaseError as exc:
            raise SMEError(f"storage {spec.label}: {file} is not a readable SQLite database "
                           f"({exc}); the file was left as it is") from None
        return {str(row[0]) for row in rows}
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url(spec.raw))
    try:
        return set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _check_database(spec: StorageSpec, create: bool) -> None:
    """Refuse, before Optuna may create anything, a database that is not Optuna's: one that
    holds tables but none of Optuna's, and (unless ``create``) one that does not exist or
    holds no study tables.  A new SQLite file and a server database are left to Optuna when
    ``create`` is true."""
    file = _sqlite_file(spec.raw)
    if file is not None:
        note_read(file, "the study's storage")
        if not file.exists():
            if create:
                return
            raise SMEError(f"storage {spec.label}: no such database file {file}; run "
                           "`sme search` first or check the URL")
        if file.is_dir():
            raise SMEError(f"storage {spec.label}: {file} is a directory")
    elif create:
        return  # a server database: Optuna creates its tables in the database named
    tables = _tables(spec)
    if tables and not tables & OPTUNA_TABLES:
        shown = ", ".join(sorted(tables)[:3]) + (", …" if len(tables) > 3 else "")
        raise SMEError(f"storage {spec.label}: not an Optuna storage (it holds the tables "
                       f"{shown} and none of Optuna's); the database was left as it is")
    if not create and "studies" not in tables:
        raise SMEError(f"storage {spec.label}: holds no Optuna study (no Optuna tables); run "
                       "`sme search` first or check the URL")


def _lost_a_race(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) is what a process gets when
    another one created the same table or schema record first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(fragment in str(current).lower() for fragment in _RACE_MESSAGES):
            return True
        current = current.__cause__ or current.__context__
    return False


def open_database(url: str, attempts: int = SCHEMA_ATTEMPTS) -> Any:
    """Optuna's ``RDBStorage`` on ``url``, with heartbeats (see the module docstring),
    creating its tables when needed; creation that loses a race with another process is
    retried after a short random wait, at most ``attempts`` times."""
    import optuna

    def create() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
                heartbeat_stale_trial_callback=retry_callback())

    for attempt in range(attempts - 1):
        try:
            return create()
        except Exception as exc:
            if not _lost_a_race(exc):
                raise
            time.sleep(random.uniform(0.05, 0.25) * (1 + attempt))
    return create()


def database_url(url: str) -> str:
    """``url`` with a bare ``postgresql://`` or ``postgres://`` scheme given an installed
    driver (SQLAlchemy 2.1 defaults to psycopg 3, 2.0 to psycopg2; either works here)."""
    import importlib.util

    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("postgresql", "postgres"):
        return url
    for module, dialect in _POSTGRES_DRIVERS:
        if importlib.util.find_spec(module) is not None:
            return f"{dialect}://{rest}"
    return url


def retry_callback() -> Callable[[Any, Any], None]:
    """A callback that enqueues a trial abandoned by a dead worker again, at most
    :data:`MAX_RETRIES` times: Optuna's ``RetryHeartbeatStaleTrialCallback`` (a WAITING copy
    with the same parameters; ``retry_history`` in its system attributes), given the trial
    without its ``worker`` tag so that the copy never looks like the dead worker's."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None) \
            or optuna.storages.RetryFailedTrialCallback  # Optuna < 4.9
        callback = base(max_retry=MAX_RETRIES)

    def retry(study: Any, trial: Any) -> None:
        trial = copy.deepcopy(trial)
        trial.user_attrs.pop("worker", None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            callback(study, trial)

    return retry


#: op code of Optuna's journal record that creates a trial (``JournalOperation.CREATE_TRIAL``)
_CREATE_TRIAL = 4


def _journal_backend_class() -> type:
    """A ``JournalFileBackend`` that syncs to disk at commit points only.

    Optuna's file backend appends every record under a file lock and calls ``fsync`` on each;
    a trial writes a dozen records (parameters, user attributes, constraint, result).  This
    backend appends the same records under the same lock file (a symbolic link, as Optuna's
    ``JournalFileSymlinkLock`` makes it, so plain Optuna processes can share the file; a stale
    lock is broken and waiting is bounded: :class:`search.journal_file.JournalLock`) but calls
    ``fsync`` only for records that commit something: a finished trial (its state record
    carries ``datetime_complete``) and study-level records.  Records reach the page cache at
    once, so other processes see them and a killed process loses nothing; after a machine
    crash the journal ends at the last commit, and a torn last line is cut off when the journal
    is next opened (:func:`repair_journal`).
    """
    from optuna.storages.journal import JournalFileBackend

    class CommitSyncJournalFileBackend(JournalFileBackend):
        def __init__(self, file_path: str) -> None:
            self._sme_path = file_path
            self._sme_lock = JournalLock(file_path)
            self.last_line_read = 0  # the line of the record Optuna replays now
            super().__init__(file_path, lock_obj=self._sme_lock)

        def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
            for number, log in enumerate(super().read_logs(log_number_from),
                                         start=log_number_from + 1):
                self.last_line_read = number
                yield log

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            commit = any("datetime_complete" in log or (
                "trial_id" not in log and log.get("op_code") != _CREATE_TRIAL) for log in logs)
            self._sme_lock.acquire()
            try:
                with naming_file(self._sme_path), open(self._sme_path, "ab") as handle:
                    handle.write(text.encode("utf-8"))
                    handle.flush()
                    if commit:
                        os.fsync(handle.fileno())
            finally:
                self._sme_lock.release()

    return CommitSyncJournalFileBackend


def repair_journal(path: Path) -> bool:
    """Cut a torn last record (a line without its newline) off the journal at ``path``;
    returns True when something was cut.  A journal that ends with a newline is left alone
    without taking the lock (so reading one in a read-only directory works); a repair runs
    under the journal's lock."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return False
    lock = JournalLock(str(path))
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
    note_read(path, "the study's storage")
    if not path.parent.is_dir():
        raise SMEError(f"storage {path}: directory {path.parent} does not exist")
    check_journal(path)  # never write to a file that is not recognisably a journal
    if not path.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise SMEError(f"storage {path}: directory {path.parent} is not writable")
    backend = None
    try:
        repair_journal(path)
        backend = _journal_backend_class()(str(path))
        return optuna.storages.JournalStorage(backend)
    except SMEError:
        raise
    except OSError as exc:
        raise SMEError(f"storage {path}: cannot open it: {exc.strerror or exc}") from None
    except Exception as exc:  # records that parse but do not replay as a study
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        line = f"line {backend.last_line_read}: " if backend and backend.last_line_read else ""
        raise SMEError(f"storage {path}: corrupt Optuna journal: {line}the record does not "
                       f"replay ({type(exc).__name__}: {first}); the file was left as it is"
                       ) from None


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
    unreadable: list[str] = []
    for path in ([first] if first.is_file() else []) + others:
        try:
            names = optuna.get_all_study_names(_open_journal(path))
        except SMEError as exc:  # another file's damage does not hide this study
            unreadable.append(str(exc))
            continue
        if study in names:
            return StorageSpec(str(path))
    skipped = f" (skipped {len(unreadable)}: {unreadable[0]})" if unreadable else ""
    raise SMEError(
        f"no study {study!r} in a *{JOURNAL_SUFFIX} file of {where}; pass --storage FILE|URL "
        f"or the scenario file{skipped}")
