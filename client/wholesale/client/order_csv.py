"""The CSV layout of an order import, and the file of rows it rejected.

One row per order line; consecutive rows with the same ``order_external_id`` form one
order, whose order-level columns (account, date, status, channel, currency) must agree::

    order_external_id,account_external_id,order_date,status,channel,currency,sku,quantity,unit_price
    SO-1001,ERP-7,2026-01-05,fulfilled,erp,EUR,APPLE-1L,12,1.85
    SO-1001,ERP-7,2026-01-05,fulfilled,erp,EUR,PEAR-1L,6,2.10

ERP exports come separated by commas, semicolons or tabs and carry columns of their own
(warehouse, notes, ...): the delimiter is told from the header unless given, and the
columns the import does not use are read past and written back, as they were, to the
rejects file. The file is read as a stream, one order at a time, so any size fits in
constant memory. A row that cannot be read (too few fields, a bad number or date, an
unknown status) rejects its order here, with the row's line number and the reason, and
the import goes on; the server judges everything else (unknown SKU or account, ...).
Every reason names its column first: "quantity: 'x' is not a whole number".
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, TextIO

from google.type.money_pb2 import Money

from wholesale.client.money import plain_decimal, to_money
from wholesale.client.orders import build_order
from wholesale.client.plural import counted
from wholesale.client.values import enum_value
from wholesale.v1 import order_pb2
from wholesale.v1.order_pb2 import Order, OrderLine
from wholesale.v1.order_service_pb2 import ImportOrderResult

ACCOUNT_COLUMNS = ("account_external_id", "account_id")
ORDER_COLUMNS = ("order_external_id", "order_date", "status", "channel", "currency")
LINE_COLUMNS = ("sku", "quantity", "unit_price")
OPTIONAL_COLUMNS = ("status", "channel", "currency")
REQUIRED_COLUMNS = tuple(c for c in (*ORDER_COLUMNS, *LINE_COLUMNS) if c not in OPTIONAL_COLUMNS)
USED_COLUMNS = (*ORDER_COLUMNS, *ACCOUNT_COLUMNS, *LINE_COLUMNS)
# A rejects file can be corrected and imported as it is: its error column is ignored
# without a word, unlike the other columns the import does not use.
ERROR_COLUMN = "error"
# The delimiters told from the header; --delimiter may give others.
DETECTED_DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_LINES = 1000
# Column names a message shows, and the characters of each: a hostile or broken file
# (10,000 columns, a name of NUL bytes) must not flood the terminal. A refused header
# shows more of what it found, enough for any real ERP export's header.
SHOWN_COLUMNS = 5
SHOWN_FOUND_COLUMNS = 15
SHOWN_NAME_CHARS = 40
# The API's limit for unit prices (docs/api.md), checked here to name the row at once.
UNIT_PRICE_DECIMALS = 6
# OrderLine.quantity is an int64: every number of fewer digits fits.
QUANTITY_DIGITS = 18
# The error of a row that was fine itself but shares an order with a rejected one.
NOT_IMPORTED = "not imported: line {} of the same order was rejected"
# The server's description of an order number repeated within one ImportOrders batch.
_REPEAT = re.compile(r"repeats the order at index (\d+) of this batch")
_EXTRA = "\0extra"  # DictReader's key for fields beyond the header
# The key of a repeated column is its name, then this, then its position.
_REPEATED = "\0"
# The server's names for order fields, as the file's columns.
_COLUMN_OF_FIELD = {"external_id": "order_external_id", "currency_code": "currency"}
_ENUMS = {
    "status": (order_pb2.OrderStatus, "ORDER_STATUS_"),
    "channel": (order_pb2.OrderChannel, "ORDER_CHANNEL_"),
}

Row = dict[str, Any]


class LayoutError(ValueError):
    """The header does not follow the layout; nothing can be imported."""


class UnreadableFile(ValueError):
    """The file cannot be read on from a line: it is not UTF-8 text or not CSV."""


def utf8_lines(file: Iterable[bytes]) -> Iterator[str]:
    """The lines of a file opened in binary, as text without the BOM Windows tools write,
    each line ended by CR LF, LF or a lone CR (old Mac exports). Decoding line by line
    lets an error name the line rather than a byte of some buffer."""
    lines = (line for chunk in file for line in chunk.splitlines(keepends=True))
    for number, line in enumerate(lines, 1):
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"line {number} is not UTF-8 text: save the file as UTF-8 and import it again"
            ) from exc


@dataclass(frozen=True)
class Header:
    """An import file's header: one key per column (its name; a repeated column the
    import ignores gets a key of its own, so that each keeps its value in the rejects
    file), the account column in use, and the ignored columns as a message names them."""

    keys: list[str]
    account_column: str
    ignored: list[str]


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns of the layout; the
    comma when none finds any, so that the header's error shows the line as it is."""

    def layout_columns(delimiter: str) -> int:
        names = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(name.strip() in USED_COLUMNS for name in names)

    return max(DETECTED_DELIMITERS, key=layout_columns)


