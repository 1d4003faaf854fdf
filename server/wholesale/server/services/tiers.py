"""Tier use cases: the tier policy, the review that applies it, pins by hand, and the
history of every change.

Who may do what: every role reads the policy and the history (managers only their own
accounts' history); admins and integrations set the policy and run the review, which the
nightly job runs as the system principal. Pinning follows account writes: a manager may pin
and unpin the tiers of their own accounts only, as they may already set an account's tier,
and another manager's account is NOT_FOUND to them.

The review changes an account's tier, records the change with the spend that caused it,
audits it and gives the account a new version (etag) in one transaction, so the history
never disagrees with the accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from wholesale.server.domain.account import LABEL, LABEL_RULE, Account
from wholesale.server.domain.audit import FieldChange, Json, changes_between
from wholesale.server.domain.calendar import date_of, day_number
from wholesale.server.domain.principal import Permission
from wholesale.server.domain.text import check_text
from wholesale.server.domain.tier_policy import (
    TierChange,
    TierDecision,
    TierPolicy,
    decide_tier,
    trailing_window,
    validate_tier_policy,
)
from wholesale.server.errors import FailedPrecondition, Validator
from wholesale.server.services import mutations
from wholesale.server.services.accounts import resource_name, visible_account
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import tier_store
from wholesale.server.store.tier_store import ChangeKind, RecordedChange, StoredPolicy

__all__ = ["ChangeKind", "RecordedChange", "ReviewCounts", "StoredPolicy"]

MAX_NOTE = 2000
POLICY_RESOURCE = "tierPolicy"
# The name under which the nightly review claims its day.
REVIEW_JOB = "tier-review"
_EMPTY_POLICY = StoredPolicy(TierPolicy((), Decimal(0), ""))


@dataclass(frozen=True)
class ReviewCounts:
    """What one review did, account by account."""

    promoted: int = 0
    demoted: int = 0
    unchanged: int = 0
    pinned: int = 0


# ---- the policy ----------------------------------------------------------------------


def _policy_values(policy: TierPolicy) -> dict[str, Json]:
    return {
        "thresholds": [
            {"tier": t.tier, "min_spend_micros": t.min_spend_micros} for t in policy.thresholds
        ],
        "hysteresis_percent": f"{policy.hysteresis_percent.normalize():f}",
        "currency_code": policy.currency,
        "default_tier": policy.default_tier,
    }


def get_tier_policy(work: UnitOfWork) -> StoredPolicy:
    work.require(Permission.READ_PRICES)
    return tier_store.current_policy() or _EMPTY_POLICY


def set_tier_policy(work: UnitOfWork, policy: TierPolicy, etag: str) -> StoredPolicy:
    """Replaces the policy as a whole; ``etag``, if sent, must be the current one's."""
    work.require(Permission.WRITE_PRICES)
    v = Validator("policy")
    validate_tier_policy(v, policy)
    # The contract requires a default tier: an account below every threshold gets one.
    v.check(bool(policy.default_tier), "default_tier", "required, such as standard")
    v.raise_if_any("invalid tier policy")
    with work.writing():
        current = get_tier_policy(work)
        mutations.check_etag("the tier policy", current.etag, etag)
        stored = tier_store.insert_policy(
            policy, current.version + 1, work.now_us(), work.principal.subject
        )
        before = _policy_values(current.policy) if current.version else {}
        mutations.audit(work, POLICY_RESOURCE, changes_between(before, _policy_values(policy)))
        return stored


# ---- the review ----------------------------------------------------------------------


def _threshold_crossed(policy: TierPolicy, from_tier: str, decision: TierDecision) -> int:
    """For a promotion the new tier's threshold; for a demotion the floor the spend fell
    below: the old tier's threshold less the margin, or the lowest threshold when the old
    tier is not one of the policy's."""
    if decision.kind is TierChange.PROMOTION:
        return decision.threshold_micros
    level = policy.level_of(from_tier)
    if level is None or level < 0:
        return policy.thresholds[0].min_spend_micros
    return policy.demotion_floor_micros(policy.thresholds[level])


def _changes(
    work: UnitOfWork, policy: TierPolicy, accounts: Sequence[tier_store.ReviewedAccount]
) -> list[RecordedChange]:
    changes = []
    for account in accounts:
        decision = decide_tier(policy, account.tier, account.trailing_spend_micros)
        if decision.kind is TierChange.UNCHANGED:
            continue
        changes.append(
            RecordedChange(
                account_id=account.account_id,
                from_tier=account.tier,
                to_tier=decision.tier,
                kind=ChangeKind(decision.kind.value),
                trailing_spend_micros=decision.trailing_spend_micros,
                threshold_micros=_threshold_crossed(policy, account.tier, decision),
                currency=policy.currency,
                change_time_us=work.now_us(),
                reason=decision.reason,
                actor=work.principal.subject,
            )
        )
    return changes


