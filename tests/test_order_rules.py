"""Order rules without a server: the line rounding rule and per-order validation."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholesale.server.domain.currency import MINOR_UNITS
from wholesale.server.domain.money import (
    Money,
    micros_from_units_nanos,
    round_micros_to_minor_unit,
    round_to_minor_unit,
)
from wholesale.server.domain.order import (
    OrderInput,
    OrderLineInput,
    content_hash,
    line_total_micros,
    validate_order,
)
from wholesale.server.errors import Validator

currencies = st.sampled_from(sorted(MINOR_UNITS))
micros = st.integers(min_value=-(10**15), max_value=10**15)


@given(micros, currencies)
def test_integer_rounding_matches_the_decimal_rule(amount: int, currency: str) -> None:
    as_decimal = Money.from_micros(amount, currency).amount
    expected = Money(round_to_minor_unit(as_decimal, currency), currency).to_micros()
    assert round_micros_to_minor_unit(amount, currency) == expected


@given(st.integers(1, 10**6), st.integers(0, 10**9), currencies)
def test_line_total_is_quantity_times_price_rounded_half_up(qty, price, currency) -> None:
    exact = Money.from_micros(price, currency).amount * qty
    total = Money.from_micros(line_total_micros(qty, price, currency), currency).amount
    assert total == round_to_minor_unit(exact, currency)


def test_half_a_cent_rounds_up() -> None:
    assert line_total_micros(3, 335_000, "EUR") == 1_010_000  # 1.005 -> 1.01
    assert line_total_micros(1, 2_500_000, "JPY") == 3_000_000  # 2.5 -> 3


@pytest.mark.parametrize(
    ("units", "nanos", "expected"),
    [(1, 500_000_000, 1_500_000), (0, 1_000, 1), (0, 1, None), (-2, -250_000_000, -2_250_000)],
)
def test_wire_money_to_micros(units: int, nanos: int, expected: int | None) -> None:
    assert micros_from_units_nanos(units, nanos) == expected


def _order(**overrides) -> OrderInput:
    values = dict(
        external_id="SO-1",
        account_id="7",
        account_external_id="",
        order_day=20_000,
        status=1,
        channel=1,
        currency_code="",
        lines=(OrderLineInput("SKU-1", 2, 1_500_000),),
    )
    values.update(overrides)
    return OrderInput(**values)


def _violations(order: OrderInput) -> dict[str, str]:
    v = Validator()
    validate_order(v, order, "EUR")
    return {violation.field: violation.description for violation in v.violations}


def test_a_plain_order_is_valid() -> None:
    assert _violations(_order()) == {}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"external_id": ""}, "external_id"),
        ({"external_id": "SO 1"}, "external_id"),
        ({"account_id": ""}, "account_id"),
        ({"account_external_id": "ERP-1"}, "account_id"),
        ({"order_day": None}, "order_date"),
        ({"status": 9}, "status"),
        ({"channel": 9}, "channel"),
        ({"currency_code": "EURO"}, "currency_code"),
        ({"lines": ()}, "lines"),
        ({"lines": (OrderLineInput("", 1, 1),)}, "lines[0].sku"),
        ({"lines": (OrderLineInput("A", 0, 1),)}, "lines[0].quantity"),
        ({"lines": (OrderLineInput("A", 1, -1),)}, "lines[0].unit_price"),
        ({"lines": (OrderLineInput("A", 1, None),)}, "lines[0].unit_price"),
        ({"lines": (OrderLineInput("A", 1, 1, None, "USD"),)}, "lines[0].unit_price"),
        ({"lines": (OrderLineInput("A", 3, 335_000, 1_000_000),)}, "lines[0].line_total"),
    ],
)
def test_each_broken_rule_names_its_field(overrides: dict, field: str) -> None:
    assert field in _violations(_order(**overrides))


def test_a_stated_total_that_matches_is_accepted() -> None:
    assert _violations(_order(lines=(OrderLineInput("A", 3, 335_000, 1_010_000),))) == {}


def test_content_hash_changes_with_any_stored_value() -> None:
    base = content_hash(_order(), 7, "EUR")
    assert content_hash(_order(), 7, "EUR") == base
    changed = [
        _order(order_day=20_001),
        _order(status=2),
        _order(lines=(OrderLineInput("SKU-1", 3, 1_500_000),)),
        _order(lines=(OrderLineInput("SKU-1", 2, 1_500_001),)),
        _order(lines=(OrderLineInput("SKU-2", 2, 1_500_000),)),
    ]
    assert all(content_hash(order, 7, "EUR") != base for order in changed)
    assert content_hash(_order(), 8, "EUR") != base


def test_decimal_helper_agrees_with_the_wire_example() -> None:
    assert Decimal("1.01") == Money.from_micros(line_total_micros(3, 335_000, "EUR"), "EUR").amount
