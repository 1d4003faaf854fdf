"""Paging of every List call: page sizes (AIP-158: 0 means the default, too large is
capped) and keyset pages behind signed page tokens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from wholesale.server.domain.page_token import decode_page_token, encode_page_token
from wholesale.server.errors import FieldViolation, InvalidArgument
from wholesale.server.store.secrets import PAGE_TOKEN_KEY, shared_secret

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

T = TypeVar("T")


def page_size_or_default(page_size: int) -> int:
    if page_size < 0:
        raise InvalidArgument(
            "page_size must not be negative",
            violations=[FieldViolation("page_size", "must be 0 (default) or positive")],
        )
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def keyset_page(
    rows_after: Callable[[list[Any] | None, int], list[T]],
    position_of: Callable[[T], list[Any]],
    token_query: dict[str, Any],
    page_size: int,
    page_token: str,
) -> tuple[list[T], str]:
    """One page and the token of the next ("" after the last page).

    ``rows_after(position, limit)`` returns up to ``limit`` rows after a position (None:
    from the start) in a fixed order; ``position_of(row)`` is the position just after
    ``row``. ``token_query`` is what the listing depends on (filter, order, caller): a
    token only continues the listing it came from."""

    def scan(after: list[Any] | None, size: int) -> tuple[list[T], Sequence[Any] | None]:
        rows = rows_after(after, size + 1)
        return rows[:size], position_of(rows[size - 1]) if len(rows) > size else None

    return resumable_page(scan, token_query, page_size, page_token)


def resumable_page(
    scan: Callable[[list[Any] | None, int], tuple[list[T], Sequence[Any] | None]],
    token_query: dict[str, Any],
    page_size: int,
    page_token: str,
) -> tuple[list[T], str]:
    """One page of a scan that may stop short of a full page, and the token of the next
    ("" after the last page).

    ``scan(position, limit)`` returns up to ``limit`` rows after a position (None: from the
    start) in a fixed order and the position to go on from, None at the end: a scan that
    bounds what one call reads may return fewer rows, even none, and a position."""
    size = page_size_or_default(page_size)
    key = shared_secret(PAGE_TOKEN_KEY)
    after = decode_page_token(page_token, token_query, key) if page_token else None
    rows, position = scan(after, size)
    return rows, "" if position is None else encode_page_token(list(position), token_query, key)
