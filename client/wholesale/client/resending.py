"""Sending a big request again after it failed in transit, with backoff.

gRPC's own retry policy (:mod:`.channel`) covers small calls within their deadline; a
bulk batch (an order import batch, a chunk of price rules) is retried here instead, for
long enough to ride out a server restart: its request is larger than gRPC's retry buffer
or the outage longer than the call's deadline. Resending is safe only for requests that
are upserts by a key or carry a request_id, which every caller of this module's
functions sends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from wholesale.client.errors import (
    Aborted,
    Cancelled,
    DeadlineExceeded,
    Unavailable,
    WholesaleError,
)

R = TypeVar("R")
# Backoff between attempts: about half a minute in all with the default attempts.
FIRST_BACKOFF, MAX_BACKOFF = 0.5, 8.0
# Failures after which a request is sent again: it never reached the server or its answer
# never came back (UNAVAILABLE, DEADLINE_EXCEEDED, or CANCELLED by a server shutting down
# while it ran), or it lost a race with a concurrent write of the same records, such as
# its own earlier attempt still running on the server after a client-side deadline
# (ABORTED).
RETRIED = (Unavailable, DeadlineExceeded, Cancelled, Aborted)


@dataclass(frozen=True)
class RetryNotice:
    """A request about to be sent again: which attempt comes next, after what pause, and
    the failure of the attempt before, so a person watching knows it is not stuck."""

    attempt: int
    max_attempts: int
    delay: float
    error: WholesaleError


@dataclass(frozen=True)
class ResendPolicy:
    """At most ``max_attempts`` attempts in all, none whose pause would end more than
    ``retry_for`` seconds (None: no limit) after the first failure; ``on_retry`` hears
    of each attempt before its pause."""

    max_attempts: int = 8
    retry_for: float | None = None
    on_retry: Callable[[RetryNotice], None] | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")


def send(call: Callable[[], R], policy: ResendPolicy) -> R:
    """``call()``, made again by ``policy`` while it fails with one of RETRIED."""
    try:
        return call()
    except RETRIED as failure:
        return resend(call, failure, policy)


def resend(call: Callable[[], R], failure: WholesaleError, policy: ResendPolicy) -> R:
    """The attempts after a first one that failed with ``failure``; the last failure is
    raised when they run out."""
    give_up = time.monotonic() + (math.inf if policy.retry_for is None else policy.retry_for)
    for attempt in range(2, policy.max_attempts + 1):
        delay = min(FIRST_BACKOFF * 2 ** (attempt - 2), MAX_BACKOFF)
        if time.monotonic() + delay > give_up:
            break
        if policy.on_retry is not None:
            policy.on_retry(RetryNotice(attempt, policy.max_attempts, delay, failure))
        time.sleep(delay)
        try:
            return call()
        except RETRIED as error:
            failure = error
    raise failure
