"""Invoices and payments: upserts, and the balance queries summaries and credit checks use.

Balances are aggregated in SQL over the indexed (account_id, due_day) and
(invoice_id, paid_day) columns; nothing is loaded row by row into Python.
"""

from __future__ import annotations

from wholesale.server.domain.billing import BalancePosition, StoredInvoice, StoredPayment
from wholesale.server.store.models import Invoice, Payment
from wholesale.server.store.sql import fetch_prepared, locked, storable


def _payments_of(invoice_id: int) -> list[tuple[int, int]]:
    return list(
        Payment.select(Payment.amount_micros, Payment.paid_day)
        .where(Payment.invoice == invoice_id)
        .order_by(Payment.paid_day, Payment.id)
        .tuples()
    )


def _settled_day(amount: int, payments: list[tuple[int, int]]) -> int | None:
    running = 0
    for paid, day in payments:
        running += paid
        if running >= amount:
            return day
    return None


def _invoice(row: Invoice) -> StoredInvoice:
    payments = _payments_of(row.id)
    return StoredInvoice(
        id=row.id,
        external_id=row.external_id,
        account_id=row.account_id,
        account_external_id=row.account.external_id or "",
        order_id=row.order_id,
        order_external_id=row.order.external_id if row.order_id else "",
        amount_micros=row.amount_micros,
        currency_code=row.currency_code,
        issue_day=row.issue_day,
        due_day=row.due_day,
        paid_micros=sum(paid for paid, _ in payments),
        paid_day=_settled_day(row.amount_micros, payments),
    )


def invoice_by_external_id(external_id: str, *, lock: bool = False) -> StoredInvoice | None:
    """The invoice; ``lock`` holds its row until the transaction ends, so concurrent
    payments against it are checked one after the other (PostgreSQL)."""
    if not storable([external_id]):
        return None
    row = locked(Invoice.select().where(Invoice.external_id == external_id), lock).first()
    return _invoice(row) if row else None


def invoice_by_id(invoice_id: int) -> StoredInvoice:
    return _invoice(Invoice.get_by_id(invoice_id))


def save_invoice(existing: StoredInvoice | None, values: dict, now_us: int) -> StoredInvoice:
    """Inserts or overwrites the invoice; ``values`` are column values."""
    if existing is None:
        row = Invoice.create(**values, create_time_us=now_us, update_time_us=now_us)
        return _invoice(row)
    Invoice.update(**values, update_time_us=now_us).where(Invoice.id == existing.id).execute()
    return invoice_by_id(existing.id)


def payment_by_external_id(external_id: str) -> StoredPayment | None:
    if not storable([external_id]):
        return None
    row = Payment.get_or_none(Payment.external_id == external_id)
    if row is None:
        return None
    return StoredPayment(row.id, row.external_id, row.invoice_id, row.amount_micros, row.paid_day)


def save_payment(existing: StoredPayment | None, values: dict, now_us: int) -> StoredPayment:
    if existing is None:
        row = Payment.create(**values, create_time_us=now_us, update_time_us=now_us)
    else:
        Payment.update(**values, update_time_us=now_us).where(Payment.id == existing.id).execute()
        row = Payment.get_by_id(existing.id)
    return StoredPayment(row.id, row.external_id, row.invoice_id, row.amount_micros, row.paid_day)


# Every invoice of the account with what was paid on it by :as_of and the day it was paid
# in full (NULL until then): each invoice's payments are found through the (invoice_id,
# paid_day) index and added up in paid_day, id order. Both the balance position and the
# lateness figures read it.
INVOICE_STATE = """
invoice_payment AS (
  SELECT i.id, i.amount_micros, i.issue_day, i.due_day, p.paid_day, p.amount_micros AS paid,
         SUM(p.amount_micros) OVER (PARTITION BY i.id ORDER BY p.paid_day, p.id) AS running
  FROM invoice i
  LEFT JOIN payment p ON p.invoice_id = i.id AND p.paid_day <= :as_of
  WHERE i.account_id = :account_id
),
invoice_state AS (
  SELECT amount_micros, issue_day, due_day, COALESCE(SUM(paid), 0) AS paid,
         MIN(CASE WHEN running >= amount_micros THEN paid_day END) AS settled_day
  FROM invoice_payment
  GROUP BY id, amount_micros, issue_day, due_day
)"""

# Open: issued by :as_of and not paid in full by then.
_OPEN = "issue_day <= :as_of AND amount_micros > paid"
_BLOCKING = f"{_OPEN} AND :as_of - due_day > :grace_days"

# Aggregates over invoice_state, in BalancePosition's order (:grace_days for blocking).
POSITION_COLUMNS = f"""
  COALESCE(SUM(CASE WHEN {_OPEN} THEN amount_micros - paid ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN {_OPEN} AND due_day < :as_of THEN amount_micros - paid ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN {_BLOCKING} THEN amount_micros - paid ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN {_BLOCKING} THEN 1 ELSE 0 END), 0),
  COALESCE(MAX(CASE WHEN {_OPEN} AND due_day < :as_of THEN :as_of - due_day ELSE 0 END), 0)"""

# Aggregates over invoice_state: invoices paid in full by :as_of, their days paid late.
LATENESS_COLUMNS = """
  COUNT(settled_day),
  COALESCE(SUM(CASE WHEN settled_day > due_day THEN settled_day - due_day ELSE 0 END), 0)"""


def position_of(row: tuple) -> BalancePosition:
    """The position from the five POSITION_COLUMNS values of ``row``."""
    return BalancePosition(*(int(value) for value in row))


def balance_position(account_id: int, as_of_day: int, grace_days: int) -> BalancePosition:
    (row,) = fetch_prepared(
        f"WITH {INVOICE_STATE} SELECT {POSITION_COLUMNS} FROM invoice_state",
        account_id=account_id,
        as_of=as_of_day,
        grace_days=grace_days,
    )
    return position_of(row)
