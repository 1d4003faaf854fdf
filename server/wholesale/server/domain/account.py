"""A retailer account as the domain sees it, and the rules a valid one obeys.

Validation reports every problem at once, each under the request path of the field, so an
integrator fixes a rejected record in one round trip.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

from wholesale.server.domain.audit import Json, enum_json, json_value
from wholesale.server.domain.currency import is_currency
from wholesale.server.domain.money import MAX_AMOUNT, Money, minor_units_rule
from wholesale.server.domain.text import MAX_EXTERNAL_ID, check_text, check_token
from wholesale.server.errors import Validator


class AccountStatus(enum.IntEnum):
    """Numbered as wholesale.v1.AccountStatus."""

    UNSPECIFIED = 0
    PROSPECT = 1
    ACTIVE = 2
    ON_HOLD = 3
    CLOSED = 4


class ContactRole(enum.IntEnum):
    """Numbered as wholesale.v1.ContactRole."""

    UNSPECIFIED = 0
    BUYER = 1
    OWNER = 2
    ACCOUNTS_PAYABLE = 3
    OTHER = 4


MAX_NAME = 200
MAX_REGION = 100
MAX_SUBJECT = 100
MAX_TAGS = 20
MAX_CONTACTS = 50
MAX_ADDRESS_LINES = 4
MAX_TERMS_DAYS = 365
LABEL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
COUNTRY = re.compile(r"[A-Z]{2}")
LABEL_RULE = (
    "lower-case letters, digits, '-' and '_', starting with a letter or digit, "
    "at most 40 characters"
)


@dataclass(frozen=True)
class Contact:
    name: str = ""
    role: int = ContactRole.UNSPECIFIED
    email: str = ""
    phone: str = ""
    primary: bool = False


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...] = ()
    locality: str = ""
    administrative_area: str = ""
    postal_code: str = ""
    country_code: str = ""

    def is_empty(self) -> bool:
        return not (
            self.lines
            or self.locality
            or self.administrative_area
            or self.postal_code
            or self.country_code
        )


@dataclass(frozen=True)
class AccountFields:
    """The writable part of an account: what a client sends and an update may change."""

    external_id: str = ""
    legal_name: str = ""
    display_name: str = ""
    status: int = AccountStatus.UNSPECIFIED
    price_tier: str = ""
    tags: tuple[str, ...] = ()
    region: str = ""
    currency_code: str = ""
    payment_terms_days: int = 0
    credit_limit: Money | None = None
    manager: str = ""
    contacts: tuple[Contact, ...] = ()
    billing_address: Address = field(default_factory=Address)
    shipping_address: Address = field(default_factory=Address)

    def with_defaults(self) -> AccountFields:
        """Fills what a create may leave out: display name, status, tag order and folding."""
        return replace(
            self,
            display_name=self.display_name or self.legal_name,
            status=self.status or AccountStatus.PROSPECT,
            tags=tuple(sorted(set(self.tags))),
            credit_limit=self._credit_limit_in_own_currency(),
        )

    def merged(self, changes: AccountFields, paths: set[str]) -> AccountFields:
        """These fields with the ones named in ``paths`` taken from ``changes``."""
        merged = replace(self, **{name: getattr(changes, name) for name in paths})
        return replace(
            merged,
            tags=tuple(sorted(set(merged.tags))),
            credit_limit=merged._credit_limit_in_own_currency(),
        )

    def _credit_limit_in_own_currency(self) -> Money:
        """The credit limit, zero when unset, in the account currency when it names none."""
        limit = self.credit_limit or Money(Decimal(0), self.currency_code)
        return limit if limit.currency else replace(limit, currency=self.currency_code)


WRITABLE_FIELDS = frozenset(f.name for f in fields(AccountFields))


@dataclass(frozen=True)
class Account:
    """A stored account: its fields plus what only the server sets."""

    id: int
    fields: AccountFields
    create_time_us: int
    update_time_us: int
    delete_time_us: int | None
    version: int
    # Set by PinTier, which the tier review respects; not one of the writable fields.
    tier_pinned: bool = False

    @property
    def etag(self) -> str:
        return f"v{self.version}"

    @property
    def is_closed(self) -> bool:
        return self.delete_time_us is not None


def _validate_enum(v: Validator, path: str, value: int, kind: type[enum.IntEnum]) -> bool:
    return v.check(
        value in kind._value2member_map_ and value != 0,
        path,
        f"must be one of {', '.join(m.name for m in kind if m.value)}",
    )


def _validate_contact(v: Validator, contact: Contact) -> None:
    if v.check(bool(contact.name.strip()), "name", "required"):
        check_text(v, "name", contact.name, MAX_NAME)
    _validate_enum(v, "role", contact.role, ContactRole)
    if contact.email:
        v.check(
            len(contact.email) <= 254 and bool(EMAIL.fullmatch(contact.email)),
            "email",
            "must be an e-mail address such as buyer@example.com",
        )
    check_text(v, "phone", contact.phone, 40)


def _validate_contacts(v: Validator, contacts: tuple[Contact, ...]) -> None:
    if not v.check(len(contacts) <= MAX_CONTACTS, "contacts", f"at most {MAX_CONTACTS}"):
        return
    primaries: set[int] = set()
    for index, contact in enumerate(contacts):
        _validate_contact(v.nested(f"contacts[{index}]"), contact)
        if contact.primary:
            v.check(
                contact.role not in primaries,
                f"contacts[{index}].primary",
                "only one primary contact per role",
            )
            primaries.add(contact.role)


def _validate_address(v: Validator, address: Address) -> None:
    v.check(len(address.lines) <= MAX_ADDRESS_LINES, "lines", f"at most {MAX_ADDRESS_LINES}")
    for index, line in enumerate(address.lines):
        check_text(v, f"lines[{index}]", line, MAX_NAME)
    for name in ("locality", "administrative_area", "postal_code"):
        check_text(v, name, getattr(address, name), MAX_REGION)
    if not address.is_empty():
        v.check(
            bool(COUNTRY.fullmatch(address.country_code)),
            "country_code",
            "required: an ISO 3166-1 alpha-2 code such as DE",
        )


def _validate_credit_limit(v: Validator, limit: Money | None, currency: str) -> None:
    if limit is None:
        return
    path = "credit_limit"
    if not v.check(limit.currency == currency, path, f"must be in the account currency {currency}"):
        return
    if not v.check(limit.amount <= MAX_AMOUNT, path, f"must not exceed {MAX_AMOUNT:,}"):
        return
    if v.check(limit.amount >= 0, path, "must not be negative") and is_currency(currency):
        v.check(
            limit.has_minor_unit_precision(),
            path,
            minor_units_rule(currency),
        )


def validate_account(v: Validator, account: AccountFields, *, closed: bool = False) -> None:
    """Adds a violation for every rule ``account`` breaks (after defaults are applied).

    ``closed`` says the account is already closed, so its CLOSED status is expected.
    """
    if v.check(bool(account.legal_name.strip()), "legal_name", "required"):
        check_text(v, "legal_name", account.legal_name, MAX_NAME)
    check_text(v, "display_name", account.display_name, MAX_NAME)
    check_token(v, "external_id", account.external_id, MAX_EXTERNAL_ID)
    if _validate_enum(v, "status", account.status, AccountStatus):
        v.check(
            closed or account.status != AccountStatus.CLOSED,
            "status",
            "an account is closed with DeleteAccount, not by setting its status",
        )
    if account.price_tier:
        v.check(bool(LABEL.fullmatch(account.price_tier)), "price_tier", LABEL_RULE)
    v.check(len(account.tags) <= MAX_TAGS, "tags", f"at most {MAX_TAGS} tags")
    for index, tag in enumerate(account.tags):
        v.check(bool(LABEL.fullmatch(tag)), f"tags[{index}]", LABEL_RULE)
    check_text(v, "region", account.region, MAX_REGION)
    v.check(
        is_currency(account.currency_code),
        "currency_code",
        "must be an ISO 4217 code in capitals such as EUR",
    )
    v.check(
        0 <= account.payment_terms_days <= MAX_TERMS_DAYS,
        "payment_terms_days",
        f"must be between 0 and {MAX_TERMS_DAYS}",
    )
    _validate_credit_limit(v, account.credit_limit, account.currency_code)
    check_token(v, "manager", account.manager, MAX_SUBJECT)
    _validate_contacts(v, account.contacts)
    _validate_address(v.nested("billing_address"), account.billing_address)
    _validate_address(v.nested("shipping_address"), account.shipping_address)


def audit_values(account: AccountFields) -> dict[str, Json]:
    """Every writable field in the audit log's JSON form (enums by their short names)."""
    values = {f.name: json_value(getattr(account, f.name)) for f in fields(account)}
    values["status"] = enum_json(AccountStatus, account.status)
    values["contacts"] = [
        {**json_value(contact), "role": enum_json(ContactRole, contact.role)}
        for contact in account.contacts
    ]
    return values
