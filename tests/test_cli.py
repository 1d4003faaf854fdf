"""The ``wholesale`` CLI as users run it: a subprocess against a live server (SQLite only,
since the client tests already cover both backends)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunningServer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

Run = Callable[..., subprocess.CompletedProcess]
WHOLESALE = (sys.executable, "-m", "wholesale.client.cli")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return tmp_path / "wholesale" / "config.toml"


@pytest.fixture
def wholesale_env(running_server: RunningServer, config_file: Path) -> Callable[..., dict]:
    """The environment the CLI runs in as ``who``: server and token from the environment
    unless told otherwise, and an empty config file of its own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("WHOLESALE_")}
    base.update(WHOLESALE_CLI_CONFIG=str(config_file), COLUMNS="200")

    def env(who: str | None = "admin", **overrides: str) -> dict[str, str]:
        identity = (
            {
                "WHOLESALE_SERVER": running_server.target,
                "WHOLESALE_TOKEN": running_server.tokens[who],
            }
            if who
            else {}
        )
        return {**base, **identity, **overrides}

    return env


@pytest.fixture
def wholesale(wholesale_env: Callable[..., dict]) -> Run:
    """Runs the CLI to the end, as ``who``."""

    def run(*args: str, who: str | None = "admin", **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*WHOLESALE, *args],
            env=wholesale_env(who, **env),
            capture_output=True,
            text=True,
            check=False,
        )

    return run


