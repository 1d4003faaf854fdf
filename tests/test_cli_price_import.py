"""``wholesale pricelists import`` as users meet it: a bad row rejected with its line and
the rest imported, a re-run storing nothing twice, and the files and lists it refuses."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import RunningServer, start_server
from support.interrupting import interrupt_while_server_is_down
from support.pricing_api import seed_priced_catalog
from test_cli import WHOLESALE, Run, config_file, wholesale, wholesale_env  # noqa: F401

from wholesale.client import Client, from_money
from wholesale.server.config import ServerConfig

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HEADER = (
    "sku,category,fixed_price,catalog_discount,breaks,mode,level,increment,start,external_id,notes"
)


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


@pytest.fixture
def list_id(admin: Client) -> str:
    seed_priced_catalog(admin)
    return admin.create_price_list(
        {"name": "Book", "currency_code": "EUR", "audience": {"everyone": True}, "status": "active"}
    ).price_list.id


def write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def summary(result) -> Any:
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def test_bad_rows_are_rejected_with_their_line_and_the_rest_imported(
    wholesale: Run,  # noqa: F811
    admin: Client,
    list_id: str,
    tmp_path: Path,
) -> None:
    book = write(
        tmp_path / "book.csv",
        "APPLE-1L,,1.80,,10:1.70;50:1.60,volume,line,6,,R-1,x",  # line 2
        "NO-SUCH-SKU,,1.00,,,,,,,R-2,",  # line 3: the server refuses it
        "PEAR-1L,,,,,,,,,R-3,",  # line 4: no basis
        ",beverages,,10,48:15%,volume,category,,2026-01-01,R-4,",  # line 5
        "WATER-6,,2.00,,10-1.90,,,,,R-5,",  # line 6: a bad break
        ",,,5,,graduated,order,,,R-6,",  # line 7: graduated at order level
        "APPLE-1L,,1.75,,,,,,,R-1,",  # line 8: R-1 again
    )

    result = wholesale("-o", "json", "pricelists", "import", list_id, str(book))

    assert result.returncode == 7, result.stderr
    assert "warning: ignoring a column not in the layout: notes" in result.stderr
    assert summary(result)["rules_by_outcome"] == {
        "created": 2, "updated": 0, "unchanged": 0, "rejected": 5
    }  # fmt: skip
    rejected = list(csv.DictReader((tmp_path / "book.rejected.csv").open()))
    errors = [row["error"] for row in rejected]
    assert [error.split(":")[0] for error in errors] == [f"line {n}" for n in (3, 4, 6, 7, 8)]
    assert errors[0].startswith("line 3: sku: ") and "fixed_price/catalog_discount" in errors[1]
    assert errors[2].startswith("line 6: breaks: '10-1.90'")
    assert "line 2" in errors[4] and next(row["sku"] for row in rejected) == "NO-SUCH-SKU"
    stored = {rule.external_id: rule for rule in admin.list_price_rules(list_id)}
    assert sorted(stored) == ["R-1", "R-4"]
    assert [from_money(b.unit_price) for b in stored["R-1"].breaks] == [
        Decimal("1.7"),
        Decimal("1.6"),
    ]
    assert stored["R-1"].limits.increment == 6 and stored["R-4"].breaks[0].discount.value == "15"


def test_a_quote_left_open_rejects_the_lines_it_swallowed_and_says_why(
    wholesale: Run,  # noqa: F811
    admin: Client,
    list_id: str,
    tmp_path: Path,
) -> None:
    book = write(
        tmp_path / "book.csv",
        "APPLE-1L,,1.80,,,,,,,R-1,",
        '"PEAR-1L,,1.05,,,,,,,R-2,',  # line 3: the quote is never closed
        "WATER-6,,2.00,,,,,,,R-3,",
    )

    result = wholesale("-o", "json", "pricelists", "import", list_id, str(book))

    assert result.returncode == 7, result.stderr
    assert summary(result)["rules_by_outcome"]["rejected"] == 1
    [rejected] = list(csv.DictReader((tmp_path / "book.rejected.csv").open()))
    assert rejected["error"] == (
        "line 4: row: a quote on line 3 is not closed, so lines 3 to 4 were read as one value"
    )
    assert [rule.external_id for rule in admin.list_price_rules(list_id)] == ["R-1"]


def test_a_semicolon_separated_book_is_read_as_such_and_says_so(
    wholesale: Run,  # noqa: F811
    admin: Client,
    list_id: str,
    tmp_path: Path,
) -> None:
    book = tmp_path / "book.csv"
    book.write_text(HEADER.replace(",", ";") + '\nAPPLE-1L;;1.80;;"10:1.70;50:1.60";;;;;R-1;\n')

    result = wholesale("pricelists", "import", list_id, str(book))

    assert result.returncode == 0, result.stderr
    assert "reading book.csv as semicolon-separated (told from its header)" in result.stderr
    [rule] = admin.list_price_rules(list_id)
    assert rule.external_id == "R-1" and [b.min_quantity for b in rule.breaks] == [10, 50]


def test_a_rerun_imports_nothing_twice_and_a_clean_one_removes_the_rejects(
    wholesale: Run,  # noqa: F811
    list_id: str,
    tmp_path: Path,
) -> None:
    book = write(
        tmp_path / "book.csv",
        "APPLE-1L,,1.80,,,,,,,R-1,",
        ",beverages/water,,10,,,,,,,",  # no external id: matched by target and start
    )
    (tmp_path / "book.rejected.csv").write_text("old\n")

    first = wholesale("-o", "json", "pricelists", "import", list_id, str(book))
    second = wholesale("pricelists", "import", list_id, str(book))
    third = wholesale("-o", "csv", "pricelists", "import", list_id, str(book))

    assert summary(first)["rules_by_outcome"]["created"] == 2 and first.returncode == 0
    assert second.returncode == 0 and "unchanged" in second.stdout
    assert list(csv.DictReader(third.stdout.splitlines())) == [
        {"outcome": "created", "rules": "0"},
        {"outcome": "updated", "rules": "0"},
        {"outcome": "unchanged", "rules": "2"},
        {"outcome": "rejected", "rules": "0"},
    ]
    assert not (tmp_path / "book.rejected.csv").exists()


def test_conflicts_are_counted_and_shown(
    wholesale: Run,  # noqa: F811
    admin: Client,
    list_id: str,
    tmp_path: Path,
) -> None:
    other = admin.create_price_list(
        {
            "name": "Other",
            "currency_code": "EUR",
            "audience": {"everyone": True},
            "status": "active",
        }
    ).price_list.id
    admin.batch_upsert_price_rules(other, [{"sku": "APPLE-1L", "fixed_price": "1.90"}])
    book = write(tmp_path / "book.csv", "APPLE-1L,,1.80,,,,,,,R-1,")

    result = wholesale("-o", "json", "pricelists", "import", list_id, str(book))

    assert result.returncode == 0, result.stderr
    found = summary(result)
    assert found["conflict_count"] == 1 and found["first_conflicts"][0]["target"] == "SKU APPLE-1L"
    assert "warning: 1 price conflict" in result.stderr


def test_a_rejects_file_that_cannot_be_written_refuses_the_import_before_any_rule(
    wholesale: Run,  # noqa: F811
    admin: Client,
    list_id: str,
    tmp_path: Path,
) -> None:
    book = write(tmp_path / "book.csv", "APPLE-1L,,1.80,,,,,,,R-1,")
    rejects = tmp_path / "nonexistent" / "r.csv"

    result = wholesale("pricelists", "import", list_id, str(book), "--rejects", str(rejects))

    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: Invalid value for --rejects: cannot write {rejects}: ")
    assert "does not exist" in line
    assert list(admin.list_price_rules(list_id)) == []


def test_show_lists_the_first_conflicts_and_conflicts_lists_them_all(
    wholesale: Run,  # noqa: F811
    admin: Client,
    list_id: str,
    tmp_path: Path,
) -> None:
    rows = [f"APPLE-1L,,1.{n:02d},,,,,,,R-{n}," for n in range(12)]
    book = write(tmp_path / "book.csv", *rows)  # 12 rules of one SKU: 66 ties
    imported = wholesale("pricelists", "import", list_id, str(book))
    assert f"see `wholesale pricelists conflicts {list_id}`" in imported.stderr

    shown = wholesale("pricelists", "show", list_id)
    listed = summary(wholesale("-o", "json", "pricelists", "conflicts", list_id, "--all"))
    first = summary(wholesale("-o", "json", "pricelists", "conflicts", "--limit", "3"))

    assert shown.returncode == 0 and "Conflicts (10 shown, more exist)" in shown.stdout
    assert f"`wholesale pricelists conflicts {list_id}` for more" in shown.stderr
    assert len(listed) == 66 and first == listed[:3]
    rule_ids = [[int(side["price_rule_id"]) for side in c["sides"]] for c in listed]
    assert rule_ids == sorted(rule_ids)


def test_missing_file_bad_header_and_unknown_list(
    wholesale: Run,  # noqa: F811
    list_id: str,
    tmp_path: Path,
) -> None:
    missing = wholesale("pricelists", "import", list_id, str(tmp_path / "nope.csv"))
    (tmp_path / "bad.csv").write_text("sku,price\nAPPLE-1L,1.80\n")
    bad = wholesale("pricelists", "import", list_id, str(tmp_path / "bad.csv"))
    book = write(tmp_path / "book.csv", "APPLE-1L,,1.80,,,,,,,R-1,")
    unknown = wholesale("pricelists", "import", "999", str(book))

    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert bad.returncode == 2 and "no basis column" in bad.stderr
    assert unknown.returncode == 3 and unknown.stderr.startswith("error: ")
    for result in (missing, bad, unknown):
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "book.rejected.csv").exists()


def test_an_import_retries_while_the_server_is_down_and_ctrl_c_says_what_is_stored(
    wholesale: Run,  # noqa: F811
    wholesale_env,  # noqa: F811
    running_server: RunningServer,
    admin: Client,
    list_id: str,
    tmp_path: Path,
) -> None:
    """The server stops mid-import: the CLI says it sends the chunk again and why, and
    Ctrl-C (SIGINT) ends it with the count of rules stored, the chunk in flight named
    apart; a re-run against the restarted server stores the rest, nothing twice."""
    first = dt.date(2030, 1, 1)
    rows = [
        f"APPLE-1L,,1.{n % 90 + 10},,,,,,{first + dt.timedelta(days=n)},R-{n}," for n in range(6000)
    ]
    book = write(tmp_path / "book.csv", *rows)
    command = [*WHOLESALE, "pricelists", "import", list_id, str(book)]
    last, reported = interrupt_while_server_is_down(
        command,
        wholesale_env(),
        running_server.server,
        lambda: next(iter(admin.list_price_rules(list_id, page_size=1)), None) is not None,
    )
    assert "(and perhaps the 1,000 being sent when it stopped)" in last

    restarted = start_server(
        ServerConfig(listen="127.0.0.1:0", database_url=running_server.database_url)
    )
    try:
        with Client(restarted.target, restarted.tokens["admin"]) as client:
            stored = len(list(client.list_price_rules(list_id, page_size=500)))
        assert stored > 0 and reported <= stored <= reported + 1000
        rerun = wholesale("-o", "json", "pricelists", "import", list_id, str(book),
                          WHOLESALE_SERVER=restarted.target,
                          WHOLESALE_TOKEN=restarted.tokens["admin"])  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        outcomes = summary(rerun)["rules_by_outcome"]
        assert (outcomes["unchanged"], outcomes["created"]) == (stored, len(rows) - stored)
    finally:
        restarted.server.stop(0)
