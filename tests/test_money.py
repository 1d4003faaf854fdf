"""Money rules without a server: exact conversions and the one rounding rule."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholesale.server.domain.currency import MINOR_UNITS, is_currency, minor_units
from wholesale.server.domain.discount import describe, discounted
from wholesale.server.domain.money import (
    Money,
    decimal_from_units_nanos,
    round_to_minor_unit,
    units_nanos_from_decimal,
)

amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=9, allow_nan=False
)
micros_amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False
)


@given(amounts)
def test_units_nanos_round_trip_is_exact(amount: Decimal) -> None:
    units, nanos = units_nanos_from_decimal(amount)
    assert decimal_from_units_nanos(units, nanos) == amount
    # google.type.Money: nanos in (-1e9, 1e9) with the sign of units.
    assert -999_999_999 <= nanos <= 999_999_999
    assert units == 0 or nanos == 0 or (units > 0) == (nanos > 0)


@given(micros_amounts)
def test_micros_round_trip_is_exact(amount: Decimal) -> None:
    money = Money(amount, "EUR")
    assert Money.from_micros(money.to_micros(), "EUR").amount == amount


def test_sub_micro_amounts_are_refused_not_rounded() -> None:
    with pytest.raises(ValueError):
        Money(Decimal("0.0000001"), "EUR").to_micros()


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.345", "EUR", "2.35"),
        ("2.344", "EUR", "2.34"),
        ("-2.345", "EUR", "-2.35"),
        ("2.5", "JPY", "3"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(amount: str, currency: str, rounded: str) -> None:
    assert round_to_minor_unit(Decimal(amount), currency) == Decimal(rounded)


@given(micros_amounts, st.sampled_from(sorted(MINOR_UNITS)))
def test_rounding_is_idempotent_and_within_half_a_minor_unit(amount, currency) -> None:
    once = round_to_minor_unit(amount, currency)
    assert round_to_minor_unit(once, currency) == once
    assert abs(once - amount) <= Decimal(1).scaleb(-minor_units(currency)) / 2


def test_currency_table_knows_common_and_odd_codes() -> None:
    assert is_currency("EUR") and minor_units("EUR") == 2
    assert minor_units("JPY") == 0 and minor_units("BHD") == 3
    assert not is_currency("eur") and not is_currency("XXY") and not is_currency("")


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.decimals(min_value=-900, max_value=100, places=4, allow_nan=False),
    st.sampled_from([1, 100, 10_000, 50_000, 1_000_000]),
)
def test_a_percentage_off_is_the_exact_amount_rounded_half_up_once(
    micros: int, percent: Decimal, step: int
) -> None:
    exact = Decimal(micros) * (100 - percent) / 100 / step
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step
    assert discounted(micros, percent, step) == expected


def test_ten_percent_off_175_56_is_158_00_for_any_quantity() -> None:
    unit = discounted(175_560_000, Decimal(10), 10_000)
    assert unit == 158_000_000
    assert unit * 1000 == 158_000_000_000


def test_a_percentage_is_described_as_the_change_of_price_it_makes() -> None:
    assert [describe(Decimal(p)) for p in ("10", "-5", "0", "-0", "12.50")] == [
        "-10%",
        "+5%",
        "±0%",
        "±0%",
        "-12.5%",
    ]
