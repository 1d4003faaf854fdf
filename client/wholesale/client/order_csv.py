"""The CSV layout of an order import, and the file of rows it rejected.

One row per order line; consecutive rows with the same ``order_external_id`` form one
order, whose order-level columns (account, date, status, channel, currency) must agree::

    order_external_id,account_external_id,order_date,status,channel,currency,sku,quantity,unit_price
    SO-1001,ERP-7,2026-01-05,fulfilled,erp,EUR,APPLE-1L,12,1.85
    SO-1001,ERP-7,2026-01-05,fulfilled,erp,EUR,PEAR-1L,6,2.10

The file is read as a stream, one order at a time, so any size fits in constant memory.
A row that cannot be read (a missing column, a bad number or date, an unknown status)
rejects its order here, with the row's line number and the reason, and the import goes
on; the server judges everything else (unknown SKU or account, currency, ...).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from wholesale.client.money import to_money
from wholesale.client.orders import build_order
from wholesale.client.values import enum_value
from wholesale.v1 import order_pb2
from wholesale.v1.order_pb2 import Order, OrderLine
from wholesale.v1.order_service_pb2 import ImportOrderResult

ACCOUNT_COLUMNS = ("account_external_id", "account_id")
ORDER_COLUMNS = ("order_external_id", "order_date", "status", "channel", "currency")
LINE_COLUMNS = ("sku", "quantity", "unit_price")
OPTIONAL_COLUMNS = ("status", "channel", "currency")
# A rejects file can be corrected and imported as it is: its error column is ignored.
ERROR_COLUMN = "error"
KNOWN_COLUMNS = (*ORDER_COLUMNS, *ACCOUNT_COLUMNS, *LINE_COLUMNS, ERROR_COLUMN)
MAX_LINES = 1000
# The error of a row that was fine itself but shares an order with a rejected one.
NOT_IMPORTED = "not imported: line {} of the same order was rejected"
# The server's description of an order number repeated within one ImportOrders batch.
_REPEAT = re.compile(r"repeats the order at index (\d+) of this batch")
_EXTRA = "\0extra"  # DictReader's key for fields beyond the header
# The server's names for order fields, as the file's columns.
_COLUMN_OF_FIELD = {"external_id": "order_external_id", "currency_code": "currency"}
_ENUMS = {
    "status": (order_pb2.OrderStatus, "ORDER_STATUS_"),
    "channel": (order_pb2.OrderChannel, "ORDER_CHANNEL_"),
}

Row = dict[str, Any]


class LayoutError(ValueError):
    """The header does not follow the layout; nothing can be imported."""


def check_header(names: Sequence[str] | None) -> tuple[list[str], str]:
    """The header's column names (stripped) and the account column it uses."""
    if not names:
        raise LayoutError("the file is empty: its first line must be the header")
    columns = [name.strip() for name in names]
    accounts = [name for name in ACCOUNT_COLUMNS if name in columns]
    required = [name for name in (*ORDER_COLUMNS, *LINE_COLUMNS) if name not in OPTIONAL_COLUMNS]
    problems = [f"missing column {name}" for name in required if name not in columns]
    problems += [f"unknown column {name!r}" for name in columns if name not in KNOWN_COLUMNS]
    problems += [f"column {name} appears twice" for name in set(columns) if columns.count(name) > 1]
    if len(accounts) != 1:
        problems.append("the header needs exactly one of account_external_id and account_id")
    if problems:
        raise LayoutError("; ".join(sorted(problems)))
    return columns, accounts[0]


@dataclass
class OrderRows:
    """The rows of one order with their line numbers, and either the Order to send or,
    when a row could not be read, one error text per row."""

    external_id: str
    rows: list[Row]
    lines: list[int]
    order: Order | None = None
    errors: list[str] = field(default_factory=list)


