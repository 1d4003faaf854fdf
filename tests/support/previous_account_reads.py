"""The account reads as they were before they moved to fixed SQL (peewee's query
builder, model objects, the old message building), kept as the reference the new read
path must match response for response (tests/test_read_equivalence.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import peewee

from wholesale.server.api.convert import money_to_proto
from wholesale.server.domain.access import AccountScope
from wholesale.server.domain.account import Account, AccountFields, Address, Contact
from wholesale.server.domain.filters import Condition
from wholesale.server.domain.money import Money
from wholesale.server.store.database import is_postgres
from wholesale.server.store.models import Account as AccountRow
from wholesale.server.store.models import AccountTag
from wholesale.server.store.sql import contains, in_scope
from wholesale.v1 import account_pb2


def _address_from_json(text: str) -> Address:
    data = json.loads(text)
    return Address(**{**data, "lines": tuple(data.get("lines", ()))})


def _to_domain(row: AccountRow, tags: Sequence[str]) -> Account:
    fields = AccountFields(
        external_id=row.external_id or "",
        legal_name=row.legal_name,
        display_name=row.display_name,
        status=row.status,
        price_tier=row.price_tier,
        tags=tuple(sorted(tags)),
        region=row.region,
        currency_code=row.currency_code,
        payment_terms_days=row.payment_terms_days,
        credit_limit=Money.from_micros(row.credit_limit_micros, row.currency_code),
        manager=row.manager,
        contacts=tuple(Contact(**c) for c in json.loads(row.contacts_json)),
        billing_address=_address_from_json(row.billing_address_json),
        shipping_address=_address_from_json(row.shipping_address_json),
    )
    return Account(
        id=row.id,
        fields=fields,
        create_time_us=row.create_time_us,
        update_time_us=row.update_time_us,
        delete_time_us=row.delete_time_us,
        version=row.version,
    )


def _tag_list() -> peewee.Node:
    tags = AccountTag.alias()
    joined = (
        peewee.fn.string_agg(tags.tag, ",") if is_postgres() else peewee.fn.group_concat(tags.tag)
    )
    return tags.select(joined).where(tags.account == AccountRow.id).alias("tag_list")


def _select_accounts(scope: AccountScope) -> peewee.ModelSelect:
    return in_scope(AccountRow.select(AccountRow, _tag_list()), scope, AccountRow.manager)


def _with_tags(rows: Sequence[AccountRow]) -> list[Account]:
    return [_to_domain(row, row.tag_list.split(",") if row.tag_list else ()) for row in rows]


def get_account(account_id: int, scope: AccountScope) -> Account | None:
    rows = list(_select_accounts(scope).where(AccountRow.id == account_id))
    return _with_tags(rows)[0] if rows else None


_EQUALITY_COLUMNS = {
    "status": AccountRow.status,
    "price_tier": AccountRow.price_tier,
    "manager": AccountRow.manager,
    "region": AccountRow.region,
    "external_id": peewee.fn.COALESCE(AccountRow.external_id, ""),
}
ORDER_COLUMNS = {"display_name": AccountRow.sort_name, "create_time": AccountRow.create_time_us}


def _condition_expression(condition: Condition) -> peewee.Node:
    if condition.field == "tags":
        tagged = AccountTag.select(AccountTag.account_id).where(AccountTag.tag == condition.value)
        return AccountRow.id.in_(tagged)
    if condition.field == "name":
        return contains(AccountRow.search_text, condition.value)
    column = _EQUALITY_COLUMNS[condition.field]
    value = int(condition.value) if condition.field == "status" else condition.value
    return column == value if condition.op == "=" else column != value


def list_accounts(
    scope: AccountScope,
    conditions: Sequence[Condition],
    show_deleted: bool,
    order_field: str,
    descending: bool,
    after: list | None,
    limit: int,
) -> list[Account]:
    key = ORDER_COLUMNS[order_field]
    query = _select_accounts(scope)
    for condition in conditions:
        query = query.where(_condition_expression(condition))
    if not show_deleted:
        query = query.where(AccountRow.delete_time_us.is_null())
    if after is not None:
        last_key, last_id = after
        if descending:
            query = query.where((key < last_key) | ((key == last_key) & (AccountRow.id < last_id)))
        else:
            query = query.where((key > last_key) | ((key == last_key) & (AccountRow.id > last_id)))
    if descending:
        query = query.order_by(key.desc(), AccountRow.id.desc())
    else:
        query = query.order_by(key.asc(), AccountRow.id.asc())
    return _with_tags(list(query.limit(limit)))


def _timestamp(micros: int | None):
    if micros is None:
        return None
    from google.protobuf.timestamp_pb2 import Timestamp

    stamp = Timestamp()
    stamp.FromMicroseconds(micros)
    return stamp


def _address_to_proto(address: Address) -> account_pb2.Address:
    return account_pb2.Address(
        lines=list(address.lines),
        locality=address.locality,
        administrative_area=address.administrative_area,
        postal_code=address.postal_code,
        country_code=address.country_code,
    )


def account_to_proto(account: Account) -> account_pb2.Account:
    fields = account.fields
    message = account_pb2.Account(
        id=str(account.id),
        external_id=fields.external_id,
        legal_name=fields.legal_name,
        display_name=fields.display_name,
        status=account_pb2.AccountStatus.ValueType(fields.status),
        price_tier=fields.price_tier,
        tags=list(fields.tags),
        region=fields.region,
        currency_code=fields.currency_code,
        payment_terms_days=fields.payment_terms_days,
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
        create_time=_timestamp(account.create_time_us),
        update_time=_timestamp(account.update_time_us),
        delete_time=_timestamp(account.delete_time_us),
        etag=account.etag,
    )
    if fields.credit_limit is not None:
        message.credit_limit.CopyFrom(money_to_proto(fields.credit_limit))
    for name in ("billing_address", "shipping_address"):
        address = getattr(fields, name)
        if address != Address():
            getattr(message, name).CopyFrom(_address_to_proto(address))
    return message
