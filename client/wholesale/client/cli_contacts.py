"""``wholesale accounts contacts ...`` and ``wholesale accounts address``: the people at a
retailer, and where to bill and ship.

The API has no call per contact or address: they are fields of the account, written
whole by UpdateAccount. So every command here reads the account, edits its copy, and
writes the field back with the etag it read; if someone changed the account in between,
the server refuses the write (exit 5) rather than let one edit silently undo the other.
The server validates what is written; its verdict on a field comes back under the option
the person typed (``--email: must be ...``), not the field path of the request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import click

from wholesale.client import errors
from wholesale.client.cli_common import (
    EXIT_CONFLICT,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    Session,
    apply_options,
    given_options,
    pass_session,
)
from wholesale.client.cli_keys import find_account
from wholesale.client.cli_output import print_json, print_message, print_rows
from wholesale.client.cli_values import message_values, short_enum_name
from wholesale.client.client import Client
from wholesale.client.values import enum_value
from wholesale.v1.account_pb2 import Account, Address, Contact, ContactRole

ROLES = tuple(
    short_enum_name(name, "ContactRole") for name, number in ContactRole.items() if number
)
ADDRESS_KINDS = ("billing", "shipping")
CONTACT_COLUMNS = ("number", *(field.name for field in Contact.DESCRIPTOR.fields))
# The option of each Contact and Address field, to name in the server's verdicts.
CONTACT_OPTIONS = {name: f"--{name}" for name in ("name", "role", "email", "phone", "primary")}
ADDRESS_OPTIONS = {
    "lines": "--line",
    "postal_code": "--postal-code",
    "locality": "--locality",
    "administrative_area": "--region",
    "country_code": "--country",
}
ACCOUNT_ARGUMENT = click.argument("account_key", metavar="ACCOUNT")
CONTACT_ARGUMENT = click.argument("contact_key", metavar="CONTACT")
KEYS_HELP = (
    "ACCOUNT is its id (42) or ERP id (ERP-000042); CONTACT is the contact's e-mail "
    "address or its number in `wholesale accounts contacts list ACCOUNT`."
)
PRIMARY_HELP = "The primary contact of its role; the one before stops being primary."


class InvalidInput(click.ClickException):
    exit_code = EXIT_USAGE


class ContactNotFound(click.ClickException):
    exit_code = EXIT_NOT_FOUND


class ChangedMeanwhile(click.ClickException):
    exit_code = EXIT_CONFLICT


@click.group("contacts")
def contacts() -> None:
    """The people at a retailer: buyer, owner, accounts payable, other. Each role has at
    most one primary contact."""


@contacts.command("list", help=f"List an account's contacts, numbered. {KEYS_HELP}")
@ACCOUNT_ARGUMENT
@pass_session
def list_contacts(session: Session, account_key: str) -> None:
    with session.connect() as client:
        account = find_account(client, account_key)
    print_contacts(account, session.output)


@contacts.command("add", help=f"Add a contact to an account. {KEYS_HELP}")
@ACCOUNT_ARGUMENT
@apply_options(
    (
        click.option("--name", required=True, help="Full name."),
        click.option("--role", required=True, type=click.Choice(ROLES, case_sensitive=False)),
        click.option("--email", help="E-mail address."),
        click.option("--phone", help="Phone number in any common notation."),
        click.option("--primary", is_flag=True, help=PRIMARY_HELP),
    )
)
@pass_session
def add_contact(session: Session, account_key: str, **fields: Any) -> None:
    with session.connect() as client:
        account = find_account(client, account_key)
        contact = account.contacts.add()
        _change_contact(contact, given_options(fields))
        updated = _save_contacts(client, account, len(account.contacts) - 1)
    print_contacts(updated, session.output, f"added {contact.name}")


@contacts.command("update", help=f"Change the given fields of a contact. {KEYS_HELP}")
@ACCOUNT_ARGUMENT
@CONTACT_ARGUMENT
@apply_options(
    (
        click.option("--name", help="Full name."),
        click.option("--role", type=click.Choice(ROLES, case_sensitive=False)),
        click.option("--email", help='E-mail address; "" removes it.'),
        click.option("--phone", help='Phone number in any common notation; "" removes it.'),
        click.option("--primary/--not-primary", default=None, help=PRIMARY_HELP),
    )
)
@pass_session
def update_contact(session: Session, account_key: str, contact_key: str, **fields: Any) -> None:
    changes = given_options(fields)
    if not changes:
        raise click.UsageError("nothing to change: give at least one option such as --email")
    with session.connect() as client:
        account = find_account(client, account_key)
        index = contact_index(account, contact_key)
        _change_contact(account.contacts[index], changes)
        updated = _save_contacts(client, account, index)
    name = updated.contacts[index].name
    print_contacts(updated, session.output, f"updated {name}")


@contacts.command("remove", help=f"Remove a contact from an account. {KEYS_HELP}")
@ACCOUNT_ARGUMENT
@CONTACT_ARGUMENT
@pass_session
def remove_contact(session: Session, account_key: str, contact_key: str) -> None:
    with session.connect() as client:
        account = find_account(client, account_key)
        index = contact_index(account, contact_key)
        name = account.contacts[index].name
        del account.contacts[index]
        updated = _save(client, account, {"contacts": list(account.contacts)}, {})
    print_contacts(updated, session.output, f"removed {name}")


def contact_index(account: Account, key: str) -> int:
    """The position of the contact ``key`` names: its number in the list (from 1), or its
    e-mail address in any case, which must then belong to that contact alone."""
    if key.isdigit() and 1 <= int(key) <= len(account.contacts):
        return int(key) - 1
    matches = [i for i, c in enumerate(account.contacts) if c.email.lower() == key.lower()]
    if len(matches) > 1:
        raise InvalidInput(
            f"{len(matches)} contacts of account {account.id} have the e-mail address {key}: "
            f"give the number of one from `wholesale accounts contacts list {account.id}`"
        )
    if not matches:
        raise ContactNotFound(
            f"account {account.id} has no contact {key!r}: give an e-mail address or a number "
            f"from `wholesale accounts contacts list {account.id}`"
        )
    return matches[0]


def _change_contact(contact: Contact, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        if name == "role":
            value = enum_value(ContactRole, "CONTACT_ROLE_", value)
        setattr(contact, name, value)


def _save_contacts(client: Client, account: Account, index: int) -> Account:
    """Saves the contacts after an edit of the one at ``index``, whose options are the ones
    the person typed."""
    _make_only_primary(account, index)
    options = {f"contacts[{index}].{name}": option for name, option in CONTACT_OPTIONS.items()}
    return _save(client, account, {"contacts": list(account.contacts)}, options)


def _make_only_primary(account: Account, index: int) -> None:
    """A contact made primary takes over from the primary of its role, since the server
    allows one per role; says so on stderr, as nobody asked for that change by name."""
    chosen = account.contacts[index]
    if not chosen.primary:
        return
    for other in account.contacts:
        if other is not chosen and other.primary and other.role == chosen.role:
            other.primary = False
            role = short_enum_name(ContactRole.Name(other.role), "ContactRole")
            click.echo(f"{other.name} is no longer the primary {role}", err=True)


@click.command("address")
@ACCOUNT_ARGUMENT
@click.argument("kind", metavar="billing|shipping", type=click.Choice(ADDRESS_KINDS))
@apply_options(
    (
        click.option("--line", "lines", multiple=True, help="Street line; repeat for up to 4."),
        click.option("--postal-code", help="Postal or ZIP code."),
        click.option("--locality", help="City or town."),
        click.option("--region", "administrative_area", help="State, province or county."),
        click.option("--country", "country_code", help="ISO 3166-1 alpha-2 code such as DE."),
        click.option("--clear", is_flag=True, help="Remove the address."),
    )
)
@pass_session
def address(session: Session, account_key: str, kind: str, clear: bool, **parts: Any) -> None:
    """Change the given parts of an account's billing or shipping address (--line replaces
    every line), or remove it with --clear. ACCOUNT is its id (42) or ERP id (ERP-000042)."""
    changes = given_options(parts)
    if clear == bool(changes):
        raise click.UsageError(
            "give --clear alone, or the parts to change: --line, --postal-code, --locality, "
            "--region, --country"
        )
    field = f"{kind}_address"
    with session.connect() as client:
        account = find_account(client, account_key)
        edited = getattr(account, field)
        if clear:
            edited.Clear()
        else:
            _change_address(edited, changes)
        options = {f"{field}.{name}": option for name, option in ADDRESS_OPTIONS.items()}
        updated = _save(client, account, {field: edited}, options)
    if clear and session.output == "table":  # a table of blanks would say it less clearly
        click.echo(f"removed the {kind} address of account {updated.id}")
        return
    title = f"{kind.capitalize()} address of account {updated.id}"
    print_message(getattr(updated, field), session.output, title)


def _change_address(edited: Address, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        if name == "lines":
            edited.ClearField("lines")
            edited.lines.extend(value)
        else:
            setattr(edited, name, value.upper() if name == "country_code" else value)


def _save(
    client: Client, account: Account, changes: Mapping[str, Any], options: Mapping[str, str]
) -> Account:
    """Writes ``changes`` unless the account changed since it was read. ``options`` maps
    the field paths of what the person typed to the options they typed it with."""
    try:
        return client.update_account(account.id, etag=account.etag, **changes)
    except errors.Aborted as exc:
        raise ChangedMeanwhile(
            f"account {account.id} was changed by someone else while this command ran; "
            "nothing was saved: run the command again"
        ) from exc
    except errors.InvalidArgument as exc:
        if not exc.field_violations:
            raise
        problems = [f"{_option(path, options)}: {text}" for path, text in exc.field_violations]
        raise InvalidInput("; ".join(problems)) from exc


def _option(path: str, options: Mapping[str, str]) -> str:
    """``--email`` for ``account.contacts[2].email``; a path with no option of its own (a
    list's size, a field the person did not type) stays the API's name for it."""
    field = path.removeprefix("account.")
    return options.get(re.sub(r"\[\d+\]$", "", field), field)


def print_contacts(account: Account, fmt: str, done: str = "") -> None:
    """The contacts with the numbers that name them on the command line; ``done`` says in
    the table's title what the command did."""
    numbered = list(enumerate(account.contacts, start=1))
    rows = [{"number": number, **message_values(c)} for number, c in numbered]
    if fmt == "json":
        print_json(rows)
    else:
        title = f"Contacts of account {account.id}" + (f": {done}" if done else "")
        print_rows(rows, fmt, CONTACT_COLUMNS, title)
