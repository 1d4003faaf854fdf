"""A typed, synchronous client for the wholesale.v1 services.

A thin layer over the generated stubs: keyword arguments instead of hand-built requests,
a deadline and retries on every call, a request id on every mutation, iterators instead of
page tokens, and :mod:`wholesale.client.errors` exceptions instead of ``grpc.RpcError``.
The stubs stay usable on :attr:`Client.channel` for anything this layer does not cover.

Each service's methods live in a module of their own and :class:`Client` composes them:
accounts and audit (:mod:`.accounts`), the catalog (:mod:`.catalog`), orders
(:mod:`.orders`), bulk import (:mod:`.imports`), invoices and payments (:mod:`.billing`),
summaries and credit checks (:mod:`.standing`), price lists, contract prices and quotes
(:mod:`.pricing`), and the tier policy, reviews and pins (:mod:`.tiers`).
"""

from __future__ import annotations

from wholesale.client.accounts import (
    AccountLike,
    AccountMethods,
    AddressLike,
    ContactLike,
    build_account,
    status_value,
)
from wholesale.client.billing import BillingMethods
from wholesale.client.calls import new_request_id
from wholesale.client.catalog import CatalogMethods
from wholesale.client.channel import ChannelSettings, RetryPolicy, open_channel
from wholesale.client.imports import ImportMethods
from wholesale.client.orders import OrderMethods
from wholesale.client.pricing import PricingMethods
from wholesale.client.reorders import ReorderMethods
from wholesale.client.standing import StandingMethods
from wholesale.client.tiers import TierMethods
from wholesale.client.values import EnumLike, enum_value

__all__ = [
    "AccountLike",
    "AddressLike",
    "Client",
    "ContactLike",
    "EnumLike",
    "build_account",
    "enum_value",
    "new_request_id",
    "status_value",
]


class Client(
    AccountMethods,
    CatalogMethods,
    OrderMethods,
    ImportMethods,
    BillingMethods,
    StandingMethods,
    PricingMethods,
    TierMethods,
    ReorderMethods,
):
    """Connects to a wholesale-accounts server; use as a context manager or call close().

    Every method that calls the server also takes keyword-only ``timeout=`` and
    ``metadata=`` for that call alone (see :mod:`.call_options`): ``timeout`` replaces the
    client's deadline (for a list, on each page's call; for an import, on each batch's),
    and ``metadata`` is sent after the client's own, for instance an ``x-request-id`` to
    trace the call through a gateway. A client made with a token refuses ``authorization``
    in ``metadata`` with ValueError, so a call never carries two tokens; a client made
    without one accepts one token per call, to act for several users over one channel.
    """

    def __init__(
        self,
        target: str,
        token: str | None = None,
        *,
        tls: bool = False,
        ca_file: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
        timeout: float = 10.0,
        retries: bool | RetryPolicy = True,
    ) -> None:
        """``timeout`` is the deadline of each call, retries included, unless the call gives
        its own. ``retries`` is True for the default :class:`RetryPolicy`, False for none,
        or a policy of your own."""
        retry = RetryPolicy() if retries is True else retries or None
        self.channel, self._metadata = open_channel(
            ChannelSettings(
                target=target,
                token=token,
                tls=tls,
                ca_file=ca_file,
                client_cert=client_cert,
                client_key=client_key,
                retry=retry,
            )
        )
        self.timeout = timeout
        self._sends_token = bool(token)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.channel.close()
