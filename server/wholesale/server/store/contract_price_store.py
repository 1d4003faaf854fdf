"""Reading and writing contract prices: identities per account and versions."""

from __future__ import annotations

from collections.abc import Sequence

from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.validity import Window
from wholesale.server.store.sql import fetch, fetch_rows, insert_rows
from wholesale.server.store.versions import next_version, recorded_at

CONTRACT_COLUMNS = (
    "contract_id",
    "version",
    "account_id",
    "sku",
    "unit_price_micros",
    "currency_code",
    "start_us",
    "end_us",
    "note",
    "deleted",
    "recorded_us",
)


def contract_from_row(row: Sequence) -> ContractPrice:
    (contract_id, version, account_id, sku, price, currency, start_us, end_us, note,
     deleted, recorded_us) = row[:11]  # fmt: skip
    return ContractPrice(
        id=contract_id,
        version=version,
        account_id=account_id,
        sku=sku,
        unit_price_micros=price,
        currency=currency,
        window=Window(start_us, end_us),
        note=note,
        deleted=bool(deleted),
        recorded_us=recorded_us,
    )


def _insert_version(contract: ContractPrice, contract_id: int, version: int, now_us: int) -> None:
    values = (
        contract_id,
        version,
        contract.account_id,
        contract.sku,
        contract.unit_price_micros,
        contract.currency,
        contract.window.start_us,
        contract.window.end_us,
        contract.note,
        contract.deleted,
        now_us,
    )
    insert_rows("contract_price_version", CONTRACT_COLUMNS, [values])


def insert_contract(contract: ContractPrice, now_us: int) -> ContractPrice:
    [(contract_id,)] = fetch_rows(
        "INSERT INTO contract_price (account_id, current_version, create_time_us) "
        "VALUES (?, 1, ?) RETURNING id",
        contract.account_id,
        now_us,
    )
    _insert_version(contract, contract_id, 1, now_us)
    return _current(contract_id)


def record_version(contract: ContractPrice, now_us: int) -> ContractPrice:
    version = next_version(
        "contract_price", contract.id, "contract_price_version", "contract_id", now_us
    )
    _insert_version(contract, contract.id, version, now_us)
    return _current(contract.id)


_SELECT = (
    f"SELECT {', '.join(f'c.{col}' for col in CONTRACT_COLUMNS)} FROM contract_price i "
    "JOIN contract_price_version c ON c.contract_id = i.id"
)


def _current(contract_id: int) -> ContractPrice:
    found = get_contract(contract_id)
    assert found is not None  # written in this transaction
    return found


def get_contract(contract_id: int) -> ContractPrice | None:
    rows = fetch(f"{_SELECT} WHERE i.id = ? AND c.version = i.current_version", (contract_id,))
    return contract_from_row(rows[0]) if rows else None


def list_contracts(
    account_id: int, after_id: int, limit: int, as_of_us: int | None = None
) -> list[ContractPrice]:
    """The account's contract prices (current, or recorded as current at ``as_of_us``),
    deleted ones left out, by id after ``after_id``."""
    if as_of_us is None:
        when, params = "c.version = i.current_version", [account_id, after_id]
    else:
        when, params = recorded_at("c", "?"), [account_id, after_id, as_of_us, as_of_us]
    sql = (
        f"{_SELECT} WHERE i.account_id = ? AND i.id > ? AND {when} AND NOT c.deleted "
        "ORDER BY i.id LIMIT ?"
    )
    return [contract_from_row(row) for row in fetch(sql, [*params, limit])]


def current_contracts(account_id: int, sku: str) -> list[ContractPrice]:
    """The current, undeleted contract prices of one account for one SKU."""
    sql = (
        f"{_SELECT} WHERE i.account_id = ? AND c.sku = ? AND c.version = i.current_version "
        "AND NOT c.deleted"
    )
    return [contract_from_row(row) for row in fetch(sql, (account_id, sku))]
