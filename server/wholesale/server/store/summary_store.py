"""The SQL behind account summaries: spend windows, cadence, product mix and receivables,
in one statement.

Only placed and fulfilled orders count. Every part reads the account's own rows through the
account-leading indexes (sales_order and order_line on (account_id, order_day), invoice on
(account_id, due_day), payment on (invoice_id, paid_day)), so a summary costs what the
account's history costs, whatever else the database holds. The parts are common table
expressions of one statement, which answers one figures row and then one row per top SKU
and per top category: one round trip instead of one per figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from wholesale.server.domain.billing import BalancePosition
from wholesale.server.domain.order import COUNTED_STATUSES
from wholesale.server.domain.summary import OrderTotals, Share
from wholesale.server.store.billing_store import (
    INVOICE_STATE,
    LATENESS_COLUMNS,
    POSITION_COLUMNS,
    position_of,
)
from wholesale.server.store.database import is_postgres
from wholesale.server.store.sql import fetch_prepared

_COUNTED = ", ".join(str(int(status)) for status in COUNTED_STATUSES)
_FIGURES, _SKU, _CATEGORY = 0, 1, 2
# The figures row: order totals, windows, the middle gaps, then the billing columns.
_TOTALS = 4
_MIDDLE = 2
_POSITION = 5
_LATENESS = 2
_BILLING_NAMES = (
    "outstanding, overdue, blocking, blocking_count, oldest_overdue, paid_count, days_late"
)


@dataclass(frozen=True)
class HistoryFigures:
    """What the account's orders, invoices and payments add up to on one day."""

    totals: OrderTotals
    median_days_between_orders: float
    top_skus: list[Share]
    top_categories: list[Share]
    position: BalancePosition
    paid_invoice_count: int
    days_paid_late: int


def _orders_ctes(window_days: tuple[int, ...]) -> str:
    """counted (the account's counted orders by :as_of), totals with a (spend, count) pair
    per window, and middle: the sum and count of the one or two middle gaps between
    consecutive distinct order days (the median's operands)."""
    window_names = "".join(f", spend_{int(d)}, count_{int(d)}" for d in window_days)
    windows = ", ".join(
        f"COALESCE(SUM(CASE WHEN order_day > :as_of - {int(days)} THEN total_micros ELSE 0 "
        f"END), 0), COALESCE(SUM(CASE WHEN order_day > :as_of - {int(days)} THEN 1 ELSE 0 "
        "END), 0)"
        for days in window_days
    )
    return f"""
counted AS (
  SELECT order_day, total_micros FROM sales_order
  WHERE account_id = :account_id AND order_day <= :as_of AND status IN ({_COUNTED})
),
totals (order_count, order_spend, first_day, last_day{window_names}) AS (
  SELECT COUNT(*), COALESCE(SUM(total_micros), 0), MIN(order_day), MAX(order_day), {windows}
  FROM counted
),
gaps AS (
  SELECT order_day - LAG(order_day) OVER (ORDER BY order_day) AS gap
  FROM (SELECT DISTINCT order_day FROM counted) d
),
ranked_gaps AS (
  SELECT gap, ROW_NUMBER() OVER (ORDER BY gap) AS place, COUNT(*) OVER () AS gap_count
  FROM gaps WHERE gap IS NOT NULL
),
middle (middle_sum, middle_count) AS (
  SELECT COALESCE(SUM(gap), 0), COUNT(*) FROM ranked_gaps
  WHERE place IN ((gap_count + 1) / 2, (gap_count + 2) / 2)
),
billing ({_BILLING_NAMES}) AS (SELECT {POSITION_COLUMNS}, {LATENESS_COLUMNS} FROM invoice_state)"""


def _bytewise() -> str:
    """The collation that orders keys by code point on both backends."""
    return ' COLLATE "C"' if is_postgres() else ""


