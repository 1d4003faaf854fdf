"""What a valid price rule is: the violations name the field to fix."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.pricing import breaks, price_list, rule

from wholesale.server.domain.price_rule import (
    BreakMode,
    QuantityLevel,
    QuantityLimits,
    validate_rule,
)
from wholesale.server.errors import Validator

LIST = price_list()


def violations(found, has_parent: bool = True) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    v = Validator("rules[3]")
    validate_rule(v, found, has_parent)
    return [(x.field, x.description) for x in v.violations]


def test_a_graduated_rule_at_order_level_is_refused() -> None:
    found = rule(
        LIST,
        sku="A",
        fixed="10.00",
        steps=breaks((5, "9.00")),
        mode=BreakMode.GRADUATED,
        level=QuantityLevel.ORDER,
    )
    assert violations(found) == [
        (
            "rules[3].quantity_level",
            "graduated bands count the line's own quantity: use LINE or VOLUME breaks",
        )
    ]


def test_category_level_needs_a_category_rule() -> None:
    found = rule(
        LIST, sku="A", fixed="10.00", steps=breaks((5, "9.00")), level=QuantityLevel.CATEGORY
    )
    assert [f for f, _ in violations(found)] == ["rules[3].quantity_level"]


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        (breaks((5, "11.00")), "rules[3].breaks[0].unit_price"),
        (breaks((5, "9.00"), (10, "9.50")), "rules[3].breaks[1].unit_price"),
        (breaks((5, "9.00"), (5, "8.00")), "rules[3].breaks[1].min_quantity"),
        (breaks((1, "9.00")), "rules[3].breaks[0].min_quantity"),
        (breaks((5, "9.00"), (10, "5%")), "rules[3].breaks"),
    ],
)
def test_breaks_must_lower_the_price_as_quantity_rises(steps, field: str) -> None:  # type: ignore[no-untyped-def]
    assert [f for f, _ in violations(rule(LIST, sku="A", fixed="10.00", steps=steps))] == [field]


def test_discount_breaks_must_grow() -> None:
    found = rule(LIST, sku="A", catalog_discount="10", steps=breaks((5, "5%")))
    assert [f for f, _ in violations(found)] == ["rules[3].breaks[0].discount"]


def test_unit_price_breaks_need_a_fixed_base() -> None:
    found = rule(LIST, sku="A", catalog_discount="10", steps=breaks((5, "5.00")))
    assert violations(found) == [
        ("rules[3].breaks", "unit-price breaks need a fixed base price: give breaks as discounts")
    ]


def test_parent_discount_needs_a_parent() -> None:
    found = rule(LIST, sku="A", parent_discount="10")
    assert violations(found, has_parent=False) == [
        ("rules[3].parent_discount", "the list has no parent list")
    ]


@pytest.mark.parametrize("percent", ["100.5", "-901", "10.12345", "NaN"])
def test_discounts_out_of_range_or_too_precise(percent: str) -> None:
    found = rule(LIST, sku="A", catalog_discount="0")
    found = type(found)(**{**found.__dict__, "discount": Decimal(percent)})
    assert [f for f, _ in violations(found)] == ["rules[3].catalog_discount"]


def test_limits_maximum_below_minimum() -> None:
    found = rule(LIST, sku="A", fixed="1.00", limits=QuantityLimits(minimum=10, maximum=5))
    assert violations(found) == [("rules[3].limits.maximum", "must not be below minimum")]


def test_a_valid_rule_has_no_violations() -> None:
    found = rule(
        LIST,
        category="beverages",
        catalog_discount="5",
        steps=breaks((10, "7.5%"), (50, "10%")),
        level=QuantityLevel.CATEGORY,
    )
    assert violations(found) == []


@pytest.mark.parametrize("price", ["1000000000.01", "99999999999999"])
def test_prices_beyond_the_largest_amount_are_refused(price: str) -> None:
    found = rule(LIST, sku="A", fixed=price, steps=breaks((5, price)))
    fields = [f for f, _ in violations(found)]
    assert "rules[3].fixed_price" in fields and "rules[3].breaks[0].unit_price" in fields
