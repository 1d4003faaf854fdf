"""The tier policy without a server: which tier a trailing spend earns, the hysteresis
margin that keeps an account at the edge from changing tier every night, the sentences
that explain a decision, and the rules a valid policy obeys."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholesale.server.domain.account import LABEL_RULE
from wholesale.server.domain.tier_policy import (
    TierChange,
    TierDecision,
    TierPolicy,
    TierThreshold,
    decide_tier,
    trailing_window,
    validate_tier_policy,
)
from wholesale.server.errors import Validator

EUR = 1_000_000  # micros in one euro
CENT = EUR // 100

POLICY = TierPolicy(
    thresholds=(
        TierThreshold("bronze", 10_000 * EUR),
        TierThreshold("silver", 20_000 * EUR),
        TierThreshold("gold", 40_000 * EUR),
    ),
    hysteresis_percent=Decimal(10),
    currency="EUR",
    default_tier="",
)
WITH_DEFAULT = replace(POLICY, default_tier="standard")
NO_MARGIN = replace(POLICY, hysteresis_percent=Decimal(0))

# Decisions are checked against the policy's definition computed here independently.
properties = settings(deadline=None, max_examples=300)


# -- named cases --------------------------------------------------------------------------


def test_promotion_at_exactly_the_threshold() -> None:
    assert decide_tier(POLICY, "silver", 40_000 * EUR) == TierDecision(
        "gold",
        TierChange.PROMOTION,
        40_000 * EUR,
        40_000 * EUR,
        "trailing 12-month spend 40,000.00 EUR reached gold's 40,000.00 EUR",
    )


def test_promotion_skips_tiers_when_the_spend_reaches_them() -> None:
    decision = decide_tier(POLICY, "", 48_200 * EUR)
    assert (decision.tier, decision.kind) == ("gold", TierChange.PROMOTION)
    assert decision.reason == "trailing 12-month spend 48,200.00 EUR reached gold's 40,000.00 EUR"


def test_one_micro_below_the_threshold_is_no_promotion() -> None:
    decision = decide_tier(POLICY, "silver", 40_000 * EUR - 1)
    assert (decision.tier, decision.kind) == ("silver", TierChange.UNCHANGED)
    assert decision.threshold_micros == 20_000 * EUR
    assert decision.reason == (
        "trailing 12-month spend 39,999.999999 EUR keeps silver's 20,000.00 EUR"
    )


def test_spend_within_the_margin_keeps_the_tier() -> None:
    decision = decide_tier(POLICY, "gold", 36_000 * EUR)
    assert (decision.tier, decision.kind) == ("gold", TierChange.UNCHANGED)
    assert decision.threshold_micros == 40_000 * EUR
    assert decision.reason == (
        "trailing 12-month spend 36,000.00 EUR is below gold's 40,000.00 EUR "
        "but within the 10% margin (36,000.00 EUR)"
    )


def test_demotion_only_past_the_margin() -> None:
    decision = decide_tier(POLICY, "gold", 36_000 * EUR - 1)
    assert decision == TierDecision(
        "silver",
        TierChange.DEMOTION,
        36_000 * EUR - 1,
        20_000 * EUR,
        "trailing 12-month spend 35,999.999999 EUR fell below 36,000.00 EUR "
        "(gold's 40,000.00 EUR less the 10% margin); it reached silver's 20,000.00 EUR",
    )
    assert decide_tier(POLICY, "gold", 33_900 * EUR).reason.startswith(
        "trailing 12-month spend 33,900.00 EUR fell below 36,000.00 EUR "
        "(gold's 40,000.00 EUR less the 10% margin)"
    )


def test_a_two_tier_drop_goes_to_the_tier_the_full_threshold_gives() -> None:
    """19,000 is within silver's margin (18,000) but below silver itself: a demoted account
    gets the tier its spend reaches, not one it would merely be allowed to keep."""
    decision = decide_tier(POLICY, "gold", 19_000 * EUR)
    assert (decision.tier, decision.kind) == ("bronze", TierChange.DEMOTION)
    assert decision.threshold_micros == 10_000 * EUR
    assert decision.reason.endswith("; it reached bronze's 10,000.00 EUR")


def test_a_drop_below_every_threshold_gives_the_default_tier() -> None:
    decision = decide_tier(WITH_DEFAULT, "bronze", 8_999 * EUR)
    assert decision == TierDecision(
        "standard",
        TierChange.DEMOTION,
        8_999 * EUR,
        0,
        "trailing 12-month spend 8,999.00 EUR fell below 9,000.00 EUR (bronze's 10,000.00 EUR "
        "less the 10% margin); it is below bronze's 10,000.00 EUR, the lowest threshold",
    )
    assert decide_tier(POLICY, "bronze", 0).tier == ""


def test_the_default_tier_stays_below_the_lowest_threshold() -> None:
    decision = decide_tier(WITH_DEFAULT, "standard", 9_999 * EUR)
    assert decision == TierDecision(
        "standard",
        TierChange.UNCHANGED,
        9_999 * EUR,
        0,
        "trailing 12-month spend 9,999.00 EUR is below bronze's 10,000.00 EUR, "
        "the lowest threshold",
    )


def test_the_default_tier_is_promoted_without_a_margin() -> None:
    decision = decide_tier(WITH_DEFAULT, "standard", 10_000 * EUR)
    assert (decision.tier, decision.kind) == ("bronze", TierChange.PROMOTION)


def test_an_unknown_current_tier_is_replaced_by_the_tier_the_spend_gives() -> None:
    """Not treated as a tier to keep: within gold's margin, "vip" still becomes silver."""
    decision = decide_tier(POLICY, "vip", 37_000 * EUR)
    assert decision == TierDecision(
        "silver",
        TierChange.PROMOTION,
        37_000 * EUR,
        20_000 * EUR,
        "trailing 12-month spend 37,000.00 EUR reached silver's 20,000.00 EUR; "
        "the tier vip is not in the tier policy",
    )


