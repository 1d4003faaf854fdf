"""Proto <-> domain conversion for accounts and money."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from google.type import money_pb2

from wholesale.server.domain.account import Account, AccountFields, Address, Contact
from wholesale.server.domain.money import (
    NANOS_PER_UNIT,
    Money,
    decimal_from_units_nanos,
    units_nanos_from_decimal,
)
from wholesale.server.errors import FieldViolation, InvalidArgument
from wholesale.v1 import account_pb2


def check_well_formed(money: money_pb2.Money, path: str) -> None:
    """google.type.Money's own rules; breaking them is INVALID_ARGUMENT at ``path``."""
    valid_nanos = -NANOS_PER_UNIT < money.nanos < NANOS_PER_UNIT
    same_sign = money.units == 0 or money.nanos == 0 or (money.units > 0) == (money.nanos > 0)
    if not (valid_nanos and same_sign):
        raise InvalidArgument(
            f"invalid {path}",
            violations=[
                FieldViolation(
                    path, "nanos must be within +-999,999,999 and have the sign of units"
                )
            ],
        )


def money_from_proto(money: money_pb2.Money, path: str, default_currency: str = "") -> Money:
    """The exact amount; an unset currency means ``default_currency``. Breaking
    google.type.Money's own rules is INVALID_ARGUMENT at ``path``."""
    check_well_formed(money, path)
    amount = decimal_from_units_nanos(money.units, money.nanos)
    return Money(amount, money.currency_code or default_currency)


def money_to_proto(money: Money) -> money_pb2.Money:
    units, nanos = units_nanos_from_decimal(money.amount)
    return money_pb2.Money(currency_code=money.currency, units=units, nanos=nanos)


def timestamp(micros: int | None) -> Timestamp | None:
    if micros is None:
        return None
    seconds, micros_left = divmod(micros, 1_000_000)
    return Timestamp(seconds=seconds, nanos=micros_left * 1000)


def _address_from_proto(address: account_pb2.Address) -> Address:
    return Address(
        lines=tuple(address.lines),
        locality=address.locality,
        administrative_area=address.administrative_area,
        postal_code=address.postal_code,
        country_code=address.country_code,
    )


def _address_to_proto(address: Address) -> account_pb2.Address | None:
    """The message of a set address; None leaves the field unset, as an empty one is."""
    if address.is_empty():
        return None
    return account_pb2.Address(
        lines=address.lines,
        locality=address.locality,
        administrative_area=address.administrative_area,
        postal_code=address.postal_code,
        country_code=address.country_code,
    )


def fields_from_proto(account: account_pb2.Account, path: str) -> AccountFields:
    """The writable fields of ``account``, which sits at ``path`` in the request."""
    return AccountFields(
        external_id=account.external_id,
        legal_name=account.legal_name,
        display_name=account.display_name,
        status=account.status,
        price_tier=account.price_tier,
        tags=tuple(account.tags),
        region=account.region,
        currency_code=account.currency_code,
        payment_terms_days=account.payment_terms_days,
        # An unset currency means "the account's", resolved once the currency is known.
        credit_limit=(
            money_from_proto(account.credit_limit, f"{path}.credit_limit")
            if account.HasField("credit_limit")
            else None
        ),
        manager=account.manager,
        contacts=tuple(
            Contact(c.name, c.role, c.email, c.phone, c.primary) for c in account.contacts
        ),
        billing_address=_address_from_proto(account.billing_address),
        shipping_address=_address_from_proto(account.shipping_address),
    )


def account_to_proto(account: Account) -> account_pb2.Account:
    """The message of a stored account; a hot path (every read), so nested messages are
    built in the one constructor call."""
    fields = account.fields
    limit = fields.credit_limit
    return account_pb2.Account(
        id=str(account.id),
        external_id=fields.external_id,
        legal_name=fields.legal_name,
        display_name=fields.display_name,
        status=account_pb2.AccountStatus.ValueType(fields.status),
        price_tier=fields.price_tier,
        price_tier_pinned=account.tier_pinned,
        tags=fields.tags,
        region=fields.region,
        currency_code=fields.currency_code,
        payment_terms_days=fields.payment_terms_days,
        credit_limit=money_to_proto(limit) if limit is not None else None,
        manager=fields.manager,
        contacts=[
            account_pb2.Contact(
                name=c.name,
                role=account_pb2.ContactRole.ValueType(c.role),
                email=c.email,
                phone=c.phone,
                primary=c.primary,
            )
            for c in fields.contacts
        ],
        billing_address=_address_to_proto(fields.billing_address),
        shipping_address=_address_to_proto(fields.shipping_address),
        create_time=timestamp(account.create_time_us),
        update_time=timestamp(account.update_time_us),
        delete_time=timestamp(account.delete_time_us),
        etag=account.etag,
    )
