"""How a command-line argument names an account or an order: by the service's id (``42``)
or by the ERP's id (``ERP-000042``, ``SO-1001``), whichever the person has at hand.

The service's ids are decimal numbers, so a number is tried as an id first and then as an
ERP id (an ERP may number its accounts too); anything else is an ERP id. A key found
neither way is reported as the server reported the last lookup: "account 'X' not found".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from wholesale.client.cli_common import shortened
from wholesale.client.client import Client
from wholesale.client.errors import NotFound
from wholesale.v1.account_pb2 import Account
from wholesale.v1.order_pb2 import Order

T = TypeVar("T")
MAX_KEY = 100  # the longest ERP id the API stores; the service's ids are shorter


def _by_either_id(key: str, by_id: Callable[[], T], by_erp_id: Callable[[], T], named: str) -> T:
    if not key.strip():  # the API would say which of its fields is required, not what to type
        raise ValueError(f"give {named}")
    if len(key) > MAX_KEY:  # the API would echo it clipped, without saying how long it was
        raise ValueError(
            f"'{shortened(key)}' is not {named}: those are at most {MAX_KEY} characters"
        )
    if key.isdigit():
        try:
            return by_id()
        except NotFound:
            pass
    return by_erp_id()


def find_account(client: Client, key: str) -> Account:
    """The account ``key`` names (closed ones included), as the caller may see it."""
    return _by_either_id(
        key,
        lambda: client.get_account(key),
        lambda: client.get_account(external_id=key),
        "an account id or ERP id (42 or ERP-000042)",
    )


def account_id(client: Client, key: str) -> str:
    """The service's id of the account ``key`` names, for calls that take only that."""
    return find_account(client, key).id


def find_order(client: Client, key: str) -> Order:
    """The order ``key`` names, as the caller may see it."""
    return _by_either_id(
        key,
        lambda: client.get_order(key),
        lambda: client.get_order(external_id=key),
        "an order id or ERP order number (2062 or SO-1001)",
    )


def account_named(about: Any) -> str:
    """``account 42 (ERP-000042, Corner Market)`` for a response that says which account
    it is about (summaries, credit decisions)."""
    names = ", ".join(n for n in (about.account_external_id, about.account_display_name) if n)
    return f"account {about.account_id}" + (f" ({names})" if names else "")
