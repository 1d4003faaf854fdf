"""RPC benchmark: calls per second and latency of the account reads, against a ceiling.

Run it with ``make bench`` (``.venv/bin/python bench/bench_accounts.py``); ``--help`` lists
the flags. It starts a real server on a free loopback port with a fresh SQLite file in a
temporary directory (or on ``--database URL``, e.g. PostgreSQL), seeds accounts through
BatchUpsertAccounts, then drives each RPC from ``--threads`` client threads for
``--seconds`` and prints calls/s and p50/p99 latency next to the same figures for a no-op
``grpc.health.v1.Health/Check`` on the same server in the same run. The ratios are what to
compare between machines and commits; the absolute figures depend on the machine.

The server runs in a separate process (multiprocessing, "spawn"), not in this one: gRPC
Python runs servicer code and client stubs under the GIL, so a server sharing the process
with the client threads would compete with them for one interpreter lock and the figures
would measure the contention rather than the server. A spawned process (not a fork) also
starts gRPC cleanly. The child stops when told to, when this process goes away, or after a
hard time limit; every RPC has a deadline; so the benchmark always ends by itself.

Only loopback addresses are used. Against a shared database, the seeded accounts are
upserted by external id (``BENCH-000001`` ...), so a re-run updates rather than duplicates
them; nothing is ever deleted.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import platform
import random
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from statistics import median
from urllib.parse import urlsplit, urlunsplit

import grpc
from google.type import money_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from wholesale.v1 import account_pb2, account_service_pb2, account_service_pb2_grpc

RPC_TIMEOUT_S = 10.0  # deadline of every measured call
SEED_TIMEOUT_S = 120.0  # deadline of one BatchUpsertAccounts call while seeding
SERVER_START_TIMEOUT_S = 90.0
SEED_BATCH = 500  # the API takes up to 1000 accounts per batch
MAX_CALLS_PER_THREAD = 2_000_000  # a bound on every loop, whatever the clock does
LIST_PAGE_SIZE = 50

TIERS = ("gold", "silver", "bronze", "")
REGIONS = ("North", "South", "East", "West", "Central")
TAGS = ("organic", "chain", "independent", "online", "deli", "bakery", "seasonal", "export")
WORDS = (
    "Corner",
    "Market",
    "Fresh",
    "Village",
    "Harbour",
    "Green",
    "Valley",
    "Oak",
    "Central",
    "Family",
    "Sunrise",
    "Urban",
)
KINDS = ("Grocers", "Foods", "Stores", "Deli", "Provisions", "Mart", "Trading")
FORMS = ("GmbH", "Ltd", "BV", "SARL", "KG", "AG")


class BenchError(Exception):
    """Setup failed in a way that makes the figures meaningless; the message says why."""


# --------------------------------------------------------------------------- server process


def _serve(database_url: str, conn: Connection, parent_pid: int, lifetime_s: float) -> None:
    """Runs in the child process: starts the server, reports (port, token), waits to stop."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    server = None
    try:
        from wholesale.server.app import create_server
        from wholesale.server.config import ServerConfig
        from wholesale.server.store import tokens

        config = ServerConfig(listen="127.0.0.1:0", database_url=database_url, log_level="WARNING")
        server, port = create_server(config)
        server.start()
        token = tokens.issue_token(role="admin", subject="bench")
        conn.send(("ready", port, token, config.max_workers))
    except BaseException:
        try:
            conn.send(("error", traceback.format_exc()))
        finally:
            if server is not None:
                server.stop(0)
        return
    deadline = time.monotonic() + lifetime_s
    try:
        # A message or the pipe closing (parent gone) both make poll() return True.
        while time.monotonic() < deadline and os.getppid() == parent_pid:
            if conn.poll(0.5):
                break
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        server.stop(1.0).wait(5.0)
        try:
            from wholesale.server.store import database

            database.close_database()
        except Exception:
            pass


