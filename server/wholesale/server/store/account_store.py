"""Reading and writing accounts: rows <-> domain objects, filters, keyset pages."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal

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
from wholesale.server.domain.price_audience import Audience
from wholesale.server.store.database import is_postgres
from wholesale.server.store.models import Account as AccountRow
from wholesale.server.store.models import AccountTag
from wholesale.server.store.sql import (
    LIKE,
    escape_like,
    fetch,
    fetch_rows,
    select_where_in,
    storable,
)


def _address_from_json(text: str) -> Address:
    data = json.loads(text)
    return Address(**{**data, "lines": tuple(data.get("lines", ()))})


# ---- reading: one SQL text per query shape, rows straight to domain values --------------

# The columns every account read returns, in the order _from_row takes them.
_COLUMNS = (
    "id",
    "external_id",
    "legal_name",
    "display_name",
    "status",
    "price_tier",
    "region",
    "currency_code",
    "payment_terms_days",
    "credit_limit_micros",
    "manager",
    "contacts_json",
    "billing_address_json",
    "shipping_address_json",
    "create_time_us",
    "update_time_us",
    "delete_time_us",
    "version",
    "price_tier_pinned",
)


def _from_row(row: Sequence) -> Account:
    """The account a row of :func:`_select_sql` holds (its tags joined by commas last)."""
    (
        account_id,
        external_id,
        legal_name,
        display_name,
        status,
        price_tier,
        region,
        currency,
        terms_days,
        credit_limit_micros,
        manager,
        contacts_json,
        billing_json,
        shipping_json,
        create_time_us,
        update_time_us,
        delete_time_us,
        version,
        tier_pinned,
        tag_list,
    ) = row
    fields = AccountFields(
        external_id=external_id or "",
        legal_name=legal_name,
        display_name=display_name,
        status=status,
        price_tier=price_tier,
        tags=tuple(sorted(tag_list.split(","))) if tag_list else (),
        region=region,
        currency_code=currency,
        payment_terms_days=terms_days,
        credit_limit=Money.from_micros(credit_limit_micros, currency),
        manager=manager,
        contacts=tuple(Contact(**c) for c in json.loads(contacts_json)),
        billing_address=_address_from_json(billing_json),
        shipping_address=_address_from_json(shipping_json),
    )
    return Account(
        account_id,
        fields,
        create_time_us,
        update_time_us,
        delete_time_us,
        version,
        bool(tier_pinned),
    )


# A condition with its parameters written ``?`` and their values.
Where = tuple[str, Sequence[object]]


@functools.lru_cache(maxsize=256)
def _select_sql(
    postgres: bool, where: tuple[str, ...], order_by: str = "", limit: bool = False
) -> str:
    """The account query of one shape: ``where`` conditions (parameters written ``?``),
    an ORDER BY and a LIMIT parameter. Built once per shape and backend."""
    joined = "string_agg(t.tag, ',')" if postgres else "group_concat(t.tag)"
    sql = (
        f"SELECT {', '.join(f'a.{c}' for c in _COLUMNS)}, "
        f"(SELECT {joined} FROM account_tag t WHERE t.account_id = a.id) FROM account a"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    if order_by:
        sql += f" ORDER BY {order_by}"
    return sql + (" LIMIT ?" if limit else "")


def _accounts(
    scope: AccountScope,
    where: Sequence[Where],
    order_by: str = "",
    limit: int | None = None,
    lock: bool = False,
) -> list[Account]:
    """The accounts ``scope`` allows that meet every condition of ``where``, in one query."""
    if scope.manager is not None:
        where = [*where, ("a.manager = ?", (scope.manager,))]
    sql = _select_sql(is_postgres(), tuple(c for c, _ in where), order_by, limit is not None)
    params = [value for _, values in where for value in values]
    if limit is not None:
        params.append(limit)
    if lock and is_postgres():
        sql += " FOR UPDATE"
    return [_from_row(row) for row in fetch(sql, params)]


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


def _replace_tags(account_id: int, tags: Sequence[str]) -> None:
    AccountTag.delete().where(AccountTag.account_id == account_id).execute()
    if tags:
        AccountTag.insert_many(
            [(account_id, tag) for tag in tags], fields=[AccountTag.account, AccountTag.tag]
        ).execute()


def insert_account(fields: AccountFields, now_us: int) -> Account:
    row = AccountRow.create(**_columns(fields), create_time_us=now_us, update_time_us=now_us)
    _replace_tags(row.id, fields.tags)
    return _written(row.id)


def update_account(
    account: Account, fields: AccountFields, now_us: int, **extra: object
) -> Account:
    """Writes ``fields`` over ``account``; ``extra`` sets other columns (delete time ...)."""
    values = {**_columns(fields), "update_time_us": now_us, "version": account.version + 1}
    values.update(extra)
    AccountRow.update(**values).where(AccountRow.id == account.id).execute()
    if fields.tags != account.fields.tags:
        _replace_tags(account.id, fields.tags)
    return _written(account.id)


def _written(account_id: int) -> Account:
    """The account as just written in this transaction, read back as every read sees it."""
    written = get_account(account_id, EVERY_ACCOUNT)
    assert written is not None, "the row was just written in this transaction"
    return written


def get_account(account_id: int, scope: AccountScope, *, lock: bool = False) -> Account | None:
    """The account if it exists within ``scope``, or None; ``lock`` holds its row until the
    transaction ends (PostgreSQL)."""
    found = _accounts(scope, [("a.id = ?", (account_id,))], lock=lock)
    return found[0] if found else None


def status_before_close(account_id: int) -> int:
    row = AccountRow.get_by_id(account_id)
    return row.status_before_close or AccountStatus.ACTIVE


def accounts_by_external_id(
    external_ids: Sequence[str], scope: AccountScope, *, lock: bool = False
) -> dict[str, Account]:
    keys = storable(external_ids)
    if not keys:
        return {}
    condition = f"a.external_id IN ({', '.join('?' for _ in keys)})"
    found = _accounts(scope, [(condition, keys)], lock=lock)
    return {a.fields.external_id: a for a in found}


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
    "status": "a.status",
    "price_tier": "a.price_tier",
    "manager": "a.manager",
    "region": "a.region",
    # An account without an ERP id stores NULL (unique keys allow many); filters see "".
    "external_id": "COALESCE(a.external_id, '')",
}
_EQUALITY_OPERATORS = {"=": "=", "!=": "<>"}
ORDER_COLUMNS = {"display_name": "a.sort_name", "create_time": "a.create_time_us"}


def _condition(condition: Condition) -> Where:
    """One parsed filter condition (values already checked by the service) as SQL."""
    if condition.field == "tags":
        return "a.id IN (SELECT account_id FROM account_tag WHERE tag = ?)", (condition.value,)
    if condition.field == "name":
        return f"a.search_text {LIKE}", (f"%{escape_like(condition.value.casefold())}%",)
    column = _EQUALITY_COLUMNS[condition.field]
    value = int(condition.value) if condition.field == "status" else condition.value
    return f"{column} {_EQUALITY_OPERATORS[condition.op]} ?", (value,)


def list_accounts(
    scope: AccountScope,
    conditions: Sequence[Condition],
    show_deleted: bool,
    order_field: str,
    descending: bool,
    after: list | None,
    limit: int,
) -> list[Account]:
    """One page in (order key, id) order, starting after the keyset position ``after``."""
    key = ORDER_COLUMNS[order_field]
    where = [_condition(c) for c in conditions]
    if not show_deleted:
        where.append(("a.delete_time_us IS NULL", ()))
    beyond, direction = ("<", "DESC") if descending else (">", "ASC")
    if after is not None:
        last_key, last_id = after
        keyset = f"({key} {beyond} ? OR ({key} = ? AND a.id {beyond} ?))"
        where.append((keyset, (last_key, last_key, last_id)))
    return _accounts(scope, where, f"{key} {direction}, a.id {direction}", limit)


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


def accounts_in_audience(audience: Audience, scope: AccountScope, limit: int) -> list[Account]:
    """Up to ``limit`` open accounts (by id) that a price list's audience includes."""
    where: list[Where] = [("a.status != ?", (AccountStatus.CLOSED,))]
    if audience.account_ids:
        ids = sorted(audience.account_ids)
        where.append((f"a.id IN ({', '.join('?' for _ in ids)})", tuple(ids)))
    elif audience.tiers or audience.tags:
        tiers, tags = sorted(audience.tiers), sorted(audience.tags)
        tier_marks = ", ".join("?" for _ in tiers) or "NULL"
        tag_marks = ", ".join("?" for _ in tags) or "NULL"
        condition = (
            f"(a.price_tier IN ({tier_marks}) OR EXISTS (SELECT 1 FROM account_tag t "
            f"WHERE t.account_id = a.id AND t.tag IN ({tag_marks})))"
        )
        where.append((condition, (*tiers, *tags)))
    return _accounts(scope, where, "a.id", limit)


def existing_ids(account_ids: Sequence[int]) -> set[int]:
    """The ids among ``account_ids`` that are accounts (closed ones too), in one query."""
    found = select_where_in("SELECT id FROM account", "id", sorted(account_ids))
    return {account_id for (account_id,) in found}
