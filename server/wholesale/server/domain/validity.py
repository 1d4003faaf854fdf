"""When a price list, a rule or a contract price is in force: a half-open window of instants.

The start is inclusive and the end exclusive, so a list ending at midnight and its successor
starting at the same midnight never overlap and never leave a gap. ``None`` is open: since
ever, or until further notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from wholesale.server.errors import Validator


@dataclass(frozen=True)
class Window:
    start_us: int | None = None
    end_us: int | None = None

    def contains(self, at_us: int) -> bool:
        return (self.start_us is None or self.start_us <= at_us) and (
            self.end_us is None or at_us < self.end_us
        )

    def overlaps(self, other: Window) -> bool:
        starts_before_other_ends = (
            self.start_us is None or other.end_us is None or self.start_us < other.end_us
        )
        ends_after_other_starts = (
            self.end_us is None or other.start_us is None or other.start_us < self.end_us
        )
        return starts_before_other_ends and ends_after_other_starts

    def intersection(self, other: Window) -> Window | None:
        """Where both windows are in force, or None where they never are together."""
        starts = [s for s in (self.start_us, other.start_us) if s is not None]
        ends = [e for e in (self.end_us, other.end_us) if e is not None]
        start, end = max(starts, default=None), min(ends, default=None)
        if start is not None and end is not None and start >= end:
            return None
        return Window(start, end)

    def describe(self) -> str:
        """For people: "from 2026-01-01 00:00 UTC until 2026-02-01 00:00 UTC", "open-ended"."""
        parts = []
        if self.start_us is not None:
            parts.append(f"from {_instant(self.start_us)}")
        if self.end_us is not None:
            parts.append(f"until {_instant(self.end_us)}")
        return " ".join(parts) or "open-ended"

    def updated(self, changes: Window, start: bool, end: bool) -> Window:
        """This window with its start and/or end (as an update names them) from ``changes``."""
        return Window(
            changes.start_us if start else self.start_us, changes.end_us if end else self.end_us
        )

    def why_not(self, at_us: int) -> str:
        """Why ``at_us`` is outside this window, for a quote's trace."""
        if self.start_us is not None and at_us < self.start_us:
            return f"starts {_instant(self.start_us)}"
        return f"ended {_instant(self.end_us or 0)}"


def _instant(micros: int) -> str:
    return datetime.fromtimestamp(micros / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def validate_window(v: Validator, window: Window, start_field: str, end_field: str) -> None:
    if window.start_us is not None and window.end_us is not None:
        v.check(window.start_us < window.end_us, end_field, f"must be after {start_field}")
