"""Invoices, payments and credit checks end to end, on SQLite and on PostgreSQL.

RecordInvoice and RecordPayment upsert by external_id; partial payments add up until they
reach the invoice amount (never beyond it). CheckCredit answers with the figures and the
first reason that refuses: account not active, overdue invoices past the grace period, over
the credit limit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import grpc
import pytest
from conftest import RunningServer, start_server
from support.orders import (
    CREATED,
    UNCHANGED,
    UPDATED,
    OrdersApi,
    amount_of,
    from_pdate,
    make_invoice,
    make_order,
    make_payment,
)
from support.rpc import expect_failure, money

from wholesale.server.config import ServerConfig
from wholesale.server.store import database
from wholesale.v1 import account_pb2, order_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED
EUR = "EUR"
ZERO = (Decimal(0), EUR)

WITHIN_LIMIT = order_service_pb2.CREDIT_DECISION_REASON_WITHIN_LIMIT
OVER_LIMIT = order_service_pb2.CREDIT_DECISION_REASON_OVER_LIMIT
OVERDUE_INVOICES = order_service_pb2.CREDIT_DECISION_REASON_OVERDUE_INVOICES
ACCOUNT_NOT_ACTIVE = order_service_pb2.CREDIT_DECISION_REASON_ACCOUNT_NOT_ACTIVE


@pytest.fixture
def api(running_server, channel) -> OrdersApi:
    return OrdersApi(channel, running_server.tokens)


@pytest.fixture
def account(api: OrdersApi):
    api.seed_catalog()
    return api.create(external_id="ACC-BILL", manager="alice", credit_limit=money("1000.00"))


def eur(value: str) -> tuple[Decimal, str]:
    return (Decimal(value), EUR)


def invoice_figures(invoice) -> tuple:
    """(paid, outstanding, paid_date or None) of an Invoice."""
    return (
        amount_of(invoice.paid_amount),
        amount_of(invoice.outstanding_amount),
        from_pdate(invoice.paid_date),
    )


def record_invoice_request(invoice) -> order_service_pb2.RecordInvoiceRequest:
    return order_service_pb2.RecordInvoiceRequest(invoice=invoice)


def record_payment_request(payment) -> order_service_pb2.RecordPaymentRequest:
    return order_service_pb2.RecordPaymentRequest(payment=payment)


# --- invoices ------------------------------------------------------------------------------


def test_invoice_upsert_creates_updates_and_keeps_unchanged(api: OrdersApi, account):
    invoice = make_invoice(
        "INV-1", account_id=account.id, issue_date="2026-03-01", due_date="2026-03-31"
    )

    created = api.record_invoice(invoice)

    assert created.outcome == CREATED
    stored = created.invoice
    assert stored.id and stored.id.isdigit()
    assert stored.external_id == "INV-1"
    assert stored.account_id == account.id
    assert amount_of(stored.amount) == eur("100.00")
    assert from_pdate(stored.issue_date) == datetime.date(2026, 3, 1)
    assert from_pdate(stored.due_date) == datetime.date(2026, 3, 31)
    assert invoice_figures(stored) == (ZERO, eur("100.00"), None)

    assert api.record_invoice(invoice).outcome == UNCHANGED
    assert api.record_invoice(invoice).invoice == stored

    later = make_invoice(
        "INV-1",
        account_id=account.id,
        amount="120.00",
        issue_date="2026-03-01",
        due_date="2026-04-15",
    )
    updated = api.record_invoice(later)
    assert updated.outcome == UPDATED
    assert updated.invoice.id == stored.id
    assert amount_of(updated.invoice.amount) == eur("120.00")
    assert from_pdate(updated.invoice.due_date) == datetime.date(2026, 4, 15)
    assert invoice_figures(updated.invoice) == (ZERO, eur("120.00"), None)


def test_invoice_by_account_external_id_and_for_an_order(api: OrdersApi, account):
    api.record_order(make_order("SO-77", account_id=account.id))

    created = api.record_invoice(
        make_invoice("INV-ORD", account_external_id="ACC-BILL", order_external_id="SO-77")
    )

    assert created.outcome == CREATED
    assert created.invoice.account_id == account.id
    assert created.invoice.order_external_id == "SO-77"


def test_invoice_issued_and_due_on_the_same_day_is_valid(api: OrdersApi, account):
    same_day = make_invoice(
        "INV-SAME", account_id=account.id, issue_date="2026-03-01", due_date="2026-03-01"
    )
    assert api.record_invoice(same_day).outcome == CREATED


def _bad_invoices(account_id: str) -> dict[str, tuple]:
    a = account_id
    return {
        "due_before_issue": (
            make_invoice("INV-X", account_id=a, issue_date="2026-03-10", due_date="2026-03-09"),
            "invoice.due_date",
        ),
        "missing_issue_date": (
            make_invoice("INV-X", account_id=a, issue_date=None),
            "invoice.issue_date",
        ),
        "missing_due_date": (
            make_invoice("INV-X", account_id=a, due_date=None),
            "invoice.due_date",
        ),
        "zero_amount": (make_invoice("INV-X", account_id=a, amount="0"), "invoice.amount"),
        "negative_amount": (make_invoice("INV-X", account_id=a, amount="-5.00"), "invoice.amount"),
        "more_decimals_than_the_currency": (
            make_invoice("INV-X", account_id=a, amount="10.005"),
            "invoice.amount",
        ),
        "foreign_currency": (
            make_invoice("INV-X", account_id=a, amount="10.00", currency="USD"),
            "invoice.amount",
        ),
        "unknown_account": (make_invoice("INV-X", account_id="987654"), "invoice.account_id"),
        "unknown_account_external_id": (
            make_invoice("INV-X", account_external_id="NOPE"),
            "invoice.account_external_id",
        ),
        "unknown_order": (
            make_invoice("INV-X", account_id=a, order_external_id="SO-NOPE"),
            "invoice.order_external_id",
        ),
        "missing_external_id": (make_invoice("", account_id=a), "invoice.external_id"),
    }


@pytest.mark.parametrize("case", sorted(_bad_invoices("1")))
def test_invalid_invoice_names_the_field_and_writes_nothing(api: OrdersApi, account, case):
    invoice, path = _bad_invoices(account.id)[case]

    expect_failure(
        api.orders.RecordInvoice,
        record_invoice_request(invoice),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=[path],
        allow_subpath=True,
    )

    # Nothing was stored: the valid invoice under the same number is new.
    valid = make_invoice("INV-X", account_id=account.id)
    assert api.record_invoice(valid).outcome == CREATED


def test_invoice_for_another_accounts_order_is_rejected(api: OrdersApi, account):
    other = api.create(external_id="ACC-OTHER")
    api.record_order(make_order("SO-OTHER", account_id=other.id))

    expect_failure(
        api.orders.RecordInvoice,
        record_invoice_request(
            make_invoice("INV-WRONG", account_id=account.id, order_external_id="SO-OTHER")
        ),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["invoice.order_external_id"],
    )


# --- payments ------------------------------------------------------------------------------


@pytest.fixture
def invoice(api: OrdersApi, account):
    return api.record_invoice(
        make_invoice(
            "INV-P",
            account_id=account.id,
            amount="100.00",
            issue_date="2026-03-01",
            due_date="2026-03-31",
        )
    ).invoice


def test_partial_payments_add_up_to_the_invoice(api: OrdersApi, invoice):
    first = api.record_payment(make_payment("PAY-1", "INV-P", "40.00", "2026-03-10"))

    assert first.outcome == CREATED
    assert first.payment.id and first.payment.external_id == "PAY-1"
    assert first.payment.invoice_external_id == "INV-P"
    assert amount_of(first.payment.amount) == eur("40.00")
    assert from_pdate(first.payment.paid_date) == datetime.date(2026, 3, 10)
    assert first.invoice.id == invoice.id
    assert invoice_figures(first.invoice) == (eur("40.00"), eur("60.00"), None)

    resent = api.record_payment(make_payment("PAY-1", "INV-P", "40.00", "2026-03-10"))
    assert resent.outcome == UNCHANGED
    assert invoice_figures(resent.invoice) == (eur("40.00"), eur("60.00"), None)

    second = api.record_payment(make_payment("PAY-2", "INV-P", "60.00", "2026-04-05"))

    assert second.outcome == CREATED
    assert invoice_figures(second.invoice) == (
        eur("100.00"),
        ZERO,
        datetime.date(2026, 4, 5),
    )


def test_paid_date_is_the_day_the_payments_reached_the_amount(api: OrdersApi, invoice):
    # Recorded out of order: the later payment first.
    late = api.record_payment(make_payment("PAY-L", "INV-P", "70.00", "2026-04-20"))
    assert invoice_figures(late.invoice) == (eur("70.00"), eur("30.00"), None)

    early = api.record_payment(make_payment("PAY-E", "INV-P", "30.00", "2026-04-01"))

    assert invoice_figures(early.invoice) == (eur("100.00"), ZERO, datetime.date(2026, 4, 20))


def test_overpayment_is_rejected_with_the_outstanding_amount(api: OrdersApi, invoice):
    api.record_payment(make_payment("PAY-1", "INV-P", "40.00", "2026-03-10"))

    failure = expect_failure(
        api.orders.RecordPayment,
        record_payment_request(make_payment("PAY-2", "INV-P", "60.01", "2026-03-20")),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=["payment.amount"],
    )
    assert "60" in dict(failure.violations)["payment.amount"], failure

    # Nothing was written: exactly the outstanding amount still fits, as a new payment.
    exact = api.record_payment(make_payment("PAY-2", "INV-P", "60.00", "2026-03-20"))
    assert exact.outcome == CREATED
    assert invoice_figures(exact.invoice) == (eur("100.00"), ZERO, datetime.date(2026, 3, 20))

    expect_failure(
        api.orders.RecordPayment,
        record_payment_request(make_payment("PAY-3", "INV-P", "0.01", "2026-03-21")),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["payment.amount"],
    )


def test_single_payment_above_the_invoice_is_rejected(api: OrdersApi, invoice):
    expect_failure(
        api.orders.RecordPayment,
        record_payment_request(make_payment("PAY-BIG", "INV-P", "100.01", "2026-03-10")),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["payment.amount"],
    )


def test_changing_a_payment_replaces_its_amount(api: OrdersApi, invoice):
    api.record_payment(make_payment("PAY-1", "INV-P", "40.00", "2026-03-10"))
    settled = api.record_payment(make_payment("PAY-2", "INV-P", "60.00", "2026-03-25"))
    assert invoice_figures(settled.invoice) == (eur("100.00"), ZERO, datetime.date(2026, 3, 25))

    # Raising PAY-1 to 41 would pay 101 in all: refused; the invoice stays settled.
    expect_failure(
        api.orders.RecordPayment,
        record_payment_request(make_payment("PAY-1", "INV-P", "41.00", "2026-03-10")),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["payment.amount"],
    )

    lowered = api.record_payment(make_payment("PAY-1", "INV-P", "30.00", "2026-03-10"))

    assert lowered.outcome == UPDATED
    assert amount_of(lowered.payment.amount) == eur("30.00")
    assert invoice_figures(lowered.invoice) == (eur("90.00"), eur("10.00"), None)


def _bad_payments() -> dict[str, tuple]:
    return {
        "before_issue_date": (
            make_payment("PAY-X", "INV-P", "10.00", "2026-02-28"),
            "payment.paid_date",
        ),
        "missing_paid_date": (make_payment("PAY-X", "INV-P", "10.00", None), "payment.paid_date"),
        "unknown_invoice": (
            make_payment("PAY-X", "INV-NOPE", "10.00", "2026-03-10"),
            "payment.invoice_external_id",
        ),
        "no_invoice": (
            make_payment("PAY-X", "", "10.00", "2026-03-10"),
            "payment.invoice_external_id",
        ),
        "zero_amount": (make_payment("PAY-X", "INV-P", "0", "2026-03-10"), "payment.amount"),
        "negative_amount": (
            make_payment("PAY-X", "INV-P", "-10.00", "2026-03-10"),
            "payment.amount",
        ),
        "foreign_currency": (
            make_payment("PAY-X", "INV-P", "10.00", "2026-03-10", currency="USD"),
            "payment.amount",
        ),
        "more_decimals_than_the_currency": (
            make_payment("PAY-X", "INV-P", "10.001", "2026-03-10"),
            "payment.amount",
        ),
        "missing_external_id": (
            make_payment("", "INV-P", "10.00", "2026-03-10"),
            "payment.external_id",
        ),
    }


@pytest.mark.parametrize("case", sorted(_bad_payments()))
def test_invalid_payment_names_the_field_and_writes_nothing(api: OrdersApi, invoice, case):
    payment, path = _bad_payments()[case]

    expect_failure(
        api.orders.RecordPayment,
        record_payment_request(payment),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=[path],
        allow_subpath=True,
    )

    # The whole invoice is still open: nothing was applied.
    full = api.record_payment(make_payment("PAY-X", "INV-P", "100.00", "2026-03-01"))
    assert full.outcome == CREATED
    assert invoice_figures(full.invoice) == (eur("100.00"), ZERO, datetime.date(2026, 3, 1))


@pytest.mark.parametrize("who", ["viewer", "alice"])
def test_only_writers_record_invoices_and_payments(api: OrdersApi, account, invoice, who):
    expect_failure(
        api.orders.RecordInvoice,
        record_invoice_request(make_invoice("INV-NO", account_id=account.id)),
        metadata=api.md(who),
        code=DENIED,
        reason="ROLE_NOT_ALLOWED",
    )
    expect_failure(
        api.orders.RecordPayment,
        record_payment_request(make_payment("PAY-NO", "INV-P", "1.00", "2026-03-10")),
        metadata=api.md(who),
        code=DENIED,
        reason="ROLE_NOT_ALLOWED",
    )
    assert api.record_invoice(make_invoice("INV-NO", account_id=account.id)).outcome == CREATED


# --- credit checks -------------------------------------------------------------------------

AS_OF = "2026-06-30"


def credit_figures(response) -> dict:
    return {
        "credit_limit": amount_of(response.credit_limit),
        "outstanding": amount_of(response.outstanding_balance),
        "requested": amount_of(response.requested_amount),
        "available": amount_of(response.available_credit),
        "overdue": amount_of(response.overdue_amount),
        "overdue_count": response.overdue_invoice_count,
        "oldest_overdue_days": response.oldest_overdue_days,
        "grace_days": response.grace_days,
    }


@pytest.fixture
def owing(api: OrdersApi, account):
    """The account owes 600.00 on an invoice that is not yet due."""
    api.record_invoice(
        make_invoice(
            "INV-C1",
            account_id=account.id,
            amount="600.00",
            issue_date="2026-06-01",
            due_date="2026-07-01",
        )
    )
    return account


@pytest.mark.parametrize("amount", ["10.001", "0.5E-2"])
def test_credit_for_a_fraction_of_a_cent_is_refused_with_the_rule(api, owing, amount):
    request = order_service_pb2.CheckCreditRequest(account_id=owing.id, amount=money(amount))

    failure = expect_failure(
        api.orders.CheckCredit,
        request,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["amount"],
    )
    assert "EUR amounts have at most 2 decimals" in failure.violations[0][1]


@pytest.mark.parametrize(
    "amount, approved, reason, available",
    [
        ("399.99", True, WITHIN_LIMIT, "400.00"),
        ("400.00", True, WITHIN_LIMIT, "400.00"),
        ("400.01", False, OVER_LIMIT, "400.00"),
        ("5000.00", False, OVER_LIMIT, "400.00"),
    ],
    ids=["below", "exactly-at", "just-above", "far-above"],
)
def test_credit_below_at_and_above_the_limit(api, owing, amount, approved, reason, available):
    response = api.check_credit(owing.id, amount, as_of=AS_OF)

    assert (response.approved, response.reason) == (approved, reason)
    assert credit_figures(response) == {
        "credit_limit": eur("1000.00"),
        "outstanding": eur("600.00"),
        "requested": eur(amount),
        "available": eur(available),
        "overdue": ZERO,
        "overdue_count": 0,
        "oldest_overdue_days": 0,
        "grace_days": 7,
    }
    assert response.explanation.strip()


def test_payments_free_up_credit(api: OrdersApi, owing):
    api.record_payment(make_payment("PAY-C1", "INV-C1", "250.00", "2026-06-15"))

    response = api.check_credit(owing.id, "650.00", as_of=AS_OF)

    assert (response.approved, response.reason) == (True, WITHIN_LIMIT)
    assert amount_of(response.outstanding_balance) == eur("350.00")
    assert amount_of(response.available_credit) == eur("650.00")


def test_available_credit_is_negative_when_already_over(api: OrdersApi, owing):
    api.record_invoice(
        make_invoice(
            "INV-C2",
            account_id=owing.id,
            amount="700.00",
            issue_date="2026-06-10",
            due_date="2026-07-10",
        )
    )

    response = api.check_credit(owing.id, "0.01", as_of=AS_OF)

    assert (response.approved, response.reason) == (False, OVER_LIMIT)
    assert amount_of(response.outstanding_balance) == eur("1300.00")
    assert amount_of(response.available_credit) == eur("-300.00")


@pytest.fixture
def late_payer(api: OrdersApi, account):
    """Owes 70.00 of an invoice due 2026-06-23 (30.00 paid) and nothing else."""
    api.record_invoice(
        make_invoice(
            "INV-LATE",
            account_id=account.id,
            amount="100.00",
            issue_date="2026-05-24",
            due_date="2026-06-23",
        )
    )
    api.record_payment(make_payment("PAY-LATE", "INV-LATE", "30.00", "2026-06-10"))
    # A long-overdue invoice that was paid in full does not count.
    api.record_invoice(
        make_invoice(
            "INV-OLD",
            account_id=account.id,
            amount="500.00",
            issue_date="2026-01-01",
            due_date="2026-01-31",
        )
    )
    api.record_payment(make_payment("PAY-OLD", "INV-OLD", "500.00", "2026-03-15"))
    return account


def test_overdue_within_grace_is_approved(api: OrdersApi, late_payer):
    # 2026-06-30 is 7 days after the due date: still within the 7 days of grace.
    response = api.check_credit(late_payer.id, "10.00", as_of="2026-06-30")

    assert (response.approved, response.reason) == (True, WITHIN_LIMIT)
    figures = credit_figures(response)
    assert figures["outstanding"] == eur("70.00")
    assert figures["overdue"] == ZERO
    assert figures["overdue_count"] == 0
    assert figures["grace_days"] == 7


def test_overdue_beyond_grace_refuses(api: OrdersApi, late_payer):
    # 2026-07-01 is 8 days after the due date.
    response = api.check_credit(late_payer.id, "10.00", as_of="2026-07-01")

    assert (response.approved, response.reason) == (False, OVERDUE_INVOICES)
    assert credit_figures(response) == {
        "credit_limit": eur("1000.00"),
        "outstanding": eur("70.00"),
        "requested": eur("10.00"),
        "available": eur("930.00"),
        "overdue": eur("70.00"),
        "overdue_count": 1,
        "oldest_overdue_days": 8,
        "grace_days": 7,
    }
    assert response.explanation.strip()


def test_overdue_is_reported_before_over_limit(api: OrdersApi, late_payer):
    api.record_invoice(
        make_invoice(
            "INV-OLDER",
            account_id=late_payer.id,
            amount="50.00",
            issue_date="2026-05-01",
            due_date="2026-06-01",
        )
    )

    response = api.check_credit(late_payer.id, "2000.00", as_of="2026-07-01")

    assert (response.approved, response.reason) == (False, OVERDUE_INVOICES)
    assert amount_of(response.overdue_amount) == eur("120.00")
    assert response.overdue_invoice_count == 2
    assert response.oldest_overdue_days == 30
    assert amount_of(response.outstanding_balance) == eur("120.00")


def test_settling_the_overdue_invoice_restores_credit(api: OrdersApi, late_payer):
    api.record_payment(make_payment("PAY-LATE-2", "INV-LATE", "70.00", "2026-06-30"))

    response = api.check_credit(late_payer.id, "1000.00", as_of="2026-07-01")

    assert (response.approved, response.reason) == (True, WITHIN_LIMIT)
    assert amount_of(response.outstanding_balance) == ZERO


@pytest.mark.parametrize(
    "status, approved, reason",
    [
        (account_pb2.ACCOUNT_STATUS_ON_HOLD, False, ACCOUNT_NOT_ACTIVE),
        (account_pb2.ACCOUNT_STATUS_PROSPECT, True, WITHIN_LIMIT),
    ],
    ids=["on-hold", "prospect"],
)
def test_account_status_decides_first(api: OrdersApi, status, approved, reason):
    held = api.create(external_id="ACC-STATUS", status=status, credit_limit=money("1000.00"))

    response = api.check_credit(held.id, "1.00", as_of=AS_OF)

    assert (response.approved, response.reason) == (approved, reason)
    assert amount_of(response.credit_limit) == eur("1000.00")


def test_closed_account_is_not_active_even_when_overdue(api: OrdersApi, late_payer):
    api.delete(late_payer.id)

    response = api.check_credit(late_payer.id, "1.00", as_of="2026-07-01")

    assert (response.approved, response.reason) == (False, ACCOUNT_NOT_ACTIVE)


def test_credit_check_defaults_to_today(api: OrdersApi, account):
    response = api.check_credit(account.id, "1.00")

    assert (response.approved, response.reason) == (True, WITHIN_LIMIT)
    assert amount_of(response.outstanding_balance) == ZERO
    assert amount_of(response.available_credit) == eur("1000.00")


@pytest.mark.parametrize(
    "amount, currency",
    [("0", EUR), ("-5.00", EUR), ("10.00", "USD")],
    ids=["zero", "negative", "wrong-currency"],
)
def test_bad_credit_amount_is_invalid(api: OrdersApi, account, amount, currency):
    request = order_service_pb2.CheckCreditRequest(
        account_id=account.id, amount=money(amount, currency)
    )
    expect_failure(
        api.orders.CheckCredit,
        request,
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=["amount"],
        allow_subpath=True,
    )


def test_credit_check_of_unknown_account_is_not_found(api: OrdersApi, account):
    expect_failure(
        api.orders.CheckCredit,
        order_service_pb2.CheckCreditRequest(account_id="987654", amount=money("1.00")),
        metadata=api.md("admin"),
        code=NOT_FOUND,
        reason="ACCOUNT_NOT_FOUND",
    )


def test_credit_check_needs_an_account_id(api: OrdersApi):
    expect_failure(
        api.orders.CheckCredit,
        order_service_pb2.CheckCreditRequest(account_id="", amount=money("1.00")),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["account_id"],
    )


def test_credit_check_roles(api: OrdersApi, account):
    bobs = api.create(external_id="ACC-BOBS", manager="bob")

    for who in ("alice", "viewer", "integration", "admin"):
        assert api.check_credit(account.id, "1.00", as_of=AS_OF, who=who).approved
    expect_failure(
        api.orders.CheckCredit,
        order_service_pb2.CheckCreditRequest(account_id=bobs.id, amount=money("1.00")),
        metadata=api.md("alice"),
        code=NOT_FOUND,
        reason="ACCOUNT_NOT_FOUND",
    )
    assert api.check_credit(bobs.id, "1.00", as_of=AS_OF, who="bob").approved


@pytest.fixture
def strict_server(database_url: str) -> Iterator[RunningServer]:
    """A server configured with no grace at all (credit_grace_days = 0)."""
    config = ServerConfig(listen="127.0.0.1:0", database_url=database_url, credit_grace_days=0)
    running = start_server(config)
    yield running
    running.server.stop(0)
    database.close_database()


def test_grace_days_come_from_the_server_config(strict_server: RunningServer):
    with strict_server.channel() as channel:
        api = OrdersApi(channel, strict_server.tokens)
        account = api.create(external_id="ACC-STRICT", credit_limit=money("1000.00"))
        api.record_invoice(
            make_invoice(
                "INV-S",
                account_id=account.id,
                amount="10.00",
                issue_date="2026-06-01",
                due_date="2026-06-29",
            )
        )

        due_today = api.check_credit(account.id, "1.00", as_of="2026-06-29")
        a_day_late = api.check_credit(account.id, "1.00", as_of="2026-06-30")

    assert (due_today.approved, due_today.grace_days) == (True, 0)
    assert (a_day_late.approved, a_day_late.reason) == (False, OVERDUE_INVOICES)
    assert a_day_late.oldest_overdue_days == 1
