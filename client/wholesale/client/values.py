"""Friendly Python values to and from the wire's: enum names and calendar dates.

Callers write ``status="fulfilled"`` and ``order_date=date(2026, 1, 5)`` instead of importing
generated enums and building ``google.type.Date`` by hand; results convert back with
:func:`from_date` and :func:`enum_name`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeAlias

from google.type.date_pb2 import Date

EnumLike = int | str
DateLike: TypeAlias = dt.date | str | Date


def enum_value(enum: Any, prefix: str, value: EnumLike) -> int:
    """Accepts an enum number, its full name or its short name in any case ("on_hold"),
    so callers need not import the generated enum; unknown names raise ValueError."""
    if isinstance(value, int):
        return value
    name = value.upper().replace("-", "_")
    try:
        return enum.Value(name if name.startswith(prefix) else prefix + name)
    except ValueError:
        known = [
            v.name.removeprefix(prefix).lower()
            for v in enum.DESCRIPTOR.values
            if not v.name.endswith("UNSPECIFIED")
        ]
        raise ValueError(f"{value!r} is not one of {', '.join(known)}") from None


def enum_name(enum: Any, prefix: str, number: int) -> str:
    """The short lower-case name of an enum number ("created"), as the CLI shows it."""
    return enum.Name(number).removeprefix(prefix).lower()


def to_date(value: DateLike, name: str = "date") -> Date:
    """A ``google.type.Date`` from a date, an ISO "YYYY-MM-DD" string or a Date; a datetime
    counts as its calendar day. Anything else raises ValueError before a call is made,
    starting with ``name`` (the argument or field) so that a call taking several dates
    says which one was wrong."""
    if isinstance(value, Date):
        return value
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD): {exc}") from exc
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise ValueError(f"{name}: not a date: {value!r}")
    return Date(year=value.year, month=value.month, day=value.day)


def from_date(value: Date) -> dt.date | None:
    """The calendar day, or None for an unset (all zero) or partial date."""
    try:
        return dt.date(value.year, value.month, value.day)
    except ValueError:
        return None
