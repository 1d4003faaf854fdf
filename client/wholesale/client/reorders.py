"""ReorderService methods of the client: standing orders and their occurrences.

A schedule takes friendly values: lines as (sku, quantity) pairs, the rule as RFC 5545
text (or built from words with :func:`~wholesale.client.friendly_rule.rule_from_words`),
days as ``date`` or "YYYY-MM-DD", the time of day as ``time`` or "09:00", the reminder
lead as a ``timedelta``, and the policies by name ("omit", "each").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, TypeAlias

from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.timeofday_pb2 import TimeOfDay

from wholesale.client.call_options import MetadataLike
from wholesale.client.calls import ServiceCalls, new_request_id
from wholesale.client.pager import Pager
from wholesale.client.pricing import to_timestamp
from wholesale.client.values import DateLike, EnumLike, enum_value, to_date
from wholesale.v1 import reorder_pb2, reorder_service_pb2
from wholesale.v1.reorder_pb2 import ReorderSchedule, ScheduleLine, ScheduleOccurrence
from wholesale.v1.reorder_service_pb2_grpc import ReorderServiceStub

LineLike: TypeAlias = ScheduleLine | tuple[str, int] | Mapping[str, Any]
TimeLike: TypeAlias = dt.time | str | TimeOfDay


def schedule_line(line: LineLike, name: str = "line") -> ScheduleLine:
    """A line from a message, a (sku, quantity) pair or a dict; a quantity that is no int
    raises TypeError naming the line."""
    if isinstance(line, ScheduleLine):
        return line
    sku, quantity = (line["sku"], line["quantity"]) if isinstance(line, Mapping) else line
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"{name}.quantity: {quantity!r} is a {type(quantity).__name__}, not an int")
    return ScheduleLine(sku=sku, quantity=quantity)


def to_time_of_day(value: TimeLike, name: str = "time_of_day") -> TimeOfDay:
    """A TimeOfDay from a ``time`` or "HH:MM"; ValueError naming ``name`` else."""
    if isinstance(value, TimeOfDay):
        return value
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a time of day such as 09:00") from None
    return TimeOfDay(hours=value.hour, minutes=value.minute, seconds=value.second)


def _duration(value: dt.timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


# Each friendly argument: the field it sets and how it is converted.
_FIELDS: dict[str, Any] = {
    "lines": lambda v: [schedule_line(line, f"lines[{i}]") for i, line in enumerate(v)],
    "recurrence_rule": str,
    "start_date": lambda v: to_date(v, "start_date"),
    "end_date": lambda v: to_date(v, "end_date"),
    "time_zone": str,
    "time_of_day": to_time_of_day,
    "occurrence_count": int,
    "reminder_lead": _duration,
    "month_end": lambda v: enum_value(reorder_pb2.MonthEndPolicy, "MONTH_END_POLICY_", v),
    "catch_up": lambda v: enum_value(reorder_pb2.CatchUpPolicy, "CATCH_UP_POLICY_", v),
    "note": str,
}


def build_schedule(**values: Any) -> ReorderSchedule:
    """A ReorderSchedule from friendly values (see the module), None ones left unset."""
    unknown = sorted(set(values) - {*_FIELDS, "account_id", "account_external_id", "id", "etag"})
    if unknown:
        raise TypeError(f"unknown schedule field(s): {', '.join(unknown)}")
    converted = {
        name: _FIELDS[name](value) if name in _FIELDS else value
        for name, value in values.items()
        if value is not None
    }
    return ReorderSchedule(**converted)


class ReorderMethods(ServiceCalls):
    """Standing orders: created and changed by admins, integrations and (for their own
    accounts) managers; read by every role."""

    @cached_property
    def _reorders(self) -> ReorderServiceStub:
        return ReorderServiceStub(self.channel)

    def create_schedule(
        self,
        account: str,
        lines: Iterable[LineLike],
        *,
        recurrence_rule: str,
        start_date: DateLike,
        time_zone: str,
        by_external_id: bool = False,
        validate_only: bool = False,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
        **fields: Any,
    ) -> reorder_service_pb2.CreateScheduleResponse:
        """A new schedule of the account with id ``account`` (its ERP id with
        ``by_external_id``) and its next five occurrences; ``fields`` are the optional ones
        (time_of_day, end_date, occurrence_count, reminder_lead, month_end, catch_up, note).
        With ``validate_only`` nothing is stored: the reply shows what would be."""
        key = "account_external_id" if by_external_id else "account_id"
        schedule = build_schedule(
            **{key: account},
            lines=list(lines),
            recurrence_rule=recurrence_rule,
            start_date=start_date,
            time_zone=time_zone,
            **fields,
        )
        request = reorder_service_pb2.CreateScheduleRequest(
            schedule=schedule,
            validate_only=validate_only,
            request_id="" if validate_only else new_request_id(request_id),
        )
        return self._call(
            self._reorders.CreateSchedule, request, timeout=timeout, metadata=metadata
        )

    def get_schedule(
        self, schedule_id: str, *, timeout: float | None = None, metadata: MetadataLike = ()
    ) -> ReorderSchedule:
        request = reorder_service_pb2.GetScheduleRequest(id=schedule_id)
        return self._call(
            self._reorders.GetSchedule, request, timeout=timeout, metadata=metadata
        ).schedule

    def schedules(
        self,
        account: str | None = None,
        *,
        by_external_id: bool = False,
        status: EnumLike | None = None,
        due_after: dt.datetime | Timestamp | None = None,
        due_before: dt.datetime | Timestamp | None = None,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[ReorderSchedule]:
        """Schedules by id over all pages: of one account, in one status ("active",
        "paused", "ended"), whose next occurrence is due in [due_after, due_before)."""
        state = enum_value(reorder_pb2.ScheduleStatus, "SCHEDULE_STATUS_", status or 0)
        request = reorder_service_pb2.ListSchedulesRequest(
            page_size=page_size, status=reorder_pb2.ScheduleStatus.ValueType(state)
        )
        if account:
            setattr(request, "account_external_id" if by_external_id else "account_id", account)
        if due_after is not None:
            request.due_after.CopyFrom(to_timestamp(due_after, "due_after"))
        if due_before is not None:
            request.due_before.CopyFrom(to_timestamp(due_before, "due_before"))
        return self._pager(
            self._reorders.ListSchedules,
            request,
            lambda page: page.schedules,
            timeout=timeout,
            metadata=metadata,
        )

    def update_schedule(
        self,
        schedule_id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
        **changes: Any,
    ) -> ReorderSchedule:
        """Changes the fields given (friendly values, as for :meth:`create_schedule`);
        a changed recurrence recomputes the next occurrence from now. With ``etag`` a
        schedule changed meanwhile raises Aborted."""
        if not changes:
            raise ValueError("give at least one field to change")
        schedule = build_schedule(id=schedule_id, etag=etag, **changes)
        request = reorder_service_pb2.UpdateScheduleRequest(
            schedule=schedule,
            update_mask=FieldMask(paths=sorted(changes)),
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._reorders.UpdateSchedule, request, timeout=timeout, metadata=metadata
        ).schedule

    def _by_id(
        self,
        rpc: Any,
        request_type: Any,
        schedule_id: str,
        etag: str,
        request_id: str | None,
        timeout: float | None,
        metadata: MetadataLike,
    ) -> Any:
        """A call that names the schedule alone, with an optional etag."""
        request = request_type(id=schedule_id, etag=etag, request_id=new_request_id(request_id))
        return self._call(rpc, request, timeout=timeout, metadata=metadata)

    def pause_schedule(
        self,
        schedule_id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> ReorderSchedule:
        """Stops the schedule until :meth:`resume_schedule`; pausing a paused one is a no-op."""
        return self._by_id(
            self._reorders.PauseSchedule,
            reorder_service_pb2.PauseScheduleRequest,
            schedule_id,
            etag,
            request_id,
            timeout,
            metadata,
        ).schedule

    def resume_schedule(
        self,
        schedule_id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> ReorderSchedule:
        """Restarts a paused schedule from its first occurrence after now."""
        return self._by_id(
            self._reorders.ResumeSchedule,
            reorder_service_pb2.ResumeScheduleRequest,
            schedule_id,
            etag,
            request_id,
            timeout,
            metadata,
        ).schedule

    def skip_next_occurrence(
        self,
        schedule_id: str,
        reason: str = "",
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> reorder_service_pb2.SkipNextOccurrenceResponse:
        """Records the next occurrence as skipped (``reason`` kept with it); the reply has
        the schedule with its new next occurrence and the one skipped."""
        request = reorder_service_pb2.SkipNextOccurrenceRequest(
            id=schedule_id, etag=etag, reason=reason, request_id=new_request_id(request_id)
        )
        return self._call(
            self._reorders.SkipNextOccurrence, request, timeout=timeout, metadata=metadata
        )

    def delete_schedule(
        self,
        schedule_id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> None:
        self._by_id(
            self._reorders.DeleteSchedule,
            reorder_service_pb2.DeleteScheduleRequest,
            schedule_id,
            etag,
            request_id,
            timeout,
            metadata,
        )

    def occurrences(
        self,
        schedule_id: str,
        *,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[ScheduleOccurrence]:
        """The schedule's recorded occurrences (done, skipped, missed), newest first."""
        request = reorder_service_pb2.ListOccurrencesRequest(
            schedule_id=schedule_id, page_size=page_size
        )
        return self._pager(
            self._reorders.ListOccurrences,
            request,
            lambda page: page.occurrences,
            timeout=timeout,
            metadata=metadata,
        )

    def upcoming_occurrences(
        self,
        schedule_id: str,
        count: int = 5,
        *,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> list[ScheduleOccurrence]:
        """The next ``count`` occurrences from the rule (none unless the schedule is
        active), soonest first."""
        request = reorder_service_pb2.ListOccurrencesRequest(
            schedule_id=schedule_id, page_size=1, upcoming_count=count
        )
        response = self._call(
            self._reorders.ListOccurrences, request, timeout=timeout, metadata=metadata
        )
        return list(response.upcoming)
