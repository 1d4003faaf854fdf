"""Who a price list is for, and the precedence level that gives it.

Precedence is decided by how particular the audience is, never by chance: a contract price
agreed with the account beats a list naming the account, which beats the lists for its tier
and tags, which beat the base list for everyone, which beats the product's catalog price.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    """Precedence levels, the strongest first (a lower value wins)."""

    CONTRACT = 0
    NAMED_ACCOUNTS = 1
    SEGMENT = 2
    BASE = 3
    CATALOG = 4

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Level.CONTRACT: "contract price",
    Level.NAMED_ACCOUNTS: "list for named accounts",
    Level.SEGMENT: "tier and tag list",
    Level.BASE: "base list",
    Level.CATALOG: "catalog price",
}


@dataclass(frozen=True)
class PricedAccount:
    """The facts about an account that choose its prices."""

    id: int
    price_tier: str
    tags: frozenset[str]
    currency: str


@dataclass(frozen=True)
class Audience:
    """Everyone, or tiers and tags, or named accounts: one kind per list, so a list has
    exactly one precedence level."""

    everyone: bool = False
    tiers: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    account_ids: frozenset[int] = frozenset()

    @property
    def level(self) -> Level:
        if self.account_ids:
            return Level.NAMED_ACCOUNTS
        if self.tiers or self.tags:
            return Level.SEGMENT
        return Level.BASE

    def includes(self, account: PricedAccount) -> bool:
        if self.account_ids:
            return account.id in self.account_ids
        if self.tiers or self.tags:
            return account.price_tier in self.tiers or not self.tags.isdisjoint(account.tags)
        return self.everyone

    def may_share_accounts_with(self, other: Audience) -> bool:
        """Whether some account could be in both audiences (a tier list and a tag list
        can: an account has a tier and tags at once)."""
        if self.level is not other.level:
            return False
        if self.level is Level.NAMED_ACCOUNTS:
            return not self.account_ids.isdisjoint(other.account_ids)
        if self.level is Level.SEGMENT:
            tiers_meet = not self.tiers.isdisjoint(other.tiers)
            tags_meet = not self.tags.isdisjoint(other.tags)
            mixed = bool((self.tiers and other.tags) or (self.tags and other.tiers))
            return tiers_meet or tags_meet or mixed
        return self.everyone and other.everyone

    def describe(self) -> str:
        if self.account_ids:
            return "accounts " + ", ".join(str(i) for i in sorted(self.account_ids))
        parts = [f"tier {t}" for t in sorted(self.tiers)] + [f"tag {t}" for t in sorted(self.tags)]
        return " or ".join(parts) if parts else "everyone"
