"""The SQL behind account summaries: spend windows, cadence and product mix.

Only placed and fulfilled orders count. Every query filters on the indexed
(account_id, order_day) columns of sales_order or order_line.
"""

from __future__ import annotations

from wholesale.server.domain.order import COUNTED_STATUSES
from wholesale.server.domain.summary import OrderTotals, Share
from wholesale.server.store.database import is_postgres
from wholesale.server.store.sql import fetch_rows

_COUNTED = ", ".join(str(int(status)) for status in COUNTED_STATUSES)


def order_totals(account_id: int, as_of_day: int, window_days: tuple[int, ...]) -> OrderTotals:
    window_sql = ", ".join(
        "COALESCE(SUM(CASE WHEN order_day > ? THEN total_micros ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN order_day > ? THEN 1 ELSE 0 END), 0)"
        for _ in window_days
    )
    starts = [as_of_day - days for days in window_days for _ in (0, 1)]
    (row,) = fetch_rows(
        f"SELECT COUNT(*), COALESCE(SUM(total_micros), 0), MIN(order_day), MAX(order_day), "
        f"{window_sql} FROM sales_order "
        f"WHERE account_id = ? AND order_day <= ? AND status IN ({_COUNTED})",
        *starts,
        account_id,
        as_of_day,
    )
    windows = {
        days: (int(row[4 + 2 * i]), int(row[5 + 2 * i])) for i, days in enumerate(window_days)
    }
    return OrderTotals(int(row[0]), int(row[1]), row[2], row[3], windows)


_ORDER_DAYS = (
    f"SELECT DISTINCT order_day FROM sales_order "
    f"WHERE account_id = ? AND order_day <= ? AND status IN ({_COUNTED})"
)


def median_gap_days(account_id: int, as_of_day: int) -> float:
    """Median of the gaps between consecutive distinct order days (0 with under two)."""
    (count_row,) = fetch_rows(f"SELECT COUNT(*) FROM ({_ORDER_DAYS}) d", account_id, as_of_day)
    gaps = int(count_row[0]) - 1
    if gaps < 1:
        return 0.0
    middle = fetch_rows(
        f"SELECT gap FROM (SELECT order_day - LAG(order_day) OVER (ORDER BY order_day) AS gap "
        f"FROM ({_ORDER_DAYS}) d) g WHERE gap IS NOT NULL ORDER BY gap "
        f"LIMIT {2 - gaps % 2} OFFSET {(gaps - 1) // 2}",
        account_id,
        as_of_day,
    )
    return sum(int(row[0]) for row in middle) / len(middle)


def top_shares(
    account_id: int, first_day: int, as_of_day: int, by_category: bool, limit: int
) -> list[Share]:
    """Top SKUs (or categories) by spend on order days in (first_day, as_of_day]; ties by
    key in code-point order on both backends."""
    bytewise = ' COLLATE "C"' if is_postgres() else ""
    key, name = ("p.category", "''") if by_category else ("p.sku", "p.name")
    group = key if by_category else f"{key}, {name}"
    rows = fetch_rows(
        f"SELECT {key}, {name}, SUM(l.line_total_micros) AS spend, SUM(l.quantity) "
        "FROM order_line l "
        "JOIN sales_order o ON o.id = l.order_id "
        "JOIN product p ON p.id = l.product_id "
        "WHERE l.account_id = ? AND l.order_day > ? AND l.order_day <= ? "
        f"AND o.status IN ({_COUNTED}) "
        f"GROUP BY {group} ORDER BY spend DESC, {key}{bytewise} ASC LIMIT {int(limit)}",
        account_id,
        first_day,
        as_of_day,
    )
    return [Share(row[0], row[1], int(row[2]), int(row[3])) for row in rows]
