"""Builders for the pricing engine tests: price lists, rules, contracts and catalog items
from plain decimal strings, and a one-call quote.

Amounts are given as strings ("12.00") and turned into micros here, so a test reads like
the price book it describes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.price_audience import Audience, PricedAccount
from wholesale.server.domain.price_book import CatalogItem, LineRequest, PriceBook
from wholesale.server.domain.price_conflicts import PriceConflict, conflicts_led_by
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import (
    Basis,
    BreakMode,
    PriceRule,
    QuantityBreak,
    QuantityLevel,
    QuantityLimits,
    RuleTarget,
)
from wholesale.server.domain.pricing_engine import PricedLine, PricedOrder, price_order
from wholesale.server.domain.validity import Window

CURRENCY = "EUR"
CENT = 10_000
ACCOUNT = PricedAccount(id=7, price_tier="gold", tags=frozenset({"organic"}), currency=CURRENCY)
_ids = iter(range(1, 10**9))


def micros(amount: str) -> int:
    return int(Decimal(amount) * 1_000_000)


def amount(value: int) -> Decimal:
    return (Decimal(value) / 1_000_000).quantize(Decimal("0.01"))


def item(
    sku: str = "COF-1", price: str = "12.00", category: str = "beverages/coffee"
) -> CatalogItem:
    return CatalogItem(sku, f"product {sku}", category, micros(price), CURRENCY)


def price_list(
    name: str = "Base",
    *,
    audience: Audience | None = None,
    priority: int = 0,
    parent: PriceList | None = None,
    parent_discount: str = "0",
    increment: str = "0.01",
    window: Window | None = None,
    status: ListStatus = ListStatus.ACTIVE,
    created: int = 0,
    currency: str = CURRENCY,
) -> PriceList:
    list_id = next(_ids)
    return PriceList(
        id=list_id,
        version=1,
        name=name,
        currency=currency,
        status=status,
        window=window or Window(),
        priority=priority,
        increment_micros=micros(increment),
        audience=audience or Audience(everyone=True),
        parent_id=parent.id if parent else None,
        parent_discount=Decimal(parent_discount),
        create_time_us=created or list_id,
    )


def breaks(*pairs: tuple[int, str]) -> tuple[QuantityBreak, ...]:
    """(min_quantity, "9.90") for a unit price, (min_quantity, "15%") for a discount."""
    return tuple(
        QuantityBreak(q, discount=Decimal(p[:-1]))
        if p.endswith("%")
        else QuantityBreak(q, unit_price_micros=micros(p))
        for q, p in pairs
    )


def rule(
    owner: PriceList,
    *,
    sku: str = "",
    category: str = "",
    fixed: str | None = None,
    catalog_discount: str | None = None,
    parent_discount: str | None = None,
    steps: tuple[QuantityBreak, ...] = (),
    mode: BreakMode = BreakMode.VOLUME,
    level: QuantityLevel = QuantityLevel.LINE,
    limits: QuantityLimits | None = None,
    window: Window | None = None,
) -> PriceRule:
    if fixed is not None:
        basis, fixed_micros, discount = Basis.FIXED, micros(fixed), Decimal(0)
    elif catalog_discount is not None:
        basis, fixed_micros, discount = Basis.CATALOG, 0, Decimal(catalog_discount)
    else:
        basis, fixed_micros, discount = Basis.PARENT, 0, Decimal(parent_discount or "0")
    return PriceRule(
        id=next(_ids),
        version=1,
        list_id=owner.id,
        target=RuleTarget(sku=sku, category=category),
        basis=basis,
        fixed_price_micros=fixed_micros,
        discount=discount,
        breaks=steps,
        mode=mode,
        level=level,
        limits=limits or QuantityLimits(),
        window=window or Window(),
    )


def contract(
    sku: str, price: str, *, window: Window | None = None, account: PricedAccount = ACCOUNT
) -> ContractPrice:
    return ContractPrice(
        next(_ids), 1, account.id, sku, micros(price), account.currency, window or Window()
    )


def book(
    items: Iterable[CatalogItem],
    lists: Iterable[PriceList] = (),
    rules: Iterable[PriceRule] = (),
    contracts: Iterable[ContractPrice] = (),
    previews: Iterable[int] = (),
) -> PriceBook:
    return PriceBook(items, lists, rules, contracts, frozenset(previews))


def quote(
    priced_book: PriceBook,
    *lines: tuple[str, int],
    account: PricedAccount = ACCOUNT,
    at_us: int = 10**15,
) -> PricedOrder:
    return price_order(priced_book, account, at_us, [LineRequest(s, q) for s, q in lines])


def one_line(priced_book: PriceBook, sku: str, quantity: int, **kwargs: object) -> PricedLine:
    return quote(priced_book, (sku, quantity), **kwargs).lines[0]  # type: ignore[arg-type]


def every_conflict(
    lists: Mapping[int, PriceList], rules: Iterable[PriceRule], category_of: Mapping[str, str]
) -> list[PriceConflict]:
    """Every conflict among ``lists`` and ``rules``, in order: those led by every claim."""
    rules = list(rules)
    leaders = {(rule.list_id, rule.id) for rule in rules} | {(list_id, 0) for list_id in lists}
    return conflicts_led_by(leaders, lists, rules, category_of)
