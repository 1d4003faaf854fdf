"""``seed-demo``: deterministic, idempotent, and realistic enough to show what the service
does (cadences, churners, overdue invoices), on both databases.

The figures are read back through the account summary use case, the same code the
GetAccountSummary RPC runs, and prices through the quote and price diff use cases, the code
behind Quote and DiffPrices, so the demo is checked the way a user would look at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from wholesale.server.cli import main as server_cli
from wholesale.server.demo import seed_demo
from wholesale.server.demo_catalog import demo_catalog
from wholesale.server.demo_pricing import (
    BASE,
    CAFE_LIST,
    DRAFT,
    STEP,
    TIER_POLICY,
    DemoPricing,
    demo_pricing,
    tier_list_name,
)
from wholesale.server.domain.calendar import date_of, day_number
from wholesale.server.domain.clock import MICROS_PER_DAY, FixedClock, SystemClock, instant_us
from wholesale.server.domain.discount import discounted
from wholesale.server.domain.price_audience import Level
from wholesale.server.domain.price_book import LineRequest
from wholesale.server.domain.price_list import ListStatus
from wholesale.server.domain.price_rule import BreakMode, PriceRule, QuantityLevel
from wholesale.server.domain.pricing_engine import PricedLine, PricedOrder
from wholesale.server.services import price_conflicts, quotes, tiers, unit_of_work
from wholesale.server.services.price_lists import PriceListQuery, list_price_lists
from wholesale.server.services.price_sheets import DiffRequest, diff_prices
from wholesale.server.services.quotes import QuoteRequest
from wholesale.server.services.summary import AccountSummary, account_summary
from wholesale.server.store import database, migrations, price_rule_store
from wholesale.server.store.sql import fetch_rows

ACCOUNTS = 20
SEED = 11
END = dt.date(2026, 3, 31)
# The demo is seeded on the morning of its end date and priced at noon.
SEEDED_AT = dt.datetime(2026, 3, 31, 8, tzinfo=dt.UTC)
NOON = instant_us(dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC))
TABLES = (
    "product",
    "account",
    "sales_order",
    "order_line",
    "invoice",
    "payment",
    "audit_event",
    "price_list",
    "price_list_version",
    "price_list_audience",
    "price_rule",
    "price_rule_version",
    "contract_price",
    "contract_price_version",
    "tier_policy_version",
)
CATALOG = {product.sku: product for product in demo_catalog(SEED)}
PLAN = demo_pricing(SEED, list(CATALOG.values()), ACCOUNTS, END)


@pytest.fixture
def demo_db(database_url: str) -> Iterator[str]:
    """A migrated, empty database of each backend, open in this process."""
    db = database.open_database(database_url)
    migrations.ensure_schema(db)
    with db.connection_context():
        yield seed_demo(ACCOUNTS, SEED, end_date=END, clock=FixedClock(SEEDED_AT))
    database.close_database()


def _dump() -> dict[str, list[tuple]]:
    """Every row of every table the demo writes, times and versions included: a second
    seeding that rewrote anything would show in them."""
    return {table: sorted(fetch_rows(f"SELECT * FROM {table}"), key=repr) for table in TABLES}


def _summaries() -> list[AccountSummary]:
    with unit_of_work.for_system("test", SystemClock()) as work:
        return [account_summary(work, str(i), day_number(END)) for i in range(1, ACCOUNTS + 1)]


def test_seeding_twice_with_the_same_seed_changes_nothing(demo_db: str) -> None:
    first = _dump()
    assert len(first["sales_order"]) > 20 * ACCOUNTS
    assert len(first["invoice"]) > 0 and len(first["payment"]) > 0

    again = seed_demo(ACCOUNTS, SEED, end_date=END)

    assert _dump() == first
    # products, accounts, orders, invoices, payments, price lists, rules and contract
    # prices: nothing new, nothing updated
    assert again.count("(0 new, 0 updated)") == 8
    assert "tier policy unchanged" in again and "removed" not in again


def test_external_ids_are_unique(demo_db: str) -> None:
    for table in ("sales_order", "invoice", "payment", "account"):
        ((total, distinct),) = fetch_rows(
            f"SELECT COUNT(*), COUNT(DISTINCT external_id) FROM {table}"
        )
        assert total == distinct > 0


def test_order_numbers_carry_the_order_date_and_the_account(demo_db: str) -> None:
    rows = fetch_rows(
        "SELECT o.external_id, o.order_day, a.external_id FROM sales_order o "
        "JOIN account a ON a.id = o.account_id"
    )
    for number, day, account in rows:
        date, account_number = number.split("-")[2:4]
        assert date == date_of(day).strftime("%Y%m%d"), number
        assert account == f"ERP-{account_number}", number


def test_buyers_have_weekly_fortnightly_and_monthly_cadences(demo_db: str) -> None:
    medians = {round(s.median_days_between_orders) for s in _summaries() if s.totals.count > 10}
    assert {7, 14, 30} <= medians


def test_some_accounts_slowed_down_and_stopped_ordering(demo_db: str) -> None:
    end = day_number(END)
    stopped = [
        s
        for s in _summaries()
        if s.totals.count >= 20
        and s.totals.first_day < end - 365
        and s.totals.last_day < end - 60
        and s.totals.windows[90] == (0, 0)
    ]
    assert stopped


def test_some_invoices_are_overdue_and_some_paid_late(demo_db: str) -> None:
    summaries = _summaries()
    assert any(s.position.overdue_micros > 0 for s in summaries)
    assert any(s.average_days_paid_late > 5 for s in summaries)
    assert any(s.paid_invoice_count and s.average_days_paid_late < 1 for s in summaries)


def test_payments_never_exceed_their_invoice(demo_db: str) -> None:
    overpaid = fetch_rows(
        "SELECT i.id FROM invoice i JOIN payment p ON p.invoice_id = i.id "
        "GROUP BY i.id, i.amount_micros, i.issue_day "
        "HAVING SUM(p.amount_micros) > i.amount_micros OR MIN(p.paid_day) < i.issue_day"
    )
    assert overpaid == []


def test_the_cli_seeds_and_prints_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(
        server_cli,
        ["seed-demo", "--database", url, "--create", "--accounts", "3", "--end-date", "2026-01-31"],
    )
    database.close_database()
    assert result.exit_code == 0, result.output
    named, line = result.stderr.strip().splitlines()
    assert named == f"database: {url} (created)"
    assert line.startswith("seeded ") and "up to 2026-01-31" in line


# ---- the price book ----------------------------------------------------------------------


def _plan_rules(prefix: str) -> list[PriceRule]:
    return [
        rule for demo in PLAN.lists for rule in demo.rules if rule.external_id.startswith(prefix)
    ]


def _free_skus(department: str) -> list[str]:
    """Active SKUs of ``department`` that no demo SKU rule or contract targets, so the
    list and category rules price them."""
    targeted = {rule.target.sku for rule in _plan_rules("")} | {
        demo.contract.sku for demo in PLAN.contracts
    }
    return [
        p.sku
        for p in CATALOG.values()
        if p.active and p.category.startswith(f"{department}/") and p.sku not in targeted
    ]


def _account(tier: str = "", tag: str = "") -> str:
    """The external id of the first active demo account of ``tier`` (or with ``tag``)."""
    (row,) = fetch_rows(
        "SELECT a.external_id FROM account a WHERE a.status = 2 AND (a.price_tier = ? "
        "OR EXISTS (SELECT 1 FROM account_tag t WHERE t.account_id = a.id AND t.tag = ?)) "
        "ORDER BY a.id LIMIT 1",
        tier,
        tag,
    )
    return row[0]


def _quote(
    account: str, lines: Mapping[str, int] | list[tuple[str, int]], at_us: int = NOON
) -> PricedOrder:
    items = lines.items() if isinstance(lines, Mapping) else lines
    with unit_of_work.for_system("test", FixedClock(SEEDED_AT)) as work:
        request = QuoteRequest(
            account_external_id=account,
            at_us=at_us,
            lines=[LineRequest(sku, quantity) for sku, quantity in items],
            traced=True,
        )
        return quotes.quote(work, request).order


def _base_price(line: PricedLine) -> int:
    """The unit price the base list gives the line (it loses to the tier list, but the
    trace keeps it)."""
    (candidate,) = [
        c for c in line.trace if c.source.price_list and c.source.price_list.name == BASE
    ]
    return candidate.bands[0].unit_price_micros


def _list_name(line: PricedLine) -> str:
    """The name of the list that set the line's price ("" for a contract or the catalog)."""
    return line.source.price_list.name if line.source.price_list else ""


