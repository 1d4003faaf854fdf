"""Proto <-> domain conversion for tier policies, tier changes and review counts.

Thresholds become integer micros and the margin a Decimal here; a threshold in another
currency than the policy's, or an amount or margin that cannot be converted, is collected
as a field violation under its request path, with the rules the policy itself checks.
"""

from __future__ import annotations

from google.type import money_pb2

from wholesale.server.api.convert import timestamp
from wholesale.server.api.pricing_convert import (
    micros_from_proto,
    micros_to_proto,
    percent_from_proto,
    percent_to_proto,
)
from wholesale.server.domain.currency import is_currency
from wholesale.server.domain.tier_policy import TierPolicy, TierThreshold
from wholesale.server.errors import Validator
from wholesale.server.services.tiers import ChangeKind, RecordedChange, ReviewCounts, StoredPolicy
from wholesale.v1 import tier_service_pb2 as pb

CHANGE_KIND_PROTO = {
    ChangeKind.PROMOTION: pb.TIER_CHANGE_KIND_PROMOTION,
    ChangeKind.DEMOTION: pb.TIER_CHANGE_KIND_DEMOTION,
    ChangeKind.PINNED: pb.TIER_CHANGE_KIND_PINNED,
    ChangeKind.UNPINNED: pb.TIER_CHANGE_KIND_UNPINNED,
}


def _threshold_from_proto(v: Validator, message: pb.TierThreshold, currency: str) -> TierThreshold:
    micros, sent_currency = micros_from_proto(v, message.min_spend, "min_spend")
    # An invalid policy currency is the policy's violation (currency_code), not each amount's.
    v.check(
        sent_currency in ("", currency) or not is_currency(currency),
        "min_spend.currency_code",
        f"must be the policy's currency_code {currency!r} (or unset)",
    )
    return TierThreshold(message.tier, micros)


def policy_from_proto(v: Validator, message: pb.TierPolicy) -> TierPolicy:
    """The policy as sent; output-only fields (version, update_time, etag) are ignored."""
    currency = message.currency_code
    thresholds = tuple(
        _threshold_from_proto(v.nested(f"thresholds[{index}]"), threshold, currency)
        for index, threshold in enumerate(message.thresholds)
    )
    hysteresis = percent_from_proto(v, message.hysteresis_percent, "hysteresis_percent")
    return TierPolicy(thresholds, hysteresis, currency, message.default_tier)


def policy_to_proto(stored: StoredPolicy) -> pb.TierPolicy:
    policy = stored.policy
    return pb.TierPolicy(
        thresholds=[
            pb.TierThreshold(
                tier=t.tier, min_spend=micros_to_proto(t.min_spend_micros, policy.currency)
            )
            for t in policy.thresholds
        ],
        hysteresis_percent=percent_to_proto(policy.hysteresis_percent),
        currency_code=policy.currency,
        default_tier=policy.default_tier,
        version=stored.version,
        update_time=timestamp(stored.recorded_us),
        etag=stored.etag,
    )


def _amount(micros: int | None, currency: str) -> money_pb2.Money | None:
    return None if micros is None else micros_to_proto(micros, currency)


def change_to_proto(change: RecordedChange) -> pb.TierChange:
    return pb.TierChange(
        account_id=str(change.account_id),
        from_tier=change.from_tier,
        to_tier=change.to_tier,
        kind=CHANGE_KIND_PROTO[change.kind],
        trailing_spend=_amount(change.trailing_spend_micros, change.currency),
        threshold=_amount(change.threshold_micros, change.currency),
        change_time=timestamp(change.change_time_us),
        reason=change.reason,
    )


def counts_to_proto(counts: ReviewCounts) -> pb.ReviewTiersResponse:
    return pb.ReviewTiersResponse(
        promoted_count=counts.promoted,
        demoted_count=counts.demoted,
        unchanged_count=counts.unchanged,
        pinned_count=counts.pinned,
    )
