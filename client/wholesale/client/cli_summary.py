"""``wholesale accounts summary ID``: what an account bought and how it pays, at a glance."""

from __future__ import annotations

import datetime as dt

import click

from wholesale.client.cli_common import DATE, Session, as_date, pass_session
from wholesale.client.cli_keys import account_id, account_named
from wholesale.client.cli_output import (
    date_text,
    flatten,
    message_json,
    money_text,
    print_fields,
    print_json,
    print_record,
    print_rows,
)
from wholesale.v1.order_service_pb2 import AccountSummary, SpendShare

# The top lists: field, the table's key column and its columns, and its title.
SHARE_TABLES = (
    ("top_skus", "sku", ("sku", "name", "quantity", "spend"), "Top SKUs, last 365 days"),
    ("top_categories", "category", ("category", "quantity", "spend"), "Top categories"),
)
SHARES = tuple(table[0] for table in SHARE_TABLES)
DAY_COUNTS = ("median_days_between_orders", "average_days_paid_late")


def _days(value: float) -> str:
    """Day counts to a tenth: 7 rather than 7.0, 12.3 rather than 12.333333."""
    return f"{round(value, 1):g}"


def _window_figures(summary: AccountSummary) -> dict[str, str]:
    figures = {}
    for window in summary.windows:
        figures[f"orders_{window.days}d"] = str(window.order_count)
        figures[f"spend_{window.days}d"] = money_text(window.spend)
    return figures


def _shares_text(shares: list[SpendShare]) -> str:
    return "; ".join(f"{share.key} ({money_text(share.spend)})" for share in shares)


def summary_figures(summary: AccountSummary) -> dict[str, str]:
    """Every figure as one flat record (a CSV row): windows as orders_30d, spend_30d, ...,
    and the top lists as "KEY (spend); ..."."""
    values = flatten(summary)
    head = {key: values.pop(key) for key in ("account_id", "as_of_date", "currency_code")}
    del values["windows"]
    values.update({key: _days(getattr(summary, key)) for key in DAY_COUNTS})
    values.update({key: _shares_text(getattr(summary, key)) for key in SHARES})
    return {**head, **_window_figures(summary), **values}


def _share_rows(shares: list[SpendShare], key_column: str) -> list[dict[str, str]]:
    return [
        {
            key_column: s.key,
            "name": s.name,
            "quantity": str(s.quantity),
            "spend": money_text(s.spend),
        }
        for s in shares
    ]


def _print_tables(summary: AccountSummary, figures: dict[str, str]) -> None:
    """The figures, then the windows and each top list as tables of their own."""
    windows = [
        {"window": f"{w.days} days", "orders": str(w.order_count), "spend": money_text(w.spend)}
        for w in summary.windows
    ]
    shown = {
        key: value
        for key, value in figures.items()
        if key not in SHARES and key not in _window_figures(summary)
    }
    title = f"Summary of {account_named(summary)} as of {date_text(summary.as_of_date)}"
    print_fields(shown, title)
    print_rows(windows, "table", ["window", "orders", "spend"], "Trailing windows")
    for field_name, key_column, columns, table_title in SHARE_TABLES:
        rows = _share_rows(list(getattr(summary, field_name)), key_column)
        print_rows(rows, "table", columns, table_title)


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
    figures = summary_figures(summary)
    if session.output == "table":
        _print_tables(summary, figures)
    elif session.output == "json":
        print_json(message_json(summary))
    else:
        print_record(figures, session.output, "")
