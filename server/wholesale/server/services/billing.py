"""Recording invoices and payments from the ERP, as upserts by their external ids."""

from __future__ import annotations

from wholesale.server.domain.billing import (
    InvoiceInput,
    PaymentInput,
    StoredInvoice,
    StoredPayment,
    validate_invoice,
    validate_payment,
)
from wholesale.server.domain.money import format_micros, in_minor_units, minor_units_rule
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import Validator
from wholesale.server.services.mutations import Outcome, audit_change
from wholesale.server.services.orders import resolve_account
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import billing_store, order_store


def _invoice_values(work: UnitOfWork, v: Validator, invoice: InvoiceInput) -> dict | None:
    """Column values of a valid invoice, or None after recording what is wrong."""
    validate_invoice(v, invoice)
    account = resolve_account(v, invoice.account_id, invoice.account_external_id)
    if account is None:
        return None
    v.check(
        invoice.amount_currency in ("", account.currency_code),
        "amount",
        f"must be in the account currency {account.currency_code}",
    )
    if invoice.amount_micros is not None:
        v.check(
            in_minor_units(invoice.amount_micros, account.currency_code),
            "amount",
            minor_units_rule(account.currency_code),
        )
    order_id = None
    if invoice.order_external_id:
        order = order_store.get_order_by_external_id(invoice.order_external_id, work.scope)
        if order is None:
            v.add("order_external_id", "no such order is recorded")
        else:
            order_id = order.id
            v.check(
                order.account_id == account.id,
                "order_external_id",
                f"the order belongs to account {order.account_id}",
            )
    if v.violations:
        return None
    return {
        "external_id": invoice.external_id,
        "account": account.id,
        "order": order_id,
        "amount_micros": invoice.amount_micros,
        "currency_code": account.currency_code,
        "issue_day": invoice.issue_day,
        "due_day": invoice.due_day,
    }


def _unchanged(existing: object, values: dict, fields: dict[str, str]) -> bool:
    return all(getattr(existing, attribute) == values[key] for key, attribute in fields.items())


_INVOICE_FIELDS = {
    "account": "account_id",
    "order": "order_id",
    "amount_micros": "amount_micros",
    "issue_day": "issue_day",
    "due_day": "due_day",
}


def record_invoice(work: UnitOfWork, invoice: InvoiceInput) -> tuple[StoredInvoice, Outcome]:
    work.require(Permission.WRITE_ORDERS)
    with work.writing():
        return _record_invoice(work, invoice)


def _record_invoice(work: UnitOfWork, invoice: InvoiceInput) -> tuple[StoredInvoice, Outcome]:
    v = Validator("invoice")
    values = _invoice_values(work, v, invoice)
    existing = billing_store.invoice_by_external_id(invoice.external_id, lock=True)
    if values is not None and existing is not None:
        v.check(
            existing.account_id == values["account"],
            "account_id",
            "an invoice cannot move to another account",
        )
        v.check(
            values["amount_micros"] >= existing.paid_micros,
            "amount",
            f"payments of {format_micros(existing.paid_micros, existing.currency_code)} "
            "are already recorded against it",
        )
    v.raise_if_any("invalid invoice")
    assert values is not None, "an invoice without violations has its values"
    if existing is not None and _unchanged(existing, values, _INVOICE_FIELDS):
        return existing, Outcome.UNCHANGED
    stored = billing_store.save_invoice(existing, values, work.now_us())
    audit_change(work, f"invoices/{stored.id}", existing is None)
    return stored, Outcome.CREATED if existing is None else Outcome.UPDATED


def record_payment(
    work: UnitOfWork, payment: PaymentInput
) -> tuple[StoredPayment, StoredInvoice, Outcome]:
    work.require(Permission.WRITE_ORDERS)
    with work.writing():
        return _record_payment(work, payment)


def _record_payment(
    work: UnitOfWork, payment: PaymentInput
) -> tuple[StoredPayment, StoredInvoice, Outcome]:
    v = Validator("payment")
    validate_payment(v, payment)
    invoice = billing_store.invoice_by_external_id(payment.invoice_external_id, lock=True)
    if payment.invoice_external_id:
        v.check(invoice is not None, "invoice_external_id", "no such invoice is recorded")
    existing = billing_store.payment_by_external_id(payment.external_id)
    if invoice is not None and not v.violations:
        _check_against_invoice(v, payment, invoice, existing)
    v.raise_if_any("invalid payment")
    assert invoice is not None, "a payment without violations names a recorded invoice"
    values = {
        "external_id": payment.external_id,
        "invoice": invoice.id,
        "amount_micros": payment.amount_micros,
        "paid_day": payment.paid_day,
    }
    fields = {"invoice": "invoice_id", "amount_micros": "amount_micros", "paid_day": "paid_day"}
    if existing is not None and _unchanged(existing, values, fields):
        return existing, invoice, Outcome.UNCHANGED
    stored = billing_store.save_payment(existing, values, work.now_us())
    audit_change(work, f"payments/{stored.id}", existing is None)
    outcome = Outcome.CREATED if existing is None else Outcome.UPDATED
    return stored, billing_store.invoice_by_id(invoice.id), outcome


def _check_against_invoice(
    v: Validator, payment: PaymentInput, invoice: StoredInvoice, existing: StoredPayment | None
) -> None:
    """The rules that need the invoice, for a payment that passed validate_payment."""
    amount, paid_day = payment.amount_micros, payment.paid_day
    assert amount is not None and paid_day is not None, "validate_payment checked them"
    currency = invoice.currency_code
    v.check(
        payment.amount_currency in ("", currency),
        "amount",
        f"must be in the invoice currency {currency}",
    )
    v.check(in_minor_units(amount, currency), "amount", minor_units_rule(currency))
    v.check(
        paid_day >= invoice.issue_day,
        "paid_date",
        "must not be before the invoice's issue date",
    )
    if existing is not None:
        v.check(
            existing.invoice_id == invoice.id,
            "invoice_external_id",
            "a payment cannot move to another invoice",
        )
    already = invoice.paid_micros - (existing.amount_micros if existing else 0)
    outstanding = invoice.amount_micros - already
    v.check(
        amount <= outstanding,
        "amount",
        f"exceeds the invoice's outstanding {format_micros(outstanding, currency)}",
    )
