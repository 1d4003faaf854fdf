"""ListPriceConflicts a page at a time on both databases: over generated price books with
ties of every kind, the pages hold every current conflict exactly once and in order, all
of them or those of one list, whatever the page size, however little a page may read and
however the rules are split into chunks; a save of a list reports the first of its own."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from support.pricing import every_conflict

from wholesale.server.domain.clock import SystemClock
from wholesale.server.domain.money import Money
from wholesale.server.domain.price_audience import Audience
from wholesale.server.domain.price_conflicts import PriceConflict
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import Basis, PriceRule, RuleTarget
from wholesale.server.domain.product import ProductFields
from wholesale.server.domain.validity import Window
from wholesale.server.services import price_conflict_scan, price_conflicts, unit_of_work
from wholesale.server.store import (
    database,
    migrations,
    price_list_store,
    price_rule_store,
    product_store,
)

NOW_US = 1_800_000_000_000_000
DAY_US = 86_400_000_000
CATEGORIES = ("drinks/coffee", "drinks/tea", "drinks/tea/green", "food")
SKUS = {f"P{n}": CATEGORIES[n % len(CATEGORIES)] for n in range(8)}
TARGETS = (
    *(RuleTarget(sku=sku) for sku in SKUS),
    *(RuleTarget(sku=sku) for sku in list(SKUS)[:3]),  # SKU rules most often
    RuleTarget(category="drinks"),
    RuleTarget(category="drinks/tea"),
    RuleTarget(category="food"),
    RuleTarget(),
)
AUDIENCES = (
    Audience(everyone=True),
    Audience(tiers=frozenset({"gold"})),
    Audience(tags=frozenset({"organic"})),
    Audience(tags=frozenset({"organic", "deli"})),
    Audience(account_ids=frozenset({7})),
)
WINDOWS = (
    Window(),
    Window(),
    Window(None, NOW_US + 10 * DAY_US),
    Window(NOW_US + 10 * DAY_US, None),
    Window(NOW_US + 5 * DAY_US, NOW_US + 15 * DAY_US),
    Window(NOW_US + 10 * DAY_US - 1, NOW_US + 20 * DAY_US),  # meets the first for 1 µs
)


@pytest.fixture
def book_db(database_url: str) -> Iterator[None]:
    db = database.open_database(database_url)
    migrations.migrate(db)
    with db.connection_context():
        yield
    database.close_database()


def _seed(rng: random.Random, lists: int, rules: int) -> None:
    """A catalog and a generated book: lists of few audiences, priorities and windows, some
    derived, drafts and an archived one; rules of every kind of target, some changed or
    deleted since."""
    product_store.insert_products(
        [
            (
                sku,
                ProductFields(
                    name=sku, category=category, list_price=Money(Decimal(5), "EUR"), active=True
                ),
            )
            for sku, category in SKUS.items()
        ],
        NOW_US,
    )
    stored: list[PriceList] = []
    for n in range(lists):
        parent = rng.choice([None, None, *stored])
        draft = PriceList(
            0,
            0,
            f"L{n}",
            "EUR",
            rng.choice([ListStatus.ACTIVE, ListStatus.ACTIVE, ListStatus.DRAFT]),
            rng.choice(WINDOWS),
            rng.choice([0, 0, 1]),
            10_000,
            rng.choice(AUDIENCES),
            parent.id if parent else None,
            Decimal(5) if parent else Decimal(0),
        )
        stored.append(price_list_store.insert_list(draft, NOW_US))
    archived = replace(stored[-1], status=ListStatus.ARCHIVED)
    price_list_store.record_version(archived, NOW_US + 1)
    drafts = [
        PriceRule(
            0,
            1,
            owner.id,
            rng.choice(TARGETS),
            Basis.CATALOG,
            discount=Decimal(rng.randint(0, 9)),
            window=rng.choice(WINDOWS),
            external_id=f"R{n}",
        )
        for n, owner in enumerate(rng.choice(stored) for _ in range(rules))
    ]
    ids = price_rule_store.insert_rules(drafts, NOW_US)
    written = price_rule_store.get_rules(ids)
    changed = [
        replace(rule, version=2, deleted=rng.random() < 0.5, window=Window())
        for rule in rng.sample(list(written.values()), rules // 10)
    ]
    price_rule_store.record_versions(changed, NOW_US + 2)


def _every_conflict() -> list[PriceConflict]:
    """The current conflicts computed in memory from the whole stored book."""
    lists = {
        list_id: found
        for list_id, found in price_list_store.current_lists().items()
        if found.status is not ListStatus.ARCHIVED
    }
    rules = price_rule_store.current_rules(sorted(lists))
    return every_conflict(lists, rules, product_store.categories_of(sorted(SKUS)))


def _pages(list_id: str, page_size: int) -> Iterator[list[PriceConflict]]:
    token = ""
    with unit_of_work.for_system("test", SystemClock()) as work:
        while True:
            page, token = price_conflicts.list_price_conflicts(work, list_id, page_size, token)
            assert len(page) <= page_size
            yield page
            if not token:
                return


@pytest.mark.parametrize("seed", range(4))
def test_pages_hold_every_conflict_once_in_order(
    book_db: None, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    _seed(rng, lists=7, rules=90)
    every = _every_conflict()
    assert len(every) > 20  # the generated book is full of ties
    monkeypatch.setattr(price_conflict_scan, "CHUNK", 4)

    for read_per_page, page_size in ((10**9, 500), (9, 1), (1, 3), (30, 7)):
        monkeypatch.setattr(price_conflicts, "RULES_READ_PER_PAGE", read_per_page)
        pages = list(_pages("", page_size))
        assert [c for page in pages for c in page] == every, (read_per_page, page_size)
        for price_list in price_list_store.current_lists().values():
            own = [c for c in every if price_list.id in (c.first.list_id, c.second.list_id)]
            listed = [c for page in _pages(str(price_list.id), page_size) for c in page]
            assert listed == own, (price_list.id, read_per_page, page_size)


def test_a_page_that_reads_little_may_be_short_or_empty_but_goes_on(
    book_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(random.Random(11), lists=6, rules=80)
    monkeypatch.setattr(price_conflict_scan, "CHUNK", 2)
    monkeypatch.setattr(price_conflicts, "RULES_READ_PER_PAGE", 1)

    pages = list(_pages("", 50))

    assert any(len(page) < 50 for page in pages[:-1])
    assert [c for page in pages for c in page] == _every_conflict()


@pytest.mark.parametrize("seed", range(3))
def test_a_saved_list_reports_its_first_conflicts_and_whether_there_are_more(
    book_db: None, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(random.Random(seed), lists=6, rules=120)
    every = _every_conflict()
    monkeypatch.setattr(price_conflict_scan, "CHUNK", 3)
    monkeypatch.setattr(price_conflicts, "MAX_REPORTED_CONFLICTS", 5)

    for price_list in price_list_store.current_lists().values():
        own = [c for c in every if price_list.id in (c.first.list_id, c.second.list_id)]
        warnings = price_conflicts.warnings_of_list(price_list)
        if price_list.status is ListStatus.ARCHIVED:
            assert warnings == price_conflicts.SaveWarnings([])
        else:
            assert warnings.conflicts == own[:5]
            assert warnings.truncated == (len(own) > 5)
