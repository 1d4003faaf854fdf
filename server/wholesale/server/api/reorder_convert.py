"""wholesale.v1 reorder messages <-> the standing-order domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from google.protobuf.duration_pb2 import Duration
from google.type import date_pb2, timeofday_pb2

from wholesale.server.api.convert import timestamp
from wholesale.server.api.order_convert import date_to_proto, day_from_proto
from wholesale.server.api.pricing_convert import enum_from_proto
from wholesale.server.domain.calendar import date_of, day_number
from wholesale.server.domain.ids import parse_id
from wholesale.server.domain.recurrence import MonthEnd, Occurrence, Recurrence
from wholesale.server.domain.reorder_schedule import ReorderSchedule, ScheduleLine, ScheduleStatus
from wholesale.server.domain.reorder_timing import CatchUp, reminder_us
from wholesale.server.errors import Validator
from wholesale.v1 import reorder_pb2 as pb

MICROS_PER_SECOND = 1_000_000
MONTH_END = {
    pb.MONTH_END_POLICY_UNSPECIFIED: MonthEnd.BACKWARD,
    pb.MONTH_END_POLICY_BACKWARD: MonthEnd.BACKWARD,
    pb.MONTH_END_POLICY_FORWARD: MonthEnd.FORWARD,
    pb.MONTH_END_POLICY_OMIT: MonthEnd.OMIT,
}
MONTH_END_PROTO = {policy: number for number, policy in MONTH_END.items() if number}
CATCH_UP = {
    pb.CATCH_UP_POLICY_UNSPECIFIED: CatchUp.LATEST,
    pb.CATCH_UP_POLICY_NONE: CatchUp.NONE,
    pb.CATCH_UP_POLICY_LATEST: CatchUp.LATEST,
    pb.CATCH_UP_POLICY_EACH: CatchUp.EACH,
}
CATCH_UP_PROTO = {policy: number for number, policy in CATCH_UP.items() if number}
STATUS_PROTO = {
    ScheduleStatus.ACTIVE: pb.SCHEDULE_STATUS_ACTIVE,
    ScheduleStatus.PAUSED: pb.SCHEDULE_STATUS_PAUSED,
    ScheduleStatus.ENDED: pb.SCHEDULE_STATUS_ENDED,
}
STATUS = {number: status for status, number in STATUS_PROTO.items()}


@dataclass(frozen=True)
class ScheduleDraft:
    """A schedule as a request gives it: the account by id or ERP id, still to be found."""

    account_id: str
    account_external_id: str
    schedule: ReorderSchedule


def _day(v: Validator, message: object, name: str) -> date | None:
    if not message.HasField(name):  # type: ignore[attr-defined]
        return None
    day = day_from_proto(getattr(message, name))
    if day is None:
        v.add(name, "a real calendar date (year, month and day)")
        return None
    return date_of(day)


def _time_of_day(v: Validator, message: pb.ReorderSchedule) -> time:
    if not message.HasField("time_of_day"):
        return time()
    clock = message.time_of_day
    if not (0 <= clock.hours <= 23 and 0 <= clock.minutes <= 59):
        v.add("time_of_day", "hours 0 to 23 and minutes 0 to 59")
        return time()
    if clock.seconds or clock.nanos:
        v.add("time_of_day", "give hours and minutes only")
    return time(clock.hours, clock.minutes)


def _lead_us(v: Validator, message: pb.ReorderSchedule) -> int:
    lead = message.reminder_lead
    if lead.nanos % 1000 or lead.seconds > 0 > lead.nanos or lead.seconds < 0 < lead.nanos:
        v.add("reminder_lead", "a well-formed duration in whole microseconds")
        return 0
    return lead.seconds * MICROS_PER_SECOND + lead.nanos // 1000


def schedule_from_proto(v: Validator, message: pb.ReorderSchedule, path: str) -> ScheduleDraft:
    """The schedule's writable fields; what they say wrong is recorded in ``v`` under
    ``path``, and the rest is checked by the domain."""
    nested = v.nested(path)
    start = _day(nested, message, "start_date")
    recurrence = Recurrence(
        rule=message.recurrence_rule,
        start=start or date(1970, 1, 1),
        time_of_day=_time_of_day(nested, message),
        zone=message.time_zone,
        month_end=enum_from_proto(nested, MONTH_END, message.month_end, "month_end"),
        end_date=_day(nested, message, "end_date"),
        count=message.occurrence_count or None,
    )
    schedule = ReorderSchedule(
        id=parse_id(message.id) or 0,
        account_id=parse_id(message.account_id) or 0,
        lines=tuple(ScheduleLine(line.sku, line.quantity) for line in message.lines),
        recurrence=recurrence,
        lead_us=_lead_us(nested, message),
        catch_up=enum_from_proto(nested, CATCH_UP, message.catch_up, "catch_up"),
        note=message.note,
    )
    return ScheduleDraft(message.account_id, message.account_external_id, schedule)


def _duration(micros: int) -> Duration:
    duration = Duration()
    duration.FromMicroseconds(micros)
    return duration


def _date(day: date | None) -> date_pb2.Date | None:
    return None if day is None else date_to_proto(day_number(day))


def schedule_to_proto(schedule: ReorderSchedule, account_external_id: str) -> pb.ReorderSchedule:
    recurrence, pending = schedule.recurrence, schedule.pending
    clock = recurrence.time_of_day
    return pb.ReorderSchedule(
        id=str(schedule.id) if schedule.id else "",
        account_id=str(schedule.account_id),
        account_external_id=account_external_id,
        lines=[pb.ScheduleLine(sku=line.sku, quantity=line.quantity) for line in schedule.lines],
        recurrence_rule=recurrence.rule,
        month_end=MONTH_END_PROTO[recurrence.month_end],
        start_date=_date(recurrence.start),
        time_zone=recurrence.zone,
        time_of_day=timeofday_pb2.TimeOfDay(hours=clock.hour, minutes=clock.minute),
        end_date=_date(recurrence.end_date),
        occurrence_count=recurrence.count or 0,
        reminder_lead=_duration(schedule.lead_us),
        catch_up=CATCH_UP_PROTO[schedule.catch_up],
        status=STATUS_PROTO[schedule.status],
        next_occurrence_date=_date(pending.day) if pending else None,
        next_occurrence_time=timestamp(pending.due_us) if pending else None,
        next_reminder_time=timestamp(schedule.reminder_us),
        missed_count=schedule.missed_count,
        note=schedule.note,
        create_time=timestamp(schedule.create_time_us or None),
        update_time=timestamp(schedule.update_time_us or None),
        etag=schedule.etag if schedule.version else "",
    )


def upcoming_to_proto(schedule: ReorderSchedule, occurrence: Occurrence) -> pb.ScheduleOccurrence:
    """An occurrence computed from the rule, not yet recorded."""
    return pb.ScheduleOccurrence(
        date=_date(occurrence.day),
        due_time=timestamp(occurrence.due_us),
        reminder_time=timestamp(reminder_us(schedule.timing, occurrence)),
        state=pb.OCCURRENCE_STATE_UPCOMING,
    )
