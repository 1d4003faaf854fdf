"""What account managers see of the ``wholesale`` CLI's tables, JSON and CSV: a subprocess
against a live server on SQLite (the client tests cover both backends), with data shaped
like the demo's: long names, long SKUs and order numbers, amounts in the thousands.

Tables are read as a 100-column terminal shows them. The CSV is checked against the JSON
flattened by the rules docs/cli.md gives, computed here on their own."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)
from test_cli_history import admin, ok  # noqa: F401 (fixture)

from wholesale.client import Client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

WIDTH = 100
LONG_SKU, SHORT_SKU = "ROL-PRETZEL-ROLLS-FROZEN25PCS", "COF-ESPRESSO-BEANS-1KG"
LONG_CATEGORY = "bakery/rolls/frozen-bake-off"
LONG_NAME = "Becker's Grocers and Delicatessen Dusseldorf Altstadt [North] GmbH"
# order number -> account, day, status, channel, lines (sku, quantity, unit price)
ORDERS = {
    "DEMO-SO-20260114-000042-L1": (
        "ERP-000042",
        14,
        "fulfilled",
        "erp",
        [(LONG_SKU, 1, "4939.04")],
    ),
    "DEMO-SO-20260121-000042": ("ERP-000042", 21, "placed", "sales_rep", [(SHORT_SKU, 3, "12.5")]),
    "DEMO-SO-20260128-000043-E1": (
        "ERP-000043",
        28,
        "fulfilled",
        "portal",
        [(SHORT_SKU, 1000, "12.5")],
    ),
}
AS_OF = ("--as-of", "2026-02-01")
AMOUNT = re.compile(r"\d[\d,]*\.\d\d EUR")
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d ")


@pytest.fixture
def shop(admin: Client) -> dict[str, str]:  # noqa: F811
    """Two products, two active EUR accounts and three orders; returns ERP id -> account id."""
    admin.batch_upsert_products(
        [
            {
                "sku": LONG_SKU,
                "name": "Pretzel rolls, frozen, 25 pieces a carton for bake-off ovens",
                "category": LONG_CATEGORY,
                "selling_unit": "carton",
                "pack_size": 4,
                "list_price": "4939.04",
                "currency_code": "EUR",
            },
            {
                "sku": SHORT_SKU,
                "name": "Espresso beans 1 kg",
                "category": "beverages/coffee",
                "selling_unit": "bag",
                "list_price": "12.50",
                "currency_code": "EUR",
            },
        ]
    )
    becker = {
        "external_id": "ERP-000042",
        "legal_name": LONG_NAME,
        "tags": ["organic", "deli", "convenience", "independent"],
        "region": "North Rhine-Westphalia",
        "credit_limit": "150000",
        "contacts": [{"name": "Olga Yilmaz", "role": "buyer", "primary": True}],
    }
    corner = {
        "external_id": "ERP-000043",
        "legal_name": "Corner Shop",
        "credit_limit": "2500.50",
        "payment_terms_days": 30,
    }
    accounts = admin.batch_upsert_accounts(
        {**account, "currency_code": "EUR", "status": "active", "price_tier": "platinum"}
        for account in (becker, corner)
    ).accounts
    for number, (account, day, status, channel, lines) in ORDERS.items():
        admin.record_order(
            number,
            account_external_id=account,
            order_date=dt.date(2026, 1, day),
            status=status,
            channel=channel,
            lines=lines,
        )
    return {account.external_id: account.id for account in accounts}


def table(wholesale: Run, *args: str) -> list[str]:  # noqa: F811
    """The lines of a command's table on a 100-column terminal, checked to fit it."""
    lines = ok(wholesale(*args, COLUMNS=str(WIDTH))).splitlines()
    assert max(len(line) for line in lines) <= WIDTH, "\n".join(lines)
    assert "…" not in "\n".join(lines)
    return [line.rstrip() for line in lines]


def fields(lines: list[str]) -> dict[str, str]:
    """A field/value table's rows (and its title, which no row is named like): a field is
    words one space apart, and its value starts after a wider gap (if it has a value)."""
    rows = (line.split("  ", 1) for line in lines[: lines.index("") if "" in lines else None])
    return {row[0]: row[1].strip() if len(row) > 1 else "" for row in rows}


