"""Reading and writing price lists: identities, versions and the audience rows a quote
matches by index."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from decimal import Decimal

from wholesale.server.domain.filters import Condition
from wholesale.server.domain.price_audience import Audience
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.validity import Window
from wholesale.server.store.sql import LIKE, escape_like, execute, fetch, fetch_rows, insert_rows
from wholesale.server.store.versions import next_version, recorded_at

# The version columns every read returns, in the order list_from_row takes them (the
# identity's create_time_us comes last).
LIST_COLUMNS = (
    "list_id",
    "version",
    "name",
    "description",
    "currency_code",
    "status",
    "start_us",
    "end_us",
    "priority",
    "increment_micros",
    "everyone",
    "audience_json",
    "parent_id",
    "parent_discount",
    "recorded_us",
)


def audience_json(audience: Audience) -> str:
    return json.dumps(
        {
            "everyone": audience.everyone,
            "tiers": sorted(audience.tiers),
            "tags": sorted(audience.tags),
            "account_ids": sorted(audience.account_ids),
        }
    )


def audience_from_json(text: str) -> Audience:
    data = json.loads(text)
    return Audience(
        everyone=data["everyone"],
        tiers=frozenset(data["tiers"]),
        tags=frozenset(data["tags"]),
        account_ids=frozenset(data["account_ids"]),
    )


@functools.lru_cache(maxsize=5_000)
def list_from_row(row: tuple) -> PriceList:
    """The list a row of LIST_COLUMNS plus the identity's create_time_us holds."""
    values = dict(zip((*LIST_COLUMNS, "create_time_us"), row[: len(LIST_COLUMNS) + 1], strict=True))
    return PriceList(
        id=values["list_id"],
        version=values["version"],
        name=values["name"],
        currency=values["currency_code"],
        status=ListStatus(values["status"]),
        window=Window(values["start_us"], values["end_us"]),
        priority=values["priority"],
        increment_micros=values["increment_micros"],
        audience=audience_from_json(values["audience_json"]),
        parent_id=values["parent_id"],
        parent_discount=Decimal(values["parent_discount"]),
        create_time_us=values["create_time_us"],
        description=values["description"],
        recorded_us=values["recorded_us"],
    )


def _version_values(price_list: PriceList, list_id: int, version: int, now_us: int) -> tuple:
    return (
        list_id,
        version,
        price_list.name,
        price_list.description,
        price_list.currency,
        price_list.status.value,
        price_list.window.start_us,
        price_list.window.end_us,
        price_list.priority,
        price_list.increment_micros,
        price_list.audience.everyone,
        audience_json(price_list.audience),
        price_list.parent_id,
        str(price_list.parent_discount),
        now_us,
    )


def _audience_rows(audience: Audience, list_id: int, version: int) -> list[tuple]:
    values = (
        [("tier", tier) for tier in audience.tiers]
        + [("tag", tag) for tag in audience.tags]
        + [("account", str(account_id)) for account_id in audience.account_ids]
    )
    return [(list_id, version, kind, value) for kind, value in values]


def _insert_version(price_list: PriceList, list_id: int, version: int, now_us: int) -> None:
    insert_rows(
        "price_list_version",
        LIST_COLUMNS,
        [_version_values(price_list, list_id, version, now_us)],
    )
    insert_rows(
        "price_list_audience",
        ("list_id", "version", "kind", "value"),
        _audience_rows(price_list.audience, list_id, version),
    )


def insert_list(price_list: PriceList, now_us: int) -> PriceList:
    """Stores a new list (its id and version are assigned here) as version 1."""
    [(list_id,)] = fetch_rows(
        "INSERT INTO price_list (current_version, create_time_us) VALUES (1, ?) RETURNING id",
        now_us,
    )
    _insert_version(price_list, list_id, 1, now_us)
    return _written(list_id)


def record_version(price_list: PriceList, now_us: int) -> PriceList:
    """Records ``price_list`` as the next version of its list, closing the current one."""
    version = next_version("price_list", price_list.id, "price_list_version", "list_id", now_us)
    _insert_version(price_list, price_list.id, version, now_us)
    return _written(price_list.id)


