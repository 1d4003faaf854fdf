"""Reminder times, pause and skip, and catching up after downtime, without a server."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholesale.server.domain.recurrence import Occurrence, Recurrence, due_us, occurrence_days
from wholesale.server.domain.reorder_timing import (
    DEFAULT_GRACE_US,
    CatchUp,
    Timing,
    dispatch,
    pending_after,
    reminder_us,
)

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
MONDAYS = Recurrence("FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 2), time(9), "Europe/Berlin")


def at(day: date, hour: int = 9) -> int:
    """UTC micros of ``hour`` o'clock in Berlin (UTC+1 in November and December)."""
    return int(datetime(day.year, day.month, day.day, hour - 1, tzinfo=UTC).timestamp()) * 10**6


def occurrence(day: date, rec: Recurrence = MONDAYS) -> Occurrence:
    return Occurrence(day, due_us(rec, day))


def days(found: tuple[Occurrence, ...]) -> list[date]:
    return [o.day for o in found]


def test_the_reminder_goes_out_the_lead_time_before_the_occurrence() -> None:
    timing = Timing(MONDAYS, lead_us=2 * DAY_US)
    monday = occurrence(date(2026, 11, 16))
    assert reminder_us(timing, monday) == at(date(2026, 11, 14))


def test_a_new_schedule_waits_for_the_first_occurrence_after_now() -> None:
    timing = Timing(MONDAYS)
    assert pending_after(timing, at(date(2026, 11, 10))).day == date(2026, 11, 16)
    # Monday 09:00 itself has passed at 09:00: the next Monday.
    assert pending_after(timing, at(date(2026, 11, 16))).day == date(2026, 11, 23)


def test_an_occurrence_on_time_runs_and_the_next_becomes_pending() -> None:
    timing = Timing(MONDAYS, lead_us=2 * DAY_US)
    pending = occurrence(date(2026, 11, 16))
    done = dispatch(timing, pending, at(date(2026, 11, 14)) + 5_000_000)
    assert days(done.run) == [date(2026, 11, 16)]
    assert done.missed == ()
    assert done.pending.day == date(2026, 11, 23)


def test_a_dispatcher_late_by_less_than_the_grace_period_still_runs_it() -> None:
    pending = occurrence(date(2026, 11, 16))
    late = pending.due_us + DEFAULT_GRACE_US - 1
    for policy in CatchUp:
        assert days(dispatch(Timing(MONDAYS, catch_up=policy), pending, late).run) == [
            date(2026, 11, 16)
        ]


MISSED = [date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30)]
# Back on Tuesday 1 December: three Mondays passed while no server ran.
BACK = at(date(2026, 12, 1), 12)


@pytest.mark.parametrize(
    ("policy", "run", "missed"),
    [
        (CatchUp.NONE, [], MISSED),
        (CatchUp.LATEST, MISSED[-1:], MISSED[:-1]),
        (CatchUp.EACH, MISSED, []),
    ],
)
def test_catching_up_after_downtime_under_each_policy(
    policy: CatchUp, run: list[date], missed: list[date]
) -> None:
    done = dispatch(Timing(MONDAYS, catch_up=policy), occurrence(MISSED[0]), BACK)
    assert days(done.run) == run
    assert days(done.missed) == missed
    assert done.pending.day == date(2026, 12, 7)


def test_an_occurrence_due_within_the_grace_period_after_downtime_is_not_missed() -> None:
    # Back at 09:30 on Monday 30 November: the 30th is late by half an hour only.
    back = at(date(2026, 11, 30)) + HOUR_US // 2
    done = dispatch(Timing(MONDAYS, catch_up=CatchUp.NONE), occurrence(MISSED[0]), back)
    assert days(done.missed) == MISSED[:2]
    assert done.run == ()
    assert done.pending.day == date(2026, 11, 30)  # the next look runs it


def test_pause_and_resume_wait_for_the_next_occurrence_without_missing_the_paused_ones() -> None:
    timing = Timing(MONDAYS)
    resumed = at(date(2026, 12, 2))
    assert pending_after(timing, resumed).day == date(2026, 12, 7)


