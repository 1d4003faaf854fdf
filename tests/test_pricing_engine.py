"""The pricing engine on plain values: precedence, windows, derived lists, breaks at every
level, volume and graduated modes, quantity rules, rounding and explanations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.pricing import (
    ACCOUNT,
    amount,
    book,
    breaks,
    contract,
    item,
    micros,
    one_line,
    price_list,
    quote,
    rule,
)

from wholesale.server.domain.price_audience import Audience, Level, PricedAccount
from wholesale.server.domain.price_book import LineRequest
from wholesale.server.domain.price_list import ListStatus
from wholesale.server.domain.price_rule import BreakMode, QuantityLevel, QuantityLimits
from wholesale.server.domain.price_sheet import price_sheet
from wholesale.server.domain.pricing_engine import Outcome, price_order
from wholesale.server.domain.quantity_problems import ProblemKind
from wholesale.server.domain.validity import Window

COFFEE = item("COF-1", "12.00", "beverages/coffee")
TEA = item("TEA-1", "8.00", "beverages/tea")
SUGAR = item("SUG-1", "3.00", "food/sweet")


def unit(line) -> Decimal:  # type: ignore[no-untyped-def]
    return amount(line.unit_price_micros)


def total(line) -> Decimal:  # type: ignore[no-untyped-def]
    return amount(line.line_total_micros)


class TestPrecedence:
    """Contract, then named-account lists, then tier and tag lists, then the base list,
    then the catalog price; each level falls through to the next when it has no price."""

    def setup_method(self) -> None:
        self.base = price_list("Base")
        self.gold = price_list("Gold", audience=Audience(tiers=frozenset({"gold"})))
        self.named = price_list("Named", audience=Audience(account_ids=frozenset({7})))
        self.rules = [
            rule(self.base, sku="COF-1", fixed="11.00"),
            rule(self.gold, sku="COF-1", fixed="10.50"),
            rule(self.named, sku="COF-1", fixed="11.50"),
        ]
        self.lists = [self.base, self.gold, self.named]

    def test_contract_beats_every_list_even_at_a_higher_price(self) -> None:
        line = one_line(
            book([COFFEE], self.lists, self.rules, [contract("COF-1", "11.90")]), "COF-1", 3
        )
        assert unit(line) == Decimal("11.90")
        assert line.source.level is Level.CONTRACT
        outcomes = [c.outcome for c in line.trace]
        assert outcomes == [Outcome.WON] + [Outcome.LOST_LEVEL] * 4

    def test_named_list_beats_tier_list_and_base(self) -> None:
        line = one_line(book([COFFEE], self.lists, self.rules), "COF-1", 1)
        assert (unit(line), line.source.price_list) == (Decimal("11.50"), self.named)

    def test_tier_list_beats_base_when_no_named_list(self) -> None:
        line = one_line(book([COFFEE], self.lists[:2], self.rules[:2]), "COF-1", 1)
        assert (unit(line), line.source.price_list) == (Decimal("10.50"), self.gold)

    def test_tag_list_counts_as_the_tier_level(self) -> None:
        organic = price_list("Organic", audience=Audience(tags=frozenset({"organic"})))
        lists = [self.base, organic]
        line = one_line(
            book([COFFEE], lists, [rule(organic, sku="COF-1", fixed="11.80"), self.rules[0]]),
            "COF-1",
            1,
        )
        assert line.source.level is Level.SEGMENT and unit(line) == Decimal("11.80")

    def test_base_list_when_the_account_is_in_no_other_audience(self) -> None:
        silver = PricedAccount(8, "silver", frozenset(), "EUR")
        line = one_line(book([COFFEE], self.lists, self.rules), "COF-1", 1, account=silver)
        assert (unit(line), line.source.level) == (Decimal("11.00"), Level.BASE)

    def test_catalog_price_when_no_list_prices_the_product(self) -> None:
        line = one_line(book([COFFEE, TEA], self.lists, self.rules), "TEA-1", 2)
        assert (unit(line), line.source.level) == (Decimal("8.00"), Level.CATALOG)
        assert {c.outcome for c in line.trace[1:]} == {Outcome.NO_RULE}

    def test_list_of_another_currency_is_skipped_with_its_reason(self) -> None:
        usd = price_list("USD list", audience=Audience(tiers=frozenset({"gold"})), currency="USD")
        line = one_line(book([COFFEE], [usd], [rule(usd, sku="COF-1", fixed="1.00")]), "COF-1", 1)
        assert line.source.level is Level.CATALOG
        assert line.trace[-1].outcome is Outcome.WRONG_CURRENCY

    def test_no_price_at_all_is_a_problem_not_a_failure(self) -> None:
        dollars = item("USD-1", "5.00")
        dollars = type(dollars)(
            dollars.sku, dollars.name, dollars.category, dollars.price_micros, "USD"
        )
        line = one_line(book([dollars]), "USD-1", 1)
        assert [p.kind for p in line.problems] == [ProblemKind.NO_PRICE]
        assert line.line_total_micros == 0


class TestTiesWithinALevel:
    """Higher priority, then the lower price, then the older list: never an error."""

    def test_higher_priority_wins_over_a_lower_price(self) -> None:
        high = price_list("High", priority=5)
        low = price_list("Low", priority=1)
        line = one_line(
            book(
                [COFFEE],
                [high, low],
                [rule(high, sku="COF-1", fixed="11.00"), rule(low, sku="COF-1", fixed="9.00")],
            ),
            "COF-1",
            1,
        )
        assert line.source.price_list == high
        assert line.trace[1].outcome is Outcome.LOST_PRIORITY

    def test_equal_priority_the_lower_price_wins(self) -> None:
        first = price_list("First")
        second = price_list("Second")
        rules = [rule(first, sku="COF-1", fixed="11.00"), rule(second, sku="COF-1", fixed="10.00")]
        line = one_line(book([COFFEE], [first, second], rules), "COF-1", 1)
        assert line.source.price_list == second
        assert line.trace[1].outcome is Outcome.LOST_PRICE

    def test_equal_priority_and_price_the_older_list_wins(self) -> None:
        younger = price_list("Younger", created=200)
        older = price_list("Older", created=100)
        rules = [rule(younger, sku="COF-1", fixed="10.00"), rule(older, sku="COF-1", fixed="10.00")]
        line = one_line(book([COFFEE], [younger, older], rules), "COF-1", 1)
        assert line.source.price_list == older
        assert line.trace[1].outcome is Outcome.LOST_AGE

    def test_two_rules_of_one_list_for_one_sku_the_lower_price_wins(self) -> None:
        base = price_list()
        rules = [rule(base, sku="COF-1", fixed="10.00"), rule(base, sku="COF-1", fixed="9.50")]
        assert unit(one_line(book([COFFEE], [base], rules), "COF-1", 1)) == Decimal("9.50")


class TestSpecificityWithinAList:
    def test_sku_rule_beats_category_rules_and_list_wide(self) -> None:
        base = price_list()
        rules = [
            rule(base, catalog_discount="1"),
            rule(base, category="beverages", catalog_discount="2"),
            rule(base, sku="COF-1", fixed="11.50"),
        ]
        assert unit(one_line(book([COFFEE], [base], rules), "COF-1", 1)) == Decimal("11.50")

    def test_deepest_category_rule_wins(self) -> None:
        base = price_list()
        rules = [
            rule(base, category="beverages", catalog_discount="50"),
            rule(base, category="beverages/coffee", catalog_discount="10"),
            rule(base, catalog_discount="90"),
        ]
        assert unit(one_line(book([COFFEE], [base], rules), "COF-1", 1)) == Decimal("10.80")

    def test_category_rule_covers_subcategories_only(self) -> None:
        base = price_list()
        rules = [rule(base, category="beverages", catalog_discount="50")]
        priced = book([COFFEE, SUGAR], [base], rules)
        assert unit(one_line(priced, "COF-1", 1)) == Decimal("6.00")
        assert one_line(priced, "SUG-1", 1).source.level is Level.CATALOG

    def test_list_wide_rule_prices_what_nothing_more_specific_does(self) -> None:
        base = price_list()
        rules = [rule(base, catalog_discount="5"), rule(base, sku="COF-1", fixed="1.00")]
        assert unit(one_line(book([COFFEE, SUGAR], [base], rules), "SUG-1", 1)) == Decimal("2.85")

    def test_a_rule_out_of_force_does_not_hide_a_less_specific_one(self) -> None:
        base = price_list()
        expired = Window(end_us=1_000)
        rules = [
            rule(base, sku="COF-1", fixed="1.00", window=expired),
            rule(base, catalog_discount="10"),
        ]
        assert unit(one_line(book([COFFEE], [base], rules), "COF-1", 1, at_us=1_000)) == Decimal(
            "10.80"
        )


class TestValidityWindows:
    """Start inclusive, end exclusive, to the microsecond, for lists, rules and contracts."""

    START, END = 1_000_000, 2_000_000

    @pytest.mark.parametrize(
        ("at_us", "in_force"),
        [(START - 1, False), (START, True), (END - 1, True), (END, False)],
    )
    def test_list_window_edges(self, at_us: int, in_force: bool) -> None:
        promo = price_list("Promo", window=Window(self.START, self.END), priority=1)
        base = price_list("Base")
        rules = [rule(promo, sku="COF-1", fixed="9.00"), rule(base, sku="COF-1", fixed="11.00")]
        line = one_line(book([COFFEE], [promo, base], rules), "COF-1", 1, at_us=at_us)
        assert (line.source.price_list == promo) is in_force
        if not in_force:
            promo_entry = next(c for c in line.trace if c.source.price_list == promo)
            assert promo_entry.outcome is Outcome.NOT_IN_FORCE
            assert promo_entry.reason.startswith("starts" if at_us < self.START else "ended")

    @pytest.mark.parametrize(
        ("at_us", "price"), [(START - 1, "11.00"), (START, "9.00"), (END, "11.00")]
    )
    def test_rule_window_edges(self, at_us: int, price: str) -> None:
        base = price_list()
        rules = [
            rule(base, sku="COF-1", fixed="9.00", window=Window(self.START, self.END)),
            rule(base, category="beverages", fixed="11.00"),
        ]
        assert unit(one_line(book([COFFEE], [base], rules), "COF-1", 1, at_us=at_us)) == Decimal(
            price
        )

    @pytest.mark.parametrize(("at_us", "level"), [(START, Level.CONTRACT), (END, Level.CATALOG)])
    def test_contract_window_edges(self, at_us: int, level: Level) -> None:
        deal = contract("COF-1", "7.00", window=Window(self.START, self.END))
        assert (
            one_line(book([COFFEE], contracts=[deal]), "COF-1", 1, at_us=at_us).source.level
            is level
        )

    def test_draft_list_prices_only_when_previewed(self) -> None:
        draft = price_list("Draft", status=ListStatus.DRAFT)
        rules = [rule(draft, sku="COF-1", fixed="5.00")]
        assert one_line(book([COFFEE], [draft], rules), "COF-1", 1).source.level is Level.CATALOG
        previewed = one_line(book([COFFEE], [draft], rules, previews=[draft.id]), "COF-1", 1)
        assert unit(previewed) == Decimal("5.00")

    def test_archived_list_never_prices(self) -> None:
        old = price_list("Old", status=ListStatus.ARCHIVED)
        rules = [rule(old, sku="COF-1", fixed="5.00")]
        line = one_line(book([COFFEE], [old], rules, previews=[old.id]), "COF-1", 1)
        assert line.source.level is Level.CATALOG


class TestDerivedLists:
    def test_derived_list_keeps_the_parents_breaks_and_adjusts_them(self) -> None:
        base = price_list("Base")
        gold = price_list(
            "Gold", audience=Audience(tiers=frozenset({"gold"})), parent=base, parent_discount="10"
        )
        rules = [rule(base, sku="COF-1", fixed="12.00", steps=breaks((10, "11.00"), (50, "10.00")))]
        priced = book([COFFEE], [base, gold], rules)
        assert [unit(one_line(priced, "COF-1", q)) for q in (1, 10, 50)] == [
            Decimal("10.80"),
            Decimal("9.90"),
            Decimal("9.00"),
        ]
        line = one_line(priced, "COF-1", 10)
        assert line.source.price_list == gold and line.source.rule == rules[0]

    def test_derived_list_keeps_graduated_bands(self) -> None:
        base = price_list("Base")
        child = price_list(
            "Child", audience=Audience(tiers=frozenset({"gold"})), parent=base, parent_discount="50"
        )
        rules = [
            rule(
                base,
                sku="COF-1",
                fixed="100.00",
                steps=breaks((6, "50.00")),
                mode=BreakMode.GRADUATED,
            )
        ]
        line = one_line(book([COFFEE], [base, child], rules), "COF-1", 8)
        assert [(b.quantity, amount(b.unit_price_micros)) for b in line.bands] == [
            (5, Decimal("50.00")),
            (3, Decimal("25.00")),
        ]
        assert total(line) == Decimal("325.00")

    def test_own_rule_beats_the_parents_price(self) -> None:
        base = price_list("Base")
        child = price_list(
            "Child", audience=Audience(tiers=frozenset({"gold"})), parent=base, parent_discount="10"
        )
        rules = [rule(base, sku="COF-1", fixed="12.00"), rule(child, sku="COF-1", fixed="11.90")]
        assert unit(one_line(book([COFFEE], [base, child], rules), "COF-1", 1)) == Decimal("11.90")

    def test_percent_off_parent_with_own_breaks(self) -> None:
        """The issue's example: list 12.00; gold -10% = 10.80; 48+ across the category = 10.20."""
        base = price_list("Base")
        gold = price_list("Gold", audience=Audience(tiers=frozenset({"gold"})), parent=base)
        rules = [
            rule(base, category="beverages", fixed="12.00"),
            rule(
                gold,
                category="beverages",
                parent_discount="10",
                steps=breaks((48, "15%")),
                level=QuantityLevel.CATEGORY,
            ),
        ]
        order = quote(book([COFFEE, TEA], [base, gold], rules), ("COF-1", 30), ("TEA-1", 22))
        coffee = order.lines[0]
        assert unit(coffee) == Decimal("10.20")
        assert "Gold" in coffee.explanation and "-10% of parent = 10.80" in coffee.explanation
        assert "break at 48+ units across beverages (52 in the order) = 10.20" in coffee.explanation
        assert coffee.explanation.startswith("catalog 12.00; Base")

    def test_parent_out_of_force_means_no_price_from_the_child(self) -> None:
        base = price_list("Base", window=Window(end_us=100))
        child = price_list(
            "Child", audience=Audience(tiers=frozenset({"gold"})), parent=base, parent_discount="10"
        )
        rules = [rule(base, sku="COF-1", fixed="12.00")]
        line = one_line(book([COFFEE], [base, child], rules), "COF-1", 1, at_us=100)
        child_entry = next(c for c in line.trace if c.source.price_list == child)
        assert child_entry.outcome is Outcome.NO_RULE and "ended" in child_entry.reason

    def test_a_parent_cycle_ends_in_no_price(self) -> None:
        first = price_list("First")
        second = price_list("Second", parent=first)
        looped = type(first)(**{**first.__dict__, "parent_id": second.id})
        line = one_line(book([COFFEE], [looped, second]), "COF-1", 1)
        assert line.source.level is Level.CATALOG


