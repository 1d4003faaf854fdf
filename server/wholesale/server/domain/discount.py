"""Percentages off a price, applied exactly and rounded once.

A discount is a Decimal percent: 10 makes a price 10 % cheaper, -5 marks it up by 5 %. It
is applied to the exact reference price without floats and only the result is rounded,
half-up, to the list's increment; a line multiplies that rounded unit price by its quantity.
So 10 % off 175.56 is 158.00 for one unit or a thousand (158.004 rounds to 158.00), and
never 158.01 nor a total that drifts with the quantity.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from wholesale.server.domain.money import round_ratio_to_step
from wholesale.server.errors import Validator

MAX_DISCOUNT = Decimal(100)
# A markup of at most ten times the reference price.
MIN_DISCOUNT = Decimal(-900)
DECIMALS = 4


def discounted(micros: int, percent: Decimal, step: int) -> int:
    """``micros`` less ``percent`` %, rounded half-up to a multiple of ``step`` micros."""
    kept = _kept_share(percent)
    return round_ratio_to_step(micros * kept.numerator, kept.denominator, step)


@lru_cache(maxsize=4096)
def _kept_share(percent: Decimal) -> Fraction:
    """The share of the price that ``percent`` % off keeps, exactly (a list has a few
    percentages and a quote applies them thousands of times)."""
    return 1 - Fraction(percent) / 100


def describe(percent: Decimal) -> str:
    """ "-10%" for a 10 % discount, "+5%" for a 5 % markup, "±0%" for neither."""
    shown = f"{abs(percent).normalize():f}"
    if not percent:
        return "±0%"
    return f"-{shown}%" if percent > 0 else f"+{shown}%"


def validate_discount(v: Validator, field_path: str, percent: Decimal) -> None:
    if not v.check(percent.is_finite(), field_path, "a percentage such as 10 or 12.5"):
        return
    v.check(
        MIN_DISCOUNT <= percent <= MAX_DISCOUNT,
        field_path,
        f"a percentage from {MIN_DISCOUNT} (a markup) to {MAX_DISCOUNT}",
    )
    v.check(percent == round(percent, DECIMALS), field_path, f"at most {DECIMALS} decimals")
