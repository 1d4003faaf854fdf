"""The time, passed in rather than read from a global, so tests can say what "now" is.

Every piece of work gets its clock from the unit of work that runs it: the server hands
the same :class:`SystemClock` to every RPC and job, a test hands a :class:`FixedClock` and
moves it. Instants are integer microseconds since the Unix epoch, UTC, as stored.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND


class Clock(Protocol):
    def now_us(self) -> int:
        """The current instant in microseconds since the epoch, UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now_us(self) -> int:
        return time.time_ns() // 1000


class FixedClock:
    """A clock that stands still until told otherwise; safe to move from another thread."""

    def __init__(self, instant: dt.datetime) -> None:
        self._lock = threading.Lock()
        self._now_us = instant_us(instant)

    def now_us(self) -> int:
        with self._lock:
            return self._now_us

    def set(self, instant: dt.datetime) -> None:
        with self._lock:
            self._now_us = instant_us(instant)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now_us += round(seconds * MICROS_PER_SECOND)


def instant_us(instant: dt.datetime) -> int:
    """An aware datetime as microseconds since the epoch; a naive one is refused, since
    it could mean any time zone."""
    if instant.tzinfo is None:
        raise ValueError("a clock needs an aware datetime, e.g. datetime(..., tzinfo=UTC)")
    return (instant - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def rfc3339(time_us: int) -> str:
    """An instant as RFC 3339 text in UTC (``2026-12-03T09:46:28.007123Z``), the form
    times take in the audit log, where clients read them without knowing our units."""
    instant = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=time_us)
    return instant.isoformat().replace("+00:00", "Z")


def today(clock: Clock) -> int:
    """The calendar day (a day number, UTC) the clock is on."""
    return day_of_instant(clock.now_us())


def day_of_instant(time_us: int) -> int:
    """The UTC calendar day of an instant, as a day number (days since 1970-01-01)."""
    return time_us // MICROS_PER_DAY
