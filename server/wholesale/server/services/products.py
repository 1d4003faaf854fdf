"""Product use cases: the catalog the ERP maintains, validated, audited, atomic.

Everyone may read the catalog; admins and integrations change it. Each use case opens its
own transaction on the unit of work (inside a replayed request, the request's), so a
change, its audit event and its stored response commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from wholesale.server.domain.audit import FieldChange, changes_between, creation_changes
from wholesale.server.domain.filters import Condition, parse_filter
from wholesale.server.domain.ids import resource_key
from wholesale.server.domain.principal import Permission
from wholesale.server.domain.product import (
    CATEGORY,
    CATEGORY_RULE,
    SKU,
    Product,
    ProductFields,
    audit_values,
    validate_product,
    validate_sku,
)
from wholesale.server.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ServiceError,
    Validator,
)
from wholesale.server.services import mutations
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import product_store, transactions

MAX_BATCH = 1000


def resource_name(sku: str) -> str:
    return f"products/{sku}"


def _stored(sku: str, path: str, *, lock: bool = False) -> Product:
    """The product with ``sku``; NOT_FOUND if there is none (an SKU breaking the pattern
    cannot exist), INVALID_ARGUMENT at ``path`` if the SKU is empty."""
    if not sku:
        raise InvalidArgument("sku is required", violations=[FieldViolation(path, "required")])
    product = product_store.get_product(sku, lock=lock) if SKU.fullmatch(sku) else None
    if product is None:
        raise NotFound(f"product {sku!r} not found", reason="PRODUCT_NOT_FOUND")
    return product


def _sku_taken(sku: str, path: str) -> AlreadyExists:
    return AlreadyExists(
        f"a product with sku {sku!r} already exists",
        reason="SKU_TAKEN",
        metadata={"field": path, "sku": sku},
    )


def _external_id_taken(external_id: str, owner: str, path: str) -> AlreadyExists:
    return AlreadyExists(
        f"external_id {external_id!r} already belongs to product {owner}",
        reason="EXTERNAL_ID_TAKEN",
        metadata={"field": path, "sku": owner},
    )


def _check_external_ids_free(claims: Sequence[tuple[str, str, str]]) -> None:
    """Each (sku, external_id, request path) claim is free or already the product's own."""
    owners = product_store.external_id_owners([external_id for _, external_id, _ in claims])
    for sku, external_id, path in claims:
        owner = owners.get(external_id)
        if owner is not None and owner != sku:
            raise _external_id_taken(external_id, owner, path)


def _write_race(sku: str, fields: ProductFields, *, creating: bool) -> AbstractContextManager:
    """ALREADY_EXISTS when a concurrent writer took the SKU or the external_id first
    (CreateProduct and UpdateProduct; a batch aborts instead, see batch_upsert_products)."""

    def clash() -> ServiceError:
        if creating and product_store.get_product(sku) is not None:
            return _sku_taken(sku, "product.sku")
        return AlreadyExists(
            f"external_id {fields.external_id!r} was just taken by another product",
            reason="EXTERNAL_ID_TAKEN",
            metadata={"field": "product.external_id"},
        )

    return transactions.unique_key_guard(clash)


def _field_changes(before: ProductFields | None, after: ProductFields) -> list[FieldChange]:
    """What a write changes; a new product (``before`` None) against a blank record."""
    if before is None:
        return creation_changes(audit_values(ProductFields()), audit_values(after))
    return changes_between(audit_values(before), audit_values(after))


def _insert(work: UnitOfWork, sku: str, fields: ProductFields) -> Product:
    with _write_race(sku, fields, creating=True):
        [product] = product_store.insert_products([(sku, fields)], work.now_us())
    mutations.audit(work, resource_name(sku), _field_changes(None, fields))
    return product


def _write_changes(work: UnitOfWork, current: Product, fields: ProductFields) -> Product:
    """Stores ``fields`` over ``current``; without a real change nothing is written and
    the etag stays."""
    changes = _field_changes(current.fields, fields)
    if not changes:
        return current
    with _write_race(current.sku, fields, creating=False):
        [product] = product_store.update_products([(current, fields)], work.now_us())
    mutations.audit(work, resource_name(current.sku), changes)
    return product


def create_product(work: UnitOfWork, sku: str, fields: ProductFields) -> Product:
    work.require(Permission.WRITE_CATALOG)
    fields = fields.with_defaults()
    v = Validator("product")
    validate_sku(v, sku)
    validate_product(v, fields)
    v.raise_if_any()
    with work.writing():
        if product_store.get_product(sku) is not None:
            raise _sku_taken(sku, "product.sku")
        _check_external_ids_free([(sku, fields.external_id, "product.external_id")])
        return _insert(work, sku, fields)


def get_product(work: UnitOfWork, sku: str, external_id: str = "") -> Product:
    """By SKU or by the ERP's external_id (exactly one of them)."""
    work.require(Permission.READ_CATALOG)
    key = resource_key("sku", sku, external_id)
    with work.reading():
        if not key.by_external_id:
            return _stored(sku, "sku")
        owner = product_store.external_id_owners([external_id]).get(external_id)
        product = product_store.get_product(owner) if owner else None
    if product is None:
        raise NotFound(f"product {external_id!r} not found", reason="PRODUCT_NOT_FOUND")
    return product


