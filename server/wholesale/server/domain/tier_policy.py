"""Tiers by policy: which price tier an account's trailing 12-month spend earns.

A policy names thresholds of spend, lowest first. Promotion follows the spend at once, but
demotion waits until the spend falls below the current tier's threshold less a hysteresis
margin, so an account whose spend hovers around a threshold does not change tier (and
prices) every night. The rule is pure: the nightly review loads the spend and the current
tier, and records the decision with the sentence that explains it.

All comparisons are exact: spend and thresholds are integer micros, the margin is applied
as an exact fraction and the demotion floor rounded up to the micro, so no spend can fall
between what the rule decides and what its reason says.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from wholesale.server.domain.account import LABEL, LABEL_RULE
from wholesale.server.domain.currency import is_currency
from wholesale.server.domain.money import (
    MAX_AMOUNT,
    MAX_MICROS,
    format_micros,
    in_minor_units,
    minor_units_rule,
)
from wholesale.server.errors import Validator

MAX_THRESHOLDS = 20
MAX_HYSTERESIS_PERCENT = Decimal(50)
# The level of the default tier: below every threshold, so comparisons of levels order it.
DEFAULT_LEVEL = -1


class TierChange(enum.StrEnum):
    """What a review does to an account's tier; the values are what the history records."""

    PROMOTION = "promotion"
    DEMOTION = "demotion"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class TierThreshold:
    """The spend from which ``tier`` is earned."""

    tier: str
    min_spend_micros: int


@dataclass(frozen=True)
class TierPolicy:
    """Thresholds ordered lowest first; ``default_tier`` (may be empty: no tier) applies
    below the lowest one."""

    thresholds: tuple[TierThreshold, ...]
    hysteresis_percent: Decimal
    currency: str
    default_tier: str = ""

    def level_of(self, tier: str) -> int | None:
        """The index of ``tier`` among the thresholds, DEFAULT_LEVEL for the default tier,
        None for a tier the policy does not know (set by hand, or from an older policy)."""
        if tier == self.default_tier:
            return DEFAULT_LEVEL
        names = [threshold.tier for threshold in self.thresholds]
        return names.index(tier) if tier in names else None

    def reached_level(self, spend_micros: int) -> int:
        """The level of the highest threshold ``spend_micros`` reaches, unreduced."""
        reached = [
            index
            for index, threshold in enumerate(self.thresholds)
            if spend_micros >= threshold.min_spend_micros
        ]
        return max(reached, default=DEFAULT_LEVEL)

    def demotion_floor_micros(self, threshold: TierThreshold) -> int:
        """The least spend that keeps ``threshold``'s tier: its threshold less the margin.

        Rounded up to the micro, which changes nothing for integer spend: a spend is below
        the exact floor exactly when it is below the rounded one."""
        kept = Fraction(100) - Fraction(self.hysteresis_percent)
        return math.ceil(threshold.min_spend_micros * kept / 100)


@dataclass(frozen=True)
class TierDecision:
    """The tier an account should have, and why, in a sentence a manager can read.

    ``threshold_micros`` is the threshold crossed or kept, 0 when the default tier applies."""

    tier: str
    kind: TierChange
    trailing_spend_micros: int
    threshold_micros: int
    reason: str


def trailing_window(as_of: date) -> tuple[date, date]:
    """The days whose orders count as "trailing 12 months" on ``as_of``: from the same day
    a year before (inclusive) up to ``as_of`` (exclusive), so a nightly review counts the
    complete days before the night it runs, 365 or 366 of them.

    The start is what dateutil's ``as_of - relativedelta(months=12)`` gives: 29 February
    goes back to 28 February of the year before."""
    leap_day = (as_of.month, as_of.day) == (2, 29)
    start = as_of.replace(year=as_of.year - 1, day=28 if leap_day else as_of.day)
    return start, as_of


def decide_tier(policy: TierPolicy, current_tier: str, trailing_spend_micros: int) -> TierDecision:
    """The tier ``trailing_spend_micros`` earns an account now in ``current_tier``.

    A higher tier is granted as soon as its threshold is reached. The current tier is kept
    until the spend falls below its demotion floor; then the account gets the highest tier
    whose full threshold the spend reaches, or the default tier. A tier the policy does not
    know gives way to the tier the spend earns, reported as a change. ``policy`` is one
    that :func:`validate_tier_policy` accepts."""
    spend = trailing_spend_micros
    reached = policy.reached_level(spend)
    current = policy.level_of(current_tier)
    if current is None:
        return _replace_unknown(policy, current_tier, spend, reached)
    if reached > current or current == DEFAULT_LEVEL:
        kind = TierChange.PROMOTION if reached > current else TierChange.UNCHANGED
        reason = f"{_spent(policy, spend)} {_reaching(policy, reached)}"
        return _decision(policy, reached, kind, spend, reason)
    held = policy.thresholds[current]
    floor = policy.demotion_floor_micros(held)
    if spend >= floor:
        reason = _keeping(policy, held, spend)
        return _decision(policy, current, TierChange.UNCHANGED, spend, reason)
    fell = f"{_spent(policy, spend)} fell below {_floor_text(policy, held, floor)}"
    reason = f"{fell}; it {_reaching(policy, reached)}"
    return _decision(policy, reached, TierChange.DEMOTION, spend, reason)


