"""The event table: the outbox written with each change, and the feed read after a cursor.

The trap every "id greater than my cursor" feed falls into: a sequence value is taken at
insert but seen only at commit, so a writer that commits after a later id was read is
skipped for good. Here each event carries its transaction's id and the feed is read in
(transaction, id) order, up to the oldest transaction still running when the read starts
(``pg_snapshot_xmin``): every transaction below it has committed or rolled back, so
nothing can appear behind the cursor afterwards. A transaction left open holds the feed
back for as long as it stays open, never makes it skip. SQLite has one writer at a time,
and its ids are taken under the write lock, so id order is commit order there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from wholesale.server.domain.access import AccountScope
from wholesale.server.domain.event import Event, EventType, NewEvent, Position
from wholesale.server.store.database import is_postgres
from wholesale.server.store.sql import execute, fetch, fetch_rows, insert_rows

_COLUMNS = ("txid", "type", "account_id", "subject", "data_json", "create_time_us")
# Below it, every transaction has ended: its events are all visible or never will be.
_HORIZON = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def append(events: Sequence[NewEvent], now_us: int) -> None:
    """Writes ``events`` in the caller's transaction: they commit with the change."""
    if not events:
        return
    txid = fetch_rows("SELECT pg_current_xact_id()::text::bigint")[0][0] if is_postgres() else 0
    insert_rows(
        "event",
        _COLUMNS,
        [(txid, e.type.value, e.account_id, e.subject, _json(e), now_us) for e in events],
    )


def _json(event: NewEvent) -> str:
    return json.dumps(event.data, sort_keys=True, separators=(",", ":"))


def read_after(
    after: Position, scope: AccountScope, types: frozenset[EventType], limit: int
) -> list[Event]:
    """Up to ``limit`` events after ``after`` in feed order, of the accounts ``scope``
    allows (events of no account only for callers who see every account)."""
    conditions = ["(txid, id) > (?, ?)"]
    params: list[object] = [after.txid, after.id]
    if is_postgres():
        conditions.append(f"txid < {_HORIZON}")
    if scope.manager is not None:
        conditions.append("account_id IN (SELECT id FROM account WHERE manager = ?)")
        params.append(scope.manager)
    if types:
        conditions.append(f"type IN ({', '.join('?' for _ in types)})")
        params += sorted(t.value for t in types)
    rows = fetch(
        f"SELECT txid, id, type, subject, data_json, account_id, create_time_us FROM event "
        f"WHERE {' AND '.join(conditions)} ORDER BY txid, id LIMIT ?",
        [*params, limit],
    )
    return [
        Event(Position(txid, event_id), EventType(kind), subject, json.loads(data), account, at)
        for txid, event_id, kind, subject, data, account, at in rows
    ]


def delete_before(time_us: int) -> int:
    """Removes the events older than ``time_us``; how many."""
    return execute("DELETE FROM event WHERE create_time_us < ?", time_us)
