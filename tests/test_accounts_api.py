"""AccountService end to end: CRUD, update masks, etags, idempotency, listing, batch upsert.

Every test runs against a real server on SQLite and on PostgreSQL (the ``channel`` fixture).
"""

from __future__ import annotations

import base64
import functools
import os
import random
import string

import grpc
import pytest
from google.protobuf import timestamp_pb2
from support.rpc import Api, Failure, expect_failure, make_account, make_contact, money, race

from wholesale.v1 import account_pb2, account_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
ABORTED = grpc.StatusCode.ABORTED
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION

PROSPECT = account_pb2.ACCOUNT_STATUS_PROSPECT
ACTIVE = account_pb2.ACCOUNT_STATUS_ACTIVE
ON_HOLD = account_pb2.ACCOUNT_STATUS_ON_HOLD
CLOSED = account_pb2.ACCOUNT_STATUS_CLOSED

WRITABLE_FIELDS = (
    "external_id",
    "legal_name",
    "display_name",
    "status",
    "price_tier",
    "tags",
    "region",
    "currency_code",
    "payment_terms_days",
    "credit_limit",
    "manager",
    "contacts",
    "billing_address",
    "shipping_address",
)
OLD_TIME = timestamp_pb2.Timestamp(seconds=946_684_800)  # 2000-01-01


@pytest.fixture
def api(running_server, channel) -> Api:
    return Api(channel, running_server.tokens)


def writable(account: account_pb2.Account) -> dict:
    """The writable fields of an account, tags as a sorted list (their order is not promised)."""
    values = {}
    for name in WRITABLE_FIELDS:
        value = getattr(account, name)
        if name == "tags":
            value = sorted(value)
        elif name == "contacts":
            value = list(value)
        values[name] = value
    return values


def ts_key(ts: timestamp_pb2.Timestamp) -> tuple[int, int]:
    return (ts.seconds, ts.nanos)


def create_request(**overrides) -> account_service_pb2.CreateAccountRequest:
    request_id = overrides.pop("request_id", "")
    return account_service_pb2.CreateAccountRequest(
        account=make_account(**overrides), request_id=request_id
    )


def batch_request(
    accounts, paths=(), request_id=""
) -> account_service_pb2.BatchUpsertAccountsRequest:
    request = account_service_pb2.BatchUpsertAccountsRequest(
        accounts=accounts, request_id=request_id
    )
    request.update_mask.paths.extend(paths)
    return request


def update_request(account, paths, request_id="") -> account_service_pb2.UpdateAccountRequest:
    request = account_service_pb2.UpdateAccountRequest(account=account, request_id=request_id)
    request.update_mask.paths.extend(paths)
    return request


def audit_count(api: Api, request_id: str) -> int:
    return len(api.audit_events(filter=f'request_id = "{request_id}"'))


# --- create and get -------------------------------------------------------------------------


def test_create_stores_every_field_and_get_returns_it(api: Api):
    sent = make_account(external_id="ERP-1001", manager="alice")
    created = api.accounts.CreateAccount(
        account_service_pb2.CreateAccountRequest(account=sent), metadata=api.md("admin")
    ).account

    assert created.id.isdigit(), created.id
    assert created.etag
    assert created.HasField("create_time") and created.HasField("update_time")
    assert not created.HasField("delete_time")
    assert writable(created) == writable(sent)
    assert api.get(created.id) == created
    assert [a.id for a in api.list_all()] == [created.id]


def test_create_applies_defaults(api: Api):
    created = api.create(display_name=None, status=None, legal_name="Kiosk am Eck e.K.")
    assert created.status == PROSPECT
    assert created.display_name == "Kiosk am Eck e.K."
    assert api.get(created.id).display_name == "Kiosk am Eck e.K."


def test_create_ignores_output_only_fields(api: Api):
    created = api.create(
        id="424242",
        etag="forged-etag",
        create_time=OLD_TIME,
        update_time=OLD_TIME,
        delete_time=OLD_TIME,
    )
    assert created.id != "424242"
    assert created.etag != "forged-etag"
    assert ts_key(created.create_time) != ts_key(OLD_TIME)
    assert ts_key(created.update_time) != ts_key(OLD_TIME)
    assert not created.HasField("delete_time")
    assert created.status == ACTIVE
    stored = api.get(created.id)
    assert stored == created
    assert [a.id for a in api.list_all()] == [created.id]


def test_ids_are_distinct_decimal_strings(api: Api):
    ids = [api.create(legal_name=f"Retailer {i}").id for i in range(3)]
    assert all(i.isdigit() for i in ids), ids
    assert len(set(ids)) == 3


