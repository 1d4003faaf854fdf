"""``wholesale orders``: the ERP's order history of the accounts (``orders import`` is in
:mod:`wholesale.client.cli_import`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from wholesale.client.cli_common import (
    DATE,
    LIMIT_OPTIONS,
    Session,
    api_filter,
    check_period,
    first_results,
    pass_session,
    quoted,
    quoted_day,
)
from wholesale.client.cli_import import import_orders
from wholesale.client.cli_keys import account_id, find_order
from wholesale.client.cli_output import ORDER_COLUMNS, print_message, print_messages
from wholesale.v1.order_pb2 import Order, OrderLine

STATUSES = ("placed", "fulfilled", "cancelled", "returned")


@click.group()
def orders() -> None:
    """Orders recorded from the ERP."""


orders.add_command(import_orders)


def _line_count(order: Any) -> dict[str, int]:
    return {"line_count": len(order.lines)}


@orders.command("list")
@click.option("--account", "account_key", help="Account id or ERP id.")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False))
@click.option("--since", type=DATE, metavar="YYYY-MM-DD", help="Ordered on or after this day.")
@click.option("--until", type=DATE, metavar="YYYY-MM-DD", help="Ordered on or before this day.")
@LIMIT_OPTIONS
@pass_session
def list_orders(
    session: Session,
    account_key: str | None,
    status: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    everything: bool,
) -> None:
    """List orders, newest first (your accounts' only, if you are an account manager)."""
    check_period(since, until)
    with session.connect() as client:
        query = api_filter(
            ("account_id", "=", quoted(account_key and account_id(client, account_key))),
            ("status", "=", status and status.upper()),
            ("order_date", ">=", quoted_day(since)),
            ("order_date", "<=", quoted_day(until)),
        )
        shown = first_results(
            lambda page_size: client.list_orders(filter=query, page_size=page_size),
            limit,
            everything,
        )
        print_messages(
            shown.items,
            Order,
            session.output,
            shown.title("Orders"),
            ORDER_COLUMNS,
            extras=_line_count,
        )
    shown.hint()


@orders.command("show")
@click.argument("order_key", metavar="ORDER")
@pass_session
def show_order(session: Session, order_key: str) -> None:
    """Show one order and its lines (as CSV: one row per line).

    ORDER is the service's order id or the ERP's order number (SO-1001)."""
    with session.connect() as client:
        order = find_order(client, order_key)
    title = f"Order {order.id} ({order.external_id})"
    if session.output == "csv":
        print_messages(order.lines, OrderLine, "csv", title)
        return
    print_message(order, session.output, title, omit=("lines",))
    if session.output == "table":
        print_messages(order.lines, OrderLine, "table", f"Lines ({len(order.lines)})")
