"""``wholesale``: the account managers' command line, built on :class:`wholesale.client.Client`.

Errors end the command with one ``error: ...`` line on stderr and an exit code that tells
scripts what kind of failure it was (see ``EXIT_CODES`` and ``wholesale --help``).
This module holds the root group, accounts and audit; the other groups (products, orders,
credit, price, pricelists, tiers, config, ``accounts summary``, contacts and addresses) live
in the ``cli_*`` modules it assembles.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import click
from click.core import ParameterSource

from wholesale.client import errors
from wholesale.client.cli_catalog import products
from wholesale.client.cli_common import (
    DATE,
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_CLOSED,
    EXIT_USAGE,
    LIMIT_OPTIONS,
    Session,
    accept_output_option,
    api_filter,
    apply_options,
    check_period,
    decimal_option,
    filter_text,
    first_results,
    given_options,
    pass_session,
    quoted,
    quoted_day,
    shortened,
    upper_option,
)
from wholesale.client.cli_config import (
    DEFAULTS,
    ENVIRONMENT,
    OUTPUT_FORMATS,
    config_path,
    load_config,
    resolve,
)
from wholesale.client.cli_contacts import address, contacts
from wholesale.client.cli_credit import credit
from wholesale.client.cli_keys import account_id, find_account
from wholesale.client.cli_orders import orders
from wholesale.client.cli_output import ACCOUNT_COLUMNS, print_message, print_messages
from wholesale.client.cli_pricelists import pricelists
from wholesale.client.cli_pricing import price
from wholesale.client.cli_schedules import schedules
from wholesale.client.cli_settings import config
from wholesale.client.cli_summary import account_summary
from wholesale.client.cli_tiers import tiers
from wholesale.v1 import (
    account_service_pb2,
    catalog_service_pb2,
    order_service_pb2,
    pricing_service_pb2,
    tier_service_pb2,
)
from wholesale.v1.account_pb2 import Account
from wholesale.v1.audit_service_pb2 import AuditEvent

HINTS: dict[type[errors.WholesaleError], str] = {
    errors.Unauthenticated: "check --token, WHOLESALE_TOKEN or `wholesale config set token`",
    errors.Unavailable: "is the server running? check --server, WHOLESALE_SERVER or the config",
}
EPILOG = """\b
Settings: a flag wins over its environment variable, which wins over the
config file (see `wholesale config show`), which wins over the default.

\b
Exit codes:
    0  success
    1  any other error
    2  invalid usage or invalid input (the message names each field)
    3  not found: account, product, order, price list, rule or saved quote
    4  missing or invalid token, or not allowed for your role
    5  conflict: external id taken, changed by someone else, or wrong state
    6  server unreachable or too slow
    7  `orders import` or `pricelists import` rejected some rows (see the rejects file)
    8  `credit check` refused the credit (the output says why)
  130  interrupted (Ctrl-C or SIGTERM)
  141  stdout closed before the output ended (`| head`): the command stopped
"""
# A word of an error message longer than this is a value echoed back, shown shortened; a
# message longer than MAX_MESSAGE (many words of one) is cut.
LONG_WORD, MAX_MESSAGE = 200, 2000
# The calls the audit log records: every method that changes something (the others only
# read), and the server's operator tasks.
AUDITED_ACTIONS = (
    *(
        method.name
        for module in (
            account_service_pb2,
            catalog_service_pb2,
            order_service_pb2,
            pricing_service_pb2,
            tier_service_pb2,
        )
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
        if not method.name.startswith(("Get", "List", "Check", "Diff"))
    ),
    "seed-demo",
)
# Statuses a person may set; CLOSED is reached only through `accounts close`.
SETTABLE_STATUSES = ("prospect", "active", "on_hold")


class OutputClosed(Exception):
    """Whoever read stdout stopped reading (``| head``). Not an OSError, which click would
    turn into exit 1 before :func:`run` could tell it from any other failure."""


class RootGroup(click.Group):
    """The root group: a closed stdout ends any command at once (no further page is
    fetched), whichever format it was printing."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise OutputClosed() from exc


@click.group(cls=RootGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--server",
    envvar=ENVIRONMENT["server"],
    show_envvar=True,
    metavar="HOST:PORT",
    help=f"Server address; default {DEFAULTS['server']}.",
)
@click.option("--token", envvar=ENVIRONMENT["token"], show_envvar=True, help="API token.")
@click.option(
    "--ca-file",
    envvar=ENVIRONMENT["ca_file"],
    show_envvar=True,
    type=click.Path(dir_okay=False),
    help="PEM certificate of the CA that signed the server's; turns on TLS.",
)
@click.option("--output", "-o", type=click.Choice(OUTPUT_FORMATS), help="Default: table.")
@click.pass_context
def cli(ctx: click.Context, **flags: str | None) -> None:
    """Manage wholesale retailer accounts and read their ERP history."""
    given = {key: (value, _source(ctx, key)) for key, value in flags.items()}
    saved = load_config(config_path())
    for warning in saved.warnings():
        click.echo(warning, err=True)
    ctx.obj = Session(resolve(given, saved), saved)


