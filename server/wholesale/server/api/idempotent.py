"""Mutations that run exactly once per request_id, from the servicers' side."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from google.protobuf.message import Message

from wholesale.server.api.interceptor import current_work
from wholesale.server.services.idempotency import run_once

T = TypeVar("T", bound=Message)


def once(request: Message, response_type: type[T], work: Callable[[], T]) -> T:
    """Runs a mutation exactly once per request_id and answers repeats with the first reply."""
    raw = run_once(
        current_work(),
        request.SerializeToString(deterministic=True),
        lambda: work().SerializeToString(),
    )
    return response_type.FromString(raw)
