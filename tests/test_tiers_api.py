"""TierService end to end on both databases: a policy of spend thresholds with a hysteresis
margin, reviews that promote and demote from the order history recorded through
OrderService, pins by hand, the history with the spend behind every change, manager scope,
audit entries, validation, etags, and the nightly job claiming its day once.

Spend is counted here from the orders the test records (placed and fulfilled count,
cancelled and returned do not), over the 12 months before the clock's day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import grpc
import pytest
from conftest import PRINCIPALS, RunningServer
from google.type import decimal_pb2
from support.orders import CANCELLED, RETURNED, OrdersApi, make_line, make_order
from support.rpc import expect_failure, money, money_value

from wholesale.server.app import create_server
from wholesale.server.config import ConfigError, ServerConfig, load_config, tier_review_time
from wholesale.server.domain.clock import FixedClock
from wholesale.server.jobs.tier_review import run_nightly_review
from wholesale.server.store import database, tokens
from wholesale.v1 import tier_service_pb2 as pb
from wholesale.v1 import tier_service_pb2_grpc

START = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
PROMOTION = pb.TIER_CHANGE_KIND_PROMOTION
DEMOTION = pb.TIER_CHANGE_KIND_DEMOTION
PINNED = pb.TIER_CHANGE_KIND_PINNED
UNPINNED = pb.TIER_CHANGE_KIND_UNPINNED


def policy(**overrides: object) -> pb.TierPolicy:
    """silver from 10,000.00 EUR, gold from 40,000.00 EUR, a 10% margin, standard below."""
    values: dict[str, object] = {
        "thresholds": [
            pb.TierThreshold(tier="silver", min_spend=money("10000")),
            pb.TierThreshold(tier="gold", min_spend=money("40000")),
        ],
        "hysteresis_percent": decimal_pb2.Decimal(value="10"),
        "currency_code": "EUR",
        "default_tier": "standard",
    }
    values.update(overrides)
    return pb.TierPolicy(**values)


class TiersApi(OrdersApi):
    """:class:`OrdersApi` plus the TierService stub and the test's clock."""

    def __init__(self, channel: grpc.Channel, tokens: dict[str, str], clock: FixedClock) -> None:
        super().__init__(channel, tokens)
        self.tiers = tier_service_pb2_grpc.TierServiceStub(channel)
        self.clock = clock
        self._orders = 0

    def set_policy(self, message: pb.TierPolicy, who: str = "admin", **kw) -> pb.TierPolicy:
        request = pb.SetTierPolicyRequest(policy=message, **kw)
        return self.tiers.SetTierPolicy(request, metadata=self.md(who)).policy

    def review(self, who: str = "admin", request_id: str = "") -> pb.ReviewTiersResponse:
        request = pb.ReviewTiersRequest(request_id=request_id)
        return self.tiers.ReviewTiers(request, metadata=self.md(who))

    def changes(self, account_id: str = "", who: str = "admin") -> list[pb.TierChange]:
        request = pb.ListTierChangesRequest(account_id=account_id, page_size=500)
        return list(self.tiers.ListTierChanges(request, metadata=self.md(who)).tier_changes)

    def pin(self, account_id: str, tier: str, note: str = "", who: str = "admin") -> pb.TierChange:
        request = pb.PinTierRequest(account_id=account_id, tier=tier, note=note)
        return self.tiers.PinTier(request, metadata=self.md(who)).tier_change

    def unpin(self, account_id: str, who: str = "admin") -> pb.TierChange:
        request = pb.UnpinTierRequest(account_id=account_id)
        return self.tiers.UnpinTier(request, metadata=self.md(who)).tier_change

    def account(self, tier: str = "standard", **overrides: object):
        return self.create(price_tier=tier, tags=[], **overrides)

    def spend(self, account_id: str, amount: str, day: str, status: int = 0) -> str:
        """Records an order of ``amount`` EUR on ``day``; returns its external id."""
        self._orders += 1
        external_id = f"ORD-{self._orders}"
        self.resend(external_id, account_id, amount, day, status)
        return external_id

    def resend(self, external_id: str, account_id: str, amount: str, day: str, status: int):
        order = make_order(
            external_id,
            account_id=account_id,
            order_date=day,
            lines=[make_line("APL-JUICE-1L", 1, amount)],
            status=status,
        )
        self.record_order(order)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def api(database_url: str, clock: FixedClock) -> Iterator[TiersApi]:
    """A server whose every call reads ``clock``, with the standard catalog."""
    server, port = create_server(
        ServerConfig(listen="127.0.0.1:0", database_url=database_url), clock
    )
    server.start()
    running = RunningServer(f"127.0.0.1:{port}", port, database_url, server=server)
    running.tokens = {
        who: tokens.issue_token(role=role, subject=subject, clock=clock)
        for who, (role, subject) in PRINCIPALS.items()
    }
    with running.channel() as channel:
        api = TiersApi(channel, running.tokens, clock)
        api.seed_catalog()
        yield api
    server.stop(0)
    database.close_database()


