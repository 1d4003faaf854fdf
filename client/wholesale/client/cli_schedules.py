"""``wholesale schedules``: standing orders of an account, on a rule in its time zone.

``create`` takes the rule in words (``--every "2 weeks" --on monday``) or as RFC 5545 text
(``--rule``), shows the next five dates and saves (on a terminal it asks first; ``--dry-run``
only shows them). Times are shown in the schedule's own zone.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from wholesale.client.cli_common import (
    LIMIT_OPTIONS,
    Session,
    first_results,
    pass_session,
    sku_quantity,
)
from wholesale.client.cli_keys import find_account
from wholesale.client.cli_output import (
    print_fields,
    print_json,
    print_message,
    print_messages,
    print_record,
    print_rows,
)
from wholesale.client.cli_values import Record, message_values
from wholesale.client.client import Client
from wholesale.client.friendly_rule import rule_from_words
from wholesale.client.values import enum_name, from_date
from wholesale.v1 import reorder_pb2
from wholesale.v1.reorder_pb2 import ReorderSchedule, ScheduleOccurrence

LIST_COLUMNS = ("id", "account", "lines", "rule", "time", "status", "next", "missed_count")
OCCURRENCE_COLUMNS = ("date", "due", "reminder", "state", "detail")
STATUSES = ("active", "paused", "ended")
MONTH_ENDS = ("backward", "forward", "omit")
CATCH_UPS = ("none", "latest", "each")
_LEAD = re.compile(r"(\d+)\s*(d|days?|h|hours?)")


@click.group()
def schedules() -> None:
    """Standing orders: what an account reorders, on which days, with a reminder ahead."""


def _line(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list:
    return [sku_quantity(text, "--line") for text in values]


def _lead(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.timedelta | None:
    """``2 days``, ``36h`` or ``0``: how long before each occurrence its reminder goes."""
    if value is None:
        return None
    text = value.strip().lower()
    if text == "0":
        return dt.timedelta(0)
    found = _LEAD.fullmatch(text)
    if found is None:
        raise click.BadParameter(f"{value!r} is not a lead time such as '2 days' or '36 hours'")
    amount = int(found.group(1))
    return (
        dt.timedelta(days=amount) if found.group(2).startswith("d") else dt.timedelta(hours=amount)
    )


def _at(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise click.BadParameter(f"{value!r} is not a time of day such as 09:00")
    return value.strip().zfill(5) if value else None


def _rule(every: str | None, on: tuple[str, ...], rule: str | None) -> str | None:
    """The rule from --rule or from --every/--on (not both); None when neither is given."""
    if rule and (every or on):
        raise click.UsageError("give the rule in words (--every, --on) or as --rule, not both")
    if on and not every:
        raise click.UsageError("--on needs --every, such as --every week --on monday")
    if every is None:
        return rule
    try:
        return rule_from_words(every, on)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every/--on") from exc


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _local(stamp: Any, zone: str) -> str:
    """A Timestamp in the schedule's zone, "2026-12-07 09:00 CET"; "" when unset."""
    if not stamp.seconds and not stamp.nanos:
        return ""
    moment = stamp.ToDatetime(dt.UTC).astimezone(_zone(zone))
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def _lines_text(schedule: ReorderSchedule) -> str:
    return "; ".join(f"{line.sku} x {line.quantity}" for line in schedule.lines)


def _extras(schedule: Any) -> Record:
    """The columns a list shows beside the message's own fields."""
    clock = schedule.time_of_day
    return {
        "account": schedule.account_external_id or schedule.account_id,
        "lines": _lines_text(schedule),
        "rule": schedule.recurrence_rule,
        "time": f"{clock.hours:02d}:{clock.minutes:02d} {schedule.time_zone}",
        "status": enum_name(reorder_pb2.ScheduleStatus, "SCHEDULE_STATUS_", schedule.status),
        "next": _local(schedule.next_occurrence_time, schedule.time_zone),
    }


def _occurrence_row(occurrence: ScheduleOccurrence, zone: str) -> Record:
    return {
        "date": str(from_date(occurrence.date)),
        "due": _local(occurrence.due_time, zone),
        "reminder": _local(occurrence.reminder_time, zone),
        "state": enum_name(reorder_pb2.OccurrenceState, "OCCURRENCE_STATE_", occurrence.state),
        "detail": occurrence.detail,
    }


def _ends(schedule: ReorderSchedule) -> str:
    end = from_date(schedule.end_date)
    if end:
        return f"on {end}"
    count = schedule.occurrence_count
    return f"after {count} occurrences" if count else "never"


def _lead_text(schedule: ReorderSchedule) -> str:
    lead = schedule.reminder_lead.ToTimedelta()
    if not lead:
        return "at the occurrence"
    if not lead.seconds:
        return f"{lead.days} day{'s' if lead.days != 1 else ''} ahead"
    return f"{lead.total_seconds() / 3600:g} hours ahead"


