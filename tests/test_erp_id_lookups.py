"""Fetching accounts, products and orders by the ERP's id: GetAccount, GetProduct and
GetOrder take ``external_id`` instead of the service's key, ListOrders filters by the
account's ERP id, and summaries and credit checks name the account they are about. The
access policy holds on every one of these paths. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import grpc
import pytest
from support.orders import Accounts, OrdersApi, make_line, make_order, make_product
from support.rpc import expect_failure

from wholesale.v1 import account_service_pb2, catalog_service_pb2, order_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


@pytest.fixture
def api(running_server, channel) -> OrdersApi:
    return OrdersApi(channel, running_server.tokens)


@pytest.fixture
def accounts(api: OrdersApi) -> Accounts:
    api.seed_catalog()
    return api.standard_accounts()


def get_account(api: OrdersApi, who: str = "admin", **key: str):
    request = account_service_pb2.GetAccountRequest(**key)
    return api.accounts.GetAccount(request, metadata=api.md(who)).account


def test_get_account_by_external_id_is_the_same_account(api: OrdersApi, accounts: Accounts):
    by_erp_id = get_account(api, external_id="ACC-ALICE")
    assert by_erp_id == api.get(accounts.alice.id)
    assert get_account(api, external_id="ACC-BOB").id == accounts.bob.id


def test_closed_account_is_found_by_external_id(api: OrdersApi, accounts: Accounts):
    assert get_account(api, external_id="ACC-CLOSED").id == accounts.closed.id


def test_get_account_needs_exactly_one_key(api: OrdersApi, accounts: Accounts):
    method = api.accounts.GetAccount
    both = account_service_pb2.GetAccountRequest(id=accounts.alice.id, external_id="ACC-ALICE")
    expect_failure(method, both, metadata=api.md("admin"), code=INVALID, fields=["external_id"])
    neither = account_service_pb2.GetAccountRequest()
    expect_failure(method, neither, metadata=api.md("admin"), code=INVALID, fields=["id"])


def test_unknown_and_foreign_external_ids_are_not_found(api: OrdersApi, accounts: Accounts):
    request = account_service_pb2.GetAccountRequest(external_id="ACC-NOBODY")
    expect_failure(
        api.accounts.GetAccount,
        request,
        metadata=api.md("admin"),
        code=NOT_FOUND,
        reason="ACCOUNT_NOT_FOUND",
    )
    # Bob's account does not exist for Alice, whichever key she uses.
    foreign = account_service_pb2.GetAccountRequest(external_id="ACC-BOB")
    expect_failure(
        api.accounts.GetAccount,
        foreign,
        metadata=api.md("alice"),
        code=NOT_FOUND,
        reason="ACCOUNT_NOT_FOUND",
    )
    assert get_account(api, who="alice", external_id="ACC-ALICE").id == accounts.alice.id


def test_get_product_by_sku_or_external_id(api: OrdersApi, accounts: Accounts):
    api.upsert_products(
        [make_product("KIWI-1KG", "Kiwi 1 kg", "fruit", "3.10", external_id="M-77")]
    )
    product = api.catalog.GetProduct(
        catalog_service_pb2.GetProductRequest(sku="KIWI-1KG"), metadata=api.md("viewer")
    ).product
    by_erp_id = api.catalog.GetProduct(
        catalog_service_pb2.GetProductRequest(external_id=product.external_id),
        metadata=api.md("viewer"),
    ).product
    assert by_erp_id == product
    expect_failure(
        api.catalog.GetProduct,
        catalog_service_pb2.GetProductRequest(external_id="NO-SUCH-ERP-ID"),
        metadata=api.md("viewer"),
        code=NOT_FOUND,
        reason="PRODUCT_NOT_FOUND",
    )
    expect_failure(
        api.catalog.GetProduct,
        catalog_service_pb2.GetProductRequest(sku="KIWI-1KG", external_id="M-77"),
        metadata=api.md("viewer"),
        code=INVALID,
        fields=["external_id"],
    )


def test_get_order_by_erp_order_number(api: OrdersApi, accounts: Accounts):
    recorded = api.record_order(
        make_order(
            "SO-1001", account_id=accounts.alice.id, lines=[make_line("APL-JUICE-1L", 2, "1.20")]
        )
    ).order
    request = order_service_pb2.GetOrderRequest(external_id="SO-1001")
    assert api.orders.GetOrder(request, metadata=api.md("alice")).order == recorded
    # Bob does not manage the account, so the order does not exist for him.
    expect_failure(
        api.orders.GetOrder,
        request,
        metadata=api.md("bob"),
        code=NOT_FOUND,
        reason="ORDER_NOT_FOUND",
    )
    expect_failure(
        api.orders.GetOrder,
        order_service_pb2.GetOrderRequest(external_id="SO-NONE"),
        metadata=api.md("admin"),
        code=NOT_FOUND,
        reason="ORDER_NOT_FOUND",
    )


def test_list_orders_by_account_external_id(api: OrdersApi, accounts: Accounts):
    for number, account in (("SO-1", accounts.alice), ("SO-2", accounts.bob)):
        api.record_order(
            make_order(number, account_id=account.id, lines=[make_line("APL-JUICE-1L", 1, "1.20")])
        )
    listed = api.list_orders(filter='account_external_id = "ACC-ALICE"')
    assert [o.external_id for o in listed] == ["SO-1"]
    assert api.list_orders(who="alice", filter='account_external_id = "ACC-BOB"') == []


def test_summary_and_credit_check_name_their_account(api: OrdersApi, accounts: Accounts):
    summary = api.summary(accounts.alice.id)
    assert (summary.account_id, summary.account_external_id, summary.account_display_name) == (
        accounts.alice.id,
        "ACC-ALICE",
        accounts.alice.display_name,
    )
    decision = api.check_credit(accounts.alice.id, "10.00")
    assert (decision.account_id, decision.account_external_id) == (accounts.alice.id, "ACC-ALICE")
    assert decision.account_display_name == accounts.alice.display_name