def json_of(wholesale: Run, *args: str) -> Any:  # noqa: F811
    return json.loads(ok(wholesale("-o", "json", *args)))


def csv_of(wholesale: Run, *args: str) -> list[dict[str, str]]:  # noqa: F811
    return list(csv.DictReader(io.StringIO(ok(wholesale("-o", "csv", *args)))))


def right_aligned(lines: list[str], pattern: re.Pattern[str]) -> bool:
    """Whether every match of ``pattern`` (one a line at most) ends in the same column."""
    ends = {match.end() for line in lines if (match := pattern.search(line))}
    return len(ends) == 1


def test_tables_fit_100_columns_and_keep_ids_dates_and_amounts_whole(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    accounts = table(wholesale, "accounts", "list")
    [becker] = [line for line in accounts if "ERP-000042" in line]
    assert re.match(rf"{shop['ERP-000042']} +ERP-000042 +Becker's ", becker)
    assert becker.endswith("150,000.00 EUR")
    assert "[North]" in "\n".join(accounts) and "[North]" not in becker  # wrapped, not markup
    assert right_aligned(accounts, AMOUNT) and "2,500.50 EUR" in "\n".join(accounts)

    orders = table(wholesale, "orders", "list")
    for number, (_, day, status, *_) in ORDERS.items():
        [row] = [line for line in orders if number in line]
        assert f" 2026-01-{day}  {status} " in row
    assert [AMOUNT.search(line).group() for line in orders if AMOUNT.search(line)] == [
        "12,500.00 EUR",
        "37.50 EUR",
        "4,939.04 EUR",
    ]
    assert right_aligned(orders, AMOUNT)

    products = table(wholesale, "products", "list")
    [pretzels] = [line for line in products if LONG_SKU in line]
    assert LONG_CATEGORY in pretzels and "4,939.04 EUR" in pretzels
    assert right_aligned(products, AMOUNT)

    number = "DEMO-SO-20260128-000043-E1"
    order = table(wholesale, "orders", "show", number)
    assert order[0] == f"Order {json_of(wholesale, 'orders', 'show', number)['id']} ({number})"
    assert fields(order)["Total"] == "12,500.00 EUR" and fields(order)["Date"] == "2026-01-28"
    [line] = [line for line in order if line.startswith(SHORT_SKU)]
    assert line.split() == [SHORT_SKU, "1,000", "12.50", "EUR", "12,500.00", "EUR"]


def test_into_a_pipe_a_table_keeps_each_row_on_one_line(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    """No terminal and no COLUMNS: nothing there wraps lines, so neither does the table."""
    text = ok(wholesale("accounts", "list", COLUMNS=""))
    [becker] = [line for line in text.splitlines() if "ERP-000042" in line]
    assert LONG_NAME in becker and "convenience, deli, independent, organic" in becker


def test_json_speaks_the_vocabulary_of_the_flags(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    euros = lambda amount: {"amount": amount, "currency_code": "EUR"}  # noqa: E731
    becker = json_of(wholesale, "accounts", "show", "ERP-000042")
    assert (becker["status"], becker["payment_terms_days"], becker["credit_limit"]) == (
        "active",
        0,
        euros("150000.00"),
    )
    assert becker["contacts"][0]["role"] == "buyer" and becker["delete_time"] is None

    listed = wholesale("-o", "json", "orders", "list", "--account", "ERP-000042", "--limit", "1")
    [order] = json.loads(ok(listed))  # a list is an array even of one; the hint is apart
    assert listed.stderr.startswith("showing the first 1:")
    assert (order["status"], order["channel"], order["total"]) == (
        "placed",
        "sales_rep",
        euros("37.50"),
    )
    assert (order["account_id"], order["account_external_id"]) == (shop["ERP-000042"], "ERP-000042")
    assert order["lines"] == [
        {
            "sku": SHORT_SKU,
            "quantity": 3,
            "unit_price": euros("12.50"),
            "line_total": euros("37.50"),
        }
    ]

    [pretzels] = json_of(wholesale, "products", "list", "--category", "bakery")
    assert (pretzels["pack_size"], pretzels["active"], pretzels["list_price"]) == (
        4,
        True,
        euros("4939.04"),
    )

    about_corner = {
        "account_id": shop["ERP-000043"],
        "account_external_id": "ERP-000043",
        "account_display_name": "Corner Shop",
    }
    decision = json_of(wholesale, "credit", "check", "ERP-000043", "100", *AS_OF)
    assert decision.items() >= about_corner.items()
    assert (decision["approved"], decision["reason"], decision["grace_days"]) == (
        True,
        "within_limit",
        7,
    )
    assert decision["requested_amount"] == euros("100.00")
    summary = json_of(wholesale, "accounts", "summary", "ERP-000043", *AS_OF)
    assert summary.items() >= about_corner.items()
    assert (summary["lifetime_order_count"], summary["top_skus"][0]["quantity"]) == (1, 1000)
    assert summary["top_skus"][0]["sku"] == SHORT_SKU
    assert summary["top_categories"] == [
        {"category": "beverages/coffee", "quantity": 1000, "spend": euros("12500.00")}
    ]  # fmt: skip


def flattened(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """The CSV cells of a JSON object as docs/cli.md describes them: nested objects as
    columns named by path, lists of plain values joined by ",", a number or true/false
    as in the JSON, null as empty (every column of a null object). Lists of records are
    text for people: left out."""
    for key, value in data.items():
        if isinstance(value, dict):
            yield from flattened(value, f"{prefix}{key}.")
        elif value is None:
            yield prefix + key, ""
        elif not isinstance(value, list):
            yield prefix + key, value if isinstance(value, str) else json.dumps(value)
        elif not any(isinstance(item, dict) for item in value):
            yield prefix + key, ",".join(value)


@pytest.mark.parametrize(
    "command",
    [
        ("accounts", "list"),
        ("accounts", "show", "ERP-000042"),
        ("orders", "list"),
        ("products", "list"),
        ("credit", "check", "ERP-000042", "100", *AS_OF),
        ("accounts", "summary", "ERP-000042", *AS_OF),
        ("audit", "list"),
    ],
    ids=lambda command: "-".join(command[:2]),
)
def test_csv_is_the_json_flattened(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
    command: tuple[str, ...],
) -> None:
    data = json_of(wholesale, *command)
    rows = csv_of(wholesale, *command)

    objects = data if isinstance(data, list) else [data]
    assert len(rows) == len(objects) > 0
    for row, obj in zip(rows, objects, strict=True):
        for key, cell in flattened({k: v for k, v in obj.items() if k != "windows"}):
            columns = [key] if key in row else [c for c in row if c.startswith(key + ".")]
            assert columns and {row[c] for c in columns} == {cell}, (key, cell, row)


def test_summary_csv_flattens_the_windows_by_their_days(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    [row] = csv_of(wholesale, "accounts", "summary", "ERP-000042", *AS_OF)
    assert (row["orders_30d"], row["spend_30d.amount"], row["spend_30d.currency_code"]) == (
        "2",
        "4976.54",
        "EUR",
    )
    assert row["median_days_between_orders"] == "7.0"


def test_a_summary_without_a_cadence_leaves_the_median_blank(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    """The API sends 0 days with fewer than two order dates and 0 days late without a paid
    invoice: nothing measured, so nothing shown, rather than a cadence of 0 days."""
    empty = json.loads(ok(wholesale("-o", "json", "accounts", "create", "--legal-name",
                                    "Empty Shop", "--currency", "EUR")))["id"]  # fmt: skip
    for account in (empty, "ERP-000043"):  # no order; one order
        figures = fields(table(wholesale, "accounts", "summary", account, *AS_OF))
        assert figures["Median days between orders"] == ""
        assert figures["Average days paid late"] == ""
        data = json_of(wholesale, "accounts", "summary", account, *AS_OF)
        assert data["median_days_between_orders"] is data["average_days_paid_late"] is None
        [row] = csv_of(wholesale, "accounts", "summary", account, *AS_OF)
        assert row["median_days_between_orders"] == row["average_days_paid_late"] == ""

    lines = table(wholesale, "accounts", "summary", "ERP-000042", *AS_OF)
    account = f"account {shop['ERP-000042']} (ERP-000042, {LONG_NAME})"
    assert " ".join(lines[:2]) == f"Summary of {account} as of 2026-02-01"  # wrapped
    figures = fields(lines)
    assert (figures["Median days between orders"], figures["Lifetime spend"]) == (
        "7.0",  # a day count, to a tenth as the docs say
        "4,976.54 EUR",
    )


def test_audit_table_tells_update_close_and_reopen_apart_by_their_changes(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    corner = shop["ERP-000043"]
    for command in (
        ("update", corner, "--terms-days", "45", "--credit-limit", "3000"),
        ("close", corner),
        ("reopen", corner),
    ):
        ok(wholesale("accounts", *command))

    lines = table(wholesale, "audit", "list", "--resource", "ERP-000043")
    events = [line.split()[2:5] for line in lines if TIME.match(line)]
    assert events == [
        ["root", action, f"accounts/{corner}"]
        for action in ("UndeleteAccount", "DeleteAccount", "UpdateAccount", "BatchUpsertAccounts")
    ]
    text = "\n".join(lines)
    for change in (
        "status: closed → active",
        "status: active → closed",
        "payment_terms_days: 30 → 45",
        "credit_limit: 2,500.50 EUR → 3,000.00 EUR",
        "legal_name: — → Corner Shop",
    ):
        assert change in text
    assert "/wholesale.v1." not in text and "request" not in text.lower()

    update = json_of(wholesale, "audit", "list", "--action", "UpdateAccount")[0]
    assert update["method"] == "/wholesale.v1.AccountService/UpdateAccount"
    changes = {change["field"]: change for change in update["changes"]}
    assert changes["payment_terms_days"] == {
        "field": "payment_terms_days",
        "old_value": 30,
        "new_value": 45,
    }
    assert changes["credit_limit"]["new_value"] == {"amount": "3000.00", "currency_code": "EUR"}
    [row] = csv_of(wholesale, "audit", "list", "--action", "UpdateAccount")
    assert "payment_terms_days: 30 → 45" in row["changes"].split(" | ")


def test_audit_table_shows_a_closing_time_as_tables_do_and_a_cleared_address_as_no_value(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    corner = shop["ERP-000043"]
    parts = ("--line", "Moreaustrasse 122", "--postal-code", "86962", "--locality", "Dusseldorf")
    ok(wholesale("accounts", "address", corner, "shipping", *parts, "--country", "DE"))
    shown = fields(table(wholesale, "accounts", "show", corner))["Shipping address"]
    ok(wholesale("accounts", "address", corner, "shipping", "--clear"))
    ok(wholesale("accounts", "close", corner))

    text = ok(wholesale("audit", "list", "--resource", corner))  # 200 columns: no wrapping

    assert shown == "Moreaustrasse 122, Dusseldorf, 86962, DE"
    assert f"shipping_address: — → {shown}" in text
    assert f"shipping_address: {shown} → —" in text
    assert re.search(r"delete_time: — → \d{4}-\d\d-\d\d \d\d:\d\d$", text, re.MULTILINE)
    [close] = json_of(wholesale, "audit", "list", "--action", "DeleteAccount")
    [closed_at] = [c["new_value"] for c in close["changes"] if c["field"] == "delete_time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", closed_at)


def test_no_line_of_a_table_ends_in_spaces_and_the_output_ends_with_its_last_row(
    wholesale: Run,  # noqa: F811
    shop: dict[str, str],
) -> None:
    for command in (
        ("accounts", "show", "ERP-000042"),
        ("accounts", "list"),
        ("accounts", "summary", "ERP-000042", *AS_OF),
    ):
        for columns in ("", str(WIDTH)):  # into a pipe, and as on a terminal
            text = ok(wholesale(*command, COLUMNS=columns))
            assert not [line for line in text.splitlines() if line.endswith(" ")], text
            assert text.endswith("\n") and not text.endswith("\n\n"), text
    summary = ok(wholesale("accounts", "summary", "ERP-000042", *AS_OF)).splitlines()
    assert summary[summary.index("Trailing windows") - 1] == ""  # tables stay apart


def test_a_very_long_value_is_shortened_in_a_table_and_kept_whole_in_json(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(f'colour = "{"x" * 100_000}"\n')

    text = ok(wholesale("config", "show", COLUMNS=""))  # into a pipe: a row a line
    [shown] = json_of(wholesale, "config", "show")[4:]

    assert max(len(line) for line in text.splitlines()) < 400
    assert "x…(100,000 characters)  unknown" in text
    assert shown == {"key": "colour", "value": "x" * 100_000, "source": "unknown"}
