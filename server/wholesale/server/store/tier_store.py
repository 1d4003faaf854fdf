"""Reading and writing tiers by policy: the versioned policy, the trailing spend a review
reads, the history of tier changes, pinned tiers, and the day a job claims before it runs.

The values defined here are what the tier use cases return; they carry plain integers
(micros, microsecond instants), like every store's values.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from wholesale.server.domain.access import AccountScope
from wholesale.server.domain.account import AccountStatus
from wholesale.server.domain.order import COUNTED_STATUSES
from wholesale.server.domain.tier_policy import TierChange, TierPolicy, TierThreshold
from wholesale.server.store.database import is_postgres
from wholesale.server.store.sql import execute, execute_many, fetch, fetch_rows, insert_rows


class ChangeKind(enum.StrEnum):
    """What the history records: a review's decision, or a pin or unpin by hand."""

    PROMOTION = TierChange.PROMOTION.value
    DEMOTION = TierChange.DEMOTION.value
    PINNED = "pinned"
    UNPINNED = "unpinned"


@dataclass(frozen=True)
class StoredPolicy:
    """The policy in force and its version; version 0 (no recorded time) before any."""

    policy: TierPolicy
    version: int = 0
    recorded_us: int | None = None

    @property
    def etag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class RecordedChange:
    """One change of an account's tier. Spend and threshold are None for pins and unpins."""

    account_id: int
    from_tier: str
    to_tier: str
    kind: ChangeKind
    trailing_spend_micros: int | None
    threshold_micros: int | None
    currency: str
    change_time_us: int
    reason: str
    actor: str
    id: int = 0


@dataclass(frozen=True)
class ReviewedAccount:
    """An account the review decides on: its tier now and what it spent in the window."""

    account_id: int
    tier: str
    trailing_spend_micros: int


# ---- the policy ----------------------------------------------------------------------

_POLICY_COLUMNS = (
    "version",
    "currency_code",
    "default_tier",
    "hysteresis_percent",
    "thresholds_json",
    "recorded_us",
    "actor",
)


def current_policy() -> StoredPolicy | None:
    """The latest version of the policy, None before the first one is set."""
    rows = fetch_rows(
        f"SELECT {', '.join(_POLICY_COLUMNS[:-1])} FROM tier_policy_version "
        "ORDER BY version DESC LIMIT 1"
    )
    if not rows:
        return None
    version, currency, default_tier, hysteresis, thresholds_json, recorded_us = rows[0]
    thresholds = tuple(TierThreshold(tier, micros) for tier, micros in json.loads(thresholds_json))
    policy = TierPolicy(thresholds, Decimal(hysteresis), currency, default_tier)
    return StoredPolicy(policy, version, recorded_us)


def insert_policy(policy: TierPolicy, version: int, now_us: int, actor: str) -> StoredPolicy:
    """Records ``policy`` as ``version``; a concurrent writer of the same version makes the
    key clash, which the unit of work reports as a concurrent change."""
    thresholds = [[t.tier, t.min_spend_micros] for t in policy.thresholds]
    row = (
        version,
        policy.currency,
        policy.default_tier,
        f"{policy.hysteresis_percent:f}",
        json.dumps(thresholds),
        now_us,
        actor,
    )
    insert_rows("tier_policy_version", _POLICY_COLUMNS, [row])
    return StoredPolicy(policy, version, now_us)


# ---- what a review reads and writes ----------------------------------------------------

_COUNTED = ", ".join(str(int(status)) for status in COUNTED_STATUSES)
_REVIEWED = (
    f"a.currency_code = ? AND a.status <> {int(AccountStatus.CLOSED)} AND a.price_tier_pinned = ?"
)


@functools.lru_cache(maxsize=2)
def _spend_sql(postgres: bool) -> str:
    """Every reviewed account with its counted spend in [start, end), one aggregate over
    sales_order by the (order_day, id) index. On PostgreSQL the accounts are locked, so a
    pin committed meanwhile waits for the review, or the review skips the pinned account."""
    sql = (
        "SELECT a.id, a.price_tier, COALESCE(s.spend, 0) FROM account a LEFT JOIN ("
        "SELECT account_id, SUM(total_micros) AS spend FROM sales_order "
        f"WHERE order_day >= ? AND order_day < ? AND status IN ({_COUNTED}) "
        "AND currency_code = ? GROUP BY account_id"
        f") s ON s.account_id = a.id WHERE {_REVIEWED} ORDER BY a.id"
    )
    return sql + " FOR UPDATE OF a" if postgres else sql


