"""Import benchmark: order lines per second through the client library's ``import_orders``,
against a raw ``sqlite3`` executemany of the same rows, and GetAccountSummary latency on
the database that import filled.

Run it with ``make bench`` (``.venv/bin/python bench/bench_import.py``); ``--help`` lists the
flags. In one run it

1. starts a real server in a separate process (see ``common.py``) on a new SQLite file in a
   temporary directory, or on ``--database URL`` (e.g. PostgreSQL);
2. seeds accounts through BatchUpsertAccounts and the demo catalog through
   BatchUpsertProducts;
3. imports ``--lines`` order lines (orders of 5 lines, dated over the last two years,
   spread evenly over the accounts) with ``Client.import_orders`` and reports lines/s. The
   Order messages are built while the import pulls them; the time spent building them is
   measured and left out (it is the caller's work, not the service's) and shown apart;
4. copies the rows the import stored (sales_order and order_line, ids included) into new
   SQLite files created by the project's migrations and opened with the server's settings,
   with plain ``sqlite3`` executemany: once committing every batch as the import does (what
   the database itself costs at the import's commits) and once in a single transaction (the
   ceiling); the import's rate is shown as a ratio to each, and so is its CPU time per line
   (the server process's against the copy's), which on a busy machine moves far less than
   wall-clock rates;
5. times ``--summary-calls`` GetAccountSummary calls on random accounts (p50, p99) next to a
   no-op health check on the same server.

The goals (85,000 lines/s; import/raw 0.8 against the copy committed per batch and 0.5
against the single transaction; summary p50 under 20 ms) are printed with the figures,
never asserted: the ratios are what to compare between machines. Every RPC has a
deadline, the server process has a lifetime, and ``--time-limit`` bounds the whole run.
Against a shared database the orders get run-unique external ids (``BI-<run>-...``), so
every run measures inserts; they are not deleted afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import signal
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import grpc
from common import (
    BenchError,
    ServerProcess,
    account_external_id,
    describe_error,
    percentile_ms,
    report_text,
    run_main,
    running_server,
    seed_accounts,
)
from google.type import date_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from wholesale.client import Client
from wholesale.client.errors import WholesaleError
from wholesale.client.imports import ImportProgress, ImportReport
from wholesale.server.demo_catalog import DemoProduct, demo_catalog
from wholesale.server.store import database, migrations
from wholesale.v1 import order_pb2

LINES_PER_ORDER = 5
HISTORY_DAYS = 730
RPC_TIMEOUT_S = 10.0
IMPORT_BATCH_TIMEOUT_S = 120.0
WARMUP_CALLS = 10
GOAL_LINES_PER_S = 85_000
# import / raw executemany of the same rows: committed per batch as the import commits
# (the import limited by the database, not by Python), and in one transaction.
GOAL_RATIO_PER_BATCH = 0.8
GOAL_RATIO_ONE_TRANSACTION = 0.5
GOAL_SUMMARY_P50_MS = 20.0


class TimedIterator:
    """Wraps an iterator and adds up the time spent producing its items, so the import
    rate can leave out the building of the messages."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self.seconds = 0.0

    def __iter__(self) -> TimedIterator:
        return self

    def __next__(self) -> Any:
        started = time.perf_counter()
        try:
            return next(self._items)
        finally:
            self.seconds += time.perf_counter() - started


# --------------------------------------------------------------------------- workload


