"""TierService methods of the client: the tier policy, reviews, pins and the tier history.

Thresholds go in as (tier, amount) pairs or a mapping of tier to amount, lowest first,
amounts as Decimal, str or int and never as float (see :mod:`.money`); the hysteresis as a
percentage the same way (``"10"``). The policy is replaced as a whole, so every call to
:meth:`TierMethods.set_tier_policy` says all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TypeAlias

from google.type.money_pb2 import Money

from wholesale.client.call_options import MetadataLike
from wholesale.client.calls import ServiceCalls, new_request_id
from wholesale.client.money import MoneyLike, to_money
from wholesale.client.pager import Pager
from wholesale.client.pricing import PercentLike, to_percent
from wholesale.v1 import tier_service_pb2
from wholesale.v1.tier_service_pb2 import TierChange, TierPolicy, TierThreshold
from wholesale.v1.tier_service_pb2_grpc import TierServiceStub

AmountLike: TypeAlias = MoneyLike | Money
ThresholdsLike: TypeAlias = Mapping[str, AmountLike] | Iterable[tuple[str, AmountLike]]


def build_tier_policy(
    thresholds: ThresholdsLike,
    *,
    currency_code: str,
    default_tier: str,
    hysteresis_percent: PercentLike | None = None,
    etag: str = "",
) -> TierPolicy:
    """A TierPolicy from friendly values, amounts in ``currency_code``. The pairs keep the
    order given, so the server's ``thresholds[1]`` in an error is the caller's second pair;
    a float amount raises TypeError naming it before anything is sent."""
    pairs = thresholds.items() if isinstance(thresholds, Mapping) else thresholds
    policy = TierPolicy(
        thresholds=[
            TierThreshold(
                tier=tier,
                min_spend=_money(amount, currency_code, f"thresholds[{index}].min_spend"),
            )
            for index, (tier, amount) in enumerate(pairs)
        ],
        currency_code=currency_code,
        default_tier=default_tier,
        etag=etag,
    )
    if hysteresis_percent is not None:
        policy.hysteresis_percent.CopyFrom(to_percent(hysteresis_percent, "hysteresis_percent"))
    return policy


def _money(value: AmountLike, currency_code: str, name: str) -> Money:
    return value if isinstance(value, Money) else to_money(value, currency_code, name=name)


class TierMethods(ServiceCalls):
    """The tier policy (read by everyone, set by admins and integrations), reviews (admins
    and integrations), and pins and the history (managers for their own accounts only)."""

    @cached_property
    def _tiers(self) -> TierServiceStub:
        return TierServiceStub(self.channel)

    def get_tier_policy(
        self, *, timeout: float | None = None, metadata: MetadataLike = ()
    ) -> TierPolicy:
        """The current policy: version 0 with no thresholds until one is set."""
        request = tier_service_pb2.GetTierPolicyRequest()
        return self._call(
            self._tiers.GetTierPolicy, request, timeout=timeout, metadata=metadata
        ).policy

    def set_tier_policy(
        self,
        thresholds: ThresholdsLike,
        *,
        currency_code: str,
        default_tier: str,
        hysteresis_percent: PercentLike | None = None,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> TierPolicy:
        """Replaces the policy; the next review applies it. With ``etag`` (the one
        :meth:`get_tier_policy` returned) a policy someone changed meanwhile raises Aborted
        instead of being overwritten. Returns the stored policy with its new version."""
        request = tier_service_pb2.SetTierPolicyRequest(
            policy=build_tier_policy(
                thresholds,
                currency_code=currency_code,
                default_tier=default_tier,
                hysteresis_percent=hysteresis_percent,
                etag=etag,
            ),
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._tiers.SetTierPolicy, request, timeout=timeout, metadata=metadata
        ).policy

    def review_tiers(
        self,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> tier_service_pb2.ReviewTiersResponse:
        """Runs the nightly review now; the counts of promoted, demoted, unchanged and
        pinned accounts. A repeated ``request_id`` returns the first run's counts."""
        request = tier_service_pb2.ReviewTiersRequest(request_id=new_request_id(request_id))
        return self._call(self._tiers.ReviewTiers, request, timeout=timeout, metadata=metadata)

    def tier_changes(
        self,
        account: str | None = None,
        *,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[TierChange]:
        """The recorded changes of the account with id ``account`` (None: of every account
        the caller may see), newest first, over all pages."""
        request = tier_service_pb2.ListTierChangesRequest(
            account_id=account or "", page_size=page_size
        )
        return self._pager(
            self._tiers.ListTierChanges,
            request,
            lambda page: page.tier_changes,
            timeout=timeout,
            metadata=metadata,
        )

    def pin_tier(
        self,
        account: str,
        tier: str,
        note: str = "",
        *,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> TierChange:
        """Sets the tier of the account with id ``account`` by hand, so reviews leave it
        alone; ``note`` says why, for the history. Returns the PINNED change."""
        request = tier_service_pb2.PinTierRequest(
            account_id=account, tier=tier, note=note, request_id=new_request_id(request_id)
        )
        return self._call(
            self._tiers.PinTier, request, timeout=timeout, metadata=metadata
        ).tier_change

    def unpin_tier(
        self,
        account: str,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> TierChange:
        """Hands the tier back to the policy from the next review on (the account keeps its
        tier until then); an account that is not pinned raises FailedPrecondition."""
        request = tier_service_pb2.UnpinTierRequest(
            account_id=account, request_id=new_request_id(request_id)
        )
        return self._call(
            self._tiers.UnpinTier, request, timeout=timeout, metadata=metadata
        ).tier_change
