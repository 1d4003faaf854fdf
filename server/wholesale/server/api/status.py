"""Errors on the wire: canonical code plus google.rpc.Status details (AIP-193)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from wholesale.server.errors import InvalidArgument, ServiceError

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
        details.append(
            _packed(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in error.violations
                    ]
                )
            )
        )
    code = grpc_code(error).value[0]
    return rpc_status.to_status(
        status_pb2.Status(code=code, message=error.message, details=details)
    )


def internal_status() -> grpc.Status:
    """What a client sees for a bug: no internals leak, the log has the traceback."""
    return rpc_status.to_status(
        status_pb2.Status(
            code=code_pb2.INTERNAL, message="internal error; the server log has the details"
        )
    )
