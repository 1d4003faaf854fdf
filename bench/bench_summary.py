"""Summary benchmark: GetAccountSummary latency on demo data with invoices and payments, and
whether it stays the same when the database holds a hundred times more other accounts.

Run it with ``make bench`` (``.venv/bin/python bench/bench_summary.py``); ``--help`` lists the
flags. In one run it

1. seeds the demo data set (``wholesale-server seed-demo``: catalog, ``--accounts``
   retailers, two years of their orders, lines, invoices and payments up to ``--end-date``)
   into a new SQLite file in a temporary directory, or into ``--database URL``;
2. starts a real server in a separate process (see ``common.py``) and times ``--calls``
   GetAccountSummary calls on random demo accounts from one client thread (p50, p99), then
   as many no-op health checks (the ceiling);
3. grows the database with ``--copies`` copies of that whole history under new account,
   order, invoice and payment ids (SQL ``INSERT ... SELECT``, far faster than seeding
   30,000 accounts through the seeder, and with the demo's proportions of orders, lines,
   invoices and payments per account);
4. times the same calls on the same demo accounts again, and the health check again.

It prints both latencies, the ratio of the second to the first (the goal: 1 within noise,
the summary's cost follows the account's history, not the database's) and the goals
(p50 2 ms, p99 5 ms), which are printed, never asserted. ``ANALYZE`` runs after each
seeding step, as a database in service would have its statistics. Against ``--database``
nothing is deleted afterwards, so give it a database of its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from common import (
    BenchError,
    Metadata,
    describe_error,
    percentile_ms,
    report_text,
    run_main,
    running_server,
)
from google.type import date_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from wholesale.server.demo import seed_demo
from wholesale.server.store import database, migrations
from wholesale.v1 import order_service_pb2, order_service_pb2_grpc

RPC_TIMEOUT_S = 10.0
WARMUP_CALLS = 20
GOAL_P50_MS = 2.0
GOAL_P99_MS = 5.0
# A copy keeps the demo's ids plus k times these strides, so rows never collide.
ID_TABLES = ("account", "sales_order", "invoice", "payment")
COPIED_TABLES = ("account", "sales_order", "order_line", "invoice", "payment")
# Column -> the table whose id it holds (shifted by that table's stride in each copy).
ID_COLUMNS = {
    "id": None,
    "account_id": "account",
    "order_id": "sales_order",
    "invoice_id": "invoice",
}
COPIES_PER_STATEMENT = 10
COPY_CACHE_KIB = 400_000


# --------------------------------------------------------------------------- data


def seed(url: str, accounts: int, seed_value: int, end: dt.date) -> str:
    """The demo data set, written the way ``wholesale-server seed-demo`` writes it."""
    db = database.open_database(url)
    migrations.ensure_schema(db)
    with db.connection_context():
        if db.execute_sql("SELECT COUNT(*) FROM account").fetchone()[0]:
            raise BenchError("the database already holds accounts: give the benchmark a new one")
        return seed_demo(accounts, seed_value, end_date=end)


def demo_account_ids() -> list[str]:
    db = database.db_proxy.obj
    with db.connection_context():
        return [str(row[0]) for row in db.execute_sql("SELECT id FROM account ORDER BY id")]


def analyze() -> None:
    db = database.db_proxy.obj
    with db.connection_context():
        db.execute_sql("ANALYZE")


def _strides() -> dict[str, int]:
    db = database.db_proxy.obj
    return {
        table: int(db.execute_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0])
        for table in ID_TABLES
    }


def _column_expression(table: str, column: str, strides: dict[str, int]) -> str:
    """How a copy derives ``column``: ids shifted by their table's stride, ERP ids suffixed."""
    if column in ID_COLUMNS:
        stride = strides[ID_COLUMNS[column] or table]
        return f"{column} + c.k * {stride}"
    if column == "external_id":
        return "external_id || '~' || CAST(c.k AS TEXT)"
    return column


