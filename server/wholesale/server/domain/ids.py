"""Server-assigned ids: decimal strings on the wire, 64-bit integers in the database."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from wholesale.server.errors import FieldViolation, InvalidArgument, NotFound

_ID = re.compile(r"[0-9]{1,18}")
T = TypeVar("T")


def parse_id(text: str) -> int | None:
    """The id ``text`` stands for, or None if it cannot be one (ASCII digits only: "²" is a
    digit to str.isdigit() but not to int())."""
    return int(text) if _ID.fullmatch(text) else None


@dataclass(frozen=True)
class ResourceKey:
    """How a Get names its resource: by the service's own key (``id``, or ``sku`` for a
    product) or by the ERP's ``external_id``."""

    field: str
    value: str

    @property
    def by_external_id(self) -> bool:
        return self.field == "external_id"


def resource_key(key_field: str, key: str, external_id: str) -> ResourceKey:
    """The one key a request gives; INVALID_ARGUMENT when it gives both or neither."""
    if key and external_id:
        raise InvalidArgument(
            f"give either {key_field} or external_id, not both",
            violations=[FieldViolation("external_id", f"leave empty when {key_field} is given")],
        )
    if external_id:
        return ResourceKey("external_id", external_id)
    if not key:
        raise InvalidArgument(
            f"{key_field} or external_id is required",
            violations=[FieldViolation(key_field, "required (or give external_id instead)")],
        )
    return ResourceKey(key_field, key)


def find_by_id(text: str, path: str, what: str, reason: str, load: Callable[[int], T | None]) -> T:
    """The resource a request names by its id at ``path``: INVALID_ARGUMENT when no id is
    given; NOT_FOUND (``reason``) when the text cannot be an id or ``load`` finds nothing."""
    if not text:
        raise InvalidArgument(f"{path} is required", violations=[FieldViolation(path, "required")])
    number = parse_id(text)
    found = load(number) if number is not None else None
    if found is None:
        raise NotFound(f"{what} {text!r} not found", reason=reason)
    return found
