"""Stored responses of mutations that carried a request_id (AIP-155)."""

from __future__ import annotations

from wholesale.server.store.models import IdempotencyRecord


def find_response(actor: str, method: str, request_id: str) -> tuple[str, bytes] | None:
    """(request hash, serialized response) of an earlier call, or None."""
    row = (
        IdempotencyRecord.select(IdempotencyRecord.request_hash, IdempotencyRecord.response)
        .where(
            IdempotencyRecord.actor == actor,
            IdempotencyRecord.method == method,
            IdempotencyRecord.request_id == request_id,
        )
        .first()
    )
    return (row.request_hash, bytes(row.response)) if row else None


def save_response(
    actor: str, method: str, request_id: str, request_hash: str, response: bytes, now_us: int
) -> None:
    IdempotencyRecord.create(
        actor=actor,
        method=method,
        request_id=request_id,
        request_hash=request_hash,
        response=response,
        create_time_us=now_us,
    )
