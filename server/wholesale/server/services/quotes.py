"""Quotes: the price of an order for one account at one moment, explained line by line;
saved quotes kept exactly as answered.

A quote is the hottest read path of the service: it reads the account, then the products
with the account's contract prices, then the lists and rules that can apply (three
statements whatever the number of lines) and leaves the rest to the pricing engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wholesale.server.domain.account import Account, AccountStatus
from wholesale.server.domain.ids import find_by_id, parse_id
from wholesale.server.domain.price_audience import PricedAccount
from wholesale.server.domain.price_book import LineRequest
from wholesale.server.domain.price_list import ListStatus
from wholesale.server.domain.price_rule import MAX_QUANTITY
from wholesale.server.domain.pricing_engine import PricedOrder, price_order
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    Validator,
)
from wholesale.server.services.accounts import account_as_of, get_account
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import price_book_store, price_list_store, saved_quote_store

MAX_LINES = 1000
MAX_PREVIEWS = 20
# How long a saved quote holds unless the request says otherwise.
DEFAULT_VALIDITY_US = 30 * 86_400 * 1_000_000
MAX_VALIDITY_US = 366 * 86_400 * 1_000_000


@dataclass(frozen=True)
class QuoteRequest:
    account_id: str = ""
    account_external_id: str = ""
    at_us: int | None = None
    lines: Sequence[LineRequest] = ()
    previews: Sequence[str] = ()
    # Keep every candidate considered and why it lost (QuoteRequest.explain).
    traced: bool = False


@dataclass(frozen=True)
class Quoted:
    account: Account
    order: PricedOrder
    previews: tuple[int, ...]


def _check_lines(v: Validator, lines: Sequence[LineRequest]) -> None:
    if not v.check(1 <= len(lines) <= MAX_LINES, "lines", f"1 to {MAX_LINES:,} lines"):
        return
    for index, line in enumerate(lines):
        v.check(bool(line.sku), f"lines[{index}].sku", "required")
        v.check(
            1 <= line.quantity <= MAX_QUANTITY,
            f"lines[{index}].quantity",
            f"1 to {MAX_QUANTITY:,} (in the product's selling unit)",
        )


def _preview_ids(v: Validator, previews: Sequence[str]) -> tuple[int, ...]:
    if not v.check(
        len(previews) <= MAX_PREVIEWS, "include_draft_list_ids", f"at most {MAX_PREVIEWS}"
    ):
        return ()
    ids = []
    for index, text in enumerate(previews):
        number = parse_id(text)
        if v.check(number is not None, f"include_draft_list_ids[{index}]", "not a price list id"):
            ids.append(number or 0)
    return tuple(ids)


def _check_previews(v: Validator, ids: Sequence[int]) -> None:
    stored = price_list_store.get_lists(ids)
    for index, list_id in enumerate(ids):
        found = stored.get(list_id)
        path = f"include_draft_list_ids[{index}]"
        if found is None:
            v.add(path, f"no price list {list_id}")
        elif found.status is not ListStatus.DRAFT:
            v.add(path, f"price list {list_id} is {found.status.value}, not a draft")


def priced_account(account: Account) -> PricedAccount:
    fields = account.fields
    return PricedAccount(
        account.id, fields.price_tier, frozenset(fields.tags), fields.currency_code
    )


def quote(work: UnitOfWork, request: QuoteRequest) -> Quoted:
    """The priced order; INVALID_ARGUMENT names an unknown or inactive SKU's line."""
    work.require(Permission.READ_PRICES)
    v = Validator()
    _check_lines(v, request.lines)
    previews = _preview_ids(v, request.previews)
    v.raise_if_any("invalid quote request")
    at_us = work.now_us() if request.at_us is None else request.at_us
    # No snapshot transaction (on PostgreSQL it would cost statements of its own): lists,
    # rules and contract prices are read as recorded at ``at_us``, and a change recorded
    # later is invisible to every statement of the quote alike.
    account = account_as_of(
        work, get_account(work, request.account_id, request.account_external_id), request.at_us
    )
    if account.fields.status == AccountStatus.CLOSED:
        raise FailedPrecondition(f"account {account.id} is closed", reason="ACCOUNT_CLOSED")
    if previews:
        _check_previews(v, previews)
    pricing_account = priced_account(account)
    skus = sorted({line.sku for line in request.lines})
    book, products = price_book_store.quote_book(pricing_account, skus, at_us, frozenset(previews))
    for index, line in enumerate(request.lines):
        path = f"lines[{index}].sku"
        if line.sku not in products.items:
            v.add(path, f"no product {line.sku!r} in the catalog")
        elif line.sku in products.inactive:
            v.add(path, f"product {line.sku!r} is not active")
    v.raise_if_any("invalid quote request")
    order = price_order(book, pricing_account, at_us, request.lines, traced=request.traced)
    return Quoted(account, order, previews)


def save_quote(
    work: UnitOfWork,
    quoted: Quoted,
    valid_for_us: int | None,
    payload: Callable[[int, int, int], bytes],
) -> None:
    """Keeps a quote as ``payload(id, create_us, expire_us)`` serialises it."""
    work.require(Permission.SAVE_QUOTES)
    validity = DEFAULT_VALIDITY_US if valid_for_us is None else valid_for_us
    if not 0 < validity <= MAX_VALIDITY_US:
        raise InvalidArgument(
            "valid_for must be positive and at most 366 days",
            violations=[FieldViolation("valid_for", "more than 0, at most 366 days")],
        )
    now = work.now_us()
    with work.writing():
        saved_quote_store.save_quote(
            quoted.account.id,
            now,
            now + validity,
            lambda quote_id: payload(quote_id, now, now + validity),
        )


def get_saved_quote(work: UnitOfWork, quote_id: str) -> bytes:
    work.require(Permission.READ_PRICES)
    return find_by_id(
        quote_id,
        "id",
        "quote",
        "QUOTE_NOT_FOUND",
        lambda number: saved_quote_store.saved_quote(number, work.scope),
    )