def check_header(names: Sequence[str] | None) -> Header:
    """The header, if the columns of the layout are there; every other column is ignored."""
    if not names:
        raise LayoutError("the file is empty: its first line must be the header")
    columns = [name.strip() for name in names]
    problems = _header_problems(columns)
    if problems:
        found = listed([_shown_name(column) for column in columns], SHOWN_FOUND_COLUMNS)
        raise LayoutError(
            f"{'; '.join(problems)}; found {counted(len(columns), 'column')}: {found}"
        )
    ignored = [c for c in columns if c not in (*USED_COLUMNS, ERROR_COLUMN)]
    return Header(
        keys=_unique_keys(columns),
        account_column=next(name for name in ACCOUNT_COLUMNS if name in columns),
        ignored=[_shown_name(column) for column in ignored],
    )


def _header_problems(columns: list[str]) -> list[str]:
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    accounts = [name for name in ACCOUNT_COLUMNS if name in columns]
    if not accounts:
        missing.insert(1, "account_external_id (or account_id)")
    problems = (
        [f"missing {counted(len(missing), 'column')}: {', '.join(missing)}"] if missing else []
    )
    if len(accounts) > 1:
        problems.append("both account_external_id and account_id: keep one of them")
    problems += [f"column {name} appears twice" for name in USED_COLUMNS if columns.count(name) > 1]
    return problems


def _shown_name(column: str) -> str:
    """A column name as a message shows it: control characters escaped (\\x00), cut to
    SHOWN_NAME_CHARS characters."""
    if not column:
        return "(unnamed)"
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in column)
    return shown if len(shown) <= SHOWN_NAME_CHARS else f"{shown[: SHOWN_NAME_CHARS - 1]}…"


def listed(names: Sequence[str], limit: int = SHOWN_COLUMNS) -> str:
    """The first ``limit`` names, and how many more there are."""
    shown = ", ".join(names[:limit])
    more = len(names) - limit
    return f"{shown} and {more:,} more" if more > 0 else shown


def _unique_keys(columns: list[str]) -> list[str]:
    return [
        column if columns.index(column) == position else f"{column}{_REPEATED}{position}"
        for position, column in enumerate(columns)
    ]


