"""The state database on Postgres (HELPDESK_DATABASE_URL), offering the part of sqlite-utils' API the state code
uses, so one set of domain functions and migrations runs on both: `db[table]` with insert, update, get,
rows_where, count, exists, create, add_column and create_index; `db.execute` and `db.query` with SQLite's `?`
placeholders; `db.close()`.

Writers take one advisory lock for their transaction (core/db.py: write_transaction), as SQLite's single writer
does, so code written for SQLite's semantics (read, then write what was read) stays right with several processes.
Connections are kept per process and URL, so a chat turn does not log in to Postgres again. The URL holds a
password: it never appears in a message.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from sqlite_utils.db import NotFoundError

from core.errors import DatabaseBusy, DatabaseReadOnly, DiskFull, StorageError

WRITE_LOCK = 0x48454C50  # the advisory lock every writer takes ("HELP")
LOCK_TIMEOUT = "2s"  # as SQLite's busy timeout (core/db.py): a turn fails clearly rather than waits
IDLE_KEPT = 8  # idle connections kept per URL in a process
IDLE_IN_TRANSACTION = "60s"  # a process stuck inside a transaction loses it (and the lock) rather than block all
# A writer cut off by the network is noticed in about 30 s, not the kernel's two hours, so its lock is released.
CONNECTION_OPTIONS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                      "keepalives_count": 3, "tcp_user_timeout": 30000}  # fmt: skip
# TEXT compares bytewise, as SQLite's does: instants are ISO text compared with < and >.
_TYPES = {int: "BIGINT", str: 'TEXT COLLATE "C"', float: "DOUBLE PRECISION"}
_PYTHON_TYPES = {"bigint": int, "integer": int, "smallint": int, "text": str, "double precision": float, "real": float}

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_idle: dict[str, list[psycopg2.extensions.connection]] = {}
_idle_lock = threading.Lock()
_inherited: list[psycopg2.extensions.connection] = []


def _after_fork_in_child() -> None:
    """A forked child must not talk on its parent's connections: it keeps them (closing one would end the
    parent's session) and opens its own."""
    global _idle, _idle_lock
    _inherited.extend(conn for kept in _idle.values() for conn in kept)
    _idle, _idle_lock = {}, threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def storage_error(exc: psycopg2.Error) -> StorageError:
    """The specific StorageError for an error Postgres (or the way to it) raised."""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, (psycopg2.errors.LockNotAvailable, psycopg2.errors.QueryCanceled)):
        return DatabaseBusy("the state database is busy (another process holds its write lock); try again in a moment.")
    if isinstance(exc, psycopg2.errors.ReadOnlySqlTransaction):
        return DatabaseReadOnly("the state database is read-only; point HELPDESK_DATABASE_URL at the primary server.")
    if isinstance(exc, psycopg2.errors.DiskFull):
        return DiskFull("the disk of the state database's Postgres server is full; free some space.")
    if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        # libpq's text for these may quote the address, password included: it is not repeated
        return StorageError(
            "the state database (Postgres) cannot be reached; check that it runs and HELPDESK_DATABASE_URL "
            "(see .env.example; a password with @, : or % must be percent-encoded)."
        )
    return StorageError(f"the state database (Postgres) failed ({first_line}); see the server's log.")


def postgres_sql(sql: str) -> str:
    """SQLite's placeholders (`?`, `:name`) as psycopg2's (`%s`, `%(name)s`) outside quoted literals, and
    literal `%` doubled."""
    parts = sql.split("'")
    for i in range(0, len(parts), 2):  # even parts are outside quotes
        parts[i] = _NAMED.sub(r"%(\1)s", parts[i].replace("%", "%%").replace("?", "%s"))
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "'".join(parts)


def quote(name: str) -> str:
    """A table or column name as a Postgres identifier ("user" is a reserved word there)."""
    return '"' + name.replace('"', '""') + '"'


