"""When a standing order falls due: an RFC 5545 recurrence rule, in the account's time zone.

A schedule's occurrences are local calendar days ("every other Monday"), each due at the
same local time of day. The day is what identifies an occurrence (a reminder is sent once
per schedule and day), so a rule is never finer than a day: FREQ is DAILY, WEEKLY, MONTHLY
or YEARLY, and the time of day, the start, the end and the count are fields of their own
rather than parts of the rule text (one place for each, so they cannot disagree).

Days a month lacks ("the 31st" in April, 29 February in 2027) follow the month-end policy
of RFC 7529: ``backward`` to the month's last day, ``forward`` to the next month's first,
or ``omit``. The policy is applied month by month, so the 31st falls on 30 April and is
back on 31 May: it never sticks to the shorter month. It covers days 29 to 31 given in
BYMONTHDAY or implied by a start on such a day; a day counted from the month's end (-31)
is omitted where a month lacks it.

A local time that does not exist (skipped when clocks go forward) is taken with the offset
before the change, which moves it forward by the gap (02:30 becomes 03:30); a local time
that happens twice (when clocks go back) is due at its first instance only. Occurrences
are computed from the rule and its start, never from the last run, so a changed rule or a
long downtime cannot make a schedule drift.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from wholesale.server.errors import Validator

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RULE_PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "BYWEEKNO",
              "BYYEARDAY", "WKST")  # fmt: skip
# Parts of RFC 5545 that this service keeps in fields of their own, and where.
MOVED_PARTS = {
    "COUNT": "give the number of occurrences in occurrence_count",
    "UNTIL": "give the last day in end_date",
    "DTSTART": "give the first day in start_date",
    "BYHOUR": "give the time of day in time_of_day",
    "BYMINUTE": "give the time of day in time_of_day",
    "BYSECOND": "give the time of day in time_of_day",
    "SKIP": "give the month-end policy in month_end",
    "RSCALE": "only the Gregorian calendar is supported",
}
MAX_RULE_LENGTH = 500
MAX_COUNT = 10_000
MAX_INTERVAL = 1_000
# A valid rule occurs within ten years of its start (29 February does, within 8).
HORIZON_DAYS = 3653
SHORTEST_MONTH = 28
# Parts that pick days by other means than the day of the month.
DAY_SELECTORS = frozenset({"BYDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"})
# The values each numeric part allows (RFC 5545 section 3.3.10); zero never.
NUMBER_RANGES = {"BYMONTHDAY": 31, "BYMONTH": 12, "BYYEARDAY": 366, "BYWEEKNO": 53,
                 "BYSETPOS": 366}  # fmt: skip


class MonthEnd(enum.StrEnum):
    """RFC 7529's SKIP: what a day that a month lacks becomes."""

    BACKWARD = "backward"
    FORWARD = "forward"
    OMIT = "omit"


class RecurrenceError(ValueError):
    """A rule that cannot be computed; raised only for a recurrence that skipped
    ``validate_recurrence``."""


@dataclass(frozen=True)
class Recurrence:
    rule: str
    start: date
    time_of_day: time
    zone: str
    month_end: MonthEnd = MonthEnd.BACKWARD
    end_date: date | None = None
    count: int | None = None


@dataclass(frozen=True)
class Occurrence:
    """One due occurrence: its local day (what identifies it) and its instant in UTC."""

    day: date
    due_us: int


# ---------------------------------------------------------------------------- validation


def validate_recurrence(v: Validator, recurrence: Recurrence) -> None:
    """Field violations for everything wrong with ``recurrence``, so one reply lists them."""
    parts = _checked_parts(v, recurrence.rule)
    _check_zone(v, recurrence.zone)
    if recurrence.end_date is not None and recurrence.end_date < recurrence.start:
        v.add("end_date", f"{recurrence.end_date} is before the start date {recurrence.start}")
    if recurrence.count is not None and not 1 <= recurrence.count <= MAX_COUNT:
        v.add(
            "occurrence_count",
            f"must be from 1 to {MAX_COUNT:,} occurrences, not {recurrence.count}",
        )
    if recurrence.time_of_day.second or recurrence.time_of_day.microsecond:
        v.add("time_of_day", "give hours and minutes only")
    if parts is None or v.violations:
        return
    selectors = sorted(DAY_SELECTORS & parts.keys())
    if (
        selectors
        and recurrence.month_end is not MonthEnd.OMIT
        and any(day > SHORTEST_MONTH for day in _month_days(parts))
    ):
        v.add("month_end", f"with {', '.join(selectors)} a day past the 28th that a month "
              "lacks can only be omitted: set month_end to omit")  # fmt: skip
        return
    # In days: a start on 29 February has no such day ten years later.
    horizon = recurrence.start + timedelta(days=HORIZON_DAYS)
    until = min(horizon, recurrence.end_date or horizon)
    if next(_all_days(recurrence, until), None) is None:
        v.add("recurrence_rule", f"has no occurrence from {recurrence.start} to {until}")