class OrderCsv:
    """Reads an order CSV as a stream of :class:`OrderRows`, checking the header first."""

    def __init__(self, file: TextIO) -> None:
        self._reader = csv.DictReader(file, restkey=_EXTRA)
        self.columns, self.account_column = check_header(self._reader.fieldnames)
        self._reader.fieldnames = self.columns

    def orders(self) -> Iterator[OrderRows]:
        for rows, lines in self._grouped():
            yield self._parse(rows, lines)

    def _grouped(self) -> Iterator[tuple[list[Row], list[int]]]:
        """Consecutive rows with the same order_external_id; a row without one stands alone."""
        rows: list[Row] = []
        lines: list[int] = []
        current = ""
        for row in self._reader:
            key = _text(row, "order_external_id")
            if rows and (not key or key != current):
                yield rows, lines
                rows, lines = [], []
            rows.append(row)
            lines.append(self._reader.line_num)
            current = key
        if rows:
            yield rows, lines

    def _parse(self, rows: list[Row], lines: list[int]) -> OrderRows:
        """The order of these rows, or every row's error if any row cannot be read."""
        group = OrderRows(_text(rows[0], "order_external_id"), rows, lines)
        header, header_problems = self._order_fields(rows[0])
        order_lines = []
        for index, row in enumerate(rows):
            line, problems = _line_values(row)
            order_lines.append(line)
            problems = _shape_problems(row, self.columns) or problems
            problems += _disagreements(row, rows[0], lines[0]) if index else header_problems
            group.errors.append("; ".join(problems))
        if len(rows) > MAX_LINES:
            group.errors[0] = _joined(group.errors[0], f"more than {MAX_LINES} lines in one order")
        if any(group.errors):
            group.errors = _local_errors(group)
        else:
            group.order, group.errors = build_order({**header, "lines": order_lines}), []
        return group

    def _order_fields(self, row: Row) -> tuple[dict[str, Any], list[str]]:
        """The order-level values of an order's first row, or what is wrong with them."""
        values: dict[str, Any] = {
            "external_id": _text(row, "order_external_id"),
            self.account_column: _text(row, self.account_column),
            "currency_code": _text(row, "currency").upper(),
        }
        problems = []
        if not values["external_id"]:
            problems.append("order_external_id is empty")
        date_text = _text(row, "order_date")
        try:
            values["order_date"] = dt.date.fromisoformat(date_text)
        except ValueError:
            problems.append(f"order_date {date_text!r} is not a date (YYYY-MM-DD)")
        for column, (enum, prefix) in _ENUMS.items():
            name = _text(row, column)
            try:
                values[column] = enum_value(enum, prefix, name) if name else None
            except ValueError:
                problems.append(f"{column} {name!r} is not one of {_choices(enum, prefix)}")
        return values, problems


def _text(row: Row, column: str) -> str:
    return (row.get(column) or "").strip()


def _choices(enum: Any, prefix: str) -> str:
    names = [name.removeprefix(prefix).lower() for name in enum.keys()[1:]]
    return ", ".join(names)


def _shape_problems(row: Row, columns: Sequence[str]) -> list[str]:
    missing = [column for column in columns if row.get(column) is None]
    problems = [f"missing {', '.join(missing)} (fewer fields than the header)"] if missing else []
    if row.get(_EXTRA):
        problems.append(f"{len(row[_EXTRA])} more field(s) than the header")
    return problems


def _disagreements(row: Row, first: Row, first_line: int) -> list[str]:
    """Order-level values of a later row that differ from the order's first row."""
    return [
        f"{column} {_text(row, column)!r} differs from the order's first line "
        f"(line {first_line}: {_text(first, column)!r})"
        for column in (*ORDER_COLUMNS, *ACCOUNT_COLUMNS)
        if row.get(column) != first.get(column) and _text(row, column) != _text(first, column)
    ]


def _line_values(row: Row) -> tuple[OrderLine | None, list[str]]:
    """The order line of a row, or what is wrong with its quantity and price."""
    problems = []
    quantity_text, price_text = _text(row, "quantity"), _text(row, "unit_price")
    try:
        quantity = int(quantity_text)
    except ValueError:
        problems.append(f"quantity {quantity_text!r} is not a whole number")
    try:
        price = to_money(Decimal(price_text))
    except (InvalidOperation, ValueError):
        problems.append(f"unit_price {price_text!r} is not a decimal amount such as 12.50")
    if problems:
        return None, problems
    return OrderLine(sku=_text(row, "sku"), quantity=quantity, unit_price=price), []


