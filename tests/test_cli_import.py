"""``wholesale orders import`` as users meet it: every reason to reject an order or a row in
one file, and the rejects file holding exactly those rows in file order."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from conftest import RunningServer, start_server
from support.order_csv import write_order_csv
from support.server_process import free_port
from test_cli import WHOLESALE, Run, config_file, wholesale, wholesale_env  # noqa: F401
from test_cli_history import (  # noqa: F401 (fixtures)
    ACCOUNTS,
    SKUS,
    SQLITE,
    account_ids,
    admin,
    rows_of,
)

from wholesale.client import Client
from wholesale.server.config import ServerConfig

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


@SQLITE
def test_with_the_server_down_import_says_it_retries_and_why_and_gives_up_in_time(
    wholesale: Run,  # noqa: F811
    tmp_path: Path,
) -> None:
    written = write_order_csv(tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS, orders=5)
    down = f"127.0.0.1:{free_port()}"

    started = time.monotonic()
    result = wholesale("orders", "import", str(written.path), "--retry-for", "2",
                       WHOLESALE_SERVER=down)  # fmt: skip
    elapsed = time.monotonic() - started

    assert result.returncode == 6, result.stderr
    assert elapsed < 2 + 2 * 10  # --retry-for, plus the first and the last attempt
    retries = [line for line in result.stderr.splitlines() if "sending the batch again" in line]
    assert retries and all(line.startswith("unavailable: ") for line in retries)
    assert "(attempt 2 of 8)" in retries[0] and "Connection refused" in retries[0]
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: gave up after retrying for 2 s")
    assert "0 orders written" in last and "running the same file again is safe" in last
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "orders.rejected.csv").exists()


@SQLITE
def test_an_interrupted_import_says_how_many_orders_it_wrote_and_a_rerun_completes_it(
    wholesale: Run,  # noqa: F811
    wholesale_env: Callable[..., dict],  # noqa: F811
    running_server: RunningServer,
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The server stops mid-import, the CLI retries, and Ctrl-C (SIGINT) ends it."""
    written = write_order_csv(tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS[:3],
                              orders=3000)  # fmt: skip
    batch = 20
    command = [*WHOLESALE, "orders", "import", str(written.path), "--batch-size", str(batch)]
    with subprocess.Popen(command, env=wholesale_env(), stderr=subprocess.PIPE, text=True,
                          stdout=subprocess.PIPE) as importing:  # fmt: skip
        deadline = time.monotonic() + 60
        while next(iter(admin.list_orders(page_size=1)), None) is None:
            assert time.monotonic() < deadline and importing.poll() is None
            time.sleep(0.02)
        running_server.server.stop(0)
        assert importing.stderr is not None
        # gRPC's own transport may log a line first (GOAWAY on the stopped server).
        seen = [importing.stderr.readline()]
        while "sending the batch again" not in seen[-1] and seen[-1] and len(seen) < 20:
            seen.append(importing.stderr.readline())
        assert "sending the batch again" in seen[-1], seen
        importing.send_signal(signal.SIGINT)
        rest = importing.stderr.read()
        assert importing.wait(timeout=30) == 130
    last = rest.splitlines()[-1]
    assert last.startswith("error: interrupted; ") and "Traceback" not in rest
    reported = int(last.removeprefix("error: interrupted; ").split(" ")[0].replace(",", ""))

    restarted = start_server(
        ServerConfig(listen="127.0.0.1:0", database_url=running_server.database_url)
    )
    try:
        with Client(restarted.target, restarted.tokens["admin"]) as client:
            stored = len(list(client.list_orders(page_size=500)))
        assert 0 < reported <= stored <= reported + batch
        rerun = wholesale("-o", "json", "orders", "import", str(written.path),
                          WHOLESALE_SERVER=restarted.target,
                          WHOLESALE_TOKEN=restarted.tokens["admin"])  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        outcomes = json.loads(rerun.stdout)["orders_by_outcome"]
        assert (outcomes["unchanged"], outcomes["created"]) == (stored, written.orders - stored)
    finally:
        restarted.server.stop(0)
