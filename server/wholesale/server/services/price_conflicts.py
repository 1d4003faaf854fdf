"""Price conflicts as use cases: the ties a save leaves (returned as warnings with the
saved lists and rules) and every current tie (ListPriceConflicts).

Only lists of the saved list's group (currency, precedence level, priority) can tie with
it, so a save reads those lists' rules, not the whole price book.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from wholesale.server.domain.price_conflicts import PriceConflict, all_conflicts, conflicts_of
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import PriceRule
from wholesale.server.domain.principal import Permission
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.price_lists import stored_list
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import price_list_store, price_rule_store, product_store


def _group(price_list: PriceList) -> tuple[str, int, int]:
    return price_list.currency, price_list.level, price_list.priority


def _book(lists: dict[int, PriceList]) -> tuple[list[PriceRule], dict[str, str]]:
    rules = price_rule_store.current_rules(sorted(lists))
    return rules, _categories(rules)


def _categories(rules: Iterable[PriceRule]) -> dict[str, str]:
    return product_store.categories_of(sorted({r.target.sku for r in rules if r.target.sku}))


def _group_lists(price_list: PriceList) -> dict[int, PriceList]:
    group = _group(price_list)
    return {
        list_id: found
        for list_id, found in price_list_store.current_lists().items()
        if _group(found) == group and found.status is not ListStatus.ARCHIVED
    } | {price_list.id: price_list}


def conflicts_of_rules(price_list: PriceList, rules: Sequence[PriceRule]) -> list[PriceConflict]:
    """The ties ``rules`` (just saved in ``price_list``) make."""
    if price_list.status is ListStatus.ARCHIVED or not rules:
        return []
    lists = _group_lists(price_list)
    stored, categories = _book(lists)
    return conflicts_of(list(rules), lists, stored, categories | _categories(rules))


def conflicts_of_list(price_list: PriceList) -> list[PriceConflict]:
    """The ties ``price_list`` (just saved) makes with its rules and its inheritance."""
    if price_list.status is ListStatus.ARCHIVED:
        return []
    lists = _group_lists(price_list)
    stored, categories = _book(lists)
    return conflicts_of(price_list, lists, stored, categories)


def list_price_conflicts(
    work: UnitOfWork, list_id: str, page_size: int, page_token: str
) -> tuple[list[PriceConflict], str]:
    """Every current conflict (or those with a side in one list), a page at a time."""
    work.require(Permission.READ_PRICES)
    with work.reading():
        only = stored_list(list_id, "price_list_id").id if list_id else None
        lists = {
            i: found
            for i, found in price_list_store.current_lists().items()
            if found.status is not ListStatus.ARCHIVED
        }
        rules, categories = _book(lists)
    found = [
        c
        for c in all_conflicts(lists, rules, categories)
        if only is None or only in (c.first.list_id, c.second.list_id)
    ]
    keys = [_key(c) for c in found]
    return keyset_page(
        lambda after, limit: [
            c for c, k in zip(found, keys, strict=True) if after is None or k > after
        ][:limit],
        _key,
        {"conflicts_of": list_id},
        page_size,
        page_token,
    )


def _key(conflict: PriceConflict) -> list[int]:
    sides = (conflict.first, conflict.second)
    return [value for side in sides for value in (side.list_id, side.rule_id or 0)]