def _catalog_price(sku: str) -> int:
    return CATALOG[sku].list_price_micros


def _off(micros: int, percent: Decimal | int) -> int:
    return discounted(micros, Decimal(percent), STEP)


def test_the_demo_seeds_lists_rules_contracts_and_a_tier_policy(demo_db: str) -> None:
    assert "7 price lists (7 new, 0 updated) with 29 rules (29 new, 0 updated)" in demo_db
    assert "5 contract prices (5 new, 0 updated), tier policy set" in demo_db
    with unit_of_work.for_system("test", SystemClock()) as work:
        lists, _ = list_price_lists(work, PriceListQuery(page_size=100))
        policy = tiers.get_tier_policy(work)
        conflicts, _ = price_conflicts.list_price_conflicts(work, "", 100, "")
    by_name = {found.name: found for found in lists}
    tier_names = [tier_list_name(t) for t in ("bronze", "silver", "gold", "platinum")]
    assert sorted(by_name) == sorted([BASE, *tier_names, CAFE_LIST, DRAFT])
    assert by_name[DRAFT].status is ListStatus.DRAFT
    assert {by_name[name].parent_id for name in tier_names[:3]} == {by_name[BASE].id}
    assert by_name[tier_names[3]].parent_id == by_name[tier_names[2]].id
    assert [by_name[name].parent_discount for name in tier_names[:3]] == [2, 5, 10]
    assert by_name[CAFE_LIST].window.start_us == (day_number(END) + 21) * MICROS_PER_DAY
    rules = price_rule_store.current_rules(sorted(found.id for found in lists))
    assert len(rules) == 29
    levels = {level: [r for r in rules if r.level is level] for level in QuantityLevel}
    assert [len(levels[level]) for level in QuantityLevel] == [24, 3, 1, 1]
    assert len([r for r in rules if r.mode is BreakMode.GRADUATED]) == 3
    assert len([r for r in rules if r.window.start_us is not None]) == 8
    ((contracts, accounts),) = fetch_rows(
        "SELECT COUNT(*), COUNT(DISTINCT account_id) FROM contract_price"
    )
    assert (contracts, accounts) == (5, 3)
    assert policy.policy == TIER_POLICY and policy.version == 1
    # The demo's lists never tie: precedence alone decides every price.
    assert conflicts == []
    tiers_seeded = {row[0] for row in fetch_rows("SELECT DISTINCT price_tier FROM account")}
    assert {"bronze", "silver", "gold", "platinum"} <= tiers_seeded


