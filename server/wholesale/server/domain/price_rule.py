"""A rule of a price list: what it prices, from what, and how quantity lowers the price.

A rule targets one SKU, a category (its subcategories included) or the whole list; within
a list the SKU rule beats the deepest category rule, which beats a list-wide rule. Its base
price is a fixed unit price or a percentage off a reference (the product's catalog price or
the parent list's price). Quantity breaks lower the price from a quantity on, either for
every unit once reached (volume) or band by band (graduated). Rules are stored as versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum

from wholesale.server.domain.discount import validate_discount
from wholesale.server.domain.money import MAX_MICROS
from wholesale.server.domain.product import CATEGORY, CATEGORY_RULE, MAX_CATEGORY, SKU, SKU_RULE
from wholesale.server.domain.text import MAX_EXTERNAL_ID, check_token
from wholesale.server.domain.validity import Window, validate_window
from wholesale.server.errors import Validator

MAX_BREAKS = 20
MAX_QUANTITY = 10**9


class Basis(Enum):
    """What a rule's price is computed from."""

    FIXED = "fixed"
    CATALOG = "catalog"
    PARENT = "parent"


class BreakMode(Enum):
    # The break reached prices every unit of the line.
    VOLUME = "volume"
    # Each band's units at that band's price: 5 at 100 then 3 at 50 make 650.
    GRADUATED = "graduated"


class QuantityLevel(Enum):
    """Which quantity reaches a volume break."""

    LINE = "line"
    PRODUCT = "product"
    CATEGORY = "category"
    ORDER = "order"


@dataclass(frozen=True)
class RuleTarget:
    """A SKU, or a category, or (both empty) every product of the list."""

    sku: str = ""
    category: str = ""

    @property
    def specificity(self) -> int:
        """Higher is more specific: a SKU, then deeper categories, then the whole list."""
        if self.sku:
            return 1000
        return self.category.count("/") + 1 if self.category else 0

    def describe(self) -> str:
        if self.sku:
            return f"SKU {self.sku}"
        return f"category {self.category}" if self.category else "every product"


@dataclass(frozen=True)
class QuantityBreak:
    """From ``min_quantity`` on: a unit price, or a percentage off the rule's reference."""

    min_quantity: int
    unit_price_micros: int | None = None
    discount: Decimal | None = None


@dataclass(frozen=True)
class QuantityLimits:
    """0 means no limit."""

    minimum: int = 0
    increment: int = 0
    maximum: int = 0

    @property
    def any(self) -> bool:
        return bool(self.minimum or self.increment or self.maximum)


@dataclass(frozen=True)
class PriceRule:
    id: int
    version: int
    list_id: int
    target: RuleTarget
    basis: Basis
    fixed_price_micros: int = 0
    # For the CATALOG and PARENT bases: percent off the reference.
    discount: Decimal = Decimal(0)
    breaks: tuple[QuantityBreak, ...] = ()
    mode: BreakMode = BreakMode.VOLUME
    level: QuantityLevel = QuantityLevel.LINE
    limits: QuantityLimits = field(default_factory=QuantityLimits)
    window: Window = field(default_factory=Window)
    # The price book's own key for the row, unique in the list; upserts find rules by it.
    external_id: str = ""
    # When this version was recorded; a deleted rule's last version says so.
    recorded_us: int = 0
    deleted: bool = False

    @property
    def etag(self) -> str:
        return f"v{self.version}"

    @property
    def identity_key(self) -> str:
        """What names a rule without an external_id in its list: its target and window."""
        window = self.window
        return f"{self.target.sku}|{self.target.category}|{window.start_us}|{window.end_us}"

    @property
    def title(self) -> str:
        return f"rule {self.id} v{self.version} ({self.target.describe()})"

    def same_terms(self, other: PriceRule) -> bool:
        """Whether both say the same thing, whatever their ids, versions and times."""
        return replace(self, id=0, version=0, recorded_us=0) == replace(
            other, id=0, version=0, recorded_us=0
        )


