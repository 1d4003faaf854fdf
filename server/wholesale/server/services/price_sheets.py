"""Price sheets (what one account pays for every active product, paged, for the sheets
sent to retailers) and price diffs (what activating a draft list would change)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wholesale.server.domain.account import Account
from wholesale.server.domain.price_audience import PricedAccount
from wholesale.server.domain.price_diff import PriceChange, price_changes
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_sheet import SheetEntry, price_sheet
from wholesale.server.domain.principal import Permission
from wholesale.server.domain.product import CATEGORY, CATEGORY_RULE
from wholesale.server.errors import FailedPrecondition, Validator
from wholesale.server.services.accounts import account_as_of, get_account, visible_account
from wholesale.server.services.paging import keyset_page, page_size_or_default
from wholesale.server.services.price_lists import stored_list
from wholesale.server.services.products import ProductQuery, list_products
from wholesale.server.services.quotes import priced_account
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import account_store, price_book_store, price_rule_store, product_store

MAX_DIFF_ACCOUNTS = 100
MAX_DIFF_SKUS = 1000


@dataclass(frozen=True)
class SheetRequest:
    account_id: str = ""
    account_external_id: str = ""
    at_us: int | None = None
    category: str = ""
    page_size: int = 0
    page_token: str = ""


def _sheet(
    account: PricedAccount, skus: Sequence[str], at_us: int, previews: frozenset[int]
) -> list[SheetEntry]:
    book, _ = price_book_store.quote_book(account, skus, at_us, previews)
    return price_sheet(book, account, at_us, skus)


@dataclass(frozen=True)
class PriceSheet:
    account: Account
    at_us: int
    entries: list[SheetEntry]
    next_page_token: str


def _check_category(category: str) -> None:
    """A category no product is in would give an empty sheet: most likely a typo, refused
    as a rule for it is."""
    if not category:
        return
    v = Validator()
    if not CATEGORY.fullmatch(category):
        v.add("category", CATEGORY_RULE)
    elif category not in product_store.catalog_categories():
        v.add("category", f"no product in category {category!r} or below it")
    v.raise_if_any("invalid category")


def get_price_sheet(work: UnitOfWork, request: SheetRequest) -> PriceSheet:
    """One page of the sheet, in SKU order, and the token of the next."""
    work.require(Permission.READ_PRICES)
    _check_category(request.category)
    product_filter = "active = true" + (
        f' AND category : "{request.category}"' if request.category else ""
    )
    at_us = work.now_us() if request.at_us is None else request.at_us
    with work.reading():
        account = account_as_of(
            work, get_account(work, request.account_id, request.account_external_id), request.at_us
        )
        products, token = list_products(
            work, ProductQuery(product_filter, request.page_size, request.page_token)
        )
        entries = _sheet(priced_account(account), [p.sku for p in products], at_us, frozenset())
    return PriceSheet(account, at_us, entries, token)


@dataclass(frozen=True)
class DiffRequest:
    draft_list_id: str
    account_ids: Sequence[str] = ()
    skus: Sequence[str] = ()
    at_us: int | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class PriceDiff:
    draft: PriceList
    changes: list[PriceChange]
    unchanged: int
    accounts: dict[int, Account]
    next_page_token: str


def _audience_accounts(work: UnitOfWork, draft: PriceList, account_ids: Sequence[str]) -> list[int]:
    """The ids of the accounts given, or of up to 100 of the draft's audience."""
    if account_ids:
        v = Validator()
        v.check(
            len(account_ids) <= MAX_DIFF_ACCOUNTS, "account_ids", f"at most {MAX_DIFF_ACCOUNTS}"
        )
        v.raise_if_any()
        found = [
            visible_account(work, account_id, field=f"account_ids[{index}]")
            for index, account_id in enumerate(account_ids)
        ]
    else:
        found = account_store.accounts_in_audience(draft.audience, work.scope, MAX_DIFF_ACCOUNTS)
    return sorted({account.id for account in found})


def _draft_skus(draft: PriceList) -> list[str]:
    """Every active product the draft prices: its SKU rules' products, its category rules'
    products, or every active product if it has a list-wide rule or a parent."""
    rules = price_rule_store.current_rules([draft.id])
    if draft.parent_id is not None or any(not (r.target.sku or r.target.category) for r in rules):
        return product_store.active_skus(limit=MAX_DIFF_SKUS + 1)
    skus = {r.target.sku for r in rules if r.target.sku}
    for category in {r.target.category for r in rules if r.target.category}:
        skus.update(product_store.active_skus(category=category, limit=MAX_DIFF_SKUS + 1))
    return sorted(skus)


def _diff_skus(draft: PriceList, skus: Sequence[str]) -> list[str]:
    v = Validator()
    if not skus:
        found = _draft_skus(draft)
        v.check(
            len(found) <= MAX_DIFF_SKUS,
            "skus",
            f"the draft prices more than {MAX_DIFF_SKUS:,} products: name at most that many",
        )
        v.raise_if_any()
        return found
    if v.check(len(skus) <= MAX_DIFF_SKUS, "skus", f"at most {MAX_DIFF_SKUS:,} SKUs"):
        known = product_store.products_by_sku(list(skus))
        for index, sku in enumerate(skus):
            v.check(sku in known, f"skus[{index}]", f"no product {sku!r} in the catalog")
    v.raise_if_any()
    return sorted(set(skus))


def diff_prices(work: UnitOfWork, request: DiffRequest) -> PriceDiff:
    """Each account's price of each SKU (one unit) at the moment, against the same with
    the draft included; a page holds whole accounts, about page_size pairs."""
    work.require(Permission.READ_PRICES)
    at_us = work.now_us() if request.at_us is None else request.at_us
    with work.reading():
        draft = stored_list(request.draft_list_id, "price_list_id")
        if draft.status is not ListStatus.DRAFT:
            raise FailedPrecondition(
                f"price list {draft.id} is {draft.status.value}: only a draft can be compared",
                reason="PRICE_LIST_NOT_DRAFT",
            )
        skus = _diff_skus(draft, request.skus)
        account_ids = _audience_accounts(work, draft, request.account_ids)
        per_page = max(1, page_size_or_default(request.page_size) // max(1, len(skus)))
        page, token = keyset_page(
            lambda after, limit: [i for i in account_ids if after is None or i > after[0]][:limit],
            lambda account_id: [account_id],
            # The moment asked for (not "now", which moves between pages).
            {"draft": draft.id, "accounts": request.account_ids, "skus": skus, "at": request.at_us},
            per_page,
            request.page_token,
        )
        accounts = {
            i: account_as_of(work, visible_account(work, str(i)), request.at_us) for i in page
        }
        changes: list[PriceChange] = []
        unchanged = 0
        for account in accounts.values():
            priced = priced_account(account)
            before = _sheet(priced, skus, at_us, frozenset())
            after = _sheet(priced, skus, at_us, frozenset({draft.id}))
            found, same = price_changes(account.id, before, after)
            changes += found
            unchanged += same
    return PriceDiff(draft, changes, unchanged, accounts, token)
