"""The one place that opens the databases of the off-chain parts: the bridge processes' store
(``bridge.store``) and the book-entry register (``ledger.register``). SQLite by default,
PostgreSQL by URL (``postgresql+psycopg://...``); any other backend is refused.

Writes run in write transactions on ``engine``; reads in read-only ones on ``reader``. On
SQLite that difference matters: a write begins IMMEDIATE, so two processes on one file
serialise their writes instead of failing on a lock upgrade, and a read begins DEFERRED, so in
WAL mode it reads a snapshot without taking the write lock. On PostgreSQL both are ordinary
transactions, and the pool checks a connection before handing it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from securities_rails.errors import UserError

SUPPORTED = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "securities_rails_read_only"  # execution option of the reads' transactions


@dataclass(frozen=True)
class Database:
    """An opened database: ``url`` (password hidden), its ``dialect``, the ``engine`` writes
    use and the ``reader`` reads use."""

    url: str
    dialect: str
    engine: Engine
    reader: Engine


def open_database(url: str) -> Database:
    """Open ``url`` (UserError on ``db`` when it is not a URL or not SQLite or PostgreSQL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError("db", f"{url!r} is not a database URL") from None
    dialect = parsed.get_backend_name()
    if dialect not in SUPPORTED:
        raise UserError("db", f"{dialect} is not supported: use sqlite or postgresql")
    if dialect == "sqlite":
        engine = create_engine(parsed)
        _sqlite_immediate_transactions(engine)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    reader = engine.execution_options(**{READ_ONLY: True})
    return Database(parsed.render_as_string(hide_password=True), dialect, engine, reader)


def _sqlite_immediate_transactions(engine: Engine) -> None:
    """SQLite: WAL, a busy timeout, foreign keys, BEGIN IMMEDIATE for writes and a deferred
    BEGIN for read-only transactions (the ``READ_ONLY`` execution option)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own BEGIN handling is off
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