def test_unknown_ids_are_not_found_for_every_rpc(api: Api):
    api.create()
    md = api.md("admin")
    for bad_id in ["987654", "abc", "-1", "1.5", "99999999999999999999999999", "accounts/1"]:
        expect_failure(
            api.accounts.GetAccount,
            account_service_pb2.GetAccountRequest(id=bad_id),
            metadata=md,
            code=NOT_FOUND,
            reason="ACCOUNT_NOT_FOUND",
        )
        expect_failure(
            api.accounts.UpdateAccount,
            update_request(make_account(id=bad_id), ["display_name"]),
            metadata=md,
            code=NOT_FOUND,
            reason="ACCOUNT_NOT_FOUND",
        )
        expect_failure(
            api.accounts.DeleteAccount,
            account_service_pb2.DeleteAccountRequest(id=bad_id),
            metadata=md,
            code=NOT_FOUND,
            reason="ACCOUNT_NOT_FOUND",
        )
        expect_failure(
            api.accounts.UndeleteAccount,
            account_service_pb2.UndeleteAccountRequest(id=bad_id),
            metadata=md,
            code=NOT_FOUND,
            reason="ACCOUNT_NOT_FOUND",
        )
    assert api.count_accounts() == 1


def test_empty_id_is_invalid(api: Api):
    md = api.md("admin")
    expect_failure(
        api.accounts.GetAccount,
        account_service_pb2.GetAccountRequest(id=""),
        metadata=md,
        code=INVALID,
        fields=["id"],
    )
    expect_failure(
        api.accounts.DeleteAccount,
        account_service_pb2.DeleteAccountRequest(id=""),
        metadata=md,
        code=INVALID,
        fields=["id"],
    )
    expect_failure(
        api.accounts.UndeleteAccount,
        account_service_pb2.UndeleteAccountRequest(id=""),
        metadata=md,
        code=INVALID,
        fields=["id"],
    )
    failure = expect_failure(
        api.accounts.UpdateAccount,
        update_request(make_account(id=""), ["display_name"]),
        metadata=md,
        code=INVALID,
    )
    assert {"id", "account.id"} & set(failure.fields), failure
    assert api.count_accounts() == 0


# --- update ---------------------------------------------------------------------------------


def test_update_changes_only_masked_fields(api: Api):
    original = api.create(external_id="ERP-1")
    change = make_account(
        id=original.id,
        legal_name="Renamed Legal GmbH",
        display_name="New Display",
        region="South",
        tags=["chain"],
        payment_terms_days=60,
        credit_limit=money("9000.00"),
    )
    updated = api.update(change, ["display_name", "tags", "credit_limit"])

    expected = writable(original)
    expected.update(display_name="New Display", tags=["chain"], credit_limit=money("9000.00"))
    assert writable(updated) == expected
    assert updated.etag and updated.etag != original.etag
    assert updated.id == original.id
    assert ts_key(updated.create_time) == ts_key(original.create_time)
    assert api.get(original.id) == updated


def test_update_ignores_output_only_paths(api: Api):
    original = api.create()
    change = make_account(
        id=original.id,
        etag=original.etag,
        display_name="Only This Changes",
        create_time=OLD_TIME,
        update_time=OLD_TIME,
        delete_time=OLD_TIME,
    )
    paths = ["display_name", "id", "create_time", "update_time", "delete_time", "etag"]
    updated = api.update(change, paths)
    assert updated.id == original.id
    assert updated.display_name == "Only This Changes"
    assert ts_key(updated.create_time) == ts_key(original.create_time)
    assert not updated.HasField("delete_time")
    assert updated.status == original.status
    assert updated.etag != original.etag
    assert api.get(original.id) == updated


def test_update_rejects_unknown_mask_path_and_changes_nothing(api: Api):
    original = api.create()
    for paths in (["display_name", "colour"], ["nonsense"], ["contacts.nonsense"]):
        expect_failure(
            api.accounts.UpdateAccount,
            update_request(make_account(id=original.id, display_name="X"), paths),
            metadata=api.md("admin"),
            code=INVALID,
            reason="INVALID_FIELDS",
            fields=["update_mask"],
        )
    assert api.get(original.id) == original


def test_update_requires_a_mask(api: Api):
    original = api.create()
    expect_failure(
        api.accounts.UpdateAccount,
        update_request(make_account(id=original.id, display_name="X"), []),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["update_mask"],
    )
    assert api.get(original.id) == original


def test_update_star_replaces_every_writable_field(api: Api):
    original = api.create(external_id="ERP-1", manager="alice")
    replacement = make_account(
        id=original.id,
        external_id="ERP-2",
        legal_name="Other Legal AG",
        display_name="Other",
        status=ON_HOLD,
        price_tier="silver",
        tags=["chain"],
        region="South",
        currency_code="USD",
        payment_terms_days=14,
        credit_limit=money("10.50", "USD"),
        manager="bob",
        contacts=[make_contact(name="Max", role=account_pb2.CONTACT_ROLE_OWNER, email="")],
        billing_address=account_pb2.Address(lines=["1 Main St"], country_code="US"),
        shipping_address=None,
    )
    updated = api.update(replacement, ["*"])
    assert writable(updated) == writable(replacement)
    assert api.get(original.id) == updated


