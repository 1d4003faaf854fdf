"""A standing order: what an account reorders (SKUs and quantities, never prices: a draft
is priced for its own day) and when, with the state the dispatcher keeps on it.

A schedule is active, paused or ended. An active one has a pending occurrence (the next
one due, see :mod:`~wholesale.server.domain.reorder_timing`) whose reminder time is what
the dispatcher looks up; a paused one keeps none until it is resumed; an ended one has
none left (its end date or count is reached, or it was ended by hand).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date

from wholesale.server.domain.order import MAX_QUANTITY
from wholesale.server.domain.recurrence import Occurrence, Recurrence, validate_recurrence
from wholesale.server.domain.reorder_timing import CatchUp, Timing, pending_after, reminder_us
from wholesale.server.domain.text import check_text
from wholesale.server.errors import Validator

MAX_LINES = 200
MAX_NOTE = 2000
DAY_US = 86_400_000_000
MAX_LEAD_US = 30 * DAY_US


class ScheduleStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class OccurrenceState(enum.StrEnum):
    """How an occurrence was decided."""

    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"


@dataclass(frozen=True)
class RecordedOccurrence:
    day: date
    due_us: int
    reminder_us: int
    state: OccurrenceState
    detail: str
    update_time_us: int


@dataclass(frozen=True)
class ScheduleLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ReorderSchedule:
    id: int
    account_id: int
    lines: tuple[ScheduleLine, ...]
    recurrence: Recurrence
    lead_us: int = 0
    catch_up: CatchUp = CatchUp.LATEST
    status: ScheduleStatus = ScheduleStatus.ACTIVE
    note: str = ""
    # The next occurrence due; None unless active.
    pending: Occurrence | None = None
    missed_count: int = 0
    version: int = 0
    create_time_us: int = 0
    update_time_us: int = 0
    # Days decided ahead of now (a reminder sent, an occurrence skipped): loaded with the
    # schedule so a changed rule or a resume does not bring them back.
    decided: frozenset[date] = field(default=frozenset(), compare=False)

    @property
    def etag(self) -> str:
        return f"v{self.version}"

    @property
    def timing(self) -> Timing:
        return Timing(self.recurrence, self.lead_us, self.catch_up, self.decided)

    @property
    def reminder_us(self) -> int | None:
        """When the dispatcher acts on the pending occurrence; None with nothing pending."""
        return reminder_us(self.timing, self.pending) if self.pending else None


def validate_schedule(v: Validator, schedule: ReorderSchedule) -> None:
    """Field violations for the schedule's own fields (the SKUs' existence and the
    account are checked against the catalog and accounts by the use case)."""
    _validate_lines(v, schedule.lines)
    validate_recurrence(v, schedule.recurrence)
    v.check(
        0 <= schedule.lead_us <= MAX_LEAD_US,
        "reminder_lead",
        "from 0 to 30 days ahead of the occurrence",
    )
    check_text(v, "note", schedule.note, MAX_NOTE)


def _validate_lines(v: Validator, lines: tuple[ScheduleLine, ...]) -> None:
    if not v.check(1 <= len(lines) <= MAX_LINES, "lines", f"1 to {MAX_LINES} lines"):
        return
    seen: set[str] = set()
    for index, line in enumerate(lines):
        path = f"lines[{index}]"
        if v.check(bool(line.sku), f"{path}.sku", "required"):
            v.check(line.sku not in seen, f"{path}.sku", f"{line.sku} is on an earlier line")
            seen.add(line.sku)
        v.check(
            0 < line.quantity <= MAX_QUANTITY,
            f"{path}.quantity",
            f"must be between 1 and {MAX_QUANTITY:,}",
        )


def with_pending(schedule: ReorderSchedule, now_us: int) -> ReorderSchedule:
    """The schedule waiting for its first undecided occurrence after ``now_us``,
    computed from the rule: what a create, a resume or a changed rule leaves. An active
    schedule without one has ended."""
    if schedule.status is not ScheduleStatus.ACTIVE:
        return replace(schedule, pending=None)
    pending = pending_after(schedule.timing, now_us)
    status = ScheduleStatus.ACTIVE if pending else ScheduleStatus.ENDED
    return replace(schedule, pending=pending, status=status)
