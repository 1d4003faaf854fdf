"""``wholesale price`` and ``wholesale pricelists`` as users run them: a subprocess against a
live server (SQLite; the client tests cover both backends), in table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RunningServer
from support.pricing_api import seed_priced_catalog
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)

from wholesale.client import Client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


@pytest.fixture
def priced(admin: Client) -> dict[str, str]:
    """The catalog, the accounts and an active base list: APPLE-1L 1.80 (1.70 from 10, pack
    of 6), the water 10% off its catalog price."""
    accounts = seed_priced_catalog(admin)
    base = admin.create_price_list(
        {"name": "Base", "currency_code": "EUR", "audience": {"everyone": True}, "status": "active"}
    ).price_list
    admin.batch_upsert_price_rules(
        base.id,
        [
            {
                "sku": "APPLE-1L",
                "fixed_price": "1.80",
                "breaks": [
                    {"min_quantity": 10, "unit_price": "1.70"},
                    {"min_quantity": 50, "unit_price": "1.60"},
                ],
                "limits": {"increment": 6},
            },
            {"category": "beverages/water", "catalog_discount": "10"},
        ],
    )
    return {**accounts, "base": base.id}


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_quote_in_table_json_and_csv(wholesale: Run, priced: dict[str, str]) -> None:  # noqa: F811
    args = ("price", "quote", "ERP-1", "APPLE-1L:12", "WATER-6:2")

    table = ok(wholesale(*args))
    shown = json.loads(ok(wholesale("-o", "json", *args)))
    lines = rows_of(ok(wholesale("-o", "csv", *args)))

    assert "1.70 EUR" in table and "20.40 EUR" in table and "27.60 EUR" in table
    assert f"base list Base ({priced['base']} v1), rule" in table
    assert "note: APPLE-1L: " in table and "more" in table  # the next break, at 50
    assert shown["account_id"] == priced["ERP-1"]
    assert shown["total"] == {"amount": "27.60", "currency_code": "EUR"}
    assert shown["lines"][0]["next_break"]["more_quantity"] == 38
    assert [(row["sku"], row["line_total.amount"]) for row in lines] == [
        ("APPLE-1L", "20.40"),
        ("WATER-6", "7.20"),
    ]


def test_quote_explains_and_saves(wholesale: Run, priced: dict[str, str]) -> None:  # noqa: F811
    explained = ok(wholesale("price", "quote", priced["ERP-2"], "APPLE-1L:7", "--explain"))
    assert "Line 1: APPLE-1L x 7" in explained and "won" in explained
    assert "note: APPLE-1L: " in explained and "6" in explained  # not a multiple of the pack

    saved = json.loads(
        ok(
            wholesale(
                "-o", "json", "price", "quote", "ERP-1", "PEAR-1L:1", "--save", "--valid-for", "3"
            )
        )
    )
    assert saved["id"] and saved["expire_time"]
    assert wholesale("price", "quote", "ERP-1", "PEAR-1L:1", "--valid-for", "3").returncode == 2
    bad = wholesale("price", "quote", "ERP-1", "PEAR-1L")
    assert bad.returncode == 2 and "SKU:QTY" in bad.stderr
    negative = wholesale("price", "quote", "ERP-1", "PEAR-1L:-5")
    assert negative.returncode == 2
    assert "Invalid value for SKU:QTY: 'PEAR-1L:-5': the quantity must be 1 to" in negative.stderr
    unknown = wholesale("price", "quote", "ERP-404", "PEAR-1L:1")
    assert unknown.returncode == 3 and unknown.stderr.startswith("error: ")


def test_sheet_in_every_format_and_to_a_file(
    wholesale: Run,  # noqa: F811
    priced: dict[str, str],
    tmp_path: Path,
) -> None:
    table = ok(wholesale("price", "sheet", "ERP-1"))
    entries = json.loads(
        ok(wholesale("-o", "json", "price", "sheet", "ERP-1", "--category", "beverages/water"))
    )
    rows = rows_of(ok(wholesale("-o", "csv", "price", "sheet", "ERP-1")))
    ok(wholesale("price", "sheet", "ERP-1", "--csv", str(tmp_path / "sheet.csv")))
    nowhere = wholesale("price", "sheet", "ERP-1", "--csv", str(tmp_path / "no" / "s.csv"))
    written = rows_of((tmp_path / "sheet.csv").read_text())

    assert "10+: 1.70; 50+: 1.60" in table and "3.60 EUR" in table
    assert nowhere.returncode == 2 and nowhere.stdout == ""
    assert "cannot write" in nowhere.stderr and "does not exist" in nowhere.stderr
    assert [entry["sku"] for entry in entries] == ["WATER-6"]
    assert [row["sku"] for row in rows] == ["APPLE-1L", "PEAR-1L", "WATER-6"]
    assert written[0] == {
        "sku": "APPLE-1L",
        "name": "Apple-1L",
        "category": "beverages/juice",
        "catalog_price": "2.00",
        "unit_price": "1.80",
        "source": f"base list Base ({priced['base']} v1), rule 1 v1",
        "breaks": "10+: 1.70; 50+: 1.60",
    }
    assert [row["source"] for row in written[1:]] == [
        "catalog",
        written[0]["source"].replace("rule 1", "rule 2"),
    ]


def test_pricelists_and_diff(wholesale: Run, priced: dict[str, str], admin: Client) -> None:  # noqa: F811
    created = json.loads(
        ok(wholesale("-o", "json", "pricelists", "create", "--name", "Gold", "--currency", "eur",
                     "--tier", "gold", "--priority", "3", "--increment", "0.05", "--draft"))
    )  # fmt: skip
    assert (created["status"], created["audience"]["tiers"]) == ("draft", ["gold"])
    assert created["rounding_increment"] == {"amount": "0.05", "currency_code": "EUR"}
    admin.batch_upsert_price_rules(
        created["id"], [{"all_products": True, "catalog_discount": "20"}]
    )

    table = ok(wholesale("price", "diff", created["id"], "--skus", "APPLE-1L,PEAR-1L"))
    diffs = json.loads(
        ok(wholesale("-o", "json", "price", "diff", created["id"], "--accounts", "ERP-1"))
    )
    rows = rows_of(ok(wholesale("-o", "csv", "price", "diff", created["id"])))
    assert "-11.11%" in table and "-20%" in table and "keep their price" in table
    assert {(d["sku"], d["new_price"]["amount"]) for d in diffs} == {
        ("APPLE-1L", "1.60"), ("PEAR-1L", "2.40"), ("WATER-6", "3.20")
    }  # fmt: skip
    assert {row["account_id"] for row in rows} == {priced["ERP-1"]}  # the draft is for gold

    listed = ok(wholesale("pricelists", "list"))
    assert "Gold" in listed and "tiers gold" in listed and "everyone" in listed
    as_csv = rows_of(ok(wholesale("-o", "csv", "pricelists", "list", "--status", "draft")))
    assert [row["name"] for row in as_csv] == ["Gold"] and as_csv[0]["audience.tiers"] == "gold"
    shown = ok(wholesale("pricelists", "show", created["id"]))
    assert "Gold" in shown and "tiers gold" in shown  # the audience in words, as in the list
    activated = json.loads(ok(wholesale("-o", "json", "pricelists", "activate", created["id"])))
    archived = rows_of(ok(wholesale("-o", "csv", "pricelists", "archive", created["id"])))
    assert (activated["status"], archived[0]["status"]) == ("active", "archived")
    again = wholesale("pricelists", "activate", created["id"])
    assert again.returncode == 5 and again.stderr.startswith("error: ")

    rules = ok(wholesale("pricelists", "rules", priced["base"]))
    rule_rows = json.loads(ok(wholesale("-o", "json", "pricelists", "rules", priced["base"])))
    assert "sku APPLE-1L" in rules and "10+: 1.70; 50+: 1.60" in rules and "catalog -10%" in rules
    assert [rule["target"] if "target" in rule else rule.get("sku") for rule in rule_rows] == [
        "APPLE-1L",
        None,
    ]
    assert wholesale("pricelists", "show", "999").returncode == 3


def test_create_refuses_a_mixed_or_missing_audience(wholesale: Run, priced: dict[str, str]) -> None:  # noqa: F811
    base = ("pricelists", "create", "--name", "X", "--currency", "EUR")
    for extra in ((), ("--everyone", "--tier", "gold"), ("--everyone", "--parent-discount", "5")):
        result = wholesale(*base, *extra)
        assert result.returncode == 2 and result.stderr.startswith("error: "), extra
    named = json.loads(ok(wholesale("-o", "json", *base, "--account", "ERP-2")))
    assert named["audience"]["account_ids"] == [priced["ERP-2"]]


def test_a_quantity_beyond_the_limit_names_the_line(wholesale: Run, priced: dict[str, str]) -> None:  # noqa: F811
    result = wholesale("price", "quote", "ERP-1", "APPLE-1L:99999999999999999999")
    assert result.returncode == 2 and "quantity must be 1 to 1,000,000,000" in result.stderr


def test_a_markup_shows_as_a_plus(wholesale: Run, priced: dict[str, str], admin: Client) -> None:  # noqa: F811
    admin.batch_upsert_price_rules(priced["base"], [{"sku": "WATER-6", "catalog_discount": "-5"}])
    table = ok(wholesale("pricelists", "rules", priced["base"]))
    assert "catalog +5%" in table and "--5%" not in table


def test_a_graduated_line_shows_its_average_to_the_cent(
    wholesale: Run,  # noqa: F811
    priced: dict[str, str],
    admin: Client,
) -> None:
    graduated = {
        "sku": "PEAR-1L",
        "fixed_price": "1.00",
        "breaks": [{"min_quantity": 4, "unit_price": "0.90"}],
        "break_mode": "graduated",
    }
    admin.batch_upsert_price_rules(priced["base"], [graduated])
    args = ("price", "quote", "ERP-1", "PEAR-1L:7")
    table = ok(wholesale(*args))
    shown = json.loads(ok(wholesale("-o", "json", *args)))
    assert "avg 0.94 EUR" in table and "6.60 EUR" in table  # 3 x 1.00 + 4 x 0.90
    assert shown["lines"][0]["unit_price"]["amount"] == "0.942857"
