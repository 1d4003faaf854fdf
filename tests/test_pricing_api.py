"""PricingService over a real server on both databases: lists, rules, contracts, quotes
for accounts of different tiers, tags and contracts, history, saved quotes, previews and
bad input."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import date_pb2
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


def _date(year: int, month: int, day: int) -> date_pb2.Date:
    return date_pb2.Date(year=year, month=month, day=day)


def test_a_save_returns_at_most_100_conflicts_and_says_there_are_more(api: PricingApi) -> None:
    tied = api.create_list("Tied")
    rules = [sku_rule("COF-1", "10.00", external_id=f"r{i}") for i in range(20)]
    saved = api.upsert_rules(tied, *rules)  # 20 equally specific rules: 190 ties
    assert len(saved.conflicts) == 100 and saved.conflicts_truncated
    listed = api.pricing.ListPriceConflicts(
        pricing_service_pb2.ListPriceConflictsRequest(price_list_id=tied.id, page_size=1000),
        metadata=api.md("viewer"),
    )
    assert len(listed.conflicts) == 190
    assert all(conflict in listed.conflicts for conflict in saved.conflicts)
    few_list = api.create_list("Few", priority=1)
    few = api.upsert_rules(few_list, *rules[:14])  # 91 ties
    assert len(few.conflicts) == 91 and not few.conflicts_truncated


def test_a_saved_list_returns_the_first_100_of_its_conflicts_in_order(api: PricingApi) -> None:
    other = api.create_list("Other")
    api.upsert_rules(other, *[sku_rule("COF-1", "9.00", external_id=f"o{i}") for i in range(60)])
    moved = api.create_list("Moved", priority=1)
    api.upsert_rules(moved, *[sku_rule("COF-1", "10.00", external_id=f"m{i}") for i in range(3)])
    lowered = pricing_service_pb2.UpdatePriceListRequest(
        price_list=pricing_pb2.PriceList(id=moved.id, priority=0),
        update_mask=FieldMask(paths=["priority"]),
    )

    saved = api.pricing.UpdatePriceList(lowered, metadata=api.md("admin"))

    assert len(saved.conflicts) == 100 and saved.conflicts_truncated  # 3 x 60 + 3 ties
    listed = api.pricing.ListPriceConflicts(
        pricing_service_pb2.ListPriceConflictsRequest(price_list_id=moved.id, page_size=500),
        metadata=api.md("viewer"),
    )
    assert len(listed.conflicts) == 183 and list(saved.conflicts) == list(listed.conflicts[:100])


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


def test_a_past_quote_prices_with_the_tier_and_tags_the_account_had_then(
    api: PricingApi,
) -> None:
    account = api.create(price_tier="bronze", tags=["cafe"])
    base = api.create_list()
    api.upsert_rules(base, sku_rule("COF-1", "10.00"), sku_rule("TEA-1", "7.00"))
    for name, audience, sku, price in (
        ("Bronze", pricing_pb2.PriceListAudience(tiers=["bronze"]), "COF-1", "9.50"),
        ("Silver", pricing_pb2.PriceListAudience(tiers=["silver"]), "COF-1", "9.00"),
        ("Cafe", pricing_pb2.PriceListAudience(tags=["cafe"]), "TEA-1", "6.50"),
    ):
        api.upsert_rules(api.create_list(name, audience=audience, priority=1), sku_rule(sku, price))
    moment = now_us()
    account.price_tier, account.tags[:] = "silver", []
    api.update(account, ["price_tier", "tags"])
    past = api.quote(account.id, ("COF-1", 1), ("TEA-1", 1), price_time=stamp(moment))
    now = api.quote(account.id, ("COF-1", 1), ("TEA-1", 1))
    assert [unit(line) for line in past.lines] == [Decimal("9.50"), Decimal("6.50")]
    assert past.price_tier == "bronze"
    assert [unit(line) for line in now.lines] == [Decimal("9.00"), Decimal("7.00")]
    assert now.price_tier == "silver"
    sheet = api.pricing.GetPriceSheet(
        pricing_service_pb2.GetPriceSheetRequest(account_id=account.id, price_time=stamp(moment)),
        metadata=api.md("admin"),
    )
    assert sheet.price_tier == "bronze"
    assert {e.sku: money_value(e.unit_price) for e in sheet.entries}["COF-1"] == Decimal("9.50")


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


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(-62_135_596_801, 0), (253_402_300_800, 0), (0, -1), (0, 1_000_000_000)],
)
def test_moments_outside_the_timestamp_range_are_refused(
    api: PricingApi, seconds: int, nanos: int
) -> None:
    account = api.create()
    base = api.create_list()
    outside = Timestamp(seconds=seconds, nanos=nanos)
    quote = pricing_service_pb2.QuoteRequest(
        account_id=account.id,
        price_time=outside,
        lines=[pricing_service_pb2.QuoteLineRequest(sku="COF-1", quantity=1)],
    )
    expect_failure(
        api.pricing.Quote, quote, metadata=api.md("admin"), code=INVALID, fields=["price_time"]
    )
    rule = sku_rule("COF-1", "10.00")
    rule.end_time.CopyFrom(outside)
    upsert = pricing_service_pb2.BatchUpsertPriceRulesRequest(price_list_id=base.id, rules=[rule])
    expect_failure(
        api.pricing.BatchUpsertPriceRules,
        upsert,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["rules[0].end_time"],
    )
    edge = Timestamp(seconds=-62_135_596_800)
    quote.price_time.CopyFrom(edge)
    assert api.pricing.Quote(quote, metadata=api.md("admin")).quote.lines[0].sku == "COF-1"


def test_a_rule_for_a_category_without_products_is_refused_and_minus_zero_is_zero(
    api: PricingApi,
) -> None:
    base = api.create_list()
    typo = pricing_pb2.PriceRule(category="bevrages", catalog_discount=pct("5"))
    request = pricing_service_pb2.BatchUpsertPriceRulesRequest(price_list_id=base.id, rules=[typo])
    failure = expect_failure(
        api.pricing.BatchUpsertPriceRules,
        request,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["rules[0].category"],
    )
    assert "bevrages" in failure.violations[0][1]
    parent = pricing_pb2.PriceRule(category="beverages", catalog_discount=pct("-0"))
    stored = api.upsert_rules(base, parent).rules[0]
    assert (stored.category, stored.catalog_discount.value) == ("beverages", "0")


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


def test_contract_prices_change_by_versions_and_never_overlap(api: PricingApi) -> None:
    account = api.create(price_tier="", tags=[])
    md = api.md("admin")
    created = api.pricing.CreateContractPrice(
        pricing_service_pb2.CreateContractPriceRequest(
            contract_price=pricing_pb2.ContractPrice(
                account_id=account.id,
                sku="TEA-1",
                unit_price=money("6.00"),
                start_date=_date(2020, 1, 1),
            )
        ),
        metadata=md,
    ).contract_price
    before_change = now_us()
    changed = api.pricing.UpdateContractPrice(
        pricing_service_pb2.UpdateContractPriceRequest(
            contract_price=pricing_pb2.ContractPrice(
                id=created.id, unit_price=money("5.50"), etag=created.etag
            ),
            update_mask=FieldMask(paths=["unit_price"]),
        ),
        metadata=md,
    ).contract_price
    assert (changed.version, money_value(changed.unit_price)) == (2, Decimal("5.50"))
    assert unit(api.quote(account.id, ("TEA-1", 1)).lines[0]) == Decimal("5.50")
    past = api.quote(account.id, ("TEA-1", 1), price_time=stamp(before_change)).lines[0]
    assert unit(past) == Decimal("6.00") and past.source.contract_price_version == 1
    stale = pricing_service_pb2.UpdateContractPriceRequest(
        contract_price=pricing_pb2.ContractPrice(id=created.id, note="x", etag=created.etag),
        update_mask=FieldMask(paths=["note"]),
    )
    expect_failure(
        api.pricing.UpdateContractPrice, stale, metadata=md, code=grpc.StatusCode.ABORTED
    )
    overlapping = pricing_service_pb2.CreateContractPriceRequest(
        contract_price=pricing_pb2.ContractPrice(
            account_id=account.id,
            sku="TEA-1",
            unit_price=money("4.00"),
            start_date=_date(2024, 1, 1),
        )
    )
    expect_failure(
        api.pricing.CreateContractPrice,
        overlapping,
        metadata=md,
        code=grpc.StatusCode.FAILED_PRECONDITION,
        reason="CONTRACT_PRICE_OVERLAP",
    )
    deleted = api.pricing.DeleteContractPrice(
        pricing_service_pb2.DeleteContractPriceRequest(id=created.id), metadata=md
    ).contract_price
    assert deleted.deleted and deleted.version == 3
    assert unit(api.quote(account.id, ("TEA-1", 1)).lines[0]) == Decimal("8.00")


def test_list_lifecycle_draft_active_archived(api: PricingApi) -> None:
    md = api.md("admin")
    base = api.create_list("Base")
    child = api.create_list(
        "Child", audience=pricing_pb2.PriceListAudience(tiers=["gold"]), parent_list_id=base.id
    )
    archive_base = pricing_service_pb2.UpdatePriceListRequest(
        price_list=pricing_pb2.PriceList(id=base.id, status=pricing_pb2.PRICE_LIST_STATUS_ARCHIVED),
        update_mask=FieldMask(paths=["status"]),
    )
    expect_failure(
        api.pricing.UpdatePriceList,
        archive_base,
        metadata=md,
        code=grpc.StatusCode.FAILED_PRECONDITION,
        reason="PRICE_LIST_HAS_CHILDREN",
    )
    archived = api.pricing.DeletePriceList(
        pricing_service_pb2.DeletePriceListRequest(id=child.id), metadata=md
    )
    assert not archived.deleted
    assert archived.price_list.status == pricing_pb2.PRICE_LIST_STATUS_ARCHIVED
    reactivate = pricing_service_pb2.UpdatePriceListRequest(
        price_list=pricing_pb2.PriceList(id=child.id, status=pricing_pb2.PRICE_LIST_STATUS_ACTIVE),
        update_mask=FieldMask(paths=["status"]),
    )
    expect_failure(
        api.pricing.UpdatePriceList,
        reactivate,
        metadata=md,
        code=grpc.StatusCode.FAILED_PRECONDITION,
    )
    draft = api.create_list("Draft", status=pricing_pb2.PRICE_LIST_STATUS_DRAFT)
    api.upsert_rules(draft, sku_rule("COF-1", "1.00"))
    gone = api.pricing.DeletePriceList(
        pricing_service_pb2.DeletePriceListRequest(id=draft.id), metadata=md
    )
    assert gone.deleted
    expect_failure(
        api.pricing.GetPriceList,
        pricing_service_pb2.GetPriceListRequest(id=draft.id),
        metadata=md,
        code=grpc.StatusCode.NOT_FOUND,
    )


def test_rule_history_and_stale_etags(api: PricingApi) -> None:
    md = api.md("admin")
    base = api.create_list()
    [first] = api.upsert_rules(base, sku_rule("COF-1", "10.00")).rules
    [second] = api.upsert_rules(base, sku_rule("COF-1", "9.00", etag=first.etag)).rules
    stale = pricing_service_pb2.BatchUpsertPriceRulesRequest(
        price_list_id=base.id, rules=[sku_rule("COF-1", "8.00", etag=first.etag)]
    )
    expect_failure(
        api.pricing.BatchUpsertPriceRules, stale, metadata=md, code=grpc.StatusCode.ABORTED
    )
    same = api.upsert_rules(base, sku_rule("COF-1", "9.00"))
    assert same.unchanged_count == 1 and same.rules[0].version == 2
    deleted = api.pricing.DeletePriceRule(
        pricing_service_pb2.DeletePriceRuleRequest(id=first.id, etag=second.etag), metadata=md
    ).rule
    assert deleted.deleted and deleted.version == 3
    versions = api.pricing.ListPriceRuleVersions(
        pricing_service_pb2.ListPriceRuleVersionsRequest(id=first.id), metadata=md
    ).versions
    assert [(v.version, v.deleted) for v in versions] == [(3, True), (2, False), (1, False)]
    assert [money_value(v.fixed_price) for v in versions[1:]] == [Decimal("9.00"), Decimal("10.00")]
    listed = api.pricing.ListPriceRules(
        pricing_service_pb2.ListPriceRulesRequest(price_list_id=base.id), metadata=md
    )
    assert not listed.rules
    as_of = api.pricing.ListPriceRules(
        pricing_service_pb2.ListPriceRulesRequest(
            price_list_id=base.id, as_of_time=second.recorded_time
        ),
        metadata=md,
    )
    assert [r.version for r in as_of.rules] == [2]


def test_rules_are_listed_by_id_a_page_at_a_time_and_filtered(api: PricingApi) -> None:
    base = api.create_list()
    saved = api.upsert_rules(
        base,
        sku_rule("COF-1", "10.00", external_id="A"),
        sku_rule("TEA-1", "5.00", external_id="B"),
        pricing_pb2.PriceRule(category="beverages", catalog_discount=pct("5"), external_id="C"),
        pricing_pb2.PriceRule(category="beverages/tea", catalog_discount=pct("6")),
        sku_rule("SUG-1", "1.00"),
    ).rules
    api.upsert_rules(api.create_list("Other"), sku_rule("COF-1", "9.00", external_id="A"))

    def listed(filter: str = "") -> list[str]:
        ids, token = [], ""
        while True:
            page = api.pricing.ListPriceRules(
                pricing_service_pb2.ListPriceRulesRequest(
                    price_list_id=base.id, filter=filter, page_size=2, page_token=token
                ),
                metadata=api.md("viewer"),
            )
            ids += [rule.id for rule in page.rules]
            if not (token := page.next_page_token):
                return ids

    ids = [rule.id for rule in saved]
    assert listed() == ids
    assert listed('sku = "COF-1"') == ids[:1]
    assert listed('category : "beverages"') == ids[2:4]
    assert listed('external_id = "B"') == ids[1:2]


def test_price_sheet_pages_every_active_product_with_its_breaks(api: PricingApi) -> None:
    account = api.create(price_tier="", tags=[])
    base = api.create_list()
    api.upsert_rules(
        base,
        sku_rule(
            "COF-1",
            "12.00",
            breaks=[pricing_pb2.QuantityBreak(min_quantity=10, unit_price=money("11.00"))],
        ),
    )
    moment = stamp(now_us())
    pages, token = [], ""
    while True:
        page = api.pricing.GetPriceSheet(
            pricing_service_pb2.GetPriceSheetRequest(
                account_id=account.id, page_size=2, page_token=token, price_time=moment
            ),
            metadata=api.md("viewer"),
        )
        pages.append(page)
        token = page.next_page_token
        if not token:
            break
    entries = [e for page in pages for e in page.entries]
    assert [e.sku for e in entries] == ["COF-1", "SUG-1", "TEA-1"] and len(pages) == 2
    coffee = entries[0]
    assert [(b.min_quantity, money_value(b.unit_price)) for b in coffee.breaks] == [
        (10, Decimal("11.00"))
    ]
    assert entries[1].source.kind == pricing_pb2.PRICE_SOURCE_KIND_CATALOG


def test_a_sheet_of_a_category_without_products_is_refused(api: PricingApi) -> None:
    account = api.create(price_tier="", tags=[])
    request = pricing_service_pb2.GetPriceSheetRequest(account_id=account.id, category="nope")
    failure = expect_failure(
        api.pricing.GetPriceSheet, request, metadata=api.md("viewer"), code=INVALID
    )
    assert failure.violations == (("category", "no product in category 'nope' or below it"),)
    beverages = pricing_service_pb2.GetPriceSheetRequest(
        account_id=account.id, category="beverages"
    )
    page = api.pricing.GetPriceSheet(beverages, metadata=api.md("viewer"))
    assert [e.sku for e in page.entries] == ["COF-1", "TEA-1"]


def test_previewing_a_list_that_is_no_draft_is_refused(api: PricingApi) -> None:
    account = api.create()
    active = api.create_list()
    request = pricing_service_pb2.QuoteRequest(
        account_id=account.id,
        lines=[pricing_service_pb2.QuoteLineRequest(sku="COF-1", quantity=1)],
        include_draft_list_ids=[active.id, "424242"],
    )
    expect_failure(
        api.pricing.Quote,
        request,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["include_draft_list_ids[0]", "include_draft_list_ids[1]"],
    )


def test_a_repeated_create_returns_the_first_list(api: PricingApi) -> None:
    request = pricing_service_pb2.CreatePriceListRequest(
        price_list=make_list("Once"), request_id="pl-1"
    )
    first = api.pricing.CreatePriceList(request, metadata=api.md("admin")).price_list
    again = api.pricing.CreatePriceList(request, metadata=api.md("admin")).price_list
    assert first == again
    lists = api.pricing.ListPriceLists(
        pricing_service_pb2.ListPriceListsRequest(filter='name : "once"'), metadata=api.md("admin")
    ).price_lists
    assert [p.id for p in lists] == [first.id]


def test_a_save_finds_ties_with_rules_of_other_targets_that_price_the_same_products(
    api: PricingApi,
) -> None:
    """The save reads only the rules near its targets: the enclosing category, the SKUs
    below a category, every product; none of them may be missed."""
    first, second = api.create_list("First"), api.create_list("Second")
    api.upsert_rules(
        first,
        pricing_pb2.PriceRule(category="beverages", catalog_discount=pct("5")),
        sku_rule("TEA-1", "7.00"),
    )
    other = api.create_list("Other", priority=3)
    api.upsert_rules(other, pricing_pb2.PriceRule(all_products=True, catalog_discount=pct("1")))

    sku_save = api.upsert_rules(second, sku_rule("COF-1", "10.00"))
    category_save = api.upsert_rules(
        second, pricing_pb2.PriceRule(category="beverages/tea", catalog_discount=pct("2"))
    )
    unrelated = api.upsert_rules(second, sku_rule("SUG-1", "2.00"))

    assert [c.target for c in sku_save.conflicts] == ["category beverages / SKU COF-1"]
    assert sorted(c.target for c in category_save.conflicts) == [
        "SKU TEA-1 / category beverages/tea",
        "category beverages / category beverages/tea",
    ]
    assert not unrelated.conflicts


def test_a_list_naming_unknown_accounts_and_requests_without_ids_are_refused(
    api: PricingApi,
) -> None:
    known = api.create()
    audience = pricing_pb2.PriceListAudience(account_ids=[known.id, "424242", "424243"])
    request = pricing_service_pb2.CreatePriceListRequest(price_list=make_list(audience=audience))
    failure = expect_failure(
        api.pricing.CreatePriceList,
        request,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["price_list.audience.account_ids"],
    )
    assert [d for _, d in failure.violations] == ["no account 424242", "no account 424243"]
    for method, empty in (
        (api.pricing.ListPriceRuleVersions, pricing_service_pb2.ListPriceRuleVersionsRequest()),
        (api.pricing.GetQuote, pricing_service_pb2.GetQuoteRequest()),
        (api.pricing.DeletePriceRule, pricing_service_pb2.DeletePriceRuleRequest()),
    ):
        expect_failure(method, empty, metadata=api.md("admin"), code=INVALID, fields=["id"])