def _joined(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _local_errors(group: OrderRows) -> list[str]:
    """One error per row: its own problems, or which other row sank the order."""
    bad_line = next(line for line, error in zip(group.lines, group.errors, strict=True) if error)
    return [
        f"line {line}: {error or NOT_IMPORTED.format(bad_line)}"
        for line, error in zip(group.lines, group.errors, strict=True)
    ]


def server_errors(
    group: OrderRows, result: ImportOrderResult, batch_lines: Sequence[int] = ()
) -> list[str]:
    """One error per row of an order the server rejected: the violations of that row's
    line ("lines[2].sku" belongs to the third row) and those of the whole order (unknown
    account, wrong currency, ...), which every row carries. ``batch_lines`` are the first
    lines of the batch's orders, to say where a repeated order number was first used."""
    own: list[list[str]] = [[] for _ in group.rows]
    shared = []
    for violation in result.violations:
        index, field_name = _line_field(violation.field)
        column = _COLUMN_OF_FIELD.get(field_name, field_name)
        text = f"{column}: {_description(violation.description, group, batch_lines)}"
        if index is not None and index < len(own):
            own[index].append(text)
        else:
            shared.append(text)
    if not shared and not any(own):
        shared.append(result.error_message or "rejected by the server")
    bad_line = next((line for line, texts in zip(group.lines, own, strict=True) if texts), None)
    return [
        f"line {line}: {_joined(*shared, *texts) or NOT_IMPORTED.format(bad_line)}"
        for line, texts in zip(group.lines, own, strict=True)
    ]


def _description(text: str, group: OrderRows, batch_lines: Sequence[int]) -> str:
    """The server's words, except that a batch index means nothing in a file: a repeated
    order number is told by the line where it was first used."""
    repeat = _REPEAT.fullmatch(text)
    if repeat is None or int(repeat[1]) >= len(batch_lines):
        return text
    return (
        f"{group.external_id} was already used by the order at line "
        f"{batch_lines[int(repeat[1])]}; the rows of an order must be consecutive"
    )


def _line_field(path: str) -> tuple[int | None, str]:
    """("lines[2].sku") -> (2, "sku"); an order-level path -> (None, path)."""
    if path.startswith("lines[") and "]" in path:
        index, _, rest = path.removeprefix("lines[").partition("]")
        if index.isdigit():
            return int(index), rest.lstrip(".") or "line"
    return None, path


class RejectsFile:
    """The rejected rows as they were read, plus an ``error`` column, in file line order.

    Rows are written to a temporary file beside ``path`` (opened on the first rejection)
    and only :meth:`commit`, after a complete import, puts it in place: an import that
    fails outright (no permission, server down) leaves an existing rejects file, perhaps
    one just corrected, as it was. Rejections arrive out of line order (rows the file
    itself rejects are found before the server answers for earlier ones), so they wait
    in a buffer until :meth:`flush` says no earlier line can still be rejected.
    """

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = [*(c for c in columns if c != ERROR_COLUMN), ERROR_COLUMN]
        self.rows_written = 0
        self._pending: list[tuple[int, Row]] = []
        self._temp: Path | None = None
        self._file: TextIO | None = None
        self._writer: csv.DictWriter | None = None

    def write(self, rows: Sequence[Row], errors: Sequence[str], lines: Sequence[int]) -> None:
        """Buffers rows (with their file line numbers) until :meth:`flush` writes them."""
        for row, error, line in zip(rows, errors, lines, strict=True):
            self._pending.append((line, {**row, ERROR_COLUMN: error}))
        self.rows_written += len(rows)

    def flush(self, before: int | None = None) -> None:
        """Writes the buffered rows of lines before ``before`` (all of them if None), in
        line order: the caller knows no line before it can be rejected any more."""
        self._pending.sort(key=lambda item: item[0])
        count = len(self._pending)
        if before is not None:
            count = next((i for i, (line, _) in enumerate(self._pending) if line >= before), count)
        if not count:
            return
        writer = self._writer or self._open()
        writer.writerows(row for _, row in self._pending[:count])
        del self._pending[:count]

    def _open(self) -> csv.DictWriter:
        self._temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        self._file = self._temp.open("x", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._file, self.columns, extrasaction="ignore")
        self._writer.writeheader()
        return self._writer

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None

    def commit(self) -> None:
        """After a complete import: the rejected rows replace the file at ``path``; if
        nothing was rejected, an earlier run's file there is removed, so the file at this
        path always describes the latest import."""
        try:
            self.flush()
            self._close()
        except BaseException:
            self.discard()
            raise
        if self._temp is not None:
            os.replace(self._temp, self.path)
            self._temp = None
        elif not self.rows_written:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        """After a failed import: removes the temporary file; ``path`` stays untouched."""
        self._pending.clear()
        self._close()
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None