class TestBreakLevels:
    """Volume breaks counted on the line, the product across lines, the category across
    lines, or the whole order."""

    def setup_method(self) -> None:
        self.base = price_list()

    def price(
        self, level: QuantityLevel, *lines: tuple[str, int], category: str = ""
    ) -> list[Decimal]:
        target = {"category": category} if category else {}
        rules = [
            rule(self.base, catalog_discount="0", steps=breaks((10, "10%")), level=level, **target)
        ]
        order = quote(book([COFFEE, TEA, SUGAR], [self.base], rules), *lines)
        return [unit(line) for line in order.lines]

    def test_line_level_counts_one_line(self) -> None:
        assert self.price(QuantityLevel.LINE, ("COF-1", 6), ("COF-1", 6)) == [Decimal("12.00")] * 2

    def test_product_level_adds_the_lines_of_one_sku(self) -> None:
        assert self.price(QuantityLevel.PRODUCT, ("COF-1", 6), ("COF-1", 6), ("TEA-1", 9)) == [
            Decimal("10.80"),
            Decimal("10.80"),
            Decimal("8.00"),
        ]

    def test_category_level_adds_lines_of_the_category_and_below(self) -> None:
        prices = self.price(
            QuantityLevel.CATEGORY, ("COF-1", 4), ("TEA-1", 6), ("SUG-1", 50), category="beverages"
        )
        assert prices == [Decimal("10.80"), Decimal("7.20"), Decimal("3.00")]

    def test_category_level_below_the_break(self) -> None:
        prices = self.price(
            QuantityLevel.CATEGORY, ("COF-1", 4), ("TEA-1", 5), ("SUG-1", 50), category="beverages"
        )
        assert prices == [Decimal("12.00"), Decimal("8.00"), Decimal("3.00")]

    def test_order_level_adds_every_line(self) -> None:
        assert self.price(QuantityLevel.ORDER, ("COF-1", 3), ("SUG-1", 7)) == [
            Decimal("10.80"),
            Decimal("2.70"),
        ]


