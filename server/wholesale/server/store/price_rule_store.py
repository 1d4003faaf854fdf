"""Reading and writing price rules: identities found by external_id or by target and
window, versions recorded in bulk (a price book import writes 1,000 rules a call)."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Sequence
from decimal import Decimal

from wholesale.server.domain.filters import Condition
from wholesale.server.domain.price_rule import (
    Basis,
    BreakMode,
    PriceRule,
    QuantityBreak,
    QuantityLevel,
    QuantityLimits,
    RuleTarget,
)
from wholesale.server.domain.product import enclosing_categories
from wholesale.server.domain.validity import Window
from wholesale.server.store.database import is_postgres
from wholesale.server.store.sql import (
    LIKE,
    escape_like,
    execute,
    fetch,
    insert_returning,
    insert_rows,
)
from wholesale.server.store.versions import recorded_at

# The version columns, in the order parse_rule takes them (the identity's external_id
# comes last).
RULE_COLUMNS = (
    "rule_id",
    "version",
    "list_id",
    "sku",
    "category",
    "basis",
    "fixed_price_micros",
    "discount",
    "breaks_json",
    "mode",
    "quantity_level",
    "min_quantity",
    "quantity_increment",
    "max_quantity",
    "start_us",
    "end_us",
    "deleted",
    "recorded_us",
)
SELECT_COLUMNS = ", ".join(f"r.{c}" for c in RULE_COLUMNS)


def breaks_json(breaks: Sequence[QuantityBreak]) -> str:
    return json.dumps(
        [
            [b.min_quantity, b.unit_price_micros, None if b.discount is None else str(b.discount)]
            for b in breaks
        ]
    )


def _breaks(text: str) -> tuple[QuantityBreak, ...]:
    return tuple(
        QuantityBreak(q, price, None if discount is None else Decimal(discount))
        for q, price, discount in json.loads(text)
    )


# The enums by stored value: a dictionary looks one up several times faster than the
# enum's own call, which counts when a batch or a listing parses thousands of rules.
_BASES = {basis.value: basis for basis in Basis}
_MODES = {mode.value: mode for mode in BreakMode}
_LEVELS = {level.value: level for level in QuantityLevel}


def parse_rule(row: tuple, external_id: str | None = "") -> PriceRule:
    """The rule a version row (RULE_COLUMNS) makes, with its identity's external_id."""
    (rule_id, version, list_id, sku, category, basis, fixed, discount, breaks, mode, level,
     minimum, increment, maximum, start_us, end_us, deleted, recorded_us) = row[:18]  # fmt: skip
    return PriceRule(
        id=rule_id,
        version=version,
        list_id=list_id,
        target=RuleTarget(sku, category),
        basis=_BASES[basis],
        fixed_price_micros=fixed,
        discount=Decimal(discount),
        breaks=_breaks(breaks),
        mode=_MODES[mode],
        level=_LEVELS[level],
        limits=QuantityLimits(minimum, increment, maximum),
        window=Window(start_us, end_us),
        external_id=external_id or "",
        recorded_us=recorded_us,
        deleted=bool(deleted),
    )


# A version row never changes, so the same row always makes the same rule: quotes find
# their rules parsed already (breaks are JSON, discounts Decimals). The reads of many rules
# at once below (a batch, its conflict check, a listing) parse theirs afresh: cached, they
# would evict the rules quotes use, and tens of thousands of cached rules make every full
# garbage collection slower, which a batch of 1,000 rules set off every other call.
rule_from_row = functools.lru_cache(maxsize=50_000)(parse_rule)


def _version_values(rule: PriceRule, rule_id: int, version: int, now_us: int) -> tuple:
    return (
        rule_id,
        version,
        rule.list_id,
        rule.target.sku,
        rule.target.category,
        rule.basis.value,
        rule.fixed_price_micros,
        str(rule.discount),
        breaks_json(rule.breaks),
        rule.mode.value,
        rule.level.value,
        rule.limits.minimum,
        rule.limits.increment,
        rule.limits.maximum,
        rule.window.start_us,
        rule.window.end_us,
        rule.deleted,
        now_us,
    )