def _written(list_id: int) -> PriceList:
    found = get_list(list_id)
    assert found is not None  # written in this transaction
    return found


_SELECT = (
    f"SELECT {', '.join(f'v.{c}' for c in LIST_COLUMNS)}, l.create_time_us "
    "FROM price_list l JOIN price_list_version v ON v.list_id = l.id"
)
_CURRENT = f"{_SELECT} WHERE l.id = ? AND v.version = l.current_version"
_AS_OF = f"{_SELECT} WHERE l.id = ? AND {recorded_at('v', '?')}"


def get_list(list_id: int, as_of_us: int | None = None) -> PriceList | None:
    """The list's current version, or the one recorded as current at ``as_of_us``."""
    if as_of_us is None:
        rows = fetch(_CURRENT, (list_id,))
    else:
        rows = fetch(_AS_OF, (list_id, as_of_us, as_of_us))
    return list_from_row(rows[0]) if rows else None


def get_lists(list_ids: Sequence[int]) -> dict[int, PriceList]:
    """The current versions of the lists that exist among ``list_ids``."""
    if not list_ids:
        return {}
    marks = ", ".join("?" for _ in list_ids)
    sql = f"{_SELECT} WHERE l.id IN ({marks}) AND v.version = l.current_version"
    return {row[0]: list_from_row(row) for row in fetch(sql, list(list_ids))}


LIST_FILTER_FIELDS = {
    "status": frozenset({"=", "!="}),
    "currency_code": frozenset({"="}),
    "audience": frozenset({"="}),
    "name": frozenset({":"}),
}
# An audience kind as SQL on the current version v.
_AUDIENCE_KINDS = {
    "everyone": "v.everyone",
    "segment": (
        "EXISTS (SELECT 1 FROM price_list_audience a WHERE a.list_id = v.list_id "
        "AND a.version = v.version AND a.kind IN ('tier', 'tag'))"
    ),
    "accounts": (
        "EXISTS (SELECT 1 FROM price_list_audience a WHERE a.list_id = v.list_id "
        "AND a.version = v.version AND a.kind = 'account')"
    ),
}


def _condition(condition: Condition) -> tuple[str, tuple[object, ...]]:
    """One checked filter condition as SQL with its parameters."""
    if condition.field == "audience":
        return _AUDIENCE_KINDS[condition.value], ()
    if condition.field == "name":
        return f"LOWER(v.name) {LIKE}", (f"%{escape_like(condition.value.lower())}%",)
    column = "v.status" if condition.field == "status" else "v.currency_code"
    return f"{column} {condition.op} ?", (condition.value,)


def list_lists(after_id: int, limit: int, conditions: Sequence[Condition] = ()) -> list[PriceList]:
    """Current versions by id, after ``after_id``: a keyset page."""
    where = ["v.version = l.current_version", "l.id > ?"]
    params: list[object] = [after_id]
    for condition in conditions:
        sql, values = _condition(condition)
        where.append(sql)
        params += values
    sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY l.id LIMIT ?"
    return [list_from_row(row) for row in fetch(sql, [*params, limit])]


def has_children(list_id: int) -> bool:
    """Whether a current version of another list names ``list_id`` as its parent."""
    sql = (
        "SELECT 1 FROM price_list l JOIN price_list_version v ON v.list_id = l.id "
        "AND v.version = l.current_version WHERE v.parent_id = ? LIMIT 1"
    )
    return bool(fetch(sql, (list_id,)))


def delete_draft(list_id: int) -> None:
    """Removes a draft list, its versions and its rules: a draft never priced a quote
    (a saved preview keeps its own figures)."""
    for sql in (
        "DELETE FROM price_rule_version WHERE list_id = ?",
        "DELETE FROM price_rule WHERE list_id = ?",
        "DELETE FROM price_list_audience WHERE list_id = ?",
        "DELETE FROM price_list_version WHERE list_id = ?",
        "DELETE FROM price_list WHERE id = ?",
    ):
        execute(sql, list_id)


def current_lists() -> dict[int, PriceList]:
    """Every list's current version (a price book holds hundreds, not millions)."""
    sql = f"{_SELECT} WHERE v.version = l.current_version"
    return {row[0]: list_from_row(row) for row in fetch(sql, ())}
