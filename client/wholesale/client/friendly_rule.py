"""Recurrence rules from the words people use: "every 2 weeks on monday" is
``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO``, "every month on the 1st and last day" is
``FREQ=MONTHLY;BYMONTHDAY=1,-1``. The server checks the rule; this only spells it."""

from __future__ import annotations

import re
from collections.abc import Sequence

FREQUENCIES = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
WEEKDAYS = {
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
    "saturday": "SA", "sunday": "SU",
}  # fmt: skip
# "weekdays" and "weekends" are common shorthands.
WEEKDAY_GROUPS = {"weekdays": ["MO", "TU", "WE", "TH", "FR"], "weekends": ["SA", "SU"]}
_EVERY = re.compile(r"(?:(\d+)\s+)?(day|week|month|year)s?")
_MONTH_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")


def rule_from_words(every: str, on: Sequence[str] = ()) -> str:
    """The RRULE for ``every`` ("week", "2 weeks", "month") and ``on`` (weekdays such as
    "monday" or "mon", "weekdays", month days such as "1", "15th" or "last"); ValueError
    saying what was not understood."""
    match = _EVERY.fullmatch(every.strip().lower())
    if match is None:
        raise ValueError(f"{every!r} is not a period such as 'week', '2 weeks' or 'month'")
    interval = int(match.group(1) or 1)
    if interval < 1:
        raise ValueError(f"{every!r}: the number of {match.group(2)}s must be at least 1")
    parts = [f"FREQ={FREQUENCIES[match.group(2)]}"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    days, month_days = _days(on)
    if days:
        parts.append(f"BYDAY={','.join(days)}")
    if month_days:
        parts.append(f"BYMONTHDAY={','.join(month_days)}")
    return ";".join(parts)


def _days(on: Sequence[str]) -> tuple[list[str], list[str]]:
    days: list[str] = []
    month_days: list[str] = []
    for word in (w.strip().lower() for item in on for w in item.split(",") if w.strip()):
        if word in WEEKDAY_GROUPS:
            days += WEEKDAY_GROUPS[word]
        elif _weekday(word):
            days.append(_weekday(word))
        elif word in ("last", "last day"):
            month_days.append("-1")
        elif (found := _MONTH_DAY.fullmatch(word)) and 1 <= int(found.group(1)) <= 31:
            month_days.append(found.group(1))
        else:
            raise ValueError(
                f"{word!r} is not a weekday (monday, mon), weekdays, a day of the month "
                "(1, 15th) or last"
            )
    return list(dict.fromkeys(days)), list(dict.fromkeys(month_days))


def _weekday(word: str) -> str:
    """The RFC 5545 code of a weekday written in full or by its first three letters."""
    for name, code in WEEKDAYS.items():
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return code
    return ""
