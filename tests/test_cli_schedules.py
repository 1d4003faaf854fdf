"""``wholesale schedules`` as users run it: a subprocess against a live server (SQLite; the
API and client tests cover both backends), in table, JSON and CSV, with the natural
mistakes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from conftest import RunningServer
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)
from test_client_tiers import seed_accounts

from wholesale.client import Client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CREATE = (
    "schedules",
    "create",
    "T-1",
    "--line",
    "APPLE-1L:12",
    "--every",
    "2 weeks",
    "--on",
    "monday",
    "--zone",
    "Europe/Berlin",
    "--lead",
    "2 days",
)


@pytest.fixture
def admin(running_server: RunningServer) -> Iterator[Client]:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        yield client


@pytest.fixture
def account(admin: Client) -> str:
    return seed_accounts(admin, "alice")[0]


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result) -> str:
    assert result.returncode == 2 and result.stdout == "", result.stderr
    [line] = result.stderr.splitlines()
    return line


def test_create_shows_the_next_dates_and_saves(wholesale: Run, admin: Client, account: str) -> None:  # noqa: F811
    dry = ok(wholesale(*CREATE, "--dry-run"))
    assert list(admin.schedules(account)) == []
    saved = json.loads(ok(wholesale("-o", "json", *CREATE, "--note", "café")))

    assert "Schedule (not saved)" in dry and "Next 5 occurrences" in dry and "09:00 CET" in dry
    schedule = saved["schedule"]
    assert schedule["recurrence_rule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    assert schedule["note"] == "café" and len(saved["upcoming"]) == 5
    [stored] = admin.schedules(account)
    assert stored.id == schedule["id"] and stored.reminder_lead.seconds == 2 * 86_400


def test_list_show_skip_pause_resume_update_delete(wholesale: Run, account: str) -> None:  # noqa: F811
    schedule_id = json.loads(ok(wholesale("-o", "json", *CREATE)))["schedule"]["id"]

    table = ok(wholesale("schedules", "list"))
    rows = list(csv.DictReader(io.StringIO(ok(wholesale("-o", "csv", "schedules", "list")))))
    skipped = ok(wholesale("schedules", "skip", schedule_id, "--reason", "stock-taking"))
    shown = ok(wholesale("schedules", "show", schedule_id))
    paused = json.loads(ok(wholesale("-o", "json", "schedules", "pause", schedule_id)))
    resumed = json.loads(ok(wholesale("-o", "json", "schedules", "resume", schedule_id)))
    updated = json.loads(
        ok(wholesale("-o", "json", "schedules", "update", schedule_id, "--at", "10:30"))
    )
    deleted = json.loads(ok(wholesale("-o", "json", "schedules", "delete", schedule_id)))

    assert "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO" in table and "T-1" in table
    assert [row["id"] for row in rows] == [schedule_id] and rows[0]["status"] == "active"
    assert "Skipped " in skipped and "skipped by root: stock-taking" in shown
    assert (
        paused["schedule"]["status"] == "SCHEDULE_STATUS_PAUSED"
        or paused["schedule"]["status"] == "paused"
    )
    assert not paused["upcoming"] and len(resumed["upcoming"]) == 5
    assert updated["schedule"]["time_of_day"]["hours"] == 10
    assert deleted == {"id": schedule_id, "deleted": True}
    assert "Schedules (0)" in ok(wholesale("schedules", "list"))


ACCOUNT_LINE = ("schedules", "create", "T-1", "--line", "APPLE-1L:12")
BERLIN = ("--zone", "Europe/Berlin")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((*ACCOUNT_LINE, "--every", "fortnight", *BERLIN), "is not a period"),
        ((*ACCOUNT_LINE, "--rule", "FREQ=HOURLY", *BERLIN), "FREQ must be one of"),
        ((*ACCOUNT_LINE, "--every", "week", "--zone", "Mars/Olympus"), "not an IANA time zone"),
        ((*ACCOUNT_LINE, "--every", "week", *BERLIN, "--lead", "soon"), "is not a lead time"),
        ((*ACCOUNT_LINE, "--every", "week", *BERLIN, "--at", "9am"), "is not a time of day"),
        ((*ACCOUNT_LINE, "--every", "week"), "give the account's time zone"),
        ((*ACCOUNT_LINE, *BERLIN), "give the rule"),
        ((*ACCOUNT_LINE, "--every", "week", "--rule", "FREQ=DAILY", *BERLIN), "not both"),
        (
            ("schedules", "create", "T-1", "--line", "APPLE-1L", "--every", "week", *BERLIN),
            "is not SKU:QTY",
        ),
        (
            ("schedules", "create", "T-1", "--line", "NOPE:1", "--every", "week", *BERLIN),
            "no product 'NOPE'",
        ),
        (
            ("schedules", "create", "T-1", "--line", "APPLE-1L:0", "--every", "week", *BERLIN),
            "Invalid value for --line: 'APPLE-1L:0': the quantity must be 1 to",
        ),
    ],
)
def test_mistakes_are_refused_saying_what_to_fix(
    wholesale: Run,  # noqa: F811
    account: str,
    args: tuple[str, ...],
    says: str,
) -> None:
    line = refused(wholesale(*args))
    assert line.startswith("error: ") and says in line