def test_update_can_clear_masked_fields(api: Api):
    original = api.create()
    updated = api.update(account_pb2.Account(id=original.id), ["region", "tags", "price_tier"])
    assert (updated.region, list(updated.tags), updated.price_tier) == ("", [], "")
    assert updated.legal_name == original.legal_name
    assert api.get(original.id) == updated


def test_update_status_transitions_and_closed_is_rejected(api: Api):
    original = api.create(status=ACTIVE)
    on_hold = api.update(account_pb2.Account(id=original.id, status=ON_HOLD), ["status"])
    assert on_hold.status == ON_HOLD
    expect_failure(
        api.accounts.UpdateAccount,
        update_request(account_pb2.Account(id=original.id, status=CLOSED), ["status"]),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["account.status"],
    )
    stored = api.get(original.id)
    assert stored.status == ON_HOLD and not stored.HasField("delete_time")


def test_update_with_stale_etag_is_aborted(api: Api):
    original = api.create()
    first = api.update(
        account_pb2.Account(id=original.id, etag=original.etag, display_name="First"),
        ["display_name"],
    )
    assert first.etag != original.etag
    expect_failure(
        api.accounts.UpdateAccount,
        update_request(
            account_pb2.Account(id=original.id, etag=original.etag, display_name="Second"),
            ["display_name"],
        ),
        metadata=api.md("admin"),
        code=ABORTED,
        reason="ETAG_MISMATCH",
    )
    assert api.get(original.id) == first
    # The current etag works; no etag at all means unconditional.
    second = api.update(
        account_pb2.Account(id=original.id, etag=first.etag, display_name="Second"),
        ["display_name"],
    )
    third = api.update(account_pb2.Account(id=original.id, display_name="Third"), ["display_name"])
    assert len({original.etag, first.etag, second.etag, third.etag}) == 4
    assert api.get(original.id).display_name == "Third"


def test_update_keeps_currency_and_credit_limit_consistent(api: Api):
    original = api.create(currency_code="EUR", credit_limit=money("5000.00"))
    failure = expect_failure(
        api.accounts.UpdateAccount,
        update_request(account_pb2.Account(id=original.id, currency_code="USD"), ["currency_code"]),
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_FIELDS",
    )
    assert {"account.credit_limit", "account.currency_code"} & set(failure.fields), failure
    assert api.get(original.id) == original
    changed = api.update(
        account_pb2.Account(id=original.id, currency_code="USD", credit_limit=money("10", "USD")),
        ["currency_code", "credit_limit"],
    )
    assert (changed.currency_code, changed.credit_limit) == ("USD", money("10", "USD"))


def test_update_to_taken_external_id_is_already_exists(api: Api):
    api.create(external_id="ERP-1")
    other = api.create(external_id="ERP-2")
    expect_failure(
        api.accounts.UpdateAccount,
        update_request(account_pb2.Account(id=other.id, external_id="ERP-1"), ["external_id"]),
        metadata=api.md("admin"),
        code=grpc.StatusCode.ALREADY_EXISTS,
        reason="EXTERNAL_ID_TAKEN",
    )
    assert api.get(other.id) == other


# --- delete and undelete --------------------------------------------------------------------


def test_delete_closes_hides_and_undelete_restores_previous_status(api: Api):
    keep = api.create(legal_name="Keep Me")
    original = api.create(legal_name="Close Me", status=ON_HOLD)

    closed = api.delete(original.id)
    assert closed.status == CLOSED
    assert closed.HasField("delete_time")
    assert closed.etag != original.etag
    assert api.get(original.id) == closed
    assert [a.id for a in api.list_all()] == [keep.id]
    assert {a.id for a in api.list_all(show_deleted=True)} == {keep.id, original.id}

    expect_failure(
        api.accounts.DeleteAccount,
        account_service_pb2.DeleteAccountRequest(id=original.id),
        metadata=api.md("admin"),
        code=FAILED_PRECONDITION,
        reason="ACCOUNT_ALREADY_CLOSED",
    )

    reopened = api.undelete(original.id)
    assert reopened.status == ON_HOLD
    assert not reopened.HasField("delete_time")
    assert api.get(original.id) == reopened
    assert {a.id for a in api.list_all()} == {keep.id, original.id}

    expect_failure(
        api.accounts.UndeleteAccount,
        account_service_pb2.UndeleteAccountRequest(id=original.id),
        metadata=api.md("admin"),
        code=FAILED_PRECONDITION,
        reason="ACCOUNT_NOT_CLOSED",
    )
    assert api.get(original.id) == reopened


