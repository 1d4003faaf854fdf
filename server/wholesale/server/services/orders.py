"""Recording the ERP's orders: one at a time or in import batches, always as upserts.

Both paths run the same batch code: everything a batch needs from the database (accounts,
products, existing orders) is loaded with a few IN queries, each order is checked on its
own, and the accepted ones are written with bulk inserts. A rejected order never stops the
others, and re-sending any order that was stored finds it UNCHANGED, so an import can be
re-run from the start after any crash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from wholesale.server.domain.access import EVERY_ACCOUNT
from wholesale.server.domain.calendar import day_number
from wholesale.server.domain.filters import Condition, parse_filter
from wholesale.server.domain.ids import parse_id, resource_key
from wholesale.server.domain.order import (
    AccountRef,
    OrderInput,
    OrderRow,
    OrderStatus,
    StoredOrder,
    StoredOrderKey,
    content_hash,
    line_total_micros,
    plain_lines,
    validate_order,
)
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import FieldViolation, InvalidArgument, NotFound, Validator
from wholesale.server.services import mutations
from wholesale.server.services.mutations import Outcome
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import order_store

MAX_IMPORT_BATCH = 2000


@dataclass
class OrderOutcome:
    external_id: str
    outcome: Outcome
    order_id: int | None = None
    line_count: int = 0
    violations: list[FieldViolation] = field(default_factory=list)

    @property
    def message(self) -> str:
        return "; ".join(f"{v.field}: {v.description}" for v in self.violations)


@dataclass
class _BatchContext:
    """What the orders of one batch refer to, loaded once for the whole batch."""

    accounts_by_id: dict[int, AccountRef]
    accounts_by_external_id: dict[str, AccountRef]
    products: dict[str, int]
    existing: dict[str, StoredOrderKey]

    @classmethod
    def load(cls, orders: Sequence[OrderInput]) -> _BatchContext:
        ids = [i for o in orders if (i := parse_id(o.account_id)) is not None]
        return cls(
            accounts_by_id=order_store.accounts_by_id(ids),
            accounts_by_external_id=order_store.accounts_by_external_id(
                o.account_external_id for o in orders if o.account_external_id
            ),
            products=order_store.product_ids(line.sku for o in orders for line in o.lines),
            existing=order_store.orders_by_external_id(o.external_id for o in orders),
        )

    def account(self, v: Validator, order: OrderInput) -> AccountRef | None:
        return _account_ref(
            v,
            order.account_id,
            order.account_external_id,
            self.accounts_by_id,
            self.accounts_by_external_id,
            allow_closed=False,
        )


def _account_ref(
    v: Validator,
    account_id: str,
    account_external_id: str,
    by_id: dict[int, AccountRef],
    by_external_id: dict[str, AccountRef],
    *,
    allow_closed: bool,
) -> AccountRef | None:
    """The account a document names by id or by external id; what is wrong goes to ``v``."""
    if account_external_id:
        path, ref = "account_external_id", by_external_id.get(account_external_id)
        v.check(ref is not None, path, f"no account has external_id {account_external_id!r}")
    elif account_id:
        numeric = parse_id(account_id)
        path, ref = "account_id", by_id.get(numeric) if numeric is not None else None
        v.check(ref is not None, path, f"no account has id {account_id!r}")
    else:
        return None
    if ref is not None and not allow_closed:
        v.check(not ref.closed, path, f"account {ref.id} is closed")
    return ref


def _check_against_store(
    v: Validator, order: OrderInput, ref: AccountRef, batch: _BatchContext
) -> None:
    v.check(
        order.currency_code in ("", ref.currency_code),
        "currency_code",
        f"must be the account currency {ref.currency_code}",
    )
    for index, line in enumerate(order.lines):
        if line.sku:
            v.check(
                line.sku in batch.products,
                f"lines[{index}].sku",
                f"unknown SKU {line.sku!r}: record it in the catalog first",
            )
    existing = batch.existing.get(order.external_id)
    if existing is not None:
        v.check(
            existing.account_id == ref.id,
            "account_id",
            f"order {order.external_id!r} belongs to account {existing.account_id}; "
            "an order cannot move to another account",
        )


def _checked_lines(
    order: OrderInput, currency: str, products: dict[str, int]
) -> tuple[tuple[int, int, int, int], ...]:
    """The stored lines of an order the full check accepted."""
    return tuple(
        (
            products[line.sku],
            line.quantity,
            line.unit_price_micros or 0,
            line_total_micros(line.quantity, line.unit_price_micros or 0, currency),
        )
        for line in order.lines
    )


def _order_row(
    order: OrderInput, ref: AccountRef, lines: tuple[tuple[int, int, int, int], ...]
) -> OrderRow:
    currency = ref.currency_code
    return OrderRow(
        order.external_id,
        ref.id,
        order.order_day or 0,
        int(order.status),
        int(order.channel),
        currency,
        lines,
        content_hash(order, ref.id, currency),
    )


def _plain_row(order: OrderInput, batch: _BatchContext, first: int, index: int) -> OrderRow | None:
    """The row of an order that surely passes every check, found without building any
    message (the common case of an import); None sends it through :func:`_checked_row`."""
    if first != index:
        return None
    if order.account_external_id:
        ref = batch.accounts_by_external_id.get(order.account_external_id)
    else:
        numeric = parse_id(order.account_id)
        ref = batch.accounts_by_id.get(numeric) if numeric is not None else None
    if ref is None or ref.closed:
        return None
    existing = batch.existing.get(order.external_id)
    if existing is not None and existing.account_id != ref.id:
        return None
    lines = plain_lines(order, ref.currency_code, batch.products)
    return None if lines is None else _order_row(order, ref, lines)


def _checked_row(
    order: OrderInput, batch: _BatchContext, seen: dict[str, int], index: int
) -> OrderRow | list[FieldViolation]:
    """An order's row or everything wrong with it: the plain path first, then the full
    check, which names each violation (and builds the row where the plain path was unsure)."""
    first = seen.setdefault(order.external_id, index)
    plain = _plain_row(order, batch, first, index)
    if plain is not None:
        return plain
    v = Validator()
    ref = batch.account(v, order)
    currency = ref.currency_code if ref else order.currency_code
    validate_order(v, order, currency)
    if ref is not None:
        _check_against_store(v, order, ref, batch)
    v.check(first == index, "external_id", f"repeats the order at index {first} of this batch")
    if v.violations or ref is None:
        return v.violations
    return _order_row(order, ref, _checked_lines(order, ref.currency_code, batch.products))


def upsert_orders(work: UnitOfWork, orders: Sequence[OrderInput]) -> list[OrderOutcome]:
    """Checks every order and writes the good ones, in the unit of work's write
    transaction."""
    orders = [o.with_defaults() for o in orders]
    batch = _BatchContext.load(orders)
    outcomes: list[OrderOutcome] = []
    new_rows: list[OrderRow] = []
    changed: list[tuple[int, OrderRow]] = []
    seen: dict[str, int] = {}
    for index, order in enumerate(orders):
        row = _checked_row(order, batch, seen, index)
        if isinstance(row, list):
            outcomes.append(OrderOutcome(order.external_id, Outcome.REJECTED, violations=row))
            continue
        existing = batch.existing.get(order.external_id)
        if existing is None:
            new_rows.append(row)
            outcomes.append(OrderOutcome(row.external_id, Outcome.CREATED, None, len(row.lines)))
        elif existing.content_hash == row.content_hash:
            outcomes.append(OrderOutcome(row.external_id, Outcome.UNCHANGED, existing.id))
        else:
            changed.append((existing.id, row))
            outcomes.append(
                OrderOutcome(row.external_id, Outcome.UPDATED, existing.id, len(row.lines))
            )
    when = work.now_us()
    new_ids = order_store.insert_orders(new_rows, when) if new_rows else {}
    if changed:
        order_store.replace_orders(changed, when)
    for outcome in outcomes:
        if outcome.outcome is Outcome.CREATED:
            outcome.order_id = new_ids[outcome.external_id]
    return outcomes


def resolve_account(v: Validator, account_id: str, account_external_id: str) -> AccountRef | None:
    """The (possibly closed) account an invoice names; what is wrong goes to ``v``."""
    numeric = parse_id(account_id)
    return _account_ref(
        v,
        account_id,
        account_external_id,
        order_store.accounts_by_id([numeric] if numeric is not None else []),
        order_store.accounts_by_external_id([account_external_id] if account_external_id else []),
        allow_closed=True,
    )


def record_order(work: UnitOfWork, order: OrderInput) -> tuple[StoredOrder, Outcome]:
    """Upserts one order; a rejected one is INVALID_ARGUMENT with paths under ``order.``."""
    work.require(Permission.WRITE_ORDERS)
    with work.writing():
        (outcome,) = upsert_orders(work, [order])
        rejected = Validator("order")
        for violation in outcome.violations:
            rejected.add(violation.field, violation.description)
        rejected.raise_if_any("invalid order")
        if outcome.outcome is not Outcome.UNCHANGED:
            mutations.audit_change(
                work, f"orders/{outcome.order_id}", outcome.outcome is Outcome.CREATED
            )
        stored = order_store.get_order(outcome.order_id or 0, EVERY_ACCOUNT)
    assert stored is not None, "the order was just written in this transaction"
    return stored, outcome.outcome


@dataclass(frozen=True)
class ImportBatchResult:
    outcomes: list[OrderOutcome]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome is outcome)

    @property
    def lines_written(self) -> int:
        return sum(o.line_count for o in self.outcomes)


def import_orders(
    work: UnitOfWork, items: Sequence[OrderInput | OrderOutcome]
) -> ImportBatchResult:
    """One import batch. ``items`` may hold orders already rejected while being read
    (malformed money); they keep their place in the results."""
    work.require(Permission.WRITE_ORDERS)
    if not 0 < len(items) <= MAX_IMPORT_BATCH:
        raise InvalidArgument(
            f"an import batch holds 1 to {MAX_IMPORT_BATCH} orders",
            violations=[FieldViolation("orders", f"1 to {MAX_IMPORT_BATCH} orders")],
        )
    valid = [item for item in items if isinstance(item, OrderInput)]
    with work.writing():
        written = iter(upsert_orders(work, valid) if valid else ())
        result = ImportBatchResult(
            [item if isinstance(item, OrderOutcome) else next(written) for item in items]
        )
        if result.count(Outcome.CREATED) + result.count(Outcome.UPDATED):
            mutations.audit(work, "orders", [])
    return result


def _found(order: StoredOrder | None, shown_id: str) -> StoredOrder:
    if order is None:
        raise NotFound(f"order {shown_id!r} not found", reason="ORDER_NOT_FOUND")
    return order


def get_order(work: UnitOfWork, order_id: str, external_id: str = "") -> StoredOrder:
    """By the service's id or by the ERP's order number (exactly one of them), if its
    account is within the caller's scope."""
    work.require(Permission.READ_ORDERS)
    key = resource_key("id", order_id, external_id)
    with work.reading():
        if key.by_external_id:
            return _found(
                order_store.get_order_by_external_id(external_id, work.scope), external_id
            )
        parsed = parse_id(order_id)
        return _found(order_store.get_order(parsed, work.scope) if parsed else None, order_id)