class PostgresDatabase:
    """One connection to the state database on Postgres (autocommit outside write transactions)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = _take(url)
        self.depth = 0  # >0 inside write_transaction
        self.broken = False  # the writers' lock may not have been released: the connection is not kept
        self._pks: dict[str, str] = {}

    def __getitem__(self, name: str) -> Table:
        return Table(self, name)

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> psycopg2.extensions.cursor:
        cursor = self.conn.cursor()
        try:
            cursor.execute(postgres_sql(sql), params if isinstance(params, dict) else tuple(params))
        except psycopg2.Error as exc:
            raise storage_error(exc) from None
        return cursor

    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> Iterator[dict]:
        cursor = self.execute(sql, params)
        names = [column.name for column in cursor.description or ()]
        for row in cursor.fetchall():
            yield dict(zip(names, row))

    def table_names(self) -> list[str]:
        rows = self.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return [row[0] for row in rows.fetchall()]

    @contextmanager
    def write_transaction(self, exclusive: bool = True) -> Iterator[PostgresDatabase]:
        """One transaction holding the writers' lock (without it when not `exclusive`); inside another, it
        joins that one."""
        if self.depth:
            self.depth += 1
            try:
                yield self
            finally:
                self.depth -= 1
            return
        # The lock before BEGIN, not inside the transaction: a transaction that starts after the lock is
        # taken sees every table an earlier writer created (one begun before would keep its stale catalog).
        if exclusive:
            self.execute("SELECT pg_advisory_lock(?)", [WRITE_LOCK])
        try:
            self.execute("BEGIN")
            self.depth = 1
            try:
                yield self
            except BaseException:
                self.depth = 0
                self._rollback()
                raise
            self.depth = 0
            self.execute("COMMIT")
        finally:
            if exclusive:
                self._unlock()

    def _rollback(self) -> None:
        try:
            with self.conn.cursor() as cursor:
                cursor.execute("ROLLBACK")
        except psycopg2.Error:
            pass  # the connection is gone: close() drops it

    def _unlock(self) -> None:
        try:
            with self.conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK])
                self.broken = not cursor.fetchone()[0]
        except psycopg2.Error:
            self.broken = True  # closing the connection releases the lock

    def close(self) -> None:
        """Give the connection back to this process's idle ones (or close it when enough are kept)."""
        if self.conn is None:
            return
        conn, self.conn = self.conn, None
        if self.depth or self.broken:
            conn.close()  # inside a transaction, or perhaps holding the lock: ending the session ends both
            return
        _give_back(self.url, conn)


