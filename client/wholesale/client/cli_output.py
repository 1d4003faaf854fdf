"""Printing for people (tables) and for scripts (JSON, CSV), all three from the same plain
values (:mod:`wholesale.client.cli_values`), so they agree on every name and value.

- JSON: each field under its proto name; enums by short name, integers as numbers, money as
  ``{"amount": "4939.04", "currency_code": "EUR"}``, days as "YYYY-MM-DD", instants as
  RFC 3339 in UTC, null for no value. A list is a JSON array.
- CSV: the JSON flattened. A nested object becomes one column per part, named by its path
  (``credit_limit.amount``, ``billing_address.locality``); a list is one cell (its items
  joined by ",", its records by " | "), so a cell never holds JSON.
- Tables fit the terminal by wrapping free text, never by cutting identifiers, dates or
  amounts; amounts and counts are right-aligned with thousands separators, money with its
  currency ("4,939.04 EUR"), instants to the minute in UTC.

docs/cli.md describes the formats for users; keep the two in step.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import click
from google.protobuf.message import Message
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from wholesale.client.cli_values import Amount, Change, Value, message_values
from wholesale.v1.audit_service_pb2 import AuditEvent

Row = Mapping[str, Value]
T = TypeVar("T")
CSV_BATCH = 500  # rows written at a time: a page of a --all list

ACCOUNT_COLUMNS = (
    "id",
    "external_id",
    "display_name",
    "status",
    "price_tier",
    "tags",
    "region",
    "manager",
    "credit_limit",
)
PRODUCT_COLUMNS = ("sku", "name", "category", "selling_unit", "list_price", "active")
# line_count is derived (cli_orders adds it): a table has no room for every line.
ORDER_COLUMNS = (
    "id",
    "external_id",
    "account_id",
    "order_date",
    "status",
    "channel",
    "line_count",
    "total",
)
AUDIT_COLUMNS = ("event_time", "actor", "action", "resource", "changes")
# The fields by which a response says which account it is about; a table names the
# account in its title instead.
ACCOUNT_FIELDS = ("account_id", "account_external_id", "account_display_name")
# The table columns of a list whose command names none (every field would not fit).
DEFAULT_TABLE_COLUMNS: dict[type[Message], Sequence[str]] = {AuditEvent: AUDIT_COLUMNS}
# Short headers where the derived ones ("Payment terms days") would squeeze a narrow terminal.
TITLES = {
    "id": "ID",
    "external_id": "ERP ID",
    "account_id": "Account",
    "account_external_id": "Account ERP ID",
    "display_name": "Name",
    "price_tier": "Tier",
    "price_tier_pinned": "Tier pinned",
    "payment_terms_days": "Net days",
    "sku": "SKU",
    "order_date": "Date",
    "line_count": "Lines",
    "order_count": "Orders",
    "selling_unit": "Unit",
    "pack_size": "Pack",
    "event_time": "Time (UTC)",
    "create_time": "Created (UTC)",
    "update_time": "Updated (UTC)",
    "delete_time": "Closed (UTC)",
    "currency_code": "Currency",
    "parent_list_id": "Parent",
    "price_list_id": "List",
    "recorded_time": "Recorded (UTC)",
    "change_time": "Time (UTC)",
    "start_time": "From (UTC)",
    "end_time": "Until (UTC)",
}
NO_VALUE = "—"  # an audited field that had, or now has, no value
MAX_CELL = 300  # characters of a table cell (see _cell)
_PRINTED_TABLE = "wholesale.printed_table"  # context meta key: a table was printed
# Spaces at the end of a line, before any closing style codes (on a terminal).
_TRAILING_SPACES = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")


# A table's title, or what makes it from the number of rows once they are all in (the
# title of a list streamed with --all, whose length is known only at its end).
Title = str | Callable[[int], str]


def print_messages(
    messages: Iterable[Message],
    message_type: type[Message],
    fmt: str,
    title: Title,
    table_columns: Sequence[str] = (),
    extras: Callable[[Message], Row] | None = None,
) -> None:
    """A list: a JSON array, CSV with every field, or a table of ``table_columns`` (by
    default those of DEFAULT_TABLE_COLUMNS, else every field). ``extras`` adds derived
    values that table columns may name (such as an order's line count). JSON and CSV are
    written as the messages arrive, so a long list reaches ``head`` or a script at once
    (and a closed pipe stops the fetching); a table needs every row to size its columns."""
    if fmt == "json":
        _print_json_array(message_values(message) for message in messages)
    elif fmt == "csv":
        _print_csv((message_values(message) for message in messages), csv_columns(message_type))
    else:
        messages = list(messages)
        rows = [message_values(message) for message in messages]
        columns = table_columns or DEFAULT_TABLE_COLUMNS.get(message_type) or _fields(message_type)
        if extras:
            rows = [{**row, **extras(message)} for row, message in zip(rows, messages, strict=True)]
        _print_table(rows, columns, title if isinstance(title, str) else title(len(rows)))


def print_message(message: Message, fmt: str, title: str, omit: Sequence[str] = ()) -> None:
    """One message: a JSON object, a CSV header and one row, or a field/value table;
    ``omit`` leaves fields out of the table and CSV (a caller that prints them apart)."""
    values = message_values(message)
    if fmt == "json":
        print_json(values)
    elif fmt == "csv":
        columns = csv_columns(type(message))
        _print_csv([values], [c for c in columns if c.split(".")[0] not in omit])
    else:
        print_fields({key: value for key, value in values.items() if key not in omit}, title)


def print_record(values: Row, fmt: str, title: str) -> None:
    """Named values that are not one message (a summary's figures): as print_message."""
    if fmt == "json":
        print_json(values)
    elif fmt == "csv":
        _print_csv([values], list(values))
    else:
        print_fields(values, title)


def print_fields(values: Row, title: str) -> None:
    """Named values as a two-column field/value table, for one record on a screen."""
    rows = [{"field": _title(key), "value": value} for key, value in values.items()]
    _print_table(rows, ["field", "value"], title, one_record=True)


def print_rows(rows: Sequence[Row], fmt: str, columns: Sequence[str], title: str) -> None:
    """Records in the given columns (the title is for tables only)."""
    if fmt == "json":
        print_json([{column: row.get(column) for column in columns} for row in rows])
    elif fmt == "csv":
        _print_csv(rows, columns)
    else:
        _print_table(rows, columns, title)


def print_json(data: object) -> None:
    """Plain values (or JSON) as indented JSON, keeping non-ASCII text as it is."""
    _write(_json_text(data) + "\n")


def _write(text: str) -> None:
    """Writes to stdout in parts no larger than a buffer: Python takes a larger write into
    a pipe whose reader has gone (``| head``) in part and without an error, so the command
    would never learn that nobody reads it and would go on fetching pages."""
    for start in range(0, len(text), io.DEFAULT_BUFFER_SIZE):
        click.echo(text[start : start + io.DEFAULT_BUFFER_SIZE], nl=False)


def _json_text(data: object) -> str:
    return json.dumps(json_data(data), indent=2, ensure_ascii=False)


def _print_json_array(items: Iterable[object]) -> None:
    """The text print_json gives the list of ``items``, written an item at a time."""
    before = "["
    for item in items:
        _write(f"{before}\n{textwrap.indent(_json_text(item), '  ')}")
        before = ","
    click.echo("[]" if before == "[" else "\n]")


def json_data(value: object) -> object:
    """Plain values as JSON: a value class (Amount, Change) is the object of its fields."""
    if isinstance(value, Amount | Change):
        return json_data(vars(value))
    if isinstance(value, dt.datetime):
        return rfc3339(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: json_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_data(item) for item in value]
    return value


def rfc3339(value: dt.datetime) -> str:
    """An instant as JSON and CSV give it: "2026-12-03T09:46:12.345678Z"."""
    return value.isoformat().replace("+00:00", "Z")


# ---- CSV -------------------------------------------------------------------------------


def csv_columns(message_type: type[Message]) -> list[str]:
    """Every CSV column of a message type, whether a message sets its records or not: the
    flattened fields of one that has every record, so the header never depends on data."""
    return list(_csv_cells(message_values(_with_every_record(message_type()))))


def _with_every_record(message: Message) -> Message:
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if isinstance(value, Message):  # a singular record (a repeated field is a container)
            value.SetInParent()
            _with_every_record(value)
    return message


def _print_csv(rows: Iterable[Row], columns: Sequence[str]) -> None:
    """CSV written a batch of rows at a time. The header is that of the first batch: the
    rows of one message type all have the cells of csv_columns, so later rows add none."""
    batches = _batches((_csv_cells(row) for row in rows), CSV_BATCH)
    first = next(batches, [])
    header = _expanded(columns, first)
    _write_csv([header])
    for batch in itertools.chain([first], batches):
        _write_csv([row.get(column, "") for column in header] for row in batch)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _write_csv(rows: Iterable[Sequence[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    _write(buffer.getvalue())


def _csv_cells(record: Row, prefix: str = "") -> dict[str, str]:
    """A record as cells: nested records as columns of their own, named by path."""
    cells = {}
    for key, value in record.items():
        nested = _as_record(value)
        if nested is None:
            cells[prefix + key] = _text(value, CSV)
        else:
            cells.update(_csv_cells(nested, f"{prefix}{key}."))
    return cells


def _as_record(value: Value) -> Row | None:
    if isinstance(value, Amount):
        return vars(value)
    return value if isinstance(value, dict) else None


def _expanded(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> list[str]:
    """Each column, or the columns of its parts where its values are records."""
    header: list[str] = []
    for column in columns:
        parts = dict.fromkeys(key for row in rows for key in row if key.startswith(column + "."))
        header.extend(parts or [column])
    return header


# ---- text of a value -------------------------------------------------------------------


@dataclass(frozen=True)
class TextStyle:
    """How a value reads in one format: tables for people, CSV cells like the JSON."""

    yes_no: tuple[str, str]  # how true and false read
    integer: Callable[[int], str]
    real: Callable[[float], str]
    instant: Callable[[dt.datetime], str]
    money: Callable[[Amount], str]
    items: str  # between the items of a list of plain values
    records: str  # between the records of a list


def _tenth(value: float) -> str:
    """Day counts to a tenth: 7.0, 12.3 rather than 12.333333."""
    return f"{value:.1f}"


def _grouped_money(value: Amount) -> str:
    return f"{Decimal(value.amount):,f} {value.currency_code}".rstrip()


def _plain_money(value: Amount) -> str:
    return f"{value.amount} {value.currency_code}".rstrip()


TABLE = TextStyle(
    yes_no=("yes", "no"),
    integer="{:,}".format,
    real=_tenth,
    instant=lambda value: value.strftime("%Y-%m-%d %H:%M"),
    money=_grouped_money,
    items=", ",
    records="\n",
)
CSV = TextStyle(
    yes_no=("true", "false"),
    integer=str,
    real=repr,  # the JSON literal: 7.0, 0.14285714285714285
    instant=rfc3339,
    money=_plain_money,
    items=",",
    records=" | ",
)


def _text(value: Value, style: TextStyle) -> str:
    """``value`` as one cell; records inside it (contacts, order lines) as their values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return style.yes_no[0] if value else style.yes_no[1]
    if isinstance(value, int):
        return style.integer(value)
    if isinstance(value, float):
        return style.real(value)
    if isinstance(value, dt.datetime):
        return style.instant(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Amount):
        return style.money(value)
    if isinstance(value, Change):
        return f"{value.field}: {_side(value.old_value, style)} → {_side(value.new_value, style)}"
    if isinstance(value, dict):
        return _record_text(value, style)
    if isinstance(value, list):
        records = any(isinstance(item, dict | Change) for item in value)
        return (style.records if records else style.items).join(_text(v, style) for v in value)
    return value


def _record_text(record: Row, style: TextStyle) -> str:
    """A nested record's values, comma separated; a yes/no field reads as its name when
    set ("primary") and not at all when not, since "yes" alone would say nothing."""
    return ", ".join(
        key if value is True else _text(value, style)
        for key, value in record.items()
        if not _is_blank(value) and value is not False
    )


def _side(value: Value, style: TextStyle) -> str:
    return NO_VALUE if _is_blank(value) else _text(value, style)


def _is_blank(value: Value) -> bool:
    """No value: nothing, empty text or list, or a record of blanks (a cleared address)."""
    if isinstance(value, dict):
        return all(_is_blank(item) for item in value.values())
    return value is None or value == "" or value == []


# ---- tables ----------------------------------------------------------------------------


def _print_table(
    rows: Sequence[Row], columns: Sequence[str], title: str, one_record: bool = False
) -> None:
    """A table that fits the terminal: only columns of free text wrap (at spaces, or inside
    a word that is wider than its column); a column whose every value is one word, a
    number, an amount, a date or a time is never narrowed, so none is cut or broken.
    Numbers are right-aligned, except in ``one_record``'s field/value rows, which need no
    header and whose values of every kind share one column."""
    table = Table(
        show_header=not one_record,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for column in columns:
        values = [row.get(column) for row in rows]
        table.add_column(
            Text(_title(column)),
            justify="right" if _every(values, _is_number) and not one_record else "left",
            no_wrap=_every(values, _is_whole),
            overflow="fold",
        )
    for row in rows:
        table.add_row(*(Text(_cell(_text(row.get(column), TABLE))) for column in columns))
    heading = Text(title, style="bold")
    console = _console_for(table, heading)
    with console.capture() as capture:
        if title:  # above the table rather than in it, where a title wider than it would wrap
            console.print(heading)
        console.print(table)
    _separate_from_previous_table()
    # Rich pads every line to the table's width; nothing trails a line of output.
    lines = (_TRAILING_SPACES.sub(r"\1", line) for line in capture.get().splitlines())
    _write("\n".join(lines) + "\n")


def _cell(text: str) -> str:
    """A value as a table cell: shortened past MAX_CELL characters (a pasted 100 KB value
    would wrap over a thousand lines), saying how long it is; CSV and JSON keep it all."""
    if len(text) <= MAX_CELL:
        return text
    return f"{text[:MAX_CELL]}…({len(text):,} characters)"


def _separate_from_previous_table() -> None:
    """A blank line between the tables one command prints (a summary prints several), and
    none after the last, so the output ends with its last row."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.find_root().meta if ctx else {}
    if meta.get(_PRINTED_TABLE):
        click.echo()
    meta[_PRINTED_TABLE] = True


def _console_for(table: Table, heading: Text) -> Console:
    """A console as wide as the terminal; into a pipe or a file (no terminal, COLUMNS unset
    or empty) as wide as the output, one line a row, since cutting or wrapping it there
    would only break ids for grep and the next program."""
    console = Console(highlight=False)
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    unbounded = console.options.update_width(sys.maxsize)
    width = max(console.measure(table, options=unbounded).maximum, heading.cell_len)
    return Console(highlight=False, width=width)


def _every(values: Sequence[Value], test: Callable[[Value], bool]) -> bool:
    return all(test(value) for value in values if not _is_blank(value))


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float | Amount) and not isinstance(value, bool)


def _is_whole(value: Value) -> bool:
    if isinstance(value, str):
        return not any(character.isspace() for character in value)
    return _is_number(value) or isinstance(value, bool | dt.date)


def _title(key: str) -> str:
    return TITLES.get(key) or key.replace("_", " ").capitalize()


def _fields(message_type: type[Message]) -> list[str]:
    return [field.name for field in message_type.DESCRIPTOR.fields]
