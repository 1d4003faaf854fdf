"""Domain -> proto for quotes, price sheets and price diffs (the pricing read paths)."""

from __future__ import annotations

from collections.abc import Sequence

from wholesale.server.api.convert import timestamp
from wholesale.server.api.pricing_convert import (
    BREAK_MODE_PROTO,
    QUANTITY_LEVEL_PROTO,
    micros_to_proto,
    percent_to_proto,
)
from wholesale.server.domain.account import Account
from wholesale.server.domain.price_audience import Level
from wholesale.server.domain.price_bands import average_unit_price
from wholesale.server.domain.price_diff import PriceChange
from wholesale.server.domain.price_sheet import SheetEntry
from wholesale.server.domain.pricing_engine import Candidate, Outcome, PricedLine, PriceSource
from wholesale.server.domain.quantity_problems import ProblemKind
from wholesale.server.services.quotes import Quoted
from wholesale.v1 import pricing_pb2 as pb

SOURCE_KIND = {
    Level.CONTRACT: pb.PRICE_SOURCE_KIND_CONTRACT,
    Level.NAMED_ACCOUNTS: pb.PRICE_SOURCE_KIND_NAMED_ACCOUNT_LIST,
    Level.SEGMENT: pb.PRICE_SOURCE_KIND_SEGMENT_LIST,
    Level.BASE: pb.PRICE_SOURCE_KIND_BASE_LIST,
    Level.CATALOG: pb.PRICE_SOURCE_KIND_CATALOG,
}
_OUTCOME = {
    Outcome.WON: pb.CANDIDATE_OUTCOME_WON,
    Outcome.LOST_LEVEL: pb.CANDIDATE_OUTCOME_LOST_LEVEL,
    Outcome.LOST_PRIORITY: pb.CANDIDATE_OUTCOME_LOST_PRIORITY,
    Outcome.LOST_PRICE: pb.CANDIDATE_OUTCOME_LOST_PRICE,
    Outcome.LOST_AGE: pb.CANDIDATE_OUTCOME_LOST_AGE,
    Outcome.NOT_IN_FORCE: pb.CANDIDATE_OUTCOME_NOT_IN_FORCE,
    Outcome.NO_RULE: pb.CANDIDATE_OUTCOME_NO_RULE,
    Outcome.WRONG_CURRENCY: pb.CANDIDATE_OUTCOME_WRONG_CURRENCY,
}
_PROBLEM = {
    ProblemKind.BELOW_MINIMUM: pb.QUANTITY_PROBLEM_KIND_BELOW_MINIMUM,
    ProblemKind.NOT_A_MULTIPLE: pb.QUANTITY_PROBLEM_KIND_NOT_A_MULTIPLE,
    ProblemKind.ABOVE_MAXIMUM: pb.QUANTITY_PROBLEM_KIND_ABOVE_MAXIMUM,
    ProblemKind.NO_PRICE: pb.QUANTITY_PROBLEM_KIND_NO_PRICE,
}


def source_to_proto(source: PriceSource, tier: str) -> pb.PriceSource:
    price_list, rule, contract = source.price_list, source.rule, source.contract
    by_tier = price_list is not None and tier in price_list.audience.tiers
    return pb.PriceSource(
        kind=SOURCE_KIND[source.level],
        price_list_id=str(price_list.id) if price_list else "",
        price_list_version=price_list.version if price_list else 0,
        price_list_name=price_list.name if price_list else "",
        price_rule_id=str(rule.id) if rule else "",
        price_rule_version=rule.version if rule else 0,
        contract_price_id=str(contract.id) if contract else "",
        contract_price_version=contract.version if contract else 0,
        tier=tier if by_tier else "",
    )


def _candidate_to_proto(candidate: Candidate, tier: str, currency: str) -> pb.PriceCandidate:
    priced = candidate.line_total_micros is not None
    total = candidate.line_total_micros or 0
    return pb.PriceCandidate(
        source=source_to_proto(candidate.source, tier),
        unit_price=micros_to_proto(average_unit_price(candidate.bands, total), currency)
        if priced and candidate.bands
        else None,
        line_total=micros_to_proto(total, currency) if priced else None,
        outcome=_OUTCOME[candidate.outcome],
        reason=candidate.reason,
        steps=[pb.PriceStep(description=step) for step in candidate.steps],
    )


