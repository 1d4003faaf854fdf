"""Generated order-import CSV files in the layout of ``wholesale orders import``, with bad
rows planted where a test wants them and the expected outcome computed alongside.

Also runnable, for trying the CLI on a big file by hand (the catalog and accounts must
exist on the server)::

    python tests/support/order_csv.py orders.csv --orders 20000 --lines 5 \
        --accounts ERP-1,ERP-2 --skus APPLE-1L,PEAR-1L
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HEADER = (
    "order_external_id",
    "account_external_id",
    "order_date",
    "status",
    "channel",
    "currency",
    "sku",
    "quantity",
    "unit_price",
)
# What a planted fault does to the first row of its order. unknown_sku and zero_quantity
# are for the server to find; the others the CLI finds while reading the file.
FAULTS = {
    "unknown_sku": lambda row: {**row, "sku": "NO-SUCH-SKU"},
    "zero_quantity": lambda row: {**row, "quantity": "0"},
    "bad_quantity": lambda row: {**row, "quantity": "twelve"},
    "bad_price": lambda row: {**row, "unit_price": "1,85"},
    "bad_date": lambda row: {**row, "order_date": "2026-02-30"},
    "bad_status": lambda row: {**row, "status": "shipped"},
    "missing_column": lambda row: {k: row[k] for k in HEADER[:-2]},
}
# Faults of a whole order, planted in every row of it, all for the server to find.
# repeated_id gives the order the number of the order two before it, so the number
# recurs non-consecutively within one batch.
ORDER_FAULTS = {
    "unknown_account": lambda row, number: {**row, "account_external_id": "ERP-NOBODY"},
    "wrong_currency": lambda row, number: {**row, "currency": "USD"},
    "repeated_id": lambda row, number: {**row, "order_external_id": f"SO-{number - 2:07d}"},
}


@dataclass
class OrderCsvFile:
    """What was written: row and order counts, and the rejected orders' ids and file lines."""

    path: Path
    rows: int = 0
    orders: int = 0
    rejected_orders: list[str] = field(default_factory=list)
    rejected_lines: list[int] = field(default_factory=list)
    # The line number of the planted bad row of each rejected order.
    fault_lines: dict[str, int] = field(default_factory=dict)

    @property
    def accepted_orders(self) -> int:
        return self.orders - len(self.rejected_orders)

    @property
    def accepted_rows(self) -> int:
        return self.rows - len(self.rejected_lines)


def _order_rows(
    number: int, rng: random.Random, accounts: Sequence[str], skus: Sequence[str], lines: int
) -> list[dict[str, str]]:
    head = {
        "order_external_id": f"SO-{number:07d}",
        "account_external_id": accounts[number % len(accounts)],
        "order_date": (dt.date(2025, 1, 1) + dt.timedelta(days=number % 400)).isoformat(),
        "status": rng.choice(("fulfilled", "fulfilled", "placed", "cancelled")),
        "channel": rng.choice(("erp", "portal", "sales_rep")),
        "currency": "EUR",
    }
    chosen = rng.sample(list(skus), min(lines, len(skus)))
    return [
        {
            **head,
            "sku": sku,
            "quantity": str(rng.randint(1, 24)),
            "unit_price": f"{rng.randint(50, 5000) / 100:.2f}",
        }
        for sku in chosen
    ]


def write_order_csv(
    path: Path,
    *,
    accounts: Sequence[str],
    skus: Sequence[str],
    orders: int,
    lines_per_order: int = 3,
    faults: Mapping[int, str] | None = None,
    seed: int = 7,
) -> OrderCsvFile:
    """Writes ``orders`` orders of ``lines_per_order`` lines (distinct SKUs) for the given
    account external ids; ``faults`` maps an order's index to a FAULTS name planted in its
    first row, or to an ORDER_FAULTS name planted in all of them. Deterministic for a seed."""
    rng = random.Random(seed)
    written = OrderCsvFile(path)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        line = 1
        for number in range(orders):
            rows = _order_rows(number, rng, accounts, skus, lines_per_order)
            fault = (faults or {}).get(number)
            if fault in ORDER_FAULTS:
                rows = [ORDER_FAULTS[fault](row, number) for row in rows]
            elif fault:
                rows[0] = FAULTS[fault](rows[0])
            if fault:
                written.rejected_orders.append(rows[0]["order_external_id"])
                written.rejected_lines += range(line + 1, line + 1 + len(rows))
                written.fault_lines[f"SO-{number:07d}"] = line + 1
            writer.writerows([row[column] for column in HEADER if column in row] for row in rows)
            line += len(rows)
        written.rows, written.orders = line - 1, orders
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--accounts", required=True, help="Comma-separated external ids.")
    parser.add_argument("--skus", required=True, help="Comma-separated SKUs.")
    args = parser.parse_args()
    write_order_csv(
        args.path,
        accounts=args.accounts.split(","),
        skus=args.skus.split(","),
        orders=args.orders,
        lines_per_order=args.lines,
    )


if __name__ == "__main__":
    main()
