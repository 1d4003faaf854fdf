"""GetAccountSummary and CheckCredit over the demo data set, checked response by response
against figures this test computes itself from the stored rows, on SQLite and PostgreSQL.

The demo (``seed-demo`` with a fixed seed and end date) has every kind of history the
summary reads: cadences, cancelled and returned orders, invoices paid early, late, in parts
or not at all. The expected responses are built here with plain Python over the rows of
sales_order, order_line, product, invoice and payment, so the server's SQL is compared with
an independent reading of the rules, for every demo account and several as-of days (before
the first order, in the middle of the history, at its end and after it). Every field of a
summary is compared; a credit check is compared field by field but for the sentence that
explains it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from conftest import RunningServer, start_server
from google.type import money_pb2
from support.orders import FULFILLED, PLACED, pdate

from wholesale.server.config import ServerConfig
from wholesale.server.demo import seed_demo
from wholesale.server.store import database, migrations
from wholesale.server.store.sql import fetch_rows
from wholesale.v1 import account_pb2, order_service_pb2, order_service_pb2_grpc

ACCOUNTS = 24
SEED = 5
END = dt.date(2026, 3, 31)
EPOCH = dt.date(1970, 1, 1)
AS_OF = (
    END - dt.timedelta(days=800),
    END - dt.timedelta(days=400),
    END - dt.timedelta(days=45),
    END,
    END + dt.timedelta(days=60),
)
WINDOWS = (30, 90, 365)
TOP = 5
GRACE_DAYS = 7
MINOR_UNIT_MICROS = 10_000  # EUR, the demo's currency
CREDIT_AMOUNT = money_pb2.Money(currency_code="EUR", units=2500)
NOT_ACTIVE = (account_pb2.ACCOUNT_STATUS_ON_HOLD, account_pb2.ACCOUNT_STATUS_CLOSED)


# --- the rows, read straight from the tables -------------------------------------------------


@dataclass
class Invoice:
    amount: int
    issue_day: int
    due_day: int
    # (paid_day, payment id, amount), in the order the ERP's ledger settles them.
    payments: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass
class History:
    account: tuple  # id, external_id, display_name, status, credit_limit_micros, currency
    orders: list[tuple[int, int, int]] = field(default_factory=list)  # day, status, total
    lines: list[tuple[int, str, str, str, int, int]] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)


def load_histories() -> dict[int, History]:
    """Every account's rows; lines carry (day, sku, name, category, quantity, total) of
    counted orders only, as the status lives on the order."""
    histories = {
        row[0]: History(row)
        for row in fetch_rows(
            "SELECT id, external_id, display_name, status, credit_limit_micros, currency_code "
            "FROM account"
        )
    }
    statuses = {}
    for order_id, account_id, day, status, total in fetch_rows(
        "SELECT id, account_id, order_day, status, total_micros FROM sales_order"
    ):
        histories[account_id].orders.append((day, status, total))
        statuses[order_id] = status
    products = {
        row[0]: row[1:] for row in fetch_rows("SELECT id, sku, name, category FROM product")
    }
    for order_id, account_id, day, product_id, quantity, total in fetch_rows(
        "SELECT order_id, account_id, order_day, product_id, quantity, line_total_micros "
        "FROM order_line"
    ):
        if statuses[order_id] in (PLACED, FULFILLED):
            histories[account_id].lines.append((day, *products[product_id], quantity, total))
    invoices = {}
    for invoice_id, account_id, amount, issue, due in fetch_rows(
        "SELECT id, account_id, amount_micros, issue_day, due_day FROM invoice"
    ):
        invoices[invoice_id] = Invoice(amount, issue, due)
        histories[account_id].invoices.append(invoices[invoice_id])
    for payment_id, invoice_id, amount, day in fetch_rows(
        "SELECT id, invoice_id, amount_micros, paid_day FROM payment"
    ):
        invoices[invoice_id].payments.append((day, payment_id, amount))
    return histories


# --- the expected responses ------------------------------------------------------------------


def money(micros: int) -> money_pb2.Money:
    sign = -1 if micros < 0 else 1
    units, rest = divmod(abs(micros), 1_000_000)
    return money_pb2.Money(currency_code="EUR", units=sign * units, nanos=sign * rest * 1000)


def day_date(day: int | None):
    return pdate(EPOCH + dt.timedelta(days=day)) if day is not None else None


def half_up(micros: int) -> int:
    """Rounded half-up to the minor unit (micros are never negative here)."""
    return (micros + MINOR_UNIT_MICROS // 2) // MINOR_UNIT_MICROS * MINOR_UNIT_MICROS


def top_shares(rows: list[tuple[str, str, int, int]]) -> list[order_service_pb2.SpendShare]:
    """(key, name, spend, quantity) added up per key; by spend, ties by key's code points."""
    spend: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for key, name, amount, quantity in rows:
        spend[key, name][0] += amount
        spend[key, name][1] += quantity
    ranked = sorted(spend.items(), key=lambda item: (-item[1][0], item[0][0]))[:TOP]
    return [
        order_service_pb2.SpendShare(key=k, name=n, spend=money(s), quantity=q)
        for (k, n), (s, q) in ranked
    ]


