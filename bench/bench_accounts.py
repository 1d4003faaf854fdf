"""RPC benchmark: calls per second and latency of the account reads, against a ceiling.

Run it with ``make bench`` (``.venv/bin/python bench/bench_accounts.py``); ``--help`` lists
the flags. It starts a real server on a free loopback port with a fresh SQLite file in a
temporary directory (or on ``--database URL``, e.g. PostgreSQL), seeds accounts through
BatchUpsertAccounts, then drives each RPC from ``--threads`` client threads for
``--seconds`` and prints calls/s and p50/p99 latency next to the same figures for a no-op
``grpc.health.v1.Health/Check`` on the same server in the same run. The ratios are what to
compare between machines and commits; the absolute figures depend on the machine.

The server runs in a separate process and the run is bounded (see ``common.py``); every
RPC has a deadline. Against a shared database, the seeded accounts are upserted by external
id (``BENCH-000000`` ...), so a re-run updates rather than duplicates them; nothing is ever
deleted.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median

import grpc
from common import (
    SEED_BATCH,
    SEED_TIMEOUT_S,
    SERVER_START_TIMEOUT_S,
    BenchError,
    Metadata,
    ServerProcess,
    bench_config,
    describe_error,
    machine_line,
    percentile_ms,
    run_main,
    running_server,
    seed_accounts,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc

from wholesale.server.config import ConfigError, concurrent_rpcs_limit
from wholesale.v1 import account_service_pb2, account_service_pb2_grpc

RPC_TIMEOUT_S = 10.0  # deadline of every measured call
MAX_CALLS_PER_THREAD = 2_000_000  # a bound on every loop, whatever the clock does
LIST_PAGE_SIZE = 50


# --------------------------------------------------------------------------- measurement

# A call maker gets a thread's channel and random generator and returns a no-argument call.
CallMaker = Callable[[grpc.Channel, random.Random], Callable[[], object]]


@dataclass
class PhaseResult:
    name: str
    threads: int
    calls: int = 0
    errors: int = 0
    first_error: str = ""
    rates: list[float] = field(default_factory=list)  # calls/s of each round
    latencies_ns: array = field(default_factory=lambda: array("q"))
    # Server CPU seconds over every call sent, warm-up included, for the CPU per call.
    server_cpu_s: float = 0.0
    calls_sent: int = 0

    @property
    def calls_per_second(self) -> float:
        return median(self.rates) if self.rates else 0.0

    @property
    def server_cpu_us(self) -> float:
        return self.server_cpu_s / self.calls_sent * 1e6 if self.calls_sent else math.nan

    def percentile_ms(self, q: float) -> float:
        return percentile_ms(self.latencies_ns, q)


def run_phase(
    result: PhaseResult,
    make_call: CallMaker,
    server: ServerProcess,
    channels: list[grpc.Channel],
    seconds: float,
    warmup: float,
    seed: int,
    abort: threading.Event,
) -> None:
    """Drives one RPC from one thread per channel; adds this round's figures to ``result``."""
    threads = len(channels)
    barrier = threading.Barrier(threads + 1, timeout=60.0)
    per_thread: list[tuple[int, float, array, int, str, int]] = [
        (0, 0.0, array("q"), 0, "", 0)
    ] * threads

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
        sent = 0
        for _ in range(MAX_CALLS_PER_THREAD):
            if abort.is_set():
                break
            begin = time.perf_counter()
            if begin >= stop_at:
                break
            sent += 1
            try:
                call()
                failed = False
            except grpc.RpcError as exc:
                failed = True
                errors += 1
                first_error = first_error or describe_error(exc)
            end = time.perf_counter()
            if begin >= measure_from:
                if measured_start is None:
                    measured_start = begin
                measured_end = end
                if not failed:
                    latencies.append(int((end - begin) * 1e9))
        elapsed = measured_end - measured_start if measured_start is not None else 0.0
        per_thread[index] = (len(latencies), elapsed, latencies, errors, first_error, sent)

    workers = [
        threading.Thread(target=worker, args=(i,), name=f"bench-{result.name}-{i}", daemon=True)
        for i in range(threads)
    ]
    for thread in workers:
        thread.start()
    cpu_before = server.cpu_seconds()
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
    result.server_cpu_s += server.cpu_seconds() - cpu_before

    rate = 0.0
    for calls, elapsed, latencies, errors, first_error, sent in per_thread:
        result.calls_sent += sent
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