def test_the_same_seed_plans_the_same_price_book_and_another_seed_another() -> None:
    catalog = list(CATALOG.values())
    assert demo_pricing(SEED, catalog, ACCOUNTS, END) == PLAN
    other = demo_pricing(SEED + 1, catalog, ACCOUNTS, END)
    assert [d.price_list for d in other.lists] == [d.price_list for d in PLAN.lists]
    assert other.lists[0].rules != PLAN.lists[0].rules


def _assert_stored_as_planned(plan: DemoPricing) -> None:
    rows = fetch_rows("SELECT id FROM price_list")
    stored = {r.external_id: r for r in price_rule_store.current_rules([row[0] for row in rows])}
    planned = [rule for demo in plan.lists for rule in demo.rules]
    assert sorted(stored) == sorted(rule.external_id for rule in planned)
    for rule in planned:
        found = stored[rule.external_id]
        assert found.same_terms(replace(rule, list_id=found.list_id))
    contracts = fetch_rows(
        "SELECT a.external_id, v.sku, v.unit_price_micros, v.start_us, v.end_us "
        "FROM contract_price c JOIN account a ON a.id = c.account_id "
        "JOIN contract_price_version v ON v.contract_id = c.id AND v.version = c.current_version "
        "WHERE NOT v.deleted"
    )
    assert sorted(contracts) == sorted(
        (
            f"ERP-{d.account_number:06d}",
            d.contract.sku,
            d.contract.unit_price_micros,
            d.contract.window.start_us,
            d.contract.window.end_us,
        )
        for d in plan.contracts
    )