def lookup_key(rule: PriceRule) -> str:
    """What finds a rule's identity: its external_id, or its target and window."""
    return f"e:{rule.external_id}" if rule.external_id else f"t:{rule.identity_key}"


def identities(list_id: int, rules: Sequence[PriceRule]) -> dict[str, tuple[int, int]]:
    """(id, current version) of the stored rules of the list that ``rules`` name, by
    lookup_key; held until the transaction ends (PostgreSQL)."""
    external_ids = [r.external_id for r in rules if r.external_id]
    keys = [r.identity_key for r in rules if not r.external_id]
    found: dict[str, tuple[int, int]] = {}
    for column, prefix, values in (("external_id", "e", external_ids), ("target_key", "t", keys)):
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            sql = (
                f"SELECT {column}, id, current_version FROM price_rule WHERE list_id = ? "
                f"AND {column} IN ({', '.join('?' for _ in chunk)})"
            )
            if is_postgres():
                sql += " FOR UPDATE"
            rows = fetch(sql, [list_id, *chunk])
            found.update({f"{prefix}:{key}": (i, v) for key, i, v in rows})
    return found


def insert_rules(rules: Sequence[PriceRule], now_us: int) -> list[int]:
    """Stores new rules as version 1; their ids in the order given."""
    rows = [
        (r.list_id, r.external_id or None, None if r.external_id else r.identity_key, 1)
        for r in rules
    ]
    returned = insert_returning(
        "price_rule",
        ("list_id", "external_id", "target_key", "current_version"),
        rows,
        "id, list_id, external_id, target_key",
    )
    by_key = {
        (list_id, f"e:{external_id}" if external_id else f"t:{key}"): rule_id
        for rule_id, list_id, external_id, key in returned
    }
    ids = [by_key[r.list_id, lookup_key(r)] for r in rules]
    insert_rows(
        "price_rule_version",
        RULE_COLUMNS,
        [_version_values(r, i, 1, now_us) for r, i in zip(rules, ids, strict=True)],
    )
    return ids


def record_versions(rules: Sequence[PriceRule], now_us: int) -> None:
    """Records each rule (its id and new version number set) as its rule's next version,
    closing the current one."""
    if not rules:
        return
    for start in range(0, len(rules), 900):
        chunk = rules[start : start + 900]
        marks = ", ".join("?" for _ in chunk)
        ids = [r.id for r in chunk]
        execute(
            f"UPDATE price_rule_version SET superseded_us = ? "
            f"WHERE rule_id IN ({marks}) AND superseded_us IS NULL",
            now_us,
            *ids,
        )
        execute(
            f"UPDATE price_rule SET current_version = current_version + 1 WHERE id IN ({marks})",
            *ids,
        )
    insert_rows(
        "price_rule_version",
        RULE_COLUMNS,
        [_version_values(r, r.id, r.version, now_us) for r in rules],
    )


_SELECT = (
    f"SELECT {SELECT_COLUMNS}, i.external_id FROM price_rule i "
    "JOIN price_rule_version r ON r.rule_id = i.id"
)
# Versions read by their own indexes, each with its identity's external_id looked up by
# key: joined, PostgreSQL would hash every identity of the book when it expects many rows.
_VERSIONS = (
    f"SELECT {SELECT_COLUMNS}, (SELECT i.external_id FROM price_rule i WHERE i.id = r.rule_id) "
    "FROM price_rule_version r"
)


