"""One wrapper around every RPC: authenticate, open a database connection, log one line,
and turn service errors into rich statuses.

It wraps the handler's behaviour (not just the lookup) so all of this runs in the thread
that serves the call, where the call context is visible to the servicer.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable

import grpc
import peewee

from wholesale.server.api.status import (
    grpc_code,
    internal_status,
    to_status,
    unavailable_status,
)
from wholesale.server.domain.principal import Principal
from wholesale.server.errors import ServiceError, Unauthenticated, concurrent_change
from wholesale.server.services.context import CallContext
from wholesale.server.store.database import db_proxy

log = logging.getLogger("wholesale.server.rpc")

_current_call: contextvars.ContextVar[CallContext] = contextvars.ContextVar("current_call")

# Health checks and reflection must work without a token (load balancers, grpcurl).
PUBLIC_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


def current_call() -> CallContext:
    return _current_call.get()


def _bearer_token(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata():
        if key == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            raise Unauthenticated(
                "the authorization metadata must be 'Bearer <token>'", reason="TOKEN_INVALID"
            )
    raise Unauthenticated(
        "this call needs a token: send 'authorization: Bearer <token>' metadata",
        reason="TOKEN_MISSING",
    )


_UNAVAILABLE_SIGNS = ("database is locked", "could not connect", "connection", "terminating")
_UNIQUE_SIGNS = ("unique constraint", "duplicate key")


def _failure(exc: Exception, method: str, request_id: str) -> tuple[grpc.StatusCode, grpc.Status]:
    """What a client sees for an exception no service turned into an error."""
    text = str(exc).lower()
    if isinstance(exc, peewee.IntegrityError) and any(s in text for s in _UNIQUE_SIGNS):
        # Writes check their keys first; a unique clash here means a concurrent writer
        # took one in between, and a retry sees the committed state.
        log.warning("unique-key clash in %s treated as a concurrent change", method)
        error = concurrent_change()
        return grpc_code(error), to_status(error)
    if isinstance(exc, peewee.OperationalError) and any(s in text for s in _UNAVAILABLE_SIGNS):
        # A busy SQLite file or an unreachable PostgreSQL: worth retrying, not a bug.
        log.warning("database unavailable in %s: %s", method, exc)
        return grpc.StatusCode.UNAVAILABLE, unavailable_status()
    log.exception("unexpected error in %s (request_id=%s)", method, request_id)
    return grpc.StatusCode.INTERNAL, internal_status()


def _unsupported_streaming(request, context: grpc.ServicerContext):
    context.abort(grpc.StatusCode.UNIMPLEMENTED, "streaming RPCs are not served")


class CallInterceptor(grpc.ServerInterceptor):
    def __init__(self, authenticate: Callable[[str], Principal | None]) -> None:
        self._authenticate = authenticate

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_PREFIXES):
            return handler
        if handler.unary_unary is None:
            # Fail closed: a streaming RPC added without wrapping must not skip auth.
            return grpc.unary_unary_rpc_method_handler(_unsupported_streaming)
        return grpc.unary_unary_rpc_method_handler(
            self._wrap(method, handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _principal(self, context: grpc.ServicerContext) -> Principal:
        principal = self._authenticate(_bearer_token(context))
        if principal is None:
            raise Unauthenticated("the token is unknown or revoked", reason="TOKEN_INVALID")
        return principal

    def _wrap(self, method: str, behavior):
        def handle(request, context: grpc.ServicerContext):
            started = time.perf_counter()
            request_id = getattr(request, "request_id", "")
            actor, code = "-", grpc.StatusCode.OK
            try:
                with db_proxy.connection_context():
                    principal = self._principal(context)
                    actor = principal.subject
                    _current_call.set(CallContext(principal, method, request_id))
                    return behavior(request, context)
            except ServiceError as error:
                code, status = grpc_code(error), to_status(error)
            except Exception as exc:
                code, status = _failure(exc, method, request_id)
            finally:
                log.info(
                    "rpc method=%s code=%s duration_ms=%.1f actor=%s request_id=%s",
                    method,
                    code.name,
                    (time.perf_counter() - started) * 1000,
                    actor,
                    request_id or "-",
                )
            context.abort_with_status(status)

        return handle
