"""``wholesale-server`` as an operator meets it: a busy or wrong address, a database that
cannot be opened, commands run from the wrong directory, and values out of range."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.server_process import ServerProcess, free_port, run_server_cli


def only_error(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``error:`` line a failed command must print, and nothing else on stderr."""
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr}"
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port that something else is listening on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_a_second_server_on_a_busy_address_fails_at_once(tmp_path: Path) -> None:
    first = ServerProcess(tmp_path, "sqlite:///a.db", "first")
    try:
        # run_server_cli fails the test if the second server does not give up by itself.
        second = run_server_cli(
            "serve", "--listen", first.address, "--database", "sqlite:///b.db", cwd=tmp_path
        )
    finally:
        first.stop()

    assert second.returncode != 0, f"the second server started: {second.stderr}"
    assert only_error(second) == (
        f"error: cannot listen on {first.address}: address already in use; "
        "is another server running there?"
    )
    assert not (tmp_path / "b.db").exists(), "the failed server created its database"


def test_a_busy_metrics_port_is_named_and_nothing_is_left_bound(
    tmp_path: Path, busy_port: int
) -> None:
    port = free_port()
    done = run_server_cli(
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--metrics-listen",
        f"127.0.0.1:{busy_port}",
        "--database",
        "sqlite:///m.db",
        cwd=tmp_path,
    )

    assert only_error(done).startswith(
        f"error: cannot serve metrics on 127.0.0.1:{busy_port}: address already in use"
    )
    assert not (tmp_path / "m.db").exists()
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("listen", "message"),
    [
        ("127.0.0.1:99999", "setting 'listen' is '127.0.0.1:99999', not HOST:PORT"),
        ("http://127.0.0.1:51210", "write HOST:PORT without a scheme, such as 127.0.0.1:51210"),
    ],
)
def test_serve_refuses_an_address_it_would_not_listen_on(
    tmp_path: Path, listen: str, message: str
) -> None:
    done = run_server_cli("serve", "--listen", listen, "--database", "sqlite:///x.db", cwd=tmp_path)

    assert message in only_error(done)
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--drain-seconds", "-1", "setting 'drain_seconds' must be at least 0, got -1.0"),
        ("--grace-seconds", "-1", "setting 'grace_seconds' must be at least 0, got -1.0"),
    ],
)
def test_serve_refuses_a_setting_out_of_range(
    tmp_path: Path, flag: str, value: str, message: str
) -> None:
    done = run_server_cli("serve", flag, value, cwd=tmp_path)

    assert only_error(done) == f"error: {message}"
    assert not (tmp_path / "wholesale.db").exists()


UNOPENABLE = [
    ("sqlite:////nonexistent/dir/x.db", "unable to open database file"),
    ("sqlite:////etc/passwd", "file is not a database"),
    ("postgresql://nobody:s3cret@127.0.0.1:1/x", "Connection refused"),
]
COMMANDS = [
    ("serve", "--listen", "127.0.0.1:0"),
    ("migrate",),
    ("create-token", "--role", "admin", "--subject", "me", "--create"),
    ("seed-demo", "--accounts", "1", "--years", "0", "--create"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
@pytest.mark.parametrize(("url", "reason"), UNOPENABLE, ids=["no-dir", "not-db", "refused"])
def test_a_database_that_cannot_be_opened_is_one_line(
    tmp_path: Path, command: tuple[str, ...], url: str, reason: str
) -> None:
    done = run_server_cli(*command, "--database", url, cwd=tmp_path)

    line = only_error(done)
    assert line.startswith("error: cannot open the database ") and line.endswith(reason), line
    assert url.replace(":s3cret", "") in line and "s3cret" not in line
    assert done.stdout == ""


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


def test_seed_demo_refuses_to_invent_a_database(tmp_path: Path) -> None:
    done = run_server_cli("seed-demo", "--accounts", "1", "--years", "0", cwd=tmp_path)

    assert "there is no database at sqlite:///wholesale.db" in only_error(done)
    assert "--create" in done.stderr
    assert not (tmp_path / "wholesale.db").exists()


def test_seed_demo_names_the_database_it_wrote_to(tmp_path: Path) -> None:
    args = ("seed-demo", "--accounts", "1", "--years", "0")
    created = run_server_cli(*args, "--create", cwd=tmp_path)
    again = run_server_cli(*args, cwd=tmp_path)

    assert created.returncode == 0, created.stderr
    assert created.stderr.splitlines()[0] == "database: sqlite:///wholesale.db (created)"
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0] == "database: sqlite:///wholesale.db"


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-02-30", "2026-02-30 is not a date (February has 28 days in 2026)"),
        ("2028-02-30", "2028-02-30 is not a date (February has 29 days in 2028)"),
        ("2026-13-01", "2026-13-01 is not a date: there is no month 13"),
        ("31/01/2026", "31/01/2026 is not a date: write YYYY-MM-DD"),
    ],
)
def test_seed_demo_says_why_an_end_date_is_no_date(tmp_path: Path, day: str, message: str) -> None:
    done = run_server_cli("seed-demo", "--end-date", day, cwd=tmp_path)

    assert message in only_error(done)
    assert "does not match the format" not in done.stderr
