"""``seed-demo``: a realistic, deterministic data set to try the service with.

The catalog (:mod:`.demo_catalog`), the retailers (:mod:`.demo_accounts`), two years of
their orders, invoices and payments (:mod:`.demo_history`) and the price book
(:mod:`.demo_pricing`) are generated here and written as upserts keyed by what names each
record (external ids, SKUs, list names), so seeding again with the same seed and end date
finds everything unchanged instead of doubling it.

Products and accounts go through their batch upserts and orders through the import use
case, as an ERP's would. Invoices and payments are written with bulk statements instead of the
one-at-a-time billing use case: that path costs about 3 ms per document, which is a minute
and a half for the 28,000 documents of the default 300 accounts, against a second in bulk.
They are checked with the same domain rules first. The price book, a few dozen records,
goes through the pricing and tier use cases.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from wholesale.server.demo_accounts import MANAGERS, account_profile, demo_accounts
from wholesale.server.demo_catalog import DemoProduct, demo_catalog
from wholesale.server.demo_history import (
    CURRENCY,
    Plan,
    account_orders,
    invoice_for,
    make_plan,
    payments_for,
)
from wholesale.server.demo_pricing import PricingTally, seed_pricing
from wholesale.server.domain.account import AccountFields
from wholesale.server.domain.billing import (
    InvoiceInput,
    PaymentInput,
    validate_invoice,
    validate_payment,
)
from wholesale.server.domain.calendar import date_of, day_number
from wholesale.server.domain.clock import Clock, SystemClock
from wholesale.server.domain.money import Money
from wholesale.server.domain.order import OrderInput
from wholesale.server.domain.product import ProductFields
from wholesale.server.errors import Validator
from wholesale.server.services import accounts, mutations, orders, products, unit_of_work
from wholesale.server.services.mutations import Outcome
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import order_store
from wholesale.server.store.models import Payment
from wholesale.server.store.sql import IN_CHUNK, execute_many, insert_rows, select_where_in

T = TypeVar("T", InvoiceInput, PaymentInput)
ACCOUNT_BATCH = 500
ACCOUNTS_PER_TRANSACTION = 50
ORDER_BATCH = orders.MAX_IMPORT_BATCH


class SeedError(RuntimeError):
    """The database holds something the demo data cannot be written over (for example a
    demo account that was closed since); the message says what."""


def _product_fields(product: DemoProduct) -> tuple[str, ProductFields]:
    return product.sku, ProductFields(
        name=product.name,
        category=product.category,
        selling_unit=product.selling_unit,
        pack_size=product.pack_size,
        list_price=Money.from_micros(product.list_price_micros, CURRENCY),
        active=product.active,
    )


def _seed_products(work: UnitOfWork, catalog: Sequence[DemoProduct]) -> tuple[int, int]:
    """Creates or refreshes the catalog through the ERP batch upsert; (created, updated)."""
    created = updated = 0
    for batch in _batches(catalog, products.MAX_BATCH):
        result = products.batch_upsert_products(work, list(map(_product_fields, batch)))
        created += result.created
        updated += result.updated
    return created, updated


def _seed_accounts(work: UnitOfWork, records: list[AccountFields]) -> tuple[int, int]:
    """Creates or refreshes the accounts through the ERP batch upsert; (created, updated)."""
    created = updated = 0
    every_field = set(accounts.BATCH_DEFAULT_FIELDS | {"manager", "status"})
    for start in range(0, len(records), ACCOUNT_BATCH):
        result = accounts.batch_upsert_accounts(
            work, records[start : start + ACCOUNT_BATCH], every_field
        )
        created += result.created
        updated += result.updated
    return created, updated


@dataclass
class Tally:
    """What seeding the history did, by kind of record and outcome."""

    orders: Counter[Outcome] = field(default_factory=Counter)
    lines: int = 0
    invoices: Counter[Outcome] = field(default_factory=Counter)
    payments: Counter[Outcome] = field(default_factory=Counter)

    def summary(self) -> str:
        return (
            f"{_counted('orders', self.orders)} with {self.lines:,} lines, "
            f"{_counted('invoices', self.invoices)}, {_counted('payments', self.payments)}"
        )


def _counted(name: str, counts: Counter[Outcome]) -> str:
    """ "12 orders (3 new, 1 updated)": the rest were found unchanged."""
    return (
        f"{counts.total():,} {name} ({counts[Outcome.CREATED]:,} new, "
        f"{counts[Outcome.UPDATED]:,} updated)"
    )


_POLICY_OUTCOMES = {
    Outcome.CREATED: "set",
    Outcome.UPDATED: "replaced",
    Outcome.UNCHANGED: "unchanged",
}


def _pricing_summary(tally: PricingTally) -> str:
    removed = (
        f" ({tally.removed:,} older demo rules and contracts removed)" if tally.removed else ""
    )
    return (
        f"{_counted('price lists', tally.lists)} with {_counted('rules', tally.rules)}, "
        f"{_counted('contract prices', tally.contracts)}{removed}, "
        f"tier policy {_POLICY_OUTCOMES[tally.policy]}"
    )


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_orders(
    work: UnitOfWork, demo_orders: Sequence[OrderInput], tally: Tally
) -> dict[str, int]:
    """Through the import use case, the ERP's fast path (one audit event per batch);
    returns the order ids by external id."""
    ids: dict[str, int] = {}
    for batch in _batches(demo_orders, ORDER_BATCH):
        for outcome in orders.import_orders(work, batch).outcomes:
            if outcome.outcome is Outcome.REJECTED:
                raise SeedError(f"demo order {outcome.external_id} rejected: {outcome.message}")
            tally.orders[outcome.outcome] += 1
            assert outcome.order_id is not None, "a stored order has its id"
            ids[outcome.external_id] = outcome.order_id
    tally.lines += sum(len(order.lines) for order in demo_orders)
    return ids


def _check(validate: Callable[[Validator, T], None], records: Sequence[T], what: str) -> None:
    """The domain's rules still hold for generated records: a violation is a bug here."""
    for record in records:
        v = Validator(what)
        validate(v, record)
        v.raise_if_any(f"generated {what} {record.external_id} is invalid")


