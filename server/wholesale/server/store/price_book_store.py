"""The price book of one quote, read in two statements: the quote's products with the
account's contract prices for them, then the lists that can price for the account (with
their ancestors) joined to their rules for those products.

Both are fixed SQL texts, one per backend, planned once per connection; the values that
vary in number (SKUs, categories, tags, previewed drafts) travel as JSON arrays, so the
text never changes with the size of the quote. Only rules of lists that can apply and of
the quote's products and categories are read: the cost does not grow with the rules that
cannot apply to the account.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass

from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.price_audience import PricedAccount
from wholesale.server.domain.price_book import CatalogItem, PriceBook
from wholesale.server.domain.price_list import PriceList
from wholesale.server.domain.price_rule import PriceRule
from wholesale.server.store.contract_price_store import CONTRACT_COLUMNS, contract_from_row
from wholesale.server.store.database import is_postgres
from wholesale.server.store.price_list_store import LIST_COLUMNS, list_from_row
from wholesale.server.store.price_rule_store import RULE_COLUMNS, rule_from_row
from wholesale.server.store.sql import fetch_prepared
from wholesale.server.store.versions import recorded_at


@dataclass(frozen=True)
class QuoteProducts:
    items: dict[str, CatalogItem]
    inactive: frozenset[str]
    contracts: list[ContractPrice]


def _in(postgres: bool, column: str, name: str, sql_type: str = "TEXT") -> str:
    """SQL: ``column`` is one of the elements of the JSON array parameter ``name``. On
    PostgreSQL as ``= ANY(ARRAY(...))``, which its planner takes into an index condition
    (an ``IN`` subquery became a hash join over every rule of the lists)."""
    if postgres:
        elements = f"CAST(json_array_elements_text(CAST(:{name} AS json)) AS {sql_type})"
        return f"{column} = ANY(ARRAY(SELECT {elements}))"
    return f"{column} IN (SELECT value FROM json_each(:{name}))"


@functools.lru_cache(maxsize=2)
def _products_sql(postgres: bool) -> str:
    contract_columns = ", ".join(f"c.{col}" for col in CONTRACT_COLUMNS)
    return (
        "SELECT p.sku, p.name, p.category, p.list_price_micros, p.currency_code, p.active, "
        f"{contract_columns} FROM product p "
        "LEFT JOIN contract_price_version c ON c.sku = p.sku AND c.account_id = :account "
        f"AND {recorded_at('c', ':at')} AND NOT c.deleted "
        f"WHERE {_in(postgres, 'p.sku', 'skus')}"
    )


def quote_products(account_id: int, skus: Sequence[str], at_us: int) -> QuoteProducts:
    """The products among ``skus`` and the account's contract prices for them as recorded
    at ``at_us`` (one statement)."""
    rows = fetch_prepared(
        _products_sql(is_postgres()), account=account_id, at=at_us, skus=json.dumps(list(skus))
    )
    items: dict[str, CatalogItem] = {}
    inactive: set[str] = set()
    contracts: list[ContractPrice] = []
    for row in rows:
        sku, name, category, price, currency, active = row[:6]
        items[sku] = CatalogItem(sku, name, category, price, currency)
        if not active:
            inactive.add(sku)
        if row[6] is not None:
            contracts.append(contract_from_row(row[6:]))
    return QuoteProducts(items, frozenset(inactive), contracts)


@functools.lru_cache(maxsize=2)
def _lists_sql(postgres: bool) -> str:
    """The lists that may price for the account with their ancestors (rows of kind 'L'),
    then their rules for the quote's SKUs and for its categories or every product (kind
    'R'). Two rule branches, so each uses its index: (list, sku) and (list, category)."""
    list_columns = ", ".join(f"v.{c}" for c in LIST_COLUMNS)
    rule_columns = ", ".join(f"r.{c}" for c in RULE_COLUMNS)
    list_nulls = ", ".join("NULL" for _ in range(len(LIST_COLUMNS) + 1))
    rule_nulls = ", ".join("NULL" for _ in RULE_COLUMNS)
    rule_in_force = f"{recorded_at('r', ':at')} AND NOT r.deleted"
    quotable = (
        "(v.status = 'active' OR (v.status = 'draft'"
        f" AND {_in(postgres, 'v.list_id', 'previews', 'BIGINT')}))"
    )
    return (
        # The lists whose audience includes the account, found by index: the lists for
        # everyone, and those naming its tier, one of its tags or the account itself.
        "WITH RECURSIVE direct(list_id) AS ("
        " SELECT v.list_id FROM price_list_version v"
        f" WHERE v.everyone AND {recorded_at('v', ':at')} AND {quotable}"
        " UNION SELECT v.list_id FROM price_list_audience a CROSS JOIN price_list_version v"
        " WHERE ((a.kind = 'tier' AND a.value = :tier) OR (a.kind = 'account'"
        f" AND a.value = :account) OR (a.kind = 'tag' AND {_in(postgres, 'a.value', 'tags')}))"
        " AND v.list_id = a.list_id AND v.version = a.version"
        f" AND {recorded_at('v', ':at')} AND {quotable}"
        "), chosen(list_id) AS ("
        " SELECT list_id FROM direct"
        " UNION"
        " SELECT p.parent_id FROM chosen c JOIN price_list_version p ON p.list_id = c.list_id"
        f" AND {recorded_at('p', ':at')} WHERE p.parent_id IS NOT NULL"
        ")"
        f" SELECT 'L', {list_columns}, l.create_time_us, {rule_nulls}"
        " FROM chosen c JOIN price_list l ON l.id = c.list_id"
        f" JOIN price_list_version v ON v.list_id = c.list_id AND {recorded_at('v', ':at')}"
        # "list_id IN chosen" rather than a join: SQLite would build a Bloom filter over
        # every rule for a join; this way both backends look up (list, sku) and
        # (list, category) in the indexes.
        f" UNION ALL SELECT 'R', {list_nulls}, {rule_columns} FROM price_rule_version r"
        " WHERE r.list_id IN (SELECT list_id FROM chosen)"
        f" AND {_in(postgres, 'r.sku', 'skus')} AND {rule_in_force}"
        f" UNION ALL SELECT 'R', {list_nulls}, {rule_columns} FROM price_rule_version r"
        " WHERE r.list_id IN (SELECT list_id FROM chosen) AND r.sku = ''"
        f" AND {_in(postgres, 'r.category', 'categories')} AND {rule_in_force}"
    )


def lists_statement(
    account: PricedAccount,
    products: QuoteProducts,
    at_us: int,
    previews: frozenset[int],
) -> tuple[str, dict[str, object]]:
    """The SQL of :func:`quote_lists` and its values."""
    # "" stands for the list-wide rules (no SKU, no category).
    categories = sorted({"", *(c for item in products.items.values() for c in item.categories)})
    return _lists_sql(is_postgres()), {
        "at": at_us,
        "previews": json.dumps(sorted(previews)),
        "tier": account.price_tier,
        "account": str(account.id),
        "tags": json.dumps(sorted(account.tags)),
        "skus": json.dumps(sorted(products.items)),
        "categories": json.dumps(categories),
    }


def quote_lists(
    account: PricedAccount,
    products: QuoteProducts,
    at_us: int,
    previews: frozenset[int],
) -> tuple[list[PriceList], list[PriceRule]]:
    """The lists that may price for ``account`` at ``at_us`` (active ones, and the drafts
    in ``previews``) with their ancestors, and their rules for the products (one
    statement). The engine still checks audiences, statuses and windows itself."""
    sql, params = lists_statement(account, products, at_us, previews)
    rows = fetch_prepared(sql, **params)
    lists: list[PriceList] = []
    rules: list[PriceRule] = []
    split = len(LIST_COLUMNS) + 2
    for row in rows:
        if row[0] == "L":
            lists.append(list_from_row(row[1:split]))
        else:
            rules.append(rule_from_row(row[split:]))
    return lists, rules


def quote_book(
    account: PricedAccount, skus: Sequence[str], at_us: int, previews: frozenset[int]
) -> tuple[PriceBook, QuoteProducts]:
    """Everything a quote for ``skus`` needs, in two statements."""
    products = quote_products(account.id, skus, at_us)
    lists, rules = quote_lists(account, products, at_us, previews)
    book = PriceBook(products.items.values(), lists, rules, products.contracts, previews)
    return book, products