def amount(m) -> Decimal:
    return money_value(m)


def test_review_promotes_at_the_threshold_and_records_the_spend(api: TiersApi) -> None:
    at_silver = api.account(legal_name="Exactly Silver")
    below = api.account(legal_name="Just Below")
    gold = api.account(legal_name="Big Buyer", tier="silver")
    api.spend(at_silver.id, "6000.00", "2025-03-01")  # the window's first day counts
    api.spend(at_silver.id, "4000.00", "2026-02-28")
    api.spend(below.id, "9999.99", "2026-02-01")
    api.spend(below.id, "50000.00", "2026-02-02", status=CANCELLED)
    api.spend(below.id, "50000.00", "2025-02-28")  # a day before the window
    api.spend(gold.id, "40000.00", "2026-01-15")
    yen = api.create(currency_code="JPY", credit_limit=money("1000", "JPY"), price_tier="x")
    api.set_policy(policy())

    counts = api.review()

    assert (counts.promoted_count, counts.demoted_count) == (2, 0)
    assert (counts.unchanged_count, counts.pinned_count) == (1, 0)
    assert api.get(at_silver.id).price_tier == "silver"
    assert api.get(below.id).price_tier == "standard"
    assert api.get(gold.id).price_tier == "gold"
    assert api.get(yen.id).price_tier == "x"
    assert api.get(gold.id).etag != gold.etag
    [to_gold, to_silver] = api.changes()
    assert (to_gold.account_id, to_gold.from_tier, to_gold.to_tier) == (gold.id, "silver", "gold")
    assert to_gold.kind == PROMOTION
    assert amount(to_gold.trailing_spend) == Decimal("40000")
    assert amount(to_gold.threshold) == Decimal("40000")
    assert to_gold.trailing_spend.currency_code == "EUR"
    assert "40,000.00 EUR" in to_gold.reason and "gold" in to_gold.reason
    assert (to_silver.account_id, to_silver.to_tier) == (at_silver.id, "silver")
    assert amount(to_silver.trailing_spend) == Decimal("10000")
    assert amount(to_silver.threshold) == Decimal("10000")
    assert api.changes(below.id) == []


def test_demotion_waits_for_the_hysteresis_margin(api: TiersApi, clock: FixedClock) -> None:
    account = api.account()
    api.spend(account.id, "4000.01", "2025-03-05")
    big = api.spend(account.id, "36000.00", "2025-06-01")
    api.set_policy(policy())
    assert api.review().promoted_count == 1
    assert api.get(account.id).price_tier == "gold"

    clock.set(dt.datetime(2026, 3, 6, 2, 0, tzinfo=dt.UTC))  # the 4,000.01 left the window
    kept = api.review()

    assert (kept.unchanged_count, kept.demoted_count) == (1, 0)
    assert api.get(account.id).price_tier == "gold"
    assert len(api.changes(account.id)) == 1

    api.resend(big, account.id, "36000.00", "2025-06-01", RETURNED)
    api.spend(account.id, "35999.99", "2026-03-05")
    demoted = api.review()

    assert demoted.demoted_count == 1
    assert api.get(account.id).price_tier == "silver"
    latest = api.changes(account.id)[0]
    assert (latest.kind, latest.from_tier, latest.to_tier) == (DEMOTION, "gold", "silver")
    assert amount(latest.trailing_spend) == Decimal("35999.99")
    assert amount(latest.threshold) == Decimal("36000")  # gold's 40,000 less 10%
    assert "36,000.00 EUR" in latest.reason


def test_pinned_tiers_are_left_alone_until_unpinned(api: TiersApi) -> None:
    pinned = api.account(tier="silver")
    other = api.account()
    api.spend(pinned.id, "50000.00", "2026-02-01")
    api.spend(other.id, "50000.00", "2026-02-01")
    api.set_policy(policy())

    pin = api.pin(pinned.id, "bronze", note="agreed with the owner until June")
    counts = api.review()

    assert (counts.promoted_count, counts.pinned_count) == (1, 1)
    shown = api.get(pinned.id)
    assert (shown.price_tier, shown.price_tier_pinned) == ("bronze", True)
    assert not api.get(other.id).price_tier_pinned
    assert (pin.kind, pin.from_tier, pin.to_tier) == (PINNED, "silver", "bronze")
    assert pin.reason == "agreed with the owner until June"
    assert not pin.HasField("trailing_spend") and not pin.HasField("threshold")

    unpin = api.unpin(pinned.id)
    assert (unpin.kind, unpin.from_tier, unpin.to_tier) == (UNPINNED, "bronze", "bronze")
    unpinned = api.get(pinned.id)
    assert (unpinned.price_tier, unpinned.price_tier_pinned) == ("bronze", False)  # until review
    expect_failure(
        api.tiers.UnpinTier,
        pb.UnpinTierRequest(account_id=pinned.id),
        metadata=api.md("admin"),
        code=grpc.StatusCode.FAILED_PRECONDITION,
        reason="TIER_NOT_PINNED",
    )
    assert api.review().promoted_count == 1
    assert api.get(pinned.id).price_tier == "gold"
    kinds = [c.kind for c in api.changes(pinned.id)]
    assert kinds == [PROMOTION, UNPINNED, PINNED]