def get_call(ids: list[str], metadata: Metadata) -> CallMaker:
    def make(channel: grpc.Channel, rng: random.Random) -> Callable[[], object]:
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        get = account_service_pb2.GetAccountRequest

        return lambda: stub.GetAccount(
            get(id=rng.choice(ids)), metadata=metadata, timeout=RPC_TIMEOUT_S
        )

    return make


def list_call(metadata: Metadata) -> CallMaker:
    def make(channel: grpc.Channel, rng: random.Random) -> Callable[[], object]:
        stub = account_service_pb2_grpc.AccountServiceStub(channel)
        request = account_service_pb2.ListAccountsRequest(page_size=LIST_PAGE_SIZE)
        return lambda: stub.ListAccounts(request, metadata=metadata, timeout=RPC_TIMEOUT_S)

    return make


def sanity_check(channel: grpc.Channel, metadata: Metadata, ids: list[str]) -> None:
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
        raise BenchError(f"sanity check failed: {describe_error(exc)}") from None
    if health.status != health_pb2.HealthCheckResponse.SERVING:
        raise BenchError(f"health check says {health.status}, not SERVING")
    if got.account.id != ids[0]:
        raise BenchError(f"GetAccount({ids[0]}) returned account {got.account.id!r}")
    expected = min(LIST_PAGE_SIZE, len(ids))
    if len(page.accounts) < expected:
        raise BenchError(f"ListAccounts returned {len(page.accounts)} accounts, wanted {expected}")


# --------------------------------------------------------------------------- report

# The goals of the hot-path work: (phase key, figure, goal) printed next to what was reached.
GOALS = (
    ("get", "calls/s ratio to health", 0.7),
    ("list", "calls/s ratio to health", 0.2),
)
P99_GOAL_MS = 10.0  # GetAccount p99 at 16 client threads


def _ratio(value: float, base: float) -> str:
    if not base or math.isnan(value) or math.isnan(base):
        return "-"
    return f"{value / base:.2f}"


def _table(results: list[PhaseResult], ceiling: PhaseResult) -> list[str]:
    header = (
        f"{'rpc':<28} {'thr':>3} {'calls':>7} {'calls/s':>8} {'ratio':>5} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'srv cpu us':>10} {'ratio':>5} {'errors':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.name:<28} {r.threads:>3} {r.calls:>7} {r.calls_per_second:>8.1f} "
            f"{_ratio(r.calls_per_second, ceiling.calls_per_second):>5} "
            f"{r.percentile_ms(0.50):>7.2f} {r.percentile_ms(0.99):>7.2f} "
            f"{r.server_cpu_us:>10.0f} {_ratio(ceiling.server_cpu_us, r.server_cpu_us):>5} "
            f"{r.errors:>6}"
        )
    return lines