def update_product(
    work: UnitOfWork, sku: str, changes: ProductFields, paths: set[str], etag: str
) -> Product:
    """Changes the fields named in ``paths``; a stale ``etag`` is ABORTED."""
    work.require(Permission.WRITE_CATALOG)
    with work.writing():
        current = _stored(sku, "product.sku", lock=True)
        mutations.check_etag(f"product {sku}", current.etag, etag)
        merged = current.fields.merged(changes, paths)
        v = Validator("product")
        validate_product(v, merged)
        v.raise_if_any()
        _check_external_ids_free([(sku, merged.external_id, "product.external_id")])
        return _write_changes(work, current, merged)


# ---- listing -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductQuery:
    filter: str = ""
    page_size: int = 0
    page_token: str = ""


def _invalid_filter(description: str) -> InvalidArgument:
    return InvalidArgument(
        f"invalid filter: {description}", violations=[FieldViolation("filter", description)]
    )


def _checked(condition: Condition) -> Condition | None:
    """The condition with its value checked and normalised; None when it matches every
    product (``category : ""``, the root of the category tree)."""
    if condition.field == "active":
        value = condition.value.lower()
        if value not in ("true", "false"):
            raise _invalid_filter(f"active takes true or false, not {condition.value!r}")
        return replace(condition, value=value)
    if condition.field == "category":
        category = condition.value.rstrip("/") if condition.op == ":" else condition.value
        if condition.op == ":" and not category:
            return None
        if category and not CATEGORY.fullmatch(category):
            raise _invalid_filter(f"{condition.value!r} is not a category: {CATEGORY_RULE}")
        return replace(condition, value=category)
    return condition


def list_products(work: UnitOfWork, query: ProductQuery) -> tuple[list[Product], str]:
    """One page of products in SKU order, and the token of the next page."""
    work.require(Permission.READ_CATALOG)
    parsed = parse_filter(query.filter, product_store.PRODUCT_FILTER_FIELDS)
    conditions = [c for c in map(_checked, parsed) if c is not None]
    where = [product_store.condition_expression(c) for c in conditions]
    with work.reading():
        return keyset_page(
            lambda after, limit: product_store.list_products(
                where, after[0] if after else None, limit
            ),
            lambda last: [last.sku],
            {"product_filter": query.filter},
            query.page_size,
            query.page_token,
        )


# ---- batch upsert --------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    products: list[Product]
    created: int
    updated: int
    unchanged: int


def _check_distinct(v: Validator, name: str, value: str, seen: dict[str, int], index: int) -> None:
    first = seen.setdefault(value, index)
    v.check(first == index, name, f"repeats products[{first}].{name}")


def _validate_batch(records: Sequence[tuple[str, ProductFields]]) -> None:
    v = Validator()
    if not v.check(0 < len(records) <= MAX_BATCH, "products", f"1 to {MAX_BATCH} products"):
        v.raise_if_any(f"a batch holds 1 to {MAX_BATCH} products")
    skus: dict[str, int] = {}
    external_ids: dict[str, int] = {}
    for index, (sku, record) in enumerate(records):
        item = v.nested(f"products[{index}]")
        validate_sku(item, sku)
        _check_distinct(item, "sku", sku, skus, index)
        if record.external_id:
            _check_distinct(item, "external_id", record.external_id, external_ids, index)
        validate_product(item, record.with_defaults())
    v.raise_if_any("invalid products, nothing written")


def batch_upsert_products(
    work: UnitOfWork, records: Sequence[tuple[str, ProductFields]]
) -> BatchResult:
    """Creates or updates every (sku, fields) record, or raises and writes nothing.

    An existing product gets every field of its record, except that an empty external_id
    and an unset active keep the stored values (see ProductFields.upserted_over). The rows
    are written a statement per kind, not per product; without a savepoint per row, a
    concurrent writer taking one of the keys aborts the whole batch as CONCURRENT_CHANGE
    (see idempotency.run_once), and a retry sees the winner's rows."""
    work.require(Permission.WRITE_CATALOG)
    _validate_batch(records)
    with work.writing():
        return _upsert(work, records)


def _upsert(work: UnitOfWork, records: Sequence[tuple[str, ProductFields]]) -> BatchResult:
    existing = product_store.products_by_sku([sku for sku, _ in records], lock=True)
    targets = [
        (
            sku,
            record.upserted_over(existing[sku].fields)
            if sku in existing
            else record.with_defaults(),
        )
        for sku, record in records
    ]
    _check_external_ids_free(
        [
            (sku, fields.external_id, f"products[{index}].external_id")
            for index, (sku, fields) in enumerate(targets)
        ]
    )
    new: list[tuple[str, ProductFields]] = []
    changed: list[tuple[Product, ProductFields]] = []
    events: list[mutations.Change] = []
    for sku, fields in targets:
        current = existing.get(sku)
        changes = _field_changes(current.fields if current else None, fields)
        if current is None:
            new.append((sku, fields))
        elif changes:
            changed.append((current, fields))
        if changes:
            events.append((resource_name(sku), [c.field for c in changes], changes))
    when = work.now_us()
    written = product_store.insert_products(new, when) + product_store.update_products(
        changed, when
    )
    mutations.audit_many(work, events)
    stored = {**existing, **{p.sku: p for p in written}}
    return BatchResult(
        products=[stored[sku] for sku, _ in records],
        created=len(new),
        updated=len(changed),
        unchanged=len(records) - len(new) - len(changed),
    )
