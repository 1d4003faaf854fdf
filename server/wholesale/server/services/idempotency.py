"""Exactly-once mutations: a repeated request_id gets the first response back.

The response is stored in the same transaction as the change it reports, so after a
crash either both exist or neither does, and a retry redoes the work or replays it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from wholesale.server.errors import Aborted, FieldViolation, InvalidArgument
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import idempotency_store

REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def check_request_id(request_id: str) -> None:
    if request_id and not REQUEST_ID.fullmatch(request_id):
        raise InvalidArgument(
            "invalid request_id",
            violations=[FieldViolation("request_id", "letters, digits, '-' and '_', at most 128")],
        )


def _caller(work: UnitOfWork) -> str:
    """Whose request ids these are: subject and role, so a token of another role with the
    same subject never receives a response its own role could not have produced."""
    return f"{work.principal.subject}/{work.principal.role.value}"


def _replay(work: UnitOfWork, request_hash: str) -> bytes | None:
    found = idempotency_store.find_response(_caller(work), work.method, work.request_id)
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


def run_once(work: UnitOfWork, request: bytes, mutation: Callable[[], bytes]) -> bytes:
    """Runs ``mutation`` (which returns the serialized response) at most once per
    request_id, in one write transaction with the response it stores."""
    check_request_id(work.request_id)
    if not work.request_id:
        with work.writing():
            return mutation()
    request_hash = hashlib.sha256(request).hexdigest()
    try:
        with work.writing():
            replayed = _replay(work, request_hash)
            if replayed is not None:
                return replayed
            response = mutation()
            idempotency_store.save_response(
                _caller(work), work.method, work.request_id, request_hash, response, work.now_us()
            )
            return response
    except Aborted:
        # A concurrent twin committed first (its response row clashed with ours on
        # PostgreSQL); its response is the answer.
        with work.reading():
            replayed = _replay(work, request_hash)
        if replayed is None:
            raise
        return replayed