class TestModes:
    def test_volume_prices_every_unit_at_the_reached_break(self) -> None:
        base = price_list()
        rules = [rule(base, sku="COF-1", fixed="100.00", steps=breaks((6, "50.00")))]
        line = one_line(book([COFFEE], [base], rules), "COF-1", 8)
        assert (unit(line), total(line)) == (Decimal("50.00"), Decimal("400.00"))

    def test_graduated_prices_each_band_at_its_own_price(self) -> None:
        base = price_list()
        rules = [
            rule(
                base,
                sku="COF-1",
                fixed="100.00",
                steps=breaks((6, "50.00"), (11, "40.00")),
                mode=BreakMode.GRADUATED,
            )
        ]
        priced = book([COFFEE], [base], rules)
        eight = one_line(priced, "COF-1", 8)
        assert total(eight) == Decimal("650.00")
        assert "5 x 100.00 + 3 x 50.00 = 650.00" in eight.explanation
        twelve = one_line(priced, "COF-1", 12)
        assert total(twelve) == Decimal("830.00")  # 5 x 100 + 5 x 50 + 2 x 40
        assert one_line(priced, "COF-1", 5).bands[0].quantity == 5

    def test_graduated_discount_bands(self) -> None:
        base = price_list()
        rules = [
            rule(
                base,
                sku="COF-1",
                catalog_discount="0",
                steps=breaks((3, "50%")),
                mode=BreakMode.GRADUATED,
            )
        ]
        assert total(one_line(book([COFFEE], [base], rules), "COF-1", 4)) == Decimal("36.00")