def _checked_parts(v: Validator, rule: str) -> dict[str, str] | None:
    """The rule's parts by name, or None after recording why the text is unusable."""
    if len(rule) > MAX_RULE_LENGTH:
        v.add("recurrence_rule", f"is longer than {MAX_RULE_LENGTH} characters")
        return None
    try:
        parts = parse_rule(rule)
    except RecurrenceError as error:
        v.add("recurrence_rule", str(error))
        return None
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        v.add("recurrence_rule", f"INTERVAL must be a whole number, not {parts['INTERVAL']!r}")
        return None
    if not 1 <= interval <= MAX_INTERVAL:
        v.add("recurrence_rule", f"INTERVAL must be from 1 to {MAX_INTERVAL}, not {interval}")
        return None
    try:
        rrulestr(_text(parts), dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        v.add("recurrence_rule", f"is not a valid RFC 5545 rule: {error or 'unreadable'}")
        return None
    return parts


def _check_zone(v: Validator, zone: str) -> None:
    if not zone:
        v.add("time_zone", "give the account's IANA time zone, such as Europe/Berlin")
        return
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        v.add("time_zone", f"{zone!r} is not an IANA time zone (such as Europe/Berlin)")


def parse_rule(rule: str) -> dict[str, str]:
    """``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO`` (an ``RRULE:`` prefix allowed) as its parts, in
    upper case; raises RecurrenceError saying what to change."""
    text = rule.strip().upper().removeprefix("RRULE:")
    if not text:
        raise RecurrenceError("give a rule such as FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")
    parts: dict[str, str] = {}
    for item in text.strip(";").split(";"):
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name or not value:
            raise RecurrenceError(f"{item!r} is not NAME=VALUE")
        if name in MOVED_PARTS:
            raise RecurrenceError(f"{name} is not part of the rule here: {MOVED_PARTS[name]}")
        if name not in RULE_PARTS:
            raise RecurrenceError(f"{name} is not an RFC 5545 rule part")
        if name in parts:
            raise RecurrenceError(f"{name} is given twice")
        if name in NUMBER_RANGES:
            _check_numbers(name, value)
        parts[name] = value
    if parts.get("FREQ") not in FREQUENCIES:
        raise RecurrenceError(
            f"FREQ must be one of {', '.join(FREQUENCIES)} (occurrences are days), "
            f"not {parts.get('FREQ', 'missing')}"
        )
    return parts


def _check_numbers(name: str, value: str) -> None:
    limit = NUMBER_RANGES[name]
    negative = "" if name == "BYMONTH" else f" or -{limit} to -1"
    for item in value.split(","):
        try:
            number = int(item)
        except ValueError:
            number = 0
        if not (1 <= number <= limit or (negative and -limit <= number <= -1)):
            raise RecurrenceError(f"{name} values are 1 to {limit}{negative}, not {item!r}")


def normal_rule(rule: str) -> str:
    """The rule as stored and shown: upper case, no prefix, parts in the order given."""
    return _text(parse_rule(rule))


def _text(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


# ---------------------------------------------------------------------------- occurrences


def occurrence_days(recurrence: Recurrence, first: date) -> Iterator[date]:
    """The local days of the occurrences on or after ``first``, within the end and count."""
    days = _all_days(recurrence, recurrence.end_date)
    if recurrence.count is not None:
        days = islice(days, recurrence.count)
    return (day for day in days if day >= first)


def due_us(recurrence: Recurrence, day: date) -> int:
    """The instant, in UTC micros, at which the occurrence of ``day`` falls due."""
    local = datetime.combine(day, recurrence.time_of_day, tzinfo=ZoneInfo(recurrence.zone))
    return int(local.astimezone(UTC).timestamp()) * 1_000_000


def local_day(recurrence: Recurrence, at_us: int) -> date:
    """The account's calendar day at ``at_us``."""
    instant = datetime.fromtimestamp(at_us // 1_000_000, UTC)
    return instant.astimezone(ZoneInfo(recurrence.zone)).date()


def occurrences_after(recurrence: Recurrence, after_us: int) -> Iterator[Occurrence]:
    """The occurrences due strictly after ``after_us``, in order."""
    # The local day at after_us, less one: a day's due time may fall before that instant's
    # local midnight only on that day or the one before.
    first = max(recurrence.start, local_day(recurrence, after_us) - timedelta(days=1))
    for day in occurrence_days(recurrence, first):
        due = due_us(recurrence, day)
        if due > after_us:
            yield Occurrence(day, due)


def next_occurrence(recurrence: Recurrence, after_us: int) -> Occurrence | None:
    """The first occurrence due strictly after ``after_us``; None once the schedule ended."""
    return next(occurrences_after(recurrence, after_us), None)


def upcoming(recurrence: Recurrence, after_us: int, count: int) -> list[Occurrence]:
    """The next ``count`` occurrences after ``after_us`` (fewer where the schedule ends)."""
    return list(islice(occurrences_after(recurrence, after_us), count))


def due_between(recurrence: Recurrence, after_us: int, until_us: int) -> list[Occurrence]:
    """The occurrences due in (after_us, until_us]: those a stopped server missed."""
    found: list[Occurrence] = []
    for occurrence in occurrences_after(recurrence, after_us):
        if occurrence.due_us > until_us:
            break
        found.append(occurrence)
    return found


def _all_days(recurrence: Recurrence, until: date | None) -> Iterator[date]:
    """Every occurrence day from the start to ``until``, without count, in order, each once."""
    parts = parse_rule(recurrence.rule)
    past = _days_past_shortest(parts, recurrence.start)
    if not past or recurrence.month_end is MonthEnd.OMIT:
        return _days_of(parts, recurrence.start, until)
    base = dict(parts)
    if parts["FREQ"] == "YEARLY" and "BYMONTHDAY" not in parts:
        # The day implied by the start is in the start's month only; days given in
        # BYMONTHDAY are in every month, as RFC 5545 says.
        base.setdefault("BYMONTH", str(recurrence.start.month))
    days = _month_days(parts) or [recurrence.start.day]
    streams = []
    within = [str(day) for day in days if day <= SHORTEST_MONTH]
    if within:
        streams.append(_days_of({**base, "BYMONTHDAY": ",".join(within)}, recurrence.start, until))
    # Each month's last day, which every month has, stands in for a wanted day past the
    # 28th: it is that day in a month long enough, else what the policy makes of it.
    last = {**base, "BYMONTHDAY": "-1"}
    forward = recurrence.month_end is MonthEnd.FORWARD
    for wanted in past:
        month_ends = _days_of(last, recurrence.start, until)
        streams.append(_stand_ins(month_ends, wanted, forward, recurrence.start, until))
    return _unique(heapq.merge(*streams))


def _stand_ins(
    month_ends: Iterable[date], wanted: int, forward: bool, start: date, until: date | None
) -> Iterator[date]:
    """Day ``wanted`` of each month, as the policy places it, within start and until."""
    for last_day in month_ends:
        day = _standing_in(last_day, wanted, forward)
        if day >= start and (until is None or day <= until):
            yield day


def _standing_in(last_day: date, wanted: int, forward: bool) -> date:
    """Day ``wanted`` of ``last_day``'s month, or, if the month is shorter, its last day
    (backward) or the next month's first (forward)."""
    if last_day.day >= wanted:
        return last_day.replace(day=wanted)
    return last_day + timedelta(days=1) if forward else last_day


def _month_days(parts: dict[str, str]) -> list[int]:
    return [int(day) for day in parts.get("BYMONTHDAY", "").split(",") if day.strip()]


def _days_past_shortest(parts: dict[str, str], start: date) -> list[int]:
    """The month days past the 28th that the rule asks for, which some months lack; none
    where other parts pick the days (BYDAY: the 31st only if a Monday), which omit them."""
    if DAY_SELECTORS & parts.keys():
        return []
    if "BYMONTHDAY" in parts:
        return sorted({day for day in _month_days(parts) if day > SHORTEST_MONTH})
    implied = parts["FREQ"] in ("MONTHLY", "YEARLY")
    return [start.day] if implied and start.day > SHORTEST_MONTH else []


def _days_of(parts: dict[str, str], start: date, until: date | None) -> Iterator[date]:
    bounded = {**parts, "UNTIL": until.strftime("%Y%m%d")} if until else parts
    try:
        rule = rrulestr(_text(bounded), dtstart=datetime.combine(start, time()))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise RecurrenceError(f"rule {_text(parts)!r}: {error}") from error
    return (moment.date() for moment in rule)


def _unique(days: Iterable[date]) -> Iterator[date]:
    previous = None
    for day in days:
        if day != previous:
            yield day
        previous = day