def _source(ctx: click.Context, key: str) -> str:
    return "env" if ctx.get_parameter_source(key) is ParameterSource.ENVIRONMENT else "flag"


ACCOUNT_FIELD_OPTIONS = (
    click.option("--display-name", help="Name shown to people; defaults to the legal name."),
    click.option("--external-id", help="The ERP's identifier; unique."),
    click.option("--tier", "price_tier", help="Price tier such as gold."),
    click.option("--tag", "tags", multiple=True, help="Segment tag; repeat for several."),
    click.option("--region", help="Sales region."),
    click.option("--terms-days", "payment_terms_days", type=int, help="Payment terms, 0-365."),
    click.option(
        "--credit-limit", callback=decimal_option, help="In the account's currency, e.g. 2500.00."
    ),
    click.option("--status", type=click.Choice(SETTABLE_STATUSES, case_sensitive=False)),
)


@cli.group()
def accounts() -> None:
    """Retailer accounts."""


@accounts.command("list")
@click.option("--status", type=click.Choice((*SETTABLE_STATUSES, "closed"), case_sensitive=False))
@click.option("--tier", callback=filter_text, help="Price tier.")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    callback=filter_text,
    help="Has this tag; repeat to require several.",
)
@click.option("--manager", callback=filter_text, help="Assigned account manager.")
@click.option("--region", callback=filter_text)
@click.option(
    "--search", callback=filter_text, help="Text in the legal or display name (any case)."
)
@click.option("--filter", "raw_filter", help='Extra condition in API syntax: region != "North".')
@click.option("--order-by", default="", help='display_name or create_time, optionally "desc".')
@LIMIT_OPTIONS
@click.option("--show-closed", is_flag=True, help="Include closed accounts.")
@pass_session
def list_accounts(
    session: Session,
    status: str | None,
    tier: str | None,
    tags: tuple[str, ...],
    manager: str | None,
    region: str | None,
    search: str | None,
    raw_filter: str | None,
    order_by: str,
    limit: int,
    everything: bool,
    show_closed: bool,
) -> None:
    """List accounts (yours only, if you are an account manager)."""
    query = api_filter(
        ("status", "=", status and status.upper()),
        ("price_tier", "=", quoted(tier)),
        *(("tags", ":", quoted(tag)) for tag in tags),
        ("manager", "=", quoted(manager)),
        ("region", "=", quoted(region)),
        ("name", ":", quoted(search)),
        raw=raw_filter,
    )
    with session.connect() as client:
        shown = first_results(
            lambda page_size: client.list_accounts(
                filter=query,
                order_by=order_by,
                page_size=page_size,
                show_deleted=show_closed or status == "closed",
            ),
            limit,
            everything,
        )
        print_messages(
            shown.items, Account, session.output, shown.title("Accounts"), ACCOUNT_COLUMNS
        )
    shown.hint()


@accounts.command("show")
@click.argument("account_key", metavar="ACCOUNT")
@pass_session
def show_account(session: Session, account_key: str) -> None:
    """Show every field of one account. ACCOUNT is its id (42) or ERP id (ERP-000042)."""
    with session.connect() as client:
        account = find_account(client, account_key)
    print_message(account, session.output, f"Account {account.id}")


@accounts.command("create")
@apply_options(
    (
        click.option("--legal-name", required=True, help="Registered legal name."),
        click.option(
            "--currency",
            "currency_code",
            required=True,
            callback=upper_option,
            help="ISO 4217 code such as EUR.",
        ),
        *ACCOUNT_FIELD_OPTIONS,
        click.option("--manager", help="Account manager (default: you, if you are one)."),
    )
)
@pass_session
def create_account(session: Session, **fields: Any) -> None:
    """Create an account."""
    with session.connect() as client:
        account = client.create_account(**given_options(fields))
    print_message(account, session.output, f"Created account {account.id}")


@accounts.command("update")
@click.argument("account_key", metavar="ACCOUNT")
@apply_options(
    (click.option("--legal-name", help="Registered legal name."), *ACCOUNT_FIELD_OPTIONS)
)
@pass_session
def update_account(session: Session, account_key: str, **fields: Any) -> None:
    """Change the given fields of an account; --tag replaces all tags. ACCOUNT is its id
    (42) or ERP id (ERP-000042)."""
    changes = given_options(fields)
    if not changes:
        raise click.UsageError("nothing to change: give at least one option such as --tier")
    with session.connect() as client:
        account = client.update_account(account_id(client, account_key), **changes)
    print_message(account, session.output, f"Updated account {account.id}")


