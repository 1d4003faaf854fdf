"""The audit log: one row per change, written in the transaction of the change."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

import peewee

from wholesale.server.domain.audit import AuditEntry, FieldChange, Json
from wholesale.server.domain.filters import Condition
from wholesale.server.store.models import AuditEvent
from wholesale.server.store.sql import COMPARISONS, escape_like, like

# Filter fields and the operators each takes; event_time values arrive as microseconds.
AUDIT_FILTER_FIELDS = {
    **{
        name: frozenset({"="})
        for name in ("actor", "role", "method", "action", "resource", "request_id")
    },
    "event_time": frozenset({">=", ">", "<=", "<"}),
}


def record_events(
    *,
    time_us: int,
    actor: str,
    role: str,
    method: str,
    request_id: str,
    changes: Sequence[tuple[str, Sequence[str], Sequence[FieldChange]]],
) -> None:
    """One event per (resource, changed fields, field changes) of one call, in one statement."""
    if not changes:
        return
    AuditEvent.insert_many(
        [
            {
                "event_time_us": time_us,
                "actor": actor,
                "role": role,
                "method": method,
                "resource": resource,
                "request_id": request_id,
                "changed_fields_json": json.dumps(list(changed_fields)),
                "changes_json": json.dumps(
                    [{"field": c.field, "old": c.old, "new": c.new} for c in field_changes]
                ),
            }
            for resource, changed_fields, field_changes in changes
        ]
    ).execute()


def _condition(condition: Condition, value: str | int) -> peewee.Node:
    if condition.field == "action":
        return like(AuditEvent.method, f"%/{escape_like(str(value))}")
    column = AuditEvent.event_time_us if condition.field == "event_time" else None
    column = column or getattr(AuditEvent, condition.field)
    return COMPARISONS[condition.op](column, value)


def list_events(
    conditions: Sequence[tuple[Condition, str | int]], before_id: int | None, limit: int
) -> list[AuditEntry]:
    """Newest first, keyset-paged by id (ids grow with time); each condition comes with
    its value as stored."""
    query = AuditEvent.select()
    for condition, value in conditions:
        query = query.where(_condition(condition, value))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return [_entry(row) for row in query.order_by(AuditEvent.id.desc()).limit(limit)]


def _entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        event_time_us=row.event_time_us,
        actor=row.actor,
        role=row.role,
        method=row.method,
        resource=row.resource,
        request_id=row.request_id,
        changed_fields=json.loads(row.changed_fields_json),
        changes=[FieldChange(c["field"], c["old"], c["new"]) for c in json.loads(row.changes_json)],
    )


def values_at(resource: str, at_us: int, names: Collection[str]) -> dict[str, Json]:
    """What each of ``names`` was at ``at_us``, for those changed since: the old value of
    its first change recorded after that moment (None where the resource was created
    after it). Fields not changed since are as they are now, and absent here."""
    query = (
        AuditEvent.select(AuditEvent.changes_json)
        .where((AuditEvent.resource == resource) & (AuditEvent.event_time_us > at_us))
        .order_by(AuditEvent.event_time_us, AuditEvent.id)
    )
    found: dict[str, Json] = {}
    for (changes_json,) in query.tuples():
        for change in json.loads(changes_json):
            if change["field"] in names:
                found.setdefault(change["field"], change["old"])
    return found
