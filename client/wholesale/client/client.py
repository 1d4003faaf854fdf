"""A typed, synchronous client for the wholesale.v1 services.

A thin layer over the generated stubs: keyword arguments instead of hand-built requests,
a deadline and retries on every call, a request id on every mutation, iterators instead of
page tokens, and :mod:`wholesale.client.errors` exceptions instead of ``grpc.RpcError``.
The stubs stay usable on :attr:`Client.channel` for anything this layer does not cover.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.type.money_pb2 import Money

from wholesale.client.channel import ChannelSettings, RetryPolicy, open_channel
from wholesale.client.errors import from_rpc_error
from wholesale.client.money import MoneyLike, to_money
from wholesale.client.pager import Pager
from wholesale.v1 import account_pb2, account_service_pb2, audit_service_pb2
from wholesale.v1.account_pb2 import Account, Address, Contact
from wholesale.v1.account_service_pb2_grpc import AccountServiceStub
from wholesale.v1.audit_service_pb2_grpc import AuditServiceStub

AccountLike = Account | Mapping[str, Any]
AddressLike = Address | Mapping[str, Any]
ContactLike = Contact | Mapping[str, Any]
EnumLike = int | str


def enum_value(enum: Any, prefix: str, value: EnumLike) -> int:
    """Accepts an enum number, its full name or its short name in any case ("on_hold"),
    so callers need not import the generated enum; unknown names raise ValueError."""
    if isinstance(value, int):
        return value
    name = value.upper().replace("-", "_")
    return enum.Value(name if name.startswith(prefix) else prefix + name)


def status_value(value: EnumLike) -> int:
    return enum_value(account_pb2.AccountStatus, "ACCOUNT_STATUS_", value)


def _contact(value: ContactLike) -> ContactLike:
    if isinstance(value, Mapping) and isinstance(value.get("role"), str):
        role = enum_value(account_pb2.ContactRole, "CONTACT_ROLE_", value["role"])
        return {**value, "role": role}
    return value


def build_account(fields: Mapping[str, Any]) -> Account:
    """An Account from field names and friendly values (Decimal or str money, enum names,
    dicts for contacts and addresses). None leaves a field unset, which clears it on update."""
    values = {name: value for name, value in fields.items() if value is not None}
    if "status" in values:
        values["status"] = status_value(values["status"])
    if "contacts" in values:
        values["contacts"] = [_contact(contact) for contact in values["contacts"]]
    credit_limit = values.get("credit_limit")
    if credit_limit is not None and not isinstance(credit_limit, Money | Mapping):
        values["credit_limit"] = to_money(credit_limit, values.get("currency_code", ""))
    return Account(**values)


def _as_account(account: AccountLike) -> Account:
    return account if isinstance(account, Account) else build_account(account)


def new_request_id(request_id: str | None) -> str:
    """The caller's idempotency key, or a fresh one: gRPC retries resend the same bytes, so
    a retried mutation carries the same id and the server replays instead of redoing it."""
    return request_id or str(uuid.uuid4())


class Client:
    """Connects to a wholesale-accounts server; use as a context manager or call close()."""

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
        """``timeout`` is the deadline of each call, retries included. ``retries`` is True for
        the default :class:`RetryPolicy`, False for none, or a policy of your own."""
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
        self._accounts = AccountServiceStub(self.channel)
        self._audit = AuditServiceStub(self.channel)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.channel.close()

    def _call(self, rpc: grpc.UnaryUnaryMultiCallable, request: Message) -> Any:
        try:
            return rpc(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error

    def _pager(self, rpc: grpc.UnaryUnaryMultiCallable, request: Message, items: str) -> Pager:
        """A pager that sends ``request`` once per page with that page's token."""

        def fetch_page(token: str) -> tuple[Any, str]:
            page_request = type(request)()
            page_request.CopyFrom(request)
            page_request.page_token = token
            response = self._call(rpc, page_request)
            return getattr(response, items), response.next_page_token

        return Pager(fetch_page)

    def create_account(
        self,
        account: Account | None = None,
        *,
        legal_name: str = "",
        currency_code: str = "",
        display_name: str = "",
        external_id: str = "",
        status: EnumLike | None = None,
        price_tier: str = "",
        tags: Iterable[str] = (),
        region: str = "",
        payment_terms_days: int = 0,
        credit_limit: MoneyLike | Money | None = None,
        manager: str = "",
        contacts: Iterable[ContactLike] = (),
        billing_address: AddressLike | None = None,
        shipping_address: AddressLike | None = None,
        request_id: str | None = None,
    ) -> Account:
        """Creates an account from keyword fields, or from ``account`` with any keyword
        fields merged over it. Server-side validation failures raise InvalidArgument."""
        message = Account()
        if account is not None:
            message.CopyFrom(account)
        fields = {
            "legal_name": legal_name,
            "currency_code": currency_code or message.currency_code,
            "display_name": display_name,
            "external_id": external_id,
            "status": status,
            "price_tier": price_tier,
            "tags": list(tags),
            "region": region,
            "payment_terms_days": payment_terms_days,
            "credit_limit": credit_limit,
            "manager": manager,
            "contacts": list(contacts),
            "billing_address": billing_address,
            "shipping_address": shipping_address,
        }
        message.MergeFrom(build_account(fields))
        request = account_service_pb2.CreateAccountRequest(
            account=message, request_id=new_request_id(request_id)
        )
        return self._call(self._accounts.CreateAccount, request).account

    def get_account(self, id: str) -> Account:
        request = account_service_pb2.GetAccountRequest(id=id)
        return self._call(self._accounts.GetAccount, request).account

    def list_accounts(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        show_deleted: bool = False,
    ) -> Pager[Account]:
        """Every matching account across all pages; ``page_size`` only sets the batch size."""
        request = account_service_pb2.ListAccountsRequest(
            filter=filter, order_by=order_by, page_size=page_size, show_deleted=show_deleted
        )
        return self._pager(self._accounts.ListAccounts, request, "accounts")

    def update_account(
        self, id: str, *, etag: str = "", request_id: str | None = None, **changes: Any
    ) -> Account:
        """Changes exactly the fields passed as keywords (the update mask is their names);
        passing None clears a field. With ``etag``, a concurrent change raises Aborted."""
        request = account_service_pb2.UpdateAccountRequest(
            account=build_account({**changes, "id": id, "etag": etag}),
            update_mask=FieldMask(paths=list(changes)),
            request_id=new_request_id(request_id),
        )
        return self._call(self._accounts.UpdateAccount, request).account

    def assign_account(
        self, id: str, manager: str, *, etag: str = "", request_id: str | None = None
    ) -> Account:
        """Hands the account to another account manager (admins and integrations only)."""
        return self.update_account(id, etag=etag, request_id=request_id, manager=manager)

    def delete_account(self, id: str, *, etag: str = "", request_id: str | None = None) -> Account:
        """Closes the account; it stays readable and can be reopened with undelete_account."""
        request = account_service_pb2.DeleteAccountRequest(
            id=id, etag=etag, request_id=new_request_id(request_id)
        )
        return self._call(self._accounts.DeleteAccount, request).account

    def undelete_account(self, id: str, request_id: str | None = None) -> Account:
        """Reopens a closed account with the status it had before."""
        request = account_service_pb2.UndeleteAccountRequest(
            id=id, request_id=new_request_id(request_id)
        )
        return self._call(self._accounts.UndeleteAccount, request).account

    def batch_upsert_accounts(
        self,
        accounts: Iterable[AccountLike],
        *,
        update_mask: Iterable[str] = (),
        request_id: str | None = None,
    ) -> account_service_pb2.BatchUpsertAccountsResponse:
        """Creates or updates accounts by external_id, all or nothing; the response has the
        stored accounts in request order and the created/updated/unchanged counts."""
        request = account_service_pb2.BatchUpsertAccountsRequest(
            accounts=[_as_account(account) for account in accounts],
            update_mask=FieldMask(paths=list(update_mask)),
            request_id=new_request_id(request_id),
        )
        return self._call(self._accounts.BatchUpsertAccounts, request)

    def list_audit_events(
        self, *, filter: str = "", page_size: int = 0
    ) -> Pager[audit_service_pb2.AuditEvent]:
        """Audit events, newest first, across all pages (admins only)."""
        request = audit_service_pb2.ListAuditEventsRequest(filter=filter, page_size=page_size)
        return self._pager(self._audit.ListAuditEvents, request, "audit_events")
