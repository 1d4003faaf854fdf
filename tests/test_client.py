"""wholesale.client.Client against a real server: typed calls, paging, idempotency, update
masks, exception mapping, TLS and gRPC's retry policy (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal

import grpc
import pytest
from conftest import RunningServer, start_server
from support.certs import TlsFiles, make_tls_files
from support.server_process import free_port

from wholesale.client import (
    Aborted,
    AlreadyExists,
    Client,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    WholesaleError,
    from_money,
    to_money,
)
from wholesale.server.config import ServerConfig
from wholesale.server.store import database
from wholesale.v1 import account_pb2

ACTIVE = account_pb2.ACCOUNT_STATUS_ACTIVE
ON_HOLD = account_pb2.ACCOUNT_STATUS_ON_HOLD
CLOSED = account_pb2.ACCOUNT_STATUS_CLOSED
Connect = Callable[..., Client]


@pytest.fixture
def connect(running_server: RunningServer) -> Iterator[Connect]:
    """Opens clients as one of the conftest principals (or with any token) and closes them."""
    clients: list[Client] = []

    def open_client(who: str | None = "admin", *, token: str | None = None, **kwargs) -> Client:
        token = token or (running_server.tokens[who] if who else None)
        clients.append(Client(running_server.target, token, **kwargs))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def admin(connect: Connect) -> Client:
    return connect("admin")


def create(client: Client, name: str = "Corner Shop GmbH", **fields) -> account_pb2.Account:
    return client.create_account(legal_name=name, currency_code="EUR", **fields)


@pytest.mark.parametrize(
    ("amount", "units", "nanos"),
    [("2500.50", 2500, 500_000_000), ("-0.01", 0, -10_000_000), ("1E+3", 1000, 0), (7, 7, 0)],
)
def test_money_converts_exactly_both_ways(amount: str | int, units: int, nanos: int) -> None:
    money = to_money(amount, "EUR")
    assert (money.units, money.nanos, money.currency_code) == (units, nanos, "EUR")
    assert from_money(money) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "units", "nanos"),
    [
        ("9223372036854775807.999999999", 2**63 - 1, 999_999_999),
        ("-9223372036854775807", -(2**63 - 1), 0),
        ("1." + "0" * 5000, 1, 0),
        ("0E-1000000000", 0, 0),
    ],
)
def test_money_takes_the_extremes_it_can_represent(amount: str, units: int, nanos: int) -> None:
    assert (to_money(amount).units, to_money(amount).nanos) == (units, nanos)


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("0.0000000001", "more than 9 decimal places"),
        ("1.0000000000000000000000000001", "more than 9 decimal places"),
        ("1E-1000000000", "more than 9 decimal places"),
        ("abc", "not a decimal amount"),
        ("NaN", "not a finite amount"),
        ("1e30", "out of range"),
        ("9223372036854775808", "out of range"),
        ("-1E+1000000000", "out of range"),
    ],
)
def test_money_refuses_what_it_cannot_represent(amount: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        to_money(amount)


def test_create_accepts_friendly_values_and_get_returns_them(admin: Client) -> None:
    created = create(
        admin,
        status="on_hold",
        credit_limit=Decimal("2500.50"),
        tags=["organic", "chain"],
        contacts=[{"name": "Erika Mustermann", "role": "buyer", "email": "erika@example.com"}],
        billing_address={"lines": ["Hauptstr. 1"], "locality": "Berlin", "country_code": "DE"},
    )

    fetched = admin.get_account(created.id)
    assert fetched == created
    assert fetched.status == ON_HOLD
    assert from_money(fetched.credit_limit) == Decimal("2500.50")
    assert fetched.contacts[0].role == account_pb2.CONTACT_ROLE_BUYER
    assert fetched.billing_address.locality == "Berlin"


def test_create_merges_keywords_over_an_account_message(admin: Client) -> None:
    template = account_pb2.Account(legal_name="Template AG", currency_code="CHF", region="Zug")
    created = admin.create_account(template, display_name="From template", credit_limit="10")
    assert (created.legal_name, created.region, created.display_name) == (
        "Template AG",
        "Zug",
        "From template",
    )
    assert created.credit_limit.currency_code == "CHF"


def test_pager_walks_every_page_lazily_and_can_be_reused(admin: Client) -> None:
    ids = [create(admin, f"Shop {n}").id for n in range(7)]

    pager = admin.list_accounts(page_size=3, order_by="create_time")
    assert [len(page) for page in pager.pages()] == [3, 3, 1]
    assert [account.id for account in pager] == ids
    assert [account.id for account in pager] == ids


def test_list_passes_filter_order_and_show_deleted(admin: Client) -> None:
    alpha, beta = create(admin, "Alpha organic"), create(admin, "Beta organic")
    create(admin, "Gamma")
    admin.delete_account(beta.id)

    def names(**query) -> list[str]:
        return [account.legal_name for account in admin.list_accounts(**query)]

    assert names(filter='name : "organic"') == [alpha.legal_name]
    assert names(filter='name : "organic"', order_by="display_name desc", show_deleted=True) == [
        beta.legal_name,
        alpha.legal_name,
    ]


def test_update_mask_is_built_from_the_keywords(admin: Client) -> None:
    account = create(admin, region="North", price_tier="silver", credit_limit="100")

    updated = admin.update_account(
        account.id, etag=account.etag, display_name="Corner", tags=["organic"], credit_limit=None
    )

    assert (updated.display_name, list(updated.tags)) == ("Corner", ["organic"])
    assert from_money(updated.credit_limit) == 0
    assert (updated.region, updated.price_tier) == ("North", "silver")
    events = admin.list_audit_events(filter=f'resource = "accounts/{account.id}"', page_size=1)
    latest = next(iter(events))
    assert set(latest.changed_fields) == {"display_name", "tags", "credit_limit"}


def test_assign_close_and_reopen(admin: Client) -> None:
    account = create(admin, status="active")

    assert admin.assign_account(account.id, "alice").manager == "alice"
    closed = admin.delete_account(account.id)
    assert closed.status == CLOSED and closed.HasField("delete_time")
    assert [a.id for a in admin.list_accounts()] == []
    assert admin.undelete_account(account.id).status == ACTIVE


def test_mutations_carry_generated_request_ids_and_replays_return_the_first_result(
    admin: Client,
) -> None:
    first = create(admin, request_id="order-import-42")
    again = create(admin, request_id="order-import-42")
    assert again == first
    assert [a.id for a in admin.list_accounts()] == [first.id]

    admin.update_account(first.id, region="South")
    events = list(admin.list_audit_events(filter=f'resource = "accounts/{first.id}"'))
    assert [e.request_id for e in events][1:] == ["order-import-42"]
    assert uuid.UUID(events[0].request_id).version == 4

    with pytest.raises(InvalidArgument) as caught:
        create(admin, "Someone else", request_id="order-import-42")
    assert caught.value.reason == "REQUEST_ID_REUSED"
    assert [field for field, _ in caught.value.field_violations] == ["request_id"]


def test_batch_upsert_takes_dicts_and_messages(admin: Client) -> None:
    rows = [
        {"external_id": "ERP-1", "legal_name": "One", "currency_code": "EUR", "status": "active"},
        account_pb2.Account(external_id="ERP-2", legal_name="Two", currency_code="EUR"),
    ]

    first = admin.batch_upsert_accounts(rows)
    resent = admin.batch_upsert_accounts(rows)

    assert (first.created_count, resent.unchanged_count) == (2, 2)
    assert [a.external_id for a in resent.accounts] == ["ERP-1", "ERP-2"]
    assert resent.accounts[0].status == ACTIVE


def test_invalid_input_raises_invalid_argument_with_field_violations(admin: Client) -> None:
    with pytest.raises(InvalidArgument) as caught:
        admin.create_account(
            legal_name="",
            currency_code="EURO",
            contacts=[{"name": "Erika", "role": "buyer", "email": "not-an-email"}],
        )

    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_FIELDS"
    fields = {field for field, _ in error.field_violations}
    assert {"account.legal_name", "account.currency_code", "account.contacts[0].email"} <= fields
    assert all(field in str(error) for field in fields)


def _stale_update(client: Client, account: account_pb2.Account) -> None:
    client.update_account(account.id, region="A")
    client.update_account(account.id, etag=account.etag, region="B")


def _close_twice(client: Client, account: account_pb2.Account) -> None:
    client.delete_account(account.id)
    client.delete_account(account.id)


@pytest.mark.parametrize(
    ("who", "action", "error_class", "reason"),
    [
        ("admin", lambda c, a: c.get_account("999999"), NotFound, "ACCOUNT_NOT_FOUND"),
        ("bob", lambda c, a: c.get_account(a.id), NotFound, "ACCOUNT_NOT_FOUND"),
        ("viewer", lambda c, a: create(c), PermissionDenied, "ROLE_NOT_ALLOWED"),
        ("admin", lambda c, a: create(c, external_id="ERP-1"), AlreadyExists, "EXTERNAL_ID_TAKEN"),
        ("admin", _stale_update, Aborted, "ETAG_MISMATCH"),
        ("admin", _close_twice, FailedPrecondition, "ACCOUNT_ALREADY_CLOSED"),
        (None, lambda c, a: c.get_account(a.id), Unauthenticated, "TOKEN_MISSING"),
    ],
    ids=["not-found", "other-managers", "role", "duplicate", "stale-etag", "closed", "no-token"],
)
def test_status_codes_map_to_exceptions_with_reasons(
    connect: Connect,
    admin: Client,
    who: str | None,
    action: Callable[[Client, account_pb2.Account], object],
    error_class: type[WholesaleError],
    reason: str,
) -> None:
    account = create(admin, external_id="ERP-1", manager="alice")

    with pytest.raises(error_class) as caught:
        action(connect(who), account)

    assert caught.value.reason == reason
    assert not isinstance(caught.value, grpc.RpcError)


def test_unknown_token_is_unauthenticated(connect: Connect) -> None:
    with pytest.raises(Unauthenticated) as caught:
        list(connect(token="not-a-real-token").list_accounts())
    assert caught.value.reason == "TOKEN_INVALID"


class _Seen(logging.Handler):
    """Sets ``event`` once a log record mentions ``text``."""

    def __init__(self, text: str, event: threading.Event) -> None:
        super().__init__()
        self.text, self.event = text, event

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("client_timeout", "call_timeout"),
    [(0.5, None), (3600.0, 0.5)],
    ids=["client-deadline", "per-call-deadline"],
)
def test_the_deadline_applies_to_every_call(
    running_server: RunningServer,
    connect: Connect,
    caplog: pytest.LogCaptureFixture,
    client_timeout: float,
    call_timeout: float | None,
) -> None:
    """Another connection holds the SQLite write lock, so the create waits inside the
    server (its busy timeout is far longer) until the deadline ends the call: the client's,
    or the call's own in place of an hour-long default."""
    caplog.set_level(logging.INFO, logger="wholesale.server.rpc")
    handled = threading.Event()
    seen = _Seen("AccountService/CreateAccount", handled)
    logging.getLogger("wholesale.server.rpc").addHandler(seen)
    lock = sqlite3.connect(
        running_server.database_url.removeprefix("sqlite:///"), isolation_level=None
    )
    try:
        lock.execute("BEGIN IMMEDIATE")
        with pytest.raises(DeadlineExceeded):
            create(connect("admin", timeout=client_timeout), timeout=call_timeout)
        lock.close()  # rolls back: the create the client gave up on goes ahead
        # The server logs each call when it is done with the database; teardown closes
        # the database, so the abandoned create must have finished first.
        assert handled.wait(30), "the server never finished the abandoned create"
    finally:
        lock.close()
        logging.getLogger("wholesale.server.rpc").removeHandler(seen)


