"""The audit log: every mutation is recorded with who, what, which resource and request id;
reads and refused calls leave no trace; only admins can read it."""

from __future__ import annotations

import grpc
import pytest
from support.rpc import Api, expect_failure, make_account

from wholesale.v1 import account_pb2, account_service_pb2, audit_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
METHOD = "/wholesale.v1.AccountService/{}"


@pytest.fixture
def api(running_server, channel) -> Api:
    return Api(channel, running_server.tokens)


def summary(event: audit_service_pb2.AuditEvent) -> tuple[str, str, str, str, str]:
    return (event.method, event.actor, event.role, event.resource, event.request_id)


def test_every_mutation_is_recorded_newest_first(api: Api):
    created = api.accounts.CreateAccount(
        account_service_pb2.CreateAccountRequest(
            account=make_account(manager="alice"), request_id="c-1"
        ),
        metadata=api.md("admin"),
    ).account
    api.update(
        account_pb2.Account(id=created.id, display_name="Renamed", region="South"),
        ["display_name", "region"],
        who="integration",
        request_id="u-1",
    )
    api.delete(created.id, who="alice", request_id="d-1")
    api.undelete(created.id, who="alice")
    resource = f"accounts/{created.id}"

    events = api.audit_events()

    assert [summary(e) for e in events] == [
        (METHOD.format("UndeleteAccount"), "alice", "manager", resource, ""),
        (METHOD.format("DeleteAccount"), "alice", "manager", resource, "d-1"),
        (METHOD.format("UpdateAccount"), "erp", "integration", resource, "u-1"),
        (METHOD.format("CreateAccount"), "root", "admin", resource, "c-1"),
    ]
    assert all(e.id for e in events) and len({e.id for e in events}) == 4
    assert all(e.HasField("event_time") for e in events)
    times = [(e.event_time.seconds, e.event_time.nanos) for e in events]
    assert times == sorted(times, reverse=True)

    undelete, delete, update, create = events
    assert sorted(update.changed_fields) == ["display_name", "region"]
    assert "legal_name" in create.changed_fields
    assert "status" in delete.changed_fields
    assert "status" in undelete.changed_fields


def test_batch_records_one_event_per_created_or_updated_account(api: Api):
    def batch(accounts, request_id):
        return api.accounts.BatchUpsertAccounts(
            account_service_pb2.BatchUpsertAccountsRequest(
                accounts=accounts, request_id=request_id
            ),
            metadata=api.md("integration"),
        )

    def retailer(i, **kw):
        return make_account(external_id=f"ERP-{i}", legal_name=f"Retailer {i}", **kw)

    first = batch([retailer(i) for i in range(3)], "b-1")
    method = METHOD.format("BatchUpsertAccounts")
    events = api.audit_events(filter=f'method = "{method}"')
    assert sorted(e.resource for e in events) == sorted(f"accounts/{a.id}" for a in first.accounts)
    assert {(e.actor, e.role, e.request_id) for e in events} == {("erp", "integration", "b-1")}

    unchanged = batch([retailer(i) for i in range(3)], "b-2")
    assert unchanged.unchanged_count == 3
    assert api.audit_events(filter='request_id = "b-2"') == []

    mixed = batch([retailer(0), retailer(1, display_name="Renamed"), retailer(3)], "b-3")
    assert (mixed.created_count, mixed.updated_count, mixed.unchanged_count) == (1, 1, 1)
    events = api.audit_events(filter='request_id = "b-3"')
    assert sorted(e.resource for e in events) == sorted(
        [f"accounts/{mixed.accounts[1].id}", f"accounts/{mixed.accounts[2].id}"]
    )
    (renamed,) = [e for e in events if e.resource == f"accounts/{mixed.accounts[1].id}"]
    assert list(renamed.changed_fields) == ["display_name"]
    assert len(api.audit_events()) == 5


