"""Account use cases: who may do what to which account, validated, audited, atomic.

Each use case opens its own transaction on the unit of work; when it runs inside a replayed
request (see idempotency.run_once) that is the request's transaction, so a change, its
audit event and its stored response commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from wholesale.server.domain.account import (
    Account,
    AccountFields,
    AccountStatus,
    audit_values,
    validate_account,
)
from wholesale.server.domain.audit import FieldChange, changes_between, creation_changes
from wholesale.server.domain.clock import rfc3339
from wholesale.server.domain.filters import Condition, parse_filter
from wholesale.server.domain.ids import find_by_id, resource_key
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Validator,
)
from wholesale.server.services import mutations
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import account_store, audit_store, transactions

MAX_BATCH = 1000
# Fields a batch upsert overwrites on existing accounts when it names none: the ERP owns
# the commercial record, while the manager and lifecycle belong to the account team.
BATCH_DEFAULT_FIELDS = frozenset(
    {
        "external_id",
        "legal_name",
        "display_name",
        "price_tier",
        "tags",
        "region",
        "currency_code",
        "payment_terms_days",
        "credit_limit",
        "contacts",
        "billing_address",
        "shipping_address",
    }
)


def resource_name(account_id: int) -> str:
    return f"accounts/{account_id}"


def _audit(work: UnitOfWork, account_id: int, changes: Sequence[FieldChange]) -> None:
    mutations.audit(work, resource_name(account_id), changes)


def _field_changes(before: AccountFields, after: AccountFields) -> list[FieldChange]:
    return changes_between(audit_values(before), audit_values(after))


def visible_account(
    work: UnitOfWork, account_id: str, *, lock: bool = False, field: str = "id"
) -> Account:
    """The account if it exists within the caller's scope; NOT_FOUND otherwise, so a
    manager cannot even learn that someone else's account exists. ``field`` names the
    request field that carries the id."""
    return find_by_id(
        account_id,
        field,
        "account",
        "ACCOUNT_NOT_FOUND",
        lambda number: account_store.get_account(number, work.scope, lock=lock),
    )


def _found(account: Account | None, shown_key: str) -> Account:
    if account is None:
        raise NotFound(f"account {shown_key!r} not found", reason="ACCOUNT_NOT_FOUND")
    return account


def _check_etag(account: Account, etag: str) -> None:
    mutations.check_etag(f"account {account.id}", account.etag, etag)


def _check_external_id_free(
    work: UnitOfWork, v_path: str, external_id: str, own_id: int | None
) -> None:
    """ALREADY_EXISTS when another account holds ``external_id``; it is named only to a
    caller who may see it."""
    if not external_id:
        return
    owner = account_store.external_id_owner(external_id)
    if owner is None or owner[0] == own_id:
        return
    owner_id, owner_manager = owner
    if not work.scope.includes(owner_manager):
        raise AlreadyExists(
            f"external_id {external_id!r} already belongs to another account",
            reason="EXTERNAL_ID_TAKEN",
            metadata={"field": v_path},
        )
    raise AlreadyExists(
        f"external_id {external_id!r} already belongs to account {owner_id}",
        reason="EXTERNAL_ID_TAKEN",
        metadata={"field": v_path, "account_id": str(owner_id)},
    )


def _validated(fields: AccountFields, prefix: str, *, closed: bool = False) -> AccountFields:
    v = Validator(prefix)
    validate_account(v, fields, closed=closed)
    v.raise_if_any()
    return fields


def _assign_for_manager(work: UnitOfWork, fields: AccountFields) -> AccountFields:
    """A caller limited to one manager's accounts creates accounts for that manager only."""
    manager = work.scope.manager
    if manager is None:
        return fields
    if fields.manager and fields.manager != manager:
        raise PermissionDenied(
            "a manager can only create accounts assigned to themselves",
            reason="MANAGER_CHANGE_NOT_ALLOWED",
        )
    return replace(fields, manager=manager)


def create_account(work: UnitOfWork, fields: AccountFields) -> Account:
    work.require(Permission.WRITE_ACCOUNTS)
    fields = _validated(_assign_for_manager(work, fields).with_defaults(), "account")
    with work.writing():
        _check_external_id_free(work, "account.external_id", fields.external_id, None)
        return _insert(work, fields)


def _insert(work: UnitOfWork, fields: AccountFields) -> Account:
    with _external_id_race(fields.external_id):
        account = account_store.insert_account(fields, work.now_us())
    _audit(work, account.id, creation_changes(audit_values(AccountFields()), audit_values(fields)))
    return account


