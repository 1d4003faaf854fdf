"""A price list: a named set of rules for one currency, one audience and one window.

A list is stored as versions: a change records a new version and never rewrites an old
one, so a quote for a past moment sees the list as it was recorded then.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from wholesale.server.domain.price_audience import Audience, Level
from wholesale.server.domain.validity import Window


class ListStatus(Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class PriceList:
    id: int
    version: int
    name: str
    currency: str
    status: ListStatus
    window: Window
    priority: int
    # Every price the list produces is rounded half-up to a multiple of this.
    increment_micros: int
    audience: Audience
    parent_id: int | None = None
    # Percent off the parent's price for the products this list has no rule for.
    parent_discount: Decimal = Decimal(0)
    # When the list was first created: the older list wins a tie.
    create_time_us: int = 0
    description: str = ""
    # When this version was recorded.
    recorded_us: int = 0

    @property
    def level(self) -> Level:
        return self.audience.level

    def quotable(self, previews: frozenset[int]) -> bool:
        """Active lists price quotes; a draft only when a quote previews it."""
        return self.status is ListStatus.ACTIVE or (
            self.status is ListStatus.DRAFT and self.id in previews
        )

    @property
    def etag(self) -> str:
        return f"v{self.version}"

    @property
    def title(self) -> str:
        return f"{self.name} (list {self.id} v{self.version})"