def _copy_statement(table: str, strides: dict[str, int]) -> str:
    db = database.db_proxy.obj
    columns = [d[0] for d in db.execute_sql(f"SELECT * FROM {table} LIMIT 0").description]
    derived = ", ".join(_column_expression(table, column, strides) for column in columns)
    limit = strides.get(table, strides["sales_order"])
    where = f"id <= {limit}" if table in strides else f"order_id <= {limit}"
    return (
        "WITH RECURSIVE c(k) AS (SELECT ? UNION ALL SELECT k + 1 FROM c WHERE k < ?) "
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {derived} FROM c CROSS JOIN {table} WHERE {where}"
    )


def grow(copies: int) -> tuple[int, float]:
    """Adds ``copies`` copies of every account's history; (accounts now, seconds)."""
    started = time.perf_counter()
    db = database.db_proxy.obj
    param = db.param
    with db.connection_context():
        if not database.is_postgres():
            # Room for the indexes being written: a copy then costs half as long.
            db.execute_sql(f"PRAGMA cache_size = -{COPY_CACHE_KIB}")
        strides = _strides()
        statements = [_copy_statement(t, strides).replace("?", param) for t in COPIED_TABLES]
        for first in range(1, copies + 1, COPIES_PER_STATEMENT):
            last = min(copies, first + COPIES_PER_STATEMENT - 1)
            with db.atomic():
                for statement in statements:
                    db.execute_sql(statement, (first, last))
            print(f"  copies {first}-{last} of {copies} written", file=sys.stderr, flush=True)
        if database.is_postgres():
            for table in ID_TABLES:
                db.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"
                )
        total = int(db.execute_sql("SELECT COUNT(*) FROM account").fetchone()[0])
    return total, time.perf_counter() - started


def row_counts() -> str:
    db = database.db_proxy.obj
    with db.connection_context():
        counts = [
            f"{db.execute_sql(f'SELECT COUNT(*) FROM {t}').fetchone()[0]:,} {t}"
            for t in COPIED_TABLES
        ]
    return ", ".join(counts)


# --------------------------------------------------------------------------- latency


@dataclass(frozen=True)
class Latencies:
    summaries_ns: list[int]
    health_ns: list[int]

    def figures(self, samples: str) -> tuple[float, float]:
        values = getattr(self, samples)
        return percentile_ms(values, 0.5), percentile_ms(values, 0.99)


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


def measure(
    channel: grpc.Channel,
    metadata: Metadata,
    ids: list[str],
    end: dt.date,
    args: argparse.Namespace,
) -> Latencies:
    """GetAccountSummary on random accounts of ``ids`` (the same sequence for the same
    seed), then the health check, from one thread."""
    orders = order_service_pb2_grpc.OrderServiceStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    as_of = date_pb2.Date(year=end.year, month=end.month, day=end.day)
    rng = random.Random(args.seed)

    def summary() -> object:
        request = order_service_pb2.GetAccountSummaryRequest(
            account_id=rng.choice(ids), as_of_date=as_of
        )
        return orders.GetAccountSummary(request, metadata=metadata, timeout=RPC_TIMEOUT_S)

    check = health_pb2.HealthCheckRequest(service="")
    try:
        summaries = time_calls(summary, args.calls)
        checks = time_calls(lambda: health.Check(check, timeout=RPC_TIMEOUT_S), args.calls)
    except grpc.RpcError as exc:
        raise BenchError(f"latency phase failed: {describe_error(exc)}") from None
    return Latencies(summaries, checks)


# --------------------------------------------------------------------------- report


def _table(small: Latencies, large: Latencies, accounts: tuple[int, int]) -> list[str]:
    header = f"{'latency, 1 client thread':<52} {'p50 ms':>8} {'p99 ms':>8} {'p50/health':>11}"
    rows = [header, "-" * len(header)]
    for figures, total in ((small, accounts[0]), (large, accounts[1])):
        health_p50, health_p99 = figures.figures("health_ns")
        p50, p99 = figures.figures("summaries_ns")
        name = f"GetAccountSummary, database of {total:,} accounts"
        rows.append(f"{name:<52} {p50:>8.2f} {p99:>8.2f} {p50 / health_p50:>11.1f}")
        rows.append(
            f"{'  Health.Check (ceiling), same phase':<52} {health_p50:>8.2f} {health_p99:>8.2f}"
        )
    return rows


