"""``wholesale orders import`` as users meet it: every reason to reject an order or a row in
one file, and the rejects file holding exactly those rows in file order."""

from __future__ import annotations

import json
from pathlib import Path

from support.order_csv import write_order_csv
from test_cli import Run, config_file, wholesale  # noqa: F401 (fixtures)
from test_cli_history import (  # noqa: F401 (fixtures)
    ACCOUNTS,
    SKUS,
    SQLITE,
    account_ids,
    admin,
    rows_of,
)

from wholesale.client import Client

# Order index -> what is wrong with it: the server's order-level reasons (all rows of the
# order carry the fault), the server's row-level ones and those the CLI finds itself.
FAULTS = {
    3: "unknown_account",
    8: "unknown_sku",
    9: "bad_quantity",
    40: "wrong_currency",
    57: "repeated_id",
    58: "zero_quantity",
    120: "bad_price",
    121: "unknown_account",
    190: "missing_column",
    230: "bad_date",
    299: "bad_status",
}


@SQLITE
def test_every_rejection_reason_in_one_file_goes_to_the_rejects_file_in_line_order(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    written = write_order_csv(
        tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS[:3], orders=300, faults=FAULTS
    )

    result = wholesale("-o", "json", "orders", "import", str(written.path), "--batch-size", "50")

    assert result.returncode == 7, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["orders_by_outcome"] == {
        "created": written.accepted_orders,
        "updated": 0,
        "unchanged": 0,
        "rejected": len(FAULTS),
    }
    assert summary["rows_by_outcome"]["rejected"] == len(written.rejected_lines)
    rejected = rows_of((tmp_path / "orders.rejected.csv").read_text())
    lines = [int(row["error"].split(":")[0].removeprefix("line ")) for row in rejected]
    assert lines == written.rejected_lines
    errors = {line: row["error"] for line, row in zip(lines, rejected, strict=True)}
    reason = {FAULTS[number]: errors[written.fault_lines[f"SO-{number:07d}"]] for number in FAULTS}
    assert "account_external_id: " in reason["unknown_account"]
    assert "ERP-NOBODY" in reason["unknown_account"]
    assert "currency: " in reason["wrong_currency"] and "EUR" in reason["wrong_currency"]
    assert reason["repeated_id"] == (
        f"line {written.fault_lines['SO-0000057']}: order_external_id: SO-0000055 was "
        f"already used by the order at line {2 + 3 * 55}; the rows "
        "of an order must be consecutive"
    )
    assert "sku: " in reason["unknown_sku"] and "quantity: " in reason["zero_quantity"]
    # Every row of an order-level rejection carries the reason, not "not imported".
    second_row = written.fault_lines["SO-0000003"] + 1
    assert "ERP-NOBODY" in errors[second_row]
    assert len(list(admin.list_orders(page_size=500))) == written.accepted_orders
