"""What a draft list would change: the unit price of each product for each account now,
against the same with the draft included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from wholesale.server.domain.price_sheet import SheetEntry


@dataclass(frozen=True)
class PriceChange:
    account_id: int
    before: SheetEntry
    after: SheetEntry

    @property
    def change_percent(self) -> Decimal:
        """The change relative to the old price, to two decimals (0 from a price of 0)."""
        old = self.before.line.unit_price_micros
        if not old:
            return Decimal(0)
        change = Decimal(self.after.line.unit_price_micros - old) * 100 / old
        return change.quantize(Decimal("0.01"))


def price_changes(
    account_id: int, before: Sequence[SheetEntry], after: Sequence[SheetEntry]
) -> tuple[list[PriceChange], int]:
    """The products whose price or price source the draft changes, and how many it leaves
    as they are; both sheets list the same products in the same order."""
    changes = []
    for old, new in zip(before, after, strict=True):
        same_price = old.line.unit_price_micros == new.line.unit_price_micros
        if not same_price or old.line.source != new.line.source:
            changes.append(PriceChange(account_id, old, new))
    return changes, len(before) - len(changes)