def create(wholesale: Run, *args: str) -> dict:
    result = wholesale("--output", "json", "accounts", "create", "--currency", "eur", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_create_and_list_as_table_json_and_csv(wholesale: Run) -> None:
    created = create(
        wholesale,
        *("--legal-name", "Corner Shop GmbH", "--tier", "gold", "--tag", "organic"),
        *(
            "--tag",
            "chain",
            "--credit-limit",
            "2500.50",
            "--terms-days",
            "30",
            "--status",
            "active",
        ),
    )
    create(wholesale, "--legal-name", "Bakery Two")
    assert created["status"] == "active"
    assert (created["credit_limit"], created["tags"]) == (
        {"amount": "2500.50", "currency_code": "EUR"},
        ["chain", "organic"],
    )

    table = wholesale("accounts", "list", "--tag", "organic")
    assert table.returncode == 0, table.stderr
    assert "Corner Shop GmbH" in table.stdout and "2,500.50 EUR" in table.stdout
    assert "Bakery Two" not in table.stdout

    listed = json.loads(wholesale("-o", "json", "accounts", "list", "--tier", "gold").stdout)
    assert [account["id"] for account in listed] == [created["id"]]

    rows = list(csv.DictReader(io.StringIO(wholesale("-o", "csv", "accounts", "list").stdout)))
    assert [row["legal_name"] for row in rows] == ["Corner Shop GmbH", "Bakery Two"]
    assert (rows[0]["status"], rows[0]["tags"], rows[0]["credit_limit.amount"]) == (
        "active",
        "chain,organic",
        "2500.50",
    )


def test_money_shows_the_decimals_of_its_currency(wholesale: Run) -> None:
    """EUR has cents (2,000.00), JPY none (1,500), KWD fils (1.250): in tables, CSV and JSON."""
    amounts = {"EUR": ("2000", "2000.00"), "JPY": ("1500", "1500"), "KWD": ("1.25", "1.250")}
    for currency, (given, _) in amounts.items():
        created = wholesale(
            "-o", "json", "accounts", "create", "--legal-name", f"Shop {currency}",
            "--currency", currency, "--credit-limit", given,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        limit = json.loads(created.stdout)["credit_limit"]
        assert limit == {"amount": amounts[currency][1], "currency_code": currency}

    rows = list(csv.DictReader(io.StringIO(wholesale("-o", "csv", "accounts", "list").stdout)))
    assert {row["credit_limit.currency_code"]: row["credit_limit.amount"] for row in rows} == {
        currency: shown for currency, (_, shown) in amounts.items()
    }
    listed = json.loads(wholesale("-o", "json", "accounts", "list").stdout)
    assert [account["credit_limit"]["amount"] for account in listed] == ["2000.00", "1500", "1.250"]
    table = wholesale("accounts", "list").stdout
    assert "2,000.00 EUR" in table and "1.250 KWD" in table
    assert "1,500 JPY" in table and "1,500." not in table


def test_update_close_reopen_leave_an_audit_trail(wholesale: Run) -> None:
    account_id = create(wholesale, "--legal-name", "Corner Shop GmbH")["id"]

    for command in (("update", account_id, "--region", "North"), ("close", account_id)):
        assert wholesale("accounts", *command).returncode == 0
    reopened = json.loads(wholesale("-o", "json", "accounts", "reopen", account_id).stdout)
    audit = wholesale("-o", "json", "audit", "list", "--resource", account_id)

    assert (reopened["region"], reopened["status"]) == ("North", "prospect")
    actions = [event["action"] for event in json.loads(audit.stdout)]
    assert actions == ["UndeleteAccount", "DeleteAccount", "UpdateAccount", "CreateAccount"]


@pytest.mark.parametrize(
    ("args", "who", "exit_code", "expected"),
    [
        (("accounts", "show", "999"), "admin", 3, "not found"),
        (
            (
                "accounts",
                "create",
                "--legal-name",
                "X",
                "--currency",
                "EURO",
                "--terms-days",
                "400",
            ),
            "admin",
            2,
            "account.payment_terms_days",
        ),
        (("accounts", "update", "1"), "admin", 2, "nothing to change"),
        (("accounts", "list", "--limit", "0"), "admin", 2, "--limit"),
        (("accounts", "create", "--legal-name", "X", "--currency", "EUR"), "viewer", 4, "role"),
        (("accounts", "list"), None, 4, "no API token"),
        (("--server", "127.0.0.1:1", "--token", "t", "accounts", "list"), None, 6, "server"),
    ],
    ids=["not-found", "invalid-input", "nothing-to-do", "bad-option", "role", "no-token", "down"],
)
def test_errors_print_one_line_and_exit_with_their_kind(
    wholesale: Run, args: tuple[str, ...], who: str | None, exit_code: int, expected: str
) -> None:
    result = wholesale(*args, who=who)

    assert result.returncode == exit_code
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and expected in line


def test_config_file_settings_rank_below_environment_and_flags(
    wholesale: Run, running_server: RunningServer, config_file: Path
) -> None:
    token = running_server.tokens["admin"]
    for key, value in (("server", running_server.target), ("token", token), ("output", "json")):
        assert wholesale("config", "set", key, value, who=None).returncode == 0
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600

    assert json.loads(wholesale("accounts", "list", who=None).stdout) == []
    shown = json.loads(wholesale("config", "show", who=None, WHOLESALE_SERVER="env:1").stdout)
    assert {row["key"]: (row["value"], row["source"]) for row in shown} == {
        "server": ("env:1", "env"),
        "token": (f"****{token[-4:]}", "config"),
        "ca_file": (None, "default"),
        "output": ("json", "config"),
    }
    as_csv = wholesale("--output", "csv", "config", "show", who=None).stdout
    assert as_csv.splitlines()[0] == "key,value,source" and token not in as_csv

    rejected = wholesale("config", "set", "output", "xml", who=None)
    assert rejected.returncode == 2 and "output" in rejected.stderr


def test_output_option_works_before_the_command_and_after_the_subcommand(wholesale: Run) -> None:
    create(wholesale, "--legal-name", "Corner Shop GmbH")

    after = wholesale("accounts", "list", "-o", "json")
    assert after.returncode == 0, after.stderr
    assert [account["legal_name"] for account in json.loads(after.stdout)] == ["Corner Shop GmbH"]
    later_wins = wholesale("--output", "csv", "accounts", "list", "--output", "json")
    assert json.loads(later_wins.stdout)[0]["legal_name"] == "Corner Shop GmbH"
    shown = json.loads(wholesale("config", "show", "-o", "json").stdout)
    assert {row["key"]: row["source"] for row in shown}["output"] == "flag"
    wrong = wholesale("accounts", "list", "-o", "yaml")
    assert wrong.returncode == 2 and "'yaml' is not one of 'table', 'json', 'csv'" in wrong.stderr


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("http://127.0.0.1:50051", "without a scheme, such as 127.0.0.1:50051"),
        ("127.0.0.1:99999", "port 1-65535"),
        ("::1", "[::1]:50051"),
        ("shop server:50051", "HOST or HOST:PORT"),
        ("127.0.0.1:", "HOST or HOST:PORT"),
    ],
)
def test_a_malformed_server_address_is_a_usage_error_that_says_what_to_write(
    wholesale: Run, address: str, expected: str
) -> None:
    for args, env in (
        (("--server", address, "accounts", "list"), {}),
        (("accounts", "list"), {"WHOLESALE_SERVER": address}),
    ):
        result = wholesale(*args, **env)
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith("error: server ") and expected in line
    assert "WHOLESALE_SERVER" in wholesale("accounts", "list", WHOLESALE_SERVER=address).stderr
    refused = wholesale("config", "set", "server", address, who=None)
    assert refused.returncode == 2 and expected in refused.stderr