def test_the_stored_rules_and_contracts_are_the_planned_ones(demo_db: str) -> None:
    _assert_stored_as_planned(PLAN)


def test_another_seed_and_end_date_replace_the_price_book_without_ties(demo_db: str) -> None:
    later = END + dt.timedelta(days=45)
    clock = FixedClock(SEEDED_AT + dt.timedelta(days=1))
    summary = seed_demo(ACCOUNTS, SEED + 1, end_date=later, years=0, clock=clock)

    _assert_stored_as_planned(demo_pricing(SEED + 1, demo_catalog(SEED + 1), ACCOUNTS, later))
    assert "7 price lists (0 new, 1 updated)" in summary  # the cafe week moved
    with unit_of_work.for_system("test", SystemClock()) as work:
        assert price_conflicts.list_price_conflicts(work, "", 100, "")[0] == []


def test_gold_and_bronze_quotes_differ_as_their_lists_say(demo_db: str) -> None:
    juice, water = _free_skus("beverages")[:2]
    (pasta,) = [s for s in _free_skus("pantry") if CATALOG[s].category == "pantry/pasta"][:1]
    (gold_sku,) = [r.target.sku for r in _plan_rules("DEMO-GOLD-")][:1]
    lines = {juice: 24, water: 24, pasta: 12, gold_sku: 6}

    gold = _quote(_account("gold"), lines)
    bronze = _quote(_account("bronze"), lines)

    for g, b in zip(gold.lines, bronze.lines, strict=True):
        base = _base_price(g)
        assert _base_price(b) == base
        assert _list_name(b) == tier_list_name("bronze")
        assert b.unit_price_micros == _off(base, 2)
        assert _list_name(g) == tier_list_name("gold")
        gold_discount = 15 if g.request.sku == gold_sku else 10
        assert g.unit_price_micros == _off(base, gold_discount), g.explanation
    gold_rule = gold.lines[3].source.rule
    assert gold_rule and gold_rule.target.sku == gold_sku
    assert gold.total_micros < bronze.total_micros


def test_breaks_count_the_line_the_product_the_category_and_the_order(demo_db: str) -> None:
    bronze = _account("bronze")
    juice, water = _free_skus("beverages")[:2]
    beverages = _plan_rules("DEMO-CAT-beverages")[0]
    at_47 = _quote(bronze, {juice: 24, water: 23})
    at_48 = _quote(bronze, {juice: 24, water: 24})
    for below, reached in zip(at_47.lines, at_48.lines, strict=True):
        catalog = _catalog_price(below.request.sku)
        assert _base_price(below) == _off(catalog, beverages.discount)
        assert _base_price(reached) == _off(catalog, 5)
        assert "break at 48+ units across beverages (48 in the order)" in reached.explanation

    product_rule = _plan_rules("DEMO-SKU-")[0]
    sku, first_break = product_rule.target.sku, product_rule.breaks[0]
    half = first_break.min_quantity // 2
    split = _quote(bronze, [(sku, half), (sku, first_break.min_quantity - half)])
    for line in split.lines:
        assert _base_price(line) == _off(_catalog_price(sku), first_break.discount or 0)

    (frozen,) = _free_skus("frozen")[:1]
    small, large = _quote(bronze, {frozen: 10}), _quote(bronze, {frozen: 250})
    assert _base_price(small.lines[0]) == _catalog_price(frozen)
    assert _base_price(large.lines[0]) == _off(_catalog_price(frozen), Decimal("1.5"))

    bands_rule = _plan_rules("DEMO-BANDS-")[0]
    pack = CATALOG[bands_rule.target.sku].pack_size
    (banded,) = _quote(bronze, {bands_rule.target.sku: 3 * pack + 2}).lines
    assert [band.quantity for band in banded.bands] == [pack, 2 * pack, 2]
    prices = [band.unit_price_micros for band in banded.bands]
    assert prices == sorted(prices, reverse=True) and len(set(prices)) == 3
    assert banded.line_total_micros == sum(b.quantity * b.unit_price_micros for b in banded.bands)


