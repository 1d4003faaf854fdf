"""Properties of the pricing engine over generated price books (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from support.pricing import book, item, micros, price_list, quote, rule

from wholesale.server.domain.discount import discounted
from wholesale.server.domain.price_audience import Audience
from wholesale.server.domain.price_book import CatalogItem, PriceBook
from wholesale.server.domain.price_rule import (
    BreakMode,
    PriceRule,
    QuantityBreak,
    QuantityLevel,
    validate_rule,
)
from wholesale.server.errors import Validator

CATEGORIES = ("beverages/coffee", "beverages/tea", "beverages", "food/sweet", "food")
SKUS = ("A", "B", "C", "D")

cents = st.integers(min_value=1, max_value=100_000).map(lambda c: f"{Decimal(c) / 100:.2f}")
percent = st.integers(min_value=0, max_value=6000).map(lambda p: Decimal(p) / 100)
quantity = st.integers(min_value=1, max_value=300)


@st.composite
def catalogs(draw: st.DrawFn) -> list[CatalogItem]:
    return [item(sku, draw(cents), draw(st.sampled_from(CATEGORIES))) for sku in SKUS]


@st.composite
def discount_breaks(draw: st.DrawFn, floor: Decimal) -> tuple[QuantityBreak, ...]:
    """Breaks whose discounts grow with the quantity, starting at ``floor``."""
    starts = sorted(draw(st.sets(st.integers(min_value=2, max_value=200), max_size=4)))
    found, current = [], floor
    for start in starts:
        current = min(Decimal(100), current + draw(percent) / 4)
        found.append(QuantityBreak(start, discount=current))
    return tuple(found)


@st.composite
def discounting_books(draw: st.DrawFn) -> PriceBook:
    """Books without markups: discounts of 0-60 %, fixed prices at most the catalog's."""
    items = draw(catalogs())
    lists, rules = [], []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        parent = (
            lists[draw(st.integers(0, len(lists) - 1))] if lists and draw(st.booleans()) else None
        )
        audience = (
            Audience(everyone=True) if draw(st.booleans()) else Audience(tiers=frozenset({"gold"}))
        )
        owner = price_list(
            f"L{index}",
            audience=audience,
            priority=draw(st.integers(0, 2)),
            parent=parent,
            parent_discount=str(draw(percent)) if parent else "0",
        )
        lists.append(owner)
        for _ in range(draw(st.integers(0, 4))):
            rules.append(draw(discount_rules(owner, items, parent is not None)))
    return book(items, lists, rules)


@st.composite
def discount_rules(draw: st.DrawFn, owner, items: list[CatalogItem], has_parent: bool) -> PriceRule:  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["sku", "category", "all"]))
    target: dict[str, str] = {}
    if kind == "sku":
        target["sku"] = draw(st.sampled_from(SKUS))
    elif kind == "category":
        target["category"] = draw(st.sampled_from(CATEGORIES))
    mode = draw(st.sampled_from(BreakMode))
    levels = [QuantityLevel.LINE]
    if mode is BreakMode.VOLUME:
        levels += [QuantityLevel.PRODUCT, QuantityLevel.ORDER]
        if kind == "category":
            levels.append(QuantityLevel.CATEGORY)
    basis = draw(st.sampled_from(["catalog", "parent"] if has_parent else ["catalog"]))
    base = draw(percent)
    steps = draw(discount_breaks(base))
    found = rule(
        owner,
        **target,
        **{f"{basis}_discount": str(base)},
        steps=steps,
        mode=mode,
        level=draw(st.sampled_from(levels)),
    )
    v = Validator()
    validate_rule(v, found, has_parent)
    assert not v.violations, v.violations
    return found


orders = st.lists(st.tuples(st.sampled_from(SKUS), quantity), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(discounting_books(), orders)
def test_without_markups_no_line_costs_more_than_its_catalog_price(
    priced: PriceBook, lines
) -> None:  # type: ignore[no-untyped-def]
    for line in quote(priced, *lines).lines:
        assert line.line_total_micros <= line.catalog_total_micros


@settings(max_examples=200, deadline=None)
@given(discounting_books(), orders, st.randoms(use_true_random=False))
def test_the_order_of_the_lines_changes_nothing(priced: PriceBook, lines, random) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(lines)
    random.shuffle(shuffled)

    def figures(order):  # type: ignore[no-untyped-def]
        return sorted(
            (line.request.sku, line.request.quantity, line.line_total_micros, line.explanation)
            for line in order.lines
        )

    first, second = quote(priced, *lines), quote(priced, *shuffled)
    assert figures(first) == figures(second)
    assert first.total_micros == second.total_micros


@settings(max_examples=200, deadline=None)
@given(discounting_books(), orders)
def test_the_order_total_is_the_sum_of_exact_line_totals(priced: PriceBook, lines) -> None:  # type: ignore[no-untyped-def]
    order = quote(priced, *lines)
    assert order.total_micros == sum(line.line_total_micros for line in order.lines)
    for line in order.lines:
        assert line.line_total_micros == sum(b.quantity * b.unit_price_micros for b in line.bands)
        assert line.line_total_micros % 10_000 == 0  # whole cents


@st.composite
def single_rules(draw: st.DrawFn) -> tuple[PriceBook, str]:
    owner = price_list("Only", increment=draw(st.sampled_from(["0.01", "0.05", "1.00"])))
    mode = draw(st.sampled_from(BreakMode))
    if draw(st.booleans()):
        base = draw(st.integers(min_value=100, max_value=100_000))
        starts = sorted(draw(st.sets(st.integers(min_value=2, max_value=60), max_size=4)))
        prices = sorted(
            (draw(st.integers(min_value=0, max_value=base)) for _ in starts), reverse=True
        )
        steps = tuple(
            QuantityBreak(s, unit_price_micros=p * 10_000)
            for s, p in zip(starts, prices, strict=True)
        )
        found = rule(owner, sku="A", fixed=f"{Decimal(base) / 100}", steps=steps, mode=mode)
    else:
        base_discount = draw(percent)
        found = rule(
            owner,
            sku="A",
            catalog_discount=str(base_discount),
            steps=draw(discount_breaks(base_discount)),
            mode=mode,
        )
    return book([item("A", draw(cents))], [owner], [found]), mode.value


@settings(max_examples=200, deadline=None)
@given(single_rules())
def test_within_one_rule_more_quantity_never_raises_the_unit_price(case) -> None:  # type: ignore[no-untyped-def]
    priced, _mode = case
    units = [quote(priced, ("A", q)).lines[0].unit_price_micros for q in range(1, 80)]
    assert units == sorted(units, reverse=True)


@settings(max_examples=100, deadline=None)
@given(cents, percent, percent, quantity)
def test_a_derived_list_is_its_parents_price_adjusted_and_rounded(
    catalog, base_discount, adjustment, q
) -> None:  # type: ignore[no-untyped-def]
    parent = price_list("Parent")
    child = price_list(
        "Child",
        audience=Audience(tiers=frozenset({"gold"})),
        parent=parent,
        parent_discount=str(adjustment),
    )
    priced = book(
        [item("A", catalog)], [parent, child], [rule(parent, catalog_discount=str(base_discount))]
    )
    line = quote(priced, ("A", q)).lines[0]
    parent_price = discounted(micros(catalog), base_discount, 10_000)
    assert line.unit_price_micros == discounted(parent_price, adjustment, 10_000)
    assert line.source.price_list == child
