"""``seed-demo``: deterministic, idempotent, and realistic enough to show what the service
does (cadences, churners, overdue invoices), on both databases.

The figures are read back through the account summary use case, the same code the
GetAccountSummary RPC runs, so the demo is checked the way a user would look at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from wholesale.server.cli import main as server_cli
from wholesale.server.demo import seed_demo
from wholesale.server.domain.calendar import date_of, day_number
from wholesale.server.domain.clock import SystemClock
from wholesale.server.services import unit_of_work
from wholesale.server.services.summary import AccountSummary, account_summary
from wholesale.server.store import database, migrations
from wholesale.server.store.sql import fetch_rows

ACCOUNTS = 20
SEED = 11
END = dt.date(2026, 3, 31)
TABLES = ("product", "account", "sales_order", "order_line", "invoice", "payment", "audit_event")


@pytest.fixture
def demo_db(database_url: str) -> Iterator[str]:
    """A migrated, empty database of each backend, open in this process."""
    db = database.open_database(database_url)
    migrations.ensure_schema(db)
    with db.connection_context():
        yield seed_demo(ACCOUNTS, SEED, end_date=END)
    database.close_database()


def _dump() -> dict[str, list[tuple]]:
    """Every row of every table the demo writes, times and versions included: a second
    seeding that rewrote anything would show in them."""
    return {table: sorted(fetch_rows(f"SELECT * FROM {table}"), key=repr) for table in TABLES}


def _summaries() -> list[AccountSummary]:
    with unit_of_work.for_system("test", SystemClock()) as work:
        return [account_summary(work, str(i), day_number(END)) for i in range(1, ACCOUNTS + 1)]


def test_seeding_twice_with_the_same_seed_changes_nothing(demo_db: str) -> None:
    first = _dump()
    assert len(first["sales_order"]) > 20 * ACCOUNTS
    assert len(first["invoice"]) > 0 and len(first["payment"]) > 0

    again = seed_demo(ACCOUNTS, SEED, end_date=END)

    assert _dump() == first
    # products, accounts, orders, invoices, payments: nothing new, nothing updated
    assert again.count("(0 new, 0 updated)") == 5


def test_external_ids_are_unique(demo_db: str) -> None:
    for table in ("sales_order", "invoice", "payment", "account"):
        ((total, distinct),) = fetch_rows(
            f"SELECT COUNT(*), COUNT(DISTINCT external_id) FROM {table}"
        )
        assert total == distinct > 0


def test_order_numbers_carry_the_order_date_and_the_account(demo_db: str) -> None:
    rows = fetch_rows(
        "SELECT o.external_id, o.order_day, a.external_id FROM sales_order o "
        "JOIN account a ON a.id = o.account_id"
    )
    for number, day, account in rows:
        date, account_number = number.split("-")[2:4]
        assert date == date_of(day).strftime("%Y%m%d"), number
        assert account == f"ERP-{account_number}", number


def test_buyers_have_weekly_fortnightly_and_monthly_cadences(demo_db: str) -> None:
    medians = {round(s.median_days_between_orders) for s in _summaries() if s.totals.count > 10}
    assert {7, 14, 30} <= medians


def test_some_accounts_slowed_down_and_stopped_ordering(demo_db: str) -> None:
    end = day_number(END)
    stopped = [
        s
        for s in _summaries()
        if s.totals.count >= 20
        and s.totals.first_day < end - 365
        and s.totals.last_day < end - 60
        and s.totals.windows[90] == (0, 0)
    ]
    assert stopped


def test_some_invoices_are_overdue_and_some_paid_late(demo_db: str) -> None:
    summaries = _summaries()
    assert any(s.position.overdue_micros > 0 for s in summaries)
    assert any(s.average_days_paid_late > 5 for s in summaries)
    assert any(s.paid_invoice_count and s.average_days_paid_late < 1 for s in summaries)


def test_payments_never_exceed_their_invoice(demo_db: str) -> None:
    overpaid = fetch_rows(
        "SELECT i.id FROM invoice i JOIN payment p ON p.invoice_id = i.id "
        "GROUP BY i.id, i.amount_micros, i.issue_day "
        "HAVING SUM(p.amount_micros) > i.amount_micros OR MIN(p.paid_day) < i.issue_day"
    )
    assert overpaid == []


def test_the_cli_seeds_and_prints_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(
        server_cli,
        ["seed-demo", "--database", url, "--create", "--accounts", "3", "--end-date", "2026-01-31"],
    )
    database.close_database()
    assert result.exit_code == 0, result.output
    named, line = result.stderr.strip().splitlines()
    assert named == f"database: {url} (created)"
    assert line.startswith("seeded ") and "up to 2026-01-31" in line
