"""The client's ReorderService methods against a real server (SQLite and PostgreSQL):
schedules from friendly values, previews, changes, pauses and skips, and errors named by
field; and rules spelled from words, without a server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from conftest import RunningServer
from test_client_tiers import seed_accounts

from wholesale.client import Aborted, Client, FailedPrecondition, InvalidArgument
from wholesale.client.friendly_rule import rule_from_words
from wholesale.client.values import from_date


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


def _create(client: Client, account: str, **fields):  # type: ignore[no-untyped-def]
    values = {
        "recurrence_rule": rule_from_words("2 weeks", ["monday"]),
        "start_date": dt.date.today() - dt.timedelta(days=30),
        "time_zone": "Europe/Berlin",
        "time_of_day": "09:00",
        "reminder_lead": dt.timedelta(days=2),
        **fields,
    }
    return client.create_schedule(account, [("APPLE-1L", 12)], **values)


def test_a_schedule_from_friendly_values_round_trips(admin: Client) -> None:
    [account] = seed_accounts(admin, "")
    preview = _create(admin, account, validate_only=True)
    created = _create(admin, account, catch_up="each", note="café order")

    assert not preview.schedule.id and [o.date for o in preview.upcoming] == [
        o.date for o in created.upcoming
    ]
    schedule = admin.get_schedule(created.schedule.id)
    assert schedule.recurrence_rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    assert (schedule.time_of_day.hours, schedule.reminder_lead.seconds) == (9, 2 * 86_400)
    assert schedule.note == "café order" and schedule.catch_up == 3  # EACH
    assert [s.id for s in admin.schedules(account)] == [schedule.id]
    assert [s.id for s in admin.schedules(status="paused")] == []
    upcoming = admin.upcoming_occurrences(schedule.id, 3)
    assert [o.date for o in upcoming] == [o.date for o in created.upcoming[:3]]


def test_changes_pauses_and_skips_through_the_client(admin: Client) -> None:
    [account] = seed_accounts(admin, "")
    schedule = _create(admin, account).schedule
    first = from_date(schedule.next_occurrence_date)

    changed = admin.update_schedule(schedule.id, etag=schedule.etag, note="ring twice")
    assert changed.note == "ring twice" and changed.etag == "v2"
    with pytest.raises(Aborted):
        admin.update_schedule(schedule.id, etag=schedule.etag, note="stale")
    skipped = admin.skip_next_occurrence(schedule.id, "closed for stock-taking")
    assert from_date(skipped.skipped.date) == first
    assert [from_date(o.date) for o in admin.occurrences(schedule.id)] == [first]
    paused = admin.pause_schedule(schedule.id)
    with pytest.raises(FailedPrecondition):
        admin.skip_next_occurrence(schedule.id)
    resumed = admin.resume_schedule(schedule.id, etag=paused.etag)
    assert from_date(resumed.next_occurrence_date) == first + dt.timedelta(days=14)
    admin.delete_schedule(schedule.id)
    assert list(admin.schedules(account)) == []


def test_bad_values_are_refused_naming_the_field(admin: Client) -> None:
    [account] = seed_accounts(admin, "")
    with pytest.raises(InvalidArgument) as refused:
        _create(admin, account, recurrence_rule="FREQ=WEEKLY;COUNT=3", time_zone="Nowhere")
    assert {field for field, _ in refused.value.field_violations} == {
        "schedule.recurrence_rule",
        "schedule.time_zone",
    }
    with pytest.raises(ValueError, match="time_of_day: '9 am' is not a time of day"):
        _create(admin, account, time_of_day="9 am")
    with pytest.raises(TypeError, match=r"lines\[0\]\.quantity: '12' is a str"):
        admin.create_schedule(
            account,
            [("APPLE-1L", "12")],
            recurrence_rule="FREQ=DAILY",
            start_date="2026-01-01",
            time_zone="UTC",
        )


@pytest.mark.parametrize(
    ("every", "on", "rule"),
    [
        ("week", [], "FREQ=WEEKLY"),
        ("2 weeks", ["monday"], "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"),
        ("Week", ["mon,thu"], "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("day", ["weekdays"], "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
        ("month", ["1st", "last"], "FREQ=MONTHLY;BYMONTHDAY=1,-1"),
        ("3 months", ["15"], "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15"),
        ("year", [], "FREQ=YEARLY"),
    ],
)
def test_rules_are_spelled_from_words(every: str, on: list[str], rule: str) -> None:
    assert rule_from_words(every, on) == rule


@pytest.mark.parametrize(
    ("every", "on", "says"),
    [
        ("fortnight", [], "is not a period"),
        ("0 weeks", [], "must be at least 1"),
        ("week", ["funday"], "'funday' is not a weekday"),
        ("month", ["32"], "'32' is not a weekday"),
    ],
)
def test_words_that_are_no_rule_say_what_was_not_understood(
    every: str, on: list[str], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        rule_from_words(every, on)
