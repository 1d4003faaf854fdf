"""How PostgreSQL reads the rules a conflict check and a page of conflicts need from a
large book: by index, never every rule of the lists that can tie. Four lists for one
audience hold the same 25,000 SKUs, as a trial's price book did; a batch's check reads
the rules of its SKUs, and a page of a list's rules by id reads that page (with statistics:
on a small book the planner rightly prefers reading it all)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import reset_postgres

from wholesale.server.domain.price_audience import Audience
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import Basis, PriceRule, RuleTarget
from wholesale.server.domain.validity import Window
from wholesale.server.store import database, migrations, price_list_store, price_rule_store

NOW_US = 1_800_000_000_000_000
LISTS = 4
RULES_PER_LIST = 25_000


@pytest.fixture(scope="module")
def shared_book(postgres_scratch_url: str) -> Iterator[list[int]]:
    reset_postgres(postgres_scratch_url)
    db = database.open_database(postgres_scratch_url)
    migrations.migrate(db)
    with db.connection_context():
        with db.atomic():
            audience = Audience(tags=frozenset({"organic"}))
            ids = []
            for n in range(LISTS):
                draft = PriceList(
                    0, 0, f"L{n}", "EUR", ListStatus.ACTIVE, Window(), 0, 10_000, audience
                )
                list_id = price_list_store.insert_list(draft, NOW_US).id
                rules = [
                    PriceRule(0, 1, list_id, RuleTarget(sku=f"P{k:05d}"), Basis.FIXED, 1_000_000)
                    for k in range(RULES_PER_LIST)
                ]
                price_rule_store.insert_rules(rules, NOW_US)
                ids.append(list_id)
        db.execute_sql("ANALYZE")
        yield ids
    database.close_database()


@contextmanager
def recorded() -> Iterator[list[tuple[str, Any]]]:
    """The statements run while the block is open, as sent to the database."""
    db = database.db_proxy.obj
    original = db.execute_sql
    seen: list[tuple[str, Any]] = []

    def recording(sql, params=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((sql, params))
        return original(sql, params, *args, **kwargs)

    db.execute_sql = recording
    try:
        yield seen
    finally:
        db.execute_sql = original


def _nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _rows_read(sql: str, params: Any) -> tuple[int, list[dict]]:
    """The rows the statement returns, and its plan's scans of the rule tables."""
    explained = database.db_proxy.obj.execute_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params
    ).fetchall()[0][0]
    plan = (explained if isinstance(explained, list) else json.loads(explained))[0]["Plan"]
    scans = [n for n in _nodes(plan) if n.get("Relation Name", "").startswith("price_rule")]
    return plan["Actual Rows"], scans


def _read(scan: dict) -> int:
    return (scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)) * scan["Actual Loops"]


def test_a_batch_check_reads_the_rules_of_its_skus_not_the_lists(shared_book: list[int]) -> None:
    skus = [f"P{k:05d}" for k in range(2_000, 2_250)]  # a batch of 1,000 rules: 4 windows each
    with recorded() as seen:
        near = price_rule_store.current_rules_near(shared_book, skus, [], [])
    assert len(near) == LISTS * len(skus)

    [(sql, params)] = seen
    returned, scans = _rows_read(sql, params)

    assert returned == len(near)
    assert all(scan["Node Type"] != "Seq Scan" for scan in scans), scans
    # The four lists hold 100,000 rules; the check reads its 1,000 and their identities.
    assert sum(_read(scan) for scan in scans) <= 3 * len(near), scans


def test_a_page_of_a_list_reads_that_page(shared_book: list[int]) -> None:
    last = shared_book[-1]
    first_ids = [r.id for r in price_rule_store.list_rules(last, 0, 1)]
    with recorded() as seen:
        page = price_rule_store.list_rules(last, first_ids[0], 500)
    assert len(page) == 500

    [(sql, params)] = seen
    _, scans = _rows_read(sql, params)

    assert all(scan["Node Type"] != "Seq Scan" for scan in scans), scans
    assert sum(_read(scan) for scan in scans) <= 3 * len(page), scans
