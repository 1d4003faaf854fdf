"""Reading and writing products: rows <-> domain objects, filters, pages by SKU."""

from __future__ import annotations

from collections.abc import Sequence

import peewee

from wholesale.server.domain.filters import Condition
from wholesale.server.domain.money import Money
from wholesale.server.domain.product import Product, ProductFields, enclosing_categories
from wholesale.server.store.models import Product as ProductRow
from wholesale.server.store.sql import (
    LIKE,
    byte_order,
    contains,
    escape_like,
    execute_many,
    fetch,
    insert_rows,
    locked,
    path_or_below,
    select_where_in,
    storable,
)


def _to_domain(row: ProductRow) -> Product:
    fields = ProductFields(
        external_id=row.external_id or "",
        name=row.name,
        category=row.category,
        selling_unit=row.selling_unit,
        pack_size=row.pack_size,
        list_price=Money.from_micros(row.list_price_micros, row.currency_code),
        active=bool(row.active),
    )
    return Product(
        sku=row.sku,
        fields=fields,
        create_time_us=row.create_time_us,
        update_time_us=row.update_time_us,
        version=row.version,
    )


# The columns a client's fields decide, in the order of :func:`_values`.
_FIELD_COLUMNS = (
    "external_id",
    "name",
    "search_text",
    "category",
    "selling_unit",
    "pack_size",
    "list_price_micros",
    "currency_code",
    "active",
)
_UPDATE_SQL = (
    f"UPDATE product SET {', '.join(f'{c} = ?' for c in _FIELD_COLUMNS)}, "
    "update_time_us = ?, version = ? WHERE sku = ?"
)


def _values(fields: ProductFields) -> tuple:
    """The row values for ``fields``, which are valid and have their defaults."""
    assert fields.list_price is not None and fields.active is not None
    return (
        # A product without an ERP id stores NULL (unique keys allow many).
        fields.external_id or None,
        fields.name,
        fields.name.casefold(),
        fields.category,
        fields.selling_unit,
        fields.pack_size,
        fields.list_price.to_micros(),
        fields.list_price.currency,
        fields.active,
    )


def insert_products(new: Sequence[tuple[str, ProductFields]], now_us: int) -> list[Product]:
    """Stores each (sku, fields) as a new product, in one round trip."""
    insert_rows(
        "product",
        ("sku", *_FIELD_COLUMNS, "create_time_us", "update_time_us"),
        [(sku, *_values(fields), now_us, now_us) for sku, fields in new],
    )
    return [Product(sku, fields, now_us, now_us, version=1) for sku, fields in new]


def update_products(changes: Sequence[tuple[Product, ProductFields]], now_us: int) -> list[Product]:
    """Writes each product's new fields and bumps its version, in one round trip."""
    execute_many(
        _UPDATE_SQL,
        [(*_values(fields), now_us, p.version + 1, p.sku) for p, fields in changes],
    )
    return [
        Product(p.sku, fields, p.create_time_us, now_us, version=p.version + 1)
        for p, fields in changes
    ]


def get_product(sku: str, *, lock: bool = False) -> Product | None:
    """The product, or None; ``lock`` holds its row until the transaction ends."""
    row = locked(ProductRow.select().where(ProductRow.sku == sku), lock).first()
    return _to_domain(row) if row else None


def products_by_sku(skus: Sequence[str], *, lock: bool = False) -> dict[str, Product]:
    query = locked(ProductRow.select().where(ProductRow.sku.in_(list(skus))), lock)
    return {row.sku: _to_domain(row) for row in query}


def external_id_owners(external_ids: Sequence[str]) -> dict[str, str]:
    """external_id -> the SKU of the product holding it, for those that are taken."""
    wanted = [e for e in storable(external_ids) if e]
    if not wanted:
        return {}
    query = ProductRow.select(ProductRow.external_id, ProductRow.sku).where(
        ProductRow.external_id.in_(wanted)
    )
    return {row.external_id: row.sku for row in query}


# ---- listing -------------------------------------------------------------------------

PRODUCT_FILTER_FIELDS = {
    "category": frozenset({"=", ":"}),
    "active": frozenset({"="}),
    "name": frozenset({":"}),
}


def condition_expression(condition: Condition) -> peewee.Node:
    """The SQL for one parsed filter condition (values already checked by the service)."""
    if condition.field == "name":
        return contains(ProductRow.search_text, condition.value)
    if condition.field == "active":
        return ProductRow.active == (condition.value == "true")
    if condition.op == ":":
        return path_or_below(ProductRow.category, condition.value)
    return ProductRow.category == condition.value


def list_products(where: Sequence[peewee.Node], after_sku: str | None, limit: int) -> list[Product]:
    """Up to ``limit`` products in SKU order, starting after ``after_sku``."""
    sku = byte_order(ProductRow.sku)
    query = ProductRow.select()
    for expression in where:
        query = query.where(expression)
    if after_sku is not None:
        query = query.where(sku > after_sku)
    return [_to_domain(row) for row in query.order_by(sku).limit(limit)]


def active_skus(category: str = "", limit: int = 1000) -> list[str]:
    """Up to ``limit`` SKUs of active products, of ``category`` and below if given."""
    query = ProductRow.select(ProductRow.sku).where(ProductRow.active == True)  # noqa: E712
    if category:
        query = query.where(path_or_below(ProductRow.category, category))
    return [row.sku for row in query.order_by(byte_order(ProductRow.sku)).limit(limit)]


def categories_of(skus: Sequence[str]) -> dict[str, str]:
    """The category of each product among ``skus``."""
    found = select_where_in("SELECT sku, category FROM product", "sku", skus)
    return dict(found)


def catalog_categories() -> set[str]:
    """Every category that holds a product, itself or below it: "a/b" for a product in
    "a/b/c". One statement over the distinct categories, which are far fewer than products."""
    found = fetch("SELECT DISTINCT category FROM product WHERE category <> ''", [])
    return {path for (category,) in found for path in enclosing_categories(category)}


# Categories per statement: SQLite refuses an expression of more than 1,000 ORs.
CATEGORY_CHUNK = 200


def skus_in_categories(categories: Sequence[str]) -> list[str]:
    """The SKUs of the products in any of ``categories`` or below them."""
    found: list[str] = []
    for start in range(0, len(categories), CATEGORY_CHUNK):
        chunk = categories[start : start + CATEGORY_CHUNK]
        sql = (
            f"SELECT sku FROM product WHERE category IN ({', '.join('?' for _ in chunk)})"
            f" OR {' OR '.join(f'category {LIKE}' for _ in chunk)}"
        )
        found += [sku for (sku,) in fetch(sql, [*chunk, *(f"{escape_like(c)}/%" for c in chunk)])]
    return found
