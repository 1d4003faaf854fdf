"""Invoices and payments as the ERP sends them, and the rules that need no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from wholesale.server.domain.money import MAX_AMOUNT, MAX_MICROS
from wholesale.server.domain.text import check_required_external_id
from wholesale.server.errors import Validator


class InvoiceInput(NamedTuple):
    external_id: str
    account_id: str
    account_external_id: str
    order_external_id: str
    # None when the amount had more than 6 decimals.
    amount_micros: int | None
    amount_currency: str
    issue_day: int | None
    due_day: int | None


class PaymentInput(NamedTuple):
    external_id: str
    invoice_external_id: str
    amount_micros: int | None
    amount_currency: str
    paid_day: int | None


def validate_amount(v: Validator, path: str, micros: int | None) -> bool:
    if micros is None:
        v.add(path, "at most 6 decimals")
        return False
    return v.check(micros > 0, path, "must be positive") and v.check(
        micros <= MAX_MICROS, path, f"at most {MAX_AMOUNT:,}"
    )


def validate_invoice(v: Validator, invoice: InvoiceInput) -> None:
    check_required_external_id(v, "external_id", invoice.external_id, "invoice number")
    v.check(
        bool(invoice.account_id) != bool(invoice.account_external_id),
        "account_id",
        "give exactly one of account_id and account_external_id",
    )
    validate_amount(v, "amount", invoice.amount_micros)
    issue, due = invoice.issue_day, invoice.due_day
    v.check(issue is not None, "issue_date", "required: a valid date")
    v.check(due is not None, "due_date", "required: a valid date")
    if issue is not None and due is not None:
        v.check(due >= issue, "due_date", "must not be before issue_date")


def validate_payment(v: Validator, payment: PaymentInput) -> None:
    check_required_external_id(v, "external_id", payment.external_id, "payment reference")
    v.check(bool(payment.invoice_external_id), "invoice_external_id", "required")
    validate_amount(v, "amount", payment.amount_micros)
    v.check(payment.paid_day is not None, "paid_date", "required: a valid date")


# ---- as recorded ------------------------------------------------------------------


@dataclass(frozen=True)
class StoredInvoice:
    id: int
    external_id: str
    account_id: int
    account_external_id: str
    order_id: int | None
    order_external_id: str
    amount_micros: int
    currency_code: str
    issue_day: int
    due_day: int
    paid_micros: int
    paid_day: int | None


@dataclass(frozen=True)
class StoredPayment:
    id: int
    external_id: str
    invoice_id: int
    amount_micros: int
    paid_day: int


@dataclass(frozen=True)
class BalancePosition:
    """An account's receivables on one day."""

    outstanding_micros: int
    overdue_micros: int
    # Overdue by more than the grace days: what blocks credit.
    blocking_micros: int
    blocking_count: int
    oldest_overdue_days: int