def _external_id_race(external_id: str) -> AbstractContextManager[None]:
    """ALREADY_EXISTS when another writer took the external_id since we checked it."""
    return transactions.unique_key_guard(
        lambda: AlreadyExists(
            f"external_id {external_id!r} was just taken by another account",
            reason="EXTERNAL_ID_TAKEN",
        )
    )


def get_account(work: UnitOfWork, account_id: str, external_id: str = "") -> Account:
    """By the service's id or by the ERP's external_id (exactly one of them). One
    statement, so it needs no transaction of its own."""
    work.require(Permission.READ_ACCOUNTS)
    key = resource_key("id", account_id, external_id)
    if not key.by_external_id:
        return visible_account(work, account_id)
    found = account_store.accounts_by_external_id([external_id], work.scope)
    return _found(found.get(external_id), external_id)


# The fields that decide which price lists an account meets.
PRICING_FIELDS = ("price_tier", "tags")


def account_as_of(work: UnitOfWork, account: Account, at_us: int | None) -> Account:
    """``account`` with the tier and tags it had at ``at_us`` (from the audit log, which
    records every change of them), so a quote of the past meets the lists it met then.
    None (now) or a later moment: the account as it is, with no statement of its own."""
    if at_us is None or at_us >= work.now_us():
        return account
    found = audit_store.values_at(resource_name(account.id), at_us, PRICING_FIELDS)
    fields = account.fields
    tier, tags = found.get("price_tier"), found.get("tags")
    then = replace(
        fields,
        price_tier=tier if isinstance(tier, str) else fields.price_tier,
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else fields.tags,
    )
    return replace(account, fields=then)


def update_account(
    work: UnitOfWork, account_id: str, changes: AccountFields, paths: set[str], etag: str
) -> Account:
    work.require(Permission.WRITE_ACCOUNTS)
    if "manager" in paths and not work.principal.can(Permission.ASSIGN_MANAGER):
        raise PermissionDenied(
            "only admins and integrations assign accounts to managers",
            reason="MANAGER_CHANGE_NOT_ALLOWED",
        )
    with work.writing():
        current = visible_account(work, account_id, lock=True)
        _check_etag(current, etag)
        return _apply_changes(work, current, changes, paths, "account")


def _apply_changes(
    work: UnitOfWork, current: Account, changes: AccountFields, paths: set[str], path: str
) -> Account:
    """Writes the fields named in ``paths`` over a stored account, after every check an
    update and a batch upsert share; ``path`` is where the account sits in the request."""
    if current.is_closed and "status" in paths:
        raise FailedPrecondition(
            f"account {current.id} is closed: reopen it with UndeleteAccount",
            reason="ACCOUNT_ALREADY_CLOSED",
        )
    merged = current.fields.merged(changes, paths)
    if merged.currency_code != current.fields.currency_code and account_store.has_history(
        current.id
    ):
        raise FailedPrecondition(
            f"account {current.id} has orders or invoices in {current.fields.currency_code}; "
            "its currency cannot change",
            reason="CURRENCY_IN_USE",
            metadata={"field": f"{path}.currency_code"},
        )
    _validated(merged, path, closed=current.is_closed)
    if merged.external_id != current.fields.external_id:
        _check_external_id_free(work, f"{path}.external_id", merged.external_id, current.id)
    return _write_changes(work, current, merged)


def _write_changes(work: UnitOfWork, current: Account, merged: AccountFields) -> Account:
    changes = _field_changes(current.fields, merged)
    if not changes:
        return current
    with _external_id_race(merged.external_id):
        updated = account_store.update_account(current, merged, work.now_us())
    _audit(work, current.id, changes)
    return updated


def _set_closed(work: UnitOfWork, current: Account, status: int, closing: bool) -> Account:
    """Closes or reopens ``current`` with ``status``, audited with the closing time."""
    when = work.now_us()
    account = account_store.update_account(
        current,
        replace(current.fields, status=status),
        when,
        delete_time_us=when if closing else None,
        status_before_close=current.fields.status if closing else None,
    )
    before = current.delete_time_us
    closed_at = FieldChange(
        "delete_time",
        None if closing or before is None else rfc3339(before),
        rfc3339(when) if closing else None,
    )
    _audit(work, current.id, [*_field_changes(current.fields, account.fields), closed_at])
    return account


def delete_account(work: UnitOfWork, account_id: str, etag: str) -> Account:
    work.require(Permission.WRITE_ACCOUNTS)
    with work.writing():
        current = visible_account(work, account_id, lock=True)
        _check_etag(current, etag)
        if current.is_closed:
            raise FailedPrecondition(
                f"account {current.id} is already closed", reason="ACCOUNT_ALREADY_CLOSED"
            )
        return _set_closed(work, current, AccountStatus.CLOSED, closing=True)


