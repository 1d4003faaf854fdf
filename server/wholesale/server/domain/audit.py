"""The audit log's record of a change: who changed which fields of what, from what to what.

Values are kept in the form a person or a script reads them in (the CLI's JSON vocabulary):
text and numbers as they are, enums by their short names ("on_hold"), money as
``{"amount": "25000.00", "currency_code": "EUR"}``, lists and nested records as JSON lists
and objects, ``None`` where there was no value.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from wholesale.server.domain.currency import is_currency, minor_units
from wholesale.server.domain.money import Money

Json = Any  # None, bool, int, str, or lists and string-keyed dicts of them


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Json
    new: Json


@dataclass(frozen=True)
class AuditEntry:
    id: int
    event_time_us: int
    actor: str
    role: str
    method: str
    resource: str
    request_id: str
    changed_fields: list[str]
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def action(self) -> str:
        """The method's short name, "UpdateAccount" for UpdateAccount of any service."""
        return action_of(self.method)


def action_of(method: str) -> str:
    return method.rsplit("/", 1)[-1]


def money_json(money: Money) -> Json:
    """An amount with at least its currency's decimals, as the CLI shows it."""
    amount = money.amount
    if is_currency(money.currency):
        exponent = Decimal(1).scaleb(-minor_units(money.currency))
        if amount == amount.quantize(exponent):
            amount = amount.quantize(exponent)
    return {"amount": f"{amount:f}", "currency_code": money.currency}


def enum_json(kind: type[enum.IntEnum], number: int) -> str:
    """An enum number by its short lower-case name ("on_hold")."""
    return kind(number).name.lower() if number in kind._value2member_map_ else str(number)


def json_value(value: Any) -> Json:
    """A field value in the audit log's JSON form (records field by field)."""
    if isinstance(value, Money):
        return money_json(value)
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [json_value(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(json_value(item) for item in value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value


def changes_between(before: Mapping[str, Json], after: Mapping[str, Json]) -> list[FieldChange]:
    """The fields whose values differ, in ``after``'s order; a field missing on one side
    (a created resource has no "before") counts as None there."""
    names = list(after) + [name for name in before if name not in after]
    return [
        FieldChange(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def creation_changes(
    defaults: Mapping[str, Json], created: Mapping[str, Json]
) -> list[FieldChange]:
    """The fields a create set (those that differ from a blank record), each with no old
    value."""
    return [FieldChange(c.field, None, c.new) for c in changes_between(defaults, created)]