def validate_rule(v: Validator, rule: PriceRule, list_has_parent: bool) -> None:
    """Adds a violation for every rule ``rule`` breaks; paths follow the API's PriceRule."""
    _validate_target(v, rule.target)
    check_token(v, "external_id", rule.external_id, MAX_EXTERNAL_ID)
    validate_window(v, rule.window, "start_time", "end_time")
    if rule.basis is Basis.FIXED:
        _check_price(v, "fixed_price", rule.fixed_price_micros)
    else:
        validate_discount(v, f"{rule.basis.value}_discount", rule.discount)
    if rule.basis is Basis.PARENT:
        v.check(list_has_parent, "parent_discount", "the list has no parent list")
    _validate_mode_and_level(v, rule)
    _validate_breaks(v, rule)
    _validate_limits(v, rule.limits)


def _check_price(v: Validator, path: str, micros: int) -> None:
    v.check(0 <= micros <= MAX_MICROS, path, f"not negative, at most {MAX_MICROS // 1_000_000:,}")


def _validate_target(v: Validator, target: RuleTarget) -> None:
    if target.sku:
        v.check(not target.category, "category", "give a sku or a category, not both")
        v.check(bool(SKU.fullmatch(target.sku)), "sku", SKU_RULE)
    elif target.category:
        v.check(
            len(target.category) <= MAX_CATEGORY and bool(CATEGORY.fullmatch(target.category)),
            "category",
            CATEGORY_RULE,
        )


def _validate_mode_and_level(v: Validator, rule: PriceRule) -> None:
    if rule.mode is BreakMode.GRADUATED:
        v.check(
            rule.level is QuantityLevel.LINE,
            "quantity_level",
            "graduated bands count the line's own quantity: use LINE or VOLUME breaks",
        )
    if rule.level is QuantityLevel.CATEGORY:
        v.check(
            bool(rule.target.category),
            "quantity_level",
            "CATEGORY counts the rule's category: only a category rule can use it",
        )


def _validate_breaks(v: Validator, rule: PriceRule) -> None:
    breaks = rule.breaks
    if not v.check(len(breaks) <= MAX_BREAKS, "breaks", f"at most {MAX_BREAKS} breaks"):
        return
    previous_min = 1
    for index, brk in enumerate(breaks):
        path = f"breaks[{index}]"
        v.check(
            previous_min < brk.min_quantity <= MAX_QUANTITY,
            f"{path}.min_quantity",
            "at least 2 and above the previous break's" if index else "at least 2",
        )
        previous_min = max(previous_min, brk.min_quantity)
        if not v.check(
            (brk.unit_price_micros is None) != (brk.discount is None),
            path,
            "give a unit_price or a discount",
        ):
            continue
        if brk.discount is not None:
            validate_discount(v, f"{path}.discount", brk.discount)
        elif brk.unit_price_micros is not None:
            _check_price(v, f"{path}.unit_price", brk.unit_price_micros)
    if v.violations:
        return
    _validate_falling_prices(v, rule)


def _validate_falling_prices(v: Validator, rule: PriceRule) -> None:
    """More quantity never raises the price within one rule: break prices fall (or
    discounts grow) as the quantity rises, starting from the base price."""
    kinds = {brk.discount is None for brk in rule.breaks}
    if len(kinds) > 1:
        v.add("breaks", "use unit prices in every break or discounts in every break")
        return
    uses_prices = kinds == {True}
    if uses_prices and rule.basis is not Basis.FIXED:
        v.add("breaks", "unit-price breaks need a fixed base price: give breaks as discounts")
        return
    # As prices: a discount counts negatively, so both kinds must not rise.
    previous: Decimal = Decimal(rule.fixed_price_micros) if uses_prices else -rule.discount
    what = "unit_price" if uses_prices else "discount"
    for index, brk in enumerate(rule.breaks):
        current = _as_price(brk) if uses_prices else -(brk.discount or Decimal(0))
        v.check(
            current <= previous,
            f"breaks[{index}].{what}",
            "must not give a higher price than the base price or the previous break",
        )
        previous = current


def _as_price(brk: QuantityBreak) -> Decimal:
    return Decimal(brk.unit_price_micros or 0)


def _validate_limits(v: Validator, limits: QuantityLimits) -> None:
    for name in ("minimum", "increment", "maximum"):
        value = getattr(limits, name)
        v.check(0 <= value <= MAX_QUANTITY, f"limits.{name}", f"0 (none) to {MAX_QUANTITY:,}")
    if limits.maximum and limits.minimum:
        v.check(limits.minimum <= limits.maximum, "limits.maximum", "must not be below minimum")