class Table:
    """A table of the state database, as sqlite_utils.db.Table offers it to the state code."""

    def __init__(self, db: PostgresDatabase, name: str) -> None:
        self.db, self.name = db, name
        self.last_pk: Any = None

    def exists(self) -> bool:
        return bool(self.db.execute("SELECT to_regclass(?)", [quote(self.name)]).fetchone()[0])

    @property
    def columns_dict(self) -> dict[str, type]:
        rows = self.db.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            [self.name],
        ).fetchall()
        return {name: _PYTHON_TYPES.get(data_type, str) for name, data_type in rows}

    @property
    def pk(self) -> str:
        if self.name not in self.db._pks:
            self.db._pks[self.name] = self._find_pk()
        return self.db._pks[self.name]

    def _find_pk(self) -> str:
        row = self.db.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?) AND i.indisprimary",
            [quote(self.name)],
        ).fetchone()
        return row[0] if row else "id"

    @property
    def count(self) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM {quote(self.name)}").fetchone()[0])

    def create(self, columns: dict[str, type], pk: str = "id") -> Table:
        """CREATE TABLE as sqlite-utils makes it: an integer `pk` numbers the rows itself."""
        defined = []
        for name, kind in columns.items():
            if name == pk:
                defined.append(f"{quote(name)} {'BIGSERIAL' if kind is int else _TYPES[kind]} PRIMARY KEY")
            else:
                defined.append(f"{quote(name)} {_TYPES[kind]}")
        self.db.execute(f"CREATE TABLE {quote(self.name)} ({', '.join(defined)})")
        return self

    def add_column(self, name: str, kind: type) -> Table:
        self.db.execute(f"ALTER TABLE {quote(self.name)} ADD COLUMN {quote(name)} {_TYPES[kind]}")
        return self

    def create_index(self, columns: list[str], unique: bool = False, if_not_exists: bool = False) -> Table:
        index = quote(f"idx_{self.name}_{'_'.join(columns)}")
        self.db.execute(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX {'IF NOT EXISTS ' if if_not_exists else ''}{index} "
            f"ON {quote(self.name)} ({', '.join(quote(c) for c in columns)})"
        )
        return self

    def insert(self, row: dict, ignore: bool = False) -> Table:
        """Insert `row`; its primary key is then `last_pk`. With `ignore`, a row whose key exists is skipped."""
        pk = self.pk
        names = list(row)
        sql = (
            f"INSERT INTO {quote(self.name)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
            f"{' ON CONFLICT DO NOTHING' if ignore else ''} RETURNING {quote(pk)}"
        )
        found = self.db.execute(sql, [row[n] for n in names]).fetchone()
        self.last_pk = found[0] if found else row.get(pk)
        return self

    def update(self, pk_value: Any, values: dict) -> Table:
        assignments = ", ".join(f"{quote(name)} = ?" for name in values)
        self.db.execute(
            f"UPDATE {quote(self.name)} SET {assignments} WHERE {quote(self.pk)} = ?", [*values.values(), pk_value]
        )
        self.last_pk = pk_value
        return self

    def get(self, pk_value: Any) -> dict:
        for row in self.db.query(f"SELECT * FROM {quote(self.name)} WHERE {quote(self.pk)} = ?", [pk_value]):
            return row
        raise NotFoundError(f"no row {pk_value!r} in {self.name}")

    def rows_where(
        self,
        where: str | None = None,
        where_args: Sequence[Any] | dict | None = None,
        order_by: str | None = None,
        select: str = "*",
        limit: int | None = None,
    ) -> Iterator[dict]:
        sql = f"SELECT {select} FROM {quote(self.name)}"
        if where:
            sql += f" WHERE {where}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self.db.query(sql, where_args or ())

    @property
    def rows(self) -> Iterator[dict]:
        return self.rows_where()


def _take(url: str) -> psycopg2.extensions.connection:
    """A kept connection that still works, or a new one."""
    while True:
        with _idle_lock:
            kept = _idle.get(url)
            conn = kept.pop() if kept else None
        if conn is None:
            break
        if _alive(conn):
            return conn
        conn.close()
    try:
        conn = psycopg2.connect(url, application_name="helpdesk", **CONNECTION_OPTIONS)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'")
    except psycopg2.Error:
        raise StorageError(  # libpq's message may quote the address, password included
            "the state database (Postgres) cannot be reached; check that it runs and HELPDESK_DATABASE_URL "
            "(see .env.example; a password with @, : or % must be percent-encoded)."
        ) from None
    return conn


def _alive(conn: psycopg2.extensions.connection) -> bool:
    """Whether a kept connection still works (the server may have restarted since)."""
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except psycopg2.Error:
        return False


def _give_back(url: str, conn: psycopg2.extensions.connection) -> None:
    with _idle_lock:
        kept = _idle.setdefault(url, [])
        healthy = not conn.closed and conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        if healthy and len(kept) < IDLE_KEPT:
            kept.append(conn)
            return
    conn.close()


def close_idle(url: str | None = None) -> None:
    """Close the connections this process keeps idle (for `url`, or all): before a fork, or when done with it."""
    with _idle_lock:
        urls = [url] if url else list(_idle)
        dropped = [conn for u in urls for conn in _idle.pop(u, [])]
    for conn in dropped:
        conn.close()