class TestNextBreak:
    def test_hint_for_the_next_volume_break_across_the_category(self) -> None:
        base = price_list()
        rules = [
            rule(
                base,
                category="beverages",
                fixed="12.00",
                steps=breaks((48, "10.20"), (72, "9.90")),
                level=QuantityLevel.CATEGORY,
            )
        ]
        order = quote(book([COFFEE, TEA], [base], rules), ("COF-1", 30), ("TEA-1", 18))
        hint = order.lines[0].next_break
        assert hint is not None
        assert (hint.more_quantity, amount(hint.unit_price_micros)) == (24, Decimal("9.90"))
        assert hint.description == "24 more units across beverages: 9.90 each"

    def test_no_hint_past_the_last_break(self) -> None:
        base = price_list()
        rules = [rule(base, sku="COF-1", fixed="12.00", steps=breaks((10, "10.00")))]
        assert one_line(book([COFFEE], [base], rules), "COF-1", 10).next_break is None

    def test_hint_for_the_next_graduated_band(self) -> None:
        base = price_list()
        rules = [
            rule(
                base,
                sku="COF-1",
                fixed="100.00",
                steps=breaks((6, "50.00")),
                mode=BreakMode.GRADUATED,
            )
        ]
        hint = one_line(book([COFFEE], [base], rules), "COF-1", 4).next_break
        assert hint is not None and hint.more_quantity == 2
        assert hint.description == "2 more units: 50.00 each from unit 6 on"

    def test_hint_through_a_derived_list(self) -> None:
        base = price_list("Base")
        gold = price_list(
            "Gold", audience=Audience(tiers=frozenset({"gold"})), parent=base, parent_discount="10"
        )
        rules = [rule(base, sku="COF-1", fixed="12.00", steps=breaks((10, "11.00")))]
        hint = one_line(book([COFFEE], [base, gold], rules), "COF-1", 4).next_break
        assert hint is not None and (hint.more_quantity, amount(hint.unit_price_micros)) == (
            6,
            Decimal("9.90"),
        )


