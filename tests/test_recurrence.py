"""Recurrence rules without a server: which local days a schedule falls on, and when."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholesale.server.domain.recurrence import (
    MonthEnd,
    Recurrence,
    RecurrenceError,
    due_between,
    due_us,
    next_occurrence,
    normal_rule,
    occurrence_days,
    parse_rule,
    upcoming,
    validate_recurrence,
)
from wholesale.server.errors import Validator

NINE = time(9, 0)


def recurrence(rule: str, start: date, **fields: object) -> Recurrence:
    values: dict = {"time_of_day": NINE, "zone": "Europe/Berlin", **fields}
    return Recurrence(rule, start, **values)


def days(rec: Recurrence, n: int, first: date | None = None) -> list[date]:
    found = occurrence_days(rec, first or rec.start)
    return [day for day, _ in zip(found, range(n), strict=False)]


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000


def local(us: int, zone: str) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, UTC).astimezone(ZoneInfo(zone))


def violations(rec: Recurrence) -> dict[str, str]:
    v = Validator()
    validate_recurrence(v, rec)
    return {violation.field: violation.description for violation in v.violations}


# ---------------------------------------------------------------------------- which days


def test_every_other_monday_from_a_monday_start() -> None:
    rec = recurrence("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", date(2026, 11, 2))
    assert days(rec, 4) == [
        date(2026, 11, 2),
        date(2026, 11, 16),
        date(2026, 11, 30),
        date(2026, 12, 14),
    ]


def test_a_start_between_mondays_begins_at_the_next_monday() -> None:
    rec = recurrence("FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 4))
    assert days(rec, 2) == [date(2026, 11, 9), date(2026, 11, 16)]


def test_first_and_last_day_of_the_month() -> None:
    first = recurrence("FREQ=MONTHLY;BYMONTHDAY=1", date(2026, 1, 15))
    last = recurrence("FREQ=MONTHLY;BYMONTHDAY=-1", date(2026, 1, 15))
    assert days(first, 3) == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert days(last, 4) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_weekdays_only() -> None:
    rec = recurrence("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2026, 12, 3))  # a Thursday
    assert days(rec, 4) == [
        date(2026, 12, 3),
        date(2026, 12, 4),
        date(2026, 12, 7),
        date(2026, 12, 8),
    ]


THE_31ST = [
    date(2026, 1, 31),
    date(2026, 2, 28),
    date(2026, 3, 31),
    date(2026, 4, 30),
    date(2026, 5, 31),
]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (MonthEnd.BACKWARD, THE_31ST),
        (
            MonthEnd.FORWARD,
            [
                date(2026, 1, 31),
                date(2026, 3, 1),
                date(2026, 3, 31),
                date(2026, 5, 1),
                date(2026, 5, 31),
            ],
        ),
        (
            MonthEnd.OMIT,
            [
                date(2026, 1, 31),
                date(2026, 3, 31),
                date(2026, 5, 31),
                date(2026, 7, 31),
                date(2026, 8, 31),
            ],
        ),
    ],
)
def test_the_31st_in_short_months_under_each_policy(policy: MonthEnd, expected: list) -> None:
    rec = recurrence("FREQ=MONTHLY;BYMONTHDAY=31", date(2026, 1, 1), month_end=policy)
    assert days(rec, 5) == expected


def test_a_start_on_the_31st_implies_the_31st_and_never_sticks_to_the_shorter_month() -> None:
    rec = recurrence("FREQ=MONTHLY", date(2026, 1, 31))
    assert days(rec, 5) == THE_31ST


def test_forward_never_gives_the_same_day_twice() -> None:
    # The 30th and 31st of February both move to 1 March: one occurrence, not two.
    rec = recurrence("FREQ=MONTHLY;BYMONTHDAY=30,31", date(2026, 2, 1), month_end=MonthEnd.FORWARD)
    assert days(rec, 5) == [
        date(2026, 3, 1),
        date(2026, 3, 30),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 1),
    ]


def test_29_february_yearly_under_each_policy() -> None:
    start = date(2028, 2, 29)
    backward = recurrence("FREQ=YEARLY", start)
    forward = recurrence("FREQ=YEARLY", start, month_end=MonthEnd.FORWARD)
    omit = recurrence("FREQ=YEARLY", start, month_end=MonthEnd.OMIT)
    assert days(backward, 2) == [start, date(2029, 2, 28)]
    assert days(forward, 2) == [start, date(2029, 3, 1)]
    assert days(omit, 2) == [start, date(2032, 2, 29)]


def test_the_end_date_is_the_last_possible_day_inclusive() -> None:
    rec = recurrence("FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 2), end_date=date(2026, 11, 16))
    assert days(rec, 10) == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]


def test_the_count_is_counted_from_the_start_not_from_the_first_day_asked_for() -> None:
    rec = recurrence("FREQ=DAILY", date(2026, 11, 1), count=5)
    assert days(rec, 10, first=date(2026, 11, 3)) == [
        date(2026, 11, 3),
        date(2026, 11, 4),
        date(2026, 11, 5),
    ]


def test_the_count_counts_days_moved_by_the_month_end_policy() -> None:
    rec = recurrence("FREQ=MONTHLY;BYMONTHDAY=31", date(2026, 1, 1), count=3)
    assert days(rec, 10) == THE_31ST[:3]


# ---------------------------------------------------------------------------- when, in UTC


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # Each zone's spring-forward day sits between the two dates.
        ("Europe/Berlin", date(2027, 3, 27), date(2027, 3, 29)),
        ("America/New_York", date(2027, 3, 13), date(2027, 3, 15)),
        ("Australia/Sydney", date(2027, 10, 2), date(2027, 10, 4)),
        # and its fall-back day.
        ("Europe/Berlin", date(2027, 10, 30), date(2027, 11, 1)),
        ("America/New_York", date(2027, 11, 6), date(2027, 11, 8)),
        ("Australia/Sydney", date(2027, 4, 3), date(2027, 4, 5)),
    ],
)
def test_nine_o_clock_stays_nine_o_clock_across_daylight_saving(
    zone: str, before: date, after: date
) -> None:
    rec = recurrence("FREQ=DAILY", before, zone=zone)
    found = [local(due_us(rec, day), zone) for day in days(rec, 3)]
    assert [moment.time() for moment in found] == [NINE] * 3
    assert [moment.date() for moment in found] == [before, before + timedelta(1), after]
    offsets = {moment.utcoffset() for moment in found}
    assert len(offsets) == 2  # the UTC instant moved by an hour: no drift in local time


def test_a_time_skipped_by_spring_forward_moves_forward_by_the_gap() -> None:
    rec = recurrence("FREQ=DAILY", date(2027, 3, 27), time_of_day=time(2, 30))
    due = [local(due_us(rec, day), "Europe/Berlin") for day in days(rec, 3)]
    assert [moment.strftime("%d %H:%M") for moment in due] == ["27 02:30", "28 03:30", "29 02:30"]


def test_a_time_repeated_by_fall_back_is_due_once_at_its_first_instance() -> None:
    rec = recurrence("FREQ=DAILY", date(2027, 10, 30), time_of_day=time(2, 30))
    fall_back = date(2027, 10, 31)
    due = due_us(rec, fall_back)
    # 02:30 summer time (UTC+2) is 00:30 UTC; the repeated 02:30 (UTC+1) an hour later.
    assert datetime.fromtimestamp(due // 1_000_000, UTC) == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )
    found = due_between(
        rec,
        micros(datetime(2027, 10, 30, 23, tzinfo=UTC)),
        micros(datetime(2027, 10, 31, 3, tzinfo=UTC)),
    )
    assert [occurrence.day for occurrence in found] == [fall_back]


def test_next_occurrence_is_strictly_after_the_instant() -> None:
    rec = recurrence("FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 2))
    monday_nine = due_us(rec, date(2026, 11, 9))
    assert next_occurrence(rec, monday_nine - 1).day == date(2026, 11, 9)
    assert next_occurrence(rec, monday_nine).day == date(2026, 11, 16)


def test_next_occurrence_of_a_future_start_is_the_start() -> None:
    rec = recurrence("FREQ=MONTHLY;BYMONTHDAY=1", date(2027, 6, 1))
    now = micros(datetime(2026, 12, 4, tzinfo=UTC))
    assert next_occurrence(rec, now).day == date(2027, 6, 1)
    assert [o.day for o in upcoming(rec, now, 3)] == [
        date(2027, 6, 1),
        date(2027, 7, 1),
        date(2027, 8, 1),
    ]


def test_no_next_occurrence_after_the_end() -> None:
    rec = recurrence("FREQ=DAILY", date(2026, 11, 1), end_date=date(2026, 11, 3))
    assert next_occurrence(rec, due_us(rec, date(2026, 11, 3))) is None
    assert upcoming(rec, due_us(rec, date(2026, 11, 2)), 5)[-1].day == date(2026, 11, 3)


def test_due_between_lists_what_a_stopped_server_missed() -> None:
    rec = recurrence("FREQ=WEEKLY;BYDAY=MO,TH", date(2026, 11, 2), zone="America/New_York")
    stopped = micros(datetime(2026, 11, 5, 12, tzinfo=UTC))  # Thursday 07:00 in New York
    restarted = micros(datetime(2026, 11, 16, 14, tzinfo=UTC))  # Monday 09:00 exactly
    missed = due_between(rec, stopped, restarted)
    assert [o.day for o in missed] == [
        date(2026, 11, 5),
        date(2026, 11, 9),
        date(2026, 11, 12),
        date(2026, 11, 16),
    ]
    assert due_between(rec, restarted, restarted) == []


def test_a_day_whose_due_time_is_before_midnight_utc_is_found() -> None:
    # 09:00 in Sydney is the previous evening in UTC: the search must look a day back.
    rec = recurrence("FREQ=DAILY", date(2026, 12, 1), zone="Australia/Sydney")
    after = micros(datetime(2026, 12, 2, 21, tzinfo=UTC))  # 08:00 on the 3rd in Sydney
    assert next_occurrence(rec, after).day == date(2026, 12, 3)


# ---------------------------------------------------------------------------- the rule text


def test_the_rule_is_stored_in_upper_case_without_prefix() -> None:
    assert (
        normal_rule(" rrule:freq=weekly;interval=2;byday=mo; ") == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    )


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("", "give a rule"),
        ("FREQ=HOURLY", "FREQ must be one of DAILY, WEEKLY, MONTHLY, YEARLY"),
        ("BYDAY=MO", "FREQ must be one of"),
        ("FREQ=WEEKLY;COUNT=3", "count"),
        ("FREQ=WEEKLY;UNTIL=20270101", "end_date"),
        ("FREQ=DAILY;BYHOUR=9", "time_of_day"),
        ("FREQ=MONTHLY;SKIP=BACKWARD", "month_end"),
        ("FREQ=WEEKLY;BYDAY", "is not NAME=VALUE"),
        ("FREQ=WEEKLY;COLOUR=RED", "COLOUR is not an RFC 5545 rule part"),
        ("FREQ=WEEKLY;FREQ=DAILY", "FREQ is given twice"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY values are 1 to 31 or -31 to -1"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "not '0'"),
        ("FREQ=YEARLY;BYMONTH=-1", "BYMONTH values are 1 to 12, not '-1'"),
    ],
)
def test_a_rule_that_cannot_be_used_says_what_to_change(rule: str, says: str) -> None:
    with pytest.raises(RecurrenceError, match=says):
        parse_rule(rule)


@pytest.mark.parametrize(
    ("rule", "fields", "field", "says"),
    [
        ("FREQ=WEEKLY;INTERVAL=0", {}, "recurrence_rule", "INTERVAL must be from 1 to 1000"),
        ("FREQ=WEEKLY;INTERVAL=two", {}, "recurrence_rule", "INTERVAL must be a whole number"),
        ("FREQ=WEEKLY;BYDAY=XX", {}, "recurrence_rule", "not a valid RFC 5545 rule"),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            {"month_end": MonthEnd.OMIT},
            "recurrence_rule",
            "has no occurrence",
        ),
        ("FREQ=WEEKLY", {"zone": "Mars/Olympus"}, "time_zone", "not an IANA time zone"),
        ("FREQ=WEEKLY", {"zone": ""}, "time_zone", "give the account's IANA time zone"),
        ("FREQ=WEEKLY", {"end_date": date(2026, 1, 1)}, "end_date", "before the start date"),
        ("FREQ=WEEKLY", {"count": 0}, "occurrence_count", "from 1 to 10,000"),
        ("FREQ=WEEKLY", {"time_of_day": time(9, 0, 30)}, "time_of_day", "hours and minutes"),
        ("FREQ=MONTHLY;BYDAY=MO;BYMONTHDAY=31", {}, "month_end", "set month_end to omit"),
    ],
)
def test_validation_names_the_field_to_fix(rule: str, fields: dict, field: str, says: str) -> None:
    found = violations(recurrence(rule, date(2026, 2, 1), **fields))
    assert field in found
    assert says in found[field]


def test_validation_lists_every_problem_at_once() -> None:
    rec = recurrence("FREQ=WEEKLY;COLOUR=RED", date(2026, 2, 1), zone="Nowhere", count=0)
    assert set(violations(rec)) == {"recurrence_rule", "time_zone", "occurrence_count"}


def test_validation_accepts_a_usual_schedule() -> None:
    assert violations(recurrence("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", date(2026, 2, 2))) == {}
    omit = recurrence(
        "FREQ=MONTHLY;BYDAY=MO;BYMONTHDAY=31", date(2026, 2, 2), month_end=MonthEnd.OMIT
    )
    assert violations(omit) == {}


# ---------------------------------------------------------------------------- properties

RULES = st.sampled_from(
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;BYDAY=MO",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTHDAY=1,15,30",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=YEARLY",
        "FREQ=MONTHLY;INTERVAL=2",
    ]
)
ZONES = st.sampled_from(
    ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Asia/Kolkata"]
)
STARTS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
TIMES = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    start = draw(STARTS)
    end = draw(st.none() | st.integers(0, 800).map(lambda n: start + timedelta(n)))
    return Recurrence(
        draw(RULES),
        start,
        draw(TIMES),
        draw(ZONES),
        draw(st.sampled_from(MonthEnd)),
        end,
        draw(st.none() | st.integers(1, 40)),
    )


@settings(max_examples=150, deadline=None)
@given(recurrences())
def test_occurrences_are_increasing_within_start_end_and_count(rec: Recurrence) -> None:
    found = days(rec, 60)
    assert found == sorted(set(found))
    assert all(day >= rec.start for day in found)
    assert rec.end_date is None or all(day <= rec.end_date for day in found)
    assert rec.count is None or len(found) <= rec.count
    due = [due_us(rec, day) for day in found]
    assert due == sorted(set(due))  # one instant per day, in the same order


@settings(max_examples=100, deadline=None)
@given(STARTS, st.integers(29, 31))
def test_backward_gives_exactly_one_day_in_every_month(start: date, wanted: int) -> None:
    rec = recurrence(f"FREQ=MONTHLY;BYMONTHDAY={wanted}", start)
    found = days(rec, 24)
    months = [(day.year, day.month) for day in found]
    assert len(set(months)) == len(months) == 24
    for day in found:
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        assert day.day == min(wanted, (next_month - timedelta(days=1)).day)


@settings(max_examples=100, deadline=None)
@given(recurrences(), st.integers(-2, 3000), st.integers(-86_400, 86_400))
def test_next_occurrence_agrees_with_walking_from_the_start(
    rec: Recurrence, offset_days: int, offset_seconds: int
) -> None:
    after = due_us(rec, rec.start) + (offset_days * 86_400 + offset_seconds) * 1_000_000
    walked = (day for day in days(rec, 5_000) if due_us(rec, day) > after)
    found = next_occurrence(rec, after)
    assert (found.day if found else None) == next(walked, None)


def test_a_schedule_starting_on_29_february_validates() -> None:
    for rule in ("FREQ=WEEKLY;BYDAY=MO", "FREQ=YEARLY"):
        assert violations(recurrence(rule, date(2028, 2, 29))) == {}


@pytest.mark.parametrize("days", ["31", "15,30"])
def test_yearly_days_of_the_month_are_in_every_month_whatever_the_policy(days: str) -> None:
    """RFC 5545: FREQ=YEARLY;BYMONTHDAY=31 is the 31st of every month that has one; the
    policy only changes what the shorter months get."""
    rule = f"FREQ=YEARLY;BYMONTHDAY={days}"
    omit = days_of(recurrence(rule, date(2026, 1, 1), month_end=MonthEnd.OMIT))
    backward = days_of(recurrence(rule, date(2026, 1, 1)))
    assert set(omit) <= set(backward)
    assert {d.month for d in backward} == set(range(1, 13))
    assert len(omit) == (7 if days == "31" else 23)


def days_of(rec: Recurrence) -> list[date]:
    """The occurrences of 2026."""
    return [d for d in days(rec, 40) if d.year == 2026]
