"""A price sheet: what one account pays for each product at one moment, from one unit on,
with the quantity breaks ahead, as sent to a retailer.

Each product is priced alone (a sheet is no order: breaks across a category or the whole
order are shown at the quantity of this product that reaches them alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wholesale.server.domain.price_audience import PricedAccount
from wholesale.server.domain.price_book import LineRequest, PriceBook
from wholesale.server.domain.price_rule import BreakMode, QuantityLevel
from wholesale.server.domain.pricing_engine import PricedLine, price_order


@dataclass(frozen=True)
class SheetBreak:
    min_quantity: int
    unit_price_micros: int
    level: QuantityLevel
    mode: BreakMode


@dataclass(frozen=True)
class SheetEntry:
    line: PricedLine
    breaks: tuple[SheetBreak, ...]


def _priced_alone(
    book: PriceBook, account: PricedAccount, at_us: int, sku: str, quantity: int
) -> PricedLine:
    return price_order(book, account, at_us, [LineRequest(sku, quantity)], explained=False).lines[0]


def price_sheet(
    book: PriceBook, account: PricedAccount, at_us: int, skus: Iterable[str]
) -> list[SheetEntry]:
    entries = []
    for sku in skus:
        line = _priced_alone(book, account, at_us, sku, 1)
        entries.append(SheetEntry(line, _breaks(book, account, at_us, line)))
    return entries


def _breaks(
    book: PriceBook, account: PricedAccount, at_us: int, line: PricedLine
) -> tuple[SheetBreak, ...]:
    """The price at every break quantity of the rules behind the price, where it falls."""
    starts = sorted(
        {(b.min_quantity, r.level, r.mode) for r in line.rules for b in r.breaks},
        key=lambda s: s[0],
    )
    found: list[SheetBreak] = []
    previous = line.unit_price_micros
    for quantity, level, mode in starts:
        if found and found[-1].min_quantity == quantity:
            continue
        price = (
            _priced_alone(book, account, at_us, line.request.sku, quantity)
            .bands[-1]
            .unit_price_micros
        )
        if price < previous:
            found.append(SheetBreak(quantity, price, level, mode))
            previous = price
    return tuple(found)