def _replace_unknown(policy: TierPolicy, tier: str, spend: int, reached: int) -> TierDecision:
    """An unknown tier ranks below every threshold but is not the default tier either, so
    the tier the spend earns always replaces it: upward if a threshold is reached."""
    kind = TierChange.DEMOTION if reached == DEFAULT_LEVEL else TierChange.PROMOTION
    unknown = f"the tier {tier} is not in the tier policy" if tier else "the account had no tier"
    reason = f"{_spent(policy, spend)} {_reaching(policy, reached)}; {unknown}"
    return _decision(policy, reached, kind, spend, reason)


def _decision(
    policy: TierPolicy, level: int, kind: TierChange, spend: int, reason: str
) -> TierDecision:
    if level == DEFAULT_LEVEL:
        return TierDecision(policy.default_tier, kind, spend, 0, reason)
    threshold = policy.thresholds[level]
    return TierDecision(threshold.tier, kind, spend, threshold.min_spend_micros, reason)


def _spent(policy: TierPolicy, spend: int) -> str:
    return f"trailing 12-month spend {_shown(policy, spend)}"


def _reaching(policy: TierPolicy, level: int) -> str:
    """What a spend at ``level`` reaches, unreduced: the highest threshold, or none of them."""
    if level == DEFAULT_LEVEL:
        return f"is below {_named(policy, policy.thresholds[0])}, the lowest threshold"
    return f"reached {_named(policy, policy.thresholds[level])}"


def _keeping(policy: TierPolicy, held: TierThreshold, spend: int) -> str:
    """Why the current tier stays: its threshold is met, or the spend is within the margin."""
    subject = _spent(policy, spend)
    if spend >= held.min_spend_micros:
        return f"{subject} keeps {_named(policy, held)}"
    floor = _shown(policy, policy.demotion_floor_micros(held))
    margin = f"the {_percent(policy)} margin ({floor})"
    return f"{subject} is below {_named(policy, held)} but within {margin}"


def _floor_text(policy: TierPolicy, held: TierThreshold, floor: int) -> str:
    """The demotion floor as a manager checks it: the reduced figure and where it comes from."""
    if floor == held.min_spend_micros:
        return _named(policy, held)
    return f"{_shown(policy, floor)} ({_named(policy, held)} less the {_percent(policy)} margin)"


def _named(policy: TierPolicy, threshold: TierThreshold) -> str:
    return f"{threshold.tier}'s {_shown(policy, threshold.min_spend_micros)}"


def _shown(policy: TierPolicy, micros: int) -> str:
    """An amount grouped by thousands ("48,200.00 EUR"), as a manager reads one in a letter."""
    figure, currency = format_micros(micros, policy.currency).rsplit(" ", 1)
    return f"{Decimal(figure):,} {currency}"


def _percent(policy: TierPolicy) -> str:
    return f"{policy.hysteresis_percent.normalize():f}%"


def validate_tier_policy(v: Validator, policy: TierPolicy) -> None:
    """Adds a violation for every rule ``policy`` breaks, under request paths such as
    ``thresholds[2].min_spend``, so a rejected policy is fixed in one round trip."""
    currency_known = v.check(
        is_currency(policy.currency),
        "currency_code",
        "must be an ISO 4217 code in capitals such as EUR",
    )
    _validate_thresholds(v, policy.thresholds, policy.currency if currency_known else "")
    h = policy.hysteresis_percent
    v.check(
        h.is_finite() and 0 <= h <= MAX_HYSTERESIS_PERCENT,
        "hysteresis_percent",
        f"must be between 0 and {MAX_HYSTERESIS_PERCENT} (percent)",
    )
    if policy.default_tier:
        _validate_default_tier(v, policy)


def _validate_thresholds(
    v: Validator, thresholds: tuple[TierThreshold, ...], currency: str
) -> None:
    count_ok = v.check(
        0 < len(thresholds) <= MAX_THRESHOLDS,
        "thresholds",
        f"between 1 and {MAX_THRESHOLDS} thresholds",
    )
    if not count_ok:
        return
    for index, threshold in enumerate(thresholds):
        nested = v.nested(f"thresholds[{index}]")
        _validate_threshold(nested, threshold, currency)
        _validate_against_earlier(nested, threshold, thresholds[:index])


def _validate_threshold(v: Validator, threshold: TierThreshold, currency: str) -> None:
    v.check(bool(LABEL.fullmatch(threshold.tier)), "tier", LABEL_RULE)
    spend = threshold.min_spend_micros
    if not v.check(spend >= 0, "min_spend", "must not be negative"):
        return
    if v.check(spend <= MAX_MICROS, "min_spend", f"must not exceed {MAX_AMOUNT:,}") and currency:
        v.check(in_minor_units(spend, currency), "min_spend", minor_units_rule(currency))


def _validate_against_earlier(
    v: Validator, threshold: TierThreshold, earlier: tuple[TierThreshold, ...]
) -> None:
    """Tiers are distinct and thresholds strictly rising, lowest first."""
    tiers = [previous.tier for previous in earlier]
    if threshold.tier in tiers:
        v.add(
            "tier",
            f"{threshold.tier} is already the tier of thresholds[{tiers.index(threshold.tier)}]",
        )
    if earlier:
        v.check(
            threshold.min_spend_micros > earlier[-1].min_spend_micros,
            "min_spend",
            f"must be more than thresholds[{len(earlier) - 1}].min_spend: thresholds rise, "
            "lowest first",
        )


def _validate_default_tier(v: Validator, policy: TierPolicy) -> None:
    if not v.check(bool(LABEL.fullmatch(policy.default_tier)), "default_tier", LABEL_RULE):
        return
    v.check(
        policy.default_tier not in {threshold.tier for threshold in policy.thresholds},
        "default_tier",
        "must not be the tier of a threshold: it is the tier below all of them",
    )
