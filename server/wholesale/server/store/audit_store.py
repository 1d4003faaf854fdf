"""The audit log: one row per change, written in the transaction of the change."""

from __future__ import annotations

import json
from collections.abc import Sequence

from wholesale.server.domain.filters import Condition
from wholesale.server.store.models import AuditEvent

AUDIT_FILTER_FIELDS = {
    name: frozenset({"="}) for name in ("actor", "method", "resource", "request_id")
}


def record_event(
    *,
    time_us: int,
    actor: str,
    role: str,
    method: str,
    resource: str,
    request_id: str,
    changed_fields: Sequence[str],
) -> None:
    record_events(
        time_us=time_us,
        actor=actor,
        role=role,
        method=method,
        request_id=request_id,
        changes=[(resource, changed_fields)],
    )


def record_events(
    *,
    time_us: int,
    actor: str,
    role: str,
    method: str,
    request_id: str,
    changes: Sequence[tuple[str, Sequence[str]]],
) -> None:
    """One event per (resource, changed fields) of one call, written in one statement."""
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
            }
            for resource, changed_fields in changes
        ]
    ).execute()


def list_events(
    conditions: Sequence[Condition], before_id: int | None, limit: int
) -> list[AuditEvent]:
    """Newest first, keyset-paged by id (ids grow with time)."""
    query = AuditEvent.select()
    for condition in conditions:
        query = query.where(getattr(AuditEvent, condition.field) == condition.value)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(query.order_by(AuditEvent.id.desc()).limit(limit))


def changed_fields(event: AuditEvent) -> list[str]:
    return json.loads(event.changed_fields_json)
