"""Quote and price-sheet cost with a large price book, against the no-op health check.

Seeds a catalog of 10,000 products, 10,000 accounts and 1,000 price lists (a base list,
bronze/silver/gold lists derived from it, and lists naming a few accounts each), first
with 10,000 rules and then grown to 100,000, and measures at both sizes:

- a 50-line Quote priced in this process (the use case and the reply's protobuf, no
  network): p50 and p95, and the SQL statements it ran, counted at the driver;
- 10-line Quote RPCs against a server in a separate process, as a throughput ratio to
  the health check on the same server in the same run;
- a whole price sheet (every active product, all pages) for one account, by RPC.

The quoted account sees only the base and tier lists: the 996 named-account lists hold
rules that cannot apply to it, and the 10x growth adds only such rules, so the two sizes
show whether a quote pays for rules that cannot apply. Goals are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import grpc
from common import percentile_ms, report_text, run_main, running_server
from grpc_health.v1 import health_pb2, health_pb2_grpc

from wholesale.server.api.quote_convert import quote_to_proto
from wholesale.server.domain.clock import SystemClock
from wholesale.server.domain.money import Money
from wholesale.server.domain.price_audience import Audience
from wholesale.server.domain.price_book import LineRequest
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import (
    Basis,
    PriceRule,
    QuantityBreak,
    QuantityLevel,
    RuleTarget,
)
from wholesale.server.domain.product import ProductFields
from wholesale.server.domain.validity import Window
from wholesale.server.services import quotes, unit_of_work
from wholesale.server.store import (
    database,
    migrations,
    price_list_store,
    price_rule_store,
    product_store,
)
from wholesale.server.store.sql import fetch_rows, insert_rows
from wholesale.v1 import pricing_service_pb2, pricing_service_pb2_grpc

PRODUCTS = 10_000
ACCOUNTS = 10_000
NAMED_LISTS = 996
CATEGORIES = tuple(
    f"{top}/{sub}" for top in ("beverages", "food", "household", "fresh") for sub in "abcdefghij"
)
TIERS = ("gold", "silver", "bronze")
QUOTED_TIER = "gold"
GOALS = {
    "quote_p50_ms": 5.0,
    "statements": 3,
    "throughput_ratio": 0.5,
    "sheet_s": 2.0,
}


# ---------------------------------------------------------------------------- seeding


def sku(i: int) -> str:
    return f"P{i:05d}"


def _seed_catalog(rng: random.Random, now_us: int) -> None:
    products = [
        (
            sku(i),
            ProductFields(
                name=f"Product {i}",
                category=CATEGORIES[i % len(CATEGORIES)],
                selling_unit="case",
                pack_size=6,
                list_price=Money(Decimal(rng.randint(100, 20_000)) / 100, "EUR"),
                active=True,
            ),
        )
        for i in range(PRODUCTS)
    ]
    for start in range(0, PRODUCTS, 1000):
        product_store.insert_products(products[start : start + 1000], now_us)


def _seed_accounts(now_us: int) -> None:
    columns = (
        "legal_name", "display_name", "sort_name", "search_text", "status", "price_tier",
        "currency_code", "create_time_us", "update_time_us",
    )  # fmt: skip
    rows = [
        (f"Shop {i}", f"Shop {i}", f"shop {i}", f"shop {i}", 2, TIERS[i % 3], "EUR", now_us, now_us)
        for i in range(ACCOUNTS)
    ]
    insert_rows("account", columns, rows)


def _list(name: str, audience: Audience, parent: PriceList | None = None) -> PriceList:
    return PriceList(
        id=0,
        version=0,
        name=name,
        currency="EUR",
        status=ListStatus.ACTIVE,
        window=Window(),
        priority=0,
        increment_micros=10_000,
        audience=audience,
        parent_id=parent.id if parent else None,
        parent_discount=Decimal(5) if parent else Decimal(0),
    )


def _rule(owner: PriceList, n: int, rng: random.Random) -> PriceRule:
    """A SKU rule with volume breaks at a random level, or a category rule."""
    level = rng.choice((QuantityLevel.LINE, QuantityLevel.PRODUCT, QuantityLevel.ORDER))
    breaks = (QuantityBreak(12, discount=Decimal(3)), QuantityBreak(48, discount=Decimal(6)))
    return PriceRule(
        id=0,
        version=1,
        list_id=owner.id,
        target=RuleTarget(sku=sku(n % PRODUCTS)),
        basis=Basis.CATALOG,
        discount=Decimal(rng.randint(0, 10)),
        breaks=breaks,
        level=level,
        window=Window(None, None if n % 7 else 2**62),
    )


@dataclass
class Book:
    named: list[PriceList]
    rules: int = 0
    # Rules so far per named list, and where each list's SKUs start: each list's rules
    # step through the catalog 7 SKUs apart, so no SKU repeats within a list.
    counts: dict[int, int] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)


def seed_book(rng: random.Random, now_us: int) -> Book:
    """The catalog, the accounts, the base and tier lists with their rules, and the named
    lists (each naming ten accounts that are not the quoted ones) without rules yet."""
    _seed_catalog(rng, now_us)
    _seed_accounts(now_us)
    base = price_list_store.insert_list(_list("Base", Audience(everyone=True)), now_us)
    category_rules = [
        PriceRule(
            0,
            1,
            base.id,
            RuleTarget(category=c),
            Basis.CATALOG,
            discount=Decimal(2),
            breaks=(QuantityBreak(48, discount=Decimal(5)),),
            level=QuantityLevel.CATEGORY,
        )
        for c in CATEGORIES
    ]
    tier_lists = [
        price_list_store.insert_list(_list(t, Audience(tiers=frozenset({t})), base), now_us)
        for t in TIERS
    ]
    book = Book(named=[])
    own = [_rule(base, n, rng) for n in range(0, PRODUCTS, 2)]
    own += [_rule(tier_lists[0], n, rng) for n in range(0, PRODUCTS, 10)]
    _insert_rules([*category_rules, *own], now_us, book)
    named_accounts = [i for i in range(1, ACCOUNTS + 1) if i % 3 != 1]  # not gold
    for n in range(NAMED_LISTS):
        ids = frozenset(rng.sample(named_accounts, 10))
        book.named.append(
            price_list_store.insert_list(_list(f"Named {n}", Audience(account_ids=ids)), now_us)
        )
    return book


def _insert_rules(rules: list[PriceRule], now_us: int, book: Book) -> None:
    for start in range(0, len(rules), 1000):
        price_rule_store.insert_rules(rules[start : start + 1000], now_us)
    book.rules += len(rules)


def grow_named(book: Book, total_rules: int, rng: random.Random, now_us: int) -> None:
    """Rules in the named-account lists until the book holds ``total_rules``."""
    per_list = -(-(total_rules - book.rules) // len(book.named))  # rounded up
    pending: list[PriceRule] = []
    for price_list in book.named:
        wanted = min(per_list, total_rules - book.rules - len(pending))
        if wanted <= 0:
            break
        offset = book.offsets.setdefault(price_list.id, rng.randrange(PRODUCTS))
        done = book.counts.get(price_list.id, 0)
        pending += [_rule(price_list, offset + (done + k) * 7, rng) for k in range(wanted)]
        book.counts[price_list.id] = done + wanted
    _insert_rules(pending, now_us, book)


# ---------------------------------------------------------------------------- measuring


@contextmanager
def counted_statements() -> Iterator[list[int]]:
    """Counts the statements the database connection runs while the block is open."""
    db = database.db_proxy.obj
    original = db.execute_sql
    count = [0]

    def counting(sql, params=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        count[0] += 1
        return original(sql, params, *args, **kwargs)

    db.execute_sql = counting
    try:
        yield count
    finally:
        db.execute_sql = original


@dataclass
class InProcess:
    p50_ms: float
    p95_ms: float
    statements: int


def quote_in_process(account_id: int, lines: int, calls: int, rng: random.Random) -> InProcess:
    """Latency of the quote use case and the reply's message, after a warm-up (the page
    cache, the prepared statements)."""
    clock = SystemClock()
    latencies: list[int] = []
    counts: list[int] = []
    warm_up = calls // 10
    for call in range(warm_up + calls):
        request = quotes.QuoteRequest(
            account_id=str(account_id),
            lines=[
                LineRequest(sku(rng.randrange(PRODUCTS)), rng.randint(1, 60)) for _ in range(lines)
            ],
        )
        with unit_of_work.for_system("bench", clock) as work, counted_statements() as count:
            started = time.perf_counter_ns()
            quote_to_proto(quotes.quote(work, request), explain=False)
            elapsed = time.perf_counter_ns() - started
        if call >= warm_up:
            latencies.append(elapsed)
            counts.append(count[0])
    return InProcess(
        percentile_ms(latencies, 0.5), percentile_ms(latencies, 0.95), statistics.mode(counts)
    )


def throughput(call: Callable[[], object], threads: int, seconds: float) -> float:
    """Calls per second of ``call`` from ``threads`` threads over ``seconds``."""
    done = [0] * threads
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        while time.monotonic() < deadline:
            call()
            done[index] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


@dataclass
class Remote:
    health_per_s: float
    quote_per_s: float
    sheet_s: float
    sheet_entries: int

    @property
    def ratio(self) -> float:
        return self.quote_per_s / self.health_per_s


def measure_remote(
    url: str, account_id: int, args: argparse.Namespace, rng: random.Random
) -> Remote:
    with running_server(url, 900.0) as server, grpc.insecure_channel(server.target) as channel:
        pricing = pricing_service_pb2_grpc.PricingServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        md = server.metadata

        def ten_lines() -> object:
            lines = [
                pricing_service_pb2.QuoteLineRequest(sku=sku(rng.randrange(PRODUCTS)), quantity=12)
                for _ in range(10)
            ]
            request = pricing_service_pb2.QuoteRequest(account_id=str(account_id), lines=lines)
            return pricing.Quote(request, metadata=md, timeout=30)

        ten_lines()
        health_rate = throughput(
            lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=30),
            args.threads,
            args.seconds,
        )
        quote_rate = throughput(ten_lines, args.threads, args.seconds)
        started = time.perf_counter()
        entries, token = 0, ""
        while True:
            page = pricing.GetPriceSheet(
                pricing_service_pb2.GetPriceSheetRequest(
                    account_id=str(account_id), page_size=500, page_token=token
                ),
                metadata=md,
                timeout=120,
            )
            entries += len(page.entries)
            token = page.next_page_token
            if not token:
                break
        sheet = time.perf_counter() - started
    return Remote(health_rate, quote_rate, sheet, entries)


# ---------------------------------------------------------------------------- report


def _goal(ok: bool) -> str:
    return "meets the goal" if ok else "SHORT of the goal"


def report(results: dict[int, tuple[InProcess, Remote]], setup: list[str]) -> str:
    rows = [
        f"{'rules':>8}  {'quote 50 p50':>12}  {'p95':>8}  {'SQL':>4}  {'10-line/s':>9}  "
        f"{'health/s':>8}  {'ratio':>6}  {'sheet':>7}"
    ]
    for rules, (local, remote) in results.items():
        rows.append(
            f"{rules:>8,}  {local.p50_ms:>9.2f} ms  {local.p95_ms:>5.2f} ms  "
            f"{local.statements:>4}  "
            f"{remote.quote_per_s:>9.0f}  {remote.health_per_s:>8.0f}  {remote.ratio:>6.2f}  "
            f"{remote.sheet_s:>5.2f} s"
        )
    small, large = results[min(results)], results[max(results)]
    local, remote = large
    goals = [
        f"goal: 50-line quote p50 <= {GOALS['quote_p50_ms']} ms: {local.p50_ms:.2f} ms, "
        + _goal(local.p50_ms <= GOALS["quote_p50_ms"]),
        f"goal: <= {GOALS['statements']} SQL statements per quote: {local.statements}, "
        + _goal(local.statements <= GOALS["statements"]),
        f"goal: 10-line quote / health check >= {GOALS['throughput_ratio']}: "
        f"{remote.ratio:.2f}, " + _goal(remote.ratio >= GOALS["throughput_ratio"]),
        f"goal: full price sheet ({remote.sheet_entries:,} products) <= {GOALS['sheet_s']} s: "
        f"{remote.sheet_s:.2f} s, " + _goal(remote.sheet_s <= GOALS["sheet_s"]),
        f"growth: {min(results):,} -> {max(results):,} rules (the added ones cannot apply to "
        f"the account): quote p50 x{local.p50_ms / small[0].p50_ms:.2f}",
    ]
    summary = (
        f"pricing: 50-line quote p50 {local.p50_ms:.2f} ms in {local.statements} statements, "
        f"10-line quote/health {remote.ratio:.2f}, sheet {remote.sheet_s:.2f} s"
    )
    return report_text("bench_pricing: Quote and GetPriceSheet", setup, [rows, goals], summary)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="in-process quotes per size")
    parser.add_argument("--threads", type=int, default=4, help="client threads for the RPCs")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per RPC phase")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--database", metavar="URL", help="an empty database (default: a new SQLite file)"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace, url: str, backend: str) -> int:
    started = time.monotonic()
    rng = random.Random(args.seed)
    db = database.open_database(url)
    migrations.migrate(db)
    now_us = time.time_ns() // 1000 - 1
    print("seeding the catalog, accounts and price lists ...", file=sys.stderr, flush=True)
    with db.connection_context(), db.atomic():
        book = seed_book(rng, now_us)
        grow_named(book, 10_000, rng, now_us)
        [(account_id,)] = fetch_rows(
            "SELECT MIN(id) FROM account WHERE price_tier = ?", QUOTED_TIER
        )
    results: dict[int, tuple[InProcess, Remote]] = {}
    for size in (10_000, 100_000):
        with db.connection_context():
            if size > book.rules:
                print(f"growing to {size:,} rules ...", file=sys.stderr, flush=True)
                with db.atomic():
                    grow_named(book, size, rng, now_us)
            db.execute_sql("ANALYZE")
            gc.collect()  # the seeding's garbage would be collected during the phase
            local = quote_in_process(account_id, 50, args.calls, rng)
        remote = measure_remote(url, account_id, args, rng)
        results[book.rules] = (local, remote)
    setup = [
        f"data:    {PRODUCTS:,} products, {ACCOUNTS:,} accounts, {NAMED_LISTS + 4:,} price lists, "
        f"{backend}",
        f"quotes:  account {account_id} (tier {QUOTED_TIER}), random SKUs; in process "
        f"{args.calls} calls per size; RPCs from {args.threads} threads for {args.seconds:.0f} s",
        f"run:     {time.monotonic() - started:.0f} s in all",
    ]
    print(report(results, setup), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run_main(lambda url, backend, tmpdir: run(args, url, backend), args.database)
    finally:
        database.close_database()


if __name__ == "__main__":
    sys.exit(main())
