"""A price book: the catalog items, lists, rules and contract prices a quote may use, as
they were in force and recorded at the moment priced, indexed for the engine.

The store loads only what can apply to the account and the quote's products; the index
lets the engine find a product's rules without scanning a list, so the cost of a quote does
not grow with rules that cannot apply.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.price_audience import PricedAccount
from wholesale.server.domain.price_list import PriceList
from wholesale.server.domain.price_rule import PriceRule
from wholesale.server.domain.product import enclosing_categories


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    category: str
    price_micros: int
    currency: str

    @functools.cached_property
    def categories(self) -> tuple[str, ...]:
        """The item's category and every category above it, the deepest first (asked for
        by every list a line meets, so worked out once)."""
        return enclosing_categories(self.category)


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderCounts:
    """Units per SKU, per category (each category counts everything below it) and in all,
    the quantities that volume breaks above line level count."""

    by_sku: dict[str, int]
    by_category: dict[str, int]
    total: int


@dataclass
class _ListRules:
    by_sku: dict[str, list[PriceRule]] = field(default_factory=lambda: defaultdict(list))
    by_category: dict[str, list[PriceRule]] = field(default_factory=lambda: defaultdict(list))
    list_wide: list[PriceRule] = field(default_factory=list)


class PriceBook:
    def __init__(
        self,
        items: Iterable[CatalogItem],
        lists: Iterable[PriceList],
        rules: Iterable[PriceRule],
        contracts: Iterable[ContractPrice] = (),
        previews: frozenset[int] = frozenset(),
    ) -> None:
        self._items = {item.sku: item for item in items}
        self.lists = {price_list.id: price_list for price_list in lists}
        self.previews = previews
        self._rules: dict[int, _ListRules] = defaultdict(_ListRules)
        for rule in rules:
            self._index(rule)
        self._contracts: dict[str, list[ContractPrice]] = defaultdict(list)
        for contract in contracts:
            self._contracts[contract.sku].append(contract)

    def _index(self, rule: PriceRule) -> None:
        rules = self._rules[rule.list_id]
        if rule.target.sku:
            rules.by_sku[rule.target.sku].append(rule)
        elif rule.target.category:
            rules.by_category[rule.target.category].append(rule)
        else:
            rules.list_wide.append(rule)

    def item(self, sku: str) -> CatalogItem:
        return self._items[sku]

    @property
    def items(self) -> Iterable[CatalogItem]:
        return self._items.values()

    def lists_for(self, account: PricedAccount) -> list[PriceList]:
        """The lists that may price quotes for ``account``, their validity aside."""
        return [
            price_list
            for price_list in self.lists.values()
            if price_list.audience.includes(account) and price_list.quotable(self.previews)
        ]

    def contracts_for(self, sku: str) -> Sequence[ContractPrice]:
        return self._contracts.get(sku, ())

    def rules_in_force(self, list_id: int, item: CatalogItem, at_us: int) -> list[PriceRule]:
        """The list's most specific rules for ``item`` in force at ``at_us``: its SKU's, else
        its deepest category's, else the list-wide ones (several only if they tie)."""
        rules = self._rules.get(list_id)
        if rules is None:
            return []
        buckets = (
            rules.by_sku.get(item.sku, ()),
            *(rules.by_category.get(category, ()) for category in item.categories),
            rules.list_wide,
        )
        for bucket in buckets:
            in_force = [rule for rule in bucket if rule.window.contains(at_us)]
            if in_force:
                return in_force
        return []

    def order_counts(self, lines: Iterable[LineRequest]) -> OrderCounts:
        by_sku: dict[str, int] = defaultdict(int)
        by_category: dict[str, int] = defaultdict(int)
        total = 0
        for line in lines:
            by_sku[line.sku] += line.quantity
            for category in self.item(line.sku).categories:
                by_category[category] += line.quantity
            total += line.quantity
        return OrderCounts(dict(by_sku), dict(by_category), total)
