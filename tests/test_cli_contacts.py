"""``wholesale accounts contacts ...`` and ``wholesale accounts address`` as users run them:
the CLI as a subprocess against a live server, its effect read back through the account,
the audit log, and the client library."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from conftest import RunningServer
from support.rpc_proxy import rpc_proxy
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)
from test_cli_history import admin, ok, rows_of  # noqa: F401 (fixtures)

from wholesale.client import Client
from wholesale.v1.account_pb2 import Account, Address, ContactRole

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOAH, OLGA = "noah@corner.example", "olga@corner.example"


@pytest.fixture
def shop(admin: Client) -> Account:  # noqa: F811
    """ERP-7 with a primary buyer, Noah, and a primary accounts payable contact, Olga."""
    return admin.create_account(
        legal_name="Corner Shop GmbH",
        currency_code="EUR",
        external_id="ERP-7",
        contacts=[
            {"name": "Noah Buyer", "role": "buyer", "email": NOAH, "primary": True},
            {"name": "Olga Payer", "role": "accounts_payable", "email": OLGA, "primary": True},
        ],
    )


def contacts_of(admin: Client, account: Account) -> list[tuple[str, str, str, str, bool]]:  # noqa: F811
    """(name, role, email, phone, primary) of each contact, as the server has them."""
    return [
        (
            c.name,
            ContactRole.Name(c.role).removeprefix("CONTACT_ROLE_"),
            c.email,
            c.phone,
            c.primary,
        )
        for c in admin.get_account(account.id).contacts
    ]


def audit_trail(wholesale: Run, account_key: str) -> list[tuple[str, list[str]]]:  # noqa: F811
    """(action, changed fields) of the account's audit events, newest first."""
    events = json.loads(ok(wholesale("-o", "json", "audit", "list", "--resource", account_key)))
    return [(event["action"], event["changed_fields"]) for event in events]


def test_contacts_are_added_updated_and_removed_by_id_or_erp_id_and_number_or_email(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    shop: Account,
) -> None:
    added = wholesale(
        "-o", "json", "accounts", "contacts", "add", "ERP-7", "--name", "Jane Roe",
        "--role", "owner", "--email", "jane@corner.example", "--phone", "+49 30 1234",
    )  # fmt: skip
    numbered = [(c["number"], c["name"]) for c in json.loads(ok(added))]
    assert numbered == [(1, "Noah Buyer"), (2, "Olga Payer"), (3, "Jane Roe")]

    for command in (
        ("update", shop.id, "JANE@corner.example", "--name", "Jane Roe-Smith", "--phone", "+49 1"),
        ("update", "ERP-7", "2", "--email", ""),
        ("remove", shop.id, NOAH),
    ):
        ok(wholesale("accounts", "contacts", *command))

    assert contacts_of(admin, shop) == [
        ("Olga Payer", "ACCOUNTS_PAYABLE", "", "", True),
        ("Jane Roe-Smith", "OWNER", "jane@corner.example", "+49 1", False),
    ]
    shown = json.loads(ok(wholesale("-o", "json", "accounts", "show", "ERP-7")))
    assert [(c["name"], c["email"]) for c in shown["contacts"]] == [
        ("Olga Payer", ""),
        ("Jane Roe-Smith", "jane@corner.example"),
    ]
    trail = audit_trail(wholesale, "ERP-7")
    assert trail[:4] == [("UpdateAccount", ["contacts"])] * 4
    assert [action for action, _ in trail[4:]] == ["CreateAccount"]


def test_contacts_list_numbers_them_in_table_json_and_csv(
    wholesale: Run,  # noqa: F811
    shop: Account,
) -> None:
    table = ok(wholesale("accounts", "contacts", "list", "ERP-7"))
    as_json = json.loads(ok(wholesale("-o", "json", "accounts", "contacts", "list", shop.id)))
    as_csv = rows_of(ok(wholesale("accounts", "contacts", "list", shop.id, "-o", "csv")))

    assert f"Contacts of account {shop.id}" in table
    assert "Noah Buyer" in table and OLGA in table
    assert [(c["number"], c["name"], c["email"]) for c in as_json] == [
        (1, "Noah Buyer", NOAH),
        (2, "Olga Payer", OLGA),
    ]
    assert list(as_csv[0]) == ["number", "name", "role", "email", "phone", "primary"]
    assert [(row["number"], row["name"]) for row in as_csv] == [
        ("1", "Noah Buyer"),
        ("2", "Olga Payer"),
    ]


