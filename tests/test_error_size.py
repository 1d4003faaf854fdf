"""Error answers stay within what a client accepts in its trailers (8 KiB of metadata by
default), however many mistakes a request holds and however long the values in them."""

from __future__ import annotations

import grpc
import pytest
from support.rpc import Api, expect_failure, make_account

from wholesale.v1 import account_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def api(running_server, channel) -> Api:
    return Api(channel, running_server.tokens)


def test_a_batch_with_thousands_of_mistakes_gets_a_readable_answer(api: Api) -> None:
    long_value = "x" * 5000
    accounts = [
        make_account(
            external_id=f"ERP-{i}" + "-" * 90,
            legal_name=long_value,
            currency_code="euro" * 50,
            payment_terms_days=9999,
            tags=["Not A Tag"] * 3,
        )
        for i in range(1000)
    ]
    request = account_service_pb2.BatchUpsertAccountsRequest(accounts=accounts)

    failure = expect_failure(
        api.accounts.BatchUpsertAccounts,
        request,
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
    )

    assert failure.fields[0].startswith("accounts[0].")
    *listed, more = failure.violations
    assert len(listed) >= 5
    assert more[1].startswith("and ") and more[1].endswith(" more violations")
    shown = len(listed) + int(more[1].split()[1].replace(",", ""))
    assert shown >= 4000  # every violation is either listed or counted
    assert all(len(field) <= 200 and len(text) <= 300 for field, text in listed)
    assert len(failure.message) <= 500


def test_a_long_value_in_a_single_error_is_clipped(api: Api) -> None:
    request = account_service_pb2.GetAccountRequest(id="9" * 20_000)

    failure = expect_failure(
        api.accounts.GetAccount, request, metadata=api.md("admin"), code=grpc.StatusCode.NOT_FOUND
    )

    assert failure.message.endswith("…") and len(failure.message) <= 500


def test_values_outside_ascii_are_clipped_by_their_bytes(api: Api) -> None:
    """500 emoji are 500 characters but 6,000 bytes percent-encoded in grpc-message:
    clipped by characters, the answer did not fit a client's trailers."""
    request = account_service_pb2.GetAccountRequest(id="🙂" * 5000)

    failure = expect_failure(
        api.accounts.GetAccount, request, metadata=api.md("admin"), code=grpc.StatusCode.NOT_FOUND
    )

    assert failure.message.endswith("…") and len(failure.message.encode()) <= 500


def test_many_violations_with_long_values_outside_ascii_still_arrive(api: Api) -> None:
    accounts = [make_account(legal_name="", currency_code="🙂" * 1000) for _ in range(50)]
    request = account_service_pb2.BatchUpsertAccountsRequest(accounts=accounts)

    failure = expect_failure(
        api.accounts.BatchUpsertAccounts,
        request,
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
    )

    assert all(len(text.encode()) <= 300 for _, text in failure.violations)
