"""The client library's ERP-history methods against a real server (SQLite and PostgreSQL):
catalog, orders, bulk import with progress and retries, invoices and payments, account
summaries and credit checks, all with friendly Python values."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from conftest import RunningServer, start_server
from support.server_process import free_port

from wholesale.client import (
    Aborted,
    Client,
    ImportProgress,
    ImportReport,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    from_date,
    from_money,
)
from wholesale.client.orders import build_order
from wholesale.server.config import ServerConfig
from wholesale.v1 import order_pb2, order_service_pb2
from wholesale.v1.order_pb2 import Order, OrderLine

Connect = Callable[..., Client]
JAN = dt.date(2026, 1, 1)
PRODUCTS = [
    {"sku": "APPLE-1L", "name": "Apple juice 1 l", "category": "beverages/juice"},
    {"sku": "PEAR-1L", "name": "Pear juice 1 l", "category": "beverages/juice"},
    {"sku": "WATER-6", "name": "Still water 6x1.5 l", "category": "beverages/water"},
    {"sku": "OATS-1K", "name": "Rolled oats 1 kg", "category": "grocery", "active": False},
]


@pytest.fixture
def connect(running_server: RunningServer) -> Iterator[Connect]:
    clients: list[Client] = []

    def open_client(who: str = "admin", **kwargs) -> Client:
        clients.append(Client(running_server.target, running_server.tokens[who], **kwargs))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def admin(connect: Connect) -> Client:
    return connect("admin")


def product_rows(products: list[dict]) -> list[dict]:
    """Products as batch_upsert_products takes them, with a EUR list price as a string."""
    return [
        {**product, "selling_unit": "bottle", "list_price": "1.50", "currency_code": "EUR"}
        for product in products
    ]


@pytest.fixture
def catalog(admin: Client) -> list[str]:
    """Four products (one inactive), priced in EUR."""
    return [product.sku for product in admin.batch_upsert_products(product_rows(PRODUCTS)).products]


@pytest.fixture
def account_ids(admin: Client) -> dict[str, str]:
    """Two active EUR accounts, ERP-1 (alice's, limit 1000) and ERP-2; external id -> id."""
    rows = [
        {"external_id": f"ERP-{n}", "legal_name": f"Shop {n}", "currency_code": "EUR"}
        for n in (1, 2)
    ]
    stored = admin.batch_upsert_accounts(rows).accounts
    admin.update_account(stored[0].id, status="active", manager="alice", credit_limit="1000")
    admin.update_account(stored[1].id, status="active")
    return {account.external_id: account.id for account in stored}


def order_dict(number: int, account: str = "ERP-1", **fields) -> dict:
    """A valid import record (a dict, as import_orders takes them) of two lines."""
    return {
        "external_id": f"SO-{number}",
        "account_external_id": account,
        "order_date": JAN + dt.timedelta(days=number),
        "status": "fulfilled",
        "lines": [("APPLE-1L", 2, "1.25"), {"sku": "PEAR-1L", "quantity": 1, "unit_price": 3}],
        **fields,
    }


def test_products_round_trip_with_friendly_values(admin: Client, catalog: list[str]) -> None:
    created = admin.create_product(
        sku="CIDER-05",
        name="Cider 0.5 l",
        category="beverages/cider",
        selling_unit="bottle",
        pack_size=12,
        list_price=Decimal("2.40"),
        currency_code="EUR",
    )
    assert created.active and created.etag
    assert admin.get_product("CIDER-05") == created
    assert (from_money(created.list_price), created.list_price.currency_code) == (
        Decimal("2.4"),
        "EUR",
    )

    updated = admin.update_product(
        "CIDER-05", etag=created.etag, list_price="2.55", currency_code="EUR", active=False
    )
    assert (from_money(updated.list_price), updated.active, updated.pack_size) == (
        Decimal("2.55"),
        False,
        12,
    )
    with pytest.raises(Aborted):
        admin.update_product("CIDER-05", etag=created.etag, name="Stale")

    def skus(query: str) -> list[str]:
        return [product.sku for product in admin.list_products(filter=query, page_size=2)]

    assert skus('category : "beverages"') == ["APPLE-1L", "CIDER-05", "PEAR-1L", "WATER-6"]
    assert skus('category = "beverages/juice" AND name : "PEAR"') == ["PEAR-1L"]
    assert skus("active = false") == ["CIDER-05", "OATS-1K"]


def test_batch_upsert_products_counts_and_keeps_unchanged_etags(
    admin: Client, catalog: list[str]
) -> None:
    before = {product.sku: product.etag for product in admin.list_products()}
    rows = product_rows(PRODUCTS[:2])
    rows[1]["name"] = "Pear juice 1 litre"

    response = admin.batch_upsert_products(rows, request_id="catalog-sync-1")

    assert (response.unchanged_count, response.updated_count) == (1, 1)
    assert response.products[0].etag == before["APPLE-1L"]
    assert response.products[1].etag != before["PEAR-1L"]
    assert admin.batch_upsert_products(rows, request_id="catalog-sync-1") == response


def test_record_order_upserts_by_external_id(
    admin: Client, catalog: list[str], account_ids: dict[str, str]
) -> None:
    fields = order_dict(1)
    order, outcome = admin.record_order(**fields)
    assert outcome == "created"
    assert (order.account_id, from_date(order.order_date)) == (
        account_ids["ERP-1"],
        fields["order_date"],
    )
    assert [(line.sku, from_money(line.line_total)) for line in order.lines] == [
        ("APPLE-1L", Decimal("2.5")),
        ("PEAR-1L", Decimal("3")),
    ]
    assert (from_money(order.total), order.channel) == (Decimal("5.5"), order_pb2.ORDER_CHANNEL_ERP)

    again = admin.record_order(**fields)
    assert again == (order, "unchanged")
    changed, outcome = admin.record_order(**{**fields, "lines": [("WATER-6", 4, "0.99")]})
    assert outcome == "updated"
    assert (changed.id, from_money(changed.total)) == (order.id, Decimal("3.96"))
    assert admin.get_order(order.id) == changed


def test_record_order_names_the_bad_line_and_field(
    admin: Client, catalog: list[str], account_ids: dict[str, str]
) -> None:
    lines = [("APPLE-1L", 1, "1"), ("NOPE", 1, "1"), ("PEAR-1L", 0, "1")]
    with pytest.raises(InvalidArgument) as caught:
        admin.record_order(**order_dict(1, lines=lines))

    fields = [field for field, _ in caught.value.field_violations]
    assert "order.lines[1].sku" in fields and "order.lines[2].quantity" in fields
    assert "NOPE" in str(caught.value)
    with pytest.raises(ValueError):
        admin.record_order(**order_dict(1, status="shipped"))


def test_list_orders_filters_and_managers_see_their_accounts_only(
    connect: Connect, admin: Client, catalog: list[str], account_ids: dict[str, str]
) -> None:
    for number in range(1, 6):
        admin.record_order(**order_dict(number, "ERP-1" if number % 2 else "ERP-2"))
    admin.record_order(**order_dict(6, status="cancelled"))

    def external_ids(client: Client, query: str = "") -> list[str]:
        return [order.external_id for order in client.list_orders(filter=query, page_size=2)]

    assert external_ids(admin) == ["SO-6", "SO-5", "SO-4", "SO-3", "SO-2", "SO-1"]
    erp1 = f'account_id = "{account_ids["ERP-1"]}"'
    window = 'order_date >= "2026-01-04" AND order_date <= "2026-01-06"'
    assert external_ids(admin, f"{erp1} AND {window}") == ["SO-5", "SO-3"]
    assert external_ids(admin, f"{erp1} AND status != CANCELLED") == ["SO-5", "SO-3", "SO-1"]
    assert external_ids(connect("alice")) == ["SO-6", "SO-5", "SO-3", "SO-1"]
    assert external_ids(connect("bob")) == []
    with pytest.raises(NotFound):
        connect("bob").get_order(admin.record_order(**order_dict(1)).record.id)


def test_import_reports_bad_records_by_position_and_writes_the_good_ones(
    admin: Client, catalog: list[str], account_ids: dict[str, str]
) -> None:
    bad = {3: {"account_external_id": "ERP-404"}, 14: {"lines": [("NOPE", 1, "1")]}}
    pulled: list[int] = []

    def records() -> Iterator[dict | Order]:
        for number in range(25):
            pulled.append(number)
            record = order_dict(number, **bad.get(number, {}))
            if number == 7:  # a message without an order date
                record = build_order(record)
                record.ClearField("order_date")
            yield record

    progress: list[ImportProgress] = []

    def on_progress(update: ImportProgress) -> None:
        # Read lazily: at most the next batch is read while this one is on the server.
        assert len(pulled) <= update.orders_done + 10
        progress.append(update)

    report = admin.import_orders(
        records(), batch_size=10, first_position=100, on_progress=on_progress
    )

    assert [(p.orders_done, p.lines_done, len(p.batch)) for p in progress] == [
        (10, 20, 10),
        (20, 39, 10),
        (25, 49, 5),
    ]
    assert [p.rejected_done for p in progress] == [2, 3, 3]
    assert [r.position for r in progress[1].batch][:2] == [110, 111]
    rejected = {r.position: r for r in report.rejections}
    assert sorted(rejected) == [103, 107, 114]
    assert rejected[103].external_id == "SO-3" and "ERP-404" in rejected[103].message
    assert ("lines[0].sku" in dict(rejected[114].violations)) and not report.ok
    assert "order_date" in dict(rejected[107].violations)
    assert (report.created, report.rejected, report.orders, report.lines) == (22, 3, 25, 49)
    assert report.lines_written == 44
    assert len(list(admin.list_orders())) == 22

    rerun = admin.import_orders(order_dict(n, **bad.get(n, {})) for n in range(25))
    assert (rerun.unchanged, rerun.created, rerun.rejected) == (22, 1, 2)
    assert (rerun.lines_written, rerun.batches) == (2, 1)


def test_import_is_refused_to_managers_and_checks_its_batch_size(
    connect: Connect, catalog: list[str], account_ids: dict[str, str]
) -> None:
    with pytest.raises(PermissionDenied):
        connect("alice").import_orders([order_dict(1)])
    with pytest.raises(ValueError):
        connect("admin").import_orders([order_dict(1)], batch_size=2001)


def test_import_resends_a_batch_the_server_was_not_there_for(
    running_server: RunningServer, catalog: list[str], account_ids: dict[str, str]
) -> None:
    """gRPC's own retries are off, so only import_orders' resending can get the batch in."""
    port = free_port()
    late: list[RunningServer] = []
    config = ServerConfig(listen=f"127.0.0.1:{port}", database_url=running_server.database_url)
    starter = threading.Timer(1.0, lambda: late.append(start_server(config)))
    token = running_server.tokens["admin"]

    with Client(f"127.0.0.1:{port}", token, retries=False) as client:
        starter.start()
        try:
            report = client.import_orders(order_dict(n) for n in range(5))
        finally:
            starter.join()
            for server in late:
                server.server.stop(0)

    assert report.retries >= 1
    assert (report.created, report.batches) == (5, 1)


def test_concurrent_imports_of_the_same_orders_both_succeed(
    connect: Connect, catalog: list[str], account_ids: dict[str, str]
) -> None:
    """Two imports racing over the same orders, as a resent batch races its own first
    attempt: where one loses a unique-key race (ABORTED CONCURRENT_CHANGE, on PostgreSQL)
    it is resent, and the orders are written exactly once."""
    orders = [order_dict(n) for n in range(300)]
    clients = [connect("admin"), connect("admin")]
    start = threading.Barrier(len(clients))

    def run_import(client: Client) -> ImportReport:
        start.wait()
        return client.import_orders(orders, batch_size=50)

    with ThreadPoolExecutor(len(clients)) as pool:
        reports = list(pool.map(run_import, clients))

    for report in reports:
        assert (report.orders, report.rejected, report.updated) == (300, 0, 0)
        assert report.created + report.unchanged == 300
    assert sum(report.created for report in reports) == 300
    assert len(list(clients[0].list_orders(page_size=500))) == 300


def test_invoices_and_partial_payments(
    admin: Client, catalog: list[str], account_ids: dict[str, str]
) -> None:
    admin.record_order(**order_dict(1))
    invoice, outcome = admin.record_invoice(
        "INV-1",
        account_external_id="ERP-1",
        order_external_id="SO-1",
        amount=Decimal("100.00"),
        issue_date=JAN,
        due_date="2026-01-31",
    )
    assert (outcome, from_money(invoice.outstanding_amount)) == ("created", Decimal(100))
    assert invoice.account_id == account_ids["ERP-1"]

    first = admin.record_payment("PAY-1", invoice_external_id="INV-1", amount="40", paid_date=JAN)
    assert (first.outcome, from_money(first.invoice.outstanding_amount)) == ("created", 60)
    assert not first.invoice.HasField("paid_date")
    last = admin.record_payment(
        "PAY-2", invoice_external_id="INV-1", amount=60, paid_date=dt.date(2026, 2, 3)
    )
    assert from_date(last.invoice.paid_date) == dt.date(2026, 2, 3)
    assert from_money(last.invoice.paid_amount) == 100
    assert (
        admin.record_payment(
            "PAY-2", invoice_external_id="INV-1", amount=60, paid_date=dt.date(2026, 2, 3)
        ).outcome
        == "unchanged"
    )

    with pytest.raises(InvalidArgument) as caught:
        admin.record_payment("PAY-3", invoice_external_id="INV-1", amount="0.01", paid_date=JAN)
    assert [field for field, _ in caught.value.field_violations] == ["payment.amount"]


def test_account_summary_figures(
    admin: Client, catalog: list[str], account_ids: dict[str, str]
) -> None:
    """Orders on Jan 2, 4 and 11 (one cancelled on Jan 8) of 5.50 each; as of Jan 20."""
    for number in (1, 3, 10):
        admin.record_order(**order_dict(number))
    admin.record_order(**order_dict(7, status="cancelled"))
    admin.record_invoice(
        "INV-1", account_id=account_ids["ERP-1"], amount="30", issue_date=JAN, due_date=JAN
    )

    summary = admin.get_account_summary(account_ids["ERP-1"], as_of=dt.date(2026, 1, 20))

    assert from_date(summary.as_of_date) == dt.date(2026, 1, 20)
    assert [(w.days, w.order_count, from_money(w.spend)) for w in summary.windows] == [
        (30, 3, Decimal("16.5")),
        (90, 3, Decimal("16.5")),
        (365, 3, Decimal("16.5")),
    ]
    assert from_money(summary.average_order_value) == Decimal("5.5")
    assert (from_date(summary.first_order_date), from_date(summary.last_order_date)) == (
        dt.date(2026, 1, 2),
        dt.date(2026, 1, 11),
    )
    assert summary.median_days_between_orders == 4.5
    assert [(s.key, from_money(s.spend)) for s in summary.top_skus] == [
        ("PEAR-1L", Decimal(9)),
        ("APPLE-1L", Decimal("7.5")),
    ]
    assert [s.key for s in summary.top_categories] == ["beverages/juice"]
    assert from_money(summary.outstanding_balance) == from_money(summary.overdue_amount) == 30


@pytest.mark.parametrize(
    ("amount", "approved", "reason"),
    [
        ("599.99", True, order_service_pb2.CREDIT_DECISION_REASON_WITHIN_LIMIT),
        ("600", True, order_service_pb2.CREDIT_DECISION_REASON_WITHIN_LIMIT),
        (Decimal("600.01"), False, order_service_pb2.CREDIT_DECISION_REASON_OVER_LIMIT),
    ],
    ids=["below", "at", "above"],
)
def test_credit_check_against_the_limit(
    admin: Client,
    account_ids: dict[str, str],
    amount: str | Decimal,
    approved: bool,
    reason: int,
) -> None:
    """Limit 1000 with 400 outstanding: 600 is exactly at the limit."""
    account = account_ids["ERP-1"]
    admin.record_invoice(
        "INV-1", account_id=account, amount=400, issue_date=JAN, due_date="2026-02-01"
    )

    decision = admin.check_credit(account, amount, as_of=JAN)

    assert (decision.approved, decision.reason) == (approved, reason)
    assert from_money(decision.available_credit) == 600
    assert from_money(decision.requested_amount) == Decimal(amount)
    assert decision.explanation


def test_credit_check_refuses_overdue_past_the_grace(
    admin: Client, account_ids: dict[str, str]
) -> None:
    account = account_ids["ERP-1"]
    admin.record_invoice("INV-1", account_id=account, amount=10, issue_date=JAN, due_date=JAN)

    within_grace = admin.check_credit(account, "1", as_of=JAN + dt.timedelta(days=7))
    past_grace = admin.check_credit(account, "1", as_of=JAN + dt.timedelta(days=8))

    assert within_grace.approved
    assert not past_grace.approved
    assert past_grace.reason == order_service_pb2.CREDIT_DECISION_REASON_OVERDUE_INVOICES
    assert (past_grace.overdue_invoice_count, past_grace.oldest_overdue_days) == (1, 8)


def test_lines_may_be_messages_and_unknown_orders_raise_not_found(
    admin: Client, catalog: list[str], account_ids: dict[str, str]
) -> None:
    line = OrderLine(sku="WATER-6", quantity=3)
    line.unit_price.units = 2
    order, _ = admin.record_order(
        "SO-9", account_id=account_ids["ERP-2"], order_date="2026-03-01", lines=[line]
    )
    assert from_money(order.total) == 6 and order.currency_code == "EUR"
    with pytest.raises(NotFound) as caught:
        admin.get_order("999999")
    assert caught.value.reason == "ORDER_NOT_FOUND"