@dataclass
class ServerProcess:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    target: str
    token: str
    max_workers: int

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send("stop")
        self.process.join(10.0)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5.0)
        self.conn.close()


def start_server_process(database_url: str, lifetime_s: float) -> ServerProcess:
    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    process = ctx.Process(
        target=_serve,
        args=(database_url, child_conn, os.getpid(), lifetime_s),
        name="wholesale-bench-server",
        daemon=True,
    )
    process.start()
    child_conn.close()

    def give_up(message: str) -> BenchError:
        if process.is_alive():
            process.terminate()
        process.join(5.0)
        parent_conn.close()
        return BenchError(message)

    if not parent_conn.poll(SERVER_START_TIMEOUT_S):
        raise give_up(f"the server did not start within {SERVER_START_TIMEOUT_S:.0f} s")
    try:
        message = parent_conn.recv()
    except EOFError:
        raise give_up(
            f"the server process exited during start-up (exit code {process.exitcode})"
        ) from None
    if message[0] != "ready":
        raise give_up(f"the server failed to start:\n{message[1]}")
    _, port, token, max_workers = message
    return ServerProcess(process, parent_conn, f"127.0.0.1:{port}", token, max_workers)


# --------------------------------------------------------------------------- data


def make_account(i: int, rng: random.Random) -> account_pb2.Account:
    name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)}"
    legal = f"{name} {rng.choice(FORMS)}"
    return account_pb2.Account(
        external_id=f"BENCH-{i:06d}",
        legal_name=legal,
        display_name=name,
        status=rng.choice(
            (
                account_pb2.ACCOUNT_STATUS_ACTIVE,
                account_pb2.ACCOUNT_STATUS_ACTIVE,
                account_pb2.ACCOUNT_STATUS_ACTIVE,
                account_pb2.ACCOUNT_STATUS_PROSPECT,
                account_pb2.ACCOUNT_STATUS_ON_HOLD,
            )
        ),
        price_tier=rng.choice(TIERS),
        tags=sorted(rng.sample(TAGS, rng.randint(0, 3))),
        region=rng.choice(REGIONS),
        currency_code="EUR",
        payment_terms_days=rng.choice((0, 14, 30, 45, 60)),
        credit_limit=money_pb2.Money(currency_code="EUR", units=rng.randrange(1, 200) * 500),
        contacts=[
            account_pb2.Contact(
                name=f"Buyer {i}",
                role=account_pb2.CONTACT_ROLE_BUYER,
                email=f"buyer{i}@example.com",
                phone="+49 30 1234567",
                primary=True,
            ),
            account_pb2.Contact(
                name=f"Payables {i}",
                role=account_pb2.CONTACT_ROLE_ACCOUNTS_PAYABLE,
                email=f"ap{i}@example.com",
            ),
        ],
        billing_address=account_pb2.Address(
            lines=[f"{rng.randint(1, 200)} Market Street"],
            locality="Berlin",
            postal_code=f"{rng.randint(10000, 14999)}",
            country_code="DE",
        ),
    )


def seed_accounts(
    channel: grpc.Channel, metadata: tuple[tuple[str, str], ...], count: int, seed: int
) -> tuple[list[str], dict[str, int], float]:
    """Upserts ``count`` generated accounts; returns their ids, the counts and the seconds."""
    stub = account_service_pb2_grpc.AccountServiceStub(channel)
    rng = random.Random(seed)
    run_id = uuid.uuid4().hex[:12]
    ids: list[str] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    started = time.perf_counter()
    for first in range(0, count, SEED_BATCH):
        batch = [make_account(i, rng) for i in range(first, min(count, first + SEED_BATCH))]
        request = account_service_pb2.BatchUpsertAccountsRequest(
            accounts=batch, request_id=f"bench-seed-{run_id}-{first}"
        )
        try:
            response = stub.BatchUpsertAccounts(request, metadata=metadata, timeout=SEED_TIMEOUT_S)
        except grpc.RpcError as exc:
            raise BenchError(f"seeding failed at account {first}: {_describe(exc)}") from None
        if len(response.accounts) != len(batch):
            raise BenchError(
                f"BatchUpsertAccounts returned {len(response.accounts)} accounts "
                f"for {len(batch)} sent"
            )
        ids.extend(account.id for account in response.accounts)
        counts["created"] += response.created_count
        counts["updated"] += response.updated_count
        counts["unchanged"] += response.unchanged_count
    return ids, counts, time.perf_counter() - started