def test_delete_with_stale_etag_is_aborted(api: Api):
    original = api.create()
    changed = api.update(account_pb2.Account(id=original.id, region="South"), ["region"])
    expect_failure(
        api.accounts.DeleteAccount,
        account_service_pb2.DeleteAccountRequest(id=original.id, etag=original.etag),
        metadata=api.md("admin"),
        code=ABORTED,
        reason="ETAG_MISMATCH",
    )
    assert api.get(original.id) == changed
    closed = api.delete(original.id, etag=changed.etag)
    assert closed.status == CLOSED


# --- request ids ----------------------------------------------------------------------------


def test_create_replay_returns_first_response_and_writes_once(api: Api):
    request = create_request(external_id="ERP-7", request_id="create-1")
    first = api.accounts.CreateAccount(request, metadata=api.md("integration"))
    again = api.accounts.CreateAccount(request, metadata=api.md("integration"))
    assert again == first
    assert [a.id for a in api.list_all(show_deleted=True)] == [first.account.id]
    assert audit_count(api, "create-1") == 1


def test_request_id_reused_for_a_different_request_is_rejected(api: Api):
    api.accounts.CreateAccount(
        create_request(legal_name="First GmbH", request_id="create-2"), metadata=api.md("admin")
    )
    expect_failure(
        api.accounts.CreateAccount,
        create_request(legal_name="Second GmbH", request_id="create-2"),
        metadata=api.md("admin"),
        code=INVALID,
        reason="REQUEST_ID_REUSED",
        fields=["request_id"],
    )
    assert [a.legal_name for a in api.list_all(show_deleted=True)] == ["First GmbH"]
    assert audit_count(api, "create-2") == 1


def test_request_id_is_scoped_to_caller_and_method(api: Api):
    request = create_request(request_id="shared-1")
    by_admin = api.accounts.CreateAccount(request, metadata=api.md("admin")).account
    by_erp = api.accounts.CreateAccount(request, metadata=api.md("integration")).account
    assert by_admin.id != by_erp.id
    assert api.count_accounts() == 2
    # The same key on another method is another operation.
    closed = api.delete(by_admin.id, request_id="shared-1")
    assert closed.status == CLOSED


def test_update_replay_returns_first_response_and_writes_nothing(api: Api):
    original = api.create()
    request = update_request(
        account_pb2.Account(id=original.id, display_name="From Request"),
        ["display_name"],
        request_id="upd-1",
    )
    first = api.accounts.UpdateAccount(request, metadata=api.md("admin"))
    later = api.update(account_pb2.Account(id=original.id, display_name="Later"), ["display_name"])
    again = api.accounts.UpdateAccount(request, metadata=api.md("admin"))
    assert again == first
    assert api.get(original.id) == later
    assert audit_count(api, "upd-1") == 1


def test_delete_replay_returns_first_response(api: Api):
    original = api.create()
    request = account_service_pb2.DeleteAccountRequest(id=original.id, request_id="del-1")
    first = api.accounts.DeleteAccount(request, metadata=api.md("admin"))
    again = api.accounts.DeleteAccount(request, metadata=api.md("admin"))
    assert again == first
    assert audit_count(api, "del-1") == 1


def test_malformed_request_id_is_rejected(api: Api):
    for bad in ["has space", "a" * 129, "ümlaut", "semi;colon", "slash/y"]:
        expect_failure(
            api.accounts.CreateAccount,
            create_request(request_id=bad),
            metadata=api.md("admin"),
            code=INVALID,
            fields=["request_id"],
        )
    assert api.count_accounts() == 0
    ok = api.accounts.CreateAccount(
        create_request(request_id="A-z_09" + "x" * 122), metadata=api.md("admin")
    )
    assert ok.account.id


# --- listing --------------------------------------------------------------------------------


def _unique_words(count: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(6)))
    result = sorted(words)
    rng.shuffle(result)
    return result


@pytest.mark.parametrize(
    "order_by",
    ["display_name", "display_name desc", "create_time", "create_time desc", ""],
)
def test_pagination_collects_every_page_in_order(api: Api, order_by: str):
    rng = random.Random(23)
    created = []
    for i, word in enumerate(_unique_words(23, rng)):
        tags = ["chain"] if i % 4 == 0 else ["organic", "chain"]
        created.append(
            api.create(legal_name=f"Legal {word}", display_name=f"Shop {word}", tags=tags)
        )
    matching = [a for a in created if "organic" in a.tags]
    assert len(matching) == 17

    pages = api.list_pages(page_size=5, filter='tags : "organic"', order_by=order_by)
    got = [a for page in pages for a in page.accounts]
    assert [len(p.accounts) for p in pages] == [5, 5, 5, 2]
    assert [bool(p.next_page_token) for p in pages] == [True, True, True, False]
    assert len({a.id for a in got}) == len(got) == 17
    assert {a.id for a in got} == {a.id for a in matching}

    field, _, direction = (order_by or "create_time").partition(" ")
    descending = direction == "desc"
    if field == "display_name":
        expected = sorted(matching, key=lambda a: a.display_name, reverse=descending)
        assert [a.display_name for a in got] == [a.display_name for a in expected]
    else:
        times = [ts_key(a.create_time) for a in got]
        assert times == sorted(times, reverse=descending)
        expected_times = sorted((ts_key(a.create_time) for a in matching), reverse=descending)
        assert times == expected_times