@dataclass(frozen=True)
class Workload:
    """The orders to import: deterministic for a seed, apart from the run id in their
    external ids."""

    run_id: str
    order_count: int
    account_external_ids: list[str]
    products: list[DemoProduct]
    end: dt.date
    seed: int

    @property
    def line_count(self) -> int:
        return self.order_count * LINES_PER_ORDER

    def orders(self) -> Iterator[order_pb2.Order]:
        rng = random.Random(self.seed)
        days = [self.end - dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
        dates = [date_pb2.Date(year=d.year, month=d.month, day=d.day) for d in days]
        accounts = self.account_external_ids
        for number in range(self.order_count):
            order = order_pb2.Order(
                external_id=f"BI-{self.run_id}-{number:09d}",
                account_external_id=accounts[number % len(accounts)],
                order_date=dates[rng.randrange(HISTORY_DAYS)],
                status=order_pb2.ORDER_STATUS_FULFILLED,
            )
            for product in rng.sample(self.products, LINES_PER_ORDER):
                line = order.lines.add(
                    sku=product.sku, quantity=product.pack_size * rng.randint(1, 8)
                )
                micros = product.list_price_micros
                line.unit_price.currency_code = "EUR"
                line.unit_price.units = micros // 1_000_000
                line.unit_price.nanos = micros % 1_000_000 * 1000
            yield order


def seed_catalog(client: Client, seed: int) -> list[DemoProduct]:
    """The demo catalog, through BatchUpsertProducts; returns the products orders may use."""
    catalog = demo_catalog(seed)
    for start in range(0, len(catalog), 1000):
        client.batch_upsert_products(
            {
                "sku": p.sku,
                "name": p.name,
                "category": p.category,
                "selling_unit": p.selling_unit,
                "pack_size": p.pack_size,
                "list_price": Decimal(p.list_price_micros).scaleb(-6),
                "currency_code": "EUR",
                "active": p.active,
            }
            for p in catalog[start : start + 1000]
        )
    return [p for p in catalog if p.active]


# --------------------------------------------------------------------------- import


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far, from /proc on Linux; NaN
    elsewhere. Unlike wall time it hardly moves with the load of a shared machine."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ImportFigures:
    report: ImportReport
    build_seconds: float
    # CPU time the server process spent during the import.
    server_cpu_seconds: float

    @property
    def seconds(self) -> float:
        """Time in the import itself: the whole call minus building the messages."""
        return self.report.elapsed - self.build_seconds

    @property
    def lines_per_second(self) -> float:
        return self.report.lines / self.seconds if self.seconds > 0 else 0.0


def _progress_printer(total_lines: int) -> Callable[[ImportProgress], None]:
    """Prints a line to stderr at every tenth of the import."""
    next_tenth = [1]

    def show(progress: ImportProgress) -> None:
        if progress.lines_done * 10 >= next_tenth[0] * total_lines:
            next_tenth[0] = progress.lines_done * 10 // total_lines + 1
            print(
                f"  imported {progress.lines_done:,} lines "
                f"({100 * progress.lines_done / total_lines:.0f}%)",
                file=sys.stderr,
                flush=True,
            )

    return show


def run_import(
    client: Client, workload: Workload, batch_size: int, server_pid: int
) -> ImportFigures:
    orders = TimedIterator(workload.orders())
    cpu_before = process_cpu_seconds(server_pid)
    try:
        report = client.import_orders(
            orders,
            batch_size=batch_size,
            on_progress=_progress_printer(workload.line_count),
            timeout=IMPORT_BATCH_TIMEOUT_S,
        )
    except WholesaleError as exc:
        raise BenchError(f"the import failed: {describe_error(exc)}") from None
    if report.rejected or report.created != workload.order_count:
        first = report.rejections[0].message if report.rejections else "none rejected"
        raise BenchError(
            f"the import created {report.created} of {workload.order_count} orders and "
            f"rejected {report.rejected} (first: {first})"
        )
    return ImportFigures(report, orders.seconds, process_cpu_seconds(server_pid) - cpu_before)


# --------------------------------------------------------------------------- raw baseline


@dataclass
class RawCopy:
    """One raw copy of the imported rows: a new SQLite file written with executemany,
    committed once at the end (the ceiling the import is compared with) or after every
    batch, as the import commits."""

    name: str
    # How it commits, for one-line figures.
    commits: str
    connection: sqlite3.Connection
    commit_every_batch: bool
    # The ratio import/this the import should reach.
    goal: float
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    lines: int = 0

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else 0.0

    def insert(self, orders: tuple[str, list[tuple]], lines: tuple[str, list[tuple]]) -> None:
        """Times the inserts (and the commit, when committing per batch) of one batch."""
        started, cpu = time.perf_counter(), time.process_time()
        self.connection.executemany(*orders)
        self.connection.executemany(*lines)
        if self.commit_every_batch:
            self.connection.commit()
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu
        self.lines += len(lines[1])

    def finish(self) -> None:
        started, cpu = time.perf_counter(), time.process_time()
        self.connection.commit()
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu


def _connect_source(url: str) -> Any:
    """A DB-API connection to the server's database, to read back what the import stored."""
    if url.startswith("sqlite:"):
        return sqlite3.connect(url.removeprefix("sqlite://").removeprefix("/"))
    import psycopg2

    return psycopg2.connect(url)


def _fetch(source: Any, sql: str) -> tuple[list[str], list[tuple]]:
    with closing(source.cursor()) as cursor:
        cursor.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _insert_sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def max_order_id(url: str) -> int:
    """Orders above this id are the ones this run imports."""
    with closing(_connect_source(url)) as source:
        _, rows = _fetch(source, "SELECT COALESCE(MAX(id), 0) FROM sales_order")
    return int(rows[0][0])


def _raw_database(path: str) -> sqlite3.Connection:
    """A new SQLite file with the project's schema (run through its migrations) and the
    server's connection settings."""
    migrations.migrate(database.open_database(f"sqlite:///{path}"))
    database.close_database()
    raw = sqlite3.connect(path)
    for name, value in database.SQLITE_PRAGMAS.items():
        raw.execute(f"PRAGMA {name} = {value}")
    return raw


def _copy_table(source: Any, raw: sqlite3.Connection, table: str) -> None:
    columns, rows = _fetch(source, f"SELECT * FROM {table}")
    with raw:
        raw.executemany(_insert_sql(table, columns), rows)


def _imported_batches(
    source: Any, after_id: int, batch_orders: int
) -> Iterator[tuple[tuple[str, list[tuple]], tuple[str, list[tuple]]]]:
    """The stored orders above ``after_id`` and their lines, ``batch_orders`` at a time, as
    (insert statement, rows) pairs."""
    last = after_id
    while True:
        order_columns, orders = _fetch(
            source, f"SELECT * FROM sales_order WHERE id > {last} ORDER BY id LIMIT {batch_orders}"
        )
        if not orders:
            return
        first, last = orders[0][0], orders[-1][0]
        line_columns, lines = _fetch(
            source,
            f"SELECT * FROM order_line WHERE order_id BETWEEN {first} AND {last} "
            "ORDER BY order_id, line_no",
        )
        yield (
            (_insert_sql("sales_order", order_columns), orders),
            (_insert_sql("order_line", line_columns), lines),
        )


def run_raw(url: str, after_id: int, tmpdir: str, batch_orders: int) -> list[RawCopy]:
    """Inserts the imported orders and lines again into two new files, timing only the
    inserts and commits (reading them back from the server's database is not counted).
    Both copies get each batch in turn, so they see the same rows in the same order."""
    with closing(_connect_source(url)) as source:
        copies = [
            RawCopy(
                f"raw, a commit per {batch_orders} orders as the import",
                "committed per batch",
                _raw_database(f"{tmpdir}/b.db"),
                True,
                GOAL_RATIO_PER_BATCH,
            ),
            RawCopy(
                "raw sqlite3 executemany, one transaction",
                "in one transaction",
                _raw_database(f"{tmpdir}/a.db"),
                False,
                GOAL_RATIO_ONE_TRANSACTION,
            ),
        ]
        try:
            for copy in copies:  # what the rows refer to, not timed
                for table in ("account", "product"):
                    _copy_table(source, copy.connection, table)
            for orders, lines in _imported_batches(source, after_id, batch_orders):
                for copy in copies:
                    copy.insert(orders, lines)
            for copy in copies:
                copy.finish()
        finally:
            for copy in copies:
                copy.connection.close()
    return copies


# --------------------------------------------------------------------------- latency


def time_calls(call: Callable[[], object], count: int) -> list[int]:
    """Nanoseconds of each of ``count`` calls, after a few unmeasured ones."""
    for _ in range(WARMUP_CALLS):
        call()
    latencies = []
    for _ in range(count):
        started = time.perf_counter_ns()
        call()
        latencies.append(time.perf_counter_ns() - started)
    return latencies


def summary_latencies(
    client: Client, account_ids: list[str], count: int, seed: int
) -> tuple[list[int], list[int]]:
    """(GetAccountSummary on random accounts, health check) latencies in nanoseconds."""
    rng = random.Random(seed)
    health = health_pb2_grpc.HealthStub(client.channel)
    request = health_pb2.HealthCheckRequest(service="")
    try:
        summaries = time_calls(lambda: client.get_account_summary(rng.choice(account_ids)), count)
        checks = time_calls(lambda: health.Check(request, timeout=RPC_TIMEOUT_S), count)
    except (WholesaleError, grpc.RpcError) as exc:
        raise BenchError(f"latency phase failed: {describe_error(exc)}") from None
    return summaries, checks


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Results:
    imported: ImportFigures
    # Committed per batch, then in one transaction (the ceiling).
    raw: list[RawCopy]
    summaries_ns: list[int]
    health_ns: list[int]
    setup: list[str]

    def ratio(self, copy: RawCopy) -> float:
        return _ratio(self.imported.lines_per_second, copy.lines_per_second)

    @property
    def summary_p50(self) -> float:
        return percentile_ms(self.summaries_ns, 0.5)


def _ratio(value: float, base: float) -> float:
    return value / base if base else math.nan


def _rate_row(name: str, lines: int, seconds: float, ratio: str = "", goal: str = "") -> str:
    rate = lines / seconds if seconds > 0 else 0.0
    return f"{name:<46} {lines:>10,} {seconds:>8.2f} {rate:>10,.0f} {ratio:>12} {goal:>5}"


def _rate_table(results: Results) -> list[str]:
    imported, report_ = results.imported, results.imported.report
    header = (
        f"{'phase':<46} {'lines':>10} {'seconds':>8} {'lines/s':>10} {'import/this':>12} "
        f"{'goal':>5}"
    )
    rows = [
        header,
        "-" * len(header),
        _rate_row("import over gRPC (Client.import_orders)", report_.lines, imported.seconds),
        _rate_row("  the same, building the messages included", report_.lines, report_.elapsed),
    ]
    for copy in results.raw:
        ratio = f"{results.ratio(copy):.3f}"
        rows.append(_rate_row(copy.name, copy.lines, copy.seconds, ratio, f"{copy.goal:g}"))
    per_line = 1e6 / report_.lines if report_.lines else math.nan
    rows.append(
        f"CPU per line (import/this): server {imported.server_cpu_seconds * per_line:.2f} us "
        "during the import; raw "
        + ", ".join(
            f"{copy.commits} {copy.cpu_seconds * per_line:.2f} us "
            f"({_ratio(copy.cpu_seconds, imported.server_cpu_seconds):.3f})"
            for copy in results.raw
        )
    )
    rows.append(
        f"import: {report_.batches} batches, {report_.created:,} orders created, "
        f"{report_.rejected} rejected, {report_.retries} retried batches"
    )
    return rows


def _latency_table(results: Results) -> list[str]:
    header = f"{f'latency, {len(results.summaries_ns)} calls each':<46} {'p50 ms':>8} {'p99 ms':>8}"
    rows = [header, "-" * len(header)]
    for name, samples in (
        ("GetAccountSummary (random account)", results.summaries_ns),
        ("Health.Check (ceiling)", results.health_ns),
    ):
        p50, p99 = percentile_ms(samples, 0.5), percentile_ms(samples, 0.99)
        rows.append(f"{name:<46} {p50:>8.2f} {p99:>8.2f}")
    return rows


def _goals(results: Results) -> list[str]:
    rate, p50 = results.imported.lines_per_second, results.summary_p50
    goals = [
        (rate >= GOAL_LINES_PER_S, f"import at least {GOAL_LINES_PER_S:,} lines/s: {rate:,.0f}"),
        *(
            (
                results.ratio(copy) >= copy.goal,
                f"import / {copy.name} at least {copy.goal:g}: {results.ratio(copy):.3f}",
            )
            for copy in results.raw
        ),
        (p50 < GOAL_SUMMARY_P50_MS, f"summary p50 under {GOAL_SUMMARY_P50_MS:g} ms: {p50:.2f}"),
    ]
    return ["goals (printed, not asserted):"] + [
        f"  {'reached    ' if reached else 'NOT reached'}  {text}" for reached, text in goals
    ]


def report(results: Results, backend: str) -> str:
    per_batch, one_transaction = results.raw
    summary = (
        f"summary: import {results.imported.lines_per_second:,.0f} lines/s "
        f"(goal {GOAL_LINES_PER_S:,}); import/raw {results.ratio(per_batch):.3f} against the "
        f"copy committed per batch at {per_batch.lines_per_second:,.0f} lines/s (goal "
        f"{per_batch.goal:g}) and {results.ratio(one_transaction):.3f} against one transaction "
        f"at {one_transaction.lines_per_second:,.0f} lines/s (goal {one_transaction.goal:g}); "
        f"GetAccountSummary p50 {results.summary_p50:.2f} ms "
        f"p99 {percentile_ms(results.summaries_ns, 0.99):.2f} ms "
        f"(goal p50 < {GOAL_SUMMARY_P50_MS:g} ms); {per_batch.lines:,} lines, {backend}"
    )
    return report_text(
        "wholesale-accounts import benchmark",
        results.setup,
        [_rate_table(results), _latency_table(results), _goals(results)],
        summary,
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Import rate of order lines over gRPC against a raw sqlite3 "
        "executemany of the same rows, and GetAccountSummary latency on the result.",
    )
    parser.add_argument(
        "--lines", type=int, default=1_000_000, help="order lines to import (default 1000000)"
    )
    parser.add_argument(
        "--accounts", type=int, default=1000, help="accounts the orders spread over (default 1000)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="orders per ImportOrders call (default 1000)"
    )
    parser.add_argument(
        "--summary-calls", type=int, default=200, help="GetAccountSummary calls (default 200)"
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL, e.g. postgresql://postgres@127.0.0.1:5432/bench "
        "(default: a new SQLite file in a temporary directory)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--time-limit",
        type=int,
        default=1800,
        help="stop with an error after this many seconds (default 1800)",
    )
    args = parser.parse_args(argv)
    bounds = {
        "lines": (LINES_PER_ORDER, 50_000_000),
        "accounts": (1, 100_000),
        "batch_size": (1, 2000),
        "summary_calls": (1, 100_000),
        "time_limit": (10, 86_400),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name.replace('_', '-')} must be between {low} and {high}")
    return args


@dataclass(frozen=True)
class ServerPhase:
    """What was measured while the server ran."""

    setup: list[str]
    workload: Workload
    after_id: int
    imported: ImportFigures
    summaries_ns: list[int]
    health_ns: list[int]


def measure_server(
    client: Client, server: ServerProcess, args: argparse.Namespace, url: str
) -> ServerPhase:
    """Seeds, imports, and times the summaries, all over gRPC."""
    seeded = seed_accounts(client.channel, server.metadata, args.accounts, args.seed)
    products = seed_catalog(client, args.seed)
    workload = Workload(
        run_id=uuid.uuid4().hex[:8],
        order_count=math.ceil(args.lines / LINES_PER_ORDER),
        account_external_ids=[account_external_id(i) for i in range(args.accounts)],
        products=products,
        end=dt.datetime.now(dt.UTC).date(),
        seed=args.seed,
    )
    after_id = max_order_id(url)
    print(f"importing {workload.line_count:,} lines ...", file=sys.stderr, flush=True)
    imported = run_import(client, workload, args.batch_size, server.process.pid or 0)
    summaries, checks = summary_latencies(client, seeded.ids, args.summary_calls, args.seed)
    setup = [
        f"data:    {seeded.describe()}; {len(products)} products",
        f"import:  {workload.order_count:,} orders x {LINES_PER_ORDER} lines over "
        f"{args.accounts} accounts and {HISTORY_DAYS} days, {args.batch_size} orders per "
        f"ImportOrders call; building the messages took {imported.build_seconds:.2f} s "
        "(not counted)",
    ]
    return ServerPhase(setup, workload, after_id, imported, summaries, checks)


def run(args: argparse.Namespace, url: str, backend: str, tmpdir: str) -> int:
    started = time.monotonic()
    with (
        running_server(url, args.time_limit + 60.0) as server,
        Client(server.target, token=server.token, timeout=RPC_TIMEOUT_S) as client,
    ):
        phase = measure_server(client, server, args, url)
    print("raw sqlite3 baseline ...", file=sys.stderr, flush=True)
    raw = run_raw(url, phase.after_id, tmpdir, args.batch_size)
    if raw[0].lines != phase.imported.report.lines:
        raise BenchError(f"read back {raw[0].lines} lines, imported {phase.imported.report.lines}")
    setup = [
        f"server:  separate process, {server.max_workers} worker threads, {backend}",
        *phase.setup,
        f"run:     {time.monotonic() - started:.0f} s in all",
    ]
    results = Results(phase.imported, raw, phase.summaries_ns, phase.health_ns, setup)
    print(report(results, backend), flush=True)
    return 0


def _time_limit_reached(signum: int, frame: object) -> None:
    raise BenchError("the time limit was reached; the server process was stopped")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, _time_limit_reached)
    signal.alarm(args.time_limit)
    try:
        return run_main(lambda url, backend, tmpdir: run(args, url, backend, tmpdir), args.database)
    finally:
        signal.alarm(0)


if __name__ == "__main__":
    sys.exit(main())
