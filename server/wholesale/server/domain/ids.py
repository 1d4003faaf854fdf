"""Server-assigned ids: decimal strings on the wire, 64-bit integers in the database."""

from __future__ import annotations

import re

_ID = re.compile(r"[0-9]{1,18}")


def parse_id(text: str) -> int | None:
    """The id ``text`` stands for, or None if it cannot be one (ASCII digits only: "²" is a
    digit to str.isdigit() but not to int())."""
    return int(text) if _ID.fullmatch(text) else None