def _print_schedule(
    schedule: ReorderSchedule, upcoming: list[ScheduleOccurrence], fmt: str, title: str
) -> None:
    """The schedule, then its next occurrences; JSON has both in one object, CSV the
    schedule's row."""
    if fmt == "json":
        print_json(
            {
                "schedule": message_values(schedule),
                "upcoming": [message_values(o) for o in upcoming],
            }
        )
        return
    if fmt == "csv":
        print_message(schedule, fmt, title)
        return
    row = _extras(schedule)
    month_end = schedule.month_end or reorder_pb2.MONTH_END_POLICY_BACKWARD
    catch_up = schedule.catch_up or reorder_pb2.CATCH_UP_POLICY_LATEST
    print_fields(
        {
            "id": schedule.id or "(not saved)",
            "account": row["account"],
            "lines": row["lines"],
            "rule": row["rule"],
            "month_end": enum_name(reorder_pb2.MonthEndPolicy, "MONTH_END_POLICY_", month_end),
            "starts": str(from_date(schedule.start_date)),
            "ends": _ends(schedule),
            "time": row["time"],
            "reminder": _lead_text(schedule),
            "catch_up": enum_name(reorder_pb2.CatchUpPolicy, "CATCH_UP_POLICY_", catch_up),
            "status": row["status"],
            "next": row["next"] or "none",
            "missed": schedule.missed_count,
            "note": schedule.note,
        },
        title,
    )
    if upcoming:
        rows = [_occurrence_row(o, schedule.time_zone) for o in upcoming]
        print_rows(rows, "table", ("date", "due", "reminder"), f"Next {len(rows)} occurrences")


# ---------------------------------------------------------------------------- commands

_RULE_OPTIONS = [
    click.option("--every", help='The period in words: "week", "2 weeks", "month".'),
    click.option(
        "--on",
        "on",
        multiple=True,
        help="Days in words: monday (or mon), weekdays, 1, 15th, last; repeatable.",
    ),
    click.option("--rule", help="Or the RFC 5545 rule itself: FREQ=WEEKLY;INTERVAL=2;BYDAY=MO."),
    click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First possible day."),
    click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last possible day."),
    click.option("--count", type=click.IntRange(1, 10_000), help="Number of occurrences."),
    click.option("--zone", help="The account's IANA time zone, such as Europe/Berlin."),
    click.option("--at", callback=_at, help="Local time each occurrence is due (HH:MM)."),
    click.option("--lead", callback=_lead, help='Reminder ahead of each: "2 days", "36 hours".'),
    click.option("--month-end", type=click.Choice(MONTH_ENDS), help="A day a month lacks."),
    click.option("--catch-up", type=click.Choice(CATCH_UPS), help="Occurrences missed while down."),
    click.option("--note", help="Free text for people."),
]


def rule_options(command: Any) -> Any:
    for option in reversed(_RULE_OPTIONS):
        command = option(command)
    return command


def _fields(**given: Any) -> dict[str, Any]:
    """The schedule fields of the options given (None ones left out)."""
    names = {
        "start": "start_date",
        "end": "end_date",
        "count": "occurrence_count",
        "zone": "time_zone",
        "at": "time_of_day",
        "lead": "reminder_lead",
    }
    return {names.get(k, k): v for k, v in given.items() if v is not None}


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@schedules.command("create")
@click.argument("account_key", metavar="ACCOUNT")
@click.option(
    "--line",
    "lines",
    multiple=True,
    required=True,
    callback=_line,
    metavar="SKU:QTY",
    help="A product and quantity; repeatable.",
)
@rule_options
@click.option("--dry-run", is_flag=True, help="Show the next five dates; save nothing.")
@click.option("--yes", "-y", is_flag=True, help="Save without asking on a terminal.")
@pass_session
def create(
    session: Session,
    account_key: str,
    lines: list,
    every: str | None,
    on: tuple[str, ...],
    rule: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    dry_run: bool,
    yes: bool,
    **options: Any,
) -> None:
    """A standing order for ACCOUNT (id or ERP id): shows its next five dates, then saves it
    (asking first on a terminal). Starts today unless --start says otherwise; due at 09:00
    unless --at."""
    wanted = _rule(every, on, rule)
    if wanted is None:
        raise click.UsageError("give the rule: --every (with --on) or --rule")
    if options["zone"] is None:
        raise click.UsageError("give the account's time zone: --zone Europe/Berlin")
    fields = _fields(end=_day(end), **options)
    fields.setdefault("time_of_day", "09:00")
    with session.connect() as client:
        account = find_account(client, account_key)
        first = _day(start) or dt.date.today()
        created = _save(client, account.id, lines, wanted, first, fields, dry_run, yes, session)
    if created is not None:
        _print_schedule(
            created.schedule,
            list(created.upcoming),
            session.output,
            f"Created schedule {created.schedule.id}",
        )


