"""PricingService over a real server on both databases: lists, rules, contracts, quotes
for accounts of different tiers, tags and contracts, history, saved quotes, previews and
bad input."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest
from support.orders import make_product
from support.pricing_api import PricingApi, make_list, now_us, pct, sku_rule, stamp
from support.rpc import expect_failure, money, money_value

from wholesale.v1 import (
    audit_service_pb2,
    audit_service_pb2_grpc,
    pricing_pb2,
    pricing_service_pb2,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def api(running_server, channel) -> PricingApi:  # type: ignore[no-untyped-def]
    api = PricingApi(channel, running_server.tokens)
    api.upsert_products(
        [
            make_product("COF-1", "Coffee 1 kg", "beverages/coffee", "12.00"),
            make_product("TEA-1", "Tea 100 bags", "beverages/tea", "8.00"),
            make_product("SUG-1", "Sugar 1 kg", "food/sweet", "3.00"),
        ]
    )
    return api


def unit(line: pricing_pb2.QuoteLine) -> Decimal:
    return money_value(line.unit_price)


def test_quotes_follow_tier_tag_and_contract(api: PricingApi) -> None:
    gold = api.create(price_tier="gold", tags=[], legal_name="Gold Shop")
    silver = api.create(price_tier="silver", tags=["organic"], legal_name="Organic Shop")
    plain = api.create(price_tier="", tags=[], legal_name="Plain Shop")
    base = api.create_list("Base")
    api.upsert_rules(base, sku_rule("COF-1", "11.00"))
    gold_list = api.create_list(
        "Gold",
        audience=pricing_pb2.PriceListAudience(tiers=["gold"]),
        parent_list_id=base.id,
        parent_discount=pct("10"),
    )
    organic = api.create_list("Organic", audience=pricing_pb2.PriceListAudience(tags=["organic"]))
    api.upsert_rules(
        organic, pricing_pb2.PriceRule(category="beverages", catalog_discount=pct("5"))
    )
    contract = pricing_pb2.ContractPrice(
        account_id=plain.id, sku="COF-1", unit_price=money("7.50"), start_date=_date(2020, 1, 1)
    )
    api.pricing.CreateContractPrice(
        pricing_service_pb2.CreateContractPriceRequest(contract_price=contract),
        metadata=api.md("admin"),
    )

    gold_line = api.quote(gold.id, ("COF-1", 2)).lines[0]
    assert unit(gold_line) == Decimal("9.90")
    assert gold_line.source.kind == pricing_pb2.PRICE_SOURCE_KIND_SEGMENT_LIST
    assert gold_line.source.price_list_id == gold_list.id and gold_line.source.tier == "gold"
    assert unit(api.quote(silver.id, ("COF-1", 1)).lines[0]) == Decimal("11.40")
    plain_quote = api.quote(plain.id, ("COF-1", 4), ("SUG-1", 1))
    assert unit(plain_quote.lines[0]) == Decimal("7.50")
    assert plain_quote.lines[0].source.kind == pricing_pb2.PRICE_SOURCE_KIND_CONTRACT
    assert plain_quote.lines[1].source.kind == pricing_pb2.PRICE_SOURCE_KIND_CATALOG
    assert money_value(plain_quote.total) == Decimal("33.00")
    assert money_value(plain_quote.subtotal) == Decimal("51.00")
    assert money_value(plain_quote.discount_total) == Decimal("18.00")


def _date(year: int, month: int, day: int):  # type: ignore[no-untyped-def]
    from google.type import date_pb2

    return date_pb2.Date(year=year, month=month, day=day)


def test_a_scheduled_list_takes_effect_at_its_start(api: PricingApi) -> None:
    account = api.create(price_tier="", tags=[])
    start = now_us() + 3_600_000_000
    promo = api.create_list("Promo", priority=5, start_time=stamp(start))
    api.upsert_rules(promo, sku_rule("TEA-1", "6.00"))
    before = api.quote(account.id, ("TEA-1", 1), price_time=stamp(start - 1)).lines[0]
    at = api.quote(account.id, ("TEA-1", 1), price_time=stamp(start)).lines[0]
    assert (unit(before), unit(at)) == (Decimal("8.00"), Decimal("6.00"))


def test_a_past_quote_and_a_saved_quote_do_not_change_after_edits(api: PricingApi) -> None:
    account = api.create(price_tier="", tags=[])
    base = api.create_list()
    api.upsert_rules(base, sku_rule("COF-1", "10.00"))
    saved = api.quote(account.id, ("COF-1", 3), save=True, request_id="q-1")
    moment = now_us()
    changed = api.upsert_rules(base, sku_rule("COF-1", "9.00"))
    assert changed.updated_count == 1 and changed.rules[0].version == 2
    now_line = api.quote(account.id, ("COF-1", 3)).lines[0]
    past_line = api.quote(account.id, ("COF-1", 3), price_time=stamp(moment)).lines[0]
    assert (unit(now_line), unit(past_line)) == (Decimal("9.00"), Decimal("10.00"))
    assert past_line.source.price_rule_version == 1
    again = api.pricing.GetQuote(
        pricing_service_pb2.GetQuoteRequest(id=saved.id), metadata=api.md("admin")
    )
    assert again.quote == saved and saved.id and saved.HasField("expire_time")
    repeat = api.quote(account.id, ("COF-1", 3), save=True, request_id="q-1")
    assert repeat.id == saved.id


def test_ties_are_saved_and_resolved_at_quote_time(api: PricingApi) -> None:
    account = api.create(price_tier="", tags=[])
    first, second = api.create_list("First"), api.create_list("Second")
    assert not api.upsert_rules(first, sku_rule("COF-1", "10.00")).conflicts
    saved = api.upsert_rules(second, sku_rule("COF-1", "9.50"))
    [conflict] = saved.conflicts
    assert {side.price_list_id for side in conflict.sides} == {first.id, second.id}
    assert conflict.level == pricing_pb2.PRICE_SOURCE_KIND_BASE_LIST
    assert "lower price" in conflict.resolution
    listed = api.pricing.ListPriceConflicts(
        pricing_service_pb2.ListPriceConflictsRequest(), metadata=api.md("viewer")
    )
    assert list(listed.conflicts) == [conflict]
    line = api.quote(account.id, ("COF-1", 1), explain=True).lines[0]
    assert line.source.price_list_id == second.id
    outcomes = [c.outcome for c in line.trace]
    assert pricing_pb2.CANDIDATE_OUTCOME_LOST_PRICE in outcomes


def test_a_draft_previewed_and_diffed(api: PricingApi) -> None:
    account = api.create(price_tier="", tags=[])
    base = api.create_list()
    api.upsert_rules(base, sku_rule("COF-1", "10.00"), sku_rule("TEA-1", "7.00"))
    draft = api.create_list("Next year", status=pricing_pb2.PRICE_LIST_STATUS_DRAFT, priority=1)
    api.upsert_rules(draft, sku_rule("COF-1", "10.50"))
    assert unit(api.quote(account.id, ("COF-1", 1)).lines[0]) == Decimal("10.00")
    preview = api.quote(account.id, ("COF-1", 1), include_draft_list_ids=[draft.id])
    assert unit(preview.lines[0]) == Decimal("10.50")
    diff = api.pricing.DiffPrices(
        pricing_service_pb2.DiffPricesRequest(
            price_list_id=draft.id, account_ids=[account.id], skus=["COF-1", "TEA-1"]
        ),
        metadata=api.md("admin"),
    )
    assert [(d.sku, money_value(d.old_price), money_value(d.new_price)) for d in diff.diffs] == [
        ("COF-1", Decimal("10.00"), Decimal("10.50"))
    ]
    assert diff.diffs[0].change_percent.value == "5"
    assert diff.unchanged_count == 1


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([("NOPE", 1)], "lines[0].sku"),
        ([("COF-1", 0)], "lines[0].quantity"),
        ([("COF-1", -5)], "lines[0].quantity"),
        ([("COF-1", 1)] * 1001, "lines"),
    ],
)
def test_bad_quote_lines_name_the_field(api: PricingApi, lines, field: str) -> None:  # type: ignore[no-untyped-def]
    account = api.create()
    request = pricing_service_pb2.QuoteRequest(
        account_id=account.id,
        lines=[pricing_service_pb2.QuoteLineRequest(sku=s, quantity=q) for s, q in lines],
    )
    expect_failure(
        api.pricing.Quote, request, metadata=api.md("admin"), code=INVALID, fields=[field]
    )


def test_unknown_account_and_another_managers_account_are_not_found(api: PricingApi) -> None:
    bobs = api.create(manager="bob")
    for account_id, who in (("999999", "admin"), (bobs.id, "alice")):
        request = pricing_service_pb2.QuoteRequest(
            account_id=account_id,
            lines=[pricing_service_pb2.QuoteLineRequest(sku="COF-1", quantity=1)],
        )
        expect_failure(
            api.pricing.Quote, request, metadata=api.md(who), code=grpc.StatusCode.NOT_FOUND
        )
    assert api.quote(bobs.id, ("COF-1", 1), who="bob").lines[0].sku == "COF-1"


def test_a_graduated_rule_at_order_level_is_refused(api: PricingApi) -> None:
    base = api.create_list()
    rule = sku_rule(
        "COF-1",
        "10.00",
        breaks=[pricing_pb2.QuantityBreak(min_quantity=5, unit_price=money("9.00"))],
        break_mode=pricing_pb2.BREAK_MODE_GRADUATED,
        quantity_level=pricing_pb2.QUANTITY_LEVEL_ORDER,
    )
    request = pricing_service_pb2.BatchUpsertPriceRulesRequest(price_list_id=base.id, rules=[rule])
    expect_failure(
        api.pricing.BatchUpsertPriceRules,
        request,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["rules[0].quantity_level"],
    )


def test_managers_cannot_change_prices_and_every_change_is_audited(api: PricingApi) -> None:
    request = pricing_service_pb2.CreatePriceListRequest(price_list=make_list())
    expect_failure(
        api.pricing.CreatePriceList,
        request,
        metadata=api.md("alice"),
        code=grpc.StatusCode.PERMISSION_DENIED,
    )
    base = api.create_list()
    api.upsert_rules(base, sku_rule("COF-1", "10.00"))
    audit = audit_service_pb2_grpc.AuditServiceStub(api.channel)
    events = audit.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(), metadata=api.md("admin")
    )
    resources = {e.resource for e in events.audit_events}
    assert f"priceLists/{base.id}" in resources
    assert any(r.startswith(f"priceLists/{base.id}/rules/") for r in resources)