def test_page_size_zero_means_fifty_and_large_sizes_are_capped(api: Api):
    accounts = [
        account_pb2.Account(
            external_id=f"X-{i:04d}", legal_name=f"Retailer {i}", currency_code="EUR"
        )
        for i in range(501)
    ]
    response = api.accounts.BatchUpsertAccounts(batch_request(accounts), metadata=api.md("admin"))
    assert response.created_count == 501

    default = api.accounts.ListAccounts(
        account_service_pb2.ListAccountsRequest(page_size=0), metadata=api.md("admin")
    )
    assert len(default.accounts) == 50 and default.next_page_token

    capped = api.accounts.ListAccounts(
        account_service_pb2.ListAccountsRequest(page_size=100_000), metadata=api.md("admin")
    )
    assert len(capped.accounts) == 500 and capped.next_page_token
    rest = api.accounts.ListAccounts(
        account_service_pb2.ListAccountsRequest(
            page_size=100_000, page_token=capped.next_page_token
        ),
        metadata=api.md("admin"),
    )
    assert len(rest.accounts) == 1 and not rest.next_page_token
    assert {a.id for a in capped.accounts} | {a.id for a in rest.accounts} == {
        a.id for a in response.accounts
    }


def test_negative_page_size_is_invalid(api: Api):
    expect_failure(
        api.accounts.ListAccounts,
        account_service_pb2.ListAccountsRequest(page_size=-1),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["page_size"],
    )


def _altered(token: str, position: int) -> str:
    """``token`` with the first letter or digit at or after ``position`` replaced."""
    chars = list(token)
    for i in range(position, len(chars)):
        c = chars[i]
        if c.isdigit():
            chars[i] = str((int(c) + 1) % 10)
        elif c.isascii() and c.isalpha():
            replacement = "q" if c.lower() != "q" else "r"
            chars[i] = replacement.upper() if c.isupper() else replacement
        else:
            continue
        return "".join(chars)
    raise AssertionError(f"no letter or digit to alter in {token!r} after {position}")


def _first_page_token(api: Api, **request_fields) -> str:
    page = api.accounts.ListAccounts(
        account_service_pb2.ListAccountsRequest(page_size=2, **request_fields),
        metadata=api.md("admin"),
    )
    assert page.next_page_token
    return page.next_page_token


def _expect_bad_token(api: Api, token: str, **request_fields) -> None:
    expect_failure(
        api.accounts.ListAccounts,
        account_service_pb2.ListAccountsRequest(page_size=2, page_token=token, **request_fields),
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_PAGE_TOKEN",
        fields=["page_token"],
    )


