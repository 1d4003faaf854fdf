"""What every call gets from its unit of work, seen from a client: the server's clock (a
test sets it), one access policy, audit events with old and new values, and database
refusals as the project's own errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import grpc
import pytest
from conftest import PRINCIPALS, RunningServer
from google.protobuf import json_format
from support.orders import OrdersApi, make_invoice, make_order, pdate
from support.rpc import expect_failure, make_account, money

from wholesale.server.app import create_server
from wholesale.server.config import ServerConfig
from wholesale.server.domain.clock import FixedClock
from wholesale.server.services import unit_of_work
from wholesale.server.store import database, tokens
from wholesale.v1 import account_pb2, audit_service_pb2, order_pb2, order_service_pb2

START = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
ACCOUNT_METHOD = "/wholesale.v1.AccountService/{}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def api(database_url: str, clock: FixedClock) -> Iterator[OrdersApi]:
    """A server whose every call reads ``clock``; tokens issued at the clock's time."""
    server, port = create_server(
        ServerConfig(listen="127.0.0.1:0", database_url=database_url), clock
    )
    server.start()
    running = RunningServer(f"127.0.0.1:{port}", port, database_url, server=server)
    running.tokens = {
        who: tokens.issue_token(role=role, subject=subject, clock=clock)
        for who, (role, subject) in PRINCIPALS.items()
    }
    with running.channel() as channel:
        api = OrdersApi(channel, running.tokens)
        api.seed_catalog()
        yield api
    server.stop(0)
    database.close_database()


def changes_of(event: audit_service_pb2.AuditEvent) -> dict[str, tuple[object, object]]:
    return {
        c.field: (json_format.MessageToDict(c.old_value), json_format.MessageToDict(c.new_value))
        for c in event.changes
    }


def event_seconds(event: audit_service_pb2.AuditEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


def test_audit_events_keep_old_and_new_values(api: OrdersApi, clock: FixedClock) -> None:
    created = api.create(manager="alice", credit_limit=money("5000"))
    clock.advance(60)
    api.update(
        account_pb2.Account(
            id=created.id,
            credit_limit=money("25000.5"),
            status=account_pb2.ACCOUNT_STATUS_ON_HOLD,
            tags=["deli"],
        ),
        ["credit_limit", "status", "tags"],
    )
    api.delete(api.get(created.id).id, who="alice")

    closed, update, create = api.audit_events(filter=f'resource = "accounts/{created.id}"')

    assert changes_of(update) == {
        "status": ("active", "on_hold"),
        "tags": (["independent", "organic"], ["deli"]),
        "credit_limit": (
            {"amount": "5000.00", "currency_code": "EUR"},
            {"amount": "25000.50", "currency_code": "EUR"},
        ),
    }
    assert sorted(update.changed_fields) == ["credit_limit", "status", "tags"]
    assert update.action == "UpdateAccount"
    created_values = changes_of(create)
    assert created_values["legal_name"] == (None, "Corner Shop GmbH")
    assert created_values["manager"] == (None, "alice")
    assert all(old is None for old, _ in created_values.values())
    assert changes_of(closed)["status"] == ("on_hold", "closed")
    assert changes_of(closed)["delete_time"] == (None, "2026-03-01T10:01:00Z")
    clock.advance(0.25)
    api.undelete(created.id)
    reopened = api.audit_events(filter='action = "UndeleteAccount"')[0]
    assert changes_of(reopened)["delete_time"] == ("2026-03-01T10:01:00Z", None)


def test_product_changes_are_recorded_with_values(api: OrdersApi) -> None:
    from wholesale.v1 import catalog_service_pb2, product_pb2

    request = catalog_service_pb2.UpdateProductRequest(
        product=product_pb2.Product(sku="APL-JUICE-1L", list_price=money("1.25"))
    )
    request.update_mask.paths.append("list_price")
    api.catalog.UpdateProduct(request, metadata=api.md("admin"))

    [event] = api.audit_events(filter='action = "UpdateProduct"')

    assert changes_of(event) == {
        "list_price": (
            {"amount": "1.20", "currency_code": "EUR"},
            {"amount": "1.25", "currency_code": "EUR"},
        )
    }


def test_every_event_carries_the_clock_time_and_filters_by_time_and_action(
    api: OrdersApi, clock: FixedClock
) -> None:
    created = api.create()
    clock.set(dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC))
    api.update(account_pb2.Account(id=created.id, region="South"), ["region"])
    clock.advance(3600)
    api.delete(created.id)

    events = api.audit_events(filter=f'resource = "accounts/{created.id}"')
    assert [event_seconds(e) for e in events] == [
        dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC).timestamp(),
        dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC).timestamp(),
        START.timestamp(),
    ]

    def actions(filter_text: str) -> list[str]:
        return [
            e.action
            for e in api.audit_events(
                filter=f'{filter_text} AND resource = "accounts/{created.id}"'
            )
        ]

    assert actions('event_time >= "2026-03-02"') == ["DeleteAccount", "UpdateAccount"]
    assert actions('event_time < "2026-03-02T09:00:00+01:00"') == ["CreateAccount"]
    assert actions('event_time > "2026-03-02T08:30:00Z"') == ["DeleteAccount"]
    assert actions('event_time <= "2026-03-02T08:30:00Z"') == ["UpdateAccount", "CreateAccount"]
    assert actions('action = "UpdateAccount"') == ["UpdateAccount"]
    assert actions('actor = "root" AND role = "admin"') == [
        "DeleteAccount",
        "UpdateAccount",
        "CreateAccount",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        'event_time >= "yesterday"',
        'event_time >= "2026-03-02T08:30:00"',
        'event_time = "2026-03-02"',
    ],
)
def test_a_bad_time_filter_says_what_to_write(api: OrdersApi, bad: str) -> None:
    failure = expect_failure(
        api.audit.ListAuditEvents,
        audit_service_pb2.ListAuditEventsRequest(filter=bad),
        metadata=api.md("admin"),
        code=grpc.StatusCode.INVALID_ARGUMENT,
        fields=["filter"],
    )
    assert "event_time" in " ".join(d for _, d in failure.violations)