@dataclass
class UpsertResult:
    """What a bulk upsert did; the ids of overwritten rows let dependents be redone."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    updated_ids: list[int] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return bool(self.outcomes[Outcome.CREATED] or self.outcomes[Outcome.UPDATED])


def _upsert_rows(
    work: UnitOfWork, table: str, columns: Sequence[str], rows: Sequence[tuple]
) -> UpsertResult:
    """Upserts ``rows`` (external_id first, then the other ``columns``) with a few bulk
    statements: inserts the new, overwrites the changed and leaves the identical alone."""
    select = f"SELECT external_id, id, {', '.join(columns[1:])} FROM {table}"
    stored = {
        row[0]: row[1:] for row in select_where_in(select, "external_id", [r[0] for r in rows])
    }
    when = work.now_us()
    result = UpsertResult()
    new, changed = [], []
    for row in rows:
        old = stored.get(row[0])
        if old is None:
            new.append((*row, when, when))
            result.outcomes[Outcome.CREATED] += 1
        elif tuple(old[1:]) != row[1:]:
            changed.append((*row[1:], when, old[0]))
            result.updated_ids.append(old[0])
            result.outcomes[Outcome.UPDATED] += 1
        else:
            result.outcomes[Outcome.UNCHANGED] += 1
    insert_rows(table, (*columns, "create_time_us", "update_time_us"), new)
    assignments = ", ".join(f"{column} = ?" for column in (*columns[1:], "update_time_us"))
    execute_many(f"UPDATE {table} SET {assignments} WHERE id = ?", changed)
    return result


def _audit(work: UnitOfWork, resource: str) -> None:
    """One event per batch of documents, as an ERP import records."""
    mutations.audit(work, resource, [])


INVOICE_COLUMNS = (
    "external_id",
    "account_id",
    "order_id",
    "amount_micros",
    "currency_code",
    "issue_day",
    "due_day",
)
PAYMENT_COLUMNS = ("external_id", "invoice_id", "amount_micros", "paid_day")


def _write_invoices(
    work: UnitOfWork, invoices: Sequence[InvoiceInput], order_ids: dict[str, int], tally: Tally
) -> list[int]:
    """Bulk upsert by external id; returns the ids of invoices that changed."""
    _check(validate_invoice, invoices, "invoice")
    refs = order_store.accounts_by_external_id(i.account_external_id for i in invoices)
    rows = [
        (
            i.external_id,
            refs[i.account_external_id].id,
            order_ids[i.order_external_id],
            i.amount_micros,
            CURRENCY,
            i.issue_day,
            i.due_day,
        )
        for i in invoices
    ]
    result = _upsert_rows(work, "invoice", INVOICE_COLUMNS, rows)
    tally.invoices.update(result.outcomes)
    if result.written:
        _audit(work, "invoices")
    return result.updated_ids


def _write_payments(
    work: UnitOfWork, payments: Sequence[PaymentInput], replaced_invoices: list[int], tally: Tally
) -> None:
    """Bulk upsert by external id. A changed invoice gets exactly the payments planned for
    it now, so its payments never add up to more than its amount."""
    _check(validate_payment, payments, "payment")
    for chunk in _batches(replaced_invoices, IN_CHUNK):
        Payment.delete().where(Payment.invoice.in_(list(chunk))).execute()
    invoice_ids = dict(
        select_where_in(
            "SELECT external_id, id FROM invoice",
            "external_id",
            sorted({p.invoice_external_id for p in payments}),
        )
    )
    rows = [
        (p.external_id, invoice_ids[p.invoice_external_id], p.amount_micros, p.paid_day)
        for p in payments
    ]
    result = _upsert_rows(work, "payment", PAYMENT_COLUMNS, rows)
    tally.payments.update(result.outcomes)
    if result.written:
        _audit(work, "payments")


def _write_accounts_history(work: UnitOfWork, plans: Sequence[Plan], tally: Tally) -> None:
    placed = [(plan, order) for plan in plans for order in account_orders(plan)]
    order_ids = _write_orders(work, [order.order for _, order in placed], tally)
    invoiced = [(plan, inv) for plan, order in placed if (inv := invoice_for(plan, order))]
    changed = _write_invoices(work, [invoice for _, invoice in invoiced], order_ids, tally)
    payments = [payment for plan, invoice in invoiced for payment in payments_for(plan, invoice)]
    _write_payments(work, payments, changed, tally)


def seed_history(
    work: UnitOfWork,
    records: Sequence[AccountFields],
    seed: int,
    catalog: Sequence[DemoProduct],
    end: dt.date,
    years: int,
) -> str:
    """Orders, invoices and payments of ``records`` (account number = position + 1) for
    ``years`` up to ``end``; a few dozen accounts per transaction keep memory flat."""
    end_day = day_number(end)
    numbered = [
        (number, account)
        for number, account in enumerate(records, start=1)
        if not account_profile(number).prospect
    ]
    tally = Tally()
    for chunk in _batches(numbered, ACCOUNTS_PER_TRANSACTION):
        plans = [make_plan(n, account, seed, catalog, end_day, years) for n, account in chunk]
        with work.writing():
            _write_accounts_history(work, plans, tally)
    return tally.summary()


def seed_demo(
    account_count: int,
    seed: int,
    *,
    end_date: dt.date | None = None,
    years: int = 2,
    clock: Clock | None = None,
) -> str:
    """Creates or refreshes the catalog, ``account_count`` accounts, ``years`` of their
    history ending on ``end_date`` (default the clock's today, UTC; ``years`` 0 seeds no
    history) and the price book around that day, as the system principal; returns a
    one-line summary. The price book is recorded at the clock's now: quotes for earlier
    moments do not see it."""
    with unit_of_work.for_system("seed-demo", clock or SystemClock()) as work:
        return _seed(work, account_count, seed, end_date, years)


def _seed(
    work: UnitOfWork, account_count: int, seed: int, end_date: dt.date | None, years: int
) -> str:
    started = time.perf_counter()
    end = end_date or date_of(work.today())
    catalog = demo_catalog(seed)
    products_created, products_updated = _seed_products(work, catalog)
    records = demo_accounts(account_count, seed)
    accounts_created, accounts_updated = _seed_accounts(work, records)
    history = (
        f"{seed_history(work, records, seed, catalog, end, years)} up to {end.isoformat()}"
        if years
        else "no history"
    )
    pricing = _pricing_summary(seed_pricing(work, seed, catalog, account_count, end))
    return (
        f"seeded {len(catalog)} products ({products_created:,} new, {products_updated:,} "
        f"updated), {account_count:,} accounts ({accounts_created:,} new, {accounts_updated:,} "
        f"updated) for managers {', '.join(MANAGERS)}, {history}, {pricing} "
        f"in {time.perf_counter() - started:.1f} s"
    )
