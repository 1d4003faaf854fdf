"""Shared fixtures: a real server on port 0 over a real channel, on SQLite and PostgreSQL.

PostgreSQL tests run on the server behind ``WHOLESALE_TEST_POSTGRES_URL`` (default: the local
``test`` database), in a scratch database of their own that the session creates and drops, so
concurrent test runs never see each other. With ``CI`` set they fail loudly when PostgreSQL is
unreachable; elsewhere they are skipped with the reason shown in the summary (``-ra``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from wholesale.server.app import create_server
from wholesale.server.config import ServerConfig
from wholesale.server.store import database, tokens

POSTGRES_URL = os.environ.get(
    "WHOLESALE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

# The tokens every server fixture carries: role name -> (role, subject).
PRINCIPALS = {
    "admin": ("admin", "root"),
    "integration": ("integration", "erp"),
    "viewer": ("viewer", "auditor"),
    "alice": ("manager", "alice"),
    "bob": ("manager", "bob"),
}


def _postgres_unreachable_reason() -> str | None:
    import psycopg2

    try:
        psycopg2.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg2.Error as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}".strip()
    return None


def _execute(url: str, statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


@pytest.fixture(scope="session")
def postgres_scratch_url() -> Iterator[str]:
    """A database of this test session's own on the test PostgreSQL server."""
    reason = _postgres_unreachable_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)
    name = f"wholesale_test_{os.getpid()}"
    _execute(POSTGRES_URL, f"DROP DATABASE IF EXISTS {name}")
    _execute(POSTGRES_URL, f"CREATE DATABASE {name}")
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    database.close_database()
    _execute(POSTGRES_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def reset_postgres(url: str) -> None:
    """Empties the scratch database so each test starts from a blank schema."""
    _execute(url, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wholesale.db'}"
    url = request.getfixturevalue("postgres_scratch_url")
    reset_postgres(url)
    return url


@dataclass
class RunningServer:
    """A started in-process server and the tokens of the standard principals."""

    target: str
    port: int
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)
    server: object = None

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.target)

    def metadata(self, who: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.tokens[who]}"),)


def start_server(config: ServerConfig) -> RunningServer:
    server, port = create_server(config)
    server.start()
    running = RunningServer(
        target=f"127.0.0.1:{port}", port=port, database_url=config.database_url, server=server
    )
    running.tokens = {
        who: tokens.issue_token(role=role, subject=subject)
        for who, (role, subject) in PRINCIPALS.items()
    }
    return running


@pytest.fixture
def running_server(database_url: str) -> Iterator[RunningServer]:
    """A server on port 0 with a fresh database of each backend."""
    running = start_server(ServerConfig(listen="127.0.0.1:0", database_url=database_url))
    yield running
    running.server.stop(0)
    database.close_database()


@pytest.fixture
def channel(running_server: RunningServer) -> Iterator[grpc.Channel]:
    with running_server.channel() as ch:
        yield ch
