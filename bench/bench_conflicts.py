"""Rule imports and conflict listings in a price book whose lists tie by the tens of
thousands, against the same run's first batches and health checks.

Seeds 10,000 products, then through a server in a separate process creates four active
lists for tags at one priority whose audiences overlap (organic; organic and deli; deli and
bakery; bakery and organic) and imports 40,000 SKU rules into each, every SKU in each of
four quarters, in BatchUpsertPriceRules calls of 1,000 as ``wholesale pricelists import``
sends them. Every list prices every SKU and quarter, so each rule of a later list ties with
one rule of each earlier list it shares a tag with. It measures:

- each list's import: the median of its first and of its last ten batches and their
  ratio (the goal: 1, a batch costs the same however large the list);
- the last list's rules sent again, every one unchanged: the median batch, as a ratio to
  the last batches of its import;
- ListPriceConflicts of the first list (80,000 conflicts): the first page of 500 as a
  ratio to a health check (p50 of repeated calls), every page, and the server's peak
  memory meanwhile (Linux).

Goals are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

import grpc
from common import ServerProcess, report_text, run_main, running_server
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import money_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from wholesale.server.domain.money import Money
from wholesale.server.domain.product import ProductFields
from wholesale.server.store import database, migrations, product_store
from wholesale.v1 import pricing_pb2, pricing_service_pb2, pricing_service_pb2_grpc

CATEGORIES = tuple(
    f"{top}/{sub}" for top in ("beverages", "food", "household", "fresh") for sub in "abcdefghij"
)
TAGS = (("organic",), ("organic", "deli"), ("deli", "bakery"), ("bakery", "organic"))
QUARTERS = tuple(dt.datetime(year, month, 1, tzinfo=dt.UTC) for year, month in (
    (2027, 1), (2027, 4), (2027, 7), (2027, 10), (2028, 1)
))  # fmt: skip
BATCH = 1000
PAGE = 500
EDGE = 10  # batches at each end of an import
GOALS = {"growth": 1.2, "unchanged_ratio": 1.0, "page_ratio": 250.0, "peak_mb": 200.0}
CALL_TIMEOUT_S = 120.0


def seed_catalog(url: str, products: int, rng: random.Random) -> None:
    db = database.open_database(url)
    migrations.migrate(db)
    now_us = time.time_ns() // 1000
    rows = [
        (
            f"P{i:05d}",
            ProductFields(
                name=f"Product {i}",
                category=CATEGORIES[i % len(CATEGORIES)],
                selling_unit="case",
                pack_size=6,
                list_price=Money(Decimal(rng.randint(100, 20_000)) / 100, "EUR"),
                active=True,
            ),
        )
        for i in range(products)
    ]
    with db.connection_context(), db.atomic():
        for start in range(0, products, 1000):
            product_store.insert_products(rows[start : start + 1000], now_us)
    database.close_database()


def _stamp(moment: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def rules_of(list_number: int, products: int) -> Iterator[pricing_pb2.PriceRule]:
    """Every SKU in each quarter, SKU by SKU, as a generated price file lists them."""
    for i in range(products):
        for quarter in range(4):
            yield pricing_pb2.PriceRule(
                sku=f"P{i:05d}",
                fixed_price=money_pb2.Money(currency_code="EUR", units=10 + list_number + quarter),
                start_time=_stamp(QUARTERS[quarter]),
                end_time=_stamp(QUARTERS[quarter + 1]),
                external_id=f"L{list_number}-P{i:05d}-Q{quarter}",
            )


@dataclass
class Imported:
    list_id: str
    batches: list[float]
    conflicts: int
    truncated: int

    @property
    def first_ms(self) -> float:
        return statistics.median(self.batches[:EDGE]) * 1000

    @property
    def last_ms(self) -> float:
        return statistics.median(self.batches[-EDGE:]) * 1000

    @property
    def growth(self) -> float:
        return self.last_ms / self.first_ms


def import_rules(
    pricing: pricing_service_pb2_grpc.PricingServiceStub,
    server: ServerProcess,
    list_id: str,
    rules: Iterator[pricing_pb2.PriceRule],
) -> Imported:
    """Sends the rules in batches, each built before its call is timed."""
    done = Imported(list_id, [], 0, 0)
    batch = list(islice(rules, BATCH))
    while batch:
        request = pricing_service_pb2.BatchUpsertPriceRulesRequest(
            price_list_id=list_id, rules=batch
        )
        started = time.perf_counter()
        response = pricing.BatchUpsertPriceRules(
            request, metadata=server.metadata, timeout=CALL_TIMEOUT_S
        )
        done.batches.append(time.perf_counter() - started)
        done.conflicts += len(response.conflicts)
        done.truncated += response.conflicts_truncated
        batch = list(islice(rules, BATCH))
    return done


def p50_ms(call: Callable[[], object], calls: int) -> float:
    call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def peak_mb(server: ServerProcess, reset: bool = False) -> float:
    """The server's peak resident memory (VmHWM) in MB, reset to the current use first
    with ``reset``; NaN where /proc is missing."""
    try:
        if reset:
            with open(f"/proc/{server.process.pid}/clear_refs", "w") as refs:
                refs.write("5")
        with open(f"/proc/{server.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class Listing:
    health_ms: float
    first_page_ms: float
    all_s: float
    conflicts: int
    pages: int
    peak_mb: float

    @property
    def ratio(self) -> float:
        return self.first_page_ms / self.health_ms


def list_conflicts(
    pricing: pricing_service_pb2_grpc.PricingServiceStub,
    health: health_pb2_grpc.HealthStub,
    server: ServerProcess,
    list_id: str,
    calls: int,
) -> Listing:
    md = server.metadata

    def page(token: str = "") -> pricing_service_pb2.ListPriceConflictsResponse:
        request = pricing_service_pb2.ListPriceConflictsRequest(
            price_list_id=list_id, page_size=PAGE, page_token=token
        )
        return pricing.ListPriceConflicts(request, metadata=md, timeout=CALL_TIMEOUT_S)

    health_ms = p50_ms(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=30), calls)
    peak_mb(server, reset=True)
    first_ms = p50_ms(page, calls)
    started, count, pages, token = time.perf_counter(), 0, 0, ""
    while True:
        found = page(token)
        count, pages, token = count + len(found.conflicts), pages + 1, found.next_page_token
        if not token:
            break
    return Listing(
        health_ms, first_ms, time.perf_counter() - started, count, pages, peak_mb(server)
    )


def run(args: argparse.Namespace, url: str, backend: str) -> int:
    started = time.monotonic()
    print(f"seeding {args.products:,} products ...", file=sys.stderr, flush=True)
    seed_catalog(url, args.products, random.Random(args.seed))
    with running_server(url, 3600.0) as server, grpc.insecure_channel(server.target) as channel:
        pricing = pricing_service_pb2_grpc.PricingServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        list_ids = [
            pricing.CreatePriceList(
                pricing_service_pb2.CreatePriceListRequest(
                    price_list=pricing_pb2.PriceList(
                        name=f"Tags {' '.join(tags)}",
                        currency_code="EUR",
                        status=pricing_pb2.PRICE_LIST_STATUS_ACTIVE,
                        audience=pricing_pb2.PriceListAudience(tags=list(tags)),
                    )
                ),
                metadata=server.metadata,
                timeout=CALL_TIMEOUT_S,
            ).price_list.id
            for tags in TAGS
        ]
        imports = []
        for number, list_id in enumerate(list_ids):
            print(f"importing list {list_id} ...", file=sys.stderr, flush=True)
            imports.append(import_rules(pricing, server, list_id, rules_of(number, args.products)))
        print("sending the last list's rules again ...", file=sys.stderr, flush=True)
        again = import_rules(pricing, server, list_ids[-1], rules_of(3, args.products))
        print("listing the first list's conflicts ...", file=sys.stderr, flush=True)
        listing = list_conflicts(pricing, health, server, list_ids[0], args.calls)
    setup = [
        f"data:    {args.products:,} products, 4 tag lists of one priority, "
        f"{4 * args.products:,} rules each (batches of {BATCH:,}), {backend}",
        f"run:     {time.monotonic() - started:.0f} s in all",
    ]
    print(report(imports, again, listing, setup), flush=True)
    return 0


def _goal(ok: bool) -> str:
    return "meets the goal" if ok else "SHORT of the goal"


def report(imports: list[Imported], again: Imported, listing: Listing, setup: list[str]) -> str:
    rows = [f"{'list':>5}  {'first batches':>13}  {'last batches':>12}  {'growth':>6}  conflicts"]
    for done in imports:
        reported = f"{done.conflicts:,}" + (f" ({done.truncated} capped)" if done.truncated else "")
        rows.append(
            f"{done.list_id:>5}  {done.first_ms:>10.0f} ms  {done.last_ms:>9.0f} ms  "
            f"{done.growth:>6.2f}  {reported}"
        )
    last = imports[-1]
    unchanged = statistics.median(again.batches) * 1000
    unchanged_ratio = unchanged / last.last_ms
    rows += [
        f"again, unchanged: median batch {unchanged:.0f} ms ({unchanged_ratio:.2f} of the last "
        "import batches)",
        f"ListPriceConflicts: health check p50 {listing.health_ms:.2f} ms, first page of {PAGE} "
        f"p50 {listing.first_page_ms:.0f} ms ({listing.ratio:.0f} health checks); all "
        f"{listing.conflicts:,} in {listing.pages} pages {listing.all_s:.1f} s; server peak "
        f"{listing.peak_mb:.0f} MB",
    ]
    worst = max(done.growth for done in imports)
    goals = [
        f"goal: last/first batches <= {GOALS['growth']}: worst {worst:.2f}, "
        + _goal(worst <= GOALS["growth"]),
        f"goal: unchanged / imported batch <= {GOALS['unchanged_ratio']}: "
        f"{unchanged_ratio:.2f}, " + _goal(unchanged_ratio <= GOALS["unchanged_ratio"]),
        f"goal: first page <= {GOALS['page_ratio']:.0f} health checks: {listing.ratio:.0f}, "
        + _goal(listing.ratio <= GOALS["page_ratio"]),
        f"goal: server peak while listing <= {GOALS['peak_mb']:.0f} MB: "
        f"{listing.peak_mb:.0f} MB, " + _goal(listing.peak_mb <= GOALS["peak_mb"]),
    ]
    summary = (
        f"conflicts: batch growth x{worst:.2f}, unchanged batch {unchanged:.0f} ms, first "
        f"page {listing.first_page_ms:.0f} ms, {listing.conflicts:,} conflicts in "
        f"{listing.all_s:.1f} s"
    )
    return report_text(
        "bench_conflicts: BatchUpsertPriceRules and ListPriceConflicts",
        setup,
        [rows, goals],
        summary,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000, help="SKUs; 4 rules each a list")
    parser.add_argument("--calls", type=int, default=20, help="calls for each p50")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--database", metavar="URL", help="an empty database (default: a new SQLite file)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(lambda url, backend, tmpdir: run(args, url, backend), args.database)


if __name__ == "__main__":
    sys.exit(main())
