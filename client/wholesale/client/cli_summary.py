"""``wholesale accounts summary ID``: what an account bought and how it pays, at a glance."""

from __future__ import annotations

import datetime as dt

import click

from wholesale.client.cli_common import DATE, Session, as_date, pass_session
from wholesale.client.cli_keys import account_id, account_named
from wholesale.client.cli_output import (
    ACCOUNT_FIELDS,
    print_fields,
    print_json,
    print_record,
    print_rows,
)
from wholesale.client.cli_values import Record, message_values
from wholesale.v1.order_service_pb2 import AccountSummary

# The top lists: field, columns (the first names the list's key) and the table's title.
SHARE_TABLES = (
    ("top_skus", ("sku", "name", "quantity", "spend"), "Top SKUs, last 365 days"),
    ("top_categories", ("category", "quantity", "spend"), "Top categories, last 365 days"),
)
# Shown apart from the figures' table: in its title, or as tables of their own.
NOT_FIGURES = (
    *ACCOUNT_FIELDS,
    "as_of_date",
    "currency_code",
    "windows",
    "top_skus",
    "top_categories",
)


def summary_values(summary: AccountSummary) -> Record:
    """The summary as the CLI prints it: the API's fields, except that figures the API
    sends as 0 when there is nothing to measure (no cadence with fewer than two order
    dates, no lateness without a paid invoice) have no value, and that the top lists name
    their key for what it is (sku, category)."""
    values = message_values(summary)
    if summary.median_days_between_orders == 0:
        values["median_days_between_orders"] = None
    if summary.paid_invoice_count == 0:
        values["average_days_paid_late"] = None
    for field_name, columns, _ in SHARE_TABLES:
        values[field_name] = list(_shares(summary, field_name, columns))
    return values


def _shares(summary: AccountSummary, field_name: str, columns: tuple[str, ...]) -> list[Record]:
    shares = [message_values(share) for share in getattr(summary, field_name)]
    return [{columns[0]: s["key"], **{c: s[c] for c in columns[1:]}} for s in shares]


def summary_figures(values: Record, summary: AccountSummary) -> Record:
    """The values as one flat record (a CSV row), the windows as orders_30d, spend_30d, ..."""
    figures: Record = {}
    for key, value in values.items():
        if key == "windows":
            for window in summary.windows:
                window_values = message_values(window)
                figures[f"orders_{window.days}d"] = window_values["order_count"]
                figures[f"spend_{window.days}d"] = window_values["spend"]
        else:
            figures[key] = value
    return figures


def _print_tables(summary: AccountSummary, values: Record) -> None:
    """The figures, then the windows and each top list as tables of their own."""
    title = f"Summary of {account_named(summary)} as of {values['as_of_date']}"
    print_fields({key: value for key, value in values.items() if key not in NOT_FIGURES}, title)
    windows = [
        {"window": f"{window.days} days", **message_values(window)} for window in summary.windows
    ]
    print_rows(windows, "table", ["window", "order_count", "spend"], "Trailing windows")
    for field_name, columns, table_title in SHARE_TABLES:
        print_rows(_shares(summary, field_name, columns), "table", columns, table_title)


@click.command("summary")
@click.argument("account_key", metavar="ACCOUNT")
@click.option(
    "--as-of", type=DATE, metavar="YYYY-MM-DD", help="Judge as of this day; default today."
)
@pass_session
def account_summary(session: Session, account_key: str, as_of: dt.datetime | None) -> None:
    """Spend over the last 30/90/365 days, lifetime figures, order cadence, top SKUs and
    categories, and balances of one account. ACCOUNT is its id (42) or ERP id
    (ERP-000042)."""
    with session.connect() as client:
        summary = client.get_account_summary(account_id(client, account_key), as_date(as_of))
    values = summary_values(summary)
    if session.output == "table":
        _print_tables(summary, values)
    elif session.output == "json":
        print_json(values)
    else:
        print_record(summary_figures(values, summary), session.output, "")