def test_unavailable_is_retried_until_a_late_server_answers(
    running_server: RunningServer, admin: Client
) -> None:
    """A server that comes up (on the same database) only after the first attempts failed."""
    account = create(admin)
    port = free_port()
    late: list[RunningServer] = []
    config = ServerConfig(listen=f"127.0.0.1:{port}", database_url=running_server.database_url)
    starter = threading.Timer(0.5, lambda: late.append(start_server(config)))

    with Client(f"127.0.0.1:{port}", running_server.tokens["admin"], timeout=30) as client:
        starter.start()
        try:
            fetched = client.get_account(account.id)
        finally:
            starter.join()
            for server in late:
                server.server.stop(0)

    assert fetched.id == account.id


def test_without_retries_unavailable_is_raised_at_once() -> None:
    with (
        Client(f"127.0.0.1:{free_port()}", "token", retries=False) as client,
        pytest.raises(Unavailable),
    ):
        client.get_account("1")


def test_invalid_argument_is_not_retried(admin: Client, caplog: pytest.LogCaptureFixture) -> None:
    """The server logs one line per call it handles; a rejected create reaches it once."""
    caplog.set_level(logging.INFO, logger="wholesale.server.rpc")

    with pytest.raises(InvalidArgument):
        admin.create_account(legal_name="", currency_code="EUR")

    handled = [r for r in caplog.records if "AccountService/CreateAccount" in r.getMessage()]
    assert len(handled) == 1


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("pki"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mutual", [False, True], ids=["tls", "mutual-tls"])
def test_tls_sends_the_token_as_call_credentials(
    database_url: str, pki: TlsFiles, mutual: bool
) -> None:
    config = ServerConfig(
        listen="127.0.0.1:0",
        database_url=database_url,
        tls_cert=str(pki.server_cert),
        tls_key=str(pki.server_key),
        tls_client_ca=str(pki.ca_cert) if mutual else None,
    )
    running = start_server(config)
    client_files = {"client_cert": str(pki.client_cert), "client_key": str(pki.client_key)}
    try:
        with Client(
            running.target,
            running.tokens["admin"],
            ca_file=str(pki.ca_cert),
            **(client_files if mutual else {}),
        ) as client:
            assert create(client).id == client.get_account("1").id
    finally:
        running.server.stop(0)
        database.close_database()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda c: c.record_order("SO-F1", order_date="2026-01-05", lines=[("S1", 1, 1.5)]),
            TypeError,
            r"^lines\[0\]\.unit_price: 1\.5 is a float, .*pass a Decimal or a str",
        ),
        (
            lambda c: c.record_order(
                "SO-F2", order_date="2026-01-05", lines=[("S1", 1, "1"), ("S2", 1, 0.1 + 0.2)]
            ),
            TypeError,
            r"^lines\[1\]\.unit_price: 0\.30000000000000004 is a float",
        ),
        (
            lambda c: c.record_order("SO-F3", order_date="2026-01-05", lines=[("S1", 2.0, "1")]),
            TypeError,
            r"^lines\[0\]\.quantity: 2\.0 is a float",
        ),
        (
            lambda c: c.record_order("SO-F4", order_date="2026-13-01", lines=[("S1", 1, "1")]),
            ValueError,
            r"^order_date: '2026-13-01' is not a date \(YYYY-MM-DD\): month must be in 1\.\.12",
        ),
        (
            lambda c: c.record_order(
                "SO-F5", order_date="2026-01-05", lines=[("S1", 1, "0.0000000001")]
            ),
            ValueError,
            r"^lines\[0\]\.unit_price: more than 9 decimal places",
        ),
        (
            lambda c: c.record_invoice(
                "INV-F1", amount=10.0, issue_date="2026-01-05", due_date="2026-02-05"
            ),
            TypeError,
            r"^amount: 10\.0 is a float",
        ),
        (
            lambda c: c.record_invoice(
                "INV-F2", amount="10", issue_date="2026-01-05", due_date="2026-02-30"
            ),
            ValueError,
            r"^due_date: '2026-02-30' is not a date",
        ),
        (
            lambda c: c.record_payment(
                "PAY-F1", invoice_external_id="INV-1", amount="1", paid_date="05.01.2026"
            ),
            ValueError,
            r"^paid_date: '05\.01\.2026' is not a date",
        ),
        (lambda c: c.check_credit("1", 99.5), TypeError, r"^amount: 99\.5 is a float"),
        (lambda c: c.check_credit("1", "1", "2026-1-5"), ValueError, r"^as_of: '2026-1-5'"),
        (
            lambda c: create(c, credit_limit=2500.5),
            TypeError,
            r"^credit_limit: 2500\.5 is a float",
        ),
        (
            lambda c: c.batch_upsert_products([{"sku": "S1", "name": "x", "list_price": 1.25}]),
            TypeError,
            r"^list_price: 1\.25 is a float",
        ),
    ],
)
def test_float_amounts_are_refused_and_every_bad_value_is_named_before_any_call(
    admin: Client, call: Callable[[Client], object], error: type[Exception], message: str
) -> None:
    """Money and quantities are never floats (0.1 + 0.2 is not 0.3), and a bad amount or
    date says which argument or field it is; nothing reaches the server."""
    with pytest.raises(error, match=message):
        call(admin)

    assert list(admin.list_orders()) == [] and list(admin.list_accounts()) == []
