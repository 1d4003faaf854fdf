"""``wholesale tiers`` as users run it: a subprocess against a live server (SQLite; the client
tests cover both backends), every command in table, JSON and CSV. Spend comes from orders
recorded through the client library, dated a month before today (UTC)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from conftest import RunningServer
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)
from test_client_tiers import seed_accounts, spend

from wholesale.client import Client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SET_POLICY = (
    "tiers", "set-policy",
    "--threshold", "silver=10000", "--threshold", "gold=40000.00",
    "--hysteresis", "10", "--currency", "eur",
)  # fmt: skip


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


@pytest.fixture
def accounts(admin: Client) -> dict[str, str]:
    """T-1 (alice's) with 12,000.00 EUR of spend, T-2 (bob's) with 45,000.00, T-3 with none;
    all in tier standard. Returns ERP id -> id."""
    ids = seed_accounts(admin, "alice", "bob", "")
    spend(admin, ids[0], "12000.00")
    spend(admin, ids[1], "40000.00", days_ago=200)
    spend(admin, ids[1], "5000.00")
    return {f"T-{number}": account_id for number, account_id in enumerate(ids, 1)}


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def failed(result, code: int) -> str:
    """The one error line of a failed command."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    return line


def test_policy_set_and_shown_in_every_format(wholesale: Run, accounts: dict[str, str]) -> None:  # noqa: F811
    empty = ok(wholesale("tiers", "policy"))
    assert "Tier policy v0" in empty and "No thresholds" in empty
    failed(wholesale(*SET_POLICY), 2)  # no policy yet, so no default tier to keep

    table = ok(wholesale(*SET_POLICY, "--default-tier", "standard"))
    kept = json.loads(ok(wholesale("-o", "json", *SET_POLICY)))
    [row] = rows_of(ok(wholesale(*SET_POLICY, "-o", "csv", "--default-tier", "basic")))

    assert "Tier policy v1 set" in table and "10%" in table
    assert "silver  10,000.00 EUR" in table and "gold    40,000.00 EUR" in table
    assert (kept["version"], kept["default_tier"], kept["currency_code"]) == (2, "standard", "EUR")
    assert kept["thresholds"] == [
        {"tier": "silver", "min_spend": {"amount": "10000.00", "currency_code": "EUR"}},
        {"tier": "gold", "min_spend": {"amount": "40000.00", "currency_code": "EUR"}},
    ]
    assert kept["hysteresis_percent"] == {"value": "10"}
    assert (row["version"], row["default_tier"], row["hysteresis_percent.value"]) == (
        "3",
        "basic",
        "10",
    )
    assert row["thresholds"] == "silver, 10000.00 EUR | gold, 40000.00 EUR"

    shown = ok(wholesale("tiers", "policy"))
    read = json.loads(ok(wholesale("tiers", "policy", "-o", "json")))
    [read_row] = rows_of(ok(wholesale("-o", "csv", "tiers", "policy")))
    assert "Tier policy v3" in shown and "basic" in shown and "Thresholds (2)" in shown
    assert read["etag"] == read_row["etag"] and read["version"] == 3
    assert ok(wholesale("tiers", "policy", who="alice")) == shown  # everyone reads it


def test_bad_thresholds_exit_2_with_one_line(wholesale: Run, accounts: dict[str, str]) -> None:  # noqa: F811
    base = ("tiers", "set-policy", "--hysteresis", "10", "--currency", "EUR", "--default-tier")
    for threshold in ("silver", "=100", "silver=abc", "silver=1e4", "silver=-"):
        line = failed(wholesale(*base, "standard", "--threshold", threshold), 2)
        assert "--threshold" in line and "TIER=AMOUNT" in line, threshold
    assert "--hysteresis" in failed(wholesale(*SET_POLICY, "--hysteresis", "ten"), 2)

    falling = failed(
        wholesale(*base, "standard", "--threshold", "gold=40000", "--threshold", "silver=10000"),
        2,
    )
    cents = failed(wholesale(*base, "standard", "--threshold", "gold=10.001"), 2)
    default = failed(wholesale(*base, "gold", "--threshold", "gold=10"), 2)

    assert "policy.thresholds[1].min_spend" in falling
    assert "policy.thresholds[0].min_spend" in cents
    assert "policy.default_tier" in default
    assert json.loads(ok(wholesale("-o", "json", "tiers", "policy")))["version"] == 0
    failed(wholesale(*SET_POLICY, "--default-tier", "standard", who="alice"), 4)