def _shares_ctes() -> str:
    """product_spend (the account's counted lines in (:year_start, :as_of] per product;
    a SKU is one product), and the :top SKUs and categories by spend, ties by key in
    code-point order."""
    bytewise = _bytewise()
    return f"""
product_spend AS (
  SELECT l.product_id, SUM(l.line_total_micros) AS spend, SUM(l.quantity) AS quantity
  FROM order_line l JOIN sales_order o ON o.id = l.order_id
  WHERE l.account_id = :account_id AND l.order_day > :year_start AND l.order_day <= :as_of
    AND o.status IN ({_COUNTED})
  GROUP BY l.product_id
),
top_skus AS (
  SELECT p.sku AS share_key, p.name AS share_name, s.spend, s.quantity
  FROM product_spend s JOIN product p ON p.id = s.product_id
  ORDER BY s.spend DESC, p.sku{bytewise} LIMIT :top
),
top_categories AS (
  SELECT p.category AS share_key, '' AS share_name, SUM(s.spend) AS spend,
         SUM(s.quantity) AS quantity
  FROM product_spend s JOIN product p ON p.id = s.product_id
  GROUP BY p.category ORDER BY spend DESC, p.category{bytewise} LIMIT :top
)"""


def _statement(window_days: tuple[int, ...]) -> str:
    figures = _TOTALS + 2 * len(window_days) + _MIDDLE + _POSITION + _LATENESS
    padding = ", ".join(["NULL"] * (figures - 2))
    # The order of the rows within each part, as the parts chose them.
    place = f"ROW_NUMBER() OVER (ORDER BY spend DESC, share_key{_bytewise()})"
    shares = f"{place}, share_key, share_name, spend, quantity, {padding}"
    return f"""
WITH {INVOICE_STATE},{_orders_ctes(window_days)},{_shares_ctes()}
SELECT {_FIGURES} AS part, 0 AS place, '' AS share_key, '' AS share_name, t.*, m.*, b.*
FROM totals t CROSS JOIN middle m CROSS JOIN billing b
UNION ALL
SELECT {_SKU}, {shares} FROM top_skus
UNION ALL
SELECT {_CATEGORY}, {shares} FROM top_categories
ORDER BY 1, 2"""


def _share(row: tuple) -> Share:
    return Share(row[2], row[3], int(row[4]), int(row[5]))


def _totals(values: tuple, window_days: tuple[int, ...]) -> OrderTotals:
    windows = {
        days: (int(values[_TOTALS + 2 * i]), int(values[_TOTALS + 2 * i + 1]))
        for i, days in enumerate(window_days)
    }
    return OrderTotals(int(values[0]), int(values[1]), values[2], values[3], windows)


def history_figures(
    account_id: int, as_of_day: int, window_days: tuple[int, ...], year_start: int, top: int
) -> HistoryFigures:
    """The account's figures on ``as_of_day``: totals over counted orders on or before it
    with a (spend, count) pair per trailing window, the median gap between order days (0
    with under two), the ``top`` SKUs and categories by spend on order days in
    (``year_start``, ``as_of_day``], the balance position (no grace days) and the invoices
    paid in full with their total days paid late."""
    rows = fetch_prepared(
        _statement(window_days),
        account_id=account_id,
        as_of=as_of_day,
        year_start=year_start,
        top=top,
        grace_days=0,
    )
    values = rows[0][4:]
    middle_at = _TOTALS + 2 * len(window_days)
    middle_sum, middle_count = (int(v) for v in values[middle_at : middle_at + _MIDDLE])
    billing = values[middle_at + _MIDDLE :]
    return HistoryFigures(
        totals=_totals(values, window_days),
        median_days_between_orders=middle_sum / middle_count if middle_count else 0.0,
        top_skus=[_share(row) for row in rows if row[0] == _SKU],
        top_categories=[_share(row) for row in rows if row[0] == _CATEGORY],
        position=position_of(billing[:_POSITION]),
        paid_invoice_count=int(billing[_POSITION]),
        days_paid_late=int(billing[_POSITION + 1]),
    )