def test_forged_page_tokens_are_rejected(api: Api):
    for i in range(5):
        api.create(legal_name=f"Retailer {i}")
    token = _first_page_token(api)

    forged = [
        base64.urlsafe_b64encode(os.urandom(48)).decode(),
        base64.b64encode(os.urandom(16)).decode(),
        "not-a-token",
        "!!!",
        _altered(token, len(token) // 2),
        _altered(token, 0),
        token[:-4],
        token + "AAAA",
    ]
    for bad in forged:
        assert bad != token
        _expect_bad_token(api, bad)
    # The genuine token still works.
    page = api.accounts.ListAccounts(
        account_service_pb2.ListAccountsRequest(page_size=2, page_token=token),
        metadata=api.md("admin"),
    )
    assert len(page.accounts) == 2


def test_page_token_is_bound_to_filter_order_and_show_deleted(api: Api):
    for i in range(6):
        api.create(legal_name=f"Retailer {i}", region="North" if i % 2 else "South")
    fields = {"filter": 'region = "North"', "order_by": "display_name"}
    token = _first_page_token(api, **fields)

    _expect_bad_token(api, token, filter='region = "South"', order_by="display_name")
    _expect_bad_token(api, token, filter="", order_by="display_name")
    _expect_bad_token(api, token, filter='region = "North"', order_by="display_name desc")
    _expect_bad_token(api, token, filter='region = "North"', order_by="")
    _expect_bad_token(api, token, show_deleted=True, **fields)

    page = api.accounts.ListAccounts(
        account_service_pb2.ListAccountsRequest(page_size=2, page_token=token, **fields),
        metadata=api.md("admin"),
    )
    assert len(page.accounts) == 1 and not page.next_page_token


FILTER_ACCOUNTS = [
    dict(
        legal_name="Corner Shop GmbH",
        display_name="Corner Shop",
        status=ACTIVE,
        price_tier="gold",
        tags=["organic", "independent"],
        region="North",
        manager="alice",
        external_id="ERP-1",
    ),
    dict(
        legal_name="Bakery Nord KG",
        display_name="THE CORNER bakery",
        status=ACTIVE,
        price_tier="silver",
        tags=["bakery"],
        region="North",
        manager="bob",
        external_id="ERP-2",
    ),
    dict(
        legal_name="Street Corner Deli",
        display_name="Deli",
        status=ON_HOLD,
        price_tier="gold",
        tags=["organic"],
        region="South",
        manager="alice",
        external_id="ERP-3",
    ),
    dict(
        legal_name="Fresh Market AG",
        display_name="Fresh Market",
        status=PROSPECT,
        price_tier="",
        tags=["organic-food"],
        region="South",
        manager="",
        external_id="ERP-4",
    ),
    dict(
        legal_name="Organic Chain SE",
        display_name="Organic Chain",
        status=ACTIVE,
        price_tier="gold",
        tags=["organic", "chain"],
        region="East",
        manager="bob",
        external_id="",
    ),
    dict(
        legal_name="Kiosk am Eck",
        display_name="Kiosk",
        status=ACTIVE,
        price_tier="bronze",
        tags=[],
        region="North",
        manager="alice",
        external_id="ERP-6",
    ),
]
FILTER_ACCOUNTS.append(
    dict(
        legal_name="ÖKO BÄCKEREI SCHMIDT OHG",
        display_name="ÖKO-BÄCKEREI",
        status=ON_HOLD,
        price_tier="silver",
        tags=["organic", "bakery"],
        region="East",
        manager="bob",
        external_id="ERP-7",
    )
)
# Closed by the test: it matches many filters but must not show without show_deleted.
CLOSED_ACCOUNT = dict(
    legal_name="Closed Corner Store",
    display_name="Closed Corner",
    status=ACTIVE,
    price_tier="gold",
    tags=["organic"],
    region="North",
    manager="alice",
    external_id="ERP-9",
)

FILTERS = [
    ("status = ACTIVE", lambda a: a.status == ACTIVE),
    ("status != ACTIVE", lambda a: a.status != ACTIVE),
    ("status = ON_HOLD", lambda a: a.status == ON_HOLD),
    ('price_tier = "gold"', lambda a: a.price_tier == "gold"),
    ('price_tier != "gold"', lambda a: a.price_tier != "gold"),
    ('tags : "organic"', lambda a: "organic" in a.tags),
    ('manager = "alice"', lambda a: a.manager == "alice"),
    ('manager != "alice"', lambda a: a.manager != "alice"),
    ('region = "North"', lambda a: a.region == "North"),
    ('region != "North"', lambda a: a.region != "North"),
    (
        'name : "corner"',
        lambda a: "corner" in a.legal_name.lower() or "corner" in a.display_name.lower(),
    ),
    ('external_id = "ERP-3"', lambda a: a.external_id == "ERP-3"),
    ('external_id != "ERP-3"', lambda a: a.external_id != "ERP-3"),
    # Case-insensitive beyond ASCII: retailers are called "BÄCKEREI" as often as "Corner".
    (
        'name : "bäckerei"',
        lambda a: "bäckerei" in a.legal_name.lower() or "bäckerei" in a.display_name.lower(),
    ),
    ('name : "%"', lambda a: "%" in a.legal_name or "%" in a.display_name),
    ('name : "_"', lambda a: "_" in a.legal_name or "_" in a.display_name),
    (
        'status = ACTIVE AND price_tier = "gold" AND tags : "organic"',
        lambda a: a.status == ACTIVE and a.price_tier == "gold" and "organic" in a.tags,
    ),
    (
        'tags : "organic" AND manager = "alice" AND region = "North"',
        lambda a: "organic" in a.tags and a.manager == "alice" and a.region == "North",
    ),
]


def test_filters_select_exactly_the_matching_accounts(api: Api):
    accounts = [api.create(**fields) for fields in FILTER_ACCOUNTS]
    closed = api.create(**CLOSED_ACCOUNT)
    api.delete(closed.id)

    mismatches = []
    for text, predicate in FILTERS:
        expected = sorted(a.id for a in accounts if predicate(a))
        got = sorted(a.id for a in api.list_all(filter=text))
        if got != expected:
            mismatches.append((text, expected, got))
    assert not mismatches, "filter -> (expected ids, got ids):\n" + "\n".join(map(str, mismatches))

    with_closed = sorted(a.id for a in api.list_all(filter='tags : "organic"', show_deleted=True))
    assert closed.id in with_closed


def test_bad_filter_or_order_by_is_invalid(api: Api):
    api.create()
    for bad_filter in [
        'colour = "red"',
        "status = PURPLE",
        "status =",
        "status",
        "status = ACTIVE AND",
        'region > "North"',
        'region = "North',
        'region = "North" OR region = "South"',
    ]:
        expect_failure(
            api.accounts.ListAccounts,
            account_service_pb2.ListAccountsRequest(filter=bad_filter),
            metadata=api.md("admin"),
            code=INVALID,
            fields=["filter"],
        )
    for bad_order in ["legal_name", "display_name sideways", "create_time desc desc", "id"]:
        expect_failure(
            api.accounts.ListAccounts,
            account_service_pb2.ListAccountsRequest(order_by=bad_order),
            metadata=api.md("admin"),
            code=INVALID,
            fields=["order_by"],
        )


# --- batch upsert ---------------------------------------------------------------------------


def _retailer(i: int, **overrides) -> account_pb2.Account:
    values = dict(
        external_id=f"ERP-{i}", legal_name=f"Retailer {i} GmbH", display_name=f"Retailer {i}"
    )
    values.update(overrides)
    return make_account(**values)


def _counts(response) -> tuple[int, int, int]:
    return (response.created_count, response.updated_count, response.unchanged_count)


def test_batch_creates_then_updates_by_external_id_and_keeps_unchanged(api: Api):
    md = api.md("integration")
    first = api.accounts.BatchUpsertAccounts(
        batch_request([_retailer(i) for i in range(3)]), metadata=md
    )
    assert _counts(first) == (3, 0, 0)
    assert [a.external_id for a in first.accounts] == ["ERP-0", "ERP-1", "ERP-2"]
    assert all(a.id.isdigit() and a.etag for a in first.accounts)
    assert len({a.id for a in first.accounts}) == 3
    for sent, stored in zip([_retailer(i) for i in range(3)], first.accounts, strict=True):
        assert writable(stored) == writable(sent)
        assert api.get(stored.id) == stored

    resend = api.accounts.BatchUpsertAccounts(
        batch_request([_retailer(i) for i in range(3)]), metadata=md
    )
    assert _counts(resend) == (0, 0, 3)
    assert [(a.id, a.etag) for a in resend.accounts] == [(a.id, a.etag) for a in first.accounts]
    assert [api.get(a.id).etag for a in first.accounts] == [a.etag for a in first.accounts]

    mixed = api.accounts.BatchUpsertAccounts(
        batch_request([_retailer(3), _retailer(1, display_name="Renamed"), _retailer(0)]),
        metadata=md,
    )
    assert _counts(mixed) == (1, 1, 1)
    assert [a.external_id for a in mixed.accounts] == ["ERP-3", "ERP-1", "ERP-0"]
    new, renamed, same = mixed.accounts
    assert new.id not in {a.id for a in first.accounts}
    assert renamed.id == first.accounts[1].id and renamed.display_name == "Renamed"
    assert renamed.etag != first.accounts[1].etag
    assert same == api.get(first.accounts[0].id)
    assert same.etag == first.accounts[0].etag
    assert api.get(renamed.id) == renamed
    assert api.count_accounts() == 4


def test_batch_default_mask_keeps_manager_and_status(api: Api):
    existing = api.create(external_id="ERP-9", manager="alice", status=ON_HOLD)
    response = api.accounts.BatchUpsertAccounts(
        batch_request([_retailer(9, manager="", status=ACTIVE, region="South")]),
        metadata=api.md("integration"),
    )
    assert _counts(response) == (0, 1, 0)
    stored = api.get(existing.id)
    assert response.accounts[0] == stored
    assert (stored.manager, stored.status) == ("alice", ON_HOLD)
    assert (stored.region, stored.display_name) == ("South", "Retailer 9")


def test_batch_update_mask_limits_overwritten_fields(api: Api):
    existing = api.create(external_id="ERP-5", region="North", display_name="Keep")
    response = api.accounts.BatchUpsertAccounts(
        batch_request(
            [_retailer(5, region="South", display_name="Ignored"), _retailer(6)], ["region"]
        ),
        metadata=api.md("admin"),
    )
    assert _counts(response) == (1, 1, 0)
    stored = api.get(existing.id)
    assert (stored.region, stored.display_name) == ("South", "Keep")
    assert stored.legal_name == existing.legal_name
    # New accounts are created whole, whatever the mask.
    created = api.get(response.accounts[1].id)
    assert writable(created) == writable(_retailer(6))


def test_batch_is_all_or_nothing(api: Api):
    accounts = [_retailer(i) for i in range(6)]
    accounts[3].currency_code = "EURO"
    expect_failure(
        api.accounts.BatchUpsertAccounts,
        batch_request(accounts),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=["accounts[3].currency_code"],
    )
    assert api.count_accounts() == 0


def test_batch_failure_leaves_existing_accounts_untouched(api: Api):
    md = api.md("integration")
    first = api.accounts.BatchUpsertAccounts(batch_request([_retailer(0)]), metadata=md)
    accounts = [_retailer(i, region="Changed") for i in range(5)]
    accounts[3].legal_name = ""
    del accounts[2].contacts[:]
    accounts[2].contacts.append(make_contact(email="not-an-email"))
    failure = expect_failure(
        api.accounts.BatchUpsertAccounts,
        batch_request(accounts),
        metadata=md,
        code=INVALID,
        fields=["accounts[3].legal_name", "accounts[2].contacts[0].email"],
    )
    assert not any(
        f.startswith(("accounts[0]", "accounts[1]", "accounts[4]")) for f in failure.fields
    )
    assert api.get(first.accounts[0].id) == first.accounts[0]
    assert api.count_accounts() == 1


def test_batch_needs_distinct_external_ids(api: Api):
    md = api.md("integration")
    missing = [_retailer(0), _retailer(1, external_id=""), _retailer(2)]
    expect_failure(
        api.accounts.BatchUpsertAccounts,
        batch_request(missing),
        metadata=md,
        code=INVALID,
        fields=["accounts[1].external_id"],
    )
    duplicate = [_retailer(0), _retailer(1), _retailer(0, display_name="Again")]
    failure = expect_failure(
        api.accounts.BatchUpsertAccounts, batch_request(duplicate), metadata=md, code=INVALID
    )
    assert {"accounts[0].external_id", "accounts[2].external_id"} & set(failure.fields), failure
    assert api.count_accounts() == 0


def test_batch_size_limits(api: Api):
    md = api.md("integration")
    expect_failure(
        api.accounts.BatchUpsertAccounts,
        batch_request([]),
        metadata=md,
        code=INVALID,
        fields=["accounts"],
    )
    too_many = [
        account_pb2.Account(external_id=f"X-{i}", legal_name=f"R {i}", currency_code="EUR")
        for i in range(1001)
    ]
    expect_failure(
        api.accounts.BatchUpsertAccounts,
        batch_request(too_many),
        metadata=md,
        code=INVALID,
        fields=["accounts"],
    )
    assert api.count_accounts() == 0


def test_batch_replay_returns_first_response(api: Api):
    md = api.md("integration")
    request = batch_request([_retailer(0), _retailer(1)], request_id="batch-1")
    first = api.accounts.BatchUpsertAccounts(request, metadata=md)
    again = api.accounts.BatchUpsertAccounts(request, metadata=md)
    assert again == first
    assert _counts(again) == (2, 0, 0)
    assert api.count_accounts() == 2
    assert audit_count(api, "batch-1") == 2
    expect_failure(
        api.accounts.BatchUpsertAccounts,
        batch_request([_retailer(0), _retailer(5)], request_id="batch-1"),
        metadata=md,
        code=INVALID,
        reason="REQUEST_ID_REUSED",
        fields=["request_id"],
    )
    assert api.count_accounts() == 2


# --- concurrent callers ---------------------------------------------------------------------


def test_concurrent_creates_with_one_external_id_make_one_account(api: Api):
    md = api.md("integration")
    winners, losers = [], []
    for round_no in range(4):
        calls = [
            functools.partial(
                api.accounts.CreateAccount,
                create_request(external_id=f"ERP-RACE-{round_no}", legal_name=f"Racer {i}"),
                metadata=md,
            )
            for i in range(8)
        ]
        results = race(calls)
        won = [r.account for r in results if not isinstance(r, Failure)]
        assert len(won) == 1, results
        winners.extend(won)
        losers.extend(r for r in results if isinstance(r, Failure))
    assert {(f.code, f.reason) for f in losers} == {
        (grpc.StatusCode.ALREADY_EXISTS, "EXTERNAL_ID_TAKEN")
    }, losers
    assert sorted(a.id for a in api.list_all(show_deleted=True)) == sorted(a.id for a in winners)


def test_concurrent_replays_of_one_request_id_make_one_account(api: Api):
    request = create_request(request_id="race-1")
    md = api.md("integration")
    results = race(
        [functools.partial(api.accounts.CreateAccount, request, metadata=md) for _ in range(8)]
    )
    assert not [r for r in results if isinstance(r, Failure)], results
    assert all(r == results[0] for r in results)
    assert [a.id for a in api.list_all(show_deleted=True)] == [results[0].account.id]
    assert audit_count(api, "race-1") == 1


def test_concurrent_updates_with_one_etag_let_exactly_one_win(api: Api):
    original = api.create()
    md = api.md("admin")
    calls = [
        functools.partial(
            api.accounts.UpdateAccount,
            update_request(
                account_pb2.Account(id=original.id, etag=original.etag, display_name=f"Racer {i}"),
                ["display_name"],
            ),
            metadata=md,
        )
        for i in range(8)
    ]
    results = race(calls)
    winners = [r for r in results if not isinstance(r, Failure)]
    losers = [r for r in results if isinstance(r, Failure)]
    assert len(winners) == 1, results
    assert {(f.code, f.reason) for f in losers} == {(ABORTED, "ETAG_MISMATCH")}, losers
    assert api.get(original.id) == winners[0].account