def report(runs: dict[int, dict[str, PhaseResult]], describe_run: list[str], backend: str) -> str:
    lines = ["wholesale-accounts RPC benchmark", *describe_run, ""]
    for phases in runs.values():
        lines += _table(list(phases.values()), phases["health"])
        lines.append("")
    lines += [
        "ratio: calls/s, or the health check's server CPU per call over this RPC's, against "
        "the health check at the same thread count in this run (below 1 = slower).",
        "srv cpu us: CPU time of the server process per call (user + system, warm-up "
        "included): what a call costs whatever else the machine is doing.",
    ]
    for phases in runs.values():
        for r in phases.values():
            if r.errors:
                lines.append(f"first error in {r.name} ({r.threads} threads): {r.first_error}")
    lines += ["", f"goals ({backend}):"]
    for threads, phases in runs.items():
        health = phases["health"]
        for key, figure, goal in GOALS:
            reached = _ratio(phases[key].calls_per_second, health.calls_per_second)
            lines.append(
                f"  {phases[key].name} at {threads} threads: {figure} {reached} (goal {goal})"
            )
        p99 = phases["get"].percentile_ms(0.99)
        lines.append(
            f"  {phases['get'].name} at {threads} threads: p99 {p99:.2f} ms"
            + (f" (goal {P99_GOAL_MS:g} ms at 16 threads)" if threads == 16 else "")
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def _thread_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or any(not 1 <= count <= 64 for count in counts):
        raise argparse.ArgumentTypeError(
            f"{text!r}: write thread counts from 1 to 64, comma-separated, such as 4,16"
        )
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Calls/s, latency and server CPU per call of GetAccount and ListAccounts "
        "against a health-check ceiling, on a real server in a separate process.",
    )
    parser.add_argument(
        "--threads",
        type=_thread_counts,
        default=[4, 16],
        help="client thread counts, comma-separated, each a run of its own (default 4,16)",
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="measured seconds per RPC and round (default 3)"
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
        "--workers", type=int, help="the server's max_workers (default: the server's own)"
    )
    parser.add_argument(
        "--max-concurrent-rpcs",
        type=int,
        help="the server's max_concurrent_rpcs (default: the server's own)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="database URL, e.g. postgresql://postgres@127.0.0.1:5432/bench "
        "(default: a new SQLite file in a temporary directory)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if not 0.1 <= args.seconds <= 300:
        parser.error("--seconds must be between 0.1 and 300")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if not 1 <= args.accounts <= 100_000:
        parser.error("--accounts must be between 1 and 100000")
    try:
        bench_config("sqlite:///unused.db", _server_settings(args))
    except ConfigError as exc:
        parser.error(str(exc))
    return args


def _server_settings(args: argparse.Namespace) -> dict[str, object]:
    settings: dict[str, object] = {}
    if args.workers is not None:
        settings["max_workers"] = args.workers
    if args.max_concurrent_rpcs is not None:
        settings["max_concurrent_rpcs"] = args.max_concurrent_rpcs
    return settings


def run(args: argparse.Namespace, database_url: str, backend: str) -> int:
    runs_count = 3 * args.rounds * len(args.threads)
    phase_s = (args.warmup + args.seconds + RPC_TIMEOUT_S + 30.0) * runs_count
    seed_s = SEED_TIMEOUT_S * math.ceil(args.accounts / SEED_BATCH)
    lifetime_s = SERVER_START_TIMEOUT_S + seed_s + phase_s + 60.0
    channels: list[grpc.Channel] = []
    abort = threading.Event()
    runs: dict[int, dict[str, PhaseResult]] = {}
    with running_server(database_url, lifetime_s, _server_settings(args)) as server:
        try:
            # One channel (and so one connection) per thread, as separate clients would have.
            options = [("grpc.use_local_subchannel_pool", 1)]
            channels = [
                grpc.insecure_channel(server.target, options=options)
                for _ in range(max(args.threads))
            ]
            for channel in channels:
                grpc.channel_ready_future(channel).result(timeout=30.0)
            seeded = seed_accounts(channels[0], server.metadata, args.accounts, args.seed)
            sanity_check(channels[0], server.metadata, seeded.ids)
            for threads in args.threads:
                phases = _phases(seeded.ids, server.metadata, threads)
                runs[threads] = {key: result for key, (result, _) in phases.items()}
                for round_no in range(args.rounds):
                    for result, make_call in phases.values():
                        run_phase(
                            result,
                            make_call,
                            server,
                            channels[:threads],
                            args.seconds,
                            args.warmup,
                            args.seed + round_no,
                            abort,
                        )
        finally:
            abort.set()
            for channel in channels:
                channel.close()

    config = server.config
    describe_run = [
        f"server:  separate process, {config.max_workers} worker threads, at most "
        f"{concurrent_rpcs_limit(config)} calls at once, {backend}",
        f"data:    {seeded.describe()}",
        f"client:  {', '.join(map(str, args.threads))} threads with a channel each, "
        f"{args.seconds:g} s per RPC after {args.warmup:g} s warm-up, {args.rounds} round(s)",
        machine_line(),
    ]
    print(report(runs, describe_run, backend), flush=True)
    failed = [
        f"{r.name} ({r.threads} threads)"
        for phases in runs.values()
        for r in phases.values()
        if r.errors or not r.calls
    ]
    if failed:
        print(f"bench: errors or no successful calls in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _phases(
    ids: list[str], metadata: Metadata, threads: int
) -> dict[str, tuple[PhaseResult, CallMaker]]:
    return {
        "health": (PhaseResult("Health.Check (ceiling)", threads), health_call),
        "get": (PhaseResult("GetAccount (random id)", threads), get_call(ids, metadata)),
        "list": (
            PhaseResult(f"ListAccounts (page of {LIST_PAGE_SIZE})", threads),
            list_call(metadata),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(lambda url, backend, _tmpdir: run(args, url, backend), args.database)


if __name__ == "__main__":
    sys.exit(main())