def settled_day(invoice: Invoice, as_of: int) -> int | None:
    running = 0
    for day, _, amount in sorted(invoice.payments):
        if day > as_of:
            return None
        running += amount
        if running >= invoice.amount:
            return day
    return None


def open_invoices(history: History, as_of: int) -> list[tuple[int, int]]:
    """(unpaid amount, due day) of invoices issued by ``as_of`` and not paid in full then."""
    result = []
    for invoice in history.invoices:
        paid = sum(amount for day, _, amount in invoice.payments if day <= as_of)
        if invoice.issue_day <= as_of and invoice.amount > paid:
            result.append((invoice.amount - paid, invoice.due_day))
    return result


def expected_summary(history: History, as_of: int) -> order_service_pb2.AccountSummary:
    account_id, external_id, name = history.account[:3]
    counted = [(d, t) for d, s, t in history.orders if d <= as_of and s in (PLACED, FULFILLED)]
    spend = sum(t for _, t in counted)
    days = sorted({d for d, _ in counted})
    gaps = [b - a for a, b in itertools.pairwise(days)]
    year = [row for row in history.lines if as_of - 365 < row[0] <= as_of]
    unpaid = open_invoices(history, as_of)
    settled = [
        (day, invoice.due_day)
        for invoice in history.invoices
        if (day := settled_day(invoice, as_of)) is not None
    ]
    late = sum(max(0, day - due) for day, due in settled)
    return order_service_pb2.AccountSummary(
        account_id=str(account_id),
        account_external_id=external_id,
        account_display_name=name,
        as_of_date=day_date(as_of),
        currency_code="EUR",
        windows=[
            order_service_pb2.SpendWindow(
                days=w,
                spend=money(sum(t for d, t in counted if d > as_of - w)),
                order_count=sum(1 for d, _ in counted if d > as_of - w),
            )
            for w in WINDOWS
        ],
        lifetime_order_count=len(counted),
        lifetime_spend=money(spend),
        average_order_value=money(half_up(spend // len(counted)) if counted else 0),
        first_order_date=day_date(days[0] if days else None),
        last_order_date=day_date(days[-1] if days else None),
        median_days_between_orders=float(statistics.median(gaps)) if gaps else 0.0,
        top_skus=top_shares([(sku, n, t, q) for _, sku, n, _, q, t in year]),
        top_categories=top_shares([(category, "", t, q) for _, _, _, category, q, t in year]),
        outstanding_balance=money(sum(amount for amount, _ in unpaid)),
        overdue_amount=money(sum(amount for amount, due in unpaid if due < as_of)),
        average_days_paid_late=late / len(settled) if settled else 0.0,
        paid_invoice_count=len(settled),
    )


def expected_credit(history: History, as_of: int) -> order_service_pb2.CheckCreditResponse:
    """The decision but for its explanation, which the server words."""
    account_id, external_id, name, status, limit = history.account[:5]
    unpaid = open_invoices(history, as_of)
    outstanding = sum(amount for amount, _ in unpaid)
    blocking = [amount for amount, due in unpaid if as_of - due > GRACE_DAYS]
    requested = CREDIT_AMOUNT.units * 1_000_000
    if status in NOT_ACTIVE:
        reason = order_service_pb2.CREDIT_DECISION_REASON_ACCOUNT_NOT_ACTIVE
    elif blocking:
        reason = order_service_pb2.CREDIT_DECISION_REASON_OVERDUE_INVOICES
    elif outstanding + requested > limit:
        reason = order_service_pb2.CREDIT_DECISION_REASON_OVER_LIMIT
    else:
        reason = order_service_pb2.CREDIT_DECISION_REASON_WITHIN_LIMIT
    return order_service_pb2.CheckCreditResponse(
        account_id=str(account_id),
        account_external_id=external_id,
        account_display_name=name,
        approved=reason == order_service_pb2.CREDIT_DECISION_REASON_WITHIN_LIMIT,
        reason=reason,
        credit_limit=money(limit),
        outstanding_balance=money(outstanding),
        requested_amount=money(requested),
        available_credit=money(limit - outstanding),
        overdue_amount=money(sum(blocking)),
        overdue_invoice_count=len(blocking),
        oldest_overdue_days=max((as_of - due for _, due in unpaid if due < as_of), default=0),
        grace_days=GRACE_DAYS,
    )


# --- the server ------------------------------------------------------------------------------


@pytest.fixture
def demo_server(database_url: str) -> Iterator[RunningServer]:
    """A server on the seeded demo data of each backend."""
    db = database.open_database(database_url)
    migrations.ensure_schema(db)
    with db.connection_context():
        seed_demo(ACCOUNTS, SEED, end_date=END)
    running = start_server(
        ServerConfig(listen="127.0.0.1:0", database_url=database_url, credit_grace_days=GRACE_DAYS)
    )
    yield running
    running.server.stop(0)
    database.close_database()


@pytest.fixture
def histories(demo_server: RunningServer) -> dict[int, History]:
    with database.db_proxy.obj.connection_context():
        loaded = load_histories()
    assert any(h.invoices for h in loaded.values()), "the demo has invoices"
    return loaded


def as_of_days(history: History) -> list[int]:
    """The fixed days, and the days where a rule's edge lies for this account: its last
    invoice's due day (due before, or on, as_of) and the first and last payment days (an
    invoice paid in full that day, or not yet)."""
    edges = [invoice.due_day for invoice in history.invoices[-1:]]
    payments = sorted(day for invoice in history.invoices for day, _, _ in invoice.payments)
    edges += payments[:1] + payments[-1:]
    return [(day - EPOCH).days for day in AS_OF] + edges


def test_every_summary_equals_the_figures_computed_from_the_rows(
    demo_server: RunningServer, histories: dict[int, History]
) -> None:
    stub = order_service_pb2_grpc.OrderServiceStub(demo_server.channel())
    compared = 0
    for account_id, history in sorted(histories.items()):
        for as_of in as_of_days(history):
            response = stub.GetAccountSummary(
                order_service_pb2.GetAccountSummaryRequest(
                    account_id=str(account_id), as_of_date=day_date(as_of)
                ),
                metadata=demo_server.metadata("admin"),
            )
            assert response.summary == expected_summary(history, as_of), (account_id, as_of)
            compared += response.summary.paid_invoice_count + len(response.summary.top_skus)
    assert compared > 0, "the demo's summaries have paid invoices and top SKUs"


def test_every_credit_check_equals_the_figures_computed_from_the_rows(
    demo_server: RunningServer, histories: dict[int, History]
) -> None:
    stub = order_service_pb2_grpc.OrderServiceStub(demo_server.channel())
    reasons = set()
    for account_id, history in sorted(histories.items()):
        for as_of in as_of_days(history):
            response = stub.CheckCredit(
                order_service_pb2.CheckCreditRequest(
                    account_id=str(account_id), amount=CREDIT_AMOUNT, as_of_date=day_date(as_of)
                ),
                metadata=demo_server.metadata("admin"),
            )
            assert response.explanation
            response.ClearField("explanation")
            assert response == expected_credit(history, as_of), (account_id, as_of)
            reasons.add(response.reason)
    assert len(reasons) >= 3, f"the demo exercises the credit rules: {reasons}"
