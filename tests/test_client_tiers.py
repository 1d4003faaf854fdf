"""The client's TierService methods against a real server (SQLite and PostgreSQL): a policy
from friendly values, reviews over spend recorded through the client's own orders, the
history paged newest first, pins by hand, and a manager's scope.

The server runs on the machine's clock, so orders are dated some days before today (UTC):
well inside the trailing 12 months a review counts.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal

import pytest
from conftest import RunningServer

from wholesale.client import (
    Aborted,
    Client,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    from_money,
)
from wholesale.v1 import tier_service_pb2 as pb

POLICY = {"silver": "10000", "gold": Decimal("40000.00")}
_ORDER_NUMBERS = itertools.count(1)


def seed_accounts(client: Client, *managers: str) -> list[str]:
    """One EUR product and an active EUR account in tier standard per manager given
    (T-1, T-2, ...); returns their ids."""
    client.batch_upsert_products(
        [
            {
                "sku": "APPLE-1L",
                "name": "Apple juice 1 l",
                "category": "beverages/juice",
                "selling_unit": "piece",
                "list_price": "2.00",
                "currency_code": "EUR",
            }
        ]
    )
    accounts = client.batch_upsert_accounts(
        {
            "external_id": f"T-{number}",
            "legal_name": f"Tier Shop {number}",
            "currency_code": "EUR",
            "status": "active",
            "price_tier": "standard",
            "manager": manager,
        }
        for number, manager in enumerate(managers, 1)
    ).accounts
    return [account.id for account in accounts]


def spend(client: Client, account_id: str, amount: str, days_ago: int = 30) -> None:
    """Records a placed order of ``amount`` EUR, ``days_ago`` days before today (UTC)."""
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days_ago)
    client.record_order(
        f"SO-{next(_ORDER_NUMBERS)}",
        account_id=account_id,
        order_date=day,
        lines=[("APPLE-1L", 1, amount)],
    )


def set_policy(client: Client, **overrides: object) -> pb.TierPolicy:
    """silver from 10,000 EUR, gold from 40,000 EUR, a 10% margin, standard below."""
    values: dict[str, object] = {
        "currency_code": "EUR",
        "default_tier": "standard",
        "hysteresis_percent": "10",
        **overrides,
    }
    return client.set_tier_policy(POLICY, **values)


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


def as_who(running_server: RunningServer, who: str) -> Client:
    return Client(running_server.target, running_server.tokens[who])


def test_a_policy_goes_in_as_pairs_or_a_mapping_and_comes_back_exact(admin: Client) -> None:
    empty = admin.get_tier_policy()
    assert (empty.version, list(empty.thresholds)) == (0, [])

    first = admin.set_tier_policy(
        [("silver", "10000.50"), ("gold", 40000)],
        currency_code="EUR",
        default_tier="standard",
        hysteresis_percent=Decimal("7.5"),
        etag=empty.etag,
    )
    read = admin.get_tier_policy()

    assert read == first and first.version == 1
    assert [(t.tier, from_money(t.min_spend)) for t in read.thresholds] == [
        ("silver", Decimal("10000.5")),
        ("gold", Decimal("40000")),
    ]
    assert {t.min_spend.currency_code for t in read.thresholds} == {"EUR"}
    assert read.hysteresis_percent.value == "7.5" and read.default_tier == "standard"

    second = set_policy(admin)
    assert second.version == 2 and [t.tier for t in second.thresholds] == ["silver", "gold"]
    with pytest.raises(Aborted):
        set_policy(admin, etag=first.etag)  # replaced since
    assert admin.get_tier_policy() == second


def test_floats_and_bad_values_are_refused_before_or_by_the_server(admin: Client) -> None:
    with pytest.raises(TypeError, match=r"thresholds\[1\]\.min_spend"):
        admin.set_tier_policy(
            [("silver", "10000"), ("gold", 40000.0)],
            currency_code="EUR",
            default_tier="standard",
        )
    with pytest.raises(TypeError, match="hysteresis_percent"):
        set_policy(admin, hysteresis_percent=10.0)
    with pytest.raises(ValueError, match="hysteresis_percent"):
        set_policy(admin, hysteresis_percent="1e1")
    with pytest.raises(InvalidArgument) as refused:
        admin.set_tier_policy(
            {"gold": "40000", "silver": "10000"}, currency_code="EUR", default_tier="standard"
        )
    assert [field for field, _ in refused.value.field_violations] == [
        "policy.thresholds[1].min_spend"
    ]
    assert admin.get_tier_policy().version == 0


def test_a_review_promotes_on_recorded_spend_and_the_history_says_why(admin: Client) -> None:
    silver, gold, below = seed_accounts(admin, "", "", "")
    spend(admin, silver, "6000.00", days_ago=300)
    spend(admin, silver, "4000.00")
    spend(admin, gold, "40000.00")
    spend(admin, below, "9999.99")
    set_policy(admin)

    counts = admin.review_tiers(request_id="review-1")

    assert (counts.promoted_count, counts.demoted_count) == (2, 0)
    assert (counts.unchanged_count, counts.pinned_count) == (1, 0)
    assert admin.review_tiers(request_id="review-1") == counts
    assert [admin.get_account(i).price_tier for i in (silver, gold, below)] == [
        "silver",
        "gold",
        "standard",
    ]
    [change] = admin.tier_changes(gold)
    assert (change.from_tier, change.to_tier, change.kind) == (
        "standard",
        "gold",
        pb.TIER_CHANGE_KIND_PROMOTION,
    )
    assert from_money(change.trailing_spend) == Decimal("40000")
    assert from_money(change.threshold) == Decimal("40000")
    assert "gold" in change.reason
    assert list(admin.tier_changes(below)) == []


def test_changes_are_read_over_pages_newest_first(admin: Client) -> None:
    ids = seed_accounts(admin, "", "", "")
    for account_id in ids:
        admin.pin_tier(account_id, "gold")

    changes = admin.tier_changes(page_size=1)
    pages = list(changes.pages())

    assert len(pages) == 3
    assert [change.account_id for change in changes] == list(reversed(ids))


def test_a_pin_holds_against_reviews_until_unpinned(admin: Client) -> None:
    [account_id] = seed_accounts(admin, "")
    spend(admin, account_id, "50000.00")
    set_policy(admin)

    pinned = admin.pin_tier(account_id, "bronze", "agreed with the owner until June")
    assert admin.review_tiers().pinned_count == 1
    assert admin.get_account(account_id).price_tier == "bronze"
    assert (pinned.kind, pinned.from_tier, pinned.to_tier) == (
        pb.TIER_CHANGE_KIND_PINNED,
        "standard",
        "bronze",
    )
    assert pinned.reason == "agreed with the owner until June"

    unpinned = admin.unpin_tier(account_id)
    assert (unpinned.kind, unpinned.to_tier) == (pb.TIER_CHANGE_KIND_UNPINNED, "bronze")
    with pytest.raises(FailedPrecondition):
        admin.unpin_tier(account_id)
    assert admin.review_tiers().promoted_count == 1
    assert [change.kind for change in admin.tier_changes(account_id)] == [
        pb.TIER_CHANGE_KIND_PROMOTION,
        pb.TIER_CHANGE_KIND_UNPINNED,
        pb.TIER_CHANGE_KIND_PINNED,
    ]


def test_a_manager_pins_and_reads_only_their_own_accounts(
    admin: Client, running_server: RunningServer
) -> None:
    mine, theirs = seed_accounts(admin, "alice", "bob")
    admin.pin_tier(theirs, "gold")
    with as_who(running_server, "alice") as alice:
        assert alice.pin_tier(mine, "silver").to_tier == "silver"
        assert [change.account_id for change in alice.tier_changes()] == [mine]
        for call in (
            lambda: alice.pin_tier(theirs, "bronze"),
            lambda: alice.unpin_tier(theirs),
            lambda: list(alice.tier_changes(theirs)),
        ):
            with pytest.raises(NotFound):
                call()
        with pytest.raises(PermissionDenied):
            alice.review_tiers()
        assert alice.get_tier_policy().version == 0
    assert admin.get_account(theirs).price_tier == "gold"
