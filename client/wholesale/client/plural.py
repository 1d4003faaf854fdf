"""Counts as people read them in messages: "1 row", "12,345 rows"."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """``count`` with thousands separators and ``noun`` in the number it needs; nouns
    here take a plain "s" (row, order, column, field)."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
