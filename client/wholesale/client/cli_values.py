"""A protobuf message as the plain values the CLI prints: the one source of its tables, JSON
and CSV, so the three formats always agree on names and values.

Every field is present, in declaration order: enums by their short names as the flags take
them (``active``, ``within_limit``), integers as ints, calendar days as dates, instants as
UTC datetimes, money as :class:`Amount`, unset records as None. Audit changes become
:class:`Change` values whose old and new values follow the same rules, since the server
records them in this vocabulary already.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date
from google.type.money_pb2 import Money

from wholesale.client.money import money_text
from wholesale.client.values import from_date
from wholesale.v1.account_pb2 import Address
from wholesale.v1.audit_service_pb2 import FieldChange

Value: TypeAlias = (
    "bool | int | float | str | dt.date | Amount | Change | list[Value] | dict[str, Value] | None"
)
Record: TypeAlias = dict[str, Value]
ADDRESS_PARTS = tuple(field.name for field in Address.DESCRIPTOR.fields)


@dataclass(frozen=True)
class Amount:
    """Money with at least its currency's decimals ("2000.00" EUR, "1500" JPY): a decimal
    string, never a float, so no cent is lost on the way to a script."""

    amount: str
    currency_code: str

    def as_json(self) -> dict[str, str]:
        return {"amount": self.amount, "currency_code": self.currency_code}


@dataclass(frozen=True)
class Change:
    """One field of an audited resource before and after the change (None: no value)."""

    field: str
    old_value: Value
    new_value: Value


class _EnumValueDescriptor(Protocol):
    @property
    def name(self) -> str: ...


class _EnumDescriptor(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def values_by_number(self) -> Mapping[int, _EnumValueDescriptor]: ...


class _FieldDescriptor(Protocol):
    """What the walk needs of a field; both protobuf runtimes (upb and pure Python) give it,
    and their stubs type ``DESCRIPTOR`` as either, so the walk asks for no more."""

    @property
    def name(self) -> str: ...
    @property
    def is_repeated(self) -> bool: ...
    @property
    def has_presence(self) -> bool: ...
    @property
    def enum_type(self) -> _EnumDescriptor | None: ...


def message_values(message: Message) -> Record:
    """Every field of ``message`` as a plain value, in declaration order."""
    return {field.name: _field_value(field, message) for field in message.DESCRIPTOR.fields}


def _field_value(field: _FieldDescriptor, message: Message) -> Value:
    value = getattr(message, field.name)
    if field.is_repeated:
        return [_single_value(field, item) for item in value]
    if field.has_presence and not message.HasField(field.name):
        return None  # an unset record or optional field: no value, not a default one
    return _single_value(field, value)


def _single_value(field: _FieldDescriptor, value: Any) -> Value:
    if field.enum_type is not None:
        return short_enum_name(field.enum_type.values_by_number[value].name, field.enum_type.name)
    if isinstance(value, Message):
        return _message_value(value)
    return value  # str, int, float or bool as they are


def _message_value(message: Message) -> Value:
    if isinstance(message, Money):
        return Amount(money_text(message), message.currency_code)
    if isinstance(message, Date):
        return from_date(message)
    if isinstance(message, Timestamp):
        return message.ToDatetime(tzinfo=dt.UTC)
    if isinstance(message, struct_pb2.Value):
        return _from_json(MessageToDict(message))
    values = message_values(message)
    if isinstance(message, FieldChange):
        old, new = (_audited(message.field, values[side]) for side in ("old_value", "new_value"))
        return Change(message.field, old, new)
    return values


def _audited(field: str, value: Value) -> Value:
    """An audited value as the resource's own field reads: an instant (``delete_time``) as a
    datetime, where the log keeps RFC 3339 text, and an address's parts in the order of
    Address, where the log keeps a JSON object whose keys come back in any order."""
    if field.endswith("_time") and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dict) and value and value.keys() <= set(ADDRESS_PARTS):
        return {part: value[part] for part in ADDRESS_PARTS if part in value}
    return value


def _from_json(data: Value) -> Value:
    """An audited value as the other values are: money objects as Amounts and whole numbers
    as ints (JSON in a protobuf Value has only doubles: 30 days arrive as 30.0)."""
    if isinstance(data, dict):
        if data.keys() == {"amount", "currency_code"}:
            return Amount(str(data["amount"]), str(data["currency_code"]))
        return {key: _from_json(item) for key, item in data.items()}
    if isinstance(data, list):
        return [_from_json(item) for item in data]
    if isinstance(data, float) and data.is_integer():
        return int(data)
    return data


def short_enum_name(name: str, enum_name: str) -> str:
    """``ACCOUNT_STATUS_ON_HOLD`` of ``AccountStatus`` is ``on_hold``, as the CLI takes it."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_"
    return name.removeprefix(prefix).lower()
