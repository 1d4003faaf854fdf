"""Exact conversion between :class:`decimal.Decimal` and ``google.type.Money``.

Money travels as whole ``units`` plus ``nanos`` (billionths) with the same sign; going
through ``float`` would lose cents, so everything here stays in integers and decimals.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from google.type.money_pb2 import Money

NANOS_PER_UNIT = 10**9
MoneyLike = Decimal | str | int


def to_money(amount: MoneyLike, currency_code: str = "") -> Money:
    """Returns ``amount`` as Money; raises ValueError if it is not a finite number with at
    most nine decimal places, because anything finer cannot be represented exactly."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    negative, digits, exponent = value.as_tuple()
    coefficient = int("".join(map(str, digits)))
    shift = int(exponent) + 9
    if shift < 0 and coefficient % 10**-shift:
        raise ValueError(f"more than 9 decimal places: {amount!r}")
    total_nanos = coefficient * 10**shift if shift >= 0 else coefficient // 10**-shift
    units, nanos = divmod(total_nanos, NANOS_PER_UNIT)
    sign = -1 if negative else 1
    return Money(currency_code=currency_code, units=sign * units, nanos=sign * nanos)


def from_money(money: Money) -> Decimal:
    """Returns the exact amount without trailing zeros (``units=12, nanos=500000000`` is 12.5)."""
    sign = "-" if money.units < 0 or money.nanos < 0 else ""
    fraction = f"{abs(money.nanos):09d}".rstrip("0")
    whole = f"{sign}{abs(money.units)}"
    return Decimal(f"{whole}.{fraction}" if fraction else whole)
