"""Page sizes of every List call (AIP-158): 0 means the default, too large is capped."""

from __future__ import annotations

from wholesale.server.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size_or_default(page_size: int) -> int:
    if page_size < 0:
        raise InvalidArgument(
            "page_size must not be negative",
            violations=[FieldViolation("page_size", "must be 0 (default) or positive")],
        )
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