def test_review_pin_and_policy_are_audited(api: TiersApi) -> None:
    account = api.account()
    api.spend(account.id, "10000.00", "2026-02-01")
    api.set_policy(policy())
    api.review(who="integration")
    api.pin(account.id, "gold")

    events = api.audit_events(filter=f'resource = "accounts/{account.id}"')
    pin_event, review_event = events[:2]

    assert review_event.action == "ReviewTiers" and review_event.actor == "erp"
    assert list(review_event.changed_fields) == ["price_tier"]
    assert pin_event.action == "PinTier"
    assert sorted(pin_event.changed_fields) == ["price_tier", "price_tier_pinned"]
    [policy_event] = api.audit_events(filter='resource = "tierPolicy"')
    assert policy_event.action == "SetTierPolicy" and policy_event.actor == "root"
    assert "thresholds" in policy_event.changed_fields


def test_managers_see_and_pin_only_their_own_accounts(api: TiersApi) -> None:
    mine = api.account(manager="alice")
    theirs = api.account(manager="bob")
    for account in (mine, theirs):
        api.spend(account.id, "12000.00", "2026-02-01")
    api.set_policy(policy())
    api.review()

    assert [c.account_id for c in api.changes(who="alice")] == [mine.id]
    assert len(api.changes(who="integration")) == 2
    not_found = grpc.StatusCode.NOT_FOUND
    for call, request in (
        (api.tiers.ListTierChanges, pb.ListTierChangesRequest(account_id=theirs.id)),
        (api.tiers.PinTier, pb.PinTierRequest(account_id=theirs.id, tier="gold")),
        (api.tiers.UnpinTier, pb.UnpinTierRequest(account_id=theirs.id)),
    ):
        expect_failure(call, request, metadata=api.md("alice"), code=not_found)
    assert api.pin(mine.id, "gold", who="alice").to_tier == "gold"
    denied = grpc.StatusCode.PERMISSION_DENIED
    for who, call, request in (
        ("alice", api.tiers.ReviewTiers, pb.ReviewTiersRequest()),
        ("alice", api.tiers.SetTierPolicy, pb.SetTierPolicyRequest(policy=policy())),
        ("viewer", api.tiers.PinTier, pb.PinTierRequest(account_id=mine.id, tier="gold")),
    ):
        expect_failure(call, request, metadata=api.md(who), code=denied)
    assert api.get(theirs.id).price_tier == "silver"


def test_changes_are_paged_newest_first(api: TiersApi) -> None:
    accounts = [api.account() for _ in range(3)]
    for account in accounts:
        api.pin(account.id, "gold")
        api.clock.advance(1)
    seen, token = [], ""
    while True:
        request = pb.ListTierChangesRequest(page_size=1, page_token=token)
        page = api.tiers.ListTierChanges(request, metadata=api.md("admin"))
        seen += [c.account_id for c in page.tier_changes]
        token = page.next_page_token
        if not token:
            break
    assert seen == [a.id for a in reversed(accounts)]


