"""Per-call ``timeout=`` and ``metadata=`` of wholesale.client.Client against a real server:
the metadata arrives next to the client's token on every call (each page of a list, each
batch of an import), a per-call deadline replaces the client's either way (longer or
shorter), and metadata the server would misread or gRPC would refuse is refused before
anything is sent.

The options live in the client, so these run on SQLite only. What the server received is
read from its authentication step, which sees every call's metadata as it arrived.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from conftest import RunningServer

from wholesale.client import Client, DeadlineExceeded, PermissionDenied
from wholesale.client.imports import RetryNotice
from wholesale.server.api import interceptor

Metadata = tuple[tuple[str, str], ...]
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
# A deadline already past when the call starts, which gRPC fails every time (one a
# microsecond ahead is met more often than not). A deadline that runs out on a call that
# is really slow is in test_client.py.
EXPIRED = -1.0
AMPLE = 60.0


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[Metadata]:
    """The metadata of every call the in-process server authenticates, in arrival order:
    the server echoes no metadata back, so this listens where it reads the token."""
    calls: list[Metadata] = []
    read_token = interceptor._bearer_token

    def recording(context: Any) -> str:
        calls.append(tuple(context.invocation_metadata()))
        return read_token(context)

    monkeypatch.setattr(interceptor, "_bearer_token", recording)
    return calls


def values(metadata: Metadata, key: str) -> list[str]:
    return [value for name, value in metadata if name == key]


def create(client: Client, name: str = "Corner Shop GmbH", **options: Any) -> str:
    return client.create_account(legal_name=name, currency_code="EUR", **options).id


def unknown_account_orders(count: int) -> list[dict[str, Any]]:
    """Orders the server answers quickly by rejecting them (no such account)."""
    return [
        {
            "external_id": f"SO-{n}",
            "account_external_id": "NO-SUCH-ACCOUNT",
            "order_date": "2026-01-05",
            "lines": [("APPLE-1L", 1, "1.85")],
        }
        for n in range(count)
    ]


def takes_the_options(method: Callable[..., object]) -> bool:
    parameters = inspect.signature(method).parameters
    return all(
        option in parameters and parameters[option].kind is inspect.Parameter.KEYWORD_ONLY
        for option in ("timeout", "metadata")
    )


def test_every_method_that_calls_the_server_takes_both_options() -> None:
    methods = {
        name: method
        for name, method in inspect.getmembers(Client, inspect.isfunction)
        if not name.startswith("_") and name != "close"
    }
    assert {"list_audit_events", "import_orders", "check_credit"} <= set(methods)
    assert [name for name, method in methods.items() if not takes_the_options(method)] == []


@SQLITE
def test_per_call_metadata_reaches_the_server_after_the_token(
    running_server: RunningServer, received: list[Metadata]
) -> None:
    token = running_server.tokens["admin"]
    with Client(running_server.target, token) as client:
        account_id = create(client)
        received.clear()
        client.get_account(
            account_id, metadata=[("x-request-id", "trace-1"), ("x-tenant", "north")]
        )

    (metadata,) = received
    assert values(metadata, "x-request-id") == ["trace-1"]
    assert values(metadata, "x-tenant") == ["north"]
    assert values(metadata, "authorization") == [f"Bearer {token}"]


@SQLITE
def test_a_pager_sends_the_metadata_with_every_page(
    running_server: RunningServer, received: list[Metadata]
) -> None:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        for n in range(3):
            create(client, f"Shop {n}")
        received.clear()
        pages = list(client.list_accounts(page_size=1, metadata=[("x-request-id", "walk")]).pages())

    assert len(received) == len(pages) >= 3
    assert [values(metadata, "x-request-id") for metadata in received] == [["walk"]] * len(pages)


@SQLITE
def test_an_import_sends_the_metadata_with_every_batch(
    running_server: RunningServer, received: list[Metadata]
) -> None:
    with Client(running_server.target, running_server.tokens["admin"]) as client:
        report = client.import_orders(
            unknown_account_orders(3), batch_size=1, metadata=[("x-request-id", "import-7")]
        )

    assert (report.batches, report.rejected) == (3, 3)
    assert [values(metadata, "x-request-id") for metadata in received] == [["import-7"]] * 3


@SQLITE
def test_a_per_call_timeout_replaces_a_longer_default(running_server: RunningServer) -> None:
    with Client(running_server.target, running_server.tokens["admin"], timeout=3600) as client:
        account_id = create(client)

        with pytest.raises(DeadlineExceeded):
            client.get_account(account_id, timeout=EXPIRED)
        with pytest.raises(DeadlineExceeded):
            list(client.list_accounts(timeout=EXPIRED))
        assert client.get_account(account_id).id == account_id


@SQLITE
def test_a_per_call_timeout_replaces_a_shorter_default(running_server: RunningServer) -> None:
    with Client(running_server.target, running_server.tokens["admin"], timeout=EXPIRED) as client:
        account_id = create(client, timeout=AMPLE)

        assert client.get_account(account_id, timeout=AMPLE).id == account_id
        with pytest.raises(DeadlineExceeded):
            client.get_account(account_id)


@SQLITE
def test_a_pager_gives_every_page_the_per_call_timeout(running_server: RunningServer) -> None:
    with Client(running_server.target, running_server.tokens["admin"], timeout=EXPIRED) as client:
        created = [create(client, f"Shop {n}", timeout=AMPLE) for n in range(3)]

        pager = client.list_accounts(page_size=1, order_by="create_time", timeout=AMPLE)
        assert [account.id for account in pager] == created


@SQLITE
def test_an_import_gives_every_batch_the_per_call_timeout(running_server: RunningServer) -> None:
    with Client(running_server.target, running_server.tokens["admin"], timeout=EXPIRED) as client:
        report = client.import_orders(unknown_account_orders(3), batch_size=1, timeout=AMPLE)

    assert (report.batches, report.rejected, report.retries) == (3, 3, 0)


@SQLITE
def test_an_import_resends_a_batch_with_the_per_call_timeout(
    running_server: RunningServer,
) -> None:
    """With the client's hour-long deadline the resend would succeed; it fails again."""
    notices: list[RetryNotice] = []
    with (
        Client(running_server.target, running_server.tokens["admin"], timeout=3600) as client,
        pytest.raises(DeadlineExceeded),
    ):
        client.import_orders(
            unknown_account_orders(1), timeout=EXPIRED, max_attempts=2, on_retry=notices.append
        )

    assert [notice.attempt for notice in notices] == [2]


