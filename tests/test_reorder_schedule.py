"""A standing order's own rules, without a server: its lines, lead time and pending state."""

from dataclasses import replace
from datetime import UTC, date, datetime, time

from wholesale.server.domain.recurrence import Recurrence
from wholesale.server.domain.reorder_schedule import (
    DAY_US,
    ReorderSchedule,
    ScheduleLine,
    ScheduleStatus,
    validate_schedule,
    with_pending,
)
from wholesale.server.errors import Validator

MONDAYS = Recurrence("FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 2), time(9), "Europe/Berlin")
SCHEDULE = ReorderSchedule(0, 1, (ScheduleLine("COF-1", 12),), MONDAYS, lead_us=2 * DAY_US)
NOW = int(datetime(2026, 11, 10, 12, tzinfo=UTC).timestamp()) * 1_000_000


def violations(schedule: ReorderSchedule) -> dict[str, str]:
    v = Validator("schedule")
    validate_schedule(v, schedule)
    return {violation.field: violation.description for violation in v.violations}


def test_a_usual_schedule_is_valid() -> None:
    assert violations(SCHEDULE) == {}


def test_lines_need_a_sku_a_positive_quantity_and_no_repeats() -> None:
    lines = (ScheduleLine("", 1), ScheduleLine("A", 0), ScheduleLine("A", 3))
    found = violations(replace(SCHEDULE, lines=lines))
    assert found == {
        "schedule.lines[0].sku": "required",
        "schedule.lines[1].quantity": "must be between 1 and 1,000,000,000",
        "schedule.lines[2].sku": "A is on an earlier line",
    }
    assert "schedule.lines" in violations(replace(SCHEDULE, lines=()))


def test_the_lead_time_and_the_recurrence_are_checked_with_the_rest() -> None:
    bad = replace(SCHEDULE, lead_us=31 * DAY_US, recurrence=replace(MONDAYS, zone="Nowhere"))
    assert set(violations(bad)) == {"schedule.reminder_lead", "schedule.time_zone"}


def test_a_new_schedule_waits_for_its_next_occurrence_with_the_reminder_ahead() -> None:
    pending = with_pending(SCHEDULE, NOW)
    assert pending.pending.day == date(2026, 11, 16)
    assert pending.reminder_us == pending.pending.due_us - 2 * DAY_US


def test_a_paused_schedule_has_nothing_pending() -> None:
    paused = with_pending(replace(SCHEDULE, status=ScheduleStatus.PAUSED), NOW)
    assert paused.pending is None
    assert paused.reminder_us is None


def test_a_schedule_past_its_last_occurrence_has_ended() -> None:
    ended = replace(SCHEDULE, recurrence=replace(MONDAYS, end_date=date(2026, 11, 9)))
    done = with_pending(ended, NOW)
    assert done.status is ScheduleStatus.ENDED
    assert done.pending is None


def test_days_decided_ahead_are_not_pending_again() -> None:
    decided = replace(SCHEDULE, decided=frozenset({date(2026, 11, 16)}))
    assert with_pending(decided, NOW).pending.day == date(2026, 11, 23)