def _column_name(key: str) -> str:
    return key.partition(_REPEATED)[0]


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
    """Reads an order CSV as a stream of :class:`OrderRows`, checking the header first;
    without a ``delimiter`` it is told from the header (see :func:`detect_delimiter`)."""

    def __init__(self, lines: Iterable[str], delimiter: str | None = None) -> None:
        rest = iter(lines)
        first = next(rest, "")
        self._lines = _EndSeen(chain([first], rest))
        try:
            self.delimiter = delimiter or detect_delimiter(first)
            self._reader = csv.DictReader(self._lines, delimiter=self.delimiter, restkey=_EXTRA)
            names = self._reader.fieldnames
        except csv.Error as exc:
            raise _not_csv(1, exc) from exc
        self.header = check_header(names)
        self._reader.fieldnames = self.header.keys

    def orders(self) -> Iterator[OrderRows]:
        for rows, lines in self._grouped():
            yield self._parse(rows, lines)

    def _grouped(self) -> Iterator[tuple[list[Row], list[int]]]:
        """Consecutive rows with the same order_external_id; a row without one stands
        alone, and one with no value at all (as spreadsheets leave) is skipped."""
        rows: list[Row] = []
        lines: list[int] = []
        current = ""
        for row in self._rows():
            key = _text(row, "order_external_id")
            if not key and _blank(row):
                continue
            if rows and (not key or key != current):
                yield rows, lines
                rows, lines = [], []
            rows.append(row)
            lines.append(self._reader.line_num)
            current = key
        if rows:
            yield rows, lines

    def _rows(self) -> Iterator[Row]:
        """The rows; a record still open at the end of the file (the csv module returns it
        silently, the lines after a stray quote in one field) stops the import there."""
        start = self._reader.line_num + 1
        try:
            for row in self._reader:
                if self._lines.ended:
                    raise _not_csv(start, csv.Error("a quoted field runs to the end of the file"))
                yield row
                start = self._reader.line_num + 1
        except csv.Error as exc:
            raise _not_csv(start, exc) from exc

    def _parse(self, rows: list[Row], lines: list[int]) -> OrderRows:
        """The order of these rows, or every row's error if any row cannot be read."""
        group = OrderRows(_text(rows[0], "order_external_id"), rows, lines)
        header, header_problems = self._order_fields(rows[0])
        order_lines = []
        for index, row in enumerate(rows):
            line, problems = _line_values(row)
            order_lines.append(line)
            shape = _shape_problem(row, self.header.keys)
            problems = [shape] if shape else problems
            problems += _disagreements(row, rows[0], lines[0]) if index else header_problems
            group.errors.append("; ".join(problems))
        if len(rows) > MAX_LINES:
            too_many = f"{counted(len(rows), 'row')} in one order, at most {MAX_LINES:,}"
            group.errors[0] = _joined(group.errors[0], f"order_external_id: {too_many}")
        if any(group.errors):
            group.errors = _local_errors(group)
        else:
            group.order, group.errors = build_order({**header, "lines": order_lines}), []
        return group

    def _order_fields(self, row: Row) -> tuple[dict[str, Any], list[str]]:
        """The order-level values of an order's first row, or what is wrong with them."""
        account = self.header.account_column
        values: dict[str, Any] = {
            "external_id": _text(row, "order_external_id"),
            account: _text(row, account),
            "currency_code": _text(row, "currency").upper(),
        }
        problems = [] if values["external_id"] else ["order_external_id: required"]
        values["order_date"], problem = _order_date(_text(row, "order_date"))
        problems += [problem] if problem else []
        for column, (enum, prefix) in _ENUMS.items():
            name = _text(row, column)
            try:
                values[column] = enum_value(enum, prefix, name) if name else None
            except ValueError:
                problems.append(f"{column}: {name!r} is not one of {_choices(enum, prefix)}")
        return values, problems


class _EndSeen(Iterator[str]):
    """Lines that note when the csv module asks past the last one: it does so between
    records only to find there is none, so a row it returns after that was cut off."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.ended = False

    def __next__(self) -> str:
        try:
            return next(self._lines)
        except StopIteration:
            self.ended = True
            raise


def _not_csv(line: int, error: csv.Error) -> UnreadableFile:
    """For the record starting at ``line``: mostly a quote left open there, which takes in
    the lines after it until a field outgrows the csv module's limit."""
    return UnreadableFile(f"line {line} cannot be read as CSV ({error}): is a quote left open?")


def _text(row: Row, column: str) -> str:
    return (row.get(column) or "").strip()


def _blank(row: Row) -> bool:
    values = [*row.values(), *(row.get(_EXTRA) or [])]
    return not any(isinstance(value, str) and value.strip() for value in values)


def _choices(enum: Any, prefix: str) -> str:
    names = [name.removeprefix(prefix).lower() for name in enum.keys()[1:]]
    return ", ".join(names)


def _shape_problem(row: Row, keys: Sequence[str]) -> str:
    """A row with fields beyond the header, or too few to reach a used column: its values
    cannot be matched to the columns. Trailing ignored columns may be left out."""
    missing = [key for key in keys if row.get(key) is None]
    extra = row.get(_EXTRA) or []
    lost = [key for key in missing if key in USED_COLUMNS]
    if not extra and not lost:
        return ""
    fields = counted(len(keys) - len(missing) + len(extra), "field")
    detail = f" ({', '.join(lost)} missing)" if lost else ""
    return f"row: {fields} but the header has {len(keys):,}{detail}"


