"""``wholesale orders import`` as users meet it: every reason to reject an order or a row in
one file, and the rejects file holding exactly those rows in file order; files as ERPs
export them (semicolons or tabs, columns of their own); the messages it prints."""

from __future__ import annotations

import csv
import json
import re
import signal
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import RunningServer, start_server
from support.interrupting import interrupt_while_server_is_down
from support.order_csv import HEADER, OrderCsvFile, write_order_csv
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
from wholesale.client.money import from_money
from wholesale.client.values import from_date
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
def test_with_the_server_down_import_says_it_retries_and_why_and_gives_up(
    wholesale: Run,  # noqa: F811
    tmp_path: Path,
) -> None:
    written = write_order_csv(tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS, orders=5)
    down = f"127.0.0.1:{free_port()}"

    result = wholesale("orders", "import", str(written.path), "--retry-for", "2",
                       WHOLESALE_SERVER=down)  # fmt: skip

    assert result.returncode == 6, result.stderr
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
    """The server stops mid-import, the CLI retries, and a kill (SIGTERM) ends it as Ctrl-C
    does, saying what is stored."""
    written = write_order_csv(tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS[:3],
                              orders=3000)  # fmt: skip
    batch = 20
    command = [*WHOLESALE, "orders", "import", str(written.path), "--batch-size", str(batch)]
    _, reported = interrupt_while_server_is_down(
        command,
        wholesale_env(),
        running_server.server,
        lambda: next(iter(admin.list_orders(page_size=1)), None) is not None,
        signal.SIGTERM,
    )

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


# An ERP's export: the import's columns in an order of its own, among columns it adds.
ERP_HEADER = ("line_no", "order_external_id", "warehouse", "order_date", "account_external_id",
              "note", "sku", "quantity", "unit_price", "currency", "status", "channel")  # fmt: skip
ERP_EXTRAS = "warning: ignoring columns not used by the import: line_no, warehouse, note"


