"""Reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from wholesale.server.domain.filters import parse_filter
from wholesale.server.domain.page_token import decode_page_token, encode_page_token
from wholesale.server.domain.principal import Permission
from wholesale.server.services.context import CallContext
from wholesale.server.services.paging import page_size_or_default
from wholesale.server.store import audit_store
from wholesale.server.store.secrets import PAGE_TOKEN_KEY, shared_secret


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


def list_audit_events(
    ctx: CallContext, filter_text: str, page_size: int, page_token: str
) -> tuple[list[AuditEntry], str]:
    ctx.require(Permission.READ_AUDIT)
    size = page_size_or_default(page_size)
    conditions = parse_filter(filter_text, audit_store.AUDIT_FILTER_FIELDS)
    key = shared_secret(PAGE_TOKEN_KEY)
    token_query = {"audit_filter": filter_text}
    before = decode_page_token(page_token, token_query, key)[0] if page_token else None
    rows = audit_store.list_events(conditions, before, size + 1)
    entries = [
        AuditEntry(
            id=r.id,
            event_time_us=r.event_time_us,
            actor=r.actor,
            role=r.role,
            method=r.method,
            resource=r.resource,
            request_id=r.request_id,
            changed_fields=audit_store.changed_fields(r),
        )
        for r in rows[:size]
    ]
    more = len(rows) > size
    return entries, encode_page_token([entries[-1].id], token_query, key) if more else ""
