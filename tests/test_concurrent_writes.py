"""Many clients writing and reading at once lose and double nothing: on SQLite with one
server, and on PostgreSQL with two server processes sharing the database.

Every client retries what the API says is worth retrying (ABORTED, UNAVAILABLE) with the
same request id, as the client library does; at the end each write is there exactly once,
and the answers agree with it: a request id sent to every server at once names one account,
the CREATED outcomes of overlapping imports add up to the number of orders, and the etag
updates that lost a race were told so (with ABORTED) and retried. Clients that send
competing versions of the same orders leave each order as exactly one of the versions,
never a mixture of two sends' lines.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import grpc
import psycopg2
import pytest
from conftest import RunningServer, reset_postgres, start_server
from support.orders import SKUS, OrdersApi, make_line, make_order
from support.rpc import make_account, money_value
from support.server_process import ServerProcess

from wholesale.server.config import ServerConfig
from wholesale.server.store import database, migrations, tokens
from wholesale.v1 import account_pb2, account_service_pb2, order_pb2

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
    lost_races: int = 0
    batch_calls: int = 0
    # request id -> the account ids its simultaneous sends were answered with
    created: dict[str, set[str]] = field(default_factory=dict)
    # order outcomes over every import answer: "created", "updated", "rejected"
    imported: dict[str, int] = field(default_factory=dict)
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


def create_everywhere_at_once(apis: list[OrdersApi], number: int, tally: Tally) -> None:
    """One CreateAccount request id sent to every server at the same moment, as a client
    that timed out on one server retries on another while the first is still working."""
    request = account_service_pb2.CreateAccountRequest(
        account=make_account(legal_name=f"Created by {number}"), request_id=f"create-{number}"
    )
    with ThreadPoolExecutor(len(apis)) as pool:
        sends = [
            pool.submit(
                retried, partial(api.accounts.CreateAccount, request, metadata=api.md("admin"))
            )
            for api in apis
        ]
    with tally.lock:
        tally.created[request.request_id] = {send.result().account.id for send in sends}


def import_all(api: OrdersApi, rng: random.Random, orders: list, tally: Tally) -> None:
    """Every client imports every order, in batches of its own making: overlapping ERP ids."""
    shuffled = orders[:]
    rng.shuffle(shuffled)
    for start in range(0, len(shuffled), 25):
        answer = retried(partial(api.import_orders, shuffled[start : start + 25]))
        with tally.lock:
            for outcome in ("created", "updated", "rejected"):
                count = getattr(answer, f"{outcome}_count")
                tally.imported[outcome] = tally.imported.get(outcome, 0) + count


def client_work(
    apis: list[OrdersApi], number: int, counter_id: str, orders: list, tally: Tally
) -> None:
    api = apis[number % len(apis)]
    rng = random.Random(number)
    create_everywhere_at_once(apis, number, tally)
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
    import_all(api, rng, orders, tally)
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
                    tally.lost_races += 1
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
            pool.submit(client_work, apis, n, counter.id, orders, tally) for n in range(CLIENTS)
        ]
        for future in futures:
            future.result()

    assert setup.get(counter.id).payment_terms_days == tally.increments
    assert tally.increments == CLIENTS * INCREMENTS_PER_CLIENT
    assert tally.lost_races > 0, "no etag update raced another: the check proves nothing"
    stored = setup.orders_by_external_id()
    assert sorted(stored) == sorted(o.external_id for o in orders)
    for order in orders:
        assert [(line.sku, line.quantity) for line in stored[order.external_id].lines] == [
            (line.sku, line.quantity) for line in order.lines
        ]
    # Each order reported CREATED by exactly one import; the others found it unchanged.
    assert tally.imported == {"created": ORDERS, "updated": 0, "rejected": 0}
    listed = setup.list_all(page_size=500)
    accounts = {a.external_id for a in listed if a.external_id}
    expected = {f"C{n}-{i}" for n in range(CLIENTS) for i in range(5)}
    assert expected <= accounts
    assert len(accounts) == len(expected) + len(buyers) + 1
    # Each request id sent everywhere at once: one account, named in every answer.
    assert all(len(ids) == 1 for ids in tally.created.values()), tally.created
    by_request = sorted(account_id for ids in tally.created.values() for account_id in ids)
    assert sorted(a.id for a in listed if a.legal_name.startswith("Created by ")) == by_request
    assert len(listed) == len(accounts) + CLIENTS  # nothing created twice
    created = setup.audit_events(filter='action = "BatchUpsertAccounts"')
    assert len(created) == CLIENTS * 5  # each batch applied once, its repeat replayed


@contextmanager
def sqlite_apis(tmp_path: Path) -> Iterator[list[OrdersApi]]:
    """One in-process server on SQLite, reached over three channels."""
    running = start_server(
        ServerConfig(listen="127.0.0.1:0", database_url=f"sqlite:///{tmp_path / 'w.db'}")
    )
    channels = [running.channel() for _ in range(3)]
    try:
        yield [OrdersApi(ch, running.tokens) for ch in channels]
    finally:
        for channel in channels:
            channel.close()
        running.server.stop(0)
        database.close_database()


@pytest.fixture
def two_servers(postgres_scratch_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two server processes on one PostgreSQL database; yields their addresses."""
    reset_postgres(postgres_scratch_url)
    servers: list[ServerProcess] = []
    try:
        for name in ("a", "b"):
            servers.append(ServerProcess(tmp_path, postgres_scratch_url, name))
        yield [server.address for server in servers]
    finally:
        for server in servers:
            server.stop()