class TestQuantityRules:
    @pytest.mark.parametrize(
        ("quantity", "kinds"),
        [
            (6, [ProblemKind.BELOW_MINIMUM]),
            (13, [ProblemKind.NOT_A_MULTIPLE]),
            (12, []),
            (7, [ProblemKind.BELOW_MINIMUM, ProblemKind.NOT_A_MULTIPLE]),
            (126, [ProblemKind.ABOVE_MAXIMUM]),
        ],
    )
    def test_limits_of_the_winning_rule(self, quantity: int, kinds: list[ProblemKind]) -> None:
        base = price_list()
        limits = QuantityLimits(minimum=12, increment=6, maximum=120)
        rules = [rule(base, sku="COF-1", fixed="10.00", limits=limits)]
        line = one_line(book([COFFEE], [base], rules), "COF-1", quantity)
        assert [p.kind for p in line.problems] == kinds
        assert total(line) == Decimal("10.00") * quantity

    def test_pack_message_names_the_nearest_quantities(self) -> None:
        base = price_list()
        rules = [rule(base, sku="COF-1", fixed="10.00", limits=QuantityLimits(increment=6))]
        assert one_line(book([COFFEE], [base], rules), "COF-1", 13).problems[0].message == (
            "sold in multiples of 6: 12 or 18"
        )


