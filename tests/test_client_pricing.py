"""The client's PricingService methods against a real server (SQLite and PostgreSQL):
friendly values in, exact Decimals out, big rule imports in all-or-nothing chunks, and
sheets and diffs read over many pages at one moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from conftest import RunningServer
from support.pricing_api import seed_priced_catalog

from wholesale.client import Client, InvalidArgument, from_money
from wholesale.client.pricing import to_timestamp
from wholesale.client.values import enum_value
from wholesale.v1 import pricing_pb2


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


@pytest.fixture
def accounts(admin: Client) -> dict[str, str]:
    return seed_priced_catalog(admin)


def base_list(client: Client, name: str = "Base", **fields: object) -> str:
    values = {"name": name, "currency_code": "EUR", "audience": {"everyone": True}}
    return client.create_price_list({"status": "active", **values, **fields}).price_list.id


def category_rules(count: int) -> list[dict[str, object]]:
    """Distinct rules of one category, with an external id: one per day from 2030 on, so
    no two overlap."""
    first = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    return [
        {
            "category": "beverages",
            "catalog_discount": "5",
            "external_id": f"R-{n}",
            "start_time": first + dt.timedelta(days=n),
            "end_time": first + dt.timedelta(days=n + 1),
        }
        for n in range(count)
    ]


def test_rules_go_in_chunks_each_stored_or_not_as_a_whole(
    admin: Client, accounts: dict[str, str]
) -> None:
    list_id = base_list(admin)
    chunks: list[int] = []

    report = admin.batch_upsert_price_rules(
        list_id,
        category_rules(5),
        chunk_size=2,
        on_chunk=lambda chunk, _: chunks.append(len(chunk)),
    )

    assert chunks == [2, 2, 1] and report.calls == 3
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert [rule.external_id for rule in report.rules] == [f"R-{n}" for n in range(5)]
    again = admin.batch_upsert_price_rules(list_id, category_rules(5), chunk_size=2)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)

    # A bad rule in the second chunk: the first chunk is stored, nothing of the second.
    rules = [
        *category_rules(7)[5:],
        {"sku": "NO-SUCH-SKU", "fixed_price": "1"},
        *category_rules(9)[7:],
    ]
    with pytest.raises(InvalidArgument) as refused:
        admin.batch_upsert_price_rules(list_id, rules, chunk_size=2)
    assert any(field.startswith("rules[0].sku") for field, _ in refused.value.field_violations)
    stored = {rule.external_id for rule in admin.list_price_rules(list_id, page_size=3)}
    assert stored == {f"R-{n}" for n in range(7)}


def test_a_thousand_rules_per_call_by_default(admin: Client, accounts: dict[str, str]) -> None:
    report = admin.batch_upsert_price_rules(base_list(admin), category_rules(1001))
    assert (report.calls, report.created) == (2, 1001)
    with pytest.raises(ValueError, match="chunk_size"):
        admin.batch_upsert_price_rules("1", [], chunk_size=1001)


def test_quote_prices_in_decimals_and_refuses_floats(
    admin: Client, accounts: dict[str, str]
) -> None:
    list_id = base_list(admin)
    breaks = [{"min_quantity": 10, "unit_price": Decimal("1.70")}]
    admin.batch_upsert_price_rules(
        list_id, [{"sku": "APPLE-1L", "fixed_price": "1.80", "breaks": breaks}]
    )

    quote = admin.quote(accounts["ERP-1"], [("APPLE-1L", 12), {"sku": "PEAR-1L", "quantity": 1}])

    apple, pear = quote.lines
    assert (from_money(apple.unit_price), from_money(apple.line_total)) == (
        Decimal("1.7"),
        Decimal("20.4"),
    )
    assert from_money(pear.unit_price) == Decimal(3) and from_money(quote.total) == Decimal("23.4")
    assert not quote.id
    by_erp_id = admin.quote("ERP-1", [("APPLE-1L", 1)], by_external_id=True)
    assert by_erp_id.account_id == accounts["ERP-1"]
    with pytest.raises(TypeError, match="float"):
        admin.quote(accounts["ERP-1"], [("APPLE-1L", 1.0)])
    with pytest.raises(TypeError, match=r"lines\[1\]\.quantity: '3' is a str, not an int"):
        admin.quote(accounts["ERP-1"], [("APPLE-1L", 1), ("PEAR-1L", "3")])
    with pytest.raises(ValueError, match=r"lines\[0\]\.quantity: 9223372036854775808 is out of"):
        admin.quote(accounts["ERP-1"], [("APPLE-1L", 2**63)])
    with pytest.raises(TypeError, match="float"):
        admin.batch_upsert_price_rules(list_id, [{"sku": "PEAR-1L", "fixed_price": 1.5}])
    with pytest.raises(ValueError, match="time zone"):
        admin.quote(accounts["ERP-1"], [("APPLE-1L", 1)], at=dt.datetime(2026, 1, 1))


def test_a_saved_quote_reads_back_as_saved(admin: Client, accounts: dict[str, str]) -> None:
    list_id = base_list(admin)
    admin.batch_upsert_price_rules(list_id, [{"sku": "APPLE-1L", "fixed_price": "1.80"}])
    saved = admin.quote(
        accounts["ERP-1"], [("APPLE-1L", 3)], save=True, valid_for=dt.timedelta(days=2)
    )
    admin.batch_upsert_price_rules(list_id, [{"sku": "APPLE-1L", "fixed_price": "1.50"}])

    again = admin.get_quote(saved.id)

    assert saved.id and from_money(again.total) == Decimal("5.40")
    lasts = again.expire_time.ToDatetime() - again.create_time.ToDatetime()
    # The server takes the expiry from its clock a moment before the create_time.
    assert abs(lasts - dt.timedelta(days=2)) < dt.timedelta(seconds=1)


def test_sheet_and_diff_over_many_pages(admin: Client, accounts: dict[str, str]) -> None:
    list_id = base_list(admin)
    admin.batch_upsert_price_rules(list_id, [{"sku": "APPLE-1L", "fixed_price": "1.80"}])
    draft = admin.create_price_list(
        {"name": "Next", "currency_code": "EUR", "audience": {"everyone": True}, "priority": 1}
    ).price_list
    admin.batch_upsert_price_rules(draft.id, [{"sku": "APPLE-1L", "fixed_price": "1.60"}])

    sheet = list(admin.price_sheet(accounts["ERP-2"], page_size=1))
    diffs = admin.diff_prices(draft.id, skus=["APPLE-1L", "PEAR-1L"], page_size=2)
    changes = list(diffs)

    assert [(e.sku, from_money(e.unit_price)) for e in sheet] == [
        ("APPLE-1L", Decimal("1.8")),
        ("PEAR-1L", Decimal(3)),
        ("WATER-6", Decimal(4)),
    ]
    # One account per page (two SKUs each): the second page needs the first's moment.
    assert sorted((d.account_id, d.sku) for d in changes) == sorted(
        (account, "APPLE-1L") for account in accounts.values()
    )
    assert {d.change_percent.value for d in changes} == {"-11.11"}
    assert diffs.unchanged_count == 2


def test_list_lifecycle_and_contract_prices(admin: Client, accounts: dict[str, str]) -> None:
    draft = admin.create_price_list(
        {"name": "Gold", "currency_code": "EUR", "audience": {"tiers": ["gold"]},
         "rounding_increment": "0.05", "parent_discount": None}
    ).price_list  # fmt: skip
    assert draft.status == 1 and from_money(draft.rounding_increment) == Decimal("0.05")
    assert admin.activate_price_list(draft.id).price_list.status == 2
    assert admin.archive_price_list(draft.id).price_list.status == 3
    assert [p.id for p in admin.list_price_lists(filter="status = ARCHIVED")] == [draft.id]

    contract = admin.create_contract_price(
        accounts["ERP-1"], "PEAR-1L", "2.25", currency_code="EUR", start_date="2020-01-01"
    )
    changed = admin.update_contract_price(contract.id, unit_price="2.20", currency_code="EUR")
    quote = admin.quote(accounts["ERP-1"], [("PEAR-1L", 2)])
    assert changed.version == 2 and from_money(quote.lines[0].unit_price) == Decimal("2.2")
    assert [c.id for c in admin.list_contract_prices(accounts["ERP-1"])] == [contract.id]
    assert admin.delete_contract_price(contract.id).deleted
    assert list(admin.list_contract_prices(accounts["ERP-1"])) == []


def test_a_moment_outside_timestamps_range_in_utc_is_a_value_error_naming_the_argument() -> None:
    late = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    with pytest.raises(ValueError, match="at: 9999-12-31T23:59:00-05:00 is outside the years"):
        to_timestamp(late, "at")


def test_an_enum_name_the_contract_lacks_is_a_value_error_listing_the_names() -> None:
    with pytest.raises(ValueError, match="'live' is not one of draft, active, archived"):
        enum_value(pricing_pb2.PriceListStatus, "PRICE_LIST_STATUS_", "live")
    assert enum_value(pricing_pb2.PriceListStatus, "PRICE_LIST_STATUS_", "Draft") == 1