# --------------------------------------------------------------------------- measurement

# A call maker gets a thread's channel and random generator and returns a no-argument call.
CallMaker = Callable[[grpc.Channel, random.Random], Callable[[], object]]


@dataclass
class PhaseResult:
    name: str
    calls: int = 0
    errors: int = 0
    first_error: str = ""
    rates: list[float] = field(default_factory=list)  # calls/s of each round
    latencies_ns: array = field(default_factory=lambda: array("q"))

    @property
    def calls_per_second(self) -> float:
        return median(self.rates) if self.rates else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_ns:
            return math.nan
        ordered = sorted(self.latencies_ns)
        rank = max(1, math.ceil(q * len(ordered)))
        return ordered[rank - 1] / 1e6


def _describe(exc: grpc.RpcError) -> str:
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return f"{code.name if code else 'error'}: {details}"


def run_phase(
    result: PhaseResult,
    make_call: CallMaker,
    channels: list[grpc.Channel],
    seconds: float,
    warmup: float,
    seed: int,
    abort: threading.Event,
) -> None:
    """Drives one RPC from one thread per channel; adds this round's figures to ``result``."""
    threads = len(channels)
    barrier = threading.Barrier(threads + 1, timeout=60.0)
    per_thread: list[tuple[int, float, array, int, str]] = [(0, 0.0, array("q"), 0, "")] * threads

    calls = [make_call(channels[i], random.Random(seed * 1009 + i)) for i in range(threads)]

    def worker(index: int) -> None:
        call = calls[index]
        latencies = array("q")
        errors = 0
        first_error = ""
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        measure_from = time.perf_counter() + warmup
        stop_at = measure_from + seconds
        measured_start: float | None = None
        measured_end = 0.0
        for _ in range(MAX_CALLS_PER_THREAD):
            if abort.is_set():
                break
            begin = time.perf_counter()
            if begin >= stop_at:
                break
            try:
                call()
                failed = False
            except grpc.RpcError as exc:
                failed = True
                errors += 1
                first_error = first_error or _describe(exc)
            end = time.perf_counter()
            if begin >= measure_from:
                if measured_start is None:
                    measured_start = begin
                measured_end = end
                if not failed:
                    latencies.append(int((end - begin) * 1e9))
        elapsed = measured_end - measured_start if measured_start is not None else 0.0
        per_thread[index] = (len(latencies), elapsed, latencies, errors, first_error)

    workers = [
        threading.Thread(target=worker, args=(i,), name=f"bench-{result.name}-{i}", daemon=True)
        for i in range(threads)
    ]
    for thread in workers:
        thread.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        abort.set()
        raise BenchError(f"{result.name}: client threads did not start") from None
    limit = time.monotonic() + warmup + seconds + RPC_TIMEOUT_S + 30.0
    for thread in workers:
        thread.join(max(0.0, limit - time.monotonic()))
    if any(thread.is_alive() for thread in workers):
        abort.set()
        raise BenchError(f"{result.name}: client threads did not stop in time")

    rate = 0.0
    for calls, elapsed, latencies, errors, first_error in per_thread:
        result.calls += calls
        result.errors += errors
        result.first_error = result.first_error or first_error
        result.latencies_ns.extend(latencies)
        if elapsed > 0:
            rate += calls / elapsed
    result.rates.append(rate)


def health_call(channel: grpc.Channel, rng: random.Random) -> Callable[[], object]:
    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="")
    return lambda: stub.Check(request, timeout=RPC_TIMEOUT_S)


