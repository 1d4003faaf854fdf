"""The import's plain path (``plain_lines``: every rule as a plain condition, no messages)
against the full validation it stands in for, and the content hash every stored order was
written with. No server: the rows these lead to are tested in test_import_orders.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wholesale.server.domain.money import MAX_MICROS
from wholesale.server.domain.order import (
    MAX_QUANTITY,
    OrderInput,
    OrderLineInput,
    content_hash,
    line_total_micros,
    plain_lines,
    validate_order,
)
from wholesale.server.errors import Validator

PRODUCTS = {"SKU-A": 11, "SKU-B": 12}
# A plain order's values, then values on and around every boundary the rules draw; each
# example breaks a few of them (none, one or several) at random.
ORDER_VALUES = {
    "external_id": ["SO-1", "", "SO 1", "SO\t1", "SO\x001", "x" * 100, "x" * 101, "SÖ-1"],
    "account_id": ["", "7"],
    "account_external_id": ["ACC-7", ""],
    "order_day": [20_000, None],
    "status": [2, 1, 4, 0, 9],
    "channel": [1, 3, 0, 9],
    "currency_code": ["", "EUR", "JPY", "EURO"],
}
LINE_VALUES = {
    "sku": ["SKU-A", "SKU-B", "SKU-NEW", ""],
    "quantity": [3, 1, MAX_QUANTITY, 0, -1, MAX_QUANTITY + 1],
    "unit_price_micros": [335_000, 0, MAX_MICROS, None, -1, MAX_MICROS + 1],
    "stated_total_micros": [None, 1_010_000, 1_005_000, 0],
    "price_currency": ["", "EUR", "JPY"],
}


def _values(draw: st.DrawFn, choices: dict[str, list]) -> dict:
    broken = draw(st.sets(st.sampled_from(sorted(choices)), max_size=3))
    return {
        name: draw(st.sampled_from(values)) if name in broken else values[0]
        for name, values in choices.items()
    }


@st.composite
def orders(draw: st.DrawFn) -> OrderInput:
    count = draw(st.sampled_from([1, 1, 2, 3, 0]))
    lines = tuple(OrderLineInput(**_values(draw, LINE_VALUES)) for _ in range(count))
    return OrderInput(**_values(draw, ORDER_VALUES), lines=lines)


def _full_check(order: OrderInput, currency: str) -> list[str]:
    """What the full path reports: validate_order and the catalog check."""
    v = Validator()
    validate_order(v, order, currency)
    unknown = [i for i, line in enumerate(order.lines) if line.sku and line.sku not in PRODUCTS]
    return [violation.field for violation in v.violations] + [f"lines[{i}].sku" for i in unknown]


@settings(max_examples=1000)
@given(orders(), st.sampled_from(["EUR", "EUR", "JPY", "XXX-NOT-A-CODE"]))
def test_the_plain_path_takes_only_orders_the_full_check_accepts(order, currency) -> None:
    lines = plain_lines(order, currency, PRODUCTS)
    if lines is None:
        return
    assert _full_check(order, currency) == []
    assert lines == tuple(
        (
            PRODUCTS[line.sku],
            line.quantity,
            line.unit_price_micros,
            line_total_micros(line.quantity, line.unit_price_micros or 0, currency),
        )
        for line in order.lines
    )


def test_a_plain_order_takes_the_plain_path() -> None:
    order = OrderInput(
        "SO-1",
        "",
        "ACC-7",
        20_000,
        2,
        1,
        "",
        (OrderLineInput("SKU-A", 3, 335_000, 1_010_000, "EUR"), OrderLineInput("SKU-B", 1, 0)),
    )
    assert plain_lines(order, "EUR", PRODUCTS) == ((11, 3, 335_000, 1_010_000), (12, 1, 0, 0))


def test_the_content_hash_is_the_one_stored_orders_were_written_with() -> None:
    """Re-importing orders stored by earlier releases finds them UNCHANGED only while the
    digest stays the same: this is the value those releases stored."""
    order = OrderInput(
        "SO-1", "7", "", 20_000, 2, 1, "", (OrderLineInput("SKU-A", 3, 335_000, None, "EUR"),)
    )
    assert content_hash(order, 7, "EUR") == "c4f0a105fa576d981e4df20c029cdf89"
