"""Exact conversion between :class:`decimal.Decimal` and ``google.type.Money``.

Money travels as whole ``units`` plus ``nanos`` (billionths) with the same sign; going
through ``float`` would lose cents, so everything here stays in integers and decimals.
:func:`money_text` shows an amount as people read it: with its currency's minor-unit
decimals (EUR 2000.00, JPY 1500, KWD 1.250), finer ones only when it has them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from google.type.money_pb2 import Money

NANOS_PER_UNIT = 10**9
MAX_UNITS = 2**63 - 1  # Money.units is an int64
MoneyLike = Decimal | str | int
# ISO 4217 minor-unit digits of the currencies that do not have two (cents); every other
# code, and an unset one, has two.
_DECIMALS_OF = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
MINOR_UNITS: dict[str, int] = {
    code: digits for digits, codes in _DECIMALS_OF.items() for code in codes.split()
}
DEFAULT_MINOR_UNITS = 2
# How people and ERPs write an amount: digits with at most one point, perhaps a leading
# minus. Decimal() also takes "1e3", "+5", " 5 " and "1_000", which in a file or on a
# command line are more likely a spreadsheet's mangling or a typo than meant.
_PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


def to_money(amount: MoneyLike, currency_code: str = "", *, name: str = "") -> Money:
    """Returns ``amount`` as Money; raises ValueError if it is not a finite number with at
    most nine decimal places, because anything finer cannot be represented exactly, or if
    its whole units do not fit Money's int64 (about 9.2e18). A float raises TypeError even
    when it looks harmless: 0.1 + 0.2 is not 0.3, and 1.5 may be a price typed as a float
    that only a Decimal or a string says exactly. ``name`` (the argument or field) starts
    each message, so the caller of a method taking several amounts knows which was wrong."""
    what = f"{name}: " if name else ""
    if isinstance(amount, float):
        raise TypeError(
            f"{what}{amount!r} is a float, which cannot hold amounts exactly: "
            'pass a Decimal or a str such as "12.50"'
        )
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"{what}not a decimal amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"{what}not a finite amount: {amount!r}")
    negative, digits, exponent = value.as_tuple()
    # Drop trailing zeros first so neither 1.000...0 nor 1E+999999 costs a huge integer.
    significant = "".join(map(str, digits)).rstrip("0")
    exponent = int(exponent) + len(digits) - len(significant)
    coefficient = int(significant or "0")
    if coefficient and exponent < -9:
        raise ValueError(f"{what}more than 9 decimal places: {amount!r}")
    too_large = f"{what}out of range, more than {MAX_UNITS} whole units: {amount!r}"
    if coefficient and len(significant) + exponent > len(str(MAX_UNITS)):
        raise ValueError(too_large)
    total_nanos = coefficient * 10 ** (exponent + 9) if coefficient else 0
    units, nanos = divmod(total_nanos, NANOS_PER_UNIT)
    if units > MAX_UNITS:
        raise ValueError(too_large)
    sign = -1 if negative else 1
    return Money(currency_code=currency_code, units=sign * units, nanos=sign * nanos)


def plain_decimal(text: str) -> Decimal | None:
    """The number ``text`` writes in plain decimal notation (``12``, ``-0.5``, ``12.000``);
    None for anything else, scientific notation, signs other than a leading minus and
    surrounding spaces included."""
    return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else None


def from_money(money: Money) -> Decimal:
    """Returns the exact amount without trailing zeros (``units=12, nanos=500000000`` is 12.5)."""
    sign = "-" if money.units < 0 or money.nanos < 0 else ""
    fraction = f"{abs(money.nanos):09d}".rstrip("0")
    whole = f"{sign}{abs(money.units)}"
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


def minor_units(currency_code: str) -> int:
    """Decimals of the currency's minor unit: 0 for JPY, 3 for KWD, 2 for EUR and any
    other code (also an unknown or empty one)."""
    return MINOR_UNITS.get(currency_code.upper(), DEFAULT_MINOR_UNITS)


def amount_text(amount: Decimal, currency_code: str = "") -> str:
    """``amount`` with at least the currency's minor-unit decimals (EUR 2000 is "2000.00",
    JPY 1500 is "1500"), and more only when it really has them (a unit price of 1.2345)."""
    exponent = -minor_units(currency_code)
    if int(amount.as_tuple().exponent) > exponent:
        amount = amount.quantize(Decimal(1).scaleb(exponent))
    return f"{amount:f}"


def money_text(money: Money) -> str:
    """Money as :func:`amount_text` shows it, in its own currency."""
    return amount_text(from_money(money), money.currency_code)