def get_rules(rule_ids: Sequence[int]) -> dict[int, PriceRule]:
    """The current versions (deleted ones included) of the rules among ``rule_ids``."""
    if not rule_ids:
        return {}
    marks = ", ".join("?" for _ in rule_ids)
    sql = f"{_SELECT} WHERE i.id IN ({marks}) AND r.version = i.current_version"
    return {row[0]: parse_rule(row, row[18]) for row in fetch(sql, list(rule_ids))}


RULE_FILTER_FIELDS = {
    "sku": frozenset({"="}),
    "category": frozenset({"=", ":"}),
    "external_id": frozenset({"="}),
}


def _condition(condition: Condition, list_id: int) -> tuple[str, tuple[object, ...]]:
    if condition.field == "category" and condition.op == ":":
        below = f"{escape_like(condition.value)}/%"
        return f"(r.category = ? OR r.category {LIKE})", (condition.value, below)
    if condition.field == "external_id":
        identity = "SELECT i.id FROM price_rule i WHERE i.list_id = ? AND i.external_id = ?"
        return f"r.rule_id IN ({identity})", (list_id, condition.value)
    return f"r.{condition.field} = ?", (condition.value,)


def list_rules(
    list_id: int,
    after_id: int,
    limit: int,
    as_of_us: int | None = None,
    conditions: Sequence[Condition] = (),
) -> list[PriceRule]:
    """The list's rules (current, or recorded as current at ``as_of_us``), deleted ones
    left out, by id after ``after_id``."""
    where: list[str] = [_CURRENT]
    params: list[object] = []
    if as_of_us is not None:
        where, params = [recorded_at("r", "?")], [as_of_us, as_of_us]
    for condition in conditions:
        sql, values = _condition(condition, list_id)
        where.append(sql)
        params += values
    return _rules_by_id(list_id, after_id, limit, where, params)


_CURRENT = "r.superseded_us IS NULL"


def _rules_by_id(
    list_id: int, after_id: int, limit: int, where: Sequence[str], params: Sequence[object]
) -> list[PriceRule]:
    """The list's undeleted rule versions meeting ``where``, by rule id after ``after_id``
    (in the index of a list's versions by rule id)."""
    sql = (
        f"{_VERSIONS} WHERE r.list_id = ? AND r.rule_id > ? AND {' AND '.join(where)} "
        "AND NOT r.deleted ORDER BY r.rule_id LIMIT ?"
    )
    found = fetch(sql, [list_id, after_id, *params, limit])
    return [parse_rule(row, row[18]) for row in found]


def rules_with_target(
    list_id: int, target: RuleTarget, window: Window, after_id: int, limit: int
) -> list[PriceRule]:
    """The list's current, undeleted rules for exactly ``target`` in force at some moment
    of ``window``, by id after ``after_id``: the rules of its own list that a rule ties
    with."""
    during, params = _in_force_during(window)
    return _rules_by_id(
        list_id,
        after_id,
        limit,
        [_CURRENT, "r.sku = ?", "r.category = ?", *during],
        [target.sku, target.category, *params],
    )


def rules_meeting(
    list_id: int, category: str, window: Window, after_id: int, limit: int
) -> list[PriceRule]:
    """The list's current, undeleted rules that can price a product of ``category`` (or
    below it; "" for every product) at some moment of ``window``, by id after
    ``after_id``: the SKU rules of those products, the rules of categories at, above or
    below it and the list-wide ones. What a category or list-wide claim of another list
    ties with, a chunk at a time in the order conflicts are listed in."""
    during, params = _in_force_during(window)
    if not category:
        return _rules_by_id(list_id, after_id, limit, [_CURRENT, *during], params)
    above = ["", *enclosing_categories(category)]
    below = f"{escape_like(category)}/%"
    meets = (
        f"((r.sku = '' AND (r.category IN ({_marks(above)}) OR r.category {LIKE}))"
        f" OR r.sku IN (SELECT p.sku FROM product p WHERE p.category = ? OR p.category {LIKE}))"
    )
    return _rules_by_id(
        list_id,
        after_id,
        limit,
        [_CURRENT, meets, *during],
        [*above, below, category, below, *params],
    )


