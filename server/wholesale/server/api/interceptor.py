"""One wrapper around every RPC: authenticate, open the call's unit of work, log one
line, and turn service errors into rich statuses.

It wraps the handler's behaviour (not just the lookup) so all of this runs in the thread
that serves the call, where the call context is visible to the servicer.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable

import grpc
from google.protobuf.message import DecodeError

from wholesale.server.api.status import grpc_code, internal_status, to_status
from wholesale.server.domain.clock import Clock
from wholesale.server.errors import (
    FieldViolation,
    InvalidArgument,
    ServiceError,
    Unauthenticated,
)
from wholesale.server.services import unit_of_work
from wholesale.server.services.unit_of_work import UnitOfWork

log = logging.getLogger("wholesale.server.rpc")

_current_work: contextvars.ContextVar[UnitOfWork] = contextvars.ContextVar("current_work")

# Health checks and reflection must work without a token (load balancers, grpcurl).
PUBLIC_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


def current_work() -> UnitOfWork:
    """The unit of work of the call this thread serves."""
    return _current_work.get()


def _bearer_token(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata():
        if key == "authorization" and isinstance(value, str):
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


class _Undecodable:
    """A request whose bytes are not a message of the method's type. gRPC answers a
    deserializer that raises with INTERNAL, as if the server were broken; the bytes came
    from the client, so it gets INVALID_ARGUMENT instead."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def error(self) -> InvalidArgument:
        return InvalidArgument(
            f"the request is not a valid message of this method's type ({self.reason})",
            violations=[FieldViolation("request", "malformed protobuf bytes")],
        )


def _tolerant(deserialize):
    def decode(data: bytes):
        try:
            return deserialize(data)
        except DecodeError as exc:
            return _Undecodable(str(exc) or "cannot be parsed")

    return decode


def _unsupported_streaming(request, context: grpc.ServicerContext):
    context.abort(grpc.StatusCode.UNIMPLEMENTED, "streaming RPCs are not served")


# Told of every answered call: full method name, status code name, seconds taken.
CallObserver = Callable[[str, str, float], None]


class CallInterceptor(grpc.ServerInterceptor):
    def __init__(self, clock: Clock, observe: CallObserver | None = None) -> None:
        self._clock = clock
        self._observe = observe
        # The wrapped handler of each method, built on its first call: the services a
        # server registers never change while it runs, so neither does their wrapping.
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = continuation(handler_call_details)
        if handler is None or method.startswith(PUBLIC_PREFIXES):
            return handler
        if handler.unary_unary is None:
            # Fail closed: a streaming RPC added without wrapping must not skip auth.
            wrapped = grpc.unary_unary_rpc_method_handler(_unsupported_streaming)
        else:
            wrapped = grpc.unary_unary_rpc_method_handler(
                self._wrap(method, handler.unary_unary),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        self._wrapped[method] = wrapped
        return wrapped

    def _wrap(self, method: str, behavior):
        def handle(request, context: grpc.ServicerContext):
            started = time.perf_counter()
            request_id = getattr(request, "request_id", "")
            actor, code = "-", grpc.StatusCode.OK
            try:
                if isinstance(request, _Undecodable):
                    raise request.error()
                token = _bearer_token(context)
                with unit_of_work.for_token(token, self._clock, method, request_id) as work:
                    actor = work.principal.subject
                    _current_work.set(work)
                    return behavior(request, context)
            except ServiceError as error:
                code, status = grpc_code(error), to_status(error)
            except Exception:
                log.exception("unexpected error in %s (request_id=%s)", method, request_id)
                code, status = grpc.StatusCode.INTERNAL, internal_status()
            finally:
                seconds = time.perf_counter() - started
                if self._observe is not None:
                    self._observe(method, code.name, seconds)
                fields = {
                    "method": method,
                    "code": code.name,
                    "duration_ms": round(seconds * 1000, 1),
                    "actor": actor,
                    "request_id": request_id or "-",
                }
                log.info(
                    " ".join(f"{name}=%s" for name in fields),
                    *fields.values(),
                    extra={"rpc": fields},
                )
            context.abort_with_status(status)

        return handle