def test_review_then_history_and_changes(wholesale: Run, accounts: dict[str, str]) -> None:  # noqa: F811
    ok(wholesale(*SET_POLICY, "--default-tier", "standard"))

    review = ok(wholesale("tiers", "review"))
    again = json.loads(ok(wholesale("-o", "json", "tiers", "review")))
    [third] = rows_of(ok(wholesale("tiers", "review", "-o", "csv")))

    assert "Promoted count   2" in review and "Unchanged count  1" in review
    assert again == {
        "promoted_count": 0,
        "demoted_count": 0,
        "unchanged_count": 3,
        "pinned_count": 0,
    }
    assert third["unchanged_count"] == "3"

    history = ok(wholesale("tiers", "history", "T-2"))
    [header, _, line] = history.splitlines()[1:]
    assert history.startswith(f"Tier history of account {accounts['T-2']}, T-2 (1)")
    assert header.split() == [
        "Time", "(UTC)", "From", "tier", "To", "tier", "Kind",
        "Trailing", "spend", "Threshold", "Reason",
    ]  # fmt: skip
    assert "standard   gold     promotion   45,000.00 EUR  40,000.00 EUR" in line
    assert "45,000.00 EUR reached gold" in line
    [change] = json.loads(ok(wholesale("-o", "json", "tiers", "history", accounts["T-2"])))
    assert [change[key] for key in ("from_tier", "to_tier", "kind")] == [
        "standard",
        "gold",
        "promotion",
    ]
    assert change["trailing_spend"] == {"amount": "45000.00", "currency_code": "EUR"}
    assert change["threshold"] == {"amount": "40000.00", "currency_code": "EUR"}
    assert change["change_time"].endswith("Z")
    [row] = rows_of(ok(wholesale("-o", "csv", "tiers", "history", "T-1")))
    assert (row["to_tier"], row["trailing_spend.amount"], row["threshold.amount"]) == (
        "silver",
        "12000.00",
        "10000.00",
    )
    assert json.loads(ok(wholesale("-o", "json", "tiers", "history", "T-3"))) == []
    assert "T-404" in failed(wholesale("tiers", "history", "T-404"), 3)

    every = ok(wholesale("tiers", "changes"))
    first = wholesale("tiers", "changes", "--limit", "1")
    listed = json.loads(ok(wholesale("-o", "json", "tiers", "changes", "--all")))
    rows = rows_of(ok(wholesale("-o", "csv", "tiers", "changes")))
    mine = json.loads(ok(wholesale("-o", "json", "tiers", "changes", who="alice")))

    assert "Tier changes (2)" in every and "Account" in every
    assert "Tier changes (1 shown, more exist)" in ok(first) and "--all" in first.stderr
    assert {change["account_id"] for change in listed} == {accounts["T-1"], accounts["T-2"]}
    assert [row["account_id"] for row in rows] == [change["account_id"] for change in listed]
    assert [change["account_id"] for change in mine] == [accounts["T-1"]]
    failed(wholesale("tiers", "changes", "--limit", "1", "--all"), 2)


def test_pin_and_unpin_in_every_format(wholesale: Run, accounts: dict[str, str]) -> None:  # noqa: F811
    ok(wholesale(*SET_POLICY, "--default-tier", "standard"))

    pinned = ok(wholesale("tiers", "pin", "T-3", "gold", "--note", "negotiated for 2027"))
    unpinned = json.loads(ok(wholesale("-o", "json", "tiers", "unpin", "T-3")))
    [pinned_row] = rows_of(ok(wholesale("-o", "csv", "tiers", "pin", accounts["T-3"], "silver")))
    unpinned_table = ok(wholesale("tiers", "unpin", "T-3"))
    pinned_json = json.loads(ok(wholesale("tiers", "pin", "T-3", "bronze", "-o", "json")))
    [unpinned_row] = rows_of(ok(wholesale("tiers", "unpin", "T-3", "-o", "csv")))

    assert f"Pinned account {accounts['T-3']} (T-3) to gold" in pinned
    assert "pinned" in pinned and "negotiated for 2027" in pinned
    assert (unpinned["kind"], unpinned["from_tier"], unpinned["to_tier"]) == (
        "unpinned",
        "gold",
        "gold",
    )
    assert unpinned["trailing_spend"] is None and unpinned["threshold"] is None
    assert (pinned_row["kind"], pinned_row["from_tier"], pinned_row["to_tier"]) == (
        "pinned",
        "gold",
        "silver",
    )
    assert pinned_row["trailing_spend.amount"] == ""
    assert "Unpinned account" in unpinned_table and "silver until the next review" in unpinned_table
    assert (pinned_json["kind"], pinned_json["to_tier"]) == ("pinned", "bronze")
    assert (unpinned_row["kind"], unpinned_row["to_tier"]) == ("unpinned", "bronze")
    assert "not pinned" in failed(wholesale("tiers", "unpin", "T-3"), 5)

    kinds = [c["kind"] for c in json.loads(ok(wholesale("-o", "json", "tiers", "history", "T-3")))]
    assert kinds == ["unpinned", "pinned"] * 3


def test_a_manager_pins_only_their_own_accounts(
    wholesale: Run,  # noqa: F811
    accounts: dict[str, str],
    admin: Client,
) -> None:
    line = failed(wholesale("tiers", "pin", "T-2", "gold", who="alice"), 3)
    assert "T-2" in line and "not found" in line
    failed(wholesale("tiers", "pin", accounts["T-2"], "gold", who="alice"), 3)
    failed(wholesale("tiers", "unpin", "T-2", who="alice"), 3)
    failed(wholesale("tiers", "history", "T-2", who="alice"), 3)
    assert admin.get_account(accounts["T-2"]).price_tier == "standard"

    mine = json.loads(ok(wholesale("-o", "json", "tiers", "pin", "T-1", "gold", who="alice")))
    assert (mine["account_id"], mine["to_tier"]) == (accounts["T-1"], "gold")
    failed(wholesale("tiers", "review", who="alice"), 4)