CALLS: dict[str, Callable[[Client, Metadata], object]] = {
    "get": lambda client, metadata: client.get_account("1", metadata=metadata),
    "list": lambda client, metadata: client.list_accounts(metadata=metadata),
    "import": lambda client, metadata: client.import_orders(
        unknown_account_orders(1), metadata=metadata
    ),
}


@SQLITE
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_client_with_a_token_refuses_a_second_authorization(
    running_server: RunningServer,
    received: list[Metadata],
    call: Callable[[Client, Metadata], object],
) -> None:
    """Refused when the method is called (a pager before its first page), so nothing is
    sent: the server would read the client's token and ignore the caller's."""
    viewer = (("authorization", f"Bearer {running_server.tokens['viewer']}"),)
    with (
        Client(running_server.target, running_server.tokens["admin"]) as client,
        pytest.raises(ValueError, match="already sends its token"),
    ):
        call(client, viewer)

    assert received == []


def test_a_tls_client_with_a_token_refuses_a_second_authorization() -> None:
    """Over TLS the token rides in call credentials, not in the client's metadata."""
    with (
        Client("127.0.0.1:1", "token", tls=True) as client,
        pytest.raises(ValueError, match="already sends its token"),
    ):
        client.get_account("1", metadata=[("authorization", "Bearer other")])


@SQLITE
def test_a_client_without_a_token_sends_each_calls_own(
    running_server: RunningServer, received: list[Metadata]
) -> None:
    def bearer(who: str) -> Metadata:
        return (("authorization", f"Bearer {running_server.tokens[who]}"),)

    with Client(running_server.target) as client:
        with pytest.raises(PermissionDenied):
            create(client, metadata=bearer("viewer"))
        account_id = create(client, metadata=bearer("admin"))
        assert client.get_account(account_id, metadata=bearer("viewer")).id == account_id
        with pytest.raises(ValueError, match="more than once"):
            client.get_account(account_id, metadata=bearer("admin") + bearer("viewer"))

    assert [values(metadata, "authorization") for metadata in received] == [
        [f"Bearer {running_server.tokens[who]}"] for who in ("viewer", "admin", "viewer")
    ]


@SQLITE
@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ([("X-Request-Id", "a")], "key 'X-Request-Id' is not valid: use lower-case letters"),
        ([("x trace", "a")], "key 'x trace' is not valid: use lower-case letters"),
        ([("grpc-timeout", "1S")], "'grpc-' keys are reserved"),
        ([("x-trace-bin", "a")], "'-bin' keys carry bytes"),
        ([("x-trace", "caf\u00e9")], "value of 'x-trace' is not valid: use printable ASCII"),
        ([("x-trace", "a\nb")], "value of 'x-trace' is not valid: use printable ASCII"),
        ({"x-trace": "a"}, "must be (key, value) pairs of strings, not 'x-trace'"),
        ([("x-trace", 7)], "must be (key, value) pairs of strings"),
    ],
    ids=["upper-case", "space", "reserved", "binary", "non-ascii", "newline", "dict", "int"],
)
def test_bad_metadata_is_refused_before_anything_is_sent(
    running_server: RunningServer, received: list[Metadata], metadata: Any, problem: str
) -> None:
    with (
        Client(running_server.target, running_server.tokens["admin"]) as client,
        pytest.raises(ValueError) as caught,
    ):
        client.get_account("1", metadata=metadata)

    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)
    assert received == []
