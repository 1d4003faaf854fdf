"""Price conflicts on plain values: which rules and lists tie, what the warning says, and
that the save-time check and the listing a stretch at a time agree with the full listing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from support.pricing import every_conflict, price_list, rule

from wholesale.server.domain.price_audience import Audience, Level
from wholesale.server.domain.price_conflicts import (
    ConflictSide,
    PriceConflict,
    TieIndex,
    conflicts_led_by,
    conflicts_of,
    lists_may_tie,
)
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import PriceRule, RuleTarget
from wholesale.server.domain.validity import Window

CATEGORY_OF = {"COF-1": "beverages/coffee", "COF-2": "beverages/coffee", "TEA-1": "beverages/tea"}
GOLD = Audience(tiers=frozenset({"gold"}))
SILVER = Audience(tiers=frozenset({"silver"}))
ORGANIC = Audience(tags=frozenset({"organic"}))


def at(day: int, month: int = 1) -> int:
    return int(datetime(2026, month, day, tzinfo=UTC).timestamp() * 1_000_000)


def found(lists: Iterable[PriceList], rules: Iterable[PriceRule]) -> list[PriceConflict]:
    return every_conflict({pl.id: pl for pl in lists}, rules, CATEGORY_OF)


def pairs(conflicts: Iterable[PriceConflict]) -> set[tuple[int | None, int | None]]:
    return {(c.first.rule_id, c.second.rule_id) for c in conflicts}


def test_same_sku_at_the_same_level_and_priority_conflicts() -> None:
    gold = price_list("Gold", audience=GOLD, created=100)
    promo = price_list("Gold promo", audience=GOLD, window=Window(at(1), None), created=200)
    a, b = rule(gold, sku="COF-1", fixed="10.00"), rule(promo, sku="COF-1", fixed="9.00")

    (conflict,) = found([gold, promo], [a, b])

    assert conflict.first == ConflictSide(gold.id, 1, "Gold", a.id, 1)
    assert conflict.second == ConflictSide(promo.id, 1, "Gold promo", b.id, 1)
    assert (conflict.level, conflict.priority) == (Level.SEGMENT, 0)
    assert conflict.reason == (
        f"same SKU COF-1 in Gold (list {gold.id} v1) and Gold promo (list {promo.id} v1): "
        "both tier and tag lists of priority 0, in force together from 2026-01-01 00:00 UTC, "
        "audiences may share accounts (tier gold)"
    )
    assert conflict.resolution == (
        f"quotes take the lower price, then the older list: Gold (list {gold.id})"
    )


def test_the_older_list_is_named_by_its_creation_not_its_id() -> None:
    newer = price_list("Newer", created=500)
    older = price_list("Older", created=100)

    (conflict,) = found([newer, older], [rule(newer, sku="COF-1"), rule(older, sku="COF-1")])

    assert conflict.resolution.endswith(f"the older list: Older (list {older.id})")


def test_different_priorities_do_not_conflict() -> None:
    a, b = price_list("A"), price_list("B", priority=1)

    assert found([a, b], [rule(a, sku="COF-1"), rule(b, sku="COF-1")]) == []


def test_different_levels_do_not_conflict() -> None:
    base, gold = price_list("Base"), price_list("Gold", audience=GOLD)

    assert found([base, gold], [rule(base, sku="COF-1"), rule(gold, sku="COF-1")]) == []


def test_windows_touching_at_an_edge_do_not_conflict_the_end_being_exclusive() -> None:
    january = price_list("January", window=Window(None, at(1, 2)))
    february = price_list("February", window=Window(at(1, 2), None))
    a, b = rule(january, sku="COF-1"), rule(february, sku="COF-1")
    assert found([january, february], [a, b]) == []

    late = replace(january, window=Window(None, at(1, 2) + 1))
    (conflict,) = found([late, february], [a, b])
    assert "in force together from 2026-02-01 00:00 UTC until 2026-02-01 00:00 UTC" in (
        conflict.reason
    )


def test_the_rule_window_narrows_its_list_window() -> None:
    a, b = price_list("A"), price_list("B")
    early = rule(a, sku="COF-1", window=Window(None, at(10)))
    later = rule(b, sku="COF-1", window=Window(at(10), None))

    assert found([a, b], [early, later]) == []
    assert found([replace(a, window=Window(at(20), None)), b], [early, rule(b, sku="COF-1")]) == []


def test_different_currencies_do_not_conflict() -> None:
    euros, dollars = price_list("EUR"), price_list("USD", currency="USD")

    assert found([euros, dollars], [rule(euros, sku="COF-1"), rule(dollars, sku="COF-1")]) == []


def test_disjoint_tiers_do_not_conflict() -> None:
    gold, silver = price_list("Gold", audience=GOLD), price_list("Silver", audience=SILVER)

    assert found([gold, silver], [rule(gold, sku="COF-1"), rule(silver, sku="COF-1")]) == []


def test_disjoint_named_accounts_do_not_conflict_and_shared_ones_do() -> None:
    seven = price_list("Seven", audience=Audience(account_ids=frozenset({7})))
    eight = price_list("Eight", audience=Audience(account_ids=frozenset({8})))
    both = price_list("Both", audience=Audience(account_ids=frozenset({7, 8, 9})))
    rules = [rule(pl, sku="COF-1") for pl in (seven, eight, both)]

    conflicts = found([seven, eight, both], rules)

    assert pairs(conflicts) == {(rules[0].id, rules[2].id), (rules[1].id, rules[2].id)}
    assert conflicts[0].reason.endswith("audiences may share accounts (accounts 7)")


def test_a_tier_list_and_a_tag_list_may_share_an_account() -> None:
    gold, organic = price_list("Gold", audience=GOLD), price_list("Organic", audience=ORGANIC)

    (conflict,) = found([gold, organic], [rule(gold, sku="COF-1"), rule(organic, sku="COF-1")])

    assert conflict.reason.endswith(
        "audiences may share accounts (an account in tier gold and in tag organic)"
    )


def test_an_archived_list_does_not_conflict_but_a_draft_does() -> None:
    active = price_list("Active")
    archived = price_list("Archived", status=ListStatus.ARCHIVED)
    draft = price_list("Draft", status=ListStatus.DRAFT)
    rules = [rule(pl, sku="COF-1") for pl in (active, archived, draft)]

    assert pairs(found([active, archived, draft], rules)) == {(rules[0].id, rules[2].id)}


def test_a_list_wide_rule_conflicts_with_any_target() -> None:
    wide = price_list("Wide")
    other = price_list("Other")
    everything = rule(wide, catalog_discount="5")
    targets = [rule(other, sku="COF-1"), rule(other, sku="UNKNOWN"), rule(other, category="food")]

    conflicts = found([wide, other], [everything, *targets])

    assert pairs(conflicts) == {(everything.id, target.id) for target in targets}
    assert conflicts[0].reason.startswith(
        f"every product in Wide (list {wide.id} v1) and SKU COF-1 in Other (list {other.id} v1)"
    )


def test_a_category_conflicts_with_its_subcategories_not_its_siblings() -> None:
    a, b = price_list("A"), price_list("B")
    beverages = rule(a, category="beverages")
    tea, coffee = rule(b, category="beverages/tea"), rule(a, category="beverages/coffee")

    assert pairs(found([a, b], [beverages, tea, coffee])) == {(beverages.id, tea.id)}


def test_a_category_name_prefix_is_not_a_parent_category() -> None:
    a, b = price_list("A"), price_list("B")

    assert found([a, b], [rule(a, category="bev"), rule(b, category="beverages")]) == []


def test_a_sku_conflicts_with_the_categories_enclosing_its_category() -> None:
    a, b = price_list("A"), price_list("B")
    coffee_sku = rule(a, sku="COF-1")
    enclosing = [rule(b, category="beverages"), rule(b, category="beverages/coffee")]
    unrelated = [rule(b, category="beverages/tea"), rule(b, sku="COF-2")]

    assert pairs(found([a, b], [coffee_sku, *enclosing, *unrelated])) == {
        (coffee_sku.id, r.id) for r in enclosing
    }


def test_an_unknown_sku_overlaps_only_the_same_sku() -> None:
    a, b = price_list("A"), price_list("B")
    unknown = rule(a, sku="NEW-1")
    same, category = rule(b, sku="NEW-1"), rule(b, category="beverages")

    assert pairs(found([a, b], [unknown, same, category])) == {(unknown.id, same.id)}


def test_inherited_prices_are_a_list_wide_claim_without_a_rule() -> None:
    base = price_list("Base")
    derived = price_list("Derived", parent=base, parent_discount="5")
    own = rule(derived, sku="TEA-1", fixed="7.00")
    coffee = rule(base, sku="COF-1", fixed="11.00")

    conflicts = found([base, derived], [coffee, own])

    # Derived's inheritance meets Base's COF-1 rule, and its TEA-1 rule meets nothing of
    # Base; its inheritance never ties with its own rule, which replaces it.
    assert [(c.first, c.second) for c in conflicts] == [
        (ConflictSide(base.id, 1, "Base", coffee.id, 1), ConflictSide(derived.id, 1, "Derived"))
    ]
    assert conflicts[0].reason.startswith(
        f"SKU COF-1 in Base (list {base.id} v1) and the prices inherited from its parent in "
        f"Derived (list {derived.id} v1): both base lists of priority 0, always in force together"
    )


def test_two_derived_lists_conflict_through_their_inheritance() -> None:
    base = price_list("Base", audience=GOLD, priority=1)
    one = price_list("One", audience=GOLD, parent=base)
    two = price_list("Two", audience=GOLD, parent=base)

    (conflict,) = found([base, one, two], [])

    assert (conflict.first.list_id, conflict.second.list_id) == (one.id, two.id)
    assert conflict.first.rule_id is None and conflict.second.rule_id is None


def test_equally_specific_rules_of_one_list_conflict() -> None:
    gold = price_list("Gold", audience=GOLD)
    first, second = rule(gold, sku="COF-1", fixed="10.00"), rule(gold, sku="COF-1", fixed="9.50")
    category = rule(gold, category="beverages")

    (conflict,) = found([gold], [first, second, category])

    assert (conflict.first.rule_id, conflict.second.rule_id) == (first.id, second.id)
    assert conflict.reason == (
        f"rules {first.id} and {second.id} for the same SKU COF-1 in Gold (list {gold.id} v1): "
        "equally specific, always in force together"
    )
    assert (
        conflict.resolution == f"quotes take the lower price, then the older rule: rule {first.id}"
    )


def test_rules_of_one_list_in_force_at_different_times_do_not_conflict() -> None:
    gold = price_list("Gold")
    before = rule(gold, category="beverages", window=Window(None, at(5)))
    after = rule(gold, category="beverages", window=Window(at(5), None))

    assert found([gold], [before, after]) == []


def test_a_rule_never_conflicts_with_another_version_of_itself() -> None:
    gold = price_list("Gold")
    v1 = rule(gold, sku="COF-1", fixed="10.00")
    v2 = replace(v1, version=2, fixed_price_micros=9_000_000)

    other = price_list("Other")
    moved = replace(v1, version=3, list_id=other.id)

    assert found([gold], [v1, v2]) == []
    assert found([gold, other], [v1, moved]) == []
    assert conflicts_of([v2], {gold.id: gold}, [v1], CATEGORY_OF) == []


def test_a_saved_rule_replaces_its_stored_version() -> None:
    gold, other = price_list("Gold"), price_list("Other")
    stored, coffee = rule(gold, sku="COF-1"), rule(other, sku="COF-1")
    lists = {gold.id: gold, other.id: other}
    assert pairs(conflicts_of([stored], lists, [stored, coffee], CATEGORY_OF)) == {
        (stored.id, coffee.id)
    }

    retargeted = replace(stored, version=2, target=RuleTarget(sku="TEA-1"))

    assert conflicts_of([retargeted], lists, [stored, coffee], CATEGORY_OF) == []


def test_saving_a_rule_reports_only_its_own_conflicts() -> None:
    a, b = price_list("A"), price_list("B")
    stored = [rule(a, sku="COF-1"), rule(b, sku="COF-1"), rule(a, sku="TEA-1")]
    saved = rule(b, sku="TEA-1")

    conflicts = conflicts_of([saved], {a.id: a, b.id: b}, stored, CATEGORY_OF)

    assert pairs(conflicts) == {(stored[2].id, saved.id)}


def test_a_list_version_bears_on_all_its_rules() -> None:
    a, b = price_list("A"), price_list("B", priority=1)
    rules = [rule(a, sku="COF-1"), rule(b, sku="COF-1"), rule(b, category="beverages")]
    assert found([a, b], rules) == []

    lowered = replace(b, version=2, priority=0)
    conflicts = found([a, lowered], rules)

    assert pairs(conflicts) == {(rules[0].id, rules[1].id), (rules[0].id, rules[2].id)}
    assert all(c.second == replace(c.second, list_version=2) for c in conflicts)


def test_conflicts_are_listed_in_the_order_of_their_sides() -> None:
    a, b, c = price_list("A"), price_list("B"), price_list("C")
    rules = [rule(pl, sku="COF-1") for pl in (c, b, a)]

    keys = [(x.first.list_id, x.second.list_id) for x in found([c, a, b], rules)]

    assert keys == [(a.id, b.id), (a.id, c.id), (b.id, c.id)]


# Generated price books: a few lists and rules over a small hierarchy, so that ties of
# every kind (and near misses) are common.
AUDIENCES = [
    Audience(everyone=True),
    GOLD,
    SILVER,
    ORGANIC,
    *(Audience(account_ids=frozenset(ids)) for ids in ({7}, {8}, {7, 8})),
]
TARGETS = [
    RuleTarget(),
    RuleTarget(category="beverages"),
    RuleTarget(category="beverages/coffee"),
    RuleTarget(category="beverages/tea"),
    RuleTarget(sku="COF-1"),
    RuleTarget(sku="TEA-1"),
    RuleTarget(sku="NEW-1"),
]
windows = st.sampled_from(
    [Window(), Window(None, at(10)), Window(at(10), None), Window(at(5), at(15)), Window(at(15))]
)


@st.composite
def price_books(draw: st.DrawFn) -> tuple[dict[int, PriceList], list[PriceRule]]:
    lists: list[PriceList] = []
    for index in range(draw(st.integers(1, 4))):
        parent = draw(st.sampled_from([None, *lists]))
        lists.append(
            price_list(
                f"L{index}",
                audience=draw(st.sampled_from(AUDIENCES)),
                priority=draw(st.integers(0, 1)),
                parent=parent,
                window=draw(windows),
                status=draw(st.sampled_from(ListStatus)),
                currency=draw(st.sampled_from(["EUR", "EUR", "USD"])),
            )
        )
    rules = [
        rule(owner, sku=target.sku, category=target.category, window=draw(windows))
        for owner, target in draw(
            st.lists(st.tuples(st.sampled_from(lists), st.sampled_from(TARGETS)), max_size=8)
        )
    ]
    return {pl.id: pl for pl in lists}, rules


def _prices_in_common(a: RuleTarget, b: RuleTarget) -> bool:
    """Target overlap spelled out product by product: some SKU both could price (every
    generated category holds one of these SKUs)."""
    skus = ["COF-1", "TEA-1", "NEW-1"]

    def prices(target: RuleTarget, sku: str) -> bool:
        category = CATEGORY_OF.get(sku)
        if target.sku:
            return target.sku == sku
        if not target.category:
            return True
        return category is not None and f"{category}/".startswith(f"{target.category}/")

    return any(prices(a, sku) and prices(b, sku) for sku in skus)


def _naive(lists: dict[int, PriceList], rules: Sequence[PriceRule]) -> set[tuple[object, ...]]:
    """Every pair compared with every other, straight from the definition."""
    claims = [(pl, None, pl.window) for pl in lists.values() if pl.parent_id is not None]
    claims += [(lists[r.list_id], r, r.window) for r in rules]
    ties = set()
    for i, (la, ra, wa) in enumerate(claims):
        for lb, rb, wb in claims[i + 1 :]:
            ta, tb = (ra.target if ra else RuleTarget()), (rb.target if rb else RuleTarget())
            live = ListStatus.ARCHIVED not in (la.status, lb.status)
            # Intervals that overlap pair by pair share an instant.
            in_force = all(
                x.overlaps(y) for x, y in combinations((wa, la.window, wb, lb.window), 2)
            )
            if la.id == lb.id:
                tie = ra is not None and rb is not None and ta.specificity == tb.specificity
            else:
                tie = (la.currency, la.level, la.priority) == (
                    lb.currency,
                    lb.level,
                    lb.priority,
                ) and la.audience.may_share_accounts_with(lb.audience)
            if live and in_force and tie and _prices_in_common(ta, tb):
                key_a, key_b = (la.id, ra.id if ra else 0), (lb.id, rb.id if rb else 0)
                ties.add(tuple(sorted((key_a, key_b))))
    return ties


def _keys(conflicts: Iterable[PriceConflict]) -> set[tuple[object, ...]]:
    return {
        ((c.first.list_id, c.first.rule_id or 0), (c.second.list_id, c.second.rule_id or 0))
        for c in conflicts
    }


@settings(max_examples=300, deadline=None)
@given(price_books())
def test_every_conflict_is_a_tie_of_some_pair(book: tuple[dict, list[PriceRule]]) -> None:
    lists, rules = book

    assert _keys(every_conflict(lists, rules, CATEGORY_OF)) == _naive(lists, rules)


@settings(deadline=None)
@given(price_books(), st.randoms(use_true_random=False))
def test_conflicts_do_not_depend_on_the_input_order(book, random) -> None:  # type: ignore[no-untyped-def]
    lists, rules = book
    shuffled_lists = list(lists.items())
    random.shuffle(shuffled_lists)
    shuffled_rules = random.sample(rules, len(rules))

    assert every_conflict(dict(shuffled_lists), shuffled_rules, CATEGORY_OF) == every_conflict(
        lists, rules, CATEGORY_OF
    )


@settings(max_examples=300, deadline=None)
@given(price_books(), st.data())
def test_a_stretch_of_leaders_needs_only_the_claims_from_its_first_on(book, data) -> None:  # type: ignore[no-untyped-def]
    lists, rules = book
    every = every_conflict(lists, rules, CATEGORY_OF)
    keys = sorted({(r.list_id, r.id) for r in rules} | {(list_id, 0) for list_id in lists})
    low, high = sorted(data.draw(st.lists(st.sampled_from(keys), min_size=2, max_size=2)))
    leaders = [key for key in keys if low <= key <= high]
    # The claims before the stretch are left out: they lead their own conflicts.
    after = [r for r in rules if (r.list_id, r.id) >= low]
    in_stretch = {pl_id: pl for pl_id, pl in lists.items() if pl_id >= low[0]}

    assert conflicts_led_by(set(leaders), in_stretch, after, CATEGORY_OF) == [
        c for c in every if (c.first.list_id, c.first.rule_id or 0) in leaders
    ]


@settings(max_examples=200, deadline=None)
@given(price_books())
def test_lists_that_may_tie_are_those_whose_claims_do(book) -> None:  # type: ignore[no-untyped-def]
    lists, _ = book
    for a, b in combinations(lists.values(), 2):
        live = ListStatus.ARCHIVED not in (a.status, b.status)
        rules = [rule(a, catalog_discount="1"), rule(b, catalog_discount="2")]
        assert bool(found([a, b], rules)) == (live and lists_may_tie(a, b))


@settings(max_examples=200, deadline=None)
@given(price_books())
def test_the_tie_index_finds_every_list_that_may_tie_and_no_other(book) -> None:  # type: ignore[no-untyped-def]
    lists, _ = book
    index = TieIndex(lists.values())

    for one in lists.values():
        expected = [
            other
            for other in sorted(lists.values(), key=lambda pl: pl.id)
            if other.id != one.id and lists_may_tie(one, other)
        ]
        assert index.ties_of(one) == expected


@settings(max_examples=200, deadline=None)
@given(price_books())
def test_saving_a_rule_finds_its_share_of_every_conflict(book) -> None:  # type: ignore[no-untyped-def]
    lists, rules = book
    every = every_conflict(lists, rules, CATEGORY_OF)

    for saved in rules:
        involving = [c for c in every if saved.id in (c.first.rule_id, c.second.rule_id)]
        assert conflicts_of([saved], lists, rules, CATEGORY_OF) == involving
        assert_limited(conflicts_of([saved], lists, rules, CATEGORY_OF, limit=1), involving)


def assert_limited(limited: list[PriceConflict], every: list[PriceConflict]) -> None:
    """With limit 1, one more than the limit when there are more: enough to tell."""
    assert len(limited) == min(len(every), 2)
    assert limited == [c for c in every if c in limited]
