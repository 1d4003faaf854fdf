"""Opening the one database a server process uses, from a URL.

``sqlite:///path`` gives an embedded file (WAL so readers never wait for the writer,
foreign keys on, a busy timeout so concurrent writers queue instead of failing);
``postgresql://...`` gives the shared backend for several server processes. Both are
pooled, so each RPC borrows a connection and gives it back.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlparse

import peewee
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

# Every model binds to this proxy; open_database() points it at the real database.
db_proxy = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
}


class DatabaseUrlError(ValueError):
    """The URL names no backend we support, or lacks a part it needs."""


def _sqlite(path: str, max_connections: int) -> peewee.Database:
    if not path:
        raise DatabaseUrlError("sqlite URL needs a file path: sqlite:///wholesale.db")
    return PooledSqliteDatabase(
        path,
        pragmas=SQLITE_PRAGMAS,
        max_connections=max_connections,
        stale_timeout=300,
        check_same_thread=False,
    )


class _PooledPostgres(PooledPostgresqlDatabase):
    """PostgreSQL's pool, checking a connection at checkout by what the driver knows
    locally. peewee's own check sends ``SELECT 1`` every time, a round trip per call that
    cost as much as the keyed read the call came for. A connection the server dropped
    while it sat in the pool fails its next statement instead: that call answers
    UNAVAILABLE (clients retry it) and the idle connections go with it (see
    :func:`discard_idle_connections`), as they most likely died together."""

    def _is_closed(self, conn) -> bool:
        return bool(conn.closed) or self._adapter.txn_status(conn) == self._adapter.txn_unknown


def _postgres(url: str, max_connections: int) -> peewee.Database:
    parts = urlparse(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise DatabaseUrlError("postgresql URL needs a database name: postgresql://host/db")
    options = dict(parse_qsl(parts.query))
    return _PooledPostgres(
        name,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=parts.port,
        max_connections=max_connections,
        stale_timeout=300,
        **options,
    )


def sqlite_path(url: str) -> str | None:
    """The file an sqlite:/// URL names, or None for another backend."""
    if not url.lower().startswith("sqlite:"):
        return None
    path = url[len("sqlite:") :].removeprefix("//")
    return path[1:] if path.startswith("/") else path


def make_database(url: str, max_connections: int = 32) -> peewee.Database:
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        return _sqlite(sqlite_path(url) or "", max_connections)
    if scheme in ("postgres", "postgresql"):
        return _postgres(url, max_connections)
    raise DatabaseUrlError(
        f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def open_database(url: str, max_connections: int = 32) -> peewee.Database:
    """Points every model at the database behind ``url`` and returns it."""
    close_database()
    database = make_database(url, max_connections)
    db_proxy.initialize(database)
    return database


def close_database() -> None:
    """Closes every pooled connection, so the file or schema can be dropped or reopened."""
    database = db_proxy.obj
    if database is not None:
        database.close_all()


def discard_idle_connections() -> None:
    """Closes the pool's idle connections after one of them was found lost (the database
    restarted, or an operator ended its sessions), so the next calls connect afresh."""
    pool = db_proxy.obj
    if isinstance(pool, _PooledPostgres):
        pool.close_idle()


def pool_use() -> tuple[int, int]:
    """(connections in use, most the pool may open) of the open database."""
    pool = db_proxy.obj
    if pool is None:
        return 0, 0
    return len(getattr(pool, "_in_use", ())), getattr(pool, "_max_connections", 0) or 0


def is_postgres() -> bool:
    return isinstance(db_proxy.obj, peewee.PostgresqlDatabase)


def redacted(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
