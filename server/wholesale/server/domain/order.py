"""Orders from the ERP: the shape the domain works with and the rules that need no database.

Rules that need stored data (the account exists and is open, the SKU is in the catalog, the
currency is the account's) are checked by the order service against what it loaded.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from wholesale.server.domain.currency import is_currency
from wholesale.server.domain.money import (
    MAX_AMOUNT,
    MAX_MICROS,
    format_micros,
    minor_unit_step,
    round_micros_to_minor_unit,
    round_micros_to_step,
)
from wholesale.server.domain.text import MAX_EXTERNAL_ID, check_required_external_id
from wholesale.server.errors import Validator

MAX_LINES = 1000
MAX_QUANTITY = 10**9


class OrderStatus(enum.IntEnum):
    """Numbered as wholesale.v1.OrderStatus."""

    UNSPECIFIED = 0
    PLACED = 1
    FULFILLED = 2
    CANCELLED = 3
    RETURNED = 4


# Orders that count as buying: spend, cadence and top products are computed over these.
COUNTED_STATUSES = (OrderStatus.PLACED, OrderStatus.FULFILLED)


class OrderChannel(enum.IntEnum):
    """Numbered as wholesale.v1.OrderChannel."""

    UNSPECIFIED = 0
    ERP = 1
    PORTAL = 2
    SALES_REP = 3
    REORDER = 4


class OrderLineInput(NamedTuple):
    """Prices in integer micros, a tuple not a dataclass: an import handles millions."""

    sku: str
    quantity: int
    # None when the price had more than 6 decimals (reported as a violation).
    unit_price_micros: int | None
    # What the ERP says the line came to, if it said; must equal line_total_micros().
    stated_total_micros: int | None = None
    # The currency the price was sent in, if any; must be the order's.
    price_currency: str = ""


class OrderInput(NamedTuple):
    """An order as the ERP sends it. ``order_day`` is None when the date was missing or
    impossible (the converter reports which)."""

    external_id: str
    account_id: str
    account_external_id: str
    order_day: int | None
    status: int
    channel: int
    currency_code: str
    lines: tuple[OrderLineInput, ...]

    def with_defaults(self) -> OrderInput:
        return self._replace(
            status=self.status or OrderStatus.PLACED,
            channel=self.channel or OrderChannel.ERP,
        )


def line_total_micros(quantity: int, unit_price_micros: int, currency: str) -> int:
    """The one rounding rule: each line is rounded half-up to the currency's minor unit."""
    return round_micros_to_minor_unit(quantity * unit_price_micros, currency)


def content_hash(order: OrderInput, account_id: int, currency: str) -> str:
    """A digest of everything stored for the order; equal digests mean nothing to write."""
    parts = [
        order.external_id,
        str(account_id),
        str(order.order_day),
        str(int(order.status)),
        str(int(order.channel)),
        currency,
    ]
    parts += [f"{line.sku}|{line.quantity}|{line.unit_price_micros}" for line in order.lines]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


_STATUS_RULE = f"must be one of {', '.join(s.name for s in OrderStatus if s.value)}"
_CHANNEL_RULE = f"must be one of {', '.join(c.name for c in OrderChannel if c.value)}"


def _line_is_plainly_valid(line: OrderLineInput, currency: str) -> bool:
    """The common case, checked without building any message (imports are hot loops)."""
    price = line.unit_price_micros
    return (
        bool(line.sku)
        and 0 < line.quantity <= MAX_QUANTITY
        and price is not None
        and 0 <= price <= MAX_MICROS
        and line.price_currency in ("", currency)
        and (
            line.stated_total_micros is None
            or line.stated_total_micros == line_total_micros(line.quantity, price, currency)
        )
    )


def _validate_line(v: Validator, line: OrderLineInput, currency: str) -> None:
    v.check(bool(line.sku), "sku", "required")
    v.check(
        0 < line.quantity <= MAX_QUANTITY, "quantity", f"must be between 1 and {MAX_QUANTITY:,}"
    )
    price = line.unit_price_micros
    if price is None:
        v.add("unit_price", "at most 6 decimals")
        return
    price_ok = (
        v.check(price >= 0, "unit_price", "must not be negative")
        and v.check(price <= MAX_MICROS, "unit_price", f"must not exceed {MAX_AMOUNT:,}")
        and v.check(
            line.price_currency in ("", currency),
            "unit_price",
            f"is in {line.price_currency} but the order is in {currency}",
        )
    )
    if price_ok and line.stated_total_micros is not None and is_currency(currency):
        expected = line_total_micros(line.quantity, price, currency)
        v.check(
            line.stated_total_micros == expected,
            "line_total",
            f"is {format_micros(line.stated_total_micros, currency)} but "
            f"quantity x unit_price rounds to {format_micros(expected, currency)}",
        )