_FILTER_HINTS = {
    "order_date": "a date as YYYY-MM-DD",
    "status": "PLACED, FULFILLED, CANCELLED or RETURNED",
    "account_id": "an account id",
}


def _filter_value(condition: Condition) -> int | str:
    """Filter values as stored: account ids and statuses as numbers, dates as day numbers."""
    value = condition.value
    parsed: int | None = None
    if condition.field in ("external_id", "account_external_id"):
        return value
    if condition.field == "order_date":
        try:
            parsed = day_number(dt.date.fromisoformat(value))
        except ValueError:
            parsed = None
    elif condition.field == "status":
        name = value.upper().removeprefix("ORDER_STATUS_")
        parsed = OrderStatus[name].value if name in _STATUS_NAMES else None
    else:
        parsed = parse_id(value)
    if parsed is None:
        hint = _FILTER_HINTS[condition.field]
        raise InvalidArgument(
            f"invalid filter value {value!r}",
            violations=[FieldViolation("filter", f"{condition.field} takes {hint}")],
        )
    return parsed


_STATUS_NAMES = {status.name for status in OrderStatus if status.value}


def list_orders(
    work: UnitOfWork, filter_text: str, page_size: int, page_token: str
) -> tuple[list[StoredOrder], str]:
    """Newest order date first; the position after an order is (order day, id)."""
    work.require(Permission.READ_ORDERS)
    conditions = parse_filter(filter_text, order_store.ORDER_FILTER_FIELDS)
    where = [order_store.order_condition(c.field, c.op, _filter_value(c)) for c in conditions]
    with work.reading():
        return keyset_page(
            lambda after, limit: order_store.list_orders(work.scope, where, after, limit),
            lambda order: [order.order_day, order.id],
            {"orders": filter_text, "subject": work.principal.subject},
            page_size,
            page_token,
        )
