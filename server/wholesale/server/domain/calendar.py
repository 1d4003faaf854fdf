"""Calendar days as integers (days since 1970-01-01), so SQL can subtract and compare them
the same way on every backend."""

from __future__ import annotations

import datetime as dt

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def day_number(day: dt.date) -> int:
    return day.toordinal() - EPOCH_ORDINAL


def date_of(day: int) -> dt.date:
    return dt.date.fromordinal(day + EPOCH_ORDINAL)
