"""Rendering of messages as rich tables for people, or JSON and CSV for scripts.

JSON keeps the full structure (proto field names, enum names, money as a decimal string);
table and CSV use one flat text value per field, so a CSV column never holds JSON.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import click
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.money_pb2 import Money
from rich.console import Console
from rich.table import Table

from wholesale.client.money import from_money

Row = Mapping[str, str]
CENT = Decimal("0.01")

ACCOUNT_COLUMNS = (
    "id",
    "display_name",
    "status",
    "price_tier",
    "tags",
    "region",
    "manager",
    "credit_limit",
    "payment_terms_days",
)
# Short headers where the derived ones ("Payment terms days") would squeeze a narrow terminal.
TITLES = {
    "id": "ID",
    "display_name": "Name",
    "price_tier": "Tier",
    "payment_terms_days": "Terms (days)",
}


def print_messages(
    messages: Sequence[Message],
    message_type: type[Message],
    fmt: str,
    title: str,
    table_columns: Sequence[str] = (),
) -> None:
    """A list: a JSON array, or one row per message (CSV with every field, the table with
    ``table_columns`` if given, since every field would not fit on a screen)."""
    if fmt == "json":
        _print_json([message_json(message) for message in messages])
        return
    columns = [field.name for field in message_type.DESCRIPTOR.fields]
    if fmt == "table" and table_columns:
        columns = list(table_columns)
    print_rows([flatten(message) for message in messages], fmt, columns, title)


def print_message(message: Message, fmt: str, title: str) -> None:
    """One message: a JSON object, a CSV header and one row, or a field/value table."""
    row = flatten(message)
    if fmt == "json":
        _print_json(message_json(message))
    elif fmt == "csv":
        print_rows([row], fmt, list(row), title)
    else:
        rows = [{"field": _title(key), "value": value} for key, value in row.items()]
        print_rows(rows, fmt, ["field", "value"], title)


def print_rows(rows: Sequence[Row], fmt: str, columns: Sequence[str], title: str) -> None:
    """Flat records in the given columns (the title is for tables only)."""
    if fmt == "json":
        _print_json([{column: row.get(column, "") for column in columns} for row in rows])
    elif fmt == "csv":
        writer = csv.writer(click.get_text_stream("stdout"), lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([row.get(column, "") for column in columns] for row in rows)
    else:
        table = Table(*(_title(column) for column in columns), title=title)
        for row in rows:
            table.add_row(*(row.get(column, "") for column in columns))
        Console(highlight=False).print(table)


def message_json(message: Message) -> dict[str, Any]:
    """MessageToDict with every field present (stable keys for scripts) and Money as an
    exact decimal string rather than units and nanos."""
    data = MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    for field, value in message.ListFields():
        if isinstance(value, Money):
            data[field.name] = str(from_money(value))
    return data


def flatten(message: Message) -> dict[str, str]:
    """Every field of ``message`` as one line of text, in declaration order."""
    return {
        field.name: _field_text(field, getattr(message, field.name), message)
        for field in message.DESCRIPTOR.fields
    }


def _field_text(field: FieldDescriptor, value: Any, message: Message) -> str:
    if field.is_repeated:
        separator = " | " if field.message_type else ","
        return separator.join(_value_text(field, item) for item in value)
    if field.message_type and not message.HasField(field.name):
        return ""
    return _value_text(field, value)


def _value_text(field: FieldDescriptor, value: Any) -> str:
    if isinstance(value, Money):
        return _money_text(value)
    if isinstance(value, Timestamp):
        return value.ToJsonString()
    if isinstance(value, Message):
        return _compact(value)
    if field.enum_type:
        return short_enum_name(field.enum_type.values_by_number[value].name, field.enum_type.name)
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def _compact(message: Message) -> str:
    """A nested message (address, contact) as its non-empty values, comma separated."""
    return ", ".join(_field_text(field, value, message) for field, value in message.ListFields())


def _money_text(money: Money) -> str:
    """Cents are shown as cents (12.50, not 12.5); whole amounts and finer ones unchanged."""
    amount = from_money(money)
    return str(amount.quantize(CENT) if amount.as_tuple().exponent == -1 else amount)


def short_enum_name(name: str, enum_name: str) -> str:
    """``ACCOUNT_STATUS_ON_HOLD`` of ``AccountStatus`` is ``on_hold``, as the CLI takes it."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_"
    return name.removeprefix(prefix).lower()


def _title(key: str) -> str:
    return TITLES.get(key) or key.replace("_", " ").capitalize()


def _print_json(data: Iterable[Any] | Mapping[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