def _goals(small: Latencies, large: Latencies) -> list[str]:
    p50, p99 = small.figures("summaries_ns")
    big_p50, big_p99 = large.figures("summaries_ns")
    goals = [
        (p50 <= GOAL_P50_MS, f"p50 at most {GOAL_P50_MS:g} ms: {p50:.2f} / {big_p50:.2f}"),
        (p99 <= GOAL_P99_MS, f"p99 at most {GOAL_P99_MS:g} ms: {p99:.2f} / {big_p99:.2f}"),
    ]
    return ["goals (printed, not asserted; small / large database):"] + [
        f"  {'reached    ' if reached else 'NOT reached'}  {text}" for reached, text in goals
    ]


def report(small: Latencies, large: Latencies, accounts: tuple[int, int], setup: list[str]) -> str:
    p50, p99 = small.figures("summaries_ns")
    big_p50, big_p99 = large.figures("summaries_ns")
    summary = (
        f"summary: GetAccountSummary p50 {p50:.2f} ms p99 {p99:.2f} ms with {accounts[0]:,} "
        f"accounts, p50 {big_p50:.2f} ms p99 {big_p99:.2f} ms with {accounts[1]:,}; "
        f"large/small p50 {big_p50 / p50:.2f}, p99 {big_p99 / p99:.2f} (goal 1 within noise)"
    )
    return report_text(
        "wholesale-accounts summary benchmark",
        setup,
        [_table(small, large, accounts), _goals(small, large)],
        summary,
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="GetAccountSummary latency on demo data with invoices and payments, "
        "before and after the database grows by other accounts' history.",
    )
    parser.add_argument("--accounts", type=int, default=300, help="demo accounts (default 300)")
    parser.add_argument(
        "--copies",
        type=int,
        default=100,
        help="copies of the demo history the database grows by (default 100)",
    )
    parser.add_argument(
        "--calls", type=int, default=1000, help="GetAccountSummary calls per phase (default 1000)"
    )
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 6, 30),
        help="last day of the demo history and the summaries' as-of day (default 2026-06-30)",
    )
    parser.add_argument("--seed", type=int, default=7, help="demo and random seed (default 7)")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="an empty database, e.g. postgresql://postgres@127.0.0.1:5432/bench "
        "(default: a new SQLite file in a temporary directory)",
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        default=1800,
        help="stop with an error after this many seconds (default 1800)",
    )
    args = parser.parse_args(argv)
    bounds = {
        "accounts": (1, 100_000),
        "copies": (1, 1000),
        "calls": (1, 1_000_000),
        "time_limit": (10, 86_400),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name.replace('_', '-')} must be between {low} and {high}")
    return args


def run(args: argparse.Namespace, url: str, backend: str) -> int:
    started = time.monotonic()
    print(f"seeding {args.accounts} demo accounts ...", file=sys.stderr, flush=True)
    seeded = seed(url, args.accounts, args.seed, args.end_date)
    ids = demo_account_ids()
    analyze()
    small_rows = row_counts()
    with (
        running_server(url, args.time_limit + 60.0) as server,
        grpc.insecure_channel(server.target) as channel,
    ):
        small = measure(channel, server.metadata, ids, args.end_date, args)
        print(f"growing by {args.copies} copies ...", file=sys.stderr, flush=True)
        total, grow_seconds = grow(args.copies)
        analyze()
        large = measure(channel, server.metadata, ids, args.end_date, args)
    setup = [
        f"server:  separate process, {server.max_workers} worker threads, {backend}",
        f"data:    {seeded}",
        f"small:   {small_rows}",
        f"large:   {row_counts()} ({args.copies} copies in {grow_seconds:.1f} s)",
        f"calls:   {args.calls} per phase on random demo accounts (seed {args.seed}), "
        f"as of {args.end_date.isoformat()}",
        f"run:     {time.monotonic() - started:.0f} s in all",
    ]
    print(report(small, large, (len(ids), total), setup), flush=True)
    return 0


def _time_limit_reached(signum: int, frame: object) -> None:
    raise BenchError("the time limit was reached; the server process was stopped")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, _time_limit_reached)
    signal.alarm(args.time_limit)
    try:
        return run_main(lambda url, backend, tmpdir: run(args, url, backend), args.database)
    finally:
        signal.alarm(0)
        database.close_database()


if __name__ == "__main__":
    sys.exit(main())