def _save(
    client: Client,
    account: str,
    lines: list,
    rule: str,
    start: dt.date,
    fields: dict[str, Any],
    dry_run: bool,
    yes: bool,
    session: Session,
) -> Any:
    """Shows the schedule's next dates (all of it with --dry-run), then saves it once the
    person agrees; None when nothing was saved."""
    preview = client.create_schedule(
        account, lines, recurrence_rule=rule, start_date=start, validate_only=True, **fields
    )
    if dry_run:
        _print_schedule(
            preview.schedule, list(preview.upcoming), session.output, "Schedule (not saved)"
        )
        return None
    if sys.stdin.isatty() and not yes and session.output == "table":
        _print_schedule(preview.schedule, list(preview.upcoming), "table", "Schedule to save")
        if not click.confirm("Save this schedule?", default=True):
            click.echo("Not saved.")
            return None
    return client.create_schedule(account, lines, recurrence_rule=rule, start_date=start, **fields)


@schedules.command("list")
@click.option("--account", "account_key", help="Only this account's (id or ERP id).")
@click.option("--status", type=click.Choice(STATUSES))
@LIMIT_OPTIONS
@pass_session
def list_schedules(
    session: Session, account_key: str | None, status: str | None, limit: int, everything: bool
) -> None:
    """Schedules you may see, by id, with their next occurrence in their own zone."""
    with session.connect() as client:
        account = find_account(client, account_key).id if account_key else None
        shown = first_results(
            lambda size: client.schedules(account, status=status, page_size=size),
            limit,
            everything,
        )
        print_messages(
            shown.items,
            ReorderSchedule,
            session.output,
            shown.title("Schedules"),
            LIST_COLUMNS,
            extras=_extras,
        )
    shown.hint()


@schedules.command("show")
@click.argument("schedule_id", metavar="ID")
@pass_session
def show(session: Session, schedule_id: str) -> None:
    """A schedule, its next five occurrences and what happened to the recent ones."""
    with session.connect() as client:
        schedule = client.get_schedule(schedule_id)
        upcoming = client.upcoming_occurrences(schedule_id)
        recorded = list(
            first_results(
                lambda size: client.occurrences(schedule_id, page_size=size), 10, False
            ).items
        )
    _print_schedule(schedule, upcoming, session.output, f"Schedule {schedule.id}")
    if session.output == "table" and recorded:
        rows = [_occurrence_row(o, schedule.time_zone) for o in recorded]
        print_rows(rows, "table", OCCURRENCE_COLUMNS, "Recent occurrences")


@schedules.command("update")
@click.argument("schedule_id", metavar="ID")
@click.option(
    "--line",
    "lines",
    multiple=True,
    callback=_line,
    metavar="SKU:QTY",
    help="The new lines (all of them); repeatable.",
)
@rule_options
@pass_session
def update(
    session: Session,
    schedule_id: str,
    lines: list,
    every: str | None,
    on: tuple[str, ...],
    rule: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    **options: Any,
) -> None:
    """Change a schedule; a change of when it occurs moves its next occurrence from the
    rule and now. Only the options given change."""
    fields = _fields(start=_day(start), end=_day(end), **options)
    wanted = _rule(every, on, rule)
    if wanted:
        fields["recurrence_rule"] = wanted
    if lines:
        fields["lines"] = lines
    if not fields:
        raise click.UsageError("give at least one thing to change, such as --at 10:00")
    with session.connect() as client:
        current = client.get_schedule(schedule_id)
        changed = client.update_schedule(schedule_id, etag=current.etag, **fields)
        upcoming = client.upcoming_occurrences(schedule_id)
    _print_schedule(changed, upcoming, session.output, f"Updated schedule {schedule_id}")


def _state_change(name: str, verb: str, doc: str) -> None:
    @schedules.command(name, help=doc)
    @click.argument("schedule_id", metavar="ID")
    @pass_session
    def command(session: Session, schedule_id: str) -> None:
        with session.connect() as client:
            changed = getattr(client, f"{name}_schedule")(schedule_id)
            upcoming = client.upcoming_occurrences(schedule_id)
        _print_schedule(changed, upcoming, session.output, f"{verb} schedule {schedule_id}")


_state_change("pause", "Paused", "Stop a schedule until it is resumed.")
_state_change("resume", "Resumed", "Restart a paused schedule from its next date after now.")


@schedules.command("skip")
@click.argument("schedule_id", metavar="ID")
@click.option("--reason", default="", help="Why, kept with the skipped occurrence.")
@pass_session
def skip(session: Session, schedule_id: str, reason: str) -> None:
    """Skip the next occurrence; the one after it becomes next."""
    with session.connect() as client:
        done = client.skip_next_occurrence(schedule_id, reason)
        upcoming = client.upcoming_occurrences(schedule_id)
    skipped = from_date(done.skipped.date)
    _print_schedule(
        done.schedule, upcoming, session.output, f"Skipped {skipped} of schedule {schedule_id}"
    )


@schedules.command("delete")
@click.argument("schedule_id", metavar="ID")
@pass_session
def delete(session: Session, schedule_id: str) -> None:
    """Delete a schedule and the record of its occurrences."""
    with session.connect() as client:
        client.delete_schedule(schedule_id)
    print_record({"id": schedule_id, "deleted": True}, session.output, "Deleted schedule")
