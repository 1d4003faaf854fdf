"""Rendering of messages as rich tables for people, or JSON and CSV for scripts.

JSON keeps the full structure (proto field names, enum names, money as a decimal string);
money shows its currency's minor-unit decimals everywhere (EUR 2000.00, JPY 1500);
table and CSV use one flat text value per field, so a CSV column never holds JSON.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import click
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date
from google.type.money_pb2 import Money
from rich.console import Console
from rich.table import Table

from wholesale.client.money import money_text
from wholesale.client.values import from_date

Row = Mapping[str, str]

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
PRODUCT_COLUMNS = (
    "sku",
    "name",
    "category",
    "selling_unit",
    "pack_size",
    "list_price",
    "active",
)
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
# Short headers where the derived ones ("Payment terms days") would squeeze a narrow terminal.
TITLES = {
    "id": "ID",
    "display_name": "Name",
    "price_tier": "Tier",
    "payment_terms_days": "Terms (days)",
    "sku": "SKU",
    "external_id": "External ID",
    "account_id": "Account",
    "order_date": "Date",
    "line_count": "Lines",
    "selling_unit": "Unit",
    "pack_size": "Pack",
}


def print_messages(
    messages: Sequence[Message],
    message_type: type[Message],
    fmt: str,
    title: str,
    table_columns: Sequence[str] = (),
    extras: Callable[[Message], Mapping[str, str]] | None = None,
) -> None:
    """A list: a JSON array, or one row per message (CSV with every field, the table with
    ``table_columns`` if given, since every field would not fit on a screen). ``extras``
    adds derived values that table columns may name (such as an order's line count)."""
    if fmt == "json":
        print_json([message_json(message) for message in messages])
        return
    columns = [field.name for field in message_type.DESCRIPTOR.fields]
    if fmt == "table" and table_columns:
        columns = list(table_columns)
    rows = [{**flatten(message), **(extras(message) if extras else {})} for message in messages]
    print_rows(rows, fmt, columns, title)


def print_message(message: Message, fmt: str, title: str, omit: Sequence[str] = ()) -> None:
    """One message: a JSON object, a CSV header and one row, or a field/value table;
    ``omit`` leaves fields out of the table and CSV (a caller that prints them apart)."""
    values = {key: value for key, value in flatten(message).items() if key not in omit}
    print_record(values, fmt, title, message_json(message))


def print_record(
    values: Mapping[str, str], fmt: str, title: str, json_data: Mapping[str, Any] | None = None
) -> None:
    """One record: JSON (``json_data``, else the values), a CSV header and one row, or a
    field/value table."""
    if fmt == "json":
        print_json(values if json_data is None else json_data)
    elif fmt == "csv":
        print_rows([values], fmt, list(values), title)
    else:
        print_fields(values, title)


def print_fields(values: Mapping[str, str], title: str) -> None:
    """Named values as a two-column field/value table, for one record on a screen."""
    rows = [{"field": _title(key), "value": value} for key, value in values.items()]
    print_rows(rows, "table", ["field", "value"], title)


def print_rows(rows: Sequence[Row], fmt: str, columns: Sequence[str], title: str) -> None:
    """Flat records in the given columns (the title is for tables only)."""
    if fmt == "json":
        print_json([{column: row.get(column, "") for column in columns} for row in rows])
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
    """MessageToDict with every field present (stable keys for scripts), Money as an exact
    decimal string with its currency's decimals ("2000.00") rather than units and nanos and
    dates as "YYYY-MM-DD", at any depth."""
    data = MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return _friendly_json(message, data)


def _friendly_json(value: Any, data: Any) -> Any:
    """``data`` (the JSON of ``value``) with its Money and Date values made readable."""
    if isinstance(value, Money):
        return money_text(value)
    if isinstance(value, Date):
        return date_text(value)
    if not (isinstance(value, Message) and isinstance(data, dict)) or _is_well_known(value):
        return data  # well-known types MessageToDict already renders as plain JSON
    for field, item in value.ListFields():
        if field.message_type is None or field.message_type.GetOptions().map_entry:
            continue
        if field.is_repeated:
            data[field.name] = [
                _friendly_json(v, d) for v, d in zip(item, data[field.name], strict=True)
            ]
        else:
            data[field.name] = _friendly_json(item, data[field.name])
    return data


def _is_well_known(message: Message) -> bool:
    """Timestamp, Value, Struct ...: MessageToDict gives them their own JSON form."""
    return message.DESCRIPTOR.full_name.startswith("google.protobuf.")


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
        return money_text(value)
    if isinstance(value, Date):
        return date_text(value)
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


def date_text(value: Date) -> str:
    """ISO "YYYY-MM-DD", or empty for an unset date."""
    day = from_date(value)
    return day.isoformat() if day else ""


def short_enum_name(name: str, enum_name: str) -> str:
    """``ACCOUNT_STATUS_ON_HOLD`` of ``AccountStatus`` is ``on_hold``, as the CLI takes it."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_"
    return name.removeprefix(prefix).lower()


def _title(key: str) -> str:
    return TITLES.get(key) or key.replace("_", " ").capitalize()


def print_json(data: Iterable[Any] | Mapping[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
