"""How PostgreSQL reads a quote's rules from a skewed price book: by (list, SKU), never by
reading every rule of a large list. Real books are skewed (a base list of thousands of
rules, many named lists of a few); the planner's average per list would scan the base list
on every quote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from conftest import reset_postgres

from wholesale.server.domain.price_audience import Audience, PricedAccount
from wholesale.server.domain.price_book import CatalogItem
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import Basis, PriceRule, RuleTarget
from wholesale.server.domain.validity import Window
from wholesale.server.store import database, migrations, price_list_store, price_rule_store
from wholesale.server.store.price_book_store import QuoteProducts, lists_statement
from wholesale.server.store.sql import _NAMED_PARAMETER

NOW_US = 1_800_000_000_000_000
BASE_RULES = 10_000
NAMED_LISTS = 1_000


def _list(name: str, audience: Audience) -> PriceList:
    return PriceList(0, 0, name, "EUR", ListStatus.ACTIVE, Window(), 0, 10_000, audience)


def _rule(list_id: int, n: int) -> PriceRule:
    return PriceRule(0, 1, list_id, RuleTarget(sku=f"P{n:05d}"), Basis.CATALOG, discount=Decimal(2))


@pytest.fixture
def skewed_book(postgres_scratch_url: str) -> Iterator[None]:
    reset_postgres(postgres_scratch_url)
    db = database.open_database(postgres_scratch_url)
    migrations.migrate(db)
    with db.connection_context():
        with db.atomic():
            base = price_list_store.insert_list(_list("Base", Audience(everyone=True)), NOW_US)
            rules = [_rule(base.id, n) for n in range(BASE_RULES)]
            for n in range(NAMED_LISTS):
                named = _list(f"Named {n}", Audience(account_ids=frozenset({10_000 + n})))
                rules.append(_rule(price_list_store.insert_list(named, NOW_US).id, n))
            for start in range(0, len(rules), 1000):
                price_rule_store.insert_rules(rules[start : start + 1000], NOW_US)
        db.execute_sql("ANALYZE")
        yield
    database.close_database()


def _scans(plan: dict) -> Iterator[dict]:
    if plan.get("Relation Name") == "price_rule_version":
        yield plan
    for child in plan.get("Plans", ()):
        yield from _scans(child)


@pytest.mark.usefixtures("skewed_book")
def test_a_quote_looks_up_its_skus_in_a_large_list_instead_of_reading_the_list() -> None:
    items = {
        f"P{n:05d}": CatalogItem(f"P{n:05d}", "x", "food/dry", 1_000_000, "EUR")
        for n in range(0, BASE_RULES, 200)
    }
    products = QuoteProducts(items, frozenset(), [])
    account = PricedAccount(1, "gold", frozenset(), "EUR")
    sql, params = lists_statement(account, products, NOW_US + 1, frozenset())
    text = "EXPLAIN (ANALYZE, FORMAT JSON) " + _NAMED_PARAMETER.sub(r"%(\1)s", sql)
    [(explained,)] = database.db_proxy.obj.execute_sql(text, params).fetchall()
    plan = (explained if isinstance(explained, list) else json.loads(explained))[0]["Plan"]
    scans = list(_scans(plan))
    assert len(scans) == 2  # the SKU branch and the category branch
    for scan in scans:
        assert "sku" in scan.get("Index Cond", ""), scan
    sku_branch = max(scans, key=lambda scan: scan["Actual Rows"])
    assert sku_branch["Actual Rows"] == len(items)
    # Rows read and thrown away: none, where reading the base list would throw away 9,950.
    assert sku_branch.get("Rows Removed by Filter", 0) < len(items)