def test_summary_and_credit_default_to_the_clock_today(api: OrdersApi, clock: FixedClock) -> None:
    account = api.create(external_id="ACC-1")
    for number, day in enumerate(("2026-02-27", "2026-03-04")):
        api.record_order(make_order(f"SO-{number}", account_id=account.id, order_date=day))
    api.record_invoice(make_invoice("INV-1", account_id=account.id, due_date="2026-03-03"))

    def orders_in_last_30_days() -> int:
        return next(w.order_count for w in api.summary(account.id).windows)

    assert api.summary(account.id).as_of_date == pdate(START.date())
    assert orders_in_last_30_days() == 1
    assert api.check_credit(account.id, "1.00").overdue_invoice_count == 0

    clock.set(dt.datetime(2026, 3, 20, tzinfo=dt.UTC))  # 17 days overdue, grace 7
    assert api.summary(account.id).as_of_date == pdate("2026-03-20")
    assert orders_in_last_30_days() == 2
    assert api.check_credit(account.id, "1.00").overdue_invoice_count == 1


def test_a_manager_is_not_told_whose_account_holds_an_erp_id(api: OrdersApi) -> None:
    bobs = api.create(external_id="ERP-7", manager="bob")
    request = account_service_request(external_id="ERP-7")

    hidden = expect_failure(
        api.accounts.CreateAccount,
        request,
        metadata=api.md("alice"),
        code=grpc.StatusCode.ALREADY_EXISTS,
        reason="EXTERNAL_ID_TAKEN",
    )
    shown = expect_failure(
        api.accounts.CreateAccount,
        request,
        metadata=api.md("admin"),
        code=grpc.StatusCode.ALREADY_EXISTS,
        reason="EXTERNAL_ID_TAKEN",
    )

    assert bobs.id not in hidden.message and "account_id" not in hidden.error_metadata
    assert bobs.id in shown.message and shown.error_metadata["account_id"] == bobs.id


def account_service_request(**overrides: object):
    from wholesale.v1 import account_service_pb2

    return account_service_pb2.CreateAccountRequest(account=make_account(**overrides))


def test_nul_in_an_erp_id_rejects_only_that_order(api: OrdersApi) -> None:
    account = api.create(external_id="ACC-1")
    orders = [
        make_order("SO-GOOD", account_id=account.id),
        make_order("SO-\x00", account_id=account.id),
        make_order("SO-BAD-ACCOUNT", account_external_id="ACC-\x00"),
        make_order("SO-GOOD-2", account_id=account.id),
    ]
    orders[3].lines[0].sku = "APL\x00JUICE"

    response = api.import_orders(orders)

    assert [r.outcome for r in response.results] == [
        order_pb2.RECORD_OUTCOME_CREATED,
        order_pb2.RECORD_OUTCOME_REJECTED,
        order_pb2.RECORD_OUTCOME_REJECTED,
        order_pb2.RECORD_OUTCOME_REJECTED,
    ]
    fields = [[v.field for v in r.violations] for r in response.results[1:]]
    assert fields == [["external_id"], ["account_external_id"], ["lines[0].sku"]]
    assert set(api.orders_by_external_id()) == {"SO-GOOD"}


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("GetAccount", "account"),
        ("GetOrder", "order"),
        ("GetProduct", "product"),
    ],
)
def test_nul_in_a_lookup_key_is_not_found_on_both_databases(
    api: OrdersApi, method: str, request_: str
) -> None:
    from wholesale.v1 import account_service_pb2, catalog_service_pb2

    stub, message = {
        "account": (api.accounts, account_service_pb2.GetAccountRequest(external_id="A\x00")),
        "order": (api.orders, order_service_pb2.GetOrderRequest(external_id="S\x00")),
        "product": (api.catalog, catalog_service_pb2.GetProductRequest(external_id="P\x00")),
    }[request_]
    expect_failure(
        getattr(stub, method), message, metadata=api.md("admin"), code=grpc.StatusCode.NOT_FOUND
    )


def test_no_token_can_carry_the_system_role(api: OrdersApi) -> None:
    with (
        pytest.raises(ValueError, match="system"),
        unit_of_work.for_system("test", FixedClock(START)),
    ):
        tokens.issue_token(role="system", subject="sneaky")