def test_a_contact_made_primary_takes_over_from_the_primary_of_its_own_role_only(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    shop: Account,
) -> None:
    added = wholesale(
        "accounts", "contacts", "add", "ERP-7", "--name", "Max New", "--role", "buyer",
        "--primary",
    )  # fmt: skip
    ok(added)
    assert added.stderr == "Noah Buyer is no longer the primary buyer\n"
    assert [(name, primary) for name, _, _, _, primary in contacts_of(admin, shop)] == [
        ("Noah Buyer", False),
        ("Olga Payer", True),
        ("Max New", True),
    ]

    moved = wholesale("accounts", "contacts", "update", shop.id, OLGA, "--role", "buyer")
    ok(moved)
    assert moved.stderr == "Max New is no longer the primary buyer\n"
    assert [(name, role, primary) for name, role, _, _, primary in contacts_of(admin, shop)] == [
        ("Noah Buyer", "BUYER", False),
        ("Olga Payer", "BUYER", True),
        ("Max New", "BUYER", False),
    ]


def test_an_address_is_set_changed_in_part_and_cleared(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    shop: Account,
) -> None:
    billing = wholesale(
        "-o", "json", "accounts", "address", "ERP-7", "billing", "--line", "Hauptstr. 1",
        "--line", "Hinterhaus", "--postal-code", "10115", "--locality", "Berlin",
        "--region", "Berlin", "--country", "de",
    )  # fmt: skip
    assert json.loads(ok(billing)) == {
        "lines": ["Hauptstr. 1", "Hinterhaus"],
        "locality": "Berlin",
        "administrative_area": "Berlin",
        "postal_code": "10115",
        "country_code": "DE",
    }
    shipping = ("--line", "Lager 3", "--postal-code", "20095", "--locality", "Hamburg")
    ok(wholesale("accounts", "address", shop.id, "shipping", *shipping, "--country", "DE"))
    ok(wholesale("accounts", "address", shop.id, "billing", "--postal-code", "10117"))

    shown = json.loads(ok(wholesale("-o", "json", "accounts", "show", shop.id)))
    assert (shown["billing_address"]["lines"], shown["billing_address"]["postal_code"]) == (
        ["Hauptstr. 1", "Hinterhaus"],
        "10117",
    )
    assert shown["shipping_address"]["locality"] == "Hamburg"

    cleared = wholesale("accounts", "address", "ERP-7", "billing", "--clear")
    assert ok(cleared) == f"removed the billing address of account {shop.id}\n"
    account = admin.get_account(shop.id)
    assert account.billing_address == Address()
    assert list(account.shipping_address.lines) == ["Lager 3"]
    assert audit_trail(wholesale, shop.id)[:4] == [
        ("UpdateAccount", ["billing_address"]),
        ("UpdateAccount", ["billing_address"]),
        ("UpdateAccount", ["shipping_address"]),
        ("UpdateAccount", ["billing_address"]),
    ]


