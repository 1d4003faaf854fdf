"""Lazy iteration over paged List results, so callers never handle page tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

# Fetches the page that starts at a page token ("" for the first); returns its items and
# the next token ("" after the last page).
FetchPage = Callable[[str], tuple[Sequence[T], str]]


class Pager(Generic[T]):
    """Iterates over every item of a List call, fetching each page only when it is reached.

    Each iteration starts again from the first page, so a pager can be reused to re-read.
    """

    def __init__(self, fetch_page: FetchPage[T]) -> None:
        self._fetch_page = fetch_page

    def pages(self) -> Iterator[Sequence[T]]:
        """Yields one sequence per page, for callers that process results in batches."""
        token = ""
        while True:
            items, token = self._fetch_page(token)
            yield items
            if not token:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page