def test_an_unknown_current_tier_below_every_threshold_is_a_demotion() -> None:
    decision = decide_tier(WITH_DEFAULT, "vip", 5 * EUR)
    assert (decision.tier, decision.kind, decision.threshold_micros) == (
        "standard",
        TierChange.DEMOTION,
        0,
    )
    assert decision.reason.endswith("; the tier vip is not in the tier policy")


def test_an_account_without_a_tier_gets_the_default_one() -> None:
    """With a named default tier, an empty tier is not the default: it is replaced."""
    decision = decide_tier(WITH_DEFAULT, "", 5 * EUR)
    assert (decision.tier, decision.kind) == ("standard", TierChange.DEMOTION)
    assert decision.reason.endswith("; the account had no tier")


def test_zero_hysteresis_demotes_one_micro_below_the_threshold() -> None:
    assert decide_tier(NO_MARGIN, "gold", 40_000 * EUR).kind is TierChange.UNCHANGED
    decision = decide_tier(NO_MARGIN, "gold", 40_000 * EUR - 1)
    assert (decision.tier, decision.kind) == ("silver", TierChange.DEMOTION)
    assert decision.reason == (
        "trailing 12-month spend 39,999.999999 EUR fell below gold's 40,000.00 EUR; "
        "it reached silver's 20,000.00 EUR"
    )


def test_a_margin_that_leaves_a_fraction_of_a_cent_is_applied_exactly() -> None:
    """333.33 less 10% is 299.997: a spend of exactly that keeps the tier, a micro less
    does not, and the reason shows the floor as it is, not rounded to the cent."""
    policy = replace(POLICY, thresholds=(TierThreshold("bronze", 33_333 * CENT),))
    assert decide_tier(policy, "bronze", 299_997_000).kind is TierChange.UNCHANGED
    decision = decide_tier(policy, "bronze", 299_996_999)
    assert decision.kind is TierChange.DEMOTION
    assert "fell below 299.997 EUR (bronze's 333.33 EUR less the 10% margin)" in decision.reason


