"""wholesale.v1.AuditService: the audit log, for admins."""

from __future__ import annotations

from google.protobuf import json_format, struct_pb2

from wholesale.server.api.convert import timestamp
from wholesale.server.api.interceptor import current_work
from wholesale.server.domain.audit import FieldChange, Json
from wholesale.server.services import audit
from wholesale.v1 import audit_service_pb2 as pb
from wholesale.v1 import audit_service_pb2_grpc


class AuditServicer(audit_service_pb2_grpc.AuditServiceServicer):
    def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context
    ) -> pb.ListAuditEventsResponse:
        events, next_token = audit.list_audit_events(
            current_work(), request.filter, request.page_size, request.page_token
        )
        return pb.ListAuditEventsResponse(
            audit_events=[
                pb.AuditEvent(
                    id=str(e.id),
                    event_time=timestamp(e.event_time_us),
                    actor=e.actor,
                    role=e.role,
                    method=e.method,
                    resource=e.resource,
                    request_id=e.request_id,
                    changed_fields=e.changed_fields,
                    action=e.action,
                    changes=[_field_change(c) for c in e.changes],
                )
                for e in events
            ],
            next_page_token=next_token,
        )


def _value(value: Json) -> struct_pb2.Value:
    """A JSON value as google.protobuf.Value (None as null_value)."""
    return json_format.ParseDict(value, struct_pb2.Value())


def _field_change(change: FieldChange) -> pb.FieldChange:
    return pb.FieldChange(
        field=change.field, old_value=_value(change.old), new_value=_value(change.new)
    )
