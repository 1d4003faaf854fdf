"""Price list use cases: create, read, list, change (each change a new version), delete a
draft. Admins and integrations change lists; every role reads them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from wholesale.server.domain.audit import FieldChange, Json, changes_between, json_value
from wholesale.server.domain.filters import Condition, parse_filter
from wholesale.server.domain.ids import find_by_id
from wholesale.server.domain.price_list import (
    ListStatus,
    PriceList,
    minor_unit_default,
    validate_price_list,
)
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    Validator,
)
from wholesale.server.services import mutations
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import account_store, price_list_store

# The fields an update may name, as the API's PriceList spells them, and the attribute of
# PriceList each sets (start_time and end_time set the window's ends).
_ATTRIBUTES = {
    "name": "name",
    "description": "description",
    "status": "status",
    "priority": "priority",
    "rounding_increment": "increment_micros",
    "audience": "audience",
    "parent_list_id": "parent_id",
    "parent_discount": "parent_discount",
}
UPDATABLE = frozenset({*_ATTRIBUTES, "start_time", "end_time"})
# Status changes a list may make: a list that priced quotes never returns to draft, and an
# archived list is kept as it was (copy it into a new list to price with it again).
_TRANSITIONS = {
    ListStatus.DRAFT: {ListStatus.DRAFT, ListStatus.ACTIVE, ListStatus.ARCHIVED},
    ListStatus.ACTIVE: {ListStatus.ACTIVE, ListStatus.ARCHIVED},
    ListStatus.ARCHIVED: {ListStatus.ARCHIVED},
}


def resource_name(list_id: int) -> str:
    return f"priceLists/{list_id}"


def _audit_values(price_list: PriceList) -> dict[str, Json]:
    skipped = {"id", "version", "create_time_us", "recorded_us"}
    return {
        f.name: json_value(getattr(price_list, f.name))
        for f in fields(price_list)
        if f.name not in skipped
    }


def stored_list(list_id: str, path: str = "id", as_of_us: int | None = None) -> PriceList:
    """The current version of a list (or the one recorded at ``as_of_us``); NOT_FOUND if
    there is none, INVALID_ARGUMENT at ``path`` if no id is given."""
    return find_by_id(
        list_id,
        path,
        "price list",
        "PRICE_LIST_NOT_FOUND",
        lambda number: price_list_store.get_list(number, as_of_us),
    )


def _validated(price_list: PriceList, prefix: str) -> PriceList:
    """``price_list`` with its defaults, validated with its stored context: the parent
    exists, shares the currency and is no descendant of the list; named accounts exist."""
    price_list = replace(
        price_list,
        increment_micros=minor_unit_default(price_list.increment_micros, price_list.currency),
    )
    v = Validator(prefix)
    validate_price_list(v, price_list)
    v.raise_if_any()
    _check_parent(v, price_list)
    _check_accounts(v, price_list)
    v.raise_if_any()
    return price_list


def _check_parent(v: Validator, price_list: PriceList) -> None:
    seen = {price_list.id}
    parent_id = price_list.parent_id
    while parent_id is not None:
        if parent_id in seen:
            v.add("parent_list_id", "the parent chain would lead back to this list")
            return
        parent = price_list_store.get_list(parent_id)
        if parent is None:
            v.add("parent_list_id", f"no price list {parent_id}")
            return
        if parent_id == price_list.parent_id and parent.currency != price_list.currency:
            v.add("parent_list_id", f"the parent's prices are in {parent.currency}")
            return
        seen.add(parent_id)
        parent_id = parent.parent_id


def _check_accounts(v: Validator, price_list: PriceList) -> None:
    named = price_list.audience.account_ids
    for account_id in sorted(named - account_store.existing_ids(sorted(named))):
        v.add("audience.account_ids", f"no account {account_id}")


def create_price_list(work: UnitOfWork, price_list: PriceList) -> PriceList:
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        checked = _validated(replace(price_list, id=0), "price_list")
        created = price_list_store.insert_list(checked, work.now_us())
        changes = changes_between({}, _audit_values(created))
        mutations.audit(work, resource_name(created.id), changes)
        return created


def get_price_list(work: UnitOfWork, list_id: str, as_of_us: int | None = None) -> PriceList:
    work.require(Permission.READ_PRICES)
    return stored_list(list_id, "id", as_of_us)


@dataclass(frozen=True)
class PriceListQuery:
    filter: str = ""
    page_size: int = 0
    page_token: str = ""


def _checked_condition(condition: Condition) -> Condition:
    """The condition with its value checked and normalised (statuses and audience kinds
    by name, in any case)."""
    value = condition.value
    names = {
        "status": [s.value for s in ListStatus],
        "audience": ["everyone", "segment", "accounts"],
    }.get(condition.field)
    if names is not None and value.lower() not in names:
        raise InvalidArgument(
            f"invalid filter: {condition.field} takes {', '.join(n.upper() for n in names)}",
            violations=[FieldViolation("filter", f"{condition.field}: one of {', '.join(names)}")],
        )
    return replace(condition, value=value.lower() if names else value)


def list_price_lists(work: UnitOfWork, query: PriceListQuery) -> tuple[list[PriceList], str]:
    work.require(Permission.READ_PRICES)
    parsed = parse_filter(query.filter, price_list_store.LIST_FILTER_FIELDS)
    conditions = [_checked_condition(c) for c in parsed]
    return keyset_page(
        lambda after, limit: price_list_store.list_lists(
            after[0] if after else 0, limit, conditions
        ),
        lambda found: [found.id],
        {"price_list_filter": query.filter},
        query.page_size,
        query.page_token,
    )


def _merged(current: PriceList, changes: PriceList, paths: set[str]) -> PriceList:
    """``current`` with the fields named in ``paths`` taken from ``changes``."""
    attributes = [_ATTRIBUTES[path] for path in paths if path in _ATTRIBUTES]
    merged = replace(current, **{name: getattr(changes, name) for name in attributes})
    window = current.window.updated(changes.window, "start_time" in paths, "end_time" in paths)
    return replace(merged, window=window)


def update_price_list(
    work: UnitOfWork, list_id: str, changes: PriceList, paths: set[str], etag: str
) -> PriceList:
    """Records the fields named in ``paths`` as a new version; a stale ``etag`` is ABORTED."""
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        current = stored_list(list_id, "price_list.id")
        mutations.check_etag(f"price list {current.id}", current.etag, etag)
        merged = _merged(current, changes, paths)
        if merged.status not in _TRANSITIONS[current.status]:
            raise FailedPrecondition(
                f"price list {current.id} is {current.status.value} and cannot become "
                f"{merged.status.value}",
                reason="PRICE_LIST_STATUS",
            )
        if merged.status is ListStatus.ARCHIVED and current.status is not ListStatus.ARCHIVED:
            _check_no_children(current)
        checked = _validated(merged, "price_list")
        audited: list[FieldChange] = changes_between(_audit_values(current), _audit_values(checked))
        if not audited:
            return current
        stored = price_list_store.record_version(checked, work.now_us())
        mutations.audit(work, resource_name(current.id), audited)
        return stored


def _check_no_children(price_list: PriceList) -> None:
    """A list others derive from stays: archiving or deleting it would silently take the
    prices of its children away."""
    if price_list_store.has_children(price_list.id):
        raise FailedPrecondition(
            f"other lists derive from price list {price_list.id}; change their parent first",
            reason="PRICE_LIST_HAS_CHILDREN",
        )


def delete_price_list(work: UnitOfWork, list_id: str, etag: str) -> tuple[PriceList, bool]:
    """Deletes a draft with its rules (True); archives an active list instead, which may
    have priced quotes (False); leaves an archived list as it is."""
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        current = stored_list(list_id)
        mutations.check_etag(f"price list {current.id}", current.etag, etag)
        if current.status is ListStatus.ARCHIVED:
            return current, False
        _check_no_children(current)
        resource = resource_name(current.id)
        if current.status is ListStatus.ACTIVE:
            archived = price_list_store.record_version(
                replace(current, status=ListStatus.ARCHIVED), work.now_us()
            )
            mutations.audit(work, resource, [FieldChange("status", "active", "archived")])
            return archived, False
        price_list_store.delete_draft(current.id)
        mutations.audit(work, resource, [FieldChange("deleted", False, True)])
        return current, True
