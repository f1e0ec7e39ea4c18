"""The one database helper: every database the helpdesk uses is opened here, a SQLite file or, for the
state and Rasa's conversations with HELPDESK_DATABASE_URL, Postgres (core/postgres.py, the same API).

SQLite's own errors never leave this module as `sqlite3.Error`: a locked, read-only or full database
becomes DatabaseBusy, DatabaseReadOnly or DiskFull (StorageError), whose messages say what to do, so
the edges (actions, CLI, Slack listeners) catch one family of exceptions.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import sqlite_utils

from core import postgres
from core.errors import ConfigError, DatabaseBusy, DatabaseReadOnly, DiskFull, IndexMissing, StorageError
from core.postgres import PostgresDatabase

Database = sqlite_utils.Database | PostgresDatabase  # a state database of either kind
Table = sqlite_utils.db.Table | postgres.Table
Location = Path | str  # a SQLite file, or a postgresql:// URL

# Short on purpose: a chat turn must finish within the Rasa server's action timeout, so a write that
# cannot get the lock in time fails with a clear message instead of leaving the customer waiting.
BUSY_TIMEOUT_SECONDS = 2.0
FILE_MODE = 0o600  # transcripts, phone numbers and emails: readable by the helpdesk's own user only


def storage_error(exc: sqlite3.Error, path: str) -> StorageError:
    """The specific StorageError for an error SQLite raised on the file at `path`."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseBusy(f"the database {path} is busy (another process holds its lock); try again in a moment.")
    if "readonly" in text or "read-only" in text or "read only" in text:
        return DatabaseReadOnly(
            f"the database {path} is read-only; make the file and its folder writable by the helpdesk's user."
        )
    if "full" in text:
        return DiskFull(f"the disk holding {path} is full; free some space.")
    return StorageError(
        f"the database {path} failed ({exc}); check the file, or point its setting elsewhere (see .env.example)."
    )


class _Connection(sqlite3.Connection):
    """A connection whose statements raise StorageError subclasses instead of sqlite3 errors."""

    path = ""

    def execute(self, *args, **kwargs):  # type: ignore[override]
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None

    def executemany(self, *args, **kwargs):  # type: ignore[override]
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None

    def executescript(self, *args, **kwargs):  # type: ignore[override]
        try:
            return super().executescript(*args, **kwargs)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None


def _use_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch the file to WAL mode (it stays so). The switch needs an exclusive lock and does not wait
    for the busy timeout, so two processes opening a new file at once retry it briefly."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except DatabaseBusy:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def private_file(path: Path) -> None:
    """Create `path` (and its folder) readable by this user only, or narrow an existing file to that."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    elif path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        os.chmod(path, FILE_MODE)  # a file from before this rule: narrow it


def connect(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed, mode 0600) the SQLite file at `path`, ready for several processes."""
    try:
        private_file(path)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False, factory=_Connection)
        conn.path = str(path)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        _use_wal(conn)
        conn.execute("PRAGMA foreign_keys = ON")
    except OSError as exc:
        raise StorageError(
            f"cannot open the database {path} ({exc}); check that the folder exists and is writable, "
            "or point the setting for it elsewhere (see .env.example)."
        ) from None
    except sqlite3.Error as exc:
        raise storage_error(exc, str(path)) from None
    return sqlite_utils.Database(conn)


def open_database(location: Location) -> Database:
    """Open the database at `location`: a postgresql:// URL, or a SQLite file (see connect)."""
    if isinstance(location, str):
        if urlsplit(location).scheme.lower() != "postgresql":
            raise ConfigError("only postgresql:// database addresses are supported; see HELPDESK_DATABASE_URL.")
        return PostgresDatabase(location)
    return connect(location)


@contextmanager
def write_transaction(db: Database, exclusive: bool = True) -> Iterator[Database]:
    """A transaction that takes the write lock up front, so concurrent writers wait their turn.

    (A deferred transaction that reads first and writes later fails at once with 'database is
    locked' when another process wrote in between; BEGIN IMMEDIATE waits for the busy timeout.)
    Everything written inside it is committed together or not at all. Inside a transaction the caller
    holds already (a unit of work spanning several changes) it joins that one. On Postgres, writers take
    one advisory lock instead, with the same effect; work that must not hold up the helpdesk's writers (pruning
    Rasa's conversations, which share its database) passes `exclusive=False`.
    """
    if isinstance(db, PostgresDatabase):
        with db.write_transaction(exclusive):
            yield db
        return
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


class _ProbeDone(Exception):
    """Rolls back probe_write's transaction."""


def probe_write(db: Database) -> None:
    """Really write (and roll back), so a locked, read-only or full database raises its StorageError."""
    try:
        with write_transaction(db):
            db.execute("CREATE TABLE IF NOT EXISTS _write_probe (at TEXT)")
            db.execute("INSERT INTO _write_probe VALUES ('probe')")
            raise _ProbeDone
    except _ProbeDone:
        pass


def require_index(db_path: Path, table: str | None = None) -> None:
    """Raise IndexMissing unless the FAQ index exists (and has `table`, when given)."""
    if not db_path.is_file():
        raise IndexMissing(f"there is no FAQ index at {db_path}; build it with `helpdesk faq build`.")
    if table is None:
        return
    with closing(connect(db_path)) as db:
        present = table in db.table_names()
    if not present:
        raise IndexMissing(f"the FAQ index at {db_path} is incomplete; rebuild it with `helpdesk faq build`.")
