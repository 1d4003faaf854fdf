"""Orders and their lines: batch lookups and bulk writes for imports, reads for the API."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import peewee

from wholesale.server.domain.access import AccountScope
from wholesale.server.domain.order import (
    AccountRef,
    OrderRow,
    StoredLine,
    StoredOrder,
    StoredOrderKey,
)
from wholesale.server.store.models import Account, OrderLine, Product, SalesOrder
from wholesale.server.store.sql import (
    COMPARISONS,
    IN_CHUNK,
    in_scope,
    insert_returning,
    insert_rows,
    select_where_in,
    storable,
)


def _chunks(values: Sequence, size: int = IN_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_ACCOUNT_REF_SQL = "SELECT id, external_id, currency_code, delete_time_us FROM account"


def _account_refs(column: str, keys: Iterable) -> list[AccountRef]:
    return [
        AccountRef(row[0], row[1] or "", row[2], row[3] is not None)
        for row in select_where_in(_ACCOUNT_REF_SQL, column, sorted(set(keys)))
    ]


def accounts_by_id(ids: Iterable[int]) -> dict[int, AccountRef]:
    return {ref.id: ref for ref in _account_refs("id", ids)}


def accounts_by_external_id(external_ids: Iterable[str]) -> dict[str, AccountRef]:
    return {ref.external_id: ref for ref in _account_refs("external_id", external_ids)}


def product_ids(skus: Iterable[str]) -> dict[str, int]:
    return dict(select_where_in("SELECT sku, id FROM product", "sku", sorted(set(skus))))


def orders_by_external_id(external_ids: Iterable[str]) -> dict[str, StoredOrderKey]:
    rows = select_where_in(
        "SELECT external_id, id, account_id, content_hash FROM sales_order",
        "external_id",
        sorted(set(external_ids)),
    )
    return {row[0]: StoredOrderKey(*row[1:]) for row in rows}


ORDER_COLUMNS = (
    "external_id",
    "account_id",
    "order_day",
    "status",
    "channel",
    "currency_code",
    "total_micros",
    "line_count",
    "content_hash",
    "create_time_us",
    "update_time_us",
)
LINE_COLUMNS = (
    "order_id",
    "line_no",
    "account_id",
    "order_day",
    "product_id",
    "quantity",
    "unit_price_micros",
    "line_total_micros",
)


def _line_rows(order_id: int, order: OrderRow) -> list[tuple]:
    return [
        (order_id, number, order.account_id, order.order_day, *line)
        for number, line in enumerate(order.lines, start=1)
    ]


def insert_orders(orders: Sequence[OrderRow], now_us: int) -> dict[str, int]:
    """Inserts new orders with their lines; returns their ids by external_id."""
    returned = insert_returning(
        "sales_order",
        ORDER_COLUMNS,
        [
            (
                o.external_id,
                o.account_id,
                o.order_day,
                o.status,
                o.channel,
                o.currency_code,
                o.total_micros,
                len(o.lines),
                o.content_hash,
                now_us,
                now_us,
            )
            for o in orders
        ],
        "external_id, id",
    )
    ids = dict(returned)
    insert_rows(
        "order_line",
        LINE_COLUMNS,
        [row for o in orders for row in _line_rows(ids[o.external_id], o)],
    )
    return ids


def replace_orders(orders: Sequence[tuple[int, OrderRow]], now_us: int) -> None:
    """Overwrites changed orders (by id) and replaces their lines."""
    for order_id, o in orders:
        SalesOrder.update(
            order_day=o.order_day,
            status=o.status,
            channel=o.channel,
            currency_code=o.currency_code,
            total_micros=o.total_micros,
            line_count=len(o.lines),
            content_hash=o.content_hash,
            update_time_us=now_us,
        ).where(SalesOrder.id == order_id).execute()
    for chunk in _chunks([order_id for order_id, _ in orders]):
        OrderLine.delete().where(OrderLine.order.in_(chunk)).execute()
    insert_rows(
        "order_line",
        LINE_COLUMNS,
        [row for order_id, o in orders for row in _line_rows(order_id, o)],
    )


# ---- reads ----------------------------------------------------------------------------


def _lines_by_order(order_ids: Sequence[int]) -> dict[int, list[StoredLine]]:
    lines: dict[int, list[StoredLine]] = {}
    for chunk in _chunks(list(order_ids)):
        query = (
            OrderLine.select(
                OrderLine.order,
                Product.sku,
                OrderLine.quantity,
                OrderLine.unit_price_micros,
                OrderLine.line_total_micros,
            )
            .join(Product)
            .where(OrderLine.order.in_(chunk))
            .order_by(OrderLine.order, OrderLine.line_no)
        )
        for order_id, *line in query.tuples():
            lines.setdefault(order_id, []).append(StoredLine(*line))
    return lines


def _select_orders(scope: AccountScope) -> peewee.ModelSelect:
    """Orders of the accounts ``scope`` allows, with their account's ids."""
    query = SalesOrder.select(
        SalesOrder.id,
        SalesOrder.external_id,
        SalesOrder.account,
        Account.external_id,
        SalesOrder.order_day,
        SalesOrder.status,
        SalesOrder.channel,
        SalesOrder.currency_code,
        SalesOrder.total_micros,
        SalesOrder.create_time_us,
        SalesOrder.update_time_us,
    ).join(Account)
    return in_scope(query, scope, Account.manager)