def test_reads_and_refused_calls_write_no_events(api: Api):
    account = api.create()
    before = api.audit_events()
    assert len(before) == 1

    api.get(account.id, who="viewer")
    api.list_all(who="integration")
    refused = [
        ("admin", account_service_pb2.CreateAccountRequest(account=make_account(legal_name=""))),
        ("viewer", account_service_pb2.CreateAccountRequest(account=make_account())),
        ("bob", account_service_pb2.DeleteAccountRequest(id=account.id)),
        ("admin", account_service_pb2.DeleteAccountRequest(id=account.id, etag="stale")),
        ("admin", account_service_pb2.UndeleteAccountRequest(id=account.id)),
        ("admin", account_service_pb2.DeleteAccountRequest(id="987654")),
    ]
    for who, request in refused:
        method = {
            account_service_pb2.CreateAccountRequest: api.accounts.CreateAccount,
            account_service_pb2.DeleteAccountRequest: api.accounts.DeleteAccount,
            account_service_pb2.UndeleteAccountRequest: api.accounts.UndeleteAccount,
        }[type(request)]
        with pytest.raises(grpc.RpcError):
            method(request, metadata=api.md(who))
    with pytest.raises(grpc.RpcError):
        api.accounts.CreateAccount(account_service_pb2.CreateAccountRequest(account=make_account()))
    assert api.audit_events() == before
    assert api.get(account.id) == account


def test_filters_by_actor_method_resource_and_request_id(api: Api):
    a = api.create(who="alice", request_id="r-a")
    b = api.create(who="bob", request_id="r-b")
    api.update(account_pb2.Account(id=a.id, region="East"), ["region"], who="alice")
    api.update(account_pb2.Account(id=b.id, region="West"), ["region"], who="admin")
    api.delete(b.id, who="bob", request_id="r-x")
    everything = api.audit_events()
    assert len(everything) == 5

    update = METHOD.format("UpdateAccount")
    cases = {
        'actor = "alice"': lambda e: e.actor == "alice",
        'actor = "bob"': lambda e: e.actor == "bob",
        f'resource = "accounts/{b.id}"': lambda e: e.resource == f"accounts/{b.id}",
        f'method = "{update}"': lambda e: e.method == update,
        'request_id = "r-x"': lambda e: e.request_id == "r-x",
        f'actor = "admin" AND resource = "accounts/{b.id}"': lambda e: False,
        f'actor = "root" AND resource = "accounts/{b.id}"': (
            lambda e: e.actor == "root" and e.resource == f"accounts/{b.id}"
        ),
        'actor = "nobody"': lambda e: False,
    }
    mismatches = []
    for text, predicate in cases.items():
        expected = [e for e in everything if predicate(e)]
        got = api.audit_events(filter=text)
        if got != expected:
            mismatches.append(f"{text}: expected {len(expected)} events, got {len(got)}")
    assert not mismatches, "\n".join(mismatches)


def test_paging_through_events(api: Api):
    for i in range(5):
        api.create(legal_name=f"Retailer {i}")
    everything = api.audit_events()
    assert len(everything) == 5
    first = api.audit.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(page_size=2), metadata=api.md("admin")
    )
    assert len(first.audit_events) == 2 and first.next_page_token
    assert api.audit_events(page_size=2) == everything


@pytest.mark.parametrize("who", ["integration", "viewer", "alice", "bob"])
def test_only_admins_read_the_audit_log(api: Api, who: str):
    api.create()
    expect_failure(
        api.audit.ListAuditEvents,
        audit_service_pb2.ListAuditEventsRequest(),
        metadata=api.md(who),
        code=grpc.StatusCode.PERMISSION_DENIED,
        reason="ROLE_NOT_ALLOWED",
    )


def test_invalid_audit_queries(api: Api):
    expect_failure(
        api.audit.ListAuditEvents,
        audit_service_pb2.ListAuditEventsRequest(filter='colour = "red"'),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["filter"],
    )
    expect_failure(
        api.audit.ListAuditEvents,
        audit_service_pb2.ListAuditEventsRequest(page_size=-1),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["page_size"],
    )
