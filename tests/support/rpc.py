"""Small helpers over the raw generated stubs.

Nothing here hides the wire: tests call ``api.accounts.CreateAccount(request, metadata=...)``
themselves. The helpers only spare the boilerplate of tokens, paging through List results,
building a valid :class:`Account` and reading the ``google.rpc.Status`` details of a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from google.type import money_pb2
from grpc_health.v1 import health_pb2_grpc
from grpc_status import rpc_status

from wholesale.v1 import (
    account_pb2,
    account_service_pb2,
    account_service_pb2_grpc,
    audit_service_pb2,
    audit_service_pb2_grpc,
)

DOMAIN = "wholesale.v1"
ACCOUNT_METHOD = "/wholesale.v1.AccountService/"
Metadata = tuple[tuple[str, str], ...]

# Guard against a server that hands out page tokens forever.
MAX_PAGES = 1000


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def money(amount: str | Decimal | int, currency: str = "EUR") -> money_pb2.Money:
    """A google.type.Money from a decimal amount ("12.34" -> units 12, nanos 340000000)."""
    value = Decimal(amount)
    units = int(value)  # truncates toward zero, so units and nanos share the sign
    nanos = int((value - units) * 1_000_000_000)
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def money_value(m: money_pb2.Money) -> Decimal:
    return Decimal(m.units) + Decimal(m.nanos) / Decimal(1_000_000_000)


def make_contact(**overrides: Any) -> account_pb2.Contact:
    values: dict[str, Any] = {
        "name": "Erika Mustermann",
        "role": account_pb2.CONTACT_ROLE_BUYER,
        "email": "erika@corner-shop.example",
        "phone": "+49 30 1234567",
        "primary": True,
    }
    values.update(overrides)
    return account_pb2.Contact(**{k: v for k, v in values.items() if v is not None})


def make_address(**overrides: Any) -> account_pb2.Address:
    values: dict[str, Any] = {
        "lines": ["Hauptstrasse 1"],
        "locality": "Berlin",
        "administrative_area": "Berlin",
        "postal_code": "10115",
        "country_code": "DE",
    }
    values.update(overrides)
    return account_pb2.Address(**{k: v for k, v in values.items() if v is not None})


def make_account(**overrides: Any) -> account_pb2.Account:
    """A valid account with every writable field set; ``name=None`` leaves a field unset."""
    values: dict[str, Any] = {
        "legal_name": "Corner Shop GmbH",
        "display_name": "Corner Shop",
        "status": account_pb2.ACCOUNT_STATUS_ACTIVE,
        "price_tier": "gold",
        "tags": ["organic", "independent"],
        "region": "North",
        "currency_code": "EUR",
        "payment_terms_days": 30,
        "credit_limit": money("5000.00"),
        "contacts": [make_contact()],
        "billing_address": make_address(),
        "shipping_address": make_address(lines=["Lagerweg 7", "Tor 3"], postal_code="10117"),
    }
    values.update(overrides)
    return account_pb2.Account(**{k: v for k, v in values.items() if v is not None})


@dataclass(frozen=True)
class Failure:
    """What a failed call told the client: code, message and the google.rpc.Status details."""

    code: grpc.StatusCode
    message: str
    reason: str | None = None
    domain: str | None = None
    error_metadata: dict[str, str] = field(default_factory=dict)
    violations: tuple[tuple[str, str], ...] = ()

    @property
    def fields(self) -> list[str]:
        return [path for path, _ in self.violations]


def failure_of(error: grpc.RpcError) -> Failure:
    """Reads ErrorInfo and BadRequest from the rich status in the trailers of ``error``."""
    assert isinstance(error, grpc.Call), f"not a completed call: {error!r}"
    status = rpc_status.from_call(error)
    reason = domain = None
    info_metadata: dict[str, str] = {}
    violations: list[tuple[str, str]] = []
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, domain = info.reason, info.domain
                info_metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations.extend((v.field, v.description) for v in bad.field_violations)
    return Failure(
        code=error.code(),
        message=error.details() or "",
        reason=reason,
        domain=domain,
        error_metadata=info_metadata,
        violations=tuple(violations),
    )


def has_violation(failure: Failure, path: str, *, allow_subpath: bool = False) -> bool:
    for found in failure.fields:
        if found == path:
            return True
        if allow_subpath and (found.startswith(path + ".") or found.startswith(path + "[")):
            return True
    return False


def expect_failure(
    method: Callable[..., Any],
    request: Any,
    *,
    metadata: Metadata | None = None,
    code: grpc.StatusCode,
    reason: str | None = None,
    fields: Iterable[str] = (),
    allow_subpath: bool = False,
) -> Failure:
    """Calls ``method`` expecting it to fail with ``code`` (and ``reason``, and each field)."""
    with pytest.raises(grpc.RpcError) as caught:
        method(request, metadata=metadata)
    failure = failure_of(caught.value)
    assert failure.code == code, f"expected {code.name}, got {failure}"
    if reason is not None:
        assert failure.reason == reason, f"expected reason {reason}, got {failure}"
        assert failure.domain == DOMAIN, f"expected ErrorInfo domain {DOMAIN}, got {failure}"
    for path in fields:
        assert has_violation(failure, path, allow_subpath=allow_subpath), (
            f"expected a field violation for {path!r}, got {failure}"
        )
    return failure


def race(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Starts every call at once; returns each result or the :class:`Failure` it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except grpc.RpcError as error:
            return failure_of(error)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


class Api:
    """The raw stubs on one channel plus the tokens of the standard principals."""

    def __init__(self, channel: grpc.Channel, tokens: dict[str, str]) -> None:
        self.channel = channel
        self.tokens = tokens
        self.accounts = account_service_pb2_grpc.AccountServiceStub(channel)
        self.audit = audit_service_pb2_grpc.AuditServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)

    def md(self, who: str) -> Metadata:
        return bearer(self.tokens[who])

    def create(self, who: str = "admin", request_id: str = "", **overrides: Any):
        request = account_service_pb2.CreateAccountRequest(
            account=make_account(**overrides), request_id=request_id
        )
        return self.accounts.CreateAccount(request, metadata=self.md(who)).account

    def get(self, account_id: str, who: str = "admin") -> account_pb2.Account:
        request = account_service_pb2.GetAccountRequest(id=account_id)
        return self.accounts.GetAccount(request, metadata=self.md(who)).account

    def update(
        self, account: account_pb2.Account, paths: Iterable[str], who: str = "admin", **kw: Any
    ) -> account_pb2.Account:
        request = account_service_pb2.UpdateAccountRequest(account=account, **kw)
        request.update_mask.paths.extend(paths)
        return self.accounts.UpdateAccount(request, metadata=self.md(who)).account

    def delete(self, account_id: str, who: str = "admin", **kw: Any) -> account_pb2.Account:
        request = account_service_pb2.DeleteAccountRequest(id=account_id, **kw)
        return self.accounts.DeleteAccount(request, metadata=self.md(who)).account

    def undelete(self, account_id: str, who: str = "admin", **kw: Any) -> account_pb2.Account:
        request = account_service_pb2.UndeleteAccountRequest(id=account_id, **kw)
        return self.accounts.UndeleteAccount(request, metadata=self.md(who)).account

    def list_pages(
        self, who: str = "admin", **request_fields: Any
    ) -> list[account_service_pb2.ListAccountsResponse]:
        """Every page of ListAccounts, following next_page_token with the same request."""
        pages = []
        token = ""
        for _ in range(MAX_PAGES):
            request = account_service_pb2.ListAccountsRequest(page_token=token, **request_fields)
            page = self.accounts.ListAccounts(request, metadata=self.md(who))
            pages.append(page)
            token = page.next_page_token
            if not token:
                return pages
        raise AssertionError(f"ListAccounts still returned a page token after {MAX_PAGES} pages")

    def list_all(self, who: str = "admin", **request_fields: Any) -> list[account_pb2.Account]:
        return [a for page in self.list_pages(who, **request_fields) for a in page.accounts]

    def audit_events(
        self, filter: str = "", who: str = "admin", page_size: int = 0
    ) -> list[audit_service_pb2.AuditEvent]:
        events = []
        token = ""
        for _ in range(MAX_PAGES):
            request = audit_service_pb2.ListAuditEventsRequest(
                filter=filter, page_token=token, page_size=page_size
            )
            page = self.audit.ListAuditEvents(request, metadata=self.md(who))
            events.extend(page.audit_events)
            token = page.next_page_token
            if not token:
                return events
        raise AssertionError(f"ListAuditEvents still returned a page token after {MAX_PAGES}")

    def count_accounts(self) -> int:
        """Every stored account, closed ones included, as the admin sees them."""
        return len(self.list_all(show_deleted=True, page_size=500))
