"""wholesale.v1.ReorderService over the standing-order use cases."""

from __future__ import annotations

from wholesale.server.api.convert import timestamp
from wholesale.server.api.field_mask import masked_fields
from wholesale.server.api.idempotent import once
from wholesale.server.api.interceptor import current_work
from wholesale.server.api.order_convert import date_to_proto
from wholesale.server.api.pricing_convert import instant_from_proto
from wholesale.server.api.reorder_convert import (
    STATUS,
    schedule_from_proto,
    schedule_to_proto,
    upcoming_to_proto,
)
from wholesale.server.domain.calendar import day_number
from wholesale.server.domain.reorder_schedule import (
    OccurrenceState,
    RecordedOccurrence,
    ReorderSchedule,
)
from wholesale.server.errors import Validator
from wholesale.server.services import reorders
from wholesale.server.services.accounts import visible_account
from wholesale.v1 import reorder_pb2, reorder_service_pb2_grpc
from wholesale.v1 import reorder_service_pb2 as pb

OUTPUT_ONLY = frozenset(
    {"id", "account_id", "account_external_id", "status", "next_occurrence_date",
     "next_occurrence_time", "next_reminder_time", "missed_count", "create_time",
     "update_time", "etag"}
)  # fmt: skip
OCCURRENCE_STATE_PROTO = {
    OccurrenceState.DONE: reorder_pb2.OCCURRENCE_STATE_DONE,
    OccurrenceState.SKIPPED: reorder_pb2.OCCURRENCE_STATE_SKIPPED,
    OccurrenceState.MISSED: reorder_pb2.OCCURRENCE_STATE_MISSED,
}


def _shown(schedule: ReorderSchedule) -> reorder_pb2.ReorderSchedule:
    """The schedule with its account's ERP id, looked up as the caller may see it."""
    account = visible_account(current_work(), str(schedule.account_id))
    return schedule_to_proto(schedule, account.fields.external_id)


def _recorded_to_proto(occurrence: RecordedOccurrence) -> reorder_pb2.ScheduleOccurrence:
    return reorder_pb2.ScheduleOccurrence(
        date=date_to_proto(day_number(occurrence.day)),
        due_time=timestamp(occurrence.due_us),
        reminder_time=timestamp(occurrence.reminder_us),
        state=OCCURRENCE_STATE_PROTO[occurrence.state],
        detail=occurrence.detail,
        update_time=timestamp(occurrence.update_time_us),
    )


class ReorderServicer(reorder_service_pb2_grpc.ReorderServiceServicer):
    def CreateSchedule(
        self, request: pb.CreateScheduleRequest, context
    ) -> pb.CreateScheduleResponse:
        v = Validator()
        draft = schedule_from_proto(v, request.schedule, "schedule")
        v.check(
            request.schedule.HasField("start_date"),
            "schedule.start_date",
            "required: the first possible day",
        )
        v.raise_if_any("invalid schedule")

        def work() -> pb.CreateScheduleResponse:
            created = reorders.create_schedule(
                current_work(),
                draft.account_id,
                draft.account_external_id,
                draft.schedule,
                request.validate_only,
            )
            schedule = created.schedule
            return pb.CreateScheduleResponse(
                schedule=schedule_to_proto(schedule, created.account_external_id),
                upcoming=[upcoming_to_proto(schedule, o) for o in created.upcoming],
            )

        return work() if request.validate_only else once(request, pb.CreateScheduleResponse, work)

    def GetSchedule(self, request: pb.GetScheduleRequest, context) -> pb.GetScheduleResponse:
        return pb.GetScheduleResponse(
            schedule=_shown(reorders.get_schedule(current_work(), request.id))
        )

    def ListSchedules(self, request: pb.ListSchedulesRequest, context) -> pb.ListSchedulesResponse:
        v = Validator()
        status = STATUS.get(request.status) if request.status else None
        v.check(
            not request.status or status is not None, "status", f"unknown value {request.status}"
        )
        query = reorders.ScheduleQuery(
            request.account_id,
            request.account_external_id,
            status,
            instant_from_proto(request, "due_after", v),
            instant_from_proto(request, "due_before", v),
            request.page_size,
            request.page_token,
        )
        v.raise_if_any("invalid schedule listing")
        page, token = reorders.list_schedules(current_work(), query)
        return pb.ListSchedulesResponse(schedules=[_shown(s) for s in page], next_page_token=token)

    def UpdateSchedule(
        self, request: pb.UpdateScheduleRequest, context
    ) -> pb.UpdateScheduleResponse:
        paths = masked_fields(request.update_mask.paths, reorders.UPDATABLE, OUTPUT_ONLY)
        v = Validator()
        draft = schedule_from_proto(v, request.schedule, "schedule")
        v.check(
            "start_date" not in paths or request.schedule.HasField("start_date"),
            "schedule.start_date",
            "required when update_mask names it: a schedule always has a first day",
        )
        v.raise_if_any("invalid schedule")
        return once(
            request,
            pb.UpdateScheduleResponse,
            lambda: pb.UpdateScheduleResponse(
                schedule=_shown(
                    reorders.update_schedule(
                        current_work(),
                        request.schedule.id,
                        draft.schedule,
                        paths,
                        request.schedule.etag,
                    )
                )
            ),
        )

    def PauseSchedule(self, request: pb.PauseScheduleRequest, context) -> pb.PauseScheduleResponse:
        return once(
            request,
            pb.PauseScheduleResponse,
            lambda: pb.PauseScheduleResponse(
                schedule=_shown(reorders.pause_schedule(current_work(), request.id, request.etag))
            ),
        )

    def ResumeSchedule(
        self, request: pb.ResumeScheduleRequest, context
    ) -> pb.ResumeScheduleResponse:
        return once(
            request,
            pb.ResumeScheduleResponse,
            lambda: pb.ResumeScheduleResponse(
                schedule=_shown(reorders.resume_schedule(current_work(), request.id, request.etag))
            ),
        )

    def SkipNextOccurrence(
        self, request: pb.SkipNextOccurrenceRequest, context
    ) -> pb.SkipNextOccurrenceResponse:
        def work() -> pb.SkipNextOccurrenceResponse:
            done = reorders.skip_next_occurrence(
                current_work(), request.id, request.etag, request.reason
            )
            return pb.SkipNextOccurrenceResponse(
                schedule=_shown(done.schedule), skipped=_recorded_to_proto(done.skipped)
            )

        return once(request, pb.SkipNextOccurrenceResponse, work)

    def DeleteSchedule(
        self, request: pb.DeleteScheduleRequest, context
    ) -> pb.DeleteScheduleResponse:
        def work() -> pb.DeleteScheduleResponse:
            reorders.delete_schedule(current_work(), request.id, request.etag)
            return pb.DeleteScheduleResponse()

        return once(request, pb.DeleteScheduleResponse, work)

    def ListOccurrences(
        self, request: pb.ListOccurrencesRequest, context
    ) -> pb.ListOccurrencesResponse:
        found = reorders.list_occurrences(
            current_work(),
            request.schedule_id,
            request.page_size,
            request.page_token,
            request.upcoming_count,
        )
        return pb.ListOccurrencesResponse(
            occurrences=[_recorded_to_proto(o) for o in found.recorded],
            next_page_token=found.next_page_token,
            upcoming=[upcoming_to_proto(found.schedule, o) for o in found.upcoming],
            missed_count=found.schedule.missed_count,
        )