def undelete_account(work: UnitOfWork, account_id: str) -> Account:
    work.require(Permission.WRITE_ACCOUNTS)
    with work.writing():
        current = visible_account(work, account_id, lock=True)
        if not current.is_closed:
            raise FailedPrecondition(
                f"account {current.id} is not closed", reason="ACCOUNT_NOT_CLOSED"
            )
        status = account_store.status_before_close(current.id)
        return _set_closed(work, current, status, closing=False)


# ---- listing -------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountQuery:
    filter: str = ""
    order_by: str = ""
    show_deleted: bool = False
    page_size: int = 0
    page_token: str = ""


def _parse_order_by(order_by: str) -> tuple[str, bool]:
    words = order_by.split()
    field = words[0] if words else "create_time"
    direction = words[1].lower() if len(words) > 1 else "asc"
    if (
        field not in account_store.ORDER_COLUMNS
        or len(words) > 2
        or direction
        not in (
            "asc",
            "desc",
        )
    ):
        raise InvalidArgument(
            f"cannot order by {order_by!r}",
            violations=[
                FieldViolation(
                    "order_by", 'use "display_name" or "create_time", optionally with " desc"'
                )
            ],
        )
    return field, direction == "desc"


def _status_condition(condition: Condition) -> Condition:
    name = condition.value.upper().removeprefix("ACCOUNT_STATUS_")
    if name not in AccountStatus.__members__ or name == "UNSPECIFIED":
        allowed = ", ".join(s.name for s in AccountStatus if s.value)
        raise InvalidArgument(
            f"unknown status {condition.value!r}",
            violations=[FieldViolation("filter", f"status must be one of {allowed}")],
        )
    return replace(condition, value=str(AccountStatus[name].value))


def _conditions(query: AccountQuery) -> list[Condition]:
    parsed = parse_filter(query.filter, account_store.ACCOUNT_FILTER_FIELDS)
    return [_status_condition(c) if c.field == "status" else c for c in parsed]


def list_accounts(work: UnitOfWork, query: AccountQuery) -> tuple[list[Account], str]:
    """One page of the accounts the caller may see, and the token of the next page."""
    work.require(Permission.READ_ACCOUNTS)
    order_field, descending = _parse_order_by(query.order_by)
    conditions = _conditions(query)
    token_query = {
        "filter": query.filter,
        "order_by": query.order_by,
        "show_deleted": query.show_deleted,
        "subject": work.principal.subject,
    }
    with work.reading():
        return keyset_page(
            lambda after, limit: account_store.list_accounts(
                work.scope, conditions, query.show_deleted, order_field, descending, after, limit
            ),
            lambda last: [account_store.order_key(last, order_field), last.id],
            token_query,
            query.page_size,
            query.page_token,
        )


# ---- batch upsert --------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    accounts: list[Account]
    created: int
    updated: int
    unchanged: int


def _validate_batch(records: Sequence[AccountFields]) -> None:
    v = Validator()
    if not v.check(0 < len(records) <= MAX_BATCH, "accounts", f"1 to {MAX_BATCH} accounts"):
        v.raise_if_any("a batch holds 1 to 1000 accounts")
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        item = v.nested(f"accounts[{index}]")
        if item.check(bool(record.external_id), "external_id", "required for an upsert"):
            first = seen.setdefault(record.external_id, index)
            item.check(first == index, "external_id", f"repeats accounts[{first}]")
        validate_account(item, record.with_defaults())
    v.raise_if_any("invalid accounts, nothing written")


def batch_upsert_accounts(
    work: UnitOfWork, records: Sequence[AccountFields], paths: set[str] | None
) -> BatchResult:
    """Creates or updates every record by external_id, or raises and writes nothing."""
    work.require(Permission.BULK_WRITE_ACCOUNTS)
    _validate_batch(records)
    with work.writing():
        return _upsert(work, records, set(paths or BATCH_DEFAULT_FIELDS) - {"external_id"})


def _upsert(work: UnitOfWork, records: Sequence[AccountFields], paths: set[str]) -> BatchResult:
    keys = [r.external_id for r in records]
    existing = account_store.accounts_by_external_id(keys, work.scope, lock=True)
    results: list[Account] = []
    created = unchanged = 0
    for index, record in enumerate(records):
        current = existing.get(record.external_id)
        if current is None:
            results.append(_insert(work, record.with_defaults()))
            created += 1
            continue
        account = _apply_changes(work, current, record.with_defaults(), paths, f"accounts[{index}]")
        unchanged += account is current
        results.append(account)
    return BatchResult(results, created, len(records) - created - unchanged, unchanged)
