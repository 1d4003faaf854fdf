"""``wholesale-server`` as an operator meets it: a busy address, and token commands run from
the wrong directory."""

from __future__ import annotations

from pathlib import Path

from support.server_process import ServerProcess, run_server_cli


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
    assert f"cannot listen on {first.address}" in second.stderr
    assert "Traceback" not in second.stderr


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
