"""What the benchmarks share: a server in a separate process, seeded accounts, percentiles,
the machine line and a main() that always cleans up.

The server runs in a separate process (multiprocessing, "spawn"), not in the benchmark's:
gRPC Python runs servicer code and client stubs under the GIL, so a server sharing the
process with the client would compete with it for one interpreter lock and the figures
would measure the contention rather than the server. A spawned process (not a fork) also
starts gRPC cleanly. The child stops when told to, when the parent goes away, or after a
hard time limit, so a benchmark always ends by itself.

Only loopback addresses are used. Against a shared database, seeded accounts are upserted
by external id (``BENCH-000001`` ...), so a re-run updates rather than duplicates them.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import platform
import random
import signal
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import grpc
from google.type import money_pb2

from wholesale.server.config import ServerConfig, load_config
from wholesale.v1 import account_pb2, account_service_pb2, account_service_pb2_grpc

SEED_TIMEOUT_S = 120.0  # deadline of one BatchUpsertAccounts call while seeding
SERVER_START_TIMEOUT_S = 90.0
SEED_BATCH = 500  # the API takes up to 1000 accounts per batch

Metadata = tuple[tuple[str, str], ...]

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


def _serve(
    database_url: str,
    conn: Connection,
    parent_pid: int,
    lifetime_s: float,
    settings: dict[str, object],
) -> None:
    """Runs in the child process: starts the server, reports (port, token), waits to stop."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    server = None
    try:
        from wholesale.server.app import create_server
        from wholesale.server.store import tokens

        config = bench_config(database_url, settings)
        server, port = create_server(config)
        server.start()
        token = tokens.issue_token(role="admin", subject="bench")
        conn.send(("ready", port, token, config))
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
        # The database is left for the process exit to close: a handler of a call the
        # client cancelled may still be running, and closing the pool under it fails it.
        server.stop(1.0).wait(5.0)


def bench_config(database_url: str, settings: dict[str, object]) -> ServerConfig:
    """The benchmark server's settings, checked as ``wholesale-server serve`` checks them
    (ConfigError names a bad one), whatever the environment holds."""
    given = {"listen": "127.0.0.1:0", "database_url": database_url, "log_level": "WARNING"}
    return load_config({**given, **settings}, environ={})


@dataclass
class ServerProcess:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    target: str
    token: str
    config: Any  # the child's ServerConfig

    @property
    def metadata(self) -> Metadata:
        return (("authorization", f"Bearer {self.token}"),)

    @property
    def max_workers(self) -> int:
        return self.config.max_workers

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used (NaN where /proc is
        missing): divided by the calls of a phase, what each call cost the server,
        whatever else the machine was doing."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


def start_server_process(
    database_url: str, lifetime_s: float, settings: dict[str, object] | None = None
) -> ServerProcess:
    """A started server on a free loopback port; it exits by itself after ``lifetime_s``.
    ``settings`` are ServerConfig fields (``max_workers`` ...)."""
    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    process = ctx.Process(
        target=_serve,
        args=(database_url, child_conn, os.getpid(), lifetime_s, settings or {}),
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
    _, port, token, config = message
    return ServerProcess(process, parent_conn, f"127.0.0.1:{port}", token, config)


@contextlib.contextmanager
def running_server(
    database_url: str, lifetime_s: float, settings: dict[str, object] | None = None
) -> Iterator[ServerProcess]:
    server = start_server_process(database_url, lifetime_s, settings)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- accounts


def make_account(i: int, rng: random.Random) -> account_pb2.Account:
    name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)}"
    legal = f"{name} {rng.choice(FORMS)}"
    return account_pb2.Account(
        external_id=account_external_id(i),
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


def account_external_id(i: int) -> str:
    return f"BENCH-{i:06d}"


@dataclass(frozen=True)
class SeededAccounts:
    ids: list[str]
    created: int
    updated: int
    unchanged: int
    seconds: float

    def describe(self) -> str:
        return (
            f"{len(self.ids)} accounts seeded by BatchUpsertAccounts in {self.seconds:.2f} s "
            f"(created {self.created}, updated {self.updated}, unchanged {self.unchanged})"
        )


def seed_accounts(
    channel: grpc.Channel, metadata: Metadata, count: int, seed: int
) -> SeededAccounts:
    """Upserts ``count`` generated accounts (external ids ``BENCH-000000`` on)."""
    stub = account_service_pb2_grpc.AccountServiceStub(channel)
    rng = random.Random(seed)
    run_id = uuid.uuid4().hex[:12]
    ids: list[str] = []
    counts = [0, 0, 0]
    started = time.perf_counter()
    for first in range(0, count, SEED_BATCH):
        batch = [make_account(i, rng) for i in range(first, min(count, first + SEED_BATCH))]
        request = account_service_pb2.BatchUpsertAccountsRequest(
            accounts=batch, request_id=f"bench-seed-{run_id}-{first}"
        )
        try:
            response = stub.BatchUpsertAccounts(request, metadata=metadata, timeout=SEED_TIMEOUT_S)
        except grpc.RpcError as exc:
            raise BenchError(f"seeding failed at account {first}: {describe_error(exc)}") from None
        if len(response.accounts) != len(batch):
            raise BenchError(
                f"BatchUpsertAccounts returned {len(response.accounts)} accounts "
                f"for {len(batch)} sent"
            )
        ids.extend(account.id for account in response.accounts)
        counts[0] += response.created_count
        counts[1] += response.updated_count
        counts[2] += response.unchanged_count
    return SeededAccounts(ids, *counts, time.perf_counter() - started)


# --------------------------------------------------------------------------- figures


def describe_error(exc: BaseException) -> str:
    """``CODE: details`` of a gRPC error (or of a client-library error wrapping one)."""
    code = getattr(exc, "code", None)
    code = code() if callable(code) else code
    details = getattr(exc, "details", None)
    details = details() if callable(details) else str(exc)
    return f"{code.name if isinstance(code, grpc.StatusCode) else type(exc).__name__}: {details}"


def percentile_ms(latencies_ns: Sequence[int], q: float) -> float:
    """The nearest-rank ``q`` percentile in milliseconds; NaN for no samples."""
    if not latencies_ns:
        return math.nan
    ordered = sorted(latencies_ns)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1] / 1e6


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def report_text(
    title: str, setup: Sequence[str], sections: Sequence[Sequence[str]], summary: str
) -> str:
    """A benchmark's printed report: the title, the setup lines and the machine, then each
    section and the one-line summary, a blank line before each."""
    lines = [title, *setup, machine_line()]
    for section in (*sections, [summary]):
        lines += ["", *section]
    return "\n".join(lines)


def machine_line() -> str:
    return (
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, grpcio {grpc.__version__}"
    )


# --------------------------------------------------------------------------- main


def _raise_system_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_main(run: Callable[[str, str, str], int], database: str | None) -> int:
    """Calls ``run(database_url, backend description, scratch directory)`` on ``database``
    or on a new SQLite file in a temporary directory, and turns setup failures, SIGTERM
    and Ctrl-C into an exit code after the server process has been stopped."""
    signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        with tempfile.TemporaryDirectory(prefix="wholesale-bench-") as tmpdir:
            if database:
                return run(database, f"database {redact(database)}", tmpdir)
            url = f"sqlite:///{tmpdir}/bench.db"
            return run(url, "database sqlite (new file in a temporary directory)", tmpdir)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; the server process was stopped", file=sys.stderr)
        return 130