THRESHOLDS = policy().thresholds


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency_code": ""}, "policy.currency_code"),
        ({"currency_code": "eur"}, "policy.currency_code"),
        ({"default_tier": ""}, "policy.default_tier"),
        ({"default_tier": "gold"}, "policy.default_tier"),
        ({"thresholds": []}, "policy.thresholds"),
        ({"hysteresis_percent": decimal_pb2.Decimal(value="abc")}, "policy.hysteresis_percent"),
        ({"hysteresis_percent": decimal_pb2.Decimal(value="-1")}, "policy.hysteresis_percent"),
        (
            {"thresholds": [THRESHOLDS[1], THRESHOLDS[0]]},
            "policy.thresholds[1].min_spend",
        ),
        (
            {
                "thresholds": [
                    THRESHOLDS[0],
                    pb.TierThreshold(tier="silver", min_spend=money("1e5")),
                ]
            },
            "policy.thresholds[1].tier",
        ),
        (
            {"thresholds": [pb.TierThreshold(tier="Gold!", min_spend=money("10"))]},
            "policy.thresholds[0].tier",
        ),
        (
            {"thresholds": [pb.TierThreshold(tier="gold", min_spend=money("10", "USD"))]},
            "policy.thresholds[0].min_spend.currency_code",
        ),
        (
            {"thresholds": [pb.TierThreshold(tier="gold", min_spend=money("10.001"))]},
            "policy.thresholds[0].min_spend",
        ),
    ],
)
def test_invalid_policies_name_the_field(api: TiersApi, overrides: dict, field: str) -> None:
    expect_failure(
        api.tiers.SetTierPolicy,
        pb.SetTierPolicyRequest(policy=policy(**overrides)),
        metadata=api.md("admin"),
        code=grpc.StatusCode.INVALID_ARGUMENT,
        fields=[field],
    )
    assert api.tiers.GetTierPolicy(pb.GetTierPolicyRequest(), metadata=api.md("admin")).policy == (
        pb.TierPolicy(version=0, etag="v0", hysteresis_percent=decimal_pb2.Decimal(value="0"))
    )


def test_policy_versions_and_a_stale_etag(api: TiersApi) -> None:
    first = api.set_policy(policy(etag="v0"), request_id="policy-1")
    again = api.set_policy(policy(etag="v0"), request_id="policy-1")
    expect_failure(
        api.tiers.SetTierPolicy,
        pb.SetTierPolicyRequest(policy=policy(etag="v0")),
        metadata=api.md("integration"),
        code=grpc.StatusCode.ABORTED,
        reason="ETAG_MISMATCH",
    )
    second = api.set_policy(policy(default_tier="basic", etag=first.etag))

    assert (first.version, again.version, second.version) == (1, 1, 2)
    assert again == first
    assert first.update_time.seconds == int(START.timestamp())
    read = api.tiers.GetTierPolicy(pb.GetTierPolicyRequest(), metadata=api.md("viewer")).policy
    assert read == second and read.default_tier == "basic"
    assert [amount(t.min_spend) for t in read.thresholds] == [Decimal(10000), Decimal(40000)]
    assert read.hysteresis_percent.value == "10"


def test_a_repeated_review_request_reviews_nothing_more(api: TiersApi) -> None:
    account = api.account()
    api.spend(account.id, "10000.00", "2026-02-01")
    api.set_policy(policy())
    first = api.review(request_id="review-1")
    api.pin(account.id, "standard")
    api.unpin(account.id)

    assert api.review(request_id="review-1") == first
    assert api.get(account.id).price_tier == "standard"


def test_the_nightly_job_claims_each_day_once(api: TiersApi, clock: FixedClock) -> None:
    account = api.account()
    api.spend(account.id, "10000.00", "2026-02-01")
    api.set_policy(policy())

    first = run_nightly_review(clock)
    api.pin(account.id, "standard")
    api.unpin(account.id)
    second = run_nightly_review(clock)

    assert first is not None and first.promoted == 1
    assert second is None
    assert api.get(account.id).price_tier == "standard"
    [event] = api.audit_events(filter='actor = "system:tier-review"')
    assert (event.resource, list(event.changed_fields)) == (
        f"accounts/{account.id}",
        ["price_tier"],
    )
    clock.advance(86_400)
    next_day = run_nightly_review(clock)
    assert next_day is not None and next_day.promoted == 1


def test_a_review_without_a_policy_leaves_the_day_for_a_policy_set_later(
    api: TiersApi, clock: FixedClock
) -> None:
    """A server started on an empty database reviews nothing; demo data and a policy
    seeded later the same day are still reviewed at the next start."""
    account = api.account()
    api.spend(account.id, "10000.00", "2026-02-01")

    before = run_nightly_review(clock)
    api.set_policy(policy())
    after = run_nightly_review(clock)

    assert before is not None and before.promoted == 0
    assert after is not None and after.promoted == 1


def test_the_nightly_time_and_the_scheduler_switch_are_settings() -> None:
    config = load_config({"scheduler": False}, environ={"WHOLESALE_TIER_REVIEW_TIME": "03:30"})
    assert (config.scheduler, tier_review_time(config)) == (False, dt.time(3, 30))
    assert load_config(environ={"WHOLESALE_SCHEDULER": "off"}).scheduler is False
    assert load_config(environ={}).scheduler is True
    for name, bad in (("tier_review_time", "25:00"), ("scheduler", "maybe")):
        with pytest.raises(ConfigError, match=f"'{name}'"):
            load_config(environ={f"WHOLESALE_{name.upper()}": bad})
