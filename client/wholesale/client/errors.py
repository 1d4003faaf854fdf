"""Exceptions raised by :class:`wholesale.client.Client`, one class per status code.

Callers catch what they can handle (``NotFound``, ``Aborted`` for a stale etag, ...)
instead of comparing ``grpc.StatusCode`` values, and get the server's machine-readable
details (``ErrorInfo`` reason and ``BadRequest`` field violations) as plain attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

FieldViolation = tuple[str, str]


class WholesaleError(Exception):
    """A failed call; also raised as is for status codes without a subclass of their own."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        reason: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata = dict(metadata or {})
        self.field_violations = list(field_violations)

    def __str__(self) -> str:
        """The message plus any field violation it does not already spell out, so a log
        line always says what to fix."""
        missing = [
            f"{field}: {text}"
            for field, text in self.field_violations
            if f"{field}: {text}" not in self.message
        ]
        return f"{self.message} ({'; '.join(missing)})" if missing else self.message


class InvalidArgument(WholesaleError):
    """The request is invalid; ``field_violations`` names each offending field."""


class NotFound(WholesaleError):
    """No such account, product or order, or not one the caller may see."""


class AlreadyExists(WholesaleError):
    """The external_id or SKU is taken by another record."""


class PermissionDenied(WholesaleError):
    """The caller's role does not allow this call."""


class Unauthenticated(WholesaleError):
    """The token is missing or unknown."""


class Aborted(WholesaleError):
    """The etag is stale: someone else changed the record; re-read it and try again."""


class FailedPrecondition(WholesaleError):
    """The account is not in a state that allows this call (closing a closed account)."""


class Unavailable(WholesaleError):
    """The server could not be reached, even after the automatic retries."""


class Cancelled(WholesaleError):
    """The call was cancelled before it finished, e.g. by a server shutting down."""


class DeadlineExceeded(WholesaleError):
    """The call did not finish within the client's timeout."""


_CLASSES: dict[grpc.StatusCode, type[WholesaleError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
}


def from_rpc_error(error: grpc.RpcError) -> WholesaleError:
    """Translates a failed call, reading the ``google.rpc.Status`` details when present."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    message = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
    reason, metadata, violations = "", {}, []
    for detail in _status_details(error):
        info = error_details_pb2.ErrorInfo()
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Unpack(bad_request):
            violations = [(v.field, v.description) for v in bad_request.field_violations]
    return _CLASSES.get(code, WholesaleError)(code, message, reason, metadata, violations)


def _status_details(error: grpc.RpcError) -> Sequence[any_pb2.Any]:
    """The packed details, or none when the failure came from the transport, not the server."""
    if not isinstance(error, grpc.Call):
        return ()
    try:
        status = rpc_status.from_call(error)
    except ValueError:  # trailer inconsistent with the status line: trust the status line
        return ()
    return status.details if status is not None else ()
