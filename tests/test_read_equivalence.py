"""The account reads on fixed SQL return exactly what the previous implementation (peewee's
query builder and model objects, kept in support/previous_account_reads.py) returned:
GetAccount by id and by ERP id, and ListAccounts over filters, orders, deleted accounts and
pages, for an admin and for a manager, over the demo accounts plus accounts at the edges
(closed, no ERP id, no contacts or addresses, wildcard characters in names). The responses
are compared as serialized bytes. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from conftest import RunningServer, start_server
from support import previous_account_reads as previous

from wholesale.server.config import ServerConfig
from wholesale.server.demo import seed_demo
from wholesale.server.domain.access import account_scope
from wholesale.server.domain.principal import Principal, Role
from wholesale.server.services.accounts import AccountQuery, _conditions, _parse_order_by
from wholesale.server.store import database, migrations
from wholesale.v1 import account_pb2, account_service_pb2_grpc
from wholesale.v1 import account_service_pb2 as pb

DEMO_ACCOUNTS = 40
EDGE_ACCOUNTS = [
    account_pb2.Account(legal_name="No ERP Id Ltd", currency_code="EUR"),
    account_pb2.Account(
        legal_name="100% Natural_Foods GmbH",
        display_name="100% Natural_Foods",
        currency_code="EUR",
        external_id="EDGE-2",
        price_tier="gold",
        tags=["organic", "deli"],
        manager="alice",
        shipping_address=account_pb2.Address(
            lines=["Lager 4"], administrative_area="Bayern", locality="Hof", country_code="DE"
        ),
    ),
    account_pb2.Account(
        legal_name="Épicerie Ünïcødé SARL",
        currency_code="JPY",
        external_id="EDGE-3",
        manager="alice",
        contacts=[
            account_pb2.Contact(
                name="Zoë", email="zoe@example.fr", role=account_pb2.CONTACT_ROLE_OWNER
            )
        ],
    ),
]
FILTERS = [
    "",
    "status = ACTIVE",
    "status != ACTIVE",
    'price_tier = "gold"',
    'price_tier != ""',
    'tags : "organic"',
    'manager = "alice"',
    'manager != "bob"',
    'region = "North"',
    'external_id = ""',
    'external_id != "EDGE-2"',
    'name : "mar"',
    'name : "%"',
    'name : "_"',
    'name : "ünï"',
    'status = ACTIVE AND tags : "organic" AND manager != "carol"',
]
ORDERS = ["", "display_name", "display_name desc", "create_time desc"]


@pytest.fixture
def demo_server(database_url: str) -> Iterator[RunningServer]:
    db = database.open_database(database_url)
    migrations.ensure_schema(db)
    with db.connection_context():
        seed_demo(DEMO_ACCOUNTS, 5, years=0)
    running = start_server(ServerConfig(listen="127.0.0.1:0", database_url=database_url))
    with running.channel() as channel:
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        admin = running.metadata("admin")
        for account in EDGE_ACCOUNTS:
            stub.CreateAccount(pb.CreateAccountRequest(account=account), metadata=admin)
        for closed in ("3", str(DEMO_ACCOUNTS + 2)):
            etag = stub.GetAccount(pb.GetAccountRequest(id=closed), metadata=admin).account.etag
            stub.DeleteAccount(pb.DeleteAccountRequest(id=closed, etag=etag), metadata=admin)
    yield running
    running.server.stop(0)
    database.close_database()


PRINCIPALS = {"admin": Principal("root", Role.ADMIN), "alice": Principal("alice", Role.MANAGER)}


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_get_account_answers_as_before(demo_server: RunningServer, who: str) -> None:
    scope = account_scope(PRINCIPALS[who])
    metadata = demo_server.metadata(who)
    compared = 0
    with demo_server.channel() as channel:
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        for account_id in range(1, DEMO_ACCOUNTS + len(EDGE_ACCOUNTS) + 3):
            expected = previous.get_account(account_id, scope)
            try:
                got = stub.GetAccount(pb.GetAccountRequest(id=str(account_id)), metadata=metadata)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND
                assert expected is None, f"account {account_id} is visible to {who}"
                continue
            assert expected is not None, f"account {account_id} is not visible to {who}"
            want = pb.GetAccountResponse(account=previous.account_to_proto(expected))
            assert got.SerializeToString() == want.SerializeToString()
            if expected.fields.external_id:
                by_erp_id = stub.GetAccount(
                    pb.GetAccountRequest(external_id=expected.fields.external_id),
                    metadata=metadata,
                )
                assert by_erp_id.SerializeToString() == want.SerializeToString()
            compared += 1
    assert compared >= (DEMO_ACCOUNTS // 5 if who == "alice" else DEMO_ACCOUNTS)


def _previous_pages(
    who: str, query: AccountQuery, page_size: int
) -> Iterator[tuple[list[bytes], bool]]:
    """The pages the previous implementation gave: serialized accounts, more to come."""
    scope = account_scope(PRINCIPALS[who])
    order_field, descending = _parse_order_by(query.order_by)
    conditions = _conditions(query)
    after = None
    while True:
        rows = previous.list_accounts(
            scope, conditions, query.show_deleted, order_field, descending, after, page_size + 1
        )
        page = rows[:page_size]
        yield (
            [previous.account_to_proto(a).SerializeToString() for a in page],
            len(rows) > page_size,
        )
        if len(rows) <= page_size:
            return
        last = page[-1]
        key = last.fields.display_name.casefold() if order_field == "display_name" else None
        after = [key if key is not None else last.create_time_us, last.id]


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_list_accounts_answers_as_before(demo_server: RunningServer, who: str) -> None:
    metadata = demo_server.metadata(who)
    pages_compared = 0
    with demo_server.channel() as channel:
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        for text in FILTERS:
            for order_by in ORDERS:
                for show_deleted, page_size in ((False, 7), (True, 50)):
                    query = AccountQuery(text, order_by, show_deleted, page_size)
                    token = ""
                    for expected, more in _previous_pages(who, query, page_size):
                        got = stub.ListAccounts(
                            pb.ListAccountsRequest(
                                filter=text,
                                order_by=order_by,
                                show_deleted=show_deleted,
                                page_size=page_size,
                                page_token=token,
                            ),
                            metadata=metadata,
                        )
                        where = f"{text!r} {order_by!r} deleted={show_deleted} page {token!r}"
                        assert [a.SerializeToString() for a in got.accounts] == expected, where
                        assert bool(got.next_page_token) == more, where
                        token = got.next_page_token
                        pages_compared += 1
    assert pages_compared > len(FILTERS) * len(ORDERS) * 2