def validate_order(v: Validator, order: OrderInput, currency: str) -> None:
    """Checks what needs no stored data; ``currency`` is the currency the lines are in."""
    check_required_external_id(v, "external_id", order.external_id, "order number")
    v.check(
        bool(order.account_id) != bool(order.account_external_id),
        "account_id",
        "give exactly one of account_id and account_external_id",
    )
    v.check(order.order_day is not None, "order_date", "required: a valid calendar date")
    v.check(order.status in OrderStatus._value2member_map_, "status", _STATUS_RULE)
    v.check(order.channel in OrderChannel._value2member_map_, "channel", _CHANNEL_RULE)
    if order.currency_code:
        v.check(is_currency(order.currency_code), "currency_code", "must be an ISO 4217 code")
    if not v.check(0 < len(order.lines) <= MAX_LINES, "lines", f"1 to {MAX_LINES} lines"):
        return
    if not is_currency(currency):
        return
    lines_ok = True
    for index, line in enumerate(order.lines):
        if not _line_is_plainly_valid(line, currency):
            lines_ok = False
            _validate_line(v.nested(f"lines[{index}]"), line, currency)
    if lines_ok:
        total = sum(line.quantity * (line.unit_price_micros or 0) for line in order.lines)
        v.check(total <= MAX_MICROS, "lines", f"the order total must not exceed {MAX_AMOUNT:,}")


def _is_plain_token(value: str) -> bool:
    """An ERP id that :func:`check_required_external_id` surely accepts: printable ASCII
    without spaces (any other text gets the full check)."""
    return (
        0 < len(value) <= MAX_EXTERNAL_ID
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )


def plain_lines(
    order: OrderInput, currency: str, products: dict[str, int]
) -> tuple[tuple[int, int, int, int], ...] | None:
    """The stored lines (product_id, qty, price, total) of an order that surely passes
    :func:`validate_order` and the catalog check, found in one pass without building any
    message; None when anything needs the full check, which then says what is wrong.

    An import spends most of its Python time here, so this is the one place where the rules
    are written a second time, as plain conditions; a test compares both on every rule."""
    step = minor_unit_step(currency) if is_currency(currency) else 0
    if not (
        step
        and _is_plain_token(order.external_id)
        and bool(order.account_id) != bool(order.account_external_id)
        and order.order_day is not None
        and order.status in OrderStatus._value2member_map_
        and order.channel in OrderChannel._value2member_map_
        and order.currency_code in ("", currency)
        and 0 < len(order.lines) <= MAX_LINES
    ):
        return None
    lines = []
    order_total = 0
    for sku, quantity, price, stated, price_currency in order.lines:
        product = products.get(sku)
        if (
            product is None
            or not 0 < quantity <= MAX_QUANTITY
            or price is None
            or not 0 <= price <= MAX_MICROS
            or price_currency not in ("", currency)
        ):
            return None
        exact = quantity * price
        total = round_micros_to_step(exact, step)
        if stated is not None and stated != total:
            return None
        order_total += exact
        lines.append((product, quantity, price, total))
    return tuple(lines) if order_total <= MAX_MICROS else None


# ---- orders as recorded -------------------------------------------------------------


@dataclass(frozen=True)
class AccountRef:
    """What recording an order needs to know about its account."""

    id: int
    external_id: str
    currency_code: str
    closed: bool


@dataclass(frozen=True)
class StoredOrderKey:
    id: int
    account_id: int
    content_hash: str


class OrderRow(NamedTuple):
    """An order ready to store: money in micros, lines as (product_id, qty, price, total).
    A tuple, not a dataclass: an import builds one per order."""

    external_id: str
    account_id: int
    order_day: int
    status: int
    channel: int
    currency_code: str
    lines: tuple[tuple[int, int, int, int], ...]
    content_hash: str

    @property
    def total_micros(self) -> int:
        return sum(line[3] for line in self.lines)


@dataclass(frozen=True)
class StoredLine:
    sku: str
    quantity: int
    unit_price_micros: int
    line_total_micros: int


@dataclass(frozen=True)
class StoredOrder:
    id: int
    external_id: str
    account_id: int
    account_external_id: str
    order_day: int
    status: int
    channel: int
    currency_code: str
    total_micros: int
    create_time_us: int
    update_time_us: int
    lines: tuple[StoredLine, ...]