def _in_force_during(window: Window) -> tuple[list[str], list[object]]:
    """SQL conditions: the rule version r is in force at some moment of ``window``."""
    conditions: list[str] = []
    params: list[object] = []
    if window.end_us is not None:
        conditions.append("(r.start_us IS NULL OR r.start_us < ?)")
        params.append(window.end_us)
    if window.start_us is not None:
        conditions.append("(r.end_us IS NULL OR r.end_us > ?)")
        params.append(window.start_us)
    return conditions, params


def rule_versions(rule_id: int, before_version: int, limit: int) -> list[PriceRule]:
    """One rule's versions below ``before_version``, the newest first."""
    sql = f"{_SELECT} WHERE i.id = ? AND r.version < ? ORDER BY r.version DESC LIMIT ?"
    return [parse_rule(row, row[18]) for row in fetch(sql, (rule_id, before_version, limit))]


def current_rules(list_ids: Sequence[int]) -> list[PriceRule]:
    """Every current, undeleted rule of the lists (for conflict checks)."""
    if not list_ids:
        return []
    marks = ", ".join("?" for _ in list_ids)
    sql = (
        f"{_SELECT} WHERE i.list_id IN ({marks}) AND r.version = i.current_version "
        "AND NOT r.deleted"
    )
    return [parse_rule(row, row[18]) for row in fetch(sql, list(list_ids))]


def current_rules_near(
    list_ids: Sequence[int],
    skus: Sequence[str],
    categories: Sequence[str],
    below: Sequence[str],
    besides: Collection[int] = (),
) -> list[PriceRule]:
    """The current, undeleted rules of the lists that target one of ``skus``, one of
    ``categories``, a category below one of ``below``, or every product, but the rules
    ``besides`` (a save's own, which the caller has): what a save of rules for those
    targets can tie with, without reading the rest of the price book.

    One branch per kind of target, each looked up in its index ((list, sku) or (list,
    category), current versions): a single OR of them would read every rule of the lists."""
    if not list_ids:
        return []
    current = f"r.list_id IN ({_marks(list_ids)}) AND r.superseded_us IS NULL AND NOT r.deleted"
    wide = f"{current} AND r.sku = ''"
    branches = [
        (
            f"{_VERSIONS} WHERE {wide} AND r.category IN ({_marks(['', *categories])})",
            [*list_ids, "", *categories],
        )
    ]
    if skus:
        branches.append(_with_skus(current, list_ids, skus))
    for category in below:
        pattern = f"{escape_like(category)}/%"
        branches.append((f"{_VERSIONS} WHERE {wide} AND r.category {LIKE}", [*list_ids, pattern]))
    sql = " UNION ALL ".join(branch for branch, _ in branches)
    params = [value for _, values in branches for value in values]
    return [parse_rule(row, row[18]) for row in fetch(sql, params) if row[0] not in besides]


def _with_skus(
    current: str, list_ids: Sequence[int], skus: Sequence[str]
) -> tuple[str, list[object]]:
    """The versions meeting ``current`` for one of ``skus``, and the statement's values.
    The SKUs are one JSON parameter: on PostgreSQL joined, which it looks up in the (list,
    sku) index with statistics and hashes without (an IN list of a thousand it took for a
    tenth of the table and scanned, ``= ANY`` of an array without statistics it compared
    with every current rule of the lists); on SQLite an IN over them, which it looks up."""
    found = json.dumps(list(skus))
    if is_postgres():
        table = "json_array_elements_text(CAST(? AS json)) AS s(sku)"
        return f"{_VERSIONS} JOIN {table} ON r.sku = s.sku WHERE {current}", [found, *list_ids]
    listed = f"{current} AND r.sku IN (SELECT value FROM json_each(?))"
    return f"{_VERSIONS} WHERE {listed}", [*list_ids, found]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)
