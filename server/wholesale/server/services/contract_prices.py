"""Contract price use cases: a unit price agreed with one account for one SKU over a date
range. Each change records a new version; a deletion is a version too, so a quote of
the past still finds the contract that was in force."""

from __future__ import annotations

from dataclasses import dataclass, replace

from wholesale.server.domain.audit import Json, changes_between, json_value
from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.ids import find_by_id
from wholesale.server.domain.money import MAX_MICROS
from wholesale.server.domain.principal import Permission
from wholesale.server.domain.text import check_text
from wholesale.server.domain.validity import validate_window
from wholesale.server.errors import (
    FailedPrecondition,
    NotFound,
    Validator,
)
from wholesale.server.services import mutations
from wholesale.server.services.accounts import visible_account
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import contract_price_store, product_store

MAX_NOTE = 500
# API fields an update may name -> the attribute each sets (the dates set the window).
_ATTRIBUTES = {"unit_price": "unit_price_micros", "note": "note"}
UPDATABLE = frozenset({*_ATTRIBUTES, "start_date", "end_date"})


def resource_name(contract: ContractPrice) -> str:
    return f"accounts/{contract.account_id}/contractPrices/{contract.id}"


def _audit_values(contract: ContractPrice) -> dict[str, Json]:
    return {
        "sku": contract.sku,
        "unit_price_micros": contract.unit_price_micros,
        "currency": contract.currency,
        "window": json_value(contract.window),
        "note": contract.note,
        "deleted": contract.deleted,
    }


def _validated(work: UnitOfWork, contract: ContractPrice, prefix: str) -> ContractPrice:
    """The contract checked against its account (whose currency it must use) and the
    catalog."""
    account = visible_account(work, str(contract.account_id), field=f"{prefix}.account_id")
    v = Validator(prefix)
    currency = account.fields.currency_code
    v.check(
        contract.currency in ("", currency),
        "unit_price.currency_code",
        f"the account pays in {currency}",
    )
    v.check(
        0 <= contract.unit_price_micros <= MAX_MICROS, "unit_price", "not negative, at most 10^9"
    )
    v.check(contract.window.start_us is not None, "start_date", "required")
    validate_window(v, contract.window, "start_date", "end_date")
    check_text(v, "note", contract.note, MAX_NOTE)
    if v.check(bool(contract.sku), "sku", "required"):
        v.check(
            product_store.get_product(contract.sku) is not None,
            "sku",
            f"no product {contract.sku!r} in the catalog",
        )
    v.raise_if_any()
    _check_no_overlap(contract)
    return replace(contract, currency=currency)


def _check_no_overlap(contract: ContractPrice) -> None:
    """One agreed price per account, SKU and day: overlapping contracts would leave the
    buyer two prices for one day."""
    for other in contract_price_store.current_contracts(contract.account_id, contract.sku):
        if other.id != contract.id and other.window.overlaps(contract.window):
            raise FailedPrecondition(
                f"contract price {other.id} already holds for account {contract.account_id} "
                f"and {contract.sku} {other.window.describe()}; end it first",
                reason="CONTRACT_PRICE_OVERLAP",
                metadata={"contract_price_id": str(other.id)},
            )


def create_contract_price(work: UnitOfWork, contract: ContractPrice) -> ContractPrice:
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        checked = _validated(work, contract, "contract_price")
        created = contract_price_store.insert_contract(checked, work.now_us())
        changes = changes_between({}, _audit_values(created))
        mutations.audit(work, resource_name(created), changes)
        return created


def _stored(work: UnitOfWork, contract_id: str, path: str) -> ContractPrice:
    def load(number: int) -> ContractPrice | None:
        found = contract_price_store.get_contract(number)
        return found if found and not found.deleted and _visible(work, found) else None

    return find_by_id(contract_id, path, "contract price", "CONTRACT_PRICE_NOT_FOUND", load)


def _visible(work: UnitOfWork, contract: ContractPrice) -> bool:
    try:
        visible_account(work, str(contract.account_id))
    except NotFound:
        return False
    return True


def _record(work: UnitOfWork, current: ContractPrice, changed: ContractPrice) -> ContractPrice:
    changes = changes_between(_audit_values(current), _audit_values(changed))
    if not changes:
        return current
    stored = contract_price_store.record_version(changed, work.now_us())
    mutations.audit(work, resource_name(current), changes)
    return stored


def update_contract_price(
    work: UnitOfWork, contract_id: str, changes: ContractPrice, paths: set[str], etag: str
) -> ContractPrice:
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        current = _stored(work, contract_id, "contract_price.id")
        mutations.check_etag(f"contract price {current.id}", current.etag, etag)
        merged = replace(
            current,
            **{_ATTRIBUTES[p]: getattr(changes, _ATTRIBUTES[p]) for p in paths if p in _ATTRIBUTES},
        )
        window = current.window.updated(changes.window, "start_date" in paths, "end_date" in paths)
        merged = replace(merged, window=window)
        return _record(work, current, _validated(work, merged, "contract_price"))


def delete_contract_price(work: UnitOfWork, contract_id: str, etag: str) -> ContractPrice:
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        current = _stored(work, contract_id, "id")
        mutations.check_etag(f"contract price {current.id}", current.etag, etag)
        return _record(work, current, replace(current, deleted=True))


@dataclass(frozen=True)
class ContractQuery:
    account_id: str
    as_of_us: int | None = None
    page_size: int = 0
    page_token: str = ""


def list_contract_prices(work: UnitOfWork, query: ContractQuery) -> tuple[list[ContractPrice], str]:
    work.require(Permission.READ_PRICES)
    account = visible_account(work, query.account_id, field="account_id")
    return keyset_page(
        lambda after, limit: contract_price_store.list_contracts(
            account.id, after[0] if after else 0, limit, query.as_of_us
        ),
        lambda contract: [contract.id],
        {"account": account.id, "as_of": query.as_of_us},
        query.page_size,
        query.page_token,
    )
