"""Events: what happened that integrations want to hear of (a reminder, a draft decided,
a tier or account changed, an order recorded), in the order a reader can trust.

An event's position is (transaction, id): on PostgreSQL the id is taken when the row is
inserted but becomes visible only at commit, so ids alone can be read out of order; the
transaction id lets the reader stop before any transaction still running (see
:mod:`wholesale.server.store.event_store`). A cursor is a position written as text; a
client keeps it and asks for what comes after.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from wholesale.server.domain.audit import Json


class EventType(enum.StrEnum):
    REMINDER = "reorder.reminder"
    MISSED = "reorder.missed"
    DISPATCH_FAILED = "reorder.failed"
    DRAFT_CONFIRMED = "draft.confirmed"
    DRAFT_REJECTED = "draft.rejected"
    DRAFT_EXPIRED = "draft.expired"
    TIER_CHANGED = "tier.changed"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_UPDATED = "account.updated"
    ORDER_RECORDED = "order.recorded"


@dataclass(frozen=True, order=True)
class Position:
    txid: int = 0
    id: int = 0

    @property
    def cursor(self) -> str:
        return f"{self.txid}.{self.id}"


START = Position()
_CURSOR = re.compile(r"(\d{1,19})\.(\d{1,19})")


def parse_cursor(text: str) -> Position | None:
    """The position a cursor names; START for an empty one, None for one not made here."""
    if not text:
        return START
    match = _CURSOR.fullmatch(text)
    return Position(int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class NewEvent:
    """An event as a change records it, before the store gives it a position."""

    type: EventType
    subject: str
    data: dict[str, Json]
    account_id: int | None = None


@dataclass(frozen=True)
class Event:
    position: Position
    type: EventType
    subject: str
    data: dict[str, Json]
    account_id: int | None
    create_time_us: int
