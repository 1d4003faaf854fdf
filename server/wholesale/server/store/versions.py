"""Versioned rows: an identity row naming the current version, and version rows that are
never changed except to be closed when the next one is recorded.

The text of "the version in force as recorded at a moment" lives here once, so every
versioned table (price lists, rules, contract prices) answers "as of" alike.
"""

from __future__ import annotations

from wholesale.server.store.sql import execute, fetch_rows


def recorded_at(alias: str, moment: str) -> str:
    """SQL: the version row ``alias`` was the current one at ``moment`` (a parameter or
    column): recorded at or before it and not superseded by then."""
    return (
        f"{alias}.recorded_us <= {moment} AND "
        f"({alias}.superseded_us IS NULL OR {alias}.superseded_us > {moment})"
    )


def next_version(
    identity_table: str, identity_id: int, version_table: str, key: str, now_us: int
) -> int:
    """Closes the current version of one identity and returns the number of the next;
    the caller inserts that version in the same transaction."""
    execute(
        f"UPDATE {version_table} SET superseded_us = ? WHERE {key} = ? AND superseded_us IS NULL",
        now_us,
        identity_id,
    )
    [(version,)] = fetch_rows(
        f"UPDATE {identity_table} SET current_version = current_version + 1 "
        "WHERE id = ? RETURNING current_version",
        identity_id,
    )
    return int(version)
