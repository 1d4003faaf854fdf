"""Money as exact decimals: conversions between wire, database and Python.

The one rounding rule of the product lives here: amounts are rounded to the currency's
minor unit, half-up, per line. Unit prices may carry more precision, so the database keeps
every amount as an integer number of micros (millionths of the currency unit), which holds
any minor unit exactly and sorts and sums in SQL without floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from wholesale.server.domain.currency import minor_units

MICROS_PER_UNIT = 1_000_000
# The largest amount accepted anywhere (a price, a line or order total, a limit, an invoice):
# 10^15 micros, so the signed 64-bit sums SQL computes over an account's history hold more
# than 9,000 orders of this size before they could overflow.
MAX_AMOUNT = Decimal(10**9)
MAX_MICROS = 10**9 * MICROS_PER_UNIT
NANOS_PER_UNIT = 1_000_000_000
_MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")

    def to_micros(self) -> int:
        """The amount in micros; only exact amounts are accepted (no silent rounding)."""
        micros = self.amount * MICROS_PER_UNIT
        if micros != micros.to_integral_value():
            raise ValueError(f"{self.amount} has more than 6 decimals")
        return int(micros)

    @classmethod
    def from_micros(cls, micros: int, currency: str) -> Money:
        return cls((Decimal(micros) * _MICRO).normalize() + Decimal(0), currency)

    def has_minor_unit_precision(self) -> bool:
        """True when the amount needs no more decimals than the currency has."""
        return self.amount == round_to_minor_unit(self.amount, self.currency)


def round_to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit: 2.345 EUR -> 2.35, 2.5 JPY -> 3."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def decimal_from_units_nanos(units: int, nanos: int) -> Decimal:
    """google.type.Money's (units, nanos) pair as one exact Decimal."""
    return Decimal(units) + Decimal(nanos).scaleb(-9)


def units_nanos_from_decimal(amount: Decimal) -> tuple[int, int]:
    """The inverse of :func:`decimal_from_units_nanos`; both parts share the sign."""
    units = int(amount)  # truncates toward zero, as google.type.Money requires
    nanos = int((amount - units) * NANOS_PER_UNIT)
    return units, nanos


def micros_from_units_nanos(units: int, nanos: int) -> int | None:
    """google.type.Money's pair as integer micros; None if it needs more than 6 decimals.

    Integer arithmetic keeps bulk imports fast: no Decimal per order line."""
    if nanos % 1000:
        return None
    return units * MICROS_PER_UNIT + nanos // 1000


def minor_unit_step(currency: str) -> int:
    """Micros in one minor unit of ``currency`` (10,000 for EUR cents)."""
    return 10 ** (6 - minor_units(currency))


def round_micros_to_step(micros: int, step: int) -> int:
    """Integer micros rounded half-up, away from zero, to a multiple of ``step``: bulk
    imports look the step up once per order, not once per line."""
    return round_ratio_to_step(micros, 1, step)


def round_ratio_to_step(numerator: int, denominator: int, step: int) -> int:
    """The exact amount ``numerator / denominator`` micros (``denominator`` > 0; the result
    of a percentage, say) rounded half-up, away from zero, to a multiple of ``step``
    micros: the one rounding every computed price goes through, in integers because a
    quote rounds thousands of them."""
    quotient, remainder = divmod(abs(numerator), denominator * step)
    rounded = (quotient + (2 * remainder >= denominator * step)) * step
    return rounded if numerator >= 0 else -rounded


def round_micros_to_minor_unit(micros: int, currency: str) -> int:
    """:func:`round_to_minor_unit` on integer micros (half-up, away from zero)."""
    return round_micros_to_step(micros, minor_unit_step(currency))


def in_minor_units(micros: int, currency: str) -> bool:
    """Whether ``micros`` is a whole number of the currency's minor unit (cents for EUR,
    yen for JPY): what an invoice, a payment or a credit limit can be."""
    return micros % minor_unit_step(currency) == 0


def minor_units_rule(currency: str) -> str:
    """The rule :func:`in_minor_units` checks, as a field violation says it."""
    return f"{currency} amounts have at most {minor_units(currency)} decimals"


def plain_amount(micros: int, currency: str) -> str:
    """An amount without its currency, with the minor unit's decimals at least and any
    finer micros kept: "12.00", "0.0125", "1500" (JPY)."""
    digits = minor_units(currency)
    step = 10 ** (6 - digits)
    if micros % step == 0:  # the common case, in integers: explanations show many amounts
        units, fraction = divmod(abs(micros), MICROS_PER_UNIT)
        sign = "-" if micros < 0 else ""
        return f"{sign}{units}.{fraction // step:0{digits}d}" if digits else f"{sign}{units}"
    amount = Money.from_micros(micros, currency).amount
    return str(amount)


def format_micros(micros: int, currency: str) -> str:
    """For messages to people: "1234.50 EUR" (micros beyond the minor unit are kept)."""
    return f"{plain_amount(micros, currency)} {currency}"
