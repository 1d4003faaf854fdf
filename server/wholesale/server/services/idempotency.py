"""Exactly-once mutations: a repeated request_id gets the first response back.

The response is stored in the same transaction as the change it reports, so after a
crash either both exist or neither does, and a retry redoes the work or replays it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import peewee

from wholesale.server.errors import FieldViolation, InvalidArgument, concurrent_change
from wholesale.server.services.context import CallContext
from wholesale.server.store import idempotency_store
from wholesale.server.store.database import now_us, write_transaction

REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def check_request_id(request_id: str) -> None:
    if request_id and not REQUEST_ID.fullmatch(request_id):
        raise InvalidArgument(
            "invalid request_id",
            violations=[FieldViolation("request_id", "letters, digits, '-' and '_', at most 128")],
        )


def _caller(ctx: CallContext) -> str:
    """Whose request ids these are: subject and role, so a token of another role with the
    same subject never receives a response its own role could not have produced."""
    return f"{ctx.principal.subject}/{ctx.principal.role.value}"


def _replay(ctx: CallContext, request_hash: str) -> bytes | None:
    found = idempotency_store.find_response(_caller(ctx), ctx.method, ctx.request_id)
    if found is None:
        return None
    stored_hash, response = found
    if stored_hash != request_hash:
        raise InvalidArgument(
            "request_id was already used for a different request",
            reason="REQUEST_ID_REUSED",
            violations=[
                FieldViolation("request_id", "already used for a different request; use a new one")
            ],
        )
    return response


def run_once(ctx: CallContext, request: bytes, work: Callable[[], bytes]) -> bytes:
    """Runs ``work`` (which returns the serialized response) at most once per request_id."""
    check_request_id(ctx.request_id)
    if not ctx.request_id:
        try:
            with write_transaction():
                return work()
        except peewee.IntegrityError as exc:
            raise concurrent_change() from exc
    request_hash = hashlib.sha256(request).hexdigest()
    try:
        with write_transaction():
            replayed = _replay(ctx, request_hash)
            if replayed is not None:
                return replayed
            response = work()
            idempotency_store.save_response(
                _caller(ctx), ctx.method, ctx.request_id, request_hash, response, now_us()
            )
            return response
    except peewee.IntegrityError as exc:
        # A concurrent twin committed first (PostgreSQL); its response is the answer.
        replayed = _replay(ctx, request_hash)
        if replayed is None:
            raise concurrent_change() from exc
        return replayed
