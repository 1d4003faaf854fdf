"""Reading the audit log: who changed what, when, from which value to which."""

from __future__ import annotations

import datetime as dt

from wholesale.server.domain.audit import AuditEntry
from wholesale.server.domain.clock import instant_us
from wholesale.server.domain.filters import Condition, parse_filter
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import FieldViolation, InvalidArgument
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import audit_store


def _instant_us(text: str) -> int:
    """An RFC 3339 time ("2026-03-01T09:30:00Z") or a date (its start, UTC) as
    microseconds; a time without an offset is refused, since it could mean any zone."""
    try:
        if len(text) == 10:
            return instant_us(dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC))
        return instant_us(dt.datetime.fromisoformat(text))
    except ValueError as exc:
        raise InvalidArgument(
            f"invalid event_time {text!r}",
            violations=[
                FieldViolation(
                    "filter",
                    "event_time takes a date (2026-03-01) or an RFC 3339 time with its offset "
                    "(2026-03-01T09:30:00Z)",
                )
            ],
        ) from exc


def _stored_value(condition: Condition) -> str | int:
    return _instant_us(condition.value) if condition.field == "event_time" else condition.value


def list_audit_events(
    work: UnitOfWork, filter_text: str, page_size: int, page_token: str
) -> tuple[list[AuditEntry], str]:
    """Newest first; the position after an event is its id."""
    work.require(Permission.READ_AUDIT)
    parsed = parse_filter(filter_text, audit_store.AUDIT_FILTER_FIELDS)
    conditions = [(c, _stored_value(c)) for c in parsed]

    def rows_after(after: list | None, limit: int) -> list[AuditEntry]:
        return audit_store.list_events(conditions, after[0] if after else None, limit)

    with work.reading():
        return keyset_page(
            rows_after, lambda e: [e.id], {"audit_filter": filter_text}, page_size, page_token
        )
