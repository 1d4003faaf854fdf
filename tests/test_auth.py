"""Authentication and authorisation: bearer tokens, the role matrix, manager isolation."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from support.rpc import Api, bearer, expect_failure, failure_of, make_account

from wholesale.v1 import account_pb2, account_service_pb2, audit_service_pb2

OK = grpc.StatusCode.OK
DENIED = grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND = grpc.StatusCode.NOT_FOUND
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
CLOSED = account_pb2.ACCOUNT_STATUS_CLOSED

ROLES = ("admin", "integration", "alice", "viewer")  # alice is a manager
RPCS = (
    "CreateAccount",
    "GetAccount",
    "ListAccounts",
    "UpdateAccount",
    "DeleteAccount",
    "UndeleteAccount",
    "BatchUpsertAccounts",
    "ListAuditEvents",
)
# The spec's role table: who may call what (on their own accounts, for a manager).
ALLOWED = {
    "CreateAccount": {"admin", "integration", "alice"},
    "GetAccount": {"admin", "integration", "alice", "viewer"},
    "ListAccounts": {"admin", "integration", "alice", "viewer"},
    "UpdateAccount": {"admin", "integration", "alice"},
    "DeleteAccount": {"admin", "integration", "alice"},
    "UndeleteAccount": {"admin", "integration", "alice"},
    "BatchUpsertAccounts": {"admin", "integration"},
    "ListAuditEvents": {"admin"},
}
MATRIX = [
    pytest.param(rpc, who, OK if who in ALLOWED[rpc] else DENIED, id=f"{rpc}-{who}")
    for rpc in RPCS
    for who in ROLES
]


@pytest.fixture
def api(running_server, channel) -> Api:
    return Api(channel, running_server.tokens)


@dataclass
class World:
    """Accounts of two managers, one open and one closed each, created by the admin."""

    alice_open: account_pb2.Account
    alice_closed: account_pb2.Account
    bob_open: account_pb2.Account
    bob_closed: account_pb2.Account

    @classmethod
    def build(cls, api: Api) -> World:
        accounts = {}
        for manager in ("alice", "bob"):
            accounts[f"{manager}_open"] = api.create(
                manager=manager, legal_name=f"{manager} open", external_id=f"{manager}-open"
            )
            closed = api.create(
                manager=manager, legal_name=f"{manager} closed", external_id=f"{manager}-closed"
            )
            accounts[f"{manager}_closed"] = api.delete(closed.id)
        return cls(**accounts)

    def all(self) -> list[account_pb2.Account]:
        return [self.alice_open, self.alice_closed, self.bob_open, self.bob_closed]


def _call(api: Api, rpc: str, who: str, open_account, closed_account):
    """Makes a call that ``who`` is entitled to make if the role table says so."""
    md = api.md(who)
    s = api.accounts
    if rpc == "CreateAccount":
        request = account_service_pb2.CreateAccountRequest(account=make_account())
        return s.CreateAccount(request, metadata=md)
    if rpc == "GetAccount":
        return s.GetAccount(account_service_pb2.GetAccountRequest(id=open_account.id), metadata=md)
    if rpc == "ListAccounts":
        return s.ListAccounts(account_service_pb2.ListAccountsRequest(), metadata=md)
    if rpc == "UpdateAccount":
        request = account_service_pb2.UpdateAccountRequest(
            account=account_pb2.Account(id=open_account.id, display_name="Changed")
        )
        request.update_mask.paths.append("display_name")
        return s.UpdateAccount(request, metadata=md)
    if rpc == "DeleteAccount":
        request = account_service_pb2.DeleteAccountRequest(id=open_account.id)
        return s.DeleteAccount(request, metadata=md)
    if rpc == "UndeleteAccount":
        request = account_service_pb2.UndeleteAccountRequest(id=closed_account.id)
        return s.UndeleteAccount(request, metadata=md)
    if rpc == "BatchUpsertAccounts":
        request = account_service_pb2.BatchUpsertAccountsRequest(
            accounts=[make_account(external_id="BATCH-1")]
        )
        return s.BatchUpsertAccounts(request, metadata=md)
    if rpc == "ListAuditEvents":
        return api.audit.ListAuditEvents(audit_service_pb2.ListAuditEventsRequest(), metadata=md)
    raise AssertionError(rpc)


def _outcome(api: Api, rpc: str, who: str, open_account, closed_account):
    try:
        _call(api, rpc, who, open_account, closed_account)
    except grpc.RpcError as error:
        return failure_of(error)
    return None


@pytest.mark.parametrize(("rpc", "who", "expected"), MATRIX)
def test_role_matrix(api: Api, rpc: str, who: str, expected: grpc.StatusCode):
    world = World.build(api)
    before = api.list_all(show_deleted=True)

    failure = _outcome(api, rpc, who, world.alice_open, world.alice_closed)

    if expected == OK:
        assert failure is None, f"{who} calling {rpc}: expected OK, got {failure}"
    else:
        assert failure is not None, f"{who} calling {rpc}: expected {expected.name}, got OK"
        assert failure.code == expected, failure
        assert failure.reason == "ROLE_NOT_ALLOWED", failure
        assert api.list_all(show_deleted=True) == before, "a refused call changed accounts"


@pytest.mark.parametrize("rpc", ["GetAccount", "UpdateAccount", "DeleteAccount", "UndeleteAccount"])
def test_manager_gets_not_found_for_other_managers_accounts(api: Api, rpc: str):
    world = World.build(api)
    before = api.list_all(show_deleted=True)

    failure = _outcome(api, rpc, "alice", world.bob_open, world.bob_closed)

    assert failure is not None, f"alice calling {rpc} on bob's account succeeded"
    assert failure.code == NOT_FOUND, failure
    assert failure.reason == "ACCOUNT_NOT_FOUND", failure
    assert api.list_all(show_deleted=True) == before
    # ... exactly as for an id that does not exist at all.
    missing = _outcome(
        api,
        rpc,
        "alice",
        account_pb2.Account(id="987654321"),
        account_pb2.Account(id="987654321"),
    )
    assert missing is not None and (missing.code, missing.reason) == (
        failure.code,
        failure.reason,
    )


@pytest.mark.parametrize("rpc", ["GetAccount", "UpdateAccount", "DeleteAccount", "UndeleteAccount"])
def test_other_roles_reach_every_managers_accounts(api: Api, rpc: str):
    world = World.build(api)
    for who, open_account, closed_account in [
        ("integration", world.bob_open, world.bob_closed),
        ("admin", world.alice_open, world.alice_closed),
    ]:
        failure = _outcome(api, rpc, who, open_account, closed_account)
        assert failure is None, f"{who} calling {rpc}: {failure}"
    if rpc == "GetAccount":
        assert _outcome(api, rpc, "viewer", world.bob_open, world.bob_closed) is None


def test_manager_lists_only_own_accounts(api: Api):
    world = World.build(api)
    unassigned = api.create(manager="", legal_name="Nobody's")
    assert [a.id for a in api.list_all(who="alice")] == [world.alice_open.id]
    assert {a.id for a in api.list_all(who="alice", show_deleted=True)} == {
        world.alice_open.id,
        world.alice_closed.id,
    }
    assert api.list_all(who="alice", filter='manager = "bob"') == []
    assert [a.id for a in api.list_all(who="bob")] == [world.bob_open.id]
    everyone = {a.id for a in api.list_all(who="viewer", show_deleted=True)}
    assert everyone == {a.id for a in world.all()} | {unassigned.id}


def test_manager_creates_accounts_assigned_to_self(api: Api):
    own = api.create(who="alice", manager="")
    assert own.manager == "alice"
    explicit = api.create(who="alice", manager="alice", legal_name="Explicit")
    assert explicit.manager == "alice"
    assert {a.id for a in api.list_all(who="alice")} == {own.id, explicit.id}

    expect_failure(
        api.accounts.CreateAccount,
        account_service_pb2.CreateAccountRequest(account=make_account(manager="bob")),
        metadata=api.md("alice"),
        code=DENIED,
    )
    assert {a.id for a in api.list_all(show_deleted=True)} == {own.id, explicit.id}


def test_manager_cannot_reassign_own_account(api: Api):
    world = World.build(api)
    for manager in ("bob", "", "alice"):
        request = account_service_pb2.UpdateAccountRequest(
            account=account_pb2.Account(
                id=world.alice_open.id, manager=manager, display_name="Changed"
            )
        )
        request.update_mask.paths.extend(["display_name", "manager"])
        expect_failure(
            api.accounts.UpdateAccount,
            request,
            metadata=api.md("alice"),
            code=DENIED,
            reason="MANAGER_CHANGE_NOT_ALLOWED",
        )
    assert api.get(world.alice_open.id) == world.alice_open
    # The manager may still change other fields of the account.
    changed = api.update(
        account_pb2.Account(id=world.alice_open.id, display_name="Mine", manager="bob"),
        ["display_name"],
        who="alice",
    )
    assert (changed.display_name, changed.manager) == ("Mine", "alice")


def test_admin_reassignment_moves_the_account_between_managers(api: Api):
    world = World.build(api)
    moved = api.update(account_pb2.Account(id=world.alice_open.id, manager="bob"), ["manager"])
    assert moved.manager == "bob"
    expect_failure(
        api.accounts.GetAccount,
        account_service_pb2.GetAccountRequest(id=moved.id),
        metadata=api.md("alice"),
        code=NOT_FOUND,
        reason="ACCOUNT_NOT_FOUND",
    )
    assert {a.id for a in api.list_all(who="bob")} == {world.bob_open.id, moved.id}
    assert api.get(moved.id, who="bob") == moved


def test_manager_sees_and_changes_own_account(api: Api):
    world = World.build(api)
    assert api.get(world.alice_open.id, who="alice") == world.alice_open
    closed = api.delete(world.alice_open.id, who="alice")
    assert closed.status == CLOSED
    reopened = api.undelete(world.alice_closed.id, who="alice")
    assert reopened.status != CLOSED
    assert api.get(world.alice_closed.id) == reopened


def _unauthenticated_calls(api: Api):
    """Every RPC, each with a harmless request; tokens are supplied by the caller."""
    s, a = api.accounts, api.audit
    update = account_service_pb2.UpdateAccountRequest(
        account=account_pb2.Account(id="1", display_name="x")
    )
    update.update_mask.paths.append("display_name")
    return [
        (s.CreateAccount, account_service_pb2.CreateAccountRequest(account=make_account())),
        (s.GetAccount, account_service_pb2.GetAccountRequest(id="1")),
        (s.ListAccounts, account_service_pb2.ListAccountsRequest()),
        (s.UpdateAccount, update),
        (s.DeleteAccount, account_service_pb2.DeleteAccountRequest(id="1")),
        (s.UndeleteAccount, account_service_pb2.UndeleteAccountRequest(id="1")),
        (
            s.BatchUpsertAccounts,
            account_service_pb2.BatchUpsertAccountsRequest(
                accounts=[make_account(external_id="X")]
            ),
        ),
        (a.ListAuditEvents, audit_service_pb2.ListAuditEventsRequest()),
    ]


def test_missing_or_unknown_token_is_unauthenticated(api: Api, running_server):
    api.create(legal_name="Existing")
    before = api.list_all(show_deleted=True)
    wrong_token = running_server.tokens["admin"][:-2] + (
        "xy" if not running_server.tokens["admin"].endswith("xy") else "zz"
    )
    for method, request in _unauthenticated_calls(api):
        expect_failure(method, request, code=UNAUTHENTICATED, reason="TOKEN_MISSING")
        expect_failure(method, request, metadata=(), code=UNAUTHENTICATED, reason="TOKEN_MISSING")
        for token in ("not-a-real-token", wrong_token):
            expect_failure(
                method,
                request,
                metadata=bearer(token),
                code=UNAUTHENTICATED,
                reason="TOKEN_INVALID",
            )
        for header in ("Basic dXNlcjpwYXNz", "Bearer", "Token abc"):
            failure = expect_failure(
                method, request, metadata=(("authorization", header),), code=UNAUTHENTICATED
            )
            assert failure.reason in ("TOKEN_MISSING", "TOKEN_INVALID"), failure
    assert api.list_all(show_deleted=True) == before