class TestRounding:
    def test_ten_percent_of_175_56_is_158_00_at_any_quantity(self) -> None:
        base = price_list()
        product = item("P-1", "175.56")
        rules = [rule(base, sku="P-1", catalog_discount="10")]
        priced = book([product], [base], rules)
        for quantity in (1, 7, 1000):
            line = one_line(priced, "P-1", quantity)
            assert unit(line) == Decimal("158.00")
            assert total(line) == Decimal("158.00") * quantity

    def test_increment_of_five_cents(self) -> None:
        base = price_list(increment="0.05")
        rules = [rule(base, sku="COF-1", catalog_discount="7")]  # 12.00 x 0.93 = 11.16
        line = one_line(book([COFFEE], [base], rules), "COF-1", 3)
        assert (unit(line), total(line)) == (Decimal("11.15"), Decimal("33.45"))
        assert "(rounded to 0.05)" in line.explanation

    def test_half_up_at_the_increment(self) -> None:
        base = price_list(increment="0.05")
        rules = [rule(base, sku="COF-1", fixed="10.025")]
        assert one_line(book([COFFEE], [base], rules), "COF-1", 1).unit_price_micros == micros(
            "10.05"
        )

    def test_order_total_is_the_sum_of_lines_and_discount_the_difference(self) -> None:
        base = price_list()
        rules = [rule(base, catalog_discount="3.3")]
        order = quote(
            book([COFFEE, TEA, SUGAR], [base], rules), ("COF-1", 3), ("TEA-1", 7), ("SUG-1", 11)
        )
        assert order.total_micros == sum(line.line_total_micros for line in order.lines)
        assert (
            order.subtotal_micros == micros("12.00") * 3 + micros("8.00") * 7 + micros("3.00") * 11
        )
        assert order.discount_micros == order.subtotal_micros - order.total_micros


