"""The CSV layout of a price-rule import: one row per rule of one price list.

::

    sku,category,fixed_price,catalog_discount,parent_discount,breaks,mode,level,min,increment,max,start,end,external_id
    APPLE-1L,,1.80,,,10:1.70;50:1.60,volume,line,,6,,2026-01-01,,R-1
    ,beverages,,10,,48:15%,volume,category,,,,,,R-2

The target is ``sku`` or ``category`` (both empty: every product); the basis exactly one of
``fixed_price`` (an amount), ``catalog_discount`` or ``parent_discount`` (percentages such
as 12.5). Breaks are ``quantity:price`` pairs separated by ``;``, a price being an amount
(``10:9.90``) or a percentage (``10:5%``). Moments are days (``2026-01-01``, midnight UTC)
or ISO times (``2026-01-01T06:00:00+01:00``; without an offset, UTC). Every column but a
basis one may be left out of the header; a column the layout does not have is ignored.

A row that cannot be read is rejected here with its line number and the reason, which
names the column first ("breaks: '10-9.90' is not quantity:price"), so the rest of the
file is sent as it is; rows that would replace the same rule as an earlier row of the
file are rejected too, since the server refuses a batch in which two rules do.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from google.type.decimal_pb2 import Decimal as DecimalMessage

from wholesale.client.money import plain_decimal, to_money
from wholesale.client.order_csv import ERROR_COLUMN, LayoutError, UnreadableFile, listed
from wholesale.v1 import pricing_pb2
from wholesale.v1.pricing_pb2 import PriceRule, QuantityBreak, QuantityLimits

TARGET_COLUMNS = ("sku", "category")
BASIS_COLUMNS = ("fixed_price", "catalog_discount", "parent_discount")
LIMIT_COLUMNS = ("min", "increment", "max")
COLUMNS = (
    *TARGET_COLUMNS,
    *BASIS_COLUMNS,
    "breaks",
    "mode",
    "level",
    *LIMIT_COLUMNS,
    "start",
    "end",
    "external_id",
)
DELIMITERS = (",", ";", "\t")
MODES = {"volume": pricing_pb2.BREAK_MODE_VOLUME, "graduated": pricing_pb2.BREAK_MODE_GRADUATED}
LEVELS = {
    "line": pricing_pb2.QUANTITY_LEVEL_LINE,
    "product": pricing_pb2.QUANTITY_LEVEL_PRODUCT,
    "category": pricing_pb2.QUANTITY_LEVEL_CATEGORY,
    "order": pricing_pb2.QUANTITY_LEVEL_ORDER,
}
# The API's limits, checked here so that the row is named at once.
PRICE_DECIMALS = 6
QUANTITY_DIGITS = 18
# The server's field names inside a rule, as the file's columns.
COLUMN_OF_FIELD = {
    "fixed_price": "fixed_price",
    "catalog_discount": "catalog_discount",
    "parent_discount": "parent_discount",
    "breaks": "breaks",
    "break_mode": "mode",
    "quantity_level": "level",
    "limits": "min/increment/max",
    "start_time": "start",
    "end_time": "end",
    "all_products": "sku/category",
}

Row = dict[str, Any]


@dataclass
class RuleRow:
    """One data row with its line number, and either its rule or why it was rejected (the
    reasons, each starting with its column)."""

    line: int
    row: Row
    rule: PriceRule | None = None
    error: str = ""


class PriceRuleCsv:
    """Reads a price-rule CSV as a stream of :class:`RuleRow`, the header checked first; the
    delimiter is told from the header (the one that finds the most columns of the layout)."""

    def __init__(self, lines: Iterable[str]) -> None:
        rest = iter(lines)
        first = next(rest, "")
        self.delimiter = max(DELIMITERS, key=lambda d: len(_known(_split(first, d))))
        try:
            self._reader = csv.DictReader(_chain(first, rest), delimiter=self.delimiter)
            names = self._reader.fieldnames
        except csv.Error as exc:
            raise UnreadableFile(f"line 1 cannot be read as CSV ({exc})") from exc
        self.columns = _checked_header(names)
        self._reader.fieldnames = self.columns
        self.ignored = [c for c in self.columns if c not in (*COLUMNS, ERROR_COLUMN)]
        self._seen: dict[tuple[str, ...], int] = {}

    def rows(self) -> Iterator[RuleRow]:
        """Every row that is not blank, numbered by the line it ends on; a quote left open
        stops the import at the line where the csv module gave up."""
        try:
            end = self._reader.line_num
            for row in self._reader:
                start, end = end + 1, self._reader.line_num
                if any((value or "").strip() for value in row.values() if isinstance(value, str)):
                    yield self._parsed(RuleRow(end, row), start)
        except csv.Error as exc:
            line = self._reader.line_num
            raise UnreadableFile(f"line {line} cannot be read as CSV ({exc})") from exc

    def _parsed(self, item: RuleRow, start: int) -> RuleRow:
        if None in item.row:
            item.error = "row: more fields than the header has columns"
            return item
        if any("\n" in value for value in item.row.values() if isinstance(value, str)):
            # No column holds text of several lines: a quote opened and never closed made
            # the csv module read the lines after it into one value.
            item.error = (
                f"row: a quote on line {start} is not closed, so lines {start} to {item.line} "
                "were read as one value"
            )
            return item
        rule, problems = parse_rule(item.row)
        if rule is not None:
            repeated = self._repeat(rule, item.line)
            problems = [repeated] if repeated else []
        if problems:
            item.error = "; ".join(problems)
        else:
            item.rule = rule
        return item

    def _repeat(self, rule: PriceRule, line: int) -> str:
        """Rows that would replace the same stored rule: by external_id, or by target and
        start for rows without one (the server's matching)."""
        key = ("id", rule.external_id) if rule.external_id else _target_key(rule)
        first = self._seen.setdefault(key, line)
        if first == line:
            return ""
        what = "external_id" if rule.external_id else "sku/category and start"
        return f"{what}: the same rule as line {first}"


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _known(names: Sequence[str]) -> list[str]:
    return [name.strip() for name in names if name.strip() in COLUMNS]


def _checked_header(names: Sequence[str] | None) -> list[str]:
    if not names:
        raise LayoutError("the file is empty: its first line must be the header")
    columns = [name.strip() for name in names]
    if not any(column in BASIS_COLUMNS for column in columns):
        found = listed(columns, 10)
        raise LayoutError(
            f"no basis column: the header needs one of {', '.join(BASIS_COLUMNS)}; found {found}"
        )
    repeated = [c for c in COLUMNS if columns.count(c) > 1]
    if repeated:
        raise LayoutError(f"column {repeated[0]} appears twice")
    return columns


def _target_key(rule: PriceRule) -> tuple[str, ...]:
    target = rule.WhichOneof("target") or ""
    start = rule.start_time.ToJsonString() if rule.HasField("start_time") else ""
    return (target, str(getattr(rule, target)), start)


def _text(row: Row, column: str) -> str:
    return (row.get(column) or "").strip()


def parse_rule(row: Row) -> tuple[PriceRule | None, list[str]]:
    """The rule of a row, or every problem found in it, each starting with its column."""
    rule = PriceRule(external_id=_text(row, "external_id"))
    problems = [
        problem
        for problem in (
            _target(rule, row),
            _basis(rule, row),
            _breaks(rule, _text(row, "breaks")),
            _choice(rule, row, "mode", "break_mode", MODES),
            _choice(rule, row, "level", "quantity_level", LEVELS),
            _limits(rule, row),
            _moment(rule, row, "start", "start_time"),
            _moment(rule, row, "end", "end_time"),
        )
        if problem
    ]
    return (None, problems) if problems else (rule, [])


def _target(rule: PriceRule, row: Row) -> str:
    sku, category = _text(row, "sku"), _text(row, "category")
    if sku and category:
        return "sku/category: give one of them (both empty: every product)"
    if sku:
        rule.sku = sku
    elif category:
        rule.category = category
    else:
        rule.all_products = True
    return ""


def _basis(rule: PriceRule, row: Row) -> str:
    given = [column for column in BASIS_COLUMNS if _text(row, column)]
    if len(given) != 1:
        found = f"{', '.join(given)} are all set" if given else "all are empty"
        return f"{'/'.join(BASIS_COLUMNS)}: give exactly one ({found})"
    column = given[0]
    text = _text(row, column)
    if column == "fixed_price":
        price, problem = _amount(column, text)
        if price is not None:
            rule.fixed_price.CopyFrom(to_money(price))
        return problem
    percent, problem = _percent(column, text)
    if percent is not None:
        getattr(rule, column).CopyFrom(percent)
    return problem


def _amount(column: str, text: str) -> tuple[Decimal | None, str]:
    amount = plain_decimal(text)
    if amount is None or amount < 0:
        return None, f"{column}: {text!r} is not an amount such as 12.50"
    if -int(amount.normalize().as_tuple().exponent) > PRICE_DECIMALS:
        return None, f"{column}: {text!r} has more than {PRICE_DECIMALS} decimals"
    try:
        to_money(amount)
    except ValueError:
        return None, f"{column}: {text!r} is out of range"
    return amount, ""


def _percent(column: str, text: str) -> tuple[DecimalMessage | None, str]:
    number = plain_decimal(text.removesuffix("%").strip())
    if number is None:
        return None, f"{column}: {text!r} is not a percentage such as 12.5"
    return DecimalMessage(value=f"{number:f}"), ""


def _breaks(rule: PriceRule, text: str) -> str:
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        quantity_text, colon, price_text = part.partition(":")
        quantity = _whole(quantity_text.strip())
        if not colon or quantity is None:
            return f"breaks: {part!r} is not quantity:price (10:9.90 or 10:5%)"
        brk, problem = _break(quantity, price_text.strip())
        if problem:
            return f"breaks: {part!r}: {problem}"
        rule.breaks.append(brk)
    return ""


def _break(quantity: int, price_text: str) -> tuple[QuantityBreak, str]:
    brk = QuantityBreak(min_quantity=quantity)
    if price_text.endswith("%"):
        percent, problem = _percent("price", price_text)
        if percent is not None:
            brk.discount.CopyFrom(percent)
        return brk, problem
    amount, problem = _amount("price", price_text)
    if amount is not None:
        brk.unit_price.CopyFrom(to_money(amount))
    return brk, problem


def _choice(rule: PriceRule, row: Row, column: str, name: str, choices: Mapping[str, int]) -> str:
    text = _text(row, column).lower()
    if not text:
        return ""
    if text not in choices:
        return f"{column}: {_text(row, column)!r} is not one of {', '.join(choices)}"
    setattr(rule, name, choices[text])
    return ""


def _whole(text: str) -> int | None:
    number = plain_decimal(text)
    if (
        number is None
        or number != number.to_integral_value()
        or number.adjusted() >= QUANTITY_DIGITS
    ):
        return None
    return int(number)


def _limits(rule: PriceRule, row: Row) -> str:
    values = {}
    for column, name in zip(LIMIT_COLUMNS, ("minimum", "increment", "maximum"), strict=True):
        text = _text(row, column)
        if not text:
            continue
        number = _whole(text)
        if number is None or number < 0:
            return f"{column}: {text!r} is not a whole number of at least 0"
        values[name] = number
    if values:
        rule.limits.CopyFrom(QuantityLimits(**values))
    return ""


def parse_moment(text: str) -> dt.datetime:
    """A day (midnight UTC) or an ISO time (UTC when it names no offset), in UTC;
    ValueError saying what is wrong else."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a day (2026-01-01) or a time (2026-01-01T06:00, UTC unless it "
            "has an offset)"
        ) from None
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None


def _moment(rule: PriceRule, row: Row, column: str, name: str) -> str:
    text = _text(row, column)
    if not text:
        return ""
    try:
        moment = parse_moment(text)
    except ValueError as error:
        return f"{column}: {error}"
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    getattr(rule, name).CopyFrom(stamp)
    return ""


def server_error(field: str, description: str) -> str:
    """A violation the server named by a rule's path ("rules[3].breaks[1].min_quantity"),
    with the path inside the rule told by the file's column."""
    inner = field.partition("].")[2] or field
    head = inner.split(".")[0].split("[")[0]
    column = COLUMN_OF_FIELD.get(head, head)
    return f"{column}: {description}"
