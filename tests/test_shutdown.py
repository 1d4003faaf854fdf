"""Graceful shutdown of the real ``wholesale-server serve`` process (SQLite only).

The test holds SQLite's write lock so that a CreateAccount is provably still running inside
the server when the signal arrives. The server must then report NOT_SERVING, let the
in-flight call finish once the lock is released, and exit with status 0.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from support.rpc import bearer, make_account
from support.server_process import (
    clean_environment,
    free_port,
    run_server_cli,
    server_command,
    wait_until_serving,
)

from wholesale.v1 import account_service_pb2, account_service_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
IN_FLIGHT_NAME = "In Flight GmbH"


def cli(*args: str, cwd: Path) -> str:
    done = run_server_cli(*args, cwd=cwd)
    assert done.returncode == 0, f"wholesale-server {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def wait_until_not_serving(process: subprocess.Popen, health) -> str:
    """Polls health until it says NOT_SERVING or the server refuses new calls."""
    while process.poll() is None:
        try:
            status = health.Check(health_pb2.HealthCheckRequest()).status
        except grpc.RpcError as error:
            # A stopping gRPC server refuses new calls: UNAVAILABLE once the connection is
            # gone, CANCELLED for a call that raced with the start of the shutdown.
            if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                return "refused"
            raise
        if status == NOT_SERVING:
            return "NOT_SERVING"
        time.sleep(0.02)
    return f"exited with {process.returncode}"


def stored_accounts_named(db: Path, name: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT COUNT(*) FROM account WHERE legal_name = ?", (name,)
        ).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_drains_in_flight_calls_and_exits_cleanly(tmp_path: Path, signum: int):
    db = tmp_path / "wholesale.db"
    url = f"sqlite:///{db}"
    cli("migrate", "--database", url, cwd=tmp_path)
    token = cli(
        "create-token", "--role", "admin", "--subject", "t", "--database", url, cwd=tmp_path
    ).strip()
    assert token and len(token.split()) == 1, f"create-token printed more than a token: {token!r}"

    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [*server_command(), "serve", "--listen", f"127.0.0.1:{port}", "--database", url],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=clean_environment(),
            cwd=tmp_path,
        )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            accounts = account_service_pb2_grpc.AccountServiceStub(channel)
            md = bearer(token)
            wait_until_serving(process, health, log)
            accounts.CreateAccount(
                account_service_pb2.CreateAccountRequest(account=make_account()), metadata=md
            )

            lock = sqlite3.connect(db, isolation_level=None)
            try:
                lock.execute("BEGIN IMMEDIATE")
                in_flight = accounts.CreateAccount.future(
                    account_service_pb2.CreateAccountRequest(
                        account=make_account(legal_name=IN_FLIGHT_NAME)
                    ),
                    metadata=md,
                )
                # Calls on one connection are taken up in order: once a later health check
                # has been answered, the server has picked up the CreateAccount, which now
                # waits for the lock we hold.
                for _ in range(3):
                    health.Check(health_pb2.HealthCheckRequest())
                    time.sleep(0.1)
                assert not in_flight.done(), in_flight.exception()

                process.send_signal(signum)
                seen = wait_until_not_serving(process, health)
                # The server keeps answering for its drain period (1 s by default) while
                # health says NOT_SERVING, so load balancers see it before it closes.
                assert seen == "NOT_SERVING", seen
                assert not in_flight.done(), "the in-flight call ended while the lock was held"
            finally:
                lock.execute("ROLLBACK")
                lock.close()

            response = in_flight.result()
            assert response.account.legal_name == IN_FLIGHT_NAME
            assert response.account.id
        assert process.wait() == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert stored_accounts_named(db, IN_FLIGHT_NAME) == 1