def test_a_margin_below_one_micro_rounds_the_floor_up() -> None:
    """1 micro less 12.5% is 0.875 micros: only a spend of a whole micro keeps the tier."""
    policy = replace(
        POLICY,
        thresholds=(TierThreshold("bronze", 1),),
        hysteresis_percent=Decimal("12.5"),
    )
    assert decide_tier(policy, "bronze", 1).kind is TierChange.UNCHANGED
    assert decide_tier(policy, "bronze", 0).kind is TierChange.DEMOTION


def test_amounts_in_reasons_follow_the_currency() -> None:
    policy = TierPolicy(
        (TierThreshold("gold", 5_000_000 * EUR),), Decimal("7.5"), "JPY", "standard"
    )
    assert decide_tier(policy, "gold", 4_700_000 * EUR).reason == (
        "trailing 12-month spend 4,700,000 JPY is below gold's 5,000,000 JPY "
        "but within the 7.5% margin (4,625,000 JPY)"
    )


# -- the trailing window ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "start"),
    [
        (date(2025, 3, 15), date(2024, 3, 15)),
        (date(2025, 1, 1), date(2024, 1, 1)),
        (date(2024, 2, 29), date(2023, 2, 28)),
        (date(2025, 2, 28), date(2024, 2, 28)),
        (date(2025, 3, 1), date(2024, 3, 1)),
    ],
)
def test_the_trailing_window_is_the_year_before_as_of(as_of: date, start: date) -> None:
    assert trailing_window(as_of) == (start, as_of)


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9998, 12, 31)))
def test_the_trailing_window_covers_a_year_of_whole_days(as_of: date) -> None:
    start, end = trailing_window(as_of)
    assert end == as_of
    assert (end - start).days in (365, 366)
    # The next day's window starts a day later, except around 29 February: two windows
    # share 28 February as their start, or the start moves past 29 February to 1 March.
    next_start, _ = trailing_window(as_of + timedelta(days=1))
    assert (next_start - start).days in (0, 1, 2)
    assert (start.month, start.day) == (as_of.month, min(as_of.day, 28 if as_of.month == 2 else 31))


# -- validation ---------------------------------------------------------------------------


def violations(policy: TierPolicy) -> list[tuple[str, str]]:
    v = Validator()
    validate_tier_policy(v, policy)
    return [(found.field, found.description) for found in v.violations]


def with_threshold(index: int, **changes: Any) -> TierPolicy:
    thresholds = list(POLICY.thresholds)
    thresholds[index] = replace(thresholds[index], **changes)
    return replace(POLICY, thresholds=tuple(thresholds))