def get_call(ids: list[str], metadata: tuple[tuple[str, str], ...]) -> CallMaker:
    def make(channel: grpc.Channel, rng: random.Random) -> Callable[[], object]:
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        get = account_service_pb2.GetAccountRequest

        return lambda: stub.GetAccount(
            get(id=rng.choice(ids)), metadata=metadata, timeout=RPC_TIMEOUT_S
        )

    return make


def list_call(metadata: tuple[tuple[str, str], ...]) -> CallMaker:
    def make(channel: grpc.Channel, rng: random.Random) -> Callable[[], object]:
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        request = account_service_pb2.ListAccountsRequest(page_size=LIST_PAGE_SIZE)
        return lambda: stub.ListAccounts(request, metadata=metadata, timeout=RPC_TIMEOUT_S)

    return make


def sanity_check(
    channel: grpc.Channel, metadata: tuple[tuple[str, str], ...], ids: list[str]
) -> None:
    """Each measured RPC answers correctly once before it is timed."""
    try:
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=RPC_TIMEOUT_S
        )
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        got = stub.GetAccount(
            account_service_pb2.GetAccountRequest(id=ids[0]),
            metadata=metadata,
            timeout=RPC_TIMEOUT_S,
        )
        page = stub.ListAccounts(
            account_service_pb2.ListAccountsRequest(page_size=LIST_PAGE_SIZE),
            metadata=metadata,
            timeout=RPC_TIMEOUT_S,
        )
    except grpc.RpcError as exc:
        raise BenchError(f"sanity check failed: {_describe(exc)}") from None
    if health.status != health_pb2.HealthCheckResponse.SERVING:
        raise BenchError(f"health check says {health.status}, not SERVING")
    if got.account.id != ids[0]:
        raise BenchError(f"GetAccount({ids[0]}) returned account {got.account.id!r}")
    expected = min(LIST_PAGE_SIZE, len(ids))
    if len(page.accounts) < expected:
        raise BenchError(f"ListAccounts returned {len(page.accounts)} accounts, wanted {expected}")


