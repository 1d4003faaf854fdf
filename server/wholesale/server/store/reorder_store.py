"""Reading and writing standing orders and the occurrences decided for them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from wholesale.server.domain.access import AccountScope
from wholesale.server.domain.calendar import date_of, day_number
from wholesale.server.domain.recurrence import MonthEnd, Occurrence, Recurrence
from wholesale.server.domain.reorder_schedule import (
    OccurrenceState,
    RecordedOccurrence,
    ReorderSchedule,
    ScheduleLine,
    ScheduleStatus,
)
from wholesale.server.domain.reorder_timing import CatchUp
from wholesale.server.store.database import is_postgres
from wholesale.server.store.sql import execute, fetch, fetch_rows, insert_rows

SCHEDULE_COLUMNS = (
    "id", "account_id", "lines_json", "rule", "month_end", "start_day", "time_zone",
    "time_of_day_minutes", "end_day", "occurrence_count", "lead_us", "catch_up", "status",
    "next_day", "next_due_us", "next_reminder_us", "missed_count", "note", "version",
    "create_time_us", "update_time_us",
)  # fmt: skip
_WRITTEN = SCHEDULE_COLUMNS[1:]
_SELECT = f"SELECT {', '.join(SCHEDULE_COLUMNS)} FROM reorder_schedule"
OCCURRENCE_COLUMNS = ("schedule_id", "day", "due_us", "reminder_us", "state", "detail",
                      "update_time_us")  # fmt: skip


def _values(schedule: ReorderSchedule) -> tuple:
    rec, pending = schedule.recurrence, schedule.pending
    return (
        schedule.account_id,
        json.dumps([[line.sku, line.quantity] for line in schedule.lines]),
        rec.rule,
        rec.month_end.value,
        day_number(rec.start),
        rec.zone,
        rec.time_of_day.hour * 60 + rec.time_of_day.minute,
        day_number(rec.end_date) if rec.end_date else None,
        rec.count,
        schedule.lead_us,
        schedule.catch_up.value,
        schedule.status.value,
        day_number(pending.day) if pending else None,
        pending.due_us if pending else None,
        schedule.reminder_us,
        schedule.missed_count,
        schedule.note,
        schedule.version,
        schedule.create_time_us,
        schedule.update_time_us,
    )


def schedule_from_row(row: Sequence) -> ReorderSchedule:
    (schedule_id, account_id, lines_json, rule, month_end, start_day, zone, minutes, end_day,
     count, lead_us, catch_up, status, next_day, next_due_us, _reminder, missed, note,
     version, create_us, update_us) = row  # fmt: skip
    recurrence = Recurrence(
        rule=rule,
        start=date_of(start_day),
        time_of_day=time(minutes // 60, minutes % 60),
        zone=zone,
        month_end=MonthEnd(month_end),
        end_date=date_of(end_day) if end_day is not None else None,
        count=count,
    )
    return ReorderSchedule(
        id=schedule_id,
        account_id=account_id,
        lines=tuple(ScheduleLine(sku, quantity) for sku, quantity in json.loads(lines_json)),
        recurrence=recurrence,
        lead_us=lead_us,
        catch_up=CatchUp(catch_up),
        status=ScheduleStatus(status),
        note=note,
        pending=Occurrence(date_of(next_day), next_due_us) if next_day is not None else None,
        missed_count=missed,
        version=version,
        create_time_us=create_us,
        update_time_us=update_us,
    )


def insert_schedule(schedule: ReorderSchedule) -> int:
    marks = ", ".join("?" for _ in _WRITTEN)
    [(schedule_id,)] = fetch_rows(
        f"INSERT INTO reorder_schedule ({', '.join(_WRITTEN)}) VALUES ({marks}) RETURNING id",
        *_values(schedule),
    )
    return schedule_id


def update_schedule(schedule: ReorderSchedule) -> None:
    assignments = ", ".join(f"{column} = ?" for column in _WRITTEN)
    execute(
        f"UPDATE reorder_schedule SET {assignments} WHERE id = ?", *_values(schedule), schedule.id
    )


def delete_schedule(schedule_id: int) -> None:
    execute("DELETE FROM reorder_occurrence WHERE schedule_id = ?", schedule_id)
    execute("DELETE FROM reorder_schedule WHERE id = ?", schedule_id)


def get_schedule(schedule_id: int, lock: bool = False) -> ReorderSchedule | None:
    """One schedule; ``lock`` takes its row for an update (SQLite's single writer does
    without)."""
    sql = f"{_SELECT} WHERE id = ?" + (" FOR UPDATE" if lock and is_postgres() else "")
    rows = fetch(sql, (schedule_id,))
    return schedule_from_row(rows[0]) if rows else None


def decided_days_from(schedule_id: int, first: date) -> frozenset[date]:
    """The days decided for the schedule on or after ``first``."""
    rows = fetch(
        "SELECT day FROM reorder_occurrence WHERE schedule_id = ? AND day >= ?",
        (schedule_id, day_number(first)),
    )
    return frozenset(date_of(day) for (day,) in rows)


@dataclass(frozen=True)
class ScheduleFilter:
    account_id: int | None = None
    status: ScheduleStatus | None = None
    due_after_us: int | None = None
    due_before_us: int | None = None


def list_schedules(
    found: ScheduleFilter, scope: AccountScope, after_id: int, limit: int
) -> list[ReorderSchedule]:
    """The schedules of the accounts ``scope`` allows, by id after ``after_id``."""
    conditions: list[str] = ["id > ?"]
    params: list[object] = [after_id]
    for sql, value in (
        ("account_id = ?", found.account_id),
        ("status = ?", found.status.value if found.status else None),
        ("next_due_us >= ?", found.due_after_us),
        ("next_due_us < ?", found.due_before_us),
        ("account_id IN (SELECT id FROM account WHERE manager = ?)", scope.manager),
    ):
        if value is not None:
            conditions.append(sql)
            params.append(value)
    sql = f"{_SELECT} WHERE {' AND '.join(conditions)} ORDER BY id LIMIT ?"
    return [schedule_from_row(row) for row in fetch(sql, [*params, limit])]


def record_occurrence(
    schedule_id: int,
    occurrence: Occurrence,
    reminder_us: int,
    state: OccurrenceState,
    detail: str,
    now_us: int,
) -> None:
    insert_rows(
        "reorder_occurrence",
        OCCURRENCE_COLUMNS,
        [
            (
                schedule_id,
                day_number(occurrence.day),
                occurrence.due_us,
                reminder_us,
                state,
                detail,
                now_us,
            )
        ],
    )


def list_occurrences(
    schedule_id: int, before_day: int | None, limit: int
) -> list[RecordedOccurrence]:
    """The schedule's decided occurrences, newest day first, before ``before_day``."""
    condition, params = "schedule_id = ?", [schedule_id]
    if before_day is not None:
        condition += " AND day < ?"
        params.append(before_day)
    rows = fetch(
        f"SELECT day, due_us, reminder_us, state, detail, update_time_us FROM reorder_occurrence "
        f"WHERE {condition} ORDER BY day DESC LIMIT ?",
        [*params, limit],
    )
    return [
        RecordedOccurrence(date_of(day), due, reminder, OccurrenceState(state), detail, update)
        for day, due, reminder, state, detail, update in rows
    ]