@accounts.command("assign")
@click.argument("account_key", metavar="ACCOUNT")
@click.argument("manager")
@pass_session
def assign_account(session: Session, account_key: str, manager: str) -> None:
    """Hand an account to another account manager (admins and integrations). ACCOUNT is
    its id (42) or ERP id (ERP-000042)."""
    with session.connect() as client:
        account = client.assign_account(account_id(client, account_key), manager)
    print_message(account, session.output, f"Account {account.id} assigned to {manager}")


@accounts.command("close")
@click.argument("account_key", metavar="ACCOUNT")
@pass_session
def close_account(session: Session, account_key: str) -> None:
    """Close an account; it stays visible with --show-closed and can be reopened. ACCOUNT
    is its id (42) or ERP id (ERP-000042)."""
    with session.connect() as client:
        account = client.delete_account(account_id(client, account_key))
    print_message(account, session.output, f"Closed account {account.id}")


@accounts.command("reopen")
@click.argument("account_key", metavar="ACCOUNT")
@pass_session
def reopen_account(session: Session, account_key: str) -> None:
    """Reopen a closed account with the status it had before. ACCOUNT is its id (42) or
    ERP id (ERP-000042)."""
    with session.connect() as client:
        account = client.undelete_account(account_id(client, account_key))
    print_message(account, session.output, f"Reopened account {account.id}")


@cli.group()
def audit() -> None:
    """The record of every change (admins only)."""


@audit.command("list")
@click.option("--actor", callback=filter_text, help="Subject that made the change, such as alice.")
@click.option(
    "--resource",
    callback=filter_text,
    help="An account (id 42 or ERP id ERP-000042) or a resource name such as products/JUI-1L.",
)
@click.option(
    "--action",
    type=click.Choice(AUDITED_ACTIONS),
    metavar="ACTION",
    help=f"The call that made it: {', '.join(AUDITED_ACTIONS)}.",
)
@click.option("--since", type=DATE, metavar="YYYY-MM-DD", help="On or after this day (UTC).")
@click.option("--until", type=DATE, metavar="YYYY-MM-DD", help="On or before this day (UTC).")
@LIMIT_OPTIONS
@pass_session
def list_audit_events(
    session: Session,
    actor: str | None,
    resource: str | None,
    action: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    everything: bool,
) -> None:
    """List changes, newest first."""
    check_period(since, until)
    with session.connect() as client:
        if resource and "/" not in resource:
            resource = f"accounts/{account_id(client, resource)}"
        query = api_filter(
            ("actor", "=", quoted(actor)),
            ("resource", "=", quoted(resource)),
            ("action", "=", quoted(action)),
            ("event_time", ">=", quoted_day(since)),
            # --until names a whole day: events before the next midnight (UTC).
            ("event_time", "<", quoted_day(until + dt.timedelta(days=1) if until else None)),
        )
        shown = first_results(
            lambda page_size: client.list_audit_events(filter=query, page_size=page_size),
            limit,
            everything,
        )
        print_messages(shown.items, AuditEvent, session.output, shown.title("Audit events"))
    shown.hint()


accounts.add_command(account_summary, "summary")
accounts.add_command(contacts)
accounts.add_command(address)
for group in (products, orders, credit, price, pricelists, tiers, schedules, config):
    cli.add_command(group)
accept_output_option(cli)


def run(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI and returns the exit code, printing any error as a single line."""
    try:
        result = cli.main(args=argv, prog_name="wholesale", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:
        see = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _fail(exc.format_message() + see, exc.exit_code)
    except click.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code)
    except click.Abort:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except OutputClosed:
        # What's left in the buffer goes nowhere, so exiting does not fail on it again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OUTPUT_CLOSED
    except errors.WholesaleError as exc:
        hint = HINTS.get(type(exc))
        return _fail(f"{exc} ({hint})" if hint else str(exc), EXIT_CODES.get(type(exc), 1))
    except ValueError as exc:
        # The client library checks friendly values (amounts, dates, enum names) before it
        # sends anything and raises ValueError; options are checked when parsed, this is
        # the net for any value that gets past them.
        return _fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        return _fail(str(exc), 1)
    return result if isinstance(result, int) else 0


def _fail(message: str, exit_code: int) -> int:
    """One line on stderr, however long or odd the values it echoes (see shortened)."""
    words = [shortened(word) if len(word) > LONG_WORD else word for word in message.split()]
    click.echo(f"error: {shortened(' '.join(words), MAX_MESSAGE)}", err=True)
    return exit_code


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # A kill (a closed terminal, a stopped job) ends a command as Ctrl-C does: an import
    # says what is stored instead of vanishing without a word.
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(run())


if __name__ == "__main__":
    main()
