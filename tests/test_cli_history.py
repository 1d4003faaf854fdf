"""The ``wholesale`` CLI's ERP-history commands as users run them: a subprocess against a live
server on SQLite (the client tests cover both backends). Products and accounts are made
through the client library with the admin token, orders through the CLI's CSV import."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RunningServer
from support.order_csv import write_order_csv
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)

from wholesale.client import Client
from wholesale.client.order_csv import LayoutError, OrderCsv, RejectsFile

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SKUS = ("APPLE-1L", "PEAR-1L", "WATER-6", "OATS-1K")
CATEGORIES = ("beverages/juice", "beverages/juice", "beverages/water", "grocery")
ACCOUNTS = ("ERP-1", "ERP-2", "ERP-3")


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


@pytest.fixture
def account_ids(admin: Client) -> dict[str, str]:
    """Four EUR products (OATS-1K inactive) and three active accounts with a 1000 limit;
    returns external id -> account id."""
    admin.batch_upsert_products(
        {
            "sku": sku,
            "name": sku.title(),
            "category": category,
            "selling_unit": "piece",
            "list_price": "1.50",
            "currency_code": "EUR",
            "active": sku != "OATS-1K",
        }
        for sku, category in zip(SKUS, CATEGORIES, strict=True)
    )
    accounts = admin.batch_upsert_accounts(
        {
            "external_id": external_id,
            "legal_name": f"Shop {external_id}",
            "currency_code": "EUR",
            "status": "active",
            "credit_limit": "1000",
        }
        for external_id in ACCOUNTS
    ).accounts
    return {account.external_id: account.id for account in accounts}


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@SQLITE
def test_products_list_and_show(wholesale: Run, account_ids: dict[str, str]) -> None:  # noqa: F811
    table = ok(wholesale("products", "list", "--category", "beverages"))
    assert "APPLE-1L" in table and "beverages/water" in table and "OATS-1K" not in table

    inactive = json.loads(ok(wholesale("-o", "json", "products", "list", "--inactive")))
    assert [product["sku"] for product in inactive] == ["OATS-1K"]
    found = rows_of(ok(wholesale("-o", "csv", "products", "list", "--search", "pear")))
    assert [(row["sku"], row["list_price.amount"], row["active"]) for row in found] == [
        ("PEAR-1L", "1.50", "true")
    ]
    assert len(json.loads(ok(wholesale("-o", "json", "products", "list", "--limit", "2")))) == 2

    shown = json.loads(ok(wholesale("-o", "json", "products", "show", "WATER-6")))
    assert (shown["list_price"], shown["category"]) == (
        {"amount": "1.50", "currency_code": "EUR"},
        "beverages/water",
    )
    assert "Pack" in ok(wholesale("products", "show", "WATER-6"))
    assert wholesale("products", "show", "NOPE").returncode == 3


@SQLITE
def test_orders_list_and_show(
    wholesale: Run,  # noqa: F811
    admin: Client,
    account_ids: dict[str, str],
) -> None:
    for day in (1, 2, 3):
        admin.record_order(
            f"SO-{day}",
            account_external_id="ERP-1" if day < 3 else "ERP-2",
            order_date=dt.date(2026, 1, day),
            status="fulfilled" if day != 2 else "placed",
            lines=[("APPLE-1L", day, "1.25"), ("PEAR-1L", 1, "2")],
        )
    erp1 = account_ids["ERP-1"]

    listed = json.loads(
        ok(wholesale("-o", "json", "orders", "list", "--account", erp1, "--since", "2026-01-02"))
    )
    assert [(o["external_id"], o["order_date"], o["total"]["amount"]) for o in listed] == [
        ("SO-2", "2026-01-02", "4.50")
    ]
    assert [line["unit_price"]["amount"] for line in listed[0]["lines"]] == ["1.25", "2.00"]
    table = ok(wholesale("orders", "list", "--status", "fulfilled", "--until", "2026-01-03"))
    assert "SO-3" in table and "SO-1" in table and "SO-2" not in table and "Lines" in table

    order_id = listed[0]["id"]
    shown = ok(wholesale("orders", "show", order_id))
    assert "2026-01-02" in shown and "PEAR-1L" in shown and "placed" in shown
    lines = rows_of(ok(wholesale("-o", "csv", "orders", "show", order_id)))
    assert [(line["sku"], line["quantity"], line["line_total.amount"]) for line in lines] == [
        ("APPLE-1L", "2", "2.50"),
        ("PEAR-1L", "1", "2.00"),
    ]
    bad_date = wholesale("orders", "list", "--since", "2026-13-01")
    assert bad_date.returncode == 2 and "--since" in bad_date.stderr


def _import(wholesale: Run, path: Path, *args: str) -> tuple[int, dict]:  # noqa: F811
    result = wholesale("-o", "json", "orders", "import", str(path), *args)
    assert result.returncode in (0, 7), result.stderr
    return result.returncode, json.loads(result.stdout)


@SQLITE
def test_import_of_a_generated_csv_reports_and_writes_the_rejected_rows(
    wholesale: Run,  # noqa: F811
    admin: Client,
    account_ids: dict[str, str],
    tmp_path: Path,
) -> None:
    faults = {
        5: "unknown_sku",
        6: "bad_quantity",
        250: "missing_column",
        400: "bad_date",
        401: "zero_quantity",
        777: "bad_price",
        998: "bad_status",
    }
    written = write_order_csv(
        tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS[:3], orders=1000, faults=faults
    )

    exit_code, summary = _import(wholesale, written.path, "--batch-size", "150")

    assert exit_code == 7 and written.rows == 3000
    assert summary["rows"] == written.rows
    assert summary["orders_by_outcome"] == {
        "created": written.accepted_orders,
        "updated": 0,
        "unchanged": 0,
        "rejected": len(faults),
    }
    assert summary["rows_by_outcome"]["rejected"] == len(written.rejected_lines)
    assert summary["rejects_file"] == str(tmp_path / "orders.rejected.csv")
    # In file line order, though the server rejects SO-0000005 after the CLI has already
    # rejected SO-0000006 and others of the next batches while reading the file.
    rejected_rows = rows_of((tmp_path / "orders.rejected.csv").read_text())
    rejected = {int(row["error"].split(":")[0].removeprefix("line ")): row for row in rejected_rows}
    assert list(rejected) == written.rejected_lines == sorted(written.rejected_lines)
    assert not list(tmp_path.glob(".*.tmp"))
    errors = {
        external_id: rejected[line]["error"] for external_id, line in written.fault_lines.items()
    }
    assert "sku" in errors["SO-0000005"] and "NO-SUCH-SKU" in errors["SO-0000005"]
    assert "quantity: 'twelve' is not a whole number" in errors["SO-0000006"]
    assert "quantity" in errors["SO-0000401"] and "order_date" in errors["SO-0000400"]
    assert "(quantity, unit_price missing)" in errors["SO-0000250"]
    assert "status: 'shipped'" in errors["SO-0000998"]
    line = written.fault_lines["SO-0000005"]
    assert rejected[line + 1]["error"] == (
        f"line {line + 1}: not imported: line {line} of the same order was rejected"
    )
    assert rejected[line + 1]["quantity"] and "error" not in rejected[line + 1]["sku"]
    assert len(list(admin.list_orders(page_size=500))) == written.accepted_orders

    again_code, again = _import(wholesale, written.path)
    assert again_code == 7
    assert again["orders_by_outcome"]["unchanged"] == written.accepted_orders
    assert again["rows_by_outcome"]["rejected"] == len(written.rejected_lines)


@SQLITE
def test_a_corrected_rejects_file_imports_as_it_is(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],
    tmp_path: Path,
) -> None:
    written = write_order_csv(
        tmp_path / "orders.csv",
        accounts=ACCOUNTS,
        skus=SKUS[:3],
        orders=20,
        faults={3: "bad_price"},
    )
    assert _import(wholesale, written.path)[0] == 7
    rejects = tmp_path / "orders.rejected.csv"
    rejects.write_text(rejects.read_text().replace(',"1,85",', ",1.85,"))

    exit_code, summary = _import(wholesale, rejects, "--rejects", str(tmp_path / "left.csv"))

    assert (exit_code, summary["orders_by_outcome"]["created"]) == (0, 1)
    assert summary["rejects_file"] is None and not (tmp_path / "left.csv").exists()


@SQLITE
def test_an_import_that_fails_leaves_the_rejects_file_as_it_was(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],
    tmp_path: Path,
) -> None:
    """A viewer may not import: the run fails outright and the rejects file the user may
    have just corrected is neither overwritten nor removed, and no temporary file is left."""
    written = write_order_csv(
        tmp_path / "orders.csv",
        accounts=ACCOUNTS,
        skus=SKUS[:3],
        orders=20,
        faults={2: "bad_price", 12: "unknown_sku"},
    )
    rejects = tmp_path / "orders.rejected.csv"
    rejects.write_text("corrected by hand\n")
    other = tmp_path / "other.csv"
    other.write_text("also corrected\n")

    for args in ((), ("--rejects", str(other))):
        result = wholesale("orders", "import", str(written.path), *args, "--batch-size", "5",
                           who="viewer")  # fmt: skip
        assert result.returncode == 4, result.stderr
        assert "error: " in result.stderr and "role" in result.stderr
    assert rejects.read_text() == "corrected by hand\n"
    assert other.read_text() == "also corrected\n"
    assert not list(tmp_path.glob(".*"))  # no temporary rejects file left behind


@SQLITE
def test_import_table_output_progress_and_stale_rejects(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],
    tmp_path: Path,
) -> None:
    clean = write_order_csv(tmp_path / "clean.csv", accounts=ACCOUNTS, skus=SKUS[:2], orders=30)
    stale = tmp_path / "clean.rejected.csv"
    stale.write_text("left over from an earlier run\n")

    result = wholesale("orders", "import", str(clean.path), TTY_COMPATIBLE="1")

    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stderr and "Importing" in result.stderr  # the progress bar
    assert "rows/s" in result.stdout and "created" in result.stdout
    assert not stale.exists()

    bad = write_csv(
        tmp_path / "bad.csv",
        [
            "order_external_id,account_id,order_date,sku,quantity,unit_price",
            f"SO-X,{account_ids['ERP-1']},2026-01-05,APPLE-1L,1,1.00",
            f"SO-X,{account_ids['ERP-2']},2026-01-05,PEAR-1L,1,1.00",
        ],
    )
    table = wholesale("orders", "import", str(bad))
    assert table.returncode == 7
    assert "Rejected: 2 rows" in table.stdout and "differs" in table.stdout
    assert "not imported" not in table.stdout  # only the rows that sank the order
    as_csv = rows_of(ok(wholesale("-o", "csv", "orders", "import", str(clean.path))))
    assert {row["outcome"]: row["rows"] for row in as_csv}["unchanged"] == str(clean.rows)


@SQLITE
def test_import_refuses_a_file_that_does_not_follow_the_layout(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "typo.csv", ["order_external_id,account_id,order_date,stauts,sku,quantity"]
    )
    result = wholesale("orders", "import", str(path))
    assert result.returncode == 2
    assert "stauts" in result.stderr and "missing 1 column: unit_price" in result.stderr
    help_text = ok(wholesale("orders", "import", "--help"))
    assert "order_external_id,account_external_id,order_date" in help_text


def test_rows_of_an_order_must_agree_and_rows_without_an_order_id_stand_alone() -> None:
    text = "\n".join(
        [
            "order_external_id,account_external_id,order_date,sku,quantity,unit_price,error",
            "A,ERP-1,2026-01-05,S1,1,1.00,old reason",
            "A,ERP-1,2026-01-05,S2,2,2.00,",
            ",ERP-1,2026-01-05,S1,1,1.00,",
            "B,ERP-1,2026-01-05,S1,1,1.00,",
            "B,ERP-1,2026-01-06,S2,1,1.00,extra",
        ]
    )
    groups = list(OrderCsv(io.StringIO(text)).orders())

    assert [(g.external_id, g.lines, g.order is not None) for g in groups] == [
        ("A", [2, 3], True),
        ("", [4], False),
        ("B", [5, 6], False),
    ]
    assert [line.quantity for line in groups[0].order.lines] == [1, 2]
    assert groups[1].errors == ["line 4: order_external_id: required"]
    assert "order_date: '2026-01-06' differs from the order's first line" in groups[2].errors[1]
    missing_account = r"missing 1 column: account_external_id \(or account_id\)"
    with pytest.raises(LayoutError, match=missing_account):
        OrderCsv(io.StringIO("order_external_id,order_date,sku,quantity,unit_price\n"))


def test_rejects_file_is_written_in_line_order_and_replaced_only_on_commit(
    tmp_path: Path,
) -> None:
    target = tmp_path / "orders.rejected.csv"
    target.write_text("corrected by hand\n")
    columns = ["order_external_id", "sku", "error"]

    failed = RejectsFile(target, columns)
    failed.write([{"order_external_id": "B", "sku": "S"}], ["line 6: bad"], [6])
    failed.flush()
    assert len(list(tmp_path.glob(".orders.rejected.csv.*.tmp"))) == 1
    failed.discard()
    assert target.read_text() == "corrected by hand\n" and not list(tmp_path.glob(".*"))

    done = RejectsFile(target, columns)
    done.write([{"order_external_id": "B", "sku": "S"}], ["line 6: bad"], [6])
    done.write([{"order_external_id": "C", "sku": "S"}] * 2, ["line 8: x", "line 9: y"], [8, 9])
    done.flush(before=7)  # line 7 may still be rejected: only line 6 is written yet
    done.write([{"order_external_id": "A", "sku": "S"}], ["line 7: unknown"], [7])
    done.commit()
    assert [row["error"] for row in rows_of(target.read_text())] == [
        "line 6: bad",
        "line 7: unknown",
        "line 8: x",
        "line 9: y",
    ]
    assert not list(tmp_path.glob(".*"))

    RejectsFile(target, columns).commit()  # a complete run that rejected nothing
    assert not target.exists()


@SQLITE
def test_account_summary_as_table_json_and_csv(
    wholesale: Run,  # noqa: F811
    admin: Client,
    account_ids: dict[str, str],
) -> None:
    account = account_ids["ERP-1"]
    for day in (2, 9):
        admin.record_order(
            f"SO-{day}",
            account_id=account,
            order_date=dt.date(2026, 1, day),
            lines=[("APPLE-1L", 4, "1.25"), ("WATER-6", 1, "3")],
        )
    admin.record_invoice(
        "INV-1", account_id=account, amount="16", issue_date="2026-01-02", due_date="2026-01-10"
    )
    as_of = ("--as-of", "2026-01-20")

    table = ok(wholesale("accounts", "summary", account, *as_of))
    for text in ("Trailing windows", "30 days", "APPLE-1L", "beverages/juice", "Overdue"):
        assert text in table
    data = json.loads(ok(wholesale("-o", "json", "accounts", "summary", account, *as_of)))
    sixteen_euros = {"amount": "16.00", "currency_code": "EUR"}
    assert (data["as_of_date"], data["lifetime_spend"], data["first_order_date"]) == (
        "2026-01-20",
        sixteen_euros,
        "2026-01-02",
    )
    assert data["windows"][0] == {"days": 30, "spend": sixteen_euros, "order_count": 2}
    [row] = rows_of(ok(wholesale("-o", "csv", "accounts", "summary", account, *as_of)))
    assert (row["spend_30d.amount"], row["orders_365d"], row["median_days_between_orders"]) == (
        "16.00",
        "2",
        "7.0",
    )
    assert row["top_skus"] == "APPLE-1L, Apple-1L, 8, 10.00 EUR | WATER-6, Water-6, 2, 6.00 EUR"
    assert (row["overdue_amount.amount"], row["overdue_amount.currency_code"]) == ("16.00", "EUR")


@SQLITE
def test_credit_check_answers_with_exit_codes(
    wholesale: Run,  # noqa: F811
    admin: Client,
    account_ids: dict[str, str],
) -> None:
    account = account_ids["ERP-2"]
    admin.record_invoice(
        "INV-9", account_id=account, amount="400", issue_date="2026-01-02", due_date="2026-02-01"
    )
    as_of = ("--as-of", "2026-01-10")

    approved = wholesale("credit", "check", account, "600", *as_of)
    assert approved.returncode == 0, approved.stderr
    assert "APPROVED" in approved.stdout and "within_limit" in approved.stdout

    refused = wholesale("-o", "json", "credit", "check", account, "600.01", *as_of)
    assert refused.returncode == 8, refused.stderr
    decision = json.loads(refused.stdout)
    assert (decision["approved"], decision["reason"]) == (False, "over_limit")
    assert (decision["available_credit"], decision["outstanding_balance"]) == (
        {"amount": "600.00", "currency_code": "EUR"},
        {"amount": "400.00", "currency_code": "EUR"},
    )
    [row] = rows_of(wholesale("-o", "csv", "credit", "check", account, "700", *as_of).stdout)
    assert (row["approved"], row["reason"], row["requested_amount.amount"]) == (
        "false",
        "over_limit",
        "700.00",
    )

    not_a_number = wholesale("credit", "check", account, "lots")
    assert not_a_number.returncode == 2 and "decimal amount" in not_a_number.stderr


@SQLITE
def test_amounts_money_cannot_hold_are_one_line_usage_errors(
    wholesale: Run,  # noqa: F811
) -> None:
    """Every amount the CLI parses (credit check, --credit-limit) is checked as Money:
    more than 9 decimals, not a number or absurdly large is exit code 2 and one line."""
    created = wholesale(
        "-o", "json", "accounts", "create", "--legal-name", "Shop", "--currency", "EUR",
        "--credit-limit", "2500.50",
    )  # fmt: skip
    account = json.loads(ok(created))
    attempts = {
        ("credit", "check", account["id"], "1.0000000001"): "more than 9 decimal places",
        ("credit", "check", account["id"], "1" + "0" * 30): "out of range",
        ("credit", "check", account["id"], "1e30"): "not a decimal amount",
        ("credit", "check", account["id"], "12,50"): "not a decimal amount",
        ("accounts", "update", account["id"], "--credit-limit", "0.0000000001"): "9 decimal",
        ("accounts", "update", account["id"], "--credit-limit", "inf"): "not a decimal amount",
        ("accounts", "create", "--legal-name", "Other", "--currency", "EUR",
         "--credit-limit", "9223372036854775808"): "out of range",
    }  # fmt: skip
    for args, expected in attempts.items():
        result = wholesale(*args)
        assert (result.returncode, result.stdout) == (2, ""), (args, result.stderr)
        [line] = result.stderr.splitlines()
        assert line.startswith("error: Invalid value for") and expected in line, args

    [row] = rows_of(ok(wholesale("-o", "csv", "accounts", "list")))
    assert (row["display_name"], row["credit_limit.amount"]) == ("Shop", "2500.50")


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("-3", "'-3': amount must be positive"),
        ("0", "'0': amount must be positive"),
        ("1e3", "'1e3' is not a decimal amount such as 2500.00"),
        ("+5", "'+5' is not a decimal amount such as 2500.00"),
        (" 5 ", "' 5 ' is not a decimal amount such as 2500.00"),
    ],
)
def test_credit_check_takes_only_a_plain_positive_amount_and_needs_no_double_dash(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],
    amount: str,
    problem: str,
) -> None:
    refused = wholesale("credit", "check", account_ids["ERP-2"], amount)

    assert refused.returncode == 2, refused.stderr
    (line,) = refused.stderr.splitlines()
    assert line.startswith(f"error: Invalid value for 'AMOUNT': {problem} ")
