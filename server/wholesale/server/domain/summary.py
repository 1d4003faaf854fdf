"""What an account's history adds up to: the figures of an account summary."""

from __future__ import annotations

from dataclasses import dataclass

from wholesale.server.domain.billing import BalancePosition


@dataclass(frozen=True)
class OrderTotals:
    count: int
    spend_micros: int
    first_day: int | None
    last_day: int | None
    # Per trailing window length: (spend micros, order count).
    windows: dict[int, tuple[int, int]]


@dataclass(frozen=True)
class Share:
    key: str
    name: str
    spend_micros: int
    quantity: int


@dataclass(frozen=True)
class AccountSummary:
    account_id: int
    account_external_id: str
    account_display_name: str
    as_of_day: int
    currency_code: str
    totals: OrderTotals
    average_order_micros: int
    median_days_between_orders: float
    top_skus: list[Share]
    top_categories: list[Share]
    position: BalancePosition
    paid_invoice_count: int
    average_days_paid_late: float
