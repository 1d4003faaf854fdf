"""Reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from wholesale.server.domain.filters import parse_filter
from wholesale.server.domain.principal import Permission
from wholesale.server.services.context import CallContext
from wholesale.server.services.paging import keyset_page
from wholesale.server.store import audit_store


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


def _entry(row) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        event_time_us=row.event_time_us,
        actor=row.actor,
        role=row.role,
        method=row.method,
        resource=row.resource,
        request_id=row.request_id,
        changed_fields=audit_store.changed_fields(row),
    )


def list_audit_events(
    ctx: CallContext, filter_text: str, page_size: int, page_token: str
) -> tuple[list[AuditEntry], str]:
    """Newest first; the position after an event is its id."""
    ctx.require(Permission.READ_AUDIT)
    conditions = parse_filter(filter_text, audit_store.AUDIT_FILTER_FIELDS)

    def rows_after(after: list | None, limit: int) -> list[AuditEntry]:
        before = after[0] if after else None
        return [_entry(r) for r in audit_store.list_events(conditions, before, limit)]

    return keyset_page(
        rows_after, lambda e: [e.id], {"audit_filter": filter_text}, page_size, page_token
    )
