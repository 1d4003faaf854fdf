"""PostgreSQL connections the server lost while they sat in the pool (the database
restarted, or an operator ended the sessions): the pool checks a connection at checkout
by what the driver knows locally, without a round trip, so the first call to meet a dead
one answers UNAVAILABLE (which clients retry) and takes the other idle ones with it; every
call after it connects afresh."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import grpc
import psycopg2
import pytest
from conftest import POSTGRES_URL, RunningServer, reset_postgres
from support.rpc import make_account

from wholesale.v1 import account_service_pb2, account_service_pb2_grpc

PARALLEL = 8


@pytest.fixture
def database_url(postgres_scratch_url: str) -> str:
    """PostgreSQL only: SQLite has no connections to lose."""
    reset_postgres(postgres_scratch_url)
    return postgres_scratch_url


def _end_server_sessions(database_url: str) -> int:
    """Terminates every session on the server's database; returns how many there were."""
    name = urlparse(database_url).path.lstrip("/")
    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        (ended,) = cursor.fetchone()
    conn.close()
    return ended


def test_calls_after_lost_connections_fail_at_most_once(
    running_server: RunningServer, channel: grpc.Channel
) -> None:
    stub = account_service_pb2_grpc.AccountServiceStub(channel)
    admin = running_server.metadata("admin")
    request = account_service_pb2.CreateAccountRequest(account=make_account(external_id="KEPT"))
    created = stub.CreateAccount(request, metadata=admin).account
    get = account_service_pb2.GetAccountRequest(id=created.id)
    # Several calls at once leave several connections idle in the pool.
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda _: stub.GetAccount(get, metadata=admin), range(4 * PARALLEL)))

    assert _end_server_sessions(running_server.database_url) >= 2

    failures = []
    for _ in range(3 * PARALLEL):
        try:
            assert stub.GetAccount(get, metadata=admin).account == created
        except grpc.RpcError as error:
            failures.append(error.code())
    assert failures in ([], [grpc.StatusCode.UNAVAILABLE])