def line_to_proto(line: PricedLine, tier: str, currency: str, explain: bool) -> pb.QuoteLine:
    item = line.item
    hint = line.next_break
    return pb.QuoteLine(
        sku=item.sku,
        quantity=line.request.quantity,
        product_name=item.name,
        catalog_price=micros_to_proto(item.price_micros, item.currency),
        unit_price=micros_to_proto(line.unit_price_micros, currency),
        discount=micros_to_proto(line.discount_micros, currency),
        line_total=micros_to_proto(line.line_total_micros, currency),
        source=source_to_proto(line.source, tier),
        explanation=line.explanation,
        trace=[_candidate_to_proto(c, tier, currency) for c in line.trace] if explain else [],
        bands=[
            pb.PriceBand(
                quantity=band.quantity,
                unit_price=micros_to_proto(band.unit_price_micros, currency),
                amount=micros_to_proto(band.amount_micros, currency),
            )
            for band in line.bands
        ]
        if len(line.bands) > 1
        else [],
        next_break=pb.NextBreak(
            more_quantity=hint.more_quantity,
            unit_price=micros_to_proto(hint.unit_price_micros, currency),
            description=hint.description,
        )
        if hint
        else None,
        quantity_problems=[
            pb.QuantityProblem(kind=_PROBLEM[p.kind], limit=p.limit, message=p.message)
            for p in line.problems
        ],
    )


def quote_to_proto(quoted: Quoted, explain: bool) -> pb.Quote:
    account, order = quoted.account, quoted.order
    tier, currency = account.fields.price_tier, account.fields.currency_code
    return pb.Quote(
        account_id=str(account.id),
        account_external_id=account.fields.external_id,
        price_tier=tier,
        currency_code=currency,
        price_time=timestamp(order.at_us),
        lines=[line_to_proto(line, tier, currency, explain) for line in order.lines],
        subtotal=micros_to_proto(order.subtotal_micros, currency),
        discount_total=micros_to_proto(order.discount_micros, currency),
        total=micros_to_proto(order.total_micros, currency),
        draft_list_ids=[str(i) for i in quoted.previews],
    )


def sheet_entry_to_proto(entry: SheetEntry, tier: str, currency: str) -> pb.PriceSheetEntry:
    line = entry.line
    item = line.item
    limits = line.limits
    return pb.PriceSheetEntry(
        sku=item.sku,
        product_name=item.name,
        category=item.category,
        catalog_price=micros_to_proto(item.price_micros, item.currency),
        unit_price=micros_to_proto(line.unit_price_micros, currency),
        source=source_to_proto(line.source, tier),
        breaks=[
            pb.SheetBreak(
                min_quantity=b.min_quantity,
                unit_price=micros_to_proto(b.unit_price_micros, currency),
                level=QUANTITY_LEVEL_PROTO[b.level],
                mode=BREAK_MODE_PROTO[b.mode],
            )
            for b in entry.breaks
        ],
        limits=pb.QuantityLimits(
            minimum=limits.minimum, increment=limits.increment, maximum=limits.maximum
        )
        if limits.any
        else None,
    )


def diffs_to_proto(
    changes: Sequence[PriceChange], accounts: dict[int, Account]
) -> list[pb.PriceDiff]:
    found = []
    for change in changes:
        fields = accounts[change.account_id].fields
        tier, currency = fields.price_tier, fields.currency_code
        old, new = change.before.line, change.after.line
        found.append(
            pb.PriceDiff(
                account_id=str(change.account_id),
                sku=old.item.sku,
                old_price=micros_to_proto(old.unit_price_micros, currency),
                new_price=micros_to_proto(new.unit_price_micros, currency),
                change_percent=percent_to_proto(change.change_percent)
                if old.unit_price_micros
                else None,
                old_source=source_to_proto(old.source, tier),
                new_source=source_to_proto(new.source, tier),
            )
        )
    return found