def trailing_spend(currency: str, start_day: int, end_day: int) -> list[ReviewedAccount]:
    """The accounts a review decides on (billed in ``currency``, not closed, not pinned),
    each with its spend of placed and fulfilled orders on the days [start_day, end_day)."""
    rows = fetch(_spend_sql(is_postgres()), (start_day, end_day, currency, currency, False))
    return [ReviewedAccount(account_id, tier, int(spend)) for account_id, tier, spend in rows]


def pinned_count(currency: str) -> int:
    """How many accounts the review would decide on but for their pinned tier."""
    [(count,)] = fetch_rows(f"SELECT COUNT(*) FROM account a WHERE {_REVIEWED}", currency, True)
    return int(count)


def set_tiers(tiers: Sequence[tuple[int, str]], now_us: int) -> None:
    """Writes each (account id, tier) as an account update does: a new version (etag)."""
    execute_many(
        "UPDATE account SET price_tier = ?, update_time_us = ?, version = version + 1 WHERE id = ?",
        [(tier, now_us, account_id) for account_id, tier in tiers],
    )


def set_pinned(account_id: int, tier: str, pinned: bool, now_us: int) -> None:
    """Sets the tier by hand and whether the review may change it, as an account update."""
    execute(
        "UPDATE account SET price_tier = ?, price_tier_pinned = ?, update_time_us = ?, "
        "version = version + 1 WHERE id = ?",
        tier,
        pinned,
        now_us,
        account_id,
    )


def is_pinned(account_id: int) -> bool:
    rows = fetch_rows("SELECT price_tier_pinned FROM account WHERE id = ?", account_id)
    return bool(rows and rows[0][0])


# ---- the history -----------------------------------------------------------------------

_CHANGE_COLUMNS = (
    "account_id",
    "from_tier",
    "to_tier",
    "kind",
    "trailing_spend_micros",
    "threshold_micros",
    "currency_code",
    "change_time_us",
    "reason",
    "actor",
)


def record_changes(changes: Sequence[RecordedChange]) -> None:
    insert_rows(
        "tier_change",
        _CHANGE_COLUMNS,
        [
            (
                c.account_id,
                c.from_tier,
                c.to_tier,
                c.kind.value,
                c.trailing_spend_micros,
                c.threshold_micros,
                c.currency,
                c.change_time_us,
                c.reason,
                c.actor,
            )
            for c in changes
        ],
    )


@functools.lru_cache(maxsize=8)
def _changes_sql(by_account: bool, by_manager: bool, after: bool) -> str:
    """The history query of one shape, newest first by (change time, id)."""
    where = [
        condition
        for condition, wanted in (
            ("c.account_id = ?", by_account),
            ("a.manager = ?", by_manager),
            ("(c.change_time_us < ? OR (c.change_time_us = ? AND c.id < ?))", after),
        )
        if wanted
    ]
    return (
        f"SELECT c.id, {', '.join(f'c.{column}' for column in _CHANGE_COLUMNS)} "
        "FROM tier_change c JOIN account a ON a.id = c.account_id"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY c.change_time_us DESC, c.id DESC LIMIT ?"
    )


def list_changes(
    scope: AccountScope, account_id: int | None, after: Sequence[int] | None, limit: int
) -> list[RecordedChange]:
    """Up to ``limit`` changes of the accounts in ``scope`` (of one account if given),
    newest first, after the (change time, id) position ``after``."""
    sql = _changes_sql(account_id is not None, scope.manager is not None, after is not None)
    params: list[object] = [account_id] if account_id is not None else []
    if scope.manager is not None:
        params.append(scope.manager)
    if after is not None:
        params += [after[0], after[0], after[1]]
    return [_change_from_row(row) for row in fetch(sql, [*params, limit])]


def _change_from_row(row: Sequence) -> RecordedChange:
    change_id, account_id, from_tier, to_tier, kind, spend, threshold, *rest = row
    currency, change_time_us, reason, actor = rest
    return RecordedChange(
        account_id,
        from_tier,
        to_tier,
        ChangeKind(kind),
        spend,
        threshold,
        currency,
        change_time_us,
        reason,
        actor,
        change_id,
    )


# ---- jobs --------------------------------------------------------------------------------


def claim_job_day(job: str, day: int, now_us: int) -> bool:
    """Whether this transaction claimed ``day`` for ``job``: the first of several servers
    to insert the row wins; the others wait for its commit and find it taken. Claimed in
    the job's own transaction, a failed run leaves the day free for a retry."""
    claimed = execute(
        "INSERT INTO job_run (job, day, claim_time_us) VALUES (?, ?, ?) "
        "ON CONFLICT (job, day) DO NOTHING",
        job,
        day,
        now_us,
    )
    return claimed == 1
