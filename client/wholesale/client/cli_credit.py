"""``wholesale credit check ID AMOUNT``: may this account buy this much on credit now?"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from wholesale.client.cli_common import (
    DATE,
    EXIT_REFUSED,
    Session,
    as_date,
    parse_decimal,
    pass_session,
)
from wholesale.client.cli_keys import account_id, account_named
from wholesale.client.cli_output import ACCOUNT_FIELDS, print_fields, print_message
from wholesale.client.cli_values import message_values
from wholesale.v1.order_service_pb2 import CheckCreditResponse


@click.group()
def credit() -> None:
    """Credit decisions."""


def _print_table(response: CheckCreditResponse) -> None:
    """The decision in the title, which names the account, and the figures below it."""
    values = message_values(response)
    decision = "APPROVED" if response.approved else f"REFUSED ({values['reason']})"
    figures = {key: value for key, value in values.items() if key not in ACCOUNT_FIELDS}
    print_fields(figures, f"Credit for {account_named(response)}: {decision}")


def amount_argument(ctx: click.Context, param: click.Parameter, value: str) -> Decimal:
    """Click callback for AMOUNT: written plainly (not 1e3, +5 or " 5 ") and above zero, as
    the server requires; a negative one arrives here, not as an unknown option, because
    the command ignores unknown options."""
    amount = parse_decimal(value)
    if amount <= 0:
        raise click.BadParameter(f"{value!r}: amount must be positive")
    return amount


@credit.command("check", context_settings={"ignore_unknown_options": True})
@click.argument("account_key", metavar="ACCOUNT")
@click.argument("amount", callback=amount_argument)
@click.option(
    "--as-of", type=DATE, metavar="YYYY-MM-DD", help="Judge as of this day; default today."
)
@pass_session
def check_credit(
    session: Session, account_key: str, amount: Decimal, as_of: dt.datetime | None
) -> int:
    """Whether the account may place an order of AMOUNT (in its currency) on credit: the
    decision, the reason and the figures (limit, outstanding, overdue past the grace days).
    ACCOUNT is its id (42) or ERP id (ERP-000042).

    Exit code 0 when approved, 8 when refused.
    """
    with session.connect() as client:
        response = client.check_credit(account_id(client, account_key), amount, as_date(as_of))
    if session.output == "table":
        _print_table(response)
    else:
        print_message(response, session.output, "")
    return 0 if response.approved else EXIT_REFUSED