def _with_lines(rows: list[tuple]) -> list[StoredOrder]:
    lines = _lines_by_order([row[0] for row in rows])
    return [
        StoredOrder(
            id=row[0],
            external_id=row[1],
            account_id=row[2],
            account_external_id=row[3] or "",
            order_day=row[4],
            status=row[5],
            channel=row[6],
            currency_code=row[7],
            total_micros=row[8],
            create_time_us=row[9],
            update_time_us=row[10],
            lines=tuple(lines.get(row[0], ())),
        )
        for row in rows
    ]


def get_order(order_id: int, scope: AccountScope) -> StoredOrder | None:
    rows = list(_select_orders(scope).where(SalesOrder.id == order_id).tuples())
    return _with_lines(rows)[0] if rows else None


def get_order_by_external_id(external_id: str, scope: AccountScope) -> StoredOrder | None:
    if not storable([external_id]):
        return None
    rows = list(_select_orders(scope).where(SalesOrder.external_id == external_id).tuples())
    return _with_lines(rows)[0] if rows else None


def list_orders(
    scope: AccountScope, where: Sequence[peewee.Node], after: list | None, limit: int
) -> list[StoredOrder]:
    """Newest order date first, then highest id; ``after`` is the last (day, id) seen."""
    query = _select_orders(scope)
    for expression in where:
        query = query.where(expression)
    if after is not None:
        day, order_id = after
        query = query.where(
            (SalesOrder.order_day < day)
            | ((SalesOrder.order_day == day) & (SalesOrder.id < order_id))
        )
    query = query.order_by(SalesOrder.order_day.desc(), SalesOrder.id.desc()).limit(limit)
    return _with_lines(list(query.tuples()))


ORDER_FILTER_FIELDS = {
    "external_id": frozenset({"="}),
    "account_id": frozenset({"="}),
    "account_external_id": frozenset({"="}),
    "status": frozenset({"=", "!="}),
    "order_date": frozenset({"=", ">=", "<=", ">", "<"}),
}
_ORDER_FILTER_COLUMNS = {
    "external_id": SalesOrder.external_id,
    "account_id": SalesOrder.account,
    "account_external_id": Account.external_id,
    "status": SalesOrder.status,
    "order_date": SalesOrder.order_day,
}


def order_condition(field_name: str, op: str, value: int | str) -> peewee.Node:
    """SQL for one filter condition whose value the service already converted (numbers
    for ids, statuses and dates; the ERP's order number as sent)."""
    return COMPARISONS[op](_ORDER_FILTER_COLUMNS[field_name], value)
