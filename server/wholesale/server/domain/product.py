"""A product of the catalog, and the rules a valid one obeys.

A product is identified by its SKU, which never changes. Its list price is a unit price, so
it may carry more decimals than the currency has (up to six, the precision of storage);
rounding to the minor unit happens per order line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from wholesale.server.domain.audit import Json, json_value
from wholesale.server.domain.currency import is_currency
from wholesale.server.domain.money import MAX_AMOUNT, MICROS_PER_UNIT, Money
from wholesale.server.domain.text import MAX_EXTERNAL_ID, check_text, check_token
from wholesale.server.errors import Validator

SKU = re.compile(r"[A-Za-z0-9._-]{1,64}")
SKU_RULE = "letters, digits, '.', '-' and '_', 1 to 64 characters"
# Lower-case segments joined by '/': "beverages/juice", "food/dry goods".
CATEGORY = re.compile(r"[a-z0-9][a-z0-9 _-]*(?:/[a-z0-9][a-z0-9 _-]*)*")
CATEGORY_RULE = (
    "lower-case segments joined by '/' such as beverages/juice; each segment starts with a "
    "letter or digit and holds letters, digits, spaces, '-' and '_'"
)
MAX_NAME = 200
MAX_CATEGORY = 200
MAX_SELLING_UNIT = 40
MAX_PACK_SIZE = 100_000


def enclosing_categories(category: str) -> tuple[str, ...]:
    """A category and every category above it, the deepest first: "a/b" -> ("a/b", "a")."""
    segments = category.split("/") if category else []
    return tuple("/".join(segments[:n]) for n in range(len(segments), 0, -1))


@dataclass(frozen=True)
class ProductFields:
    """The writable part of a product. ``active`` None means "not given": a create makes
    it true, an update or upsert keeps the stored value. ``pack_size`` 0 means 1."""

    external_id: str = ""
    name: str = ""
    category: str = ""
    selling_unit: str = ""
    pack_size: int = 0
    list_price: Money | None = None
    active: bool | None = None

    def with_defaults(self) -> ProductFields:
        return replace(
            self,
            pack_size=self.pack_size or 1,
            active=True if self.active is None else self.active,
        )

    def merged(self, changes: ProductFields, paths: set[str]) -> ProductFields:
        """These fields with the ones named in ``paths`` taken from ``changes``; a pack
        size of 0 still means 1, an unset active and the currency of a list price without
        one keep this product's."""
        merged = replace(self, **{name: getattr(changes, name) for name in paths})
        if merged.active is None:
            merged = replace(merged, active=self.active)
        price = merged.list_price
        if price is not None and not price.currency and self.list_price is not None:
            merged = replace(merged, list_price=replace(price, currency=self.list_price.currency))
        return replace(merged, pack_size=merged.pack_size or 1)

    def upserted_over(self, stored: ProductFields) -> ProductFields:
        """This record as an upsert writes it over ``stored``: every field is replaced,
        except an empty external_id and an unset active, which keep the stored values."""
        return replace(
            self.with_defaults(),
            external_id=self.external_id or stored.external_id,
            active=stored.active if self.active is None else self.active,
        )


WRITABLE_FIELDS = frozenset(f.name for f in fields(ProductFields))


@dataclass(frozen=True)
class Product:
    """A stored product: its SKU and fields plus what only the server sets."""

    sku: str
    fields: ProductFields
    create_time_us: int
    update_time_us: int
    version: int

    @property
    def etag(self) -> str:
        return f"v{self.version}"


def validate_sku(v: Validator, sku: str) -> None:
    if v.check(bool(sku), "sku", "required"):
        v.check(bool(SKU.fullmatch(sku)), "sku", SKU_RULE)


def _validate_category(v: Validator, category: str) -> None:
    if not category:
        return
    if v.check(len(category) <= MAX_CATEGORY, "category", f"at most {MAX_CATEGORY} characters"):
        v.check(bool(CATEGORY.fullmatch(category)), "category", CATEGORY_RULE)


def _validate_list_price(v: Validator, price: Money | None) -> None:
    path = "list_price"
    if price is None:
        v.add(path, "required")
        return
    if not v.check(
        is_currency(price.currency),
        f"{path}.currency_code",
        "required: an ISO 4217 code in capitals such as EUR",
    ):
        return
    v.check(price.amount >= 0, path, "must not be negative")
    v.check(price.amount <= MAX_AMOUNT, path, f"must not exceed {MAX_AMOUNT:,}")
    micros = price.amount * MICROS_PER_UNIT
    v.check(micros == micros.to_integral_value(), path, "at most 6 decimals")


def validate_product(v: Validator, product: ProductFields) -> None:
    """Adds a violation for every rule ``product`` breaks (after defaults are applied)."""
    if v.check(bool(product.name.strip()), "name", "required"):
        check_text(v, "name", product.name, MAX_NAME)
    check_token(v, "external_id", product.external_id, MAX_EXTERNAL_ID)
    _validate_category(v, product.category)
    if v.check(bool(product.selling_unit.strip()), "selling_unit", "required, such as bottle"):
        check_text(v, "selling_unit", product.selling_unit, MAX_SELLING_UNIT)
    v.check(
        1 <= product.pack_size <= MAX_PACK_SIZE,
        "pack_size",
        f"selling units per case: 1 to {MAX_PACK_SIZE:,} (0 means 1)",
    )
    _validate_list_price(v, product.list_price)


def audit_values(product: ProductFields) -> dict[str, Json]:
    """Every writable field in the audit log's JSON form."""
    return {f.name: json_value(getattr(product, f.name)) for f in fields(product)}
