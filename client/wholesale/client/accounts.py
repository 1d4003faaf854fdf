"""AccountService and AuditService methods of the client: retailer accounts and their audit
trail, with friendly values (Decimal or str money, enum names, dicts for contacts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from google.type.money_pb2 import Money

from wholesale.client.call_options import MetadataLike
from wholesale.client.calls import ServiceCalls, new_request_id
from wholesale.client.money import MoneyLike, to_money
from wholesale.client.pager import Pager
from wholesale.client.values import EnumLike, enum_value
from wholesale.v1 import account_pb2, account_service_pb2, audit_service_pb2
from wholesale.v1.account_pb2 import Account, Address, Contact
from wholesale.v1.account_service_pb2_grpc import AccountServiceStub
from wholesale.v1.audit_service_pb2_grpc import AuditServiceStub

AccountLike = Account | Mapping[str, Any]
AddressLike = Address | Mapping[str, Any]
ContactLike = Contact | Mapping[str, Any]


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
        values["credit_limit"] = to_money(
            credit_limit, values.get("currency_code", ""), name="credit_limit"
        )
    return Account(**values)


def _as_account(account: AccountLike) -> Account:
    return account if isinstance(account, Account) else build_account(account)


class AccountMethods(ServiceCalls):
    """Accounts and the audit log."""

    @cached_property
    def _accounts(self) -> AccountServiceStub:
        return AccountServiceStub(self.channel)

    @cached_property
    def _audit(self) -> AuditServiceStub:
        return AuditServiceStub(self.channel)

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
        timeout: float | None = None,
        metadata: MetadataLike = (),
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
        return self._call(
            self._accounts.CreateAccount, request, timeout=timeout, metadata=metadata
        ).account

    def get_account(
        self,
        id: str = "",
        *,
        external_id: str = "",
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Account:
        """One account, closed ones included, by the service's id or the ERP's id."""
        request = account_service_pb2.GetAccountRequest(id=id, external_id=external_id)
        return self._call(
            self._accounts.GetAccount, request, timeout=timeout, metadata=metadata
        ).account

    def list_accounts(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        show_deleted: bool = False,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[Account]:
        """Every matching account across all pages; ``page_size`` only sets the batch size."""
        request = account_service_pb2.ListAccountsRequest(
            filter=filter, order_by=order_by, page_size=page_size, show_deleted=show_deleted
        )
        return self._pager(
            self._accounts.ListAccounts,
            request,
            lambda page: page.accounts,
            timeout=timeout,
            metadata=metadata,
        )

    def update_account(
        self,
        id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
        **changes: Any,
    ) -> Account:
        """Changes exactly the fields passed as keywords (the update mask is their names);
        passing None clears a field. With ``etag``, a concurrent change raises Aborted."""
        request = account_service_pb2.UpdateAccountRequest(
            account=build_account({**changes, "id": id, "etag": etag}),
            update_mask=FieldMask(paths=list(changes)),
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._accounts.UpdateAccount, request, timeout=timeout, metadata=metadata
        ).account

    def assign_account(
        self,
        id: str,
        manager: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Account:
        """Hands the account to another account manager (admins and integrations only)."""
        return self.update_account(
            id,
            etag=etag,
            request_id=request_id,
            manager=manager,
            timeout=timeout,
            metadata=metadata,
        )

    def delete_account(
        self,
        id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Account:
        """Closes the account; it stays readable and can be reopened with undelete_account."""
        request = account_service_pb2.DeleteAccountRequest(
            id=id, etag=etag, request_id=new_request_id(request_id)
        )
        return self._call(
            self._accounts.DeleteAccount, request, timeout=timeout, metadata=metadata
        ).account

    def undelete_account(
        self,
        id: str,
        request_id: str | None = None,
        *,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Account:
        """Reopens a closed account with the status it had before."""
        request = account_service_pb2.UndeleteAccountRequest(
            id=id, request_id=new_request_id(request_id)
        )
        return self._call(
            self._accounts.UndeleteAccount, request, timeout=timeout, metadata=metadata
        ).account

    def batch_upsert_accounts(
        self,
        accounts: Iterable[AccountLike],
        *,
        update_mask: Iterable[str] = (),
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> account_service_pb2.BatchUpsertAccountsResponse:
        """Creates or updates accounts by external_id, all or nothing; the response has the
        stored accounts in request order and the created/updated/unchanged counts."""
        request = account_service_pb2.BatchUpsertAccountsRequest(
            accounts=[_as_account(account) for account in accounts],
            update_mask=FieldMask(paths=list(update_mask)),
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._accounts.BatchUpsertAccounts, request, timeout=timeout, metadata=metadata
        )

    def list_audit_events(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[audit_service_pb2.AuditEvent]:
        """Audit events, newest first, across all pages (admins only)."""
        request = audit_service_pb2.ListAuditEventsRequest(filter=filter, page_size=page_size)
        return self._pager(
            self._audit.ListAuditEvents,
            request,
            lambda page: page.audit_events,
            timeout=timeout,
            metadata=metadata,
        )
