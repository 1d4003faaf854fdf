"""When a standing order's reminder goes out, and what a late dispatcher does about the
occurrences whose day passed while no server was running.

A schedule keeps one pending occurrence: the next one due that was neither run, skipped
nor given up. Its reminder (with the draft reorder, priced for the occurrence's day) is
sent ``lead`` before it is due. The dispatcher acts on a pending occurrence once its
reminder time has come; if the occurrence itself is already overdue by more than the
grace period, the server was down, and the schedule's catch-up policy says which of the
occurrences missed since then still run: none, the latest only, or each. Occurrences that
do not run are recorded as missed, never dropped silently.

The next pending occurrence is always computed from the rule (never from the time of the
last run), so a changed rule, a pause or a long downtime cannot make a schedule drift.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from wholesale.server.domain.recurrence import Occurrence, Recurrence, occurrences_after

# An occurrence overdue by less than this still runs whatever the policy: the dispatcher's
# own delay, or a restart, is not downtime.
DEFAULT_GRACE_US = 3_600_000_000


class CatchUp(enum.StrEnum):
    """Which occurrences missed during downtime still run when a server is back."""

    NONE = "none"
    LATEST = "latest"
    EACH = "each"


@dataclass(frozen=True)
class Timing:
    recurrence: Recurrence
    lead_us: int = 0
    catch_up: CatchUp = CatchUp.LATEST
    # Days of occurrences already decided (run, skipped, missed) that may come up again:
    # a reminder runs ahead of its day, and a changed rule is recomputed from now.
    decided: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Dispatch:
    """What one look at a schedule's pending occurrence decides."""

    run: tuple[Occurrence, ...]
    missed: tuple[Occurrence, ...]
    # The next pending occurrence; None once the schedule has ended.
    pending: Occurrence | None


def reminder_us(timing: Timing, occurrence: Occurrence) -> int:
    """When the occurrence's reminder (and draft) is due: ``lead`` before the occurrence.
    A time already past means as soon as possible, as for a schedule created today for
    tomorrow with two days' notice."""
    return occurrence.due_us - timing.lead_us


def pending_after(timing: Timing, after_us: int) -> Occurrence | None:
    """The first undecided occurrence due strictly after ``after_us``: what a new,
    resumed or changed schedule waits for (occurrences due while it was paused are not
    missed: nobody wanted them)."""
    return next(_undecided(timing, after_us), None)


def dispatch(
    timing: Timing, pending: Occurrence, now_us: int, grace_us: int = DEFAULT_GRACE_US
) -> Dispatch:
    """Decides the pending occurrence, whose reminder time has come at ``now_us``, and
    every occurrence missed along with it."""
    overdue_until = now_us - grace_us
    if pending.due_us > overdue_until:
        return Dispatch((pending,), (), pending_after(timing, pending.due_us))
    missed = [pending]
    for occurrence in _undecided(timing, pending.due_us):
        if occurrence.due_us > overdue_until:
            break
        missed.append(occurrence)
    run = _caught_up(timing.catch_up, missed)
    return Dispatch(
        run,
        tuple(occurrence for occurrence in missed if occurrence not in run),
        pending_after(timing, missed[-1].due_us),
    )


def _caught_up(policy: CatchUp, missed: list[Occurrence]) -> tuple[Occurrence, ...]:
    if policy is CatchUp.EACH:
        return tuple(missed)
    if policy is CatchUp.LATEST:
        return (missed[-1],)
    return ()


def _undecided(timing: Timing, after_us: int) -> Iterator[Occurrence]:
    return (
        occurrence
        for occurrence in occurrences_after(timing.recurrence, after_us)
        if occurrence.day not in timing.decided
    )
