"""Saved quotes: the figures exactly as answered, kept as the serialised reply so reading
one back can never differ from what was quoted, whatever the rules do later."""

from __future__ import annotations

from collections.abc import Callable

from wholesale.server.domain.access import AccountScope
from wholesale.server.store.sql import execute, fetch, fetch_rows


def save_quote(
    account_id: int, create_us: int, expire_us: int, payload: Callable[[int], bytes]
) -> int:
    """Stores a quote whose serialised form (which carries its own id) ``payload`` builds
    from the id assigned here; returns that id."""
    [(quote_id,)] = fetch_rows(
        "INSERT INTO saved_quote (account_id, create_time_us, expire_time_us) "
        "VALUES (?, ?, ?) RETURNING id",
        account_id,
        create_us,
        expire_us,
    )
    execute("UPDATE saved_quote SET quote_bytes = ? WHERE id = ?", payload(quote_id), quote_id)
    return int(quote_id)


def saved_quote(quote_id: int, scope: AccountScope) -> bytes | None:
    """The saved reply, if the quote exists and its account is within ``scope``."""
    sql = (
        "SELECT q.quote_bytes FROM saved_quote q JOIN account a ON a.id = q.account_id "
        "WHERE q.id = ?"
    )
    params: list[object] = [quote_id]
    if scope.manager is not None:
        sql += " AND a.manager = ?"
        params.append(scope.manager)
    rows = fetch(sql, params)
    return bytes(rows[0][0]) if rows else None
