"""The database side of a unit of work: a pooled connection, transactions of two kinds,
and database errors turned into the project's own.

Services never see peewee: a unique-key clash a writer did not foresee becomes ABORTED
``CONCURRENT_CHANGE`` (two writers checked the same key at once; a retry sees the winner),
as does a deadlock or serialization failure PostgreSQL resolved by undoing this work,
a busy or unreachable database becomes UNAVAILABLE, a NUL character that validation did
not see becomes INVALID_ARGUMENT, whichever way the work entered the
server (RPC, scheduled job or operator command).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import peewee

from wholesale.server.errors import (
    FieldViolation,
    InvalidArgument,
    ServiceError,
    Unavailable,
    concurrent_change,
)
from wholesale.server.store.database import db_proxy, discard_idle_connections, is_postgres

log = logging.getLogger("wholesale.server.store")

_UNAVAILABLE_SIGNS = ("database is locked", "could not connect", "connection", "terminating")
_UNIQUE_SIGNS = ("unique constraint", "duplicate key")
_CONFLICT_SIGNS = ("deadlock detected", "could not serialize access")


def is_unique_clash(exc: Exception) -> bool:
    return isinstance(exc, peewee.IntegrityError) and any(
        sign in str(exc).lower() for sign in _UNIQUE_SIGNS
    )


@contextmanager
def translated_errors() -> Iterator[None]:
    """Database errors inside the block raised as :class:`ServiceError`; anything else
    (a bug) passes through unchanged."""
    try:
        yield
    except peewee.IntegrityError as exc:
        if not is_unique_clash(exc):
            raise
        log.warning("unique-key clash treated as a concurrent change: %s", exc)
        raise concurrent_change() from exc
    except peewee.OperationalError as exc:
        if any(sign in str(exc).lower() for sign in _CONFLICT_SIGNS):
            # PostgreSQL chose this transaction to undo so that another could go on:
            # nothing was written, and a retry succeeds.
            log.warning("transaction undone by the database as a conflict: %s", exc)
            raise concurrent_change() from exc
        if not any(sign in str(exc).lower() for sign in _UNAVAILABLE_SIGNS):
            raise
        log.warning("database unavailable: %s", exc)
        discard_idle_connections()
        raise Unavailable(
            "the database is busy or unreachable; retry", reason="DATABASE_UNAVAILABLE"
        ) from exc
    except ValueError as exc:
        # psycopg2 refuses a NUL before the statement reaches PostgreSQL. Validation
        # refuses NUL in every field it checks; this catches a lookup key it has not seen.
        if "NUL" not in str(exc):
            raise
        raise InvalidArgument(
            "text must not contain NUL characters",
            violations=[FieldViolation("request", "a text field holds a NUL character")],
        ) from exc


@contextmanager
def session() -> Iterator[None]:
    """A pooled connection held for the whole piece of work, given back at the end."""
    with translated_errors(), db_proxy.connection_context():
        yield


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction for read-then-write work: its writes commit together or not at all.

    On SQLite it takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction
    that reads and then writes can fail with "database is locked" instead of waiting its
    turn."""
    database = db_proxy.obj
    lock = {"lock_type": "IMMEDIATE"} if isinstance(database, peewee.SqliteDatabase) else {}
    with translated_errors(), database.atomic(**lock):
        yield


@contextmanager
def read_snapshot() -> Iterator[None]:
    """One snapshot for several queries, so figures computed apart agree even while an
    import is writing (REPEATABLE READ on PostgreSQL; an SQLite read transaction in WAL
    mode sees one snapshot already)."""
    database = db_proxy.obj
    with translated_errors(), database.atomic():
        if is_postgres():
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@contextmanager
def unique_key_guard(clash: Callable[[], ServiceError]) -> Iterator[None]:
    """Turns a unique-key violation inside the block into ``clash()``: two writers checked
    a key at once and the other one committed first. The savepoint keeps the transaction
    usable, so ``clash`` may query to say which key it was."""
    try:
        with db_proxy.atomic():
            yield
    except peewee.IntegrityError as exc:
        if not is_unique_clash(exc):
            raise
        raise clash() from exc
