"""Price conflicts as use cases: the ties a save leaves (returned as warnings with the
saved lists and rules) and every current tie (ListPriceConflicts).

Only lists of the saved list's group (currency, precedence level, priority) whose audiences
may share an account with its can tie with it, so a save of rules reads those lists' rules
near the saved targets, not the whole price book; a save of a list and the listing read
the conflicts in order, a bounded part of the book at a time (:mod:`.price_conflict_scan`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from wholesale.server.domain.price_conflicts import (
    ConflictKey,
    PriceConflict,
    TieIndex,
    conflicts_of,
)
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import PriceRule
from wholesale.server.domain.principal import Permission
from wholesale.server.domain.product import enclosing_categories
from wholesale.server.services.paging import resumable_page
from wholesale.server.services.price_conflict_scan import ConflictScope, scan_conflicts
from wholesale.server.services.price_lists import stored_list
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import price_list_store, price_rule_store, product_store


def _categories(rules: Iterable[PriceRule]) -> dict[str, str]:
    return product_store.categories_of(sorted({r.target.sku for r in rules if r.target.sku}))


def _live_lists() -> dict[int, PriceList]:
    """The current lists that can tie: every one but the archived."""
    return {
        list_id: found
        for list_id, found in price_list_store.current_lists().items()
        if found.status is not ListStatus.ARCHIVED
    }


def _tying_lists(price_list: PriceList) -> dict[int, PriceList]:
    """``price_list`` and the lists whose claims may tie with its."""
    ties = TieIndex(_live_lists().values()).ties_of(price_list)
    return {found.id: found for found in ties} | {price_list.id: price_list}


# Beyond this many targets (or category targets, each a LIKE of its own) in one save,
# reading the tying lists' whole book is cheaper than asking for each target.
MAX_NEAR_TARGETS = 2000
MAX_NEAR_CATEGORIES = 100


# A write returns at most this many conflicts as warnings: a batch of rules that all tie
# with each other has a number of ties that grows with the square of its size, enough to
# outgrow any response. ListPriceConflicts pages through them all.
MAX_REPORTED_CONFLICTS = 100

# A page of ListPriceConflicts reads about this many rules at most, so that a page of a
# large book with few conflicts is as quick as one with many: it may then hold fewer
# conflicts than asked (even none) and a token to go on with.
RULES_READ_PER_PAGE = 20_000


@dataclass(frozen=True)
class SaveWarnings:
    """The conflicts a save leaves, up to MAX_REPORTED_CONFLICTS; ``truncated`` when there
    are more."""

    conflicts: list[PriceConflict]
    truncated: bool = False


def _warnings(found: list[PriceConflict]) -> SaveWarnings:
    return SaveWarnings(found[:MAX_REPORTED_CONFLICTS], len(found) > MAX_REPORTED_CONFLICTS)


def conflicts_of_rules(price_list: PriceList, rules: Sequence[PriceRule]) -> SaveWarnings:
    """The ties ``rules`` (just saved in ``price_list``) make, read from the rules that
    can price the same products: a batch of an import costs the same whatever the size of
    the price book."""
    if price_list.status is ListStatus.ARCHIVED or not rules:
        return SaveWarnings([])
    lists = _tying_lists(price_list)
    stored = _near(sorted(lists), rules)
    categories = _categories([*stored, *rules])
    return _warnings(conflicts_of(list(rules), lists, stored, categories, MAX_REPORTED_CONFLICTS))


def _near(list_ids: Sequence[int], rules: Sequence[PriceRule]) -> list[PriceRule]:
    """The rules of the lists in ``list_ids`` whose targets can meet those of ``rules``."""
    skus = {r.target.sku for r in rules if r.target.sku}
    categories = {r.target.category for r in rules if r.target.category}
    too_many = len(skus) + len(categories) > MAX_NEAR_TARGETS
    if (
        too_many
        or len(categories) > MAX_NEAR_CATEGORIES
        or any(not (r.target.sku or r.target.category) for r in rules)
    ):
        return price_rule_store.current_rules(list_ids)
    above = {c for sku_category in product_store.categories_of(sorted(skus)).values()
             for c in enclosing_categories(sku_category)}  # fmt: skip
    above |= {c for category in categories for c in enclosing_categories(category)}
    skus |= set(product_store.skus_in_categories(sorted(categories)))
    return price_rule_store.current_rules_near(
        list_ids, sorted(skus), sorted(above), sorted(categories), {r.id for r in rules}
    )


def warnings_of_list(price_list: PriceList) -> SaveWarnings:
    """The ties a saved list leaves, as returned with the save: the first ones in the
    order of ListPriceConflicts, read until there is one more than returned."""
    if price_list.status is ListStatus.ARCHIVED:
        return SaveWarnings([])
    scope = ConflictScope(_live_lists(), price_list.id)
    found, more = scan_conflicts(scope, None, MAX_REPORTED_CONFLICTS)
    return SaveWarnings(found, more is not None)


def list_price_conflicts(
    work: UnitOfWork, list_id: str, page_size: int, page_token: str
) -> tuple[list[PriceConflict], str]:
    """Every current conflict (or those with a side in one list), a page at a time in the
    order of their sides, each page reading a bounded part of the price book."""
    work.require(Permission.READ_PRICES)
    with work.reading():
        focus = stored_list(list_id, "price_list_id").id if list_id else None
        scope = ConflictScope(_live_lists(), focus)
        return resumable_page(
            lambda after, limit: scan_conflicts(
                scope, _position(after), limit, RULES_READ_PER_PAGE
            ),
            {"conflicts_of": list_id},
            page_size,
            page_token,
        )


def _position(token_position: list[Any] | None) -> ConflictKey | None:
    if token_position is None:
        return None
    first_list, first_rule, second_list, second_rule = token_position
    return (first_list, first_rule, second_list, second_rule)