def erp_export(written: OrderCsvFile, path: Path, delimiter: str) -> list[dict[str, str]]:
    """The generated file as an ERP exports it: separated by ``delimiter`` with a BOM and
    CRLF line ends, the columns reordered among the ERP's own (a note holding the
    delimiter and non-ASCII text), a blank row at the end; the rows on the same lines as
    in ``written``. Returns the rows written."""
    rows = [
        {**row, "line_no": str(line), "warehouse": f"WH-{line % 3}",
         "note": f"Lieferung für Filiale {line}{delimiter} Tor 3"}
        for line, row in enumerate(rows_of(written.path.read_text()), 2)
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.DictWriter(file, ERP_HEADER, delimiter=delimiter, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        file.write(delimiter * (len(ERP_HEADER) - 1) + "\r\n")
    return rows


def error_of_line(rejects: Path, delimiter: str = ",") -> dict[int, str]:
    """The rejects file's reasons by line number, the "line N: " taken off."""
    with rejects.open(newline="", encoding="utf-8") as file:
        errors = [row["error"] for row in csv.DictReader(file, delimiter=delimiter)]
    found = [re.fullmatch(r"line (\d+): (.*)", error) for error in errors]
    return {int(match[1]): match[2] for match in found if match}


@SQLITE
@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_an_erp_export_by_semicolons_or_tabs_with_columns_of_its_own_imports_fully(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
    delimiter: str,
    name: str,
) -> None:
    written = write_order_csv(tmp_path / "generated.csv", accounts=ACCOUNTS, skus=SKUS[:3],
                              orders=40)  # fmt: skip
    export = erp_export(written, tmp_path / "orders.csv", delimiter)

    result = wholesale("-o", "json", "orders", "import", str(tmp_path / "orders.csv"))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["orders_by_outcome"]["created"] == written.orders
    assert result.stderr.splitlines() == [
        f"reading orders.csv as {name}-separated (told from its header)",
        ERP_EXTRAS,
    ]
    order = admin.get_order(external_id="SO-0000007")
    rows = [row for row in export if row["order_external_id"] == "SO-0000007"]
    assert [(line.sku, line.quantity, from_money(line.unit_price)) for line in order.lines] == [
        (row["sku"], int(row["quantity"]), Decimal(row["unit_price"])) for row in rows
    ]
    assert str(from_date(order.order_date)) == rows[0]["order_date"]
    assert order.account_id == account_ids[rows[0]["account_external_id"]]
    assert not (tmp_path / "orders.rejected.csv").exists()


@SQLITE
def test_delimiter_option_reads_what_the_header_does_not_tell(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    written = write_order_csv(tmp_path / "generated.csv", accounts=ACCOUNTS, skus=SKUS[:3],
                              orders=5)  # fmt: skip
    piped, tabbed = tmp_path / "piped.csv", tmp_path / "tabbed.txt"
    erp_export(written, piped, "|")
    erp_export(written, tabbed, "\t")

    unsaid = wholesale("orders", "import", str(piped))
    assert unsaid.returncode == 2
    assert "; found 1 column: line_no|order_external_id|warehouse|" in unsaid.stderr
    said = wholesale("-o", "json", "orders", "import", str(piped), "--delimiter", "|")
    assert said.returncode == 0, said.stderr
    assert json.loads(said.stdout)["orders_by_outcome"]["created"] == written.orders
    assert said.stderr.splitlines() == [ERP_EXTRAS]  # a delimiter given is not announced
    for tab in ("tab", "\\t"):
        again = wholesale("-o", "json", "orders", "import", str(tabbed), "--delimiter", tab)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["orders_by_outcome"]["unchanged"] == written.orders
    wrong = wholesale("orders", "import", str(piped), "--delimiter", "x")
    assert (wrong.returncode, wrong.stderr) == (2, "error: Invalid value for '--delimiter': "
        "'x' is not one of , ; tab | (see 'wholesale orders import --help')\n")  # fmt: skip


@SQLITE
def test_a_header_without_a_column_of_the_layout_rejects_the_whole_file(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    path = tmp_path / "short.csv"
    path.write_text("order_external_id;account_external_id;order_date;sku;warehouse\n"
                    "SO-1;ERP-1;2026-01-05;APPLE-1L;WH-1\n")  # fmt: skip

    result = wholesale("orders", "import", str(path))

    assert result.returncode == 2
    assert result.stderr == (
        f"error: {path}: missing 2 columns: quantity, unit_price; found 5 columns: "
        "order_external_id, account_external_id, order_date, sku, warehouse "
        "(see 'wholesale orders import --help')\n"
    )
    assert not list(admin.list_orders()) and not (tmp_path / "short.rejected.csv").exists()
    help_text = " ".join(wholesale("orders", "import", "--help").stdout.split())
    assert "A header without a column of the layout rejects the whole file" in help_text
    assert "rejects only its own order, and the import goes on" in help_text


@SQLITE
def test_rejects_file_is_separated_as_the_import_and_holds_its_rejected_rows_in_file_order(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The server's rejections of the first orders land after the CLI has rejected later
    rows while reading; both the rejects file and the first reasons are in line order."""
    faults = {n: "unknown_sku" for n in range(6)} | {n: "bad_quantity" for n in range(6, 12)}
    faults |= {70: "bad_price", 71: "unknown_account", 99: "zero_quantity"}
    written = write_order_csv(tmp_path / "generated.csv", accounts=ACCOUNTS, skus=SKUS[:3],
                              orders=100, faults=faults)  # fmt: skip
    export = erp_export(written, tmp_path / "orders.csv", ";")

    result = wholesale("-o", "json", "orders", "import", str(tmp_path / "orders.csv"),
                       "--batch-size", "50")  # fmt: skip

    assert result.returncode == 7, result.stderr
    rejects = tmp_path / "orders.rejected.csv"
    header, *_ = rejects.read_text(encoding="utf-8").splitlines()
    assert header == ";".join([*ERP_HEADER, "error"])
    with rejects.open(newline="", encoding="utf-8") as file:
        rejected = list(csv.DictReader(file, delimiter=";"))
    assert [{k: v for k, v in row.items() if k != "error"} for row in rejected] == [
        export[line - 2] for line in written.rejected_lines
    ]
    assert list(error_of_line(rejects, ";")) == written.rejected_lines
    first = json.loads(result.stdout)["first_rejections"]
    fault_lines = sorted(written.fault_lines.values())
    assert [rejection["line"] for rejection in first] == fault_lines[:10]


@SQLITE
def test_every_reason_names_its_column_first_and_amounts_are_never_rounded(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    path = tmp_path / "orders.csv"
    rows = {
        "quantity: 'x' is not a whole number": "A-1,ERP-1,2026-01-05,,APPLE-1L,x,1.00",
        "quantity: required": "A-2,ERP-1,2026-01-05,,APPLE-1L,,1.00",
        "quantity: must be between": "A-3,ERP-1,2026-01-05,,APPLE-1L,0,1.00",
        "unit_price: '1.2345678' has 7 decimals, at most 6 are allowed":
            "A-4,ERP-1,2026-01-05,,APPLE-1L,1,1.2345678",
        "unit_price: '0.0000000001' has 10 decimals, at most 6 are allowed":
            "A-5,ERP-1,2026-01-05,,APPLE-1L,1,0.0000000001",
        "unit_price: '1,85' is not a decimal amount such as 12.50 (a point before the "
        "decimals, no thousands separator)": 'A-6,ERP-1,2026-01-05,,APPLE-1L,1,"1,85"',
        "order_date: '2026-02-30' is not a date (YYYY-MM-DD)":
            "A-7,ERP-1,2026-02-30,,APPLE-1L,1,1.00",
        "status: 'shipped' is not one of placed, fulfilled, cancelled, returned":
            "A-8,ERP-1,2026-01-05,shipped,APPLE-1L,1,1.00",
        "sku: ": "A-9,ERP-1,2026-01-05,,NO-SUCH-SKU,1,1.00",
        "row: 6 fields but the header has 7 (unit_price missing)":
            "A-10,ERP-1,2026-01-05,,APPLE-1L,1",
        "": "A-11,ERP-1,2026-01-05,,APPLE-1L,12.000,1.850000000",
    }  # fmt: skip
    header = "order_external_id,account_external_id,order_date,status,sku,quantity,unit_price"
    path.write_text("\n".join([header, *rows.values()]) + "\n")

    result = wholesale("orders", "import", str(path))

    assert result.returncode == 7, result.stderr
    errors = error_of_line(tmp_path / "orders.rejected.csv")
    assert len(errors) == len(rows) - 1
    for line, (expected, _) in enumerate(rows.items(), 2):
        if expected:
            assert errors[line].startswith(expected), (line, errors[line])
    (line,) = admin.get_order(external_id="A-11").lines
    assert (line.quantity, from_money(line.unit_price)) == (12, Decimal("1.85"))
    assert "Traceback" not in result.stderr


@SQLITE
def test_counts_say_row_or_rows_and_have_thousands_separators(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    one = tmp_path / "one.csv"
    one.write_text(",".join(HEADER) + "\nSO-1,ERP-1,2026-01-05,,,,APPLE-1L,two,1.00\n")
    many = write_order_csv(tmp_path / "many.csv", accounts=ACCOUNTS, skus=SKUS[:3], orders=400)

    single = wholesale("orders", "import", str(one), TTY_COMPATIBLE="1", NO_COLOR="1")
    plenty = wholesale("orders", "import", str(many.path), TTY_COMPATIBLE="1", NO_COLOR="1")

    assert single.returncode == 7, single.stderr
    assert "Imported one.csv: 1 row in " in single.stdout
    assert "Rejected: 1 row of 1 order" in single.stdout
    assert "1/1 row " in single.stderr and "1/1 rows" not in single.stderr  # the progress bar
    assert plenty.returncode == 0, plenty.stderr
    assert "Imported many.csv: 1,200 rows in " in plenty.stdout
    assert re.search(r"created\s+400\s+1,200\n", plenty.stdout), plenty.stdout
    assert "1,200/1,200 rows" in plenty.stderr
    as_csv = rows_of(wholesale("-o", "csv", "orders", "import", str(many.path)).stdout)
    assert {row["outcome"]: row["rows"] for row in as_csv}["unchanged"] == "1200"  # for scripts


@SQLITE
def test_a_file_that_is_not_utf8_stops_the_import_naming_the_line(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    written = write_order_csv(tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS[:3],
                              orders=3)  # fmt: skip
    lines = written.path.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b"EUR", b"EUR M\xfcller")  # "ü" as Windows-1252 writes it
    written.path.write_bytes(b"".join(lines))

    result = wholesale("orders", "import", str(written.path))

    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: line 5 is not UTF-8 text: save the file as UTF-8 and import it again; "
        "0 orders written before it stopped"
    )
    assert not list(tmp_path.glob("*.rejected.csv")) and not list(tmp_path.glob(".*"))


@SQLITE
def test_a_rejects_file_that_cannot_be_written_refuses_the_import_before_anything_is_sent(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    written = write_order_csv(tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS, orders=3)
    missing = tmp_path / "nonexistent" / "r.csv"

    for rejects, problem in [(missing, "does not exist"), (written.path / "r.csv", "is not a")]:
        result = wholesale("orders", "import", str(written.path), "--rejects", str(rejects))

        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"error: Invalid value for --rejects: cannot write {rejects}: ")
        assert problem in line
    assert list(admin.list_orders()) == []


@SQLITE
def test_a_stopped_rerun_says_how_many_orders_were_already_stored_unchanged(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The second run finds every order stored, then a quote left open at the end."""
    written = write_order_csv(tmp_path / "orders.csv", accounts=ACCOUNTS, skus=SKUS[:3],
                              orders=50)  # fmt: skip
    assert wholesale("orders", "import", str(written.path)).returncode == 0
    first = written.path.read_text().splitlines()[1]
    with written.path.open("a") as file:
        file.write(first.replace("SO-", "SO-X") + ',"\n' + first + "\n")

    rerun = wholesale("orders", "import", str(written.path), "--batch-size", "1")

    assert rerun.returncode == 2, rerun.stderr
    (line,) = rerun.stderr.splitlines()
    unchanged = re.search(r"; 0 orders written, (\d+) already stored unchanged before it", line)
    assert unchanged and 0 < int(unchanged[1]) <= 50, line
    open_at = len(written.path.read_text().splitlines()) - 1
    assert line.startswith(
        f"error: line {open_at} cannot be read as CSV (a quoted field runs to the end of the "
        "file): is a quote left open?; "
    )


@SQLITE
def test_the_warning_for_ignored_columns_names_a_few_of_them(
    wholesale: Run,  # noqa: F811
    account_ids: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join((*HEADER, *(f"x{n}" for n in range(10_000)))) + "\n")

    result = wholesale("orders", "import", str(path))

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "warning: ignoring columns not used by the import: x0, x1, x2, x3, x4 and 9,995 more"
    )
