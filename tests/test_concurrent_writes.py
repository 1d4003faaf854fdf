"""Many clients writing and reading at once lose and double nothing: on SQLite with one
server, and on PostgreSQL with two server processes sharing the database.

Every client retries what the API says is worth retrying (ABORTED, UNAVAILABLE) with the
same request id, as the client library does; at the end each write is there exactly once.
"""

from __future__ import annotations

import random
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import reset_postgres
from grpc_health.v1 import health_pb2_grpc
from support.orders import OrdersApi, make_line, make_order
from support.rpc import make_account
from test_shutdown import clean_environment, free_port, server_command, wait_until_serving

from wholesale.server.store import database, migrations, tokens
from wholesale.v1 import account_pb2, account_service_pb2

CLIENTS = 8
ORDERS = 120
INCREMENTS_PER_CLIENT = 6
RETRIED = (grpc.StatusCode.ABORTED, grpc.StatusCode.UNAVAILABLE)


def retried(call: Callable[[], Any], attempts: int = 50) -> Any:
    for _ in range(attempts - 1):
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() not in RETRIED:
                raise
    return call()


@dataclass
class Tally:
    """What the clients saw succeed, to compare with what the database holds."""

    increments: int = 0
    batch_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def the_orders(account_ids: list[str]) -> list:
    rng = random.Random(5)
    return [
        make_order(
            f"SO-{n:04d}",
            account_id=rng.choice(account_ids),
            lines=[make_line("APL-JUICE-1L", n % 7 + 1, "1.20"), make_line("COLA-033", 2, "0.60")],
        )
        for n in range(ORDERS)
    ]


def client_work(api: OrdersApi, number: int, counter_id: str, orders: list, tally: Tally) -> None:
    rng = random.Random(number)
    # Its own accounts, sent twice under one request id (a retry after a lost answer).
    mine = [
        make_account(external_id=f"C{number}-{i}", legal_name=f"Client {number} {i}")
        for i in range(5)
    ]
    for _ in range(2):
        request = account_service_pb2.BatchUpsertAccountsRequest(
            accounts=mine, request_id=f"batch-{number}"
        )
        retried(
            lambda r=request: api.accounts.BatchUpsertAccounts(r, metadata=api.md("integration"))
        )
    with tally.lock:
        tally.batch_calls += 1
    # Every client imports every order, in batches of its own making: overlapping ERP ids.
    shuffled = orders[:]
    rng.shuffle(shuffled)
    for start in range(0, len(shuffled), 25):
        retried(lambda b=shuffled[start : start + 25]: api.import_orders(b))
    # Read-modify-write with etags on one shared account: no increment may be lost.
    for _ in range(INCREMENTS_PER_CLIENT):
        while True:
            current = api.get(counter_id)
            try:
                api.update(
                    account_pb2.Account(
                        id=counter_id,
                        etag=current.etag,
                        payment_terms_days=current.payment_terms_days + 1,
                    ),
                    ["payment_terms_days"],
                )
                break
            except grpc.RpcError as error:
                if error.code() not in RETRIED:
                    raise
        with tally.lock:
            tally.increments += 1
        api.list_all(page_size=50)


def run_clients(apis: list[OrdersApi]) -> None:
    setup = apis[0]
    setup.seed_catalog()
    buyers = [setup.create(external_id=f"BUY-{i}", legal_name=f"Buyer {i}").id for i in range(4)]
    counter = setup.create(external_id="COUNTER", payment_terms_days=0)
    orders = the_orders(buyers)
    tally = Tally()

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(client_work, apis[n % len(apis)], n, counter.id, orders, tally)
            for n in range(CLIENTS)
        ]
        for future in futures:
            future.result()

    assert setup.get(counter.id).payment_terms_days == tally.increments
    assert tally.increments == CLIENTS * INCREMENTS_PER_CLIENT
    stored = setup.orders_by_external_id()
    assert sorted(stored) == sorted(o.external_id for o in orders)
    for order in orders:
        assert [(line.sku, line.quantity) for line in stored[order.external_id].lines] == [
            (line.sku, line.quantity) for line in order.lines
        ]
    accounts = {a.external_id for a in setup.list_all(page_size=500)}
    expected = {f"C{n}-{i}" for n in range(CLIENTS) for i in range(5)}
    assert expected <= accounts
    assert len(accounts) == len(expected) + len(buyers) + 1  # nothing created twice
    created = setup.audit_events(filter='action = "BatchUpsertAccounts"')
    assert len(created) == CLIENTS * 5  # each batch applied once, its repeat replayed


def test_concurrent_clients_on_sqlite_lose_and_double_nothing(tmp_path: Path) -> None:
    from conftest import start_server

    from wholesale.server.config import ServerConfig

    running = start_server(
        ServerConfig(listen="127.0.0.1:0", database_url=f"sqlite:///{tmp_path / 'w.db'}")
    )
    try:
        channels = [running.channel() for _ in range(3)]
        run_clients([OrdersApi(ch, running.tokens) for ch in channels])
        for channel in channels:
            channel.close()
    finally:
        running.server.stop(0)
        database.close_database()


@pytest.fixture
def two_servers(postgres_scratch_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two server processes on one PostgreSQL database; yields their addresses."""
    reset_postgres(postgres_scratch_url)
    processes = []
    try:
        for name in ("a", "b"):
            listen = f"127.0.0.1:{free_port()}"
            log = tmp_path / f"{name}.log"
            with log.open("w") as log_file:
                process = subprocess.Popen(
                    [
                        *server_command(),
                        "serve",
                        "--listen",
                        listen,
                        "--database",
                        postgres_scratch_url,
                    ],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env=clean_environment(),
                    cwd=tmp_path,
                )
            processes.append((process, listen, log))
            with grpc.insecure_channel(listen) as channel:
                wait_until_serving(process, health_pb2_grpc.HealthStub(channel), log)
        yield [listen for _, listen, _ in processes]
    finally:
        for process, _, _ in processes:
            process.terminate()
            process.wait(30)


def test_concurrent_clients_on_two_postgres_servers_lose_and_double_nothing(
    two_servers: list[str], postgres_scratch_url: str
) -> None:
    db = database.open_database(postgres_scratch_url)
    migrations.ensure_schema(db)
    with db.connection_context():
        issued = {
            "admin": tokens.issue_token(role="admin", subject="root"),
            "integration": tokens.issue_token(role="integration", subject="erp"),
        }
    database.close_database()
    channels = [grpc.insecure_channel(address) for address in two_servers]
    try:
        run_clients([OrdersApi(ch, issued) for ch in channels])
    finally:
        for channel in channels:
            channel.close()
