"""Naming things as account managers have them at hand, and lists that stop at a page: every
command that takes an account or an order accepts the service's id or the ERP's id, lists
print the first 50 unless told otherwise and say on stderr when there are more, and the
audit log is filtered by account, action, actor and day. Through the real CLI against a
live server on SQLite."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)
from test_cli_history import account_ids, admin, ok  # noqa: F401 (fixtures)

from wholesale.client import Client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MORE = "--limit N for more, --all for every one"


def as_json(result) -> object:
    return json.loads(ok(result))


def test_account_commands_take_the_erp_id(wholesale: Run, account_ids: dict[str, str]) -> None:  # noqa: F811
    erp2 = account_ids["ERP-2"]
    assert as_json(wholesale("-o", "json", "accounts", "show", "ERP-2"))["id"] == erp2
    updated = as_json(wholesale("-o", "json", "accounts", "update", "ERP-2", "--tier", "gold"))
    assert (updated["id"], updated["price_tier"]) == (erp2, "gold")
    assigned = as_json(wholesale("-o", "json", "accounts", "assign", "ERP-2", "alice"))
    assert assigned["manager"] == "alice"
    assert "closed" in ok(wholesale("accounts", "close", "ERP-2")).lower()
    assert as_json(wholesale("-o", "json", "accounts", "reopen", "ERP-2"))["id"] == erp2

    summary = ok(wholesale("accounts", "summary", "ERP-2"))
    assert f"account {erp2} (ERP-2" in summary
    credit = wholesale("credit", "check", "ERP-2", "10.00")
    assert credit.returncode == 0 and f"account {erp2} (ERP-2" in credit.stdout


def test_an_unknown_key_or_another_managers_account_is_not_found(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
) -> None:
    unknown = wholesale("accounts", "show", "ERP-404")
    assert unknown.returncode == 3 and "account 'ERP-404' not found" in unknown.stderr
    admin.assign_account(account_ids["ERP-3"], "bob")
    hidden = wholesale("accounts", "summary", "ERP-3", who="alice")
    assert hidden.returncode == 3 and "ERP-3" in hidden.stderr
    assert wholesale("orders", "list", "--account", "ERP-3", who="alice").returncode == 3


def test_a_number_is_the_service_id_first_then_an_erp_id(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
) -> None:
    numbered = admin.create_account(
        legal_name="Numbered", external_id="990001", currency_code="EUR"
    )
    assert as_json(wholesale("-o", "json", "accounts", "show", "990001"))["id"] == numbered.id
    # An ERP id that is also another account's service id: the service id wins.
    erp1 = account_ids["ERP-1"]
    admin.create_account(legal_name="Shadow", external_id=erp1, currency_code="EUR")
    assert as_json(wholesale("-o", "json", "accounts", "show", erp1))["external_id"] == "ERP-1"


def test_order_commands_take_the_erp_order_number(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
) -> None:
    for day, account in ((1, "ERP-1"), (2, "ERP-2"), (3, "ERP-1")):
        admin.record_order(
            f"SO-{day}",
            account_external_id=account,
            order_date=dt.date(2026, 1, day),
            lines=[("APPLE-1L", day, "1.25")],
        )
    listed = as_json(wholesale("-o", "json", "orders", "list", "--account", "ERP-1"))
    assert [order["external_id"] for order in listed] == ["SO-3", "SO-1"]
    shown = as_json(wholesale("-o", "json", "orders", "show", "SO-2"))
    assert (shown["external_id"], shown["account_id"]) == ("SO-2", account_ids["ERP-2"])
    assert as_json(wholesale("-o", "json", "orders", "show", shown["id"]))["external_id"] == "SO-2"
    missing = wholesale("orders", "show", "SO-404")
    assert missing.returncode == 3 and "SO-404" in missing.stderr
    assert wholesale("orders", "list", "--account", "ERP-404").returncode == 3


def test_lists_stop_at_50_and_say_there_is_more(wholesale: Run, admin: Client) -> None:  # noqa: F811
    admin.batch_upsert_accounts(
        {"external_id": f"BULK-{n:03d}", "legal_name": f"Bulk {n}", "currency_code": "EUR"}
        for n in range(57)
    )
    first = wholesale("-o", "json", "accounts", "list")
    assert len(as_json(first)) == 50 and MORE in first.stderr
    assert "50 shown, more exist" in ok(wholesale("accounts", "list"))
    every = wholesale("-o", "json", "accounts", "list", "--all")
    assert len(as_json(every)) == 57 and every.stderr == ""
    exact = wholesale("-o", "json", "accounts", "list", "--limit", "57")
    assert len(as_json(exact)) == 57 and MORE not in exact.stderr
    fewer = wholesale("-o", "json", "accounts", "list", "--limit", "3")
    assert len(as_json(fewer)) == 3 and "showing the first 3" in fewer.stderr


def test_audit_list_by_account_action_actor_and_day(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
) -> None:
    ok(wholesale("accounts", "update", "ERP-1", "--tier", "gold"))
    ok(wholesale("accounts", "close", "ERP-1"))
    ok(wholesale("accounts", "close", "ERP-2"))

    def actions(*args: str) -> list[str]:
        events = as_json(wholesale("-o", "json", "audit", "list", "--resource", "ERP-1", *args))
        return [event["action"] for event in events]

    assert actions() == ["DeleteAccount", "UpdateAccount", "BatchUpsertAccounts"]
    assert actions("--action", "DeleteAccount") == ["DeleteAccount"]
    assert actions("--actor", "nobody") == []
    today = dt.datetime.now(dt.UTC).date()
    assert len(actions("--since", today.isoformat(), "--until", today.isoformat())) == 3
    assert actions("--until", (today - dt.timedelta(days=1)).isoformat()) == []
    assert actions("--since", (today + dt.timedelta(days=1)).isoformat()) == []
    unknown = wholesale("audit", "list", "--resource", "ERP-404")
    assert unknown.returncode == 3