def test_a_valid_policy_has_no_violations() -> None:
    assert violations(POLICY) == []
    assert violations(WITH_DEFAULT) == []
    assert violations(replace(POLICY, hysteresis_percent=Decimal(50))) == []
    assert violations(NO_MARGIN) == []
    assert violations(with_threshold(0, min_spend_micros=0)) == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            with_threshold(1, tier="Silver"), [("thresholds[1].tier", LABEL_RULE)], id="label"
        ),
        pytest.param(
            with_threshold(2, tier="silver"),
            [("thresholds[2].tier", "silver is already the tier of thresholds[1]")],
            id="duplicate-tier",
        ),
        pytest.param(
            with_threshold(2, min_spend_micros=20_000 * EUR),
            [
                (
                    "thresholds[2].min_spend",
                    "must be more than thresholds[1].min_spend: thresholds rise, lowest first",
                )
            ],
            id="not-rising",
        ),
        pytest.param(
            with_threshold(0, min_spend_micros=-CENT),
            [("thresholds[0].min_spend", "must not be negative")],
            id="negative",
        ),
        pytest.param(
            with_threshold(1, min_spend_micros=20_000 * EUR + CENT // 2),
            [("thresholds[1].min_spend", "EUR amounts have at most 2 decimals")],
            id="half-a-cent",
        ),
        pytest.param(
            with_threshold(2, min_spend_micros=10**9 * EUR + CENT),
            [("thresholds[2].min_spend", "must not exceed 1,000,000,000")],
            id="too-large",
        ),
        pytest.param(
            replace(POLICY, thresholds=()),
            [("thresholds", "between 1 and 20 thresholds")],
            id="no-thresholds",
        ),
        pytest.param(
            replace(
                POLICY,
                thresholds=tuple(TierThreshold(f"t{i}", i * EUR) for i in range(21)),
            ),
            [("thresholds", "between 1 and 20 thresholds")],
            id="21-thresholds",
        ),
        pytest.param(
            replace(POLICY, hysteresis_percent=Decimal("50.01")),
            [("hysteresis_percent", "must be between 0 and 50 (percent)")],
            id="margin-over-50",
        ),
        pytest.param(
            replace(POLICY, hysteresis_percent=Decimal("-0.5")),
            [("hysteresis_percent", "must be between 0 and 50 (percent)")],
            id="negative-margin",
        ),
        pytest.param(
            replace(POLICY, hysteresis_percent=Decimal("NaN")),
            [("hysteresis_percent", "must be between 0 and 50 (percent)")],
            id="nan-margin",
        ),
        pytest.param(
            replace(POLICY, default_tier="gold"),
            [
                (
                    "default_tier",
                    "must not be the tier of a threshold: it is the tier below all of them",
                )
            ],
            id="default-among-thresholds",
        ),
        pytest.param(
            replace(POLICY, default_tier="-basic"), [("default_tier", LABEL_RULE)], id="default"
        ),
        pytest.param(
            replace(POLICY, currency="eur"),
            [("currency_code", "must be an ISO 4217 code in capitals such as EUR")],
            id="currency",
        ),
    ],
)
def test_each_rule_names_its_field(policy: TierPolicy, expected: list[tuple[str, str]]) -> None:
    assert violations(policy) == expected


