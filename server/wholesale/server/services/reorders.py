"""Standing-order use cases: schedules of an account's regular purchases, paused, resumed
and skipped by hand, and the record of what happened to each occurrence.

The next occurrence is always computed from the rule and now (and the days already
decided), never from the last run: a changed rule, a pause or a downtime cannot make a
schedule drift or repeat a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from wholesale.server.domain.account import AccountStatus
from wholesale.server.domain.audit import Json, changes_between
from wholesale.server.domain.calendar import day_number
from wholesale.server.domain.ids import find_by_id
from wholesale.server.domain.principal import Permission
from wholesale.server.domain.recurrence import Occurrence, local_day, normal_rule
from wholesale.server.domain.reorder_schedule import (
    OccurrenceState,
    RecordedOccurrence,
    ReorderSchedule,
    ScheduleStatus,
    validate_schedule,
    with_pending,
)
from wholesale.server.domain.reorder_timing import pending_after, reminder_us
from wholesale.server.domain.text import check_text
from wholesale.server.errors import FailedPrecondition, NotFound, Validator
from wholesale.server.services import mutations
from wholesale.server.services.accounts import get_account, visible_account
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import product_store, reorder_store
from wholesale.server.store.reorder_store import ScheduleFilter

UPCOMING = 5
MAX_UPCOMING = 100
MAX_REASON = 500
# API fields an update may name; those after lines and note move the occurrences.
UPDATABLE = frozenset(
    {"lines", "note", "recurrence_rule", "month_end", "start_date", "time_zone", "time_of_day",
     "end_date", "occurrence_count", "reminder_lead", "catch_up"}
)  # fmt: skip
_RECURRENCE_FIELDS = {
    "recurrence_rule": "rule",
    "month_end": "month_end",
    "start_date": "start",
    "time_zone": "zone",
    "time_of_day": "time_of_day",
    "end_date": "end_date",
    "occurrence_count": "count",
}
_SCHEDULE_FIELDS = {"lines": "lines", "note": "note", "reminder_lead": "lead_us",
                    "catch_up": "catch_up"}  # fmt: skip


def resource_name(schedule: ReorderSchedule) -> str:
    return f"accounts/{schedule.account_id}/reorderSchedules/{schedule.id}"


def _audit_values(schedule: ReorderSchedule) -> dict[str, Json]:
    rec = schedule.recurrence
    return {
        "lines": [[line.sku, line.quantity] for line in schedule.lines],
        "recurrence_rule": rec.rule,
        "month_end": rec.month_end.value,
        "start_date": rec.start.isoformat(),
        "time_zone": rec.zone,
        "time_of_day": rec.time_of_day.strftime("%H:%M"),
        "end_date": rec.end_date.isoformat() if rec.end_date else None,
        "occurrence_count": rec.count,
        "reminder_lead_us": schedule.lead_us,
        "catch_up": schedule.catch_up.value,
        "status": schedule.status.value,
        "note": schedule.note,
    }


def _checked(schedule: ReorderSchedule, prefix: str, lines_changed: bool = True) -> ReorderSchedule:
    """The schedule checked, its rule in normal form. New lines are checked against the
    catalog too (active products only: a reorder of a product no longer sold is a mistake
    to fix now, not at the occurrence); lines already stored are not, so a note can still
    be changed on a schedule whose product was since retired."""
    v = Validator(prefix)
    validate_schedule(v, schedule)
    if lines_changed:
        _check_products(v, schedule)
    v.raise_if_any("invalid schedule")
    rule = normal_rule(schedule.recurrence.rule)
    return replace(schedule, recurrence=replace(schedule.recurrence, rule=rule))


def _check_products(v: Validator, schedule: ReorderSchedule) -> None:
    products = product_store.products_by_sku([line.sku for line in schedule.lines if line.sku])
    for index, line in enumerate(schedule.lines):
        product = products.get(line.sku)
        if line.sku and product is None:
            v.add(f"lines[{index}].sku", f"no product {line.sku!r} in the catalog")
        elif product is not None and not product.fields.active:
            v.add(f"lines[{index}].sku", f"product {line.sku!r} is not active")


@dataclass(frozen=True)
class Created:
    schedule: ReorderSchedule
    account_external_id: str
    upcoming: list[Occurrence]


def create_schedule(
    work: UnitOfWork,
    account_id: str,
    account_external_id: str,
    draft: ReorderSchedule,
    validate_only: bool = False,
) -> Created:
    """Stores a new active schedule waiting for its first occurrence after now (with
    ``validate_only``, checks it and shows its next occurrences without storing it)."""
    work.require(Permission.WRITE_SCHEDULES)
    with work.writing():
        account = get_account(work, account_id, account_external_id)
        if account.fields.status is AccountStatus.CLOSED:
            raise FailedPrecondition(f"account {account.id} is closed", reason="ACCOUNT_CLOSED")
        now = work.now_us()
        schedule = with_pending(
            replace(
                _checked(replace(draft, account_id=account.id), "schedule"),
                status=ScheduleStatus.ACTIVE,
                version=1,
                create_time_us=now,
                update_time_us=now,
            ),
            now,
        )
        ahead = _undecided_upcoming(schedule, UPCOMING)
        if validate_only:
            return Created(schedule, account.fields.external_id, ahead)
        schedule = replace(schedule, id=reorder_store.insert_schedule(schedule))
        mutations.audit(work, resource_name(schedule), changes_between({}, _audit_values(schedule)))
        return Created(schedule, account.fields.external_id, ahead)


def _stored(work: UnitOfWork, schedule_id: str, path: str, lock: bool = False) -> ReorderSchedule:
    def load(number: int) -> ReorderSchedule | None:
        found = reorder_store.get_schedule(number, lock=lock)
        return found if found and _visible(work, found) else None

    return _as_of_now(work, find_by_id(schedule_id, path, "schedule", "SCHEDULE_NOT_FOUND", load))


def _as_of_now(work: UnitOfWork, schedule: ReorderSchedule) -> ReorderSchedule:
    """The schedule with its next occurrence after now. No dispatcher decides occurrences
    yet, so a stored one whose time has passed is shown (and skipped, and saved with the
    next change) as the first undecided one after now, from the rule."""
    now = work.now_us()
    if schedule.pending is None or schedule.pending.due_us > now:
        return schedule
    return with_pending(_with_decided(schedule, now), now)


def _visible(work: UnitOfWork, schedule: ReorderSchedule) -> bool:
    try:
        visible_account(work, str(schedule.account_id))
    except NotFound:
        return False
    return True


def get_schedule(work: UnitOfWork, schedule_id: str) -> ReorderSchedule:
    work.require(Permission.READ_SCHEDULES)
    return _stored(work, schedule_id, "id")


def _with_decided(schedule: ReorderSchedule, now_us: int) -> ReorderSchedule:
    """The schedule with the days decided from yesterday (local) on: those a pending
    occurrence computed from now could land on again."""
    first = local_day(schedule.recurrence, now_us) - timedelta(days=1)
    return replace(schedule, decided=reorder_store.decided_days_from(schedule.id, first))


def _save(work: UnitOfWork, current: ReorderSchedule, changed: ReorderSchedule) -> ReorderSchedule:
    """Stores ``changed`` as the next version and audits what moved."""
    changes = changes_between(_audit_values(current), _audit_values(changed))
    if not changes and changed.pending == current.pending:
        return current
    stored = replace(changed, version=current.version + 1, update_time_us=work.now_us())
    reorder_store.update_schedule(stored)
    if changes:
        mutations.audit(work, resource_name(current), changes)
    return stored


def update_schedule(
    work: UnitOfWork, schedule_id: str, changes: ReorderSchedule, paths: set[str], etag: str
) -> ReorderSchedule:
    """Changes the fields in ``paths``; a change of when it occurs recomputes the next
    occurrence from the rule and now. An ended schedule given more occurrences (a later
    end, a higher count) is active again; a paused one stays paused."""
    work.require(Permission.WRITE_SCHEDULES)
    with work.writing():
        current = _stored(work, schedule_id, "schedule.id", lock=True)
        mutations.check_etag(f"schedule {current.id}", current.etag, etag)
        recurrence = replace(
            current.recurrence,
            **{
                attribute: getattr(changes.recurrence, attribute)
                for path, attribute in _RECURRENCE_FIELDS.items()
                if path in paths
            },
        )
        merged = replace(
            current,
            recurrence=recurrence,
            **{
                attribute: getattr(changes, attribute)
                for path, attribute in _SCHEDULE_FIELDS.items()
                if path in paths
            },
        )
        merged = _checked(merged, "schedule", lines_changed="lines" in paths)
        if paths & (set(_RECURRENCE_FIELDS) | {"reminder_lead"}):
            status = (
                ScheduleStatus.ACTIVE if current.status is ScheduleStatus.ENDED else current.status
            )
            merged = with_pending(
                _with_decided(replace(merged, status=status), work.now_us()), work.now_us()
            )
        return _save(work, current, merged)


def pause_schedule(work: UnitOfWork, schedule_id: str, etag: str) -> ReorderSchedule:
    """Stops an active schedule; pausing a paused one changes nothing."""
    work.require(Permission.WRITE_SCHEDULES)
    with work.writing():
        current = _stored(work, schedule_id, "id", lock=True)
        mutations.check_etag(f"schedule {current.id}", current.etag, etag)
        _refuse_ended(current, "paused")
        return _save(work, current, replace(current, status=ScheduleStatus.PAUSED, pending=None))


def resume_schedule(work: UnitOfWork, schedule_id: str, etag: str) -> ReorderSchedule:
    """Restarts a paused schedule from its first occurrence after now: the ones due while
    it was paused are not missed, nobody wanted them. Resuming an active one changes
    nothing."""
    work.require(Permission.WRITE_SCHEDULES)
    with work.writing():
        current = _stored(work, schedule_id, "id", lock=True)
        mutations.check_etag(f"schedule {current.id}", current.etag, etag)
        _refuse_ended(current, "resumed")
        if current.status is ScheduleStatus.ACTIVE:
            return current
        active = replace(current, status=ScheduleStatus.ACTIVE)
        return _save(
            work, current, with_pending(_with_decided(active, work.now_us()), work.now_us())
        )


def _refuse_ended(schedule: ReorderSchedule, verb: str) -> None:
    if schedule.status is ScheduleStatus.ENDED:
        raise FailedPrecondition(
            f"schedule {schedule.id} has ended and cannot be {verb}; give it a later end "
            "date or a higher count first",
            reason="SCHEDULE_ENDED",
        )


@dataclass(frozen=True)
class Skipped:
    schedule: ReorderSchedule
    skipped: RecordedOccurrence


def skip_next_occurrence(work: UnitOfWork, schedule_id: str, etag: str, reason: str) -> Skipped:
    """Records the pending occurrence as skipped; the one after it becomes pending."""
    work.require(Permission.WRITE_SCHEDULES)
    v = Validator()
    check_text(v, "reason", reason, MAX_REASON)
    v.raise_if_any()
    with work.writing():
        current = _stored(work, schedule_id, "id", lock=True)
        mutations.check_etag(f"schedule {current.id}", current.etag, etag)
        pending = current.pending
        if current.status is not ScheduleStatus.ACTIVE or pending is None:
            raise FailedPrecondition(
                f"schedule {current.id} is {current.status.value}: only an active schedule "
                "has a next occurrence to skip",
                reason="SCHEDULE_NOT_ACTIVE",
            )
        now = work.now_us()
        detail = f"skipped by {work.principal.subject}" + (f": {reason}" if reason else "")
        reminder = reminder_us(current.timing, pending)
        reorder_store.record_occurrence(
            current.id, pending, reminder, OccurrenceState.SKIPPED, detail, now
        )
        decided = _with_decided(current, now)
        following = pending_after(decided.timing, pending.due_us)
        status = ScheduleStatus.ACTIVE if following else ScheduleStatus.ENDED
        stored = _save(work, current, replace(current, pending=following, status=status))
        mutations.audit(
            work,
            resource_name(current),
            changes_between({"skipped": None}, {"skipped": pending.day.isoformat()}),
        )
        recorded = RecordedOccurrence(
            pending.day, pending.due_us, reminder, OccurrenceState.SKIPPED, detail, now
        )
        return Skipped(stored, recorded)


def delete_schedule(work: UnitOfWork, schedule_id: str, etag: str) -> None:
    work.require(Permission.WRITE_SCHEDULES)
    with work.writing():
        current = _stored(work, schedule_id, "id", lock=True)
        mutations.check_etag(f"schedule {current.id}", current.etag, etag)
        reorder_store.delete_schedule(current.id)
        mutations.audit(work, resource_name(current), changes_between(_audit_values(current), {}))


@dataclass(frozen=True)
class ScheduleQuery:
    account_id: str = ""
    account_external_id: str = ""
    status: ScheduleStatus | None = None
    due_after_us: int | None = None
    due_before_us: int | None = None
    page_size: int = 0
    page_token: str = ""


def list_schedules(work: UnitOfWork, query: ScheduleQuery) -> tuple[list[ReorderSchedule], str]:
    work.require(Permission.READ_SCHEDULES)
    account = (
        get_account(work, query.account_id, query.account_external_id)
        if query.account_id or query.account_external_id
        else None
    )
    found = ScheduleFilter(
        account.id if account else None, query.status, query.due_after_us, query.due_before_us
    )
    return keyset_page(
        lambda after, limit: [
            _as_of_now(work, schedule)
            for schedule in reorder_store.list_schedules(
                found, work.scope, after[0] if after else 0, limit
            )
        ],
        lambda schedule: [schedule.id],
        {
            "filter": [found.account_id, query.status, query.due_after_us, query.due_before_us],
            "subject": work.principal.subject,
        },
        query.page_size,
        query.page_token,
    )


@dataclass(frozen=True)
class Occurrences:
    schedule: ReorderSchedule
    recorded: list[RecordedOccurrence]
    next_page_token: str
    upcoming: list[Occurrence]


def list_occurrences(
    work: UnitOfWork, schedule_id: str, page_size: int, page_token: str, upcoming_count: int
) -> Occurrences:
    """Recorded occurrences, newest day first, and (first page only) the next ones."""
    work.require(Permission.READ_SCHEDULES)
    v = Validator()
    v.check(0 <= upcoming_count <= MAX_UPCOMING, "upcoming_count", f"0 (5) to {MAX_UPCOMING}")
    v.raise_if_any()
    schedule = _stored(work, schedule_id, "schedule_id")
    recorded, token = keyset_page(
        lambda after, limit: reorder_store.list_occurrences(
            schedule.id, after[0] if after else None, limit
        ),
        lambda occurrence: [day_number(occurrence.day)],
        {"schedule": schedule.id},
        page_size,
        page_token,
    )
    ahead: Sequence[Occurrence] = []
    if not page_token and schedule.pending is not None:
        decided = _with_decided(schedule, work.now_us())
        ahead = _undecided_upcoming(decided, upcoming_count or UPCOMING)
    return Occurrences(schedule, recorded, token, list(ahead))


def _undecided_upcoming(schedule: ReorderSchedule, count: int) -> list[Occurrence]:
    """The pending occurrence and the undecided ones after it."""
    found: list[Occurrence] = []
    pending = schedule.pending
    while pending is not None and len(found) < count:
        found.append(pending)
        pending = pending_after(schedule.timing, pending.due_us)
    return found