@contextmanager
def postgres_apis(addresses: list[str], database_url: str) -> Iterator[list[OrdersApi]]:
    """One channel to each server process, with tokens issued in their database."""
    db = database.open_database(database_url)
    migrations.ensure_schema(db)
    with db.connection_context():
        issued = {
            "admin": tokens.issue_token(role="admin", subject="root"),
            "integration": tokens.issue_token(role="integration", subject="erp"),
        }
    database.close_database()
    channels = [grpc.insecure_channel(address) for address in addresses]
    try:
        yield [OrdersApi(ch, issued) for ch in channels]
    finally:
        for channel in channels:
            channel.close()


@pytest.fixture(params=["sqlite", "postgres"])
def apis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[OrdersApi]]:
    """The APIs of one SQLite server, or of two server processes on one PostgreSQL."""
    if request.param == "sqlite":
        servers = sqlite_apis(tmp_path)
    else:
        url = request.getfixturevalue("postgres_scratch_url")
        servers = postgres_apis(request.getfixturevalue("two_servers"), url)
    with servers as opened:
        yield opened


def test_concurrent_clients_lose_and_double_nothing(apis: list[OrdersApi]) -> None:
    run_clients(apis)


CONTESTED_ORDERS = 30
VERSIONS = 6  # clients, each sending its own version of every contested order


def order_version(number: int, version: int, buyer_id: str) -> order_pb2.Order:
    """Client ``version``'s idea of contested order ``number``: its line count and
    quantities say which version it is, so a stored mixture of two versions shows."""
    lines = [
        make_line(SKUS[(number + line) % len(SKUS)], version * 10 + line + 1, "1.00")
        for line in range(version % 3 + 1)
    ]
    return make_order(f"CO-{number:03d}", account_id=buyer_id, lines=lines)


def send_versions(api: OrdersApi, version: int, buyer_id: str) -> list[int]:
    """Every contested order in this client's version, twice, in shuffled import batches
    and now and then one at a time with RecordOrder. (A batch never holds one order twice:
    the import rejects that as the sender's mistake.)"""
    rng = random.Random(version)
    outcomes = []
    for _ in range(2):
        orders = [order_version(n, version, buyer_id) for n in range(CONTESTED_ORDERS)]
        rng.shuffle(orders)
        outcomes.extend(send_in_batches(api, rng, orders))
    return outcomes


