"""Rules that keep stored history consistent under odd input, races and role changes."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from support.orders import OrdersApi, make_invoice, make_line, make_order, make_payment
from support.rpc import expect_failure, make_account, money, race

from wholesale.v1 import account_pb2, account_service_pb2, order_service_pb2


@pytest.fixture
def api(channel: grpc.Channel, running_server) -> OrdersApi:
    api = OrdersApi(channel, running_server.tokens)
    api.seed_catalog()
    return api


def test_ids_with_non_ascii_digits_are_not_found(api: OrdersApi) -> None:
    for odd in ("²", "١٢", "\uff11"):  # superscript two, Arabic-Indic, fullwidth one
        expect_failure(
            api.accounts.GetAccount,
            account_service_pb2.GetAccountRequest(id=odd),
            metadata=api.md("admin"),
            code=grpc.StatusCode.NOT_FOUND,
            reason="ACCOUNT_NOT_FOUND",
        )
        expect_failure(
            api.orders.GetOrder,
            order_service_pb2.GetOrderRequest(id=odd),
            metadata=api.md("admin"),
            code=grpc.StatusCode.NOT_FOUND,
            reason="ORDER_NOT_FOUND",
        )


def test_an_import_item_naming_an_odd_account_id_rejects_only_itself(api: OrdersApi) -> None:
    account = api.create(external_id="ACC-1")
    orders = [make_order("SO-1", account_id="²"), make_order("SO-2", account_id=account.id)]
    response = api.import_orders(orders)
    assert [r.outcome for r in response.results] == [4, 1]  # REJECTED, CREATED
    assert response.results[0].violations[0].field == "account_id"


def test_an_order_total_beyond_the_maximum_is_rejected_not_an_error(api: OrdersApi) -> None:
    account = api.create(external_id="ACC-1")
    huge = make_order(
        "SO-HUGE",
        account_id=account.id,
        lines=[make_line("APL-JUICE-1L", 1_000_000, "999999999")],
    )
    response = api.import_orders([huge, make_order("SO-OK", account_id=account.id)])
    assert [r.outcome for r in response.results] == [4, 1]
    assert "lines" in {v.field for v in response.results[0].violations}


@pytest.mark.parametrize("amount", ["1.0000001", "2000000000"])
def test_credit_check_amounts_out_of_range_are_invalid(api: OrdersApi, amount: str) -> None:
    account = api.create(external_id="ACC-1", status=account_pb2.ACCOUNT_STATUS_ACTIVE)
    expect_failure(
        api.orders.CheckCredit,
        order_service_pb2.CheckCreditRequest(account_id=account.id, amount=money(amount)),
        metadata=api.md("admin"),
        code=grpc.StatusCode.INVALID_ARGUMENT,
        fields=["amount"],
    )


def test_first_position_out_of_range_is_invalid(api: OrdersApi) -> None:
    account = api.create(external_id="ACC-1")
    expect_failure(
        api.orders.ImportOrders,
        order_service_pb2.ImportOrdersRequest(
            orders=[make_order("SO-1", account_id=account.id)], first_position=2**63 - 5
        ),
        metadata=api.md("integration"),
        code=grpc.StatusCode.INVALID_ARGUMENT,
        fields=["first_position"],
    )


def _batch(accounts, paths=()) -> account_service_pb2.BatchUpsertAccountsRequest:
    return account_service_pb2.BatchUpsertAccountsRequest(
        accounts=accounts, update_mask=FieldMask(paths=list(paths))
    )


def test_batch_upsert_never_reopens_a_closed_account(api: OrdersApi) -> None:
    closed = api.delete(api.create(external_id="ACC-1").id)
    again = make_account(external_id="ACC-1", status=account_pb2.ACCOUNT_STATUS_ACTIVE)
    api.accounts.BatchUpsertAccounts(_batch([again]), metadata=api.md("integration"))
    assert api.get(closed.id).status == account_pb2.ACCOUNT_STATUS_CLOSED
    expect_failure(
        api.accounts.BatchUpsertAccounts,
        _batch([again], ["status"]),
        metadata=api.md("integration"),
        code=grpc.StatusCode.FAILED_PRECONDITION,
        reason="ACCOUNT_ALREADY_CLOSED",
    )
    assert api.get(closed.id).status == account_pb2.ACCOUNT_STATUS_CLOSED


def test_currency_is_fixed_once_history_exists(api: OrdersApi) -> None:
    fresh = api.create(external_id="ACC-NEW")
    changed = api.update(
        account_pb2.Account(id=fresh.id, currency_code="USD", credit_limit=money("0", "USD")),
        ["currency_code", "credit_limit"],
    )
    assert changed.currency_code == "USD"  # no history yet: allowed
    account = api.create(external_id="ACC-1")
    api.record_order(make_order("SO-1", account_id=account.id))
    expect_failure(
        api.accounts.UpdateAccount,
        account_service_pb2.UpdateAccountRequest(
            account=account_pb2.Account(id=account.id, currency_code="USD"),
            update_mask=FieldMask(paths=["currency_code"]),
        ),
        metadata=api.md("admin"),
        code=grpc.StatusCode.FAILED_PRECONDITION,
        reason="CURRENCY_IN_USE",
    )
    assert api.get(account.id).currency_code == "EUR"


def test_concurrent_payments_never_overpay_an_invoice(api: OrdersApi) -> None:
    account = api.create(external_id="ACC-1")
    api.record_invoice(make_invoice("INV-1", account_id=account.id, amount="100.00"))
    payments = [make_payment(f"PAY-{n}", "INV-1", "100.00", "2026-03-05") for n in range(6)]
    calls = [
        (
            lambda p=p: api.orders.RecordPayment(
                order_service_pb2.RecordPaymentRequest(payment=p), metadata=api.md("integration")
            )
        )
        for p in payments
    ]
    results = race(calls)
    accepted = [r for r in results if isinstance(r, order_service_pb2.RecordPaymentResponse)]
    assert len(accepted) == 1, results
    final = api.record_invoice(make_invoice("INV-1", account_id=account.id, amount="100.00"))
    assert final.invoice.outstanding_amount.units == 0


def test_a_request_id_is_not_replayed_to_a_token_of_another_role(
    api: OrdersApi, running_server
) -> None:
    from wholesale.server.store import tokens

    viewer_root = tokens.issue_token(role="viewer", subject="root")  # admin's subject
    request = account_service_pb2.CreateAccountRequest(account=make_account(), request_id="r-1")
    api.accounts.CreateAccount(request, metadata=api.md("admin"))
    expect_failure(
        api.accounts.CreateAccount,
        request,
        metadata=(("authorization", f"Bearer {viewer_root}"),),
        code=grpc.StatusCode.PERMISSION_DENIED,
    )
