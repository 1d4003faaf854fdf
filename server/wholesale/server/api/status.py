"""Errors on the wire: canonical code plus google.rpc.Status details (AIP-193)."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from wholesale.server.errors import FieldViolation, InvalidArgument, ServiceError

ERROR_DOMAIN = "wholesale.v1"


def _packed(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def grpc_code(error: ServiceError) -> grpc.StatusCode:
    return grpc.StatusCode[error.code]


def to_status(error: ServiceError) -> grpc.Status:
    details = [
        _packed(
            error_details_pb2.ErrorInfo(
                reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
            )
        )
    ]
    if isinstance(error, InvalidArgument) and error.violations:
        details.append(_packed(_bad_request(error.violations)))
    code = grpc_code(error).value[0]
    return rpc_status.to_status(
        status_pb2.Status(code=code, message=_clipped(error.message, MAX_MESSAGE), details=details)
    )


# Status and details travel in the response trailers, which a client refuses beyond its
# metadata limit (8 KiB by default in gRPC): the answer to a request with thousands of
# mistakes (or huge values echoed in them) must still arrive, so it lists the first
# violations up to a budget and says how many more there are. Limits are in UTF-8 bytes,
# not characters: the message travels twice, percent-encoded in grpc-message (a byte
# outside ASCII takes three) and inside the details, so 500 emoji would not fit.
MAX_MESSAGE = 500
MAX_FIELD = 200
MAX_DESCRIPTION = 300
VIOLATIONS_BUDGET = 3000  # serialized bytes; base64 in the trailer makes it 4/3 as much
_ELLIPSIS = "…"


def _clipped(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes, cut at a character and marked with "…"."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    kept = encoded[: limit - len(_ELLIPSIS.encode())].decode(errors="ignore")
    return kept + _ELLIPSIS


def _bad_request(violations: Sequence[FieldViolation]) -> error_details_pb2.BadRequest:
    listed = error_details_pb2.BadRequest()
    for index, violation in enumerate(violations):
        entry = error_details_pb2.BadRequest.FieldViolation(
            field=_clipped(violation.field, MAX_FIELD),
            description=_clipped(violation.description, MAX_DESCRIPTION),
        )
        if listed.ByteSize() + entry.ByteSize() > VIOLATIONS_BUDGET:
            listed.field_violations.add(
                field="", description=f"and {len(violations) - index:,} more violations"
            )
            break
        listed.field_violations.append(entry)
    return listed


def internal_status() -> grpc.Status:
    """What a client sees for a bug: no internals leak, the log has the traceback."""
    return rpc_status.to_status(
        status_pb2.Status(
            code=code_pb2.INTERNAL, message="internal error; the server log has the details"
        )
    )
