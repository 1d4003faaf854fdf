"""Reading and writing accounts: rows <-> domain objects, filters, keyset pages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal

import peewee

from wholesale.server.domain.access import EVERY_ACCOUNT, AccountScope
from wholesale.server.domain.account import (
    Account,
    AccountFields,
    AccountStatus,
    Address,
    Contact,
)
from wholesale.server.domain.filters import Condition
from wholesale.server.domain.money import Money
from wholesale.server.store.database import is_postgres
from wholesale.server.store.models import Account as AccountRow
from wholesale.server.store.models import AccountTag
from wholesale.server.store.sql import contains, fetch_rows, in_scope, locked, storable


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


def _columns(fields: AccountFields) -> dict[str, object]:
    """The row values for ``fields`` (tags live in their own table)."""
    limit = fields.credit_limit or Money(Decimal(0), fields.currency_code)
    return {
        "external_id": fields.external_id or None,
        "legal_name": fields.legal_name,
        "display_name": fields.display_name,
        "sort_name": fields.display_name.casefold(),
        "search_text": f"{fields.legal_name}\n{fields.display_name}".casefold(),
        "status": int(fields.status),
        "price_tier": fields.price_tier,
        "region": fields.region,
        "currency_code": fields.currency_code,
        "payment_terms_days": fields.payment_terms_days,
        "credit_limit_micros": limit.to_micros(),
        "manager": fields.manager,
        "contacts_json": json.dumps([asdict(c) for c in fields.contacts]),
        "billing_address_json": json.dumps(asdict(fields.billing_address)),
        "shipping_address_json": json.dumps(asdict(fields.shipping_address)),
    }


def _tag_list() -> peewee.Node:
    """A subquery giving each account's tags joined by commas (tags never hold one)."""
    tags = AccountTag.alias()
    joined = (
        peewee.fn.string_agg(tags.tag, ",") if is_postgres() else peewee.fn.group_concat(tags.tag)
    )
    return tags.select(joined).where(tags.account == AccountRow.id).alias("tag_list")


def _select_accounts(scope: AccountScope) -> peewee.ModelSelect:
    """The accounts ``scope`` allows, with their tags, in one query."""
    return in_scope(AccountRow.select(AccountRow, _tag_list()), scope, AccountRow.manager)


def _with_tags(rows: Sequence[AccountRow]) -> list[Account]:
    return [_to_domain(row, row.tag_list.split(",") if row.tag_list else ()) for row in rows]


def _replace_tags(account_id: int, tags: Sequence[str]) -> None:
    AccountTag.delete().where(AccountTag.account_id == account_id).execute()
    if tags:
        AccountTag.insert_many(
            [(account_id, tag) for tag in tags], fields=[AccountTag.account, AccountTag.tag]
        ).execute()


def insert_account(fields: AccountFields, now_us: int) -> Account:
    row = AccountRow.create(**_columns(fields), create_time_us=now_us, update_time_us=now_us)
    _replace_tags(row.id, fields.tags)
    return _to_domain(row, fields.tags)


def update_account(
    account: Account, fields: AccountFields, now_us: int, **extra: object
) -> Account:
    """Writes ``fields`` over ``account``; ``extra`` sets other columns (delete time ...)."""
    values = {**_columns(fields), "update_time_us": now_us, "version": account.version + 1}
    values.update(extra)
    AccountRow.update(**values).where(AccountRow.id == account.id).execute()
    if fields.tags != account.fields.tags:
        _replace_tags(account.id, fields.tags)
    updated = get_account(account.id, EVERY_ACCOUNT)
    assert updated is not None, "the row was just written in this transaction"
    return updated


def get_account(account_id: int, scope: AccountScope, *, lock: bool = False) -> Account | None:
    """The account if it exists within ``scope``, or None; ``lock`` holds its row until the
    transaction ends (PostgreSQL)."""
    rows = list(locked(_select_accounts(scope).where(AccountRow.id == account_id), lock))
    return _with_tags(rows)[0] if rows else None


def status_before_close(account_id: int) -> int:
    row = AccountRow.get_by_id(account_id)
    return row.status_before_close or AccountStatus.ACTIVE


def accounts_by_external_id(
    external_ids: Sequence[str], scope: AccountScope, *, lock: bool = False
) -> dict[str, Account]:
    keys = storable(external_ids)
    if not keys:
        return {}
    query = _select_accounts(scope).where(AccountRow.external_id.in_(keys))
    query = locked(query, lock)
    return {a.fields.external_id: a for a in _with_tags(list(query))}


def external_id_owner(external_id: str) -> tuple[int, str] | None:
    """The id and manager of the account holding ``external_id`` (whatever the caller's
    scope: an ERP id is unique across all accounts), or None."""
    row = (
        AccountRow.select(AccountRow.id, AccountRow.manager)
        .where(AccountRow.external_id == external_id)
        .first()
    )
    return (row.id, row.manager) if row else None


# ---- listing -------------------------------------------------------------------------

ACCOUNT_FILTER_FIELDS = {
    "status": frozenset({"=", "!="}),
    "price_tier": frozenset({"=", "!="}),
    "tags": frozenset({":"}),
    "manager": frozenset({"=", "!="}),
    "region": frozenset({"=", "!="}),
    "external_id": frozenset({"=", "!="}),
    "name": frozenset({":"}),
}
_EQUALITY_COLUMNS = {
    "status": AccountRow.status,
    "price_tier": AccountRow.price_tier,
    "manager": AccountRow.manager,
    "region": AccountRow.region,
    # An account without an ERP id stores NULL (unique keys allow many); filters see "".
    "external_id": peewee.fn.COALESCE(AccountRow.external_id, ""),
}
ORDER_COLUMNS = {"display_name": AccountRow.sort_name, "create_time": AccountRow.create_time_us}


def condition_expression(condition: Condition) -> peewee.Node:
    """The SQL for one parsed filter condition (values already checked by the service)."""
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
    where: Sequence[peewee.Node],
    order_field: str,
    descending: bool,
    after: list | None,
    limit: int,
) -> list[Account]:
    """One page in (order key, id) order, starting after the keyset position ``after``."""
    key = ORDER_COLUMNS[order_field]
    query = _select_accounts(scope)
    for expression in where:
        query = query.where(expression)
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


def order_key(account: Account, order_field: str) -> object:
    if order_field == "display_name":
        return account.fields.display_name.casefold()
    return account.create_time_us


def has_history(account_id: int) -> bool:
    """Whether orders or invoices refer to the account (their amounts are in its currency)."""
    for table in ("sales_order", "invoice"):
        if fetch_rows(f"SELECT 1 FROM {table} WHERE account_id = ? LIMIT 1", account_id):
            return True
    return False