def test_whole_minor_units_follow_the_currency() -> None:
    yen = TierPolicy((TierThreshold("gold", 1_500_000 * EUR + EUR // 2),), Decimal(5), "JPY")
    assert violations(yen) == [("thresholds[0].min_spend", "JPY amounts have at most 0 decimals")]
    assert violations(replace(yen, currency="KWD")) == []


def test_every_problem_is_reported_at_once() -> None:
    policy = TierPolicy(
        thresholds=(
            TierThreshold("bronze", -1),
            TierThreshold("BRONZE", 0),
            TierThreshold("bronze", 0),
        ),
        hysteresis_percent=Decimal(60),
        currency="EUR",
        default_tier="bronze",
    )
    assert [path for path, _ in violations(policy)] == [
        "thresholds[0].min_spend",
        "thresholds[1].tier",
        "thresholds[2].tier",
        "thresholds[2].min_spend",
        "hysteresis_percent",
        "default_tier",
    ]


# -- properties ---------------------------------------------------------------------------

SPEND_LIMIT = 10**13


MARGINS = st.decimals(min_value=0, max_value=50, places=3, allow_nan=False)


@st.composite
def policies(draw: st.DrawFn, margins: st.SearchStrategy[Decimal] = MARGINS) -> TierPolicy:
    """Valid policies of 1 to 6 tiers t0, t1, ... with thresholds anywhere in the range."""
    mins = draw(st.lists(st.integers(0, SPEND_LIMIT), min_size=1, max_size=6, unique=True))
    default = draw(st.sampled_from(["", "standard"]))
    thresholds = tuple(TierThreshold(f"t{i}", spend) for i, spend in enumerate(sorted(mins)))
    return TierPolicy(thresholds, draw(margins), "EUR", default)


spends = st.integers(0, SPEND_LIMIT + 1)


def rank(policy: TierPolicy, tier: str) -> int:
    """Where ``tier`` stands in ``policy``: -1 for the default tier, else its position."""
    return -1 if tier == policy.default_tier else int(tier.removeprefix("t"))


def earned(policy: TierPolicy, spend: int) -> str:
    """The tier of the highest threshold ``spend`` reaches, unreduced."""
    reached = [t.tier for t in policy.thresholds if spend >= t.min_spend_micros]
    return reached[-1] if reached else policy.default_tier


def current_tiers(policy: TierPolicy) -> st.SearchStrategy[str]:
    tiers = [t.tier for t in policy.thresholds]
    return st.sampled_from([*tiers, policy.default_tier, "vip", ""])


def margin_band(policy: TierPolicy, spend: int) -> tuple[int, int]:
    """The spends each within the margin of ``spend``: s' >= s x (1 - h) and s >= s' x (1 - h)."""
    kept = 1 - Fraction(policy.hysteresis_percent) / 100
    return math.ceil(spend * kept), math.floor(spend / kept)


@properties
@given(st.data())
def test_a_decision_applied_to_itself_changes_nothing(data: st.DataObject) -> None:
    policy = data.draw(policies())
    spend = data.draw(spends)
    first = decide_tier(policy, data.draw(current_tiers(policy)), spend)
    again = decide_tier(policy, first.tier, spend)
    assert (again.tier, again.kind) == (first.tier, TierChange.UNCHANGED)


@properties
@given(st.data())
def test_spend_moving_within_the_margin_never_changes_the_tier_back(data: st.DataObject) -> None:
    """Night after night the spend alternates between two figures within the margin of
    each other: the tier may settle, but it never returns to a tier it has left."""
    policy = data.draw(policies())
    spend = data.draw(spends)
    other = data.draw(st.integers(*margin_band(policy, spend)))
    tier = data.draw(current_tiers(policy))
    held = [tier]
    for night in range(6):
        decision = decide_tier(policy, tier, (spend, other)[night % 2])
        if decision.tier != tier:
            assert decision.tier not in held, f"back to {decision.tier} after {held}"
            held.append(decision.tier)
        tier = decision.tier
    first = decide_tier(policy, held[0], spend)
    if first.kind is TierChange.PROMOTION:
        assert decide_tier(policy, first.tier, other).kind is not TierChange.DEMOTION


@properties
@given(st.data())
def test_more_spend_never_gives_a_lower_tier(data: st.DataObject) -> None:
    policy = data.draw(policies())
    current = data.draw(current_tiers(policy))
    low, high = sorted((data.draw(spends), data.draw(spends)))
    lower = decide_tier(policy, current, low)
    higher = decide_tier(policy, current, high)
    assert rank(policy, lower.tier) <= rank(policy, higher.tier)


@properties
@given(st.data())
def test_without_a_margin_the_tier_is_the_one_the_spend_reaches(data: st.DataObject) -> None:
    policy = data.draw(policies(margins=st.just(Decimal(0))))
    spend = data.draw(spends)
    decision = decide_tier(policy, data.draw(current_tiers(policy)), spend)
    assert decision.tier == earned(policy, spend)


@properties
@given(st.data())
def test_demotion_happens_exactly_below_the_reduced_threshold(data: st.DataObject) -> None:
    """The margin is applied exactly: demoted iff spend x 100 < threshold x (100 - h)."""
    policy = data.draw(policies())
    held = data.draw(st.sampled_from(policy.thresholds))
    spend = data.draw(st.integers(0, held.min_spend_micros))
    decision = decide_tier(policy, held.tier, spend)
    below = spend * 100 < held.min_spend_micros * (100 - Fraction(policy.hysteresis_percent))
    assert (decision.kind is TierChange.DEMOTION) == below
    assert decision.tier == (earned(policy, spend) if below else held.tier)


@properties
@given(st.data())
def test_a_decision_names_the_threshold_it_rests_on(data: st.DataObject) -> None:
    """Promotions and demotions rest on a threshold the spend reaches; 0 for the default."""
    policy = data.draw(policies())
    spend = data.draw(spends)
    decision = decide_tier(policy, data.draw(current_tiers(policy)), spend)
    thresholds = {t.tier: t.min_spend_micros for t in policy.thresholds}
    assert decision.threshold_micros == thresholds.get(decision.tier, 0)
    assert decision.trailing_spend_micros == spend
    if decision.kind is not TierChange.UNCHANGED:
        assert decision.threshold_micros <= spend