def test_skipping_the_next_occurrence_moves_to_the_one_after() -> None:
    timing = Timing(MONDAYS, decided=frozenset({date(2026, 11, 16)}))
    assert pending_after(timing, at(date(2026, 11, 10))).day == date(2026, 11, 23)


def test_a_changed_rule_never_repeats_an_occurrence_already_run_ahead_of_its_day() -> None:
    # The reminder for Monday the 16th went out on Saturday; on Sunday the rule becomes
    # Mondays and Thursdays: Monday the 16th is decided, Thursday the 19th comes next.
    changed = Recurrence("FREQ=WEEKLY;BYDAY=MO,TH", date(2026, 11, 2), time(9), "Europe/Berlin")
    timing = Timing(changed, lead_us=2 * DAY_US, decided=frozenset({date(2026, 11, 16)}))
    assert pending_after(timing, at(date(2026, 11, 15))).day == date(2026, 11, 19)


def test_the_schedule_ends_after_its_last_occurrence() -> None:
    ending = Recurrence(
        "FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 2), time(9), "Europe/Berlin", count=3
    )
    last = occurrence(date(2026, 11, 16), ending)
    done = dispatch(Timing(ending), last, last.due_us)
    assert days(done.run) == [date(2026, 11, 16)]
    assert done.pending is None


def test_catching_up_never_runs_past_the_end_date() -> None:
    ending = Recurrence(
        "FREQ=DAILY", date(2026, 11, 1), time(9), "Europe/Berlin", end_date=date(2026, 11, 5)
    )
    done = dispatch(
        Timing(ending, catch_up=CatchUp.EACH),
        occurrence(date(2026, 11, 1), ending),
        at(date(2026, 11, 20)),
    )
    assert days(done.run) == [date(2026, 11, d) for d in range(1, 6)]
    assert done.pending is None


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(CatchUp),
    st.integers(0, 60),
    st.integers(0, 40 * 24),
    st.integers(0, 3 * 24),
)
def test_every_occurrence_is_decided_exactly_once_whatever_the_downtime(
    policy: CatchUp, start_offset: int, down_hours: int, lead_hours: int
) -> None:
    """Walking a schedule through a downtime: each occurrence up to the end of the walk is
    run or missed exactly once, in order, and the policy decides how many of a batch missed
    together still run."""
    rec = Recurrence(
        "FREQ=WEEKLY;BYDAY=MO,TH",
        date(2026, 10, 1) + timedelta(start_offset),
        time(9),
        "America/New_York",
    )
    timing = Timing(rec, lead_us=lead_hours * HOUR_US, catch_up=policy)
    now = due_us(rec, rec.start) - 10 * DAY_US
    pending = pending_after(timing, now)
    down_from = now + 5 * DAY_US
    down_until = down_from + down_hours * HOUR_US
    decided: list[date] = []
    ran: list[date] = []
    end = now + 60 * DAY_US
    while pending is not None and now < end:
        fire = reminder_us(timing, pending)
        now = max(now, fire)
        if down_from <= now < down_until:
            now = down_until
        done = dispatch(timing, pending, now)
        decided += sorted(days(done.run) + days(done.missed))
        ran += days(done.run)
        if policy is CatchUp.EACH:
            assert done.missed == ()
        elif len(done.run) + len(done.missed) > 1:
            assert len(done.run) == (policy is CatchUp.LATEST)
        pending = done.pending
        now += 1
    assert sorted(decided) == decided
    assert len(set(decided)) == len(decided)
    assert decided[0] >= rec.start
    expected = [day for day in _walk(rec) if day <= decided[-1]]
    assert sorted(decided) == expected
    assert set(ran) <= set(decided)


def _walk(rec: Recurrence) -> list[date]:
    found = []
    for day in occurrence_days(rec, rec.start):
        if len(found) > 40:
            break
        found.append(day)
    return found
