"""ReorderService over a real server on both databases: schedules created, previewed,
changed, paused, resumed, skipped and deleted; occurrences listed; bad input; who may
see and change what."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from google.type import date_pb2, timeofday_pb2
from support.orders import OrdersApi, make_product
from support.rpc import expect_failure

from wholesale.v1 import reorder_pb2, reorder_service_pb2, reorder_service_pb2_grpc

INVALID = grpc.StatusCode.INVALID_ARGUMENT
BERLIN = ZoneInfo("Europe/Berlin")


def date_msg(day: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def day_of(message: date_pb2.Date) -> dt.date:
    return dt.date(message.year, message.month, message.day)


def today() -> dt.date:
    return dt.datetime.now(BERLIN).date()


class ReorderApi(OrdersApi):
    def __init__(self, channel: grpc.Channel, tokens: dict[str, str]) -> None:
        super().__init__(channel, tokens)
        self.reorders = reorder_service_pb2_grpc.ReorderServiceStub(channel)

    def schedule(self, account_id: str, **overrides: Any) -> reorder_pb2.ReorderSchedule:
        values: dict[str, Any] = {
            "account_id": account_id,
            "lines": [reorder_pb2.ScheduleLine(sku="COF-1", quantity=12)],
            "recurrence_rule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
            "start_date": date_msg(today() - dt.timedelta(days=30)),
            "time_zone": "Europe/Berlin",
            "time_of_day": timeofday_pb2.TimeOfDay(hours=9),
            "reminder_lead": Duration(seconds=2 * 86_400),
        }
        values.update(overrides)
        return reorder_pb2.ReorderSchedule(**{k: v for k, v in values.items() if v is not None})

    def create_schedule(
        self, account_id: str, who: str = "admin", **overrides: Any
    ) -> reorder_service_pb2.CreateScheduleResponse:
        request = reorder_service_pb2.CreateScheduleRequest(
            schedule=self.schedule(account_id, **overrides)
        )
        return self.reorders.CreateSchedule(request, metadata=self.md(who))

    def get_schedule(self, schedule_id: str, who: str = "admin") -> reorder_pb2.ReorderSchedule:
        request = reorder_service_pb2.GetScheduleRequest(id=schedule_id)
        return self.reorders.GetSchedule(request, metadata=self.md(who)).schedule


@pytest.fixture
def api(running_server, channel) -> ReorderApi:  # type: ignore[no-untyped-def]
    api = ReorderApi(channel, running_server.tokens)
    api.upsert_products(
        [
            make_product("COF-1", "Coffee 1 kg", "beverages/coffee", "12.00"),
            make_product("TEA-1", "Tea 100 bags", "beverages/tea", "8.00"),
        ]
    )
    return api


def test_a_schedule_waits_for_its_next_occurrence_with_the_reminder_ahead(api: ReorderApi) -> None:
    account = api.create(external_id="ERP-7")
    created = api.create_schedule(account.id)
    schedule = created.schedule

    assert schedule.status == reorder_pb2.SCHEDULE_STATUS_ACTIVE
    assert schedule.account_external_id == "ERP-7" and schedule.etag == "v1"
    next_day = day_of(schedule.next_occurrence_date)
    assert next_day.weekday() == 0 and today() <= next_day <= today() + dt.timedelta(days=14)
    due = schedule.next_occurrence_time.ToDatetime(dt.UTC).astimezone(BERLIN)
    assert (due.date(), due.hour, due.minute) == (next_day, 9, 0)
    lead = schedule.next_occurrence_time.seconds - schedule.next_reminder_time.seconds
    assert lead == 2 * 86_400
    days = [day_of(o.date) for o in created.upcoming]
    assert len(days) == 5 and days[0] == next_day
    assert all(b - a == dt.timedelta(days=14) for a, b in itertools.pairwise(days))
    assert api.get_schedule(schedule.id) == schedule


def test_validate_only_shows_the_next_dates_and_stores_nothing(api: ReorderApi) -> None:
    account = api.create()
    request = reorder_service_pb2.CreateScheduleRequest(
        schedule=api.schedule(account.id, recurrence_rule="FREQ=MONTHLY;BYMONTHDAY=31"),
        validate_only=True,
    )
    preview = api.reorders.CreateSchedule(request, metadata=api.md("admin"))

    assert not preview.schedule.id and len(preview.upcoming) == 5
    last_days = [day_of(o.date) for o in preview.upcoming]
    assert all((d + dt.timedelta(days=1)).day == 1 for d in last_days)  # 31st or month's last
    listed = api.reorders.ListSchedules(
        reorder_service_pb2.ListSchedulesRequest(account_id=account.id), metadata=api.md("admin")
    )
    assert list(listed.schedules) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recurrence_rule": "FREQ=HOURLY"}, "schedule.recurrence_rule"),
        ({"recurrence_rule": "every monday"}, "schedule.recurrence_rule"),
        ({"time_zone": "Mars/Olympus"}, "schedule.time_zone"),
        ({"end_date": date_msg(dt.date(2000, 1, 1))}, "schedule.end_date"),
        ({"start_date": None}, "schedule.start_date"),
        ({"lines": [reorder_pb2.ScheduleLine(sku="NOPE", quantity=1)]}, "schedule.lines[0].sku"),
        (
            {"lines": [reorder_pb2.ScheduleLine(sku="COF-1", quantity=0)]},
            "schedule.lines[0].quantity",
        ),
        ({"reminder_lead": Duration(seconds=40 * 86_400)}, "schedule.reminder_lead"),
        ({"time_of_day": timeofday_pb2.TimeOfDay(hours=25)}, "schedule.time_of_day"),
    ],
    ids=[
        "hourly",
        "unparsable",
        "zone",
        "end-before-start",
        "no-start",
        "unknown-sku",
        "zero-quantity",
        "lead",
        "hour",
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field(
    api: ReorderApi, overrides: dict[str, Any], field: str
) -> None:
    account = api.create()
    request = reorder_service_pb2.CreateScheduleRequest(
        schedule=api.schedule(account.id, **overrides)
    )
    expect_failure(
        api.reorders.CreateSchedule, request, metadata=api.md("admin"), code=INVALID, fields=[field]
    )


def test_a_changed_rule_recomputes_the_next_occurrence_from_now(api: ReorderApi) -> None:
    account = api.create()
    schedule = api.create_schedule(account.id).schedule
    schedule.recurrence_rule = "FREQ=DAILY"
    request = reorder_service_pb2.UpdateScheduleRequest(
        schedule=schedule, update_mask=FieldMask(paths=["recurrence_rule"])
    )
    changed = api.reorders.UpdateSchedule(request, metadata=api.md("admin")).schedule

    assert changed.recurrence_rule == "FREQ=DAILY" and changed.etag == "v2"
    assert day_of(changed.next_occurrence_date) - today() in (dt.timedelta(0), dt.timedelta(1))
    stale = reorder_service_pb2.UpdateScheduleRequest(
        schedule=schedule, update_mask=FieldMask(paths=["note"])
    )
    expect_failure(
        api.reorders.UpdateSchedule, stale, metadata=api.md("admin"), code=grpc.StatusCode.ABORTED
    )


def test_pause_resume_and_skip(api: ReorderApi) -> None:
    account = api.create()
    schedule = api.create_schedule(account.id).schedule
    first = day_of(schedule.next_occurrence_date)
    md = api.md("admin")

    paused = api.reorders.PauseSchedule(
        reorder_service_pb2.PauseScheduleRequest(id=schedule.id), metadata=md
    ).schedule
    assert paused.status == reorder_pb2.SCHEDULE_STATUS_PAUSED
    assert not paused.HasField("next_occurrence_date")
    not_active = reorder_service_pb2.SkipNextOccurrenceRequest(id=schedule.id)
    expect_failure(
        api.reorders.SkipNextOccurrence,
        not_active,
        metadata=md,
        code=grpc.StatusCode.FAILED_PRECONDITION,
        reason="SCHEDULE_NOT_ACTIVE",
    )
    resumed = api.reorders.ResumeSchedule(
        reorder_service_pb2.ResumeScheduleRequest(id=schedule.id), metadata=md
    ).schedule
    assert day_of(resumed.next_occurrence_date) == first

    skipped = api.reorders.SkipNextOccurrence(
        reorder_service_pb2.SkipNextOccurrenceRequest(id=schedule.id, reason="shop closed"),
        metadata=md,
    )
    assert day_of(skipped.skipped.date) == first
    assert day_of(skipped.schedule.next_occurrence_date) == first + dt.timedelta(days=14)
    occurrences = api.reorders.ListOccurrences(
        reorder_service_pb2.ListOccurrencesRequest(schedule_id=schedule.id), metadata=md
    )
    [recorded] = occurrences.occurrences
    assert recorded.state == reorder_pb2.OCCURRENCE_STATE_SKIPPED
    assert recorded.detail == "skipped by root: shop closed"
    assert day_of(occurrences.upcoming[0].date) == first + dt.timedelta(days=14)
    # Resuming after the skip does not bring the skipped day back.
    api.reorders.PauseSchedule(
        reorder_service_pb2.PauseScheduleRequest(id=schedule.id), metadata=md
    )
    again = api.reorders.ResumeSchedule(
        reorder_service_pb2.ResumeScheduleRequest(id=schedule.id), metadata=md
    ).schedule
    assert day_of(again.next_occurrence_date) == first + dt.timedelta(days=14)


def test_a_repeated_create_stores_one_schedule(api: ReorderApi) -> None:
    account = api.create()
    request = reorder_service_pb2.CreateScheduleRequest(
        schedule=api.schedule(account.id), request_id="sched-1"
    )
    first = api.reorders.CreateSchedule(request, metadata=api.md("integration"))
    second = api.reorders.CreateSchedule(request, metadata=api.md("integration"))

    assert first == second
    listed = api.reorders.ListSchedules(
        reorder_service_pb2.ListSchedulesRequest(account_id=account.id), metadata=api.md("admin")
    )
    assert [s.id for s in listed.schedules] == [first.schedule.id]


def test_managers_see_and_change_only_their_accounts_schedules(api: ReorderApi) -> None:
    alices, bobs = api.create(manager="alice"), api.create(manager="bob")
    mine = api.create_schedule(alices.id, who="alice").schedule
    theirs = api.create_schedule(bobs.id).schedule

    listed = api.reorders.ListSchedules(
        reorder_service_pb2.ListSchedulesRequest(), metadata=api.md("alice")
    )
    assert [s.id for s in listed.schedules] == [mine.id]
    for call, request in (
        (api.reorders.GetSchedule, reorder_service_pb2.GetScheduleRequest(id=theirs.id)),
        (api.reorders.PauseSchedule, reorder_service_pb2.PauseScheduleRequest(id=theirs.id)),
        (api.reorders.DeleteSchedule, reorder_service_pb2.DeleteScheduleRequest(id=theirs.id)),
    ):
        expect_failure(call, request, metadata=api.md("alice"), code=grpc.StatusCode.NOT_FOUND)
    create = reorder_service_pb2.CreateScheduleRequest(schedule=api.schedule(bobs.id))
    expect_failure(
        api.reorders.CreateSchedule,
        create,
        metadata=api.md("alice"),
        code=grpc.StatusCode.NOT_FOUND,
    )
    expect_failure(
        api.reorders.CreateSchedule,
        create,
        metadata=api.md("viewer"),
        code=grpc.StatusCode.PERMISSION_DENIED,
    )
    assert api.get_schedule(mine.id, who="viewer") == mine


def test_a_deleted_schedule_is_gone(api: ReorderApi) -> None:
    account = api.create()
    schedule = api.create_schedule(account.id).schedule
    api.reorders.DeleteSchedule(
        reorder_service_pb2.DeleteScheduleRequest(id=schedule.id, etag=schedule.etag),
        metadata=api.md("admin"),
    )
    expect_failure(
        api.reorders.GetSchedule,
        reorder_service_pb2.GetScheduleRequest(id=schedule.id),
        metadata=api.md("admin"),
        code=grpc.StatusCode.NOT_FOUND,
        reason="SCHEDULE_NOT_FOUND",
    )


def test_schedules_are_listed_by_status_and_due_window(api: ReorderApi) -> None:
    account = api.create()
    weekly = api.create_schedule(account.id, recurrence_rule="FREQ=WEEKLY").schedule
    monthly = api.create_schedule(
        account.id,
        recurrence_rule="FREQ=MONTHLY",
        start_date=date_msg(today() + dt.timedelta(days=60)),
    ).schedule
    api.reorders.PauseSchedule(
        reorder_service_pb2.PauseScheduleRequest(id=monthly.id), metadata=api.md("admin")
    )

    def listed(**kw: Any) -> list[str]:
        request = reorder_service_pb2.ListSchedulesRequest(account_id=account.id, **kw)
        return [
            s.id for s in api.reorders.ListSchedules(request, metadata=api.md("admin")).schedules
        ]

    soon = weekly.next_occurrence_time
    assert listed(status=reorder_pb2.SCHEDULE_STATUS_PAUSED) == [monthly.id]
    assert listed(status=reorder_pb2.SCHEDULE_STATUS_ACTIVE) == [weekly.id]
    assert listed(due_before=soon) == []
    assert listed(due_after=soon) == [weekly.id]


def test_a_retired_product_blocks_new_lines_but_not_other_changes(api: ReorderApi) -> None:
    account = api.create()
    schedule = api.create_schedule(account.id).schedule
    api.upsert_products(
        [make_product("COF-1", "Coffee 1 kg", "beverages/coffee", "12.00", active=False)]
    )
    schedule.note = "ring twice"
    noted = api.reorders.UpdateSchedule(
        reorder_service_pb2.UpdateScheduleRequest(
            schedule=schedule, update_mask=FieldMask(paths=["note"])
        ),
        metadata=api.md("admin"),
    ).schedule
    assert noted.note == "ring twice"
    relined = reorder_service_pb2.UpdateScheduleRequest(
        schedule=api.schedule(account.id, id=schedule.id),
        update_mask=FieldMask(paths=["lines"]),
    )
    failure = expect_failure(
        api.reorders.UpdateSchedule, relined, metadata=api.md("admin"), code=INVALID
    )
    assert failure.violations == (("schedule.lines[0].sku", "product 'COF-1' is not active"),)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_next_occurrence_whose_time_passed_is_shown_as_the_next_one_after_now(
    api: ReorderApi, running_server
) -> None:  # type: ignore[no-untyped-def]
    account = api.create()
    schedule = api.create_schedule(account.id).schedule
    upcoming = day_of(schedule.next_occurrence_date)
    passed = upcoming - dt.timedelta(days=14)  # the occurrence before, whose day has gone
    due = dt.datetime.combine(passed, dt.time(9), BERLIN)
    with sqlite3.connect(running_server.database_url.removeprefix("sqlite:///")) as db:
        db.execute(
            "UPDATE reorder_schedule SET next_day = ?, next_due_us = ? WHERE id = ?",
            ((passed - dt.date(1970, 1, 1)).days, int(due.timestamp()) * 10**6, schedule.id),
        )

    shown = api.get_schedule(schedule.id)
    listed = api.reorders.ListSchedules(
        reorder_service_pb2.ListSchedulesRequest(account_id=account.id), metadata=api.md("admin")
    ).schedules
    skipped = api.reorders.SkipNextOccurrence(
        reorder_service_pb2.SkipNextOccurrenceRequest(id=schedule.id), metadata=api.md("admin")
    ).skipped

    assert day_of(shown.next_occurrence_date) == upcoming
    assert day_of(listed[0].next_occurrence_date) == upcoming
    assert day_of(skipped.date) == upcoming


def test_an_update_naming_start_date_must_give_one(api: ReorderApi) -> None:
    account = api.create()
    schedule = api.create_schedule(account.id).schedule
    schedule.ClearField("start_date")
    request = reorder_service_pb2.UpdateScheduleRequest(
        schedule=schedule, update_mask=FieldMask(paths=["start_date"])
    )
    expect_failure(
        api.reorders.UpdateSchedule,
        request,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["schedule.start_date"],
    )