@pytest.mark.parametrize(
    ("command", "saved"),
    [
        (
            ("contacts", "add", "ERP-7", "--name", "Jane Roe", "--role", "owner"),
            lambda account: [c.name for c in account.contacts][-1] == "Jane Roe",
        ),
        (
            ("address", "ERP-7", "shipping", "--locality", "Hamburg", "--country", "DE"),
            lambda account: account.shipping_address.locality == "Hamburg",
        ),
    ],
    ids=["contact", "address"],
)
def test_a_change_made_between_the_read_and_the_write_is_refused_and_nothing_is_lost(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    running_server: RunningServer,
    shop: Account,
    command: tuple[str, ...],
    saved: Callable[[Account], bool],
) -> None:
    def someone_else_changes_the_region() -> None:
        admin.update_account(shop.id, region="North")

    before = {"UpdateAccount": someone_else_changes_the_region}
    with rpc_proxy(running_server.target, before) as proxy:
        refused = wholesale("accounts", *command, WHOLESALE_SERVER=proxy)
        between = admin.get_account(shop.id)
        retried = wholesale("accounts", *command, WHOLESALE_SERVER=proxy)

    assert (refused.returncode, refused.stdout) == (5, "")
    assert refused.stderr == (
        f"error: account {shop.id} was changed by someone else while this command ran; "
        "nothing was saved: run the command again\n"
    )
    assert between.region == "North" and not saved(between)
    ok(retried)
    after = admin.get_account(shop.id)
    assert after.region == "North" and saved(after)


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (
            ("contacts", "add", "ERP-7", "--name", "J", "--role", "owner", "--email", "j.example"),
            2,
            "error: --email: must be an e-mail address such as buyer@example.com",
        ),
        (
            ("contacts", "update", "ERP-7", "1", "--email", "noah@", "--name", " "),
            2,
            "error: --name: required; --email: must be an e-mail address such as",
        ),
        (
            ("address", "ERP-7", "billing", "--line", "Hauptstr. 1"),
            2,
            "error: --country: required: an ISO 3166-1 alpha-2 code such as DE",
        ),
        (
            ("address", "ERP-7", "billing", *("--line", "x") * 5, "--country", "DE"),
            2,
            "error: --line: at most 4",
        ),
        (("contacts", "update", "ERP-7", "1"), 2, "error: nothing to change"),
        (("address", "ERP-7", "billing"), 2, "error: give --clear alone, or the parts"),
        (
            ("address", "ERP-7", "billing", "--clear", "--locality", "Berlin"),
            2,
            "error: give --clear alone, or the parts",
        ),
        (("contacts", "add", "ERP-7", "--name", "Jane"), 2, "error: Missing option '--role'"),
        (
            ("contacts", "update", "ERP-7", "3", "--phone", "1"),
            3,
            "has no contact '3': give an e-mail address or a number from",
        ),
        (("contacts", "remove", "ERP-7", "nobody@corner.example"), 3, "has no contact"),
        (("contacts", "list", "ERP-404"), 3, "error: account 'ERP-404' not found"),
    ],
    ids=[
        "bad-email",
        "two-fields",
        "no-country",
        "five-lines",
        "nothing-to-change",
        "no-address-parts",
        "clear-and-parts",
        "no-role",
        "no-such-number",
        "no-such-email",
        "no-such-account",
    ],
)
def test_bad_input_is_one_line_naming_the_option_and_writes_nothing(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    shop: Account,
    args: tuple[str, ...],
    exit_code: int,
    expected: str,
) -> None:
    result = wholesale("accounts", *args)

    assert (result.returncode, result.stdout) == (exit_code, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and expected in line
    assert admin.get_account(shop.id).etag == shop.etag


def test_an_email_two_contacts_share_names_neither_and_the_number_is_asked_for(
    wholesale: Run,  # noqa: F811
    admin: Client,  # noqa: F811
    shop: Account,
) -> None:
    admin.update_account(
        shop.id, contacts=[*shop.contacts, {"name": "Noah Two", "role": "other", "email": NOAH}]
    )

    ambiguous = wholesale("accounts", "contacts", "remove", "ERP-7", NOAH)
    assert ambiguous.returncode == 2
    assert ambiguous.stderr == (
        f"error: 2 contacts of account {shop.id} have the e-mail address {NOAH}: give the "
        f"number of one from `wholesale accounts contacts list {shop.id}`\n"
    )
    ok(wholesale("accounts", "contacts", "remove", "ERP-7", "3"))
    assert [name for name, *_ in contacts_of(admin, shop)] == ["Noah Buyer", "Olga Payer"]