def _disagreements(row: Row, first: Row, first_line: int) -> list[str]:
    """Order-level values of a later row that differ from the order's first row."""
    return [
        f"{column}: {_text(row, column)!r} differs from the order's first line "
        f"(line {first_line}: {_text(first, column)!r})"
        for column in (*ORDER_COLUMNS, *ACCOUNT_COLUMNS)
        if row.get(column) != first.get(column) and _text(row, column) != _text(first, column)
    ]


def _order_date(text: str) -> tuple[dt.date | None, str]:
    if not text:
        return None, "order_date: required"
    try:
        return dt.date.fromisoformat(text), ""
    except ValueError:
        return None, f"order_date: {text!r} is not a date (YYYY-MM-DD)"


def _line_values(row: Row) -> tuple[OrderLine | None, list[str]]:
    """The order line of a row, or what is wrong with its quantity and price."""
    quantity, quantity_problem = _quantity(_text(row, "quantity"))
    price, price_problem = _unit_price(_text(row, "unit_price"))
    if quantity is None or price is None:
        return None, [problem for problem in (quantity_problem, price_problem) if problem]
    return OrderLine(sku=_text(row, "sku"), quantity=quantity, unit_price=price), []


def _quantity(text: str) -> tuple[int | None, str]:
    """A whole number, also as ERPs with fractional quantities write one (12.000)."""
    if not text:
        return None, "quantity: required"
    number = plain_decimal(text)
    if number is None or number != number.to_integral_value():
        return None, f"quantity: {text!r} is not a whole number"
    if number.adjusted() >= QUANTITY_DIGITS:
        return None, f"quantity: {text!r} is out of range"
    return int(number), ""


def _unit_price(text: str) -> tuple[Money | None, str]:
    """The exact amount: more decimals than the API keeps are refused, never rounded."""
    if not text:
        return None, "unit_price: required"
    amount = plain_decimal(text)
    if amount is None:
        hint = " (a point before the decimals, no thousands separator)" if "," in text else ""
        return None, f"unit_price: {text!r} is not a decimal amount such as 12.50{hint}"
    places = _decimal_places(amount)
    if places > UNIT_PRICE_DECIMALS:
        limit = f"at most {UNIT_PRICE_DECIMALS} are allowed"
        return None, f"unit_price: {text!r} has {places} decimals, {limit}"
    try:
        return to_money(amount), ""
    except ValueError:  # a finite amount with few decimals: its whole units overflow Money
        return None, f"unit_price: {text!r} is out of range"


def _decimal_places(amount: Decimal) -> int:
    """The decimals that matter: ERPs pad amounts with zeros (1.850000 has two)."""
    _, digits, exponent = amount.as_tuple()
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(-int(exponent) - zeros, 0) if any(digits) else 0


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
    """The rejected rows as they were read, plus an ``error`` column, in file line order,
    separated by the import file's ``delimiter`` (``columns`` are its header's keys).

    Rows are written to a temporary file beside ``path`` (opened on the first rejection)
    and only :meth:`commit`, after a complete import, puts it in place: an import that
    fails outright (no permission, server down) leaves an existing rejects file, perhaps
    one just corrected, as it was. Rejections arrive out of line order (rows the file
    itself rejects are found before the server answers for earlier ones), so they wait
    in a buffer until :meth:`flush` says no earlier line can still be rejected.
    """

    def __init__(self, path: Path, columns: Sequence[str], delimiter: str = ",") -> None:
        self.path = path
        self.columns = [*(c for c in columns if c != ERROR_COLUMN), ERROR_COLUMN]
        self.delimiter = delimiter
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
        header = [_column_name(key) for key in self.columns]
        csv.writer(self._file, delimiter=self.delimiter).writerow(header)
        self._writer = csv.DictWriter(
            self._file, self.columns, delimiter=self.delimiter, extrasaction="ignore"
        )
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