def _apply(work: UnitOfWork, changes: Sequence[RecordedChange]) -> None:
    """Each change on its account (new version), in the history and in the audit log."""
    tier_store.set_tiers([(c.account_id, c.to_tier) for c in changes], work.now_us())
    tier_store.record_changes(changes)
    mutations.audit_many(
        work,
        [
            (
                resource_name(c.account_id),
                ["price_tier"],
                [FieldChange("price_tier", c.from_tier, c.to_tier)],
            )
            for c in changes
        ],
    )


def review_tiers(work: UnitOfWork) -> ReviewCounts:
    """Applies the policy to the trailing spend of every account it covers, as of the
    clock's day (orders of the 12 months before it count). No policy: nothing changes."""
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        policy = get_tier_policy(work).policy
        if not policy.thresholds:
            return ReviewCounts()
        start, end = trailing_window(date_of(work.today()))
        accounts = tier_store.trailing_spend(policy.currency, day_number(start), day_number(end))
        changes = _changes(work, policy, accounts)
        _apply(work, changes)
        promoted = sum(c.kind is ChangeKind.PROMOTION for c in changes)
        return ReviewCounts(
            promoted=promoted,
            demoted=len(changes) - promoted,
            unchanged=len(accounts) - len(changes),
            pinned=tier_store.pinned_count(policy.currency),
        )


def review_tiers_once_today(work: UnitOfWork) -> ReviewCounts | None:
    """The nightly review, run by whichever server claims the clock's day first; None
    for every other attempt on that day (another server, or a restart catching up). Without
    a policy the day is not claimed, so a policy set later that day is reviewed at the next
    start (or at once with ReviewTiers)."""
    with work.writing():
        if tier_store.current_policy() is None:
            return ReviewCounts()
        if not tier_store.claim_job_day(REVIEW_JOB, work.today(), work.now_us()):
            return None
        return review_tiers(work)


# ---- the history ---------------------------------------------------------------------


def list_tier_changes(
    work: UnitOfWork, account_id: str, page_size: int, page_token: str
) -> tuple[list[RecordedChange], str]:
    """One page of the changes the caller may see, newest first: of one account when
    ``account_id`` is given (NOT_FOUND if it is not the caller's to see), else of all."""
    work.require(Permission.READ_PRICES)
    with work.reading():
        number = visible_account(work, account_id, field="account_id").id if account_id else None
        return keyset_page(
            lambda after, limit: tier_store.list_changes(work.scope, number, after, limit),
            lambda change: [change.change_time_us, change.id],
            {"account": number, "subject": work.principal.subject},
            page_size,
            page_token,
        )


# ---- pins ----------------------------------------------------------------------------


def _record_by_hand(
    work: UnitOfWork, account: Account, tier: str, pinned: bool, reason: str
) -> RecordedChange:
    """Writes the tier and pin of ``account``, records the change and audits it."""
    was_pinned = tier_store.is_pinned(account.id)
    old_tier = account.fields.price_tier
    tier_store.set_pinned(account.id, tier, pinned, work.now_us())
    change = RecordedChange(
        account_id=account.id,
        from_tier=old_tier,
        to_tier=tier,
        kind=ChangeKind.PINNED if pinned else ChangeKind.UNPINNED,
        trailing_spend_micros=None,
        threshold_micros=None,
        currency=account.fields.currency_code,
        change_time_us=work.now_us(),
        reason=reason,
        actor=work.principal.subject,
    )
    tier_store.record_changes([change])
    before = {"price_tier": old_tier, "price_tier_pinned": was_pinned}
    after = {"price_tier": tier, "price_tier_pinned": pinned}
    mutations.audit(work, resource_name(account.id), changes_between(before, after))
    return change


def pin_tier(work: UnitOfWork, account_id: str, tier: str, note: str) -> RecordedChange:
    """Sets the account's tier by hand; the review leaves it alone until it is unpinned.
    The note, or a plain sentence without one, is the reason the history shows."""
    work.require(Permission.WRITE_ACCOUNTS)
    v = Validator()
    if v.check(bool(tier), "tier", "required, such as gold"):
        v.check(bool(LABEL.fullmatch(tier)), "tier", LABEL_RULE)
    check_text(v, "note", note, MAX_NOTE)
    v.raise_if_any("invalid pin")
    with work.writing():
        account = visible_account(work, account_id, lock=True, field="account_id")
        reason = note or f"tier set to {tier} by hand"
        return _record_by_hand(work, account, tier, True, reason)


def unpin_tier(work: UnitOfWork, account_id: str) -> RecordedChange:
    """Hands the tier back to the policy; the account keeps it until the next review."""
    work.require(Permission.WRITE_ACCOUNTS)
    with work.writing():
        account = visible_account(work, account_id, lock=True, field="account_id")
        if not tier_store.is_pinned(account.id):
            raise FailedPrecondition(
                f"the tier of account {account.id} is not pinned", reason="TIER_NOT_PINNED"
            )
        tier = account.fields.price_tier
        reason = f"tier {tier or '(none)'} handed back to the tier policy"
        return _record_by_hand(work, account, tier, False, reason)
