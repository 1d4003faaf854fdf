"""A contract price: a unit price agreed with one account for one SKU over a date range.

It beats every price list. Like rules, a contract price is stored as versions and never
changed in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from wholesale.server.domain.validity import Window


@dataclass(frozen=True)
class ContractPrice:
    id: int
    version: int
    account_id: int
    sku: str
    unit_price_micros: int
    currency: str
    window: Window
    note: str = ""
    deleted: bool = False
    # When this version was recorded.
    recorded_us: int = 0

    @property
    def etag(self) -> str:
        return f"v{self.version}"

    @property
    def title(self) -> str:
        return f"contract {self.id} v{self.version}"
