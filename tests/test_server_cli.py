"""``wholesale-server`` as an operator meets it: a busy address, and token commands run from
the wrong directory."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2_grpc
from test_shutdown import clean_environment, free_port, server_command, wait_until_serving


def run_server_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*server_command(), *args],
        capture_output=True,
        text=True,
        env=clean_environment(),
        cwd=cwd,
        check=False,
        timeout=60,
    )


def test_a_second_server_on_a_busy_address_fails_at_once(tmp_path: Path) -> None:
    port = free_port()
    listen = f"127.0.0.1:{port}"
    log = tmp_path / "first.log"
    with log.open("w") as log_file:
        first = subprocess.Popen(
            [*server_command(), "serve", "--listen", listen, "--database", "sqlite:///a.db"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=clean_environment(),
            cwd=tmp_path,
        )
    try:
        with grpc.insecure_channel(listen) as channel:
            wait_until_serving(first, health_pb2_grpc.HealthStub(channel), log)
        started = time.monotonic()
        second = run_server_cli(
            "serve", "--listen", listen, "--database", "sqlite:///b.db", cwd=tmp_path
        )
        took = time.monotonic() - started
    finally:
        first.terminate()
        first.wait(30)

    assert second.returncode != 0, f"the second server started: {second.stderr}"
    assert f"cannot listen on {listen}" in second.stderr
    assert "Traceback" not in second.stderr
    assert took < 30, "the second server did not give up at once"


def test_create_token_refuses_to_invent_a_database(tmp_path: Path) -> None:
    done = run_server_cli("create-token", "--role", "admin", "--subject", "me", cwd=tmp_path)

    assert done.returncode == 2
    assert done.stdout == "", "a token was printed although nothing was stored"
    assert "there is no database at sqlite:///wholesale.db" in done.stderr
    assert "--create" in done.stderr and "--database" in done.stderr
    assert not (tmp_path / "wholesale.db").exists()


def test_create_token_names_the_database_it_wrote_to(tmp_path: Path) -> None:
    created = run_server_cli(
        "create-token", "--role", "admin", "--subject", "me", "--create", cwd=tmp_path
    )
    again = run_server_cli("create-token", "--role", "viewer", "--subject", "you", cwd=tmp_path)

    assert created.returncode == 0, created.stderr
    assert created.stderr.strip() == "database: sqlite:///wholesale.db (created)"
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip() == "database: sqlite:///wholesale.db"
    tokens = [created.stdout.strip(), again.stdout.strip()]
    assert all(t.startswith("wsk_") and len(t.split()) == 1 for t in tokens)


def test_create_token_refuses_an_empty_postgres_database(postgres_scratch_url: str) -> None:
    from conftest import reset_postgres

    reset_postgres(postgres_scratch_url)
    done = run_server_cli(
        "create-token",
        "--role",
        "admin",
        "--subject",
        "me",
        "--database",
        postgres_scratch_url,
        cwd=Path.cwd(),
    )

    assert done.returncode == 2 and done.stdout == ""
    assert "holds no wholesale database" in done.stderr


def test_revoke_tokens_refuses_a_missing_database(tmp_path: Path) -> None:
    done = run_server_cli("revoke-tokens", "--subject", "me", cwd=tmp_path)

    assert done.returncode == 2
    assert "there is no database" in done.stderr
    assert not (tmp_path / "wholesale.db").exists()