def _base_rule(line: PricedLine) -> PriceRule:
    """The base list's rule that priced the line (quotes carry rules without their
    external ids, which are the price book's keys)."""
    assert line.rules, line.explanation
    return line.rules[0]


def test_promotions_hold_in_their_windows(demo_db: str) -> None:
    bronze = _account("bronze")
    current = [r.target.sku for r in _plan_rules("DEMO-PROMO-CURRENT-")]
    ended = [r.target.sku for r in _plan_rules("DEMO-PROMO-ENDED-")]
    now = _quote(bronze, dict.fromkeys(current + ended, 1))
    for line in now.lines[: len(current)]:
        assert _base_rule(line).target.sku == line.request.sku
        assert _base_price(line) == _off(_catalog_price(line.request.sku), 20)
    for line in now.lines[len(current) :]:
        # The ended promotion's SKU rule is out of its window: the category rule prices it.
        assert not _base_rule(line).target.sku
        assert _base_price(line) > _off(_catalog_price(line.request.sku), 15)

    cafe = _account(tag="cafe")
    coffee = [s for s in _free_skus("beverages") if CATALOG[s].category == "beverages/coffee"]
    before = _quote(cafe, {coffee[0]: 1})
    in_week = _quote(cafe, {coffee[0]: 1}, NOON + 25 * MICROS_PER_DAY)
    assert _list_name(before.lines[0]) != CAFE_LIST
    line = in_week.lines[0]
    assert _list_name(line) == CAFE_LIST
    assert line.unit_price_micros == _off(_catalog_price(coffee[0]), 18)


def test_contract_prices_hold_in_their_windows(demo_db: str) -> None:
    in_force = {
        (d.account_number, d.contract.sku): d.contract
        for d in PLAN.contracts
        if d.contract.window.contains(NOON)
    }
    pairs = {(d.account_number, d.contract.sku) for d in PLAN.contracts}
    assert 0 < len(in_force) < len(pairs)
    for number, sku in sorted(pairs):
        (line,) = _quote(f"ERP-{number:06d}", {sku: 1}).lines
        contract = in_force.get((number, sku))
        if contract is None:
            assert line.source.level is not Level.CONTRACT
        else:
            assert line.source.level is Level.CONTRACT
            assert line.unit_price_micros == contract.unit_price_micros


def test_the_draft_previews_lower_gold_prices(demo_db: str) -> None:
    ((draft_id,),) = fetch_rows("SELECT list_id FROM price_list_version WHERE name = ?", DRAFT)
    with unit_of_work.for_system("test", FixedClock(SEEDED_AT)) as work:
        diff = diff_prices(work, DiffRequest(str(draft_id), at_us=NOON))
    assert diff.changes
    assert {a.fields.price_tier for a in diff.accounts.values()} == {"gold"}
    before = [c.before.line.unit_price_micros for c in diff.changes]
    after = [c.after.line.unit_price_micros for c in diff.changes]
    assert all(new <= old for new, old in zip(after, before, strict=True))
    assert sum(after) < sum(before)