def test_trace_lists_every_candidate_once() -> None:
    base = price_list("Base")
    gold = price_list("Gold", audience=Audience(tiers=frozenset({"gold"})))
    line = one_line(
        book(
            [COFFEE],
            [base, gold],
            [rule(base, sku="COF-1", fixed="11.00")],
            [contract("COF-1", "9.00")],
        ),
        "COF-1",
        1,
    )
    kinds = [(c.source.level, c.outcome) for c in line.trace]
    assert kinds == [
        (Level.CONTRACT, Outcome.WON),
        (Level.BASE, Outcome.LOST_LEVEL),
        (Level.CATALOG, Outcome.LOST_LEVEL),
        (Level.SEGMENT, Outcome.NO_RULE),
    ]
    assert ACCOUNT.currency == "EUR"


class TestPriceSheet:
    def test_sheet_shows_the_derived_price_and_its_breaks(self) -> None:
        base = price_list("Base")
        gold = price_list(
            "Gold", audience=Audience(tiers=frozenset({"gold"})), parent=base, parent_discount="10"
        )
        rules = [
            rule(base, sku="COF-1", fixed="12.00", steps=breaks((10, "11.00"), (50, "10.00"))),
            rule(
                base,
                category="beverages/tea",
                catalog_discount="0",
                steps=breaks((6, "50%")),
                mode=BreakMode.GRADUATED,
            ),
        ]
        sheet = price_sheet(
            book([COFFEE, TEA, SUGAR], [base, gold], rules),
            ACCOUNT,
            10**15,
            ["COF-1", "SUG-1", "TEA-1"],
        )
        coffee, sugar, tea = sheet
        assert unit(coffee.line) == Decimal("10.80")
        assert [(b.min_quantity, amount(b.unit_price_micros)) for b in coffee.breaks] == [
            (10, Decimal("9.90")),
            (50, Decimal("9.00")),
        ]
        assert sugar.breaks == () and sugar.line.source.level is Level.CATALOG
        assert [(b.min_quantity, amount(b.unit_price_micros), b.mode) for b in tea.breaks] == [
            (6, Decimal("3.60"), BreakMode.GRADUATED)
        ]


def test_without_a_trace_the_figures_and_explanation_are_the_same() -> None:
    base = price_list()
    rules = [rule(base, category="beverages", catalog_discount="5", steps=breaks((10, "10%")))]
    priced = book([COFFEE, TEA], [base], rules, [contract("TEA-1", "7.00")])
    lines = [LineRequest("COF-1", 4), LineRequest("TEA-1", 3)]
    full = price_order(priced, ACCOUNT, 10**15, lines)
    lean = price_order(priced, ACCOUNT, 10**15, lines, traced=False)
    assert all(line.trace for line in full.lines) and not any(line.trace for line in lean.lines)

    def figures(order):  # type: ignore[no-untyped-def]
        return [(x.line_total_micros, x.explanation, x.next_break) for x in order.lines]

    assert figures(lean) == figures(full)