def send_in_batches(api: OrdersApi, rng: random.Random, orders: list[order_pb2.Order]) -> list[int]:
    """The outcome of every order sent."""
    outcomes = []
    for start in range(0, len(orders), 7):
        batch = orders[start : start + 7]
        if rng.random() < 0.3:
            outcomes.append(retried(partial(api.record_order, batch[0])).outcome)
            batch = batch[1:]
        answer = retried(partial(api.import_orders, batch))
        outcomes.extend(result.outcome for result in answer.results)
    return outcomes


def test_competing_versions_of_an_order_leave_exactly_one_of_them(
    apis: list[OrdersApi],
) -> None:
    setup = apis[0]
    setup.seed_catalog()
    buyer = setup.create(external_id="BUY-CONTESTED", legal_name="Contested Buyer")
    with ThreadPoolExecutor(VERSIONS) as pool:
        sends = [
            pool.submit(send_versions, apis[v % len(apis)], v, buyer.id) for v in range(VERSIONS)
        ]
        outcomes = Counter(outcome for send in sends for outcome in send.result())

    stored = setup.orders_by_external_id()
    assert len(stored) == CONTESTED_ORDERS
    for number in range(CONTESTED_ORDERS):
        versions = [_lines(order_version(number, v, buyer.id)) for v in range(VERSIONS)]
        assert _lines(stored[f"CO-{number:03d}"]) in versions, "lines of two sends mixed"
    assert outcomes[order_pb2.RECORD_OUTCOME_CREATED] == CONTESTED_ORDERS  # once each
    assert outcomes[order_pb2.RECORD_OUTCOME_REJECTED] == 0
    summary = setup.summary(buyer.id, as_of="2026-12-31")
    assert summary.lifetime_order_count == CONTESTED_ORDERS
    stored_spend = sum(line.quantity for o in stored.values() for line in o.lines)
    assert money_value(summary.lifetime_spend) == stored_spend  # unit price 1.00: no line twice


def _lines(order: order_pb2.Order) -> list[tuple[str, int]]:
    return [(line.sku, line.quantity) for line in order.lines]


def page_token_key_insert(database_url: str) -> tuple[psycopg2.extensions.connection, bool]:
    """An open transaction that creates the page-token key and has not committed yet, as
    another server process's first paged list does; and whether there was none before (a
    server that creates its key before serving leaves no race to provoke)."""
    conn = psycopg2.connect(database_url)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO server_secret (name, value) VALUES ('page_token_key', %s) "
            "ON CONFLICT DO NOTHING",
            (psycopg2.Binary(b"k" * 32),),
        )
        return conn, cur.rowcount == 1


def wait_for_lock_waiter(database_url: str) -> None:
    """Returns once some session of the database waits for a row lock."""
    with closing(psycopg2.connect(database_url)) as conn, conn.cursor() as cur:
        for _ in range(200):
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cur.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("the server never waited for the other process's page-token key")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_first_paged_list_survives_another_process_creating_the_page_token_key(
    running_server: RunningServer, channel: grpc.Channel
) -> None:
    """A list that created the key inside its REPEATABLE READ snapshot lost the insert race
    to the other process as a serialization failure (INTERNAL, later ABORTED). A server
    that has the key before it serves leaves the other process nothing to insert."""
    api = OrdersApi(channel, running_server.tokens)
    api.create(legal_name="First GmbH")
    api.create(legal_name="Second GmbH")
    other_process, racing = page_token_key_insert(running_server.database_url)
    try:
        request = account_service_pb2.ListAccountsRequest(page_size=1)
        listing = api.accounts.ListAccounts.future(request, metadata=api.md("admin"))
        if racing:
            wait_for_lock_waiter(running_server.database_url)
        other_process.commit()
        page = listing.result(timeout=30)
    finally:
        other_process.close()

    assert len(page.accounts) == 1
    assert page.next_page_token