# --------------------------------------------------------------------------- report


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def report(
    results: list[PhaseResult], describe_run: list[str], backend: str, args: argparse.Namespace
) -> str:
    ceiling = results[0]
    base_rate = ceiling.calls_per_second
    base_p50 = ceiling.percentile_ms(0.50)
    base_p99 = ceiling.percentile_ms(0.99)

    def ratio(value: float, base: float) -> str:
        if not base or math.isnan(value) or math.isnan(base):
            return "-"
        return f"{value / base:.2f}"

    lines = ["wholesale-accounts RPC benchmark", *describe_run, ""]
    header = (
        f"{'rpc':<30} {'calls':>8} {'calls/s':>9} {'ratio':>6} "
        f"{'p50 ms':>8} {'ratio':>6} {'p99 ms':>8} {'ratio':>6} {'errors':>7}"
    )
    lines += [header, "-" * len(header)]
    for r in results:
        p50, p99 = r.percentile_ms(0.50), r.percentile_ms(0.99)
        lines.append(
            f"{r.name:<30} {r.calls:>8} {r.calls_per_second:>9.1f} "
            f"{ratio(r.calls_per_second, base_rate):>6} "
            f"{p50:>8.3f} {ratio(p50, base_p50):>6} {p99:>8.3f} {ratio(p99, base_p99):>6} "
            f"{r.errors:>7}"
        )
    lines.append(
        "ratio: the figure divided by the health check's from this run "
        "(calls/s below 1 = slower; latency above 1 = slower)"
    )
    for r in results:
        if r.errors:
            lines.append(f"first error in {r.name}: {r.first_error}")
    get, lst = results[1], results[2]
    lines += [
        "",
        f"summary: GetAccount {get.calls_per_second:.0f} calls/s "
        f"({ratio(get.calls_per_second, base_rate)} of health), "
        f"ListAccounts/{LIST_PAGE_SIZE} {lst.calls_per_second:.0f} calls/s "
        f"({ratio(lst.calls_per_second, base_rate)} of health), "
        f"health ceiling {base_rate:.0f} calls/s; "
        f"{backend}, {args.threads} threads, {args.seconds:g} s x {args.rounds} round(s)",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Calls/s and latency of GetAccount and ListAccounts against a "
        "health-check ceiling, on a real server in a separate process.",
    )
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured seconds per RPC and round (default 5)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the three RPCs in turn; calls/s is the median of the rounds (default 1)",
    )
    parser.add_argument(
        "--accounts", type=int, default=2000, help="accounts to seed (default 2000)"
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL, e.g. postgresql://postgres@127.0.0.1:5432/test "
        "(default: a new SQLite file in a temporary directory)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if not 1 <= args.threads <= 64:
        parser.error("--threads must be between 1 and 64")
    if not 0.1 <= args.seconds <= 300:
        parser.error("--seconds must be between 0.1 and 300")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if not 1 <= args.accounts <= 100_000:
        parser.error("--accounts must be between 1 and 100000")
    return args


def _raise_system_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace, database_url: str, backend: str) -> int:
    phase_s = (args.warmup + args.seconds + RPC_TIMEOUT_S + 30.0) * 3 * args.rounds
    seed_s = SEED_TIMEOUT_S * math.ceil(args.accounts / SEED_BATCH)
    lifetime_s = SERVER_START_TIMEOUT_S + seed_s + phase_s + 60.0
    server = start_server_process(database_url, lifetime_s)
    channels: list[grpc.Channel] = []
    abort = threading.Event()
    try:
        metadata = (("authorization", f"Bearer {server.token}"),)
        # One channel (and so one connection) per thread, as separate clients would have.
        options = [("grpc.use_local_subchannel_pool", 1)]
        channels = [
            grpc.insecure_channel(server.target, options=options) for _ in range(args.threads)
        ]
        for channel in channels:
            grpc.channel_ready_future(channel).result(timeout=30.0)
        ids, counts, seed_seconds = seed_accounts(channels[0], metadata, args.accounts, args.seed)
        sanity_check(channels[0], metadata, ids)

        phases: list[tuple[PhaseResult, CallMaker]] = [
            (PhaseResult("Health.Check (ceiling)"), health_call),
            (PhaseResult("GetAccount (random id)"), get_call(ids, metadata)),
            (PhaseResult(f"ListAccounts (page_size {LIST_PAGE_SIZE})"), list_call(metadata)),
        ]
        for round_no in range(args.rounds):
            for result, make_call in phases:
                run_phase(
                    result,
                    make_call,
                    channels,
                    args.seconds,
                    args.warmup,
                    args.seed + round_no,
                    abort,
                )
    finally:
        abort.set()
        for channel in channels:
            channel.close()
        server.stop()

    results = [result for result, _ in phases]
    describe_run = [
        f"server:  separate process, {server.max_workers} worker threads, {backend}",
        f"data:    {args.accounts} accounts seeded by BatchUpsertAccounts in {seed_seconds:.2f} s "
        f"(created {counts['created']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']})",
        f"client:  {args.threads} threads with a channel each, {args.seconds:g} s per RPC "
        f"after {args.warmup:g} s warm-up, {args.rounds} round(s)",
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, grpcio {grpc.__version__}",
    ]
    print(report(results, describe_run, backend, args), flush=True)
    failed = [r.name for r in results if r.errors or not r.calls]
    if failed:
        print(f"bench: errors or no successful calls in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        if args.database:
            backend = f"database {redact(args.database)}"
            return run(args, args.database, backend)
        with tempfile.TemporaryDirectory(prefix="wholesale-bench-") as tmpdir:
            url = f"sqlite:///{tmpdir}/bench.db"
            return run(args, url, "database sqlite (new file in a temporary directory)")
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; the server process was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
