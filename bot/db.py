"""The one database helper: every SQLite file the helpdesk uses is opened here."""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import sqlite_utils

from bot.errors import StorageError


def _use_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch the file to WAL mode (it stays so). The switch needs an exclusive lock and does not wait
    for the busy timeout, so two processes opening a new file at once retry it briefly."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def connect(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the SQLite file at `path`, ready for several processes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        _use_wal(conn)
        conn.execute("PRAGMA foreign_keys = ON")
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(
            f"cannot open the database {path} ({exc}); check that the folder exists and is writable, "
            "or point the setting for it elsewhere (see .env.example)."
        ) from None
    return sqlite_utils.Database(conn)


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock up front, so concurrent writers wait their turn.

    (A deferred transaction that reads first and writes later fails at once with 'database is
    locked' when another process wrote in between; BEGIN IMMEDIATE waits for the busy timeout.)
    """
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def ensure_table(db: sqlite_utils.Database, name: str, columns: dict, pk: str = "id",
                 unique: tuple[str, ...] = ()) -> sqlite_utils.db.Table:
    """The table `name`, created on first use (and given columns added since); creating takes the write
    lock so two processes can race."""
    table = db[name]
    if not table.exists():
        with nullcontext() if db.conn.in_transaction else write_transaction(db):
            table.create(columns, pk=pk, if_not_exists=True)
            for column in unique:
                table.create_index([column], unique=True, if_not_exists=True)
    elif missing := [column for column in columns if column not in table.columns_dict]:
        with nullcontext() if db.conn.in_transaction else write_transaction(db):
            for column in missing:
                if column not in table.columns_dict:  # another process may have added it meanwhile
                    table.add_column(column, columns[column])
    return table
