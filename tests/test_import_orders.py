"""ImportOrders: per-record results with positions, good records land while bad ones are
reported, re-sending is safe; and an import interrupted by killing the server process
(SIGKILL) mid-stream, re-run from the start, ends with exactly the expected rows.

The batch tests run on SQLite and PostgreSQL; the crash test runs the real
``wholesale-server serve`` process on SQLite and reads the database file with ``sqlite3``.
"""

from __future__ import annotations

import datetime
import random
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from support.orders import (
    CATALOG,
    CREATED,
    FULFILLED,
    PLACED,
    REJECTED,
    UNCHANGED,
    UNKNOWN_SKU,
    UPDATED,
    Accounts,
    OrdersApi,
    amount_of,
    expected_line_total,
    make_line,
    make_order,
    order_total,
)
from support.rpc import bearer, expect_failure, make_account, money_value
from support.server_process import ServerProcess, run_server_cli

from wholesale.v1 import order_pb2, order_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
EUR = "EUR"


@pytest.fixture
def api(running_server, channel) -> OrdersApi:
    return OrdersApi(channel, running_server.tokens)


@pytest.fixture
def accounts(api: OrdersApi) -> Accounts:
    api.seed_catalog()
    return api.standard_accounts()


def ten_orders(acc: Accounts) -> list[order_pb2.Order]:
    """Ten orders, alternately by account id and by account external id; the ones at
    index 3 (unknown SKU on its second line) and 7 (quantity 0 on its first) are bad."""
    skus = [sku for sku, *_ in CATALOG]
    orders = []
    for i in range(10):
        lines = [
            make_line(skus[(i + k) % len(skus)], 1 + i + k, f"1.{i}{k}5") for k in range(1 + i % 3)
        ]
        ref = {"account_id": acc.alice.id} if i % 2 == 0 else {"account_external_id": "ACC-BOB"}
        orders.append(
            make_order(
                f"IMP-{i:03d}",
                order_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=3 * i),
                lines=lines,
                status=FULFILLED if i % 4 == 0 else PLACED,
                **ref,
            )
        )
    orders[3].lines.append(make_line(UNKNOWN_SKU, 1, "1.00"))
    orders[7].lines[0].quantity = 0
    return orders


GOOD = [0, 1, 2, 4, 5, 6, 8, 9]
BAD = {3: "lines[1].sku", 7: "lines[0].quantity"}


def _violation_fields(result: order_service_pb2.ImportOrderResult) -> list[str]:
    return [v.field for v in result.violations]


def test_bad_records_are_reported_by_position_and_good_ones_land(api: OrdersApi, accounts):
    orders = ten_orders(accounts)
    assert orders[3].lines[1].sku == UNKNOWN_SKU

    response = api.import_orders(orders, first_position=100)

    assert [r.position for r in response.results] == list(range(100, 110))
    assert [r.external_id for r in response.results] == [o.external_id for o in orders]
    assert [r.outcome for r in response.results] == [
        REJECTED if i in BAD else CREATED for i in range(10)
    ]
    for index, path in BAD.items():
        result = response.results[index]
        assert path in _violation_fields(result), result
        assert all(v.description for v in result.violations), result
        assert result.error_message and "\n" not in result.error_message, result
    assert UNKNOWN_SKU in (response.results[3].error_message + str(response.results[3].violations))
    for index in GOOD:
        assert not response.results[index].error_message
        assert not response.results[index].violations
    assert (
        response.created_count,
        response.updated_count,
        response.unchanged_count,
        response.rejected_count,
    ) == (8, 0, 0, 2)
    assert response.lines_written == sum(len(orders[i].lines) for i in GOOD)

    stored = api.orders_by_external_id()
    assert set(stored) == {orders[i].external_id for i in GOOD}
    for i in GOOD:
        sent, got = orders[i], stored[orders[i].external_id]
        assert got.account_id == (accounts.alice.id if i % 2 == 0 else accounts.bob.id)
        assert got.order_date == sent.order_date
        assert got.status == sent.status
        assert [(line.sku, line.quantity, amount_of(line.unit_price)) for line in got.lines] == [
            (line.sku, line.quantity, amount_of(line.unit_price)) for line in sent.lines
        ]
        assert amount_of(got.total) == (order_total(sent), EUR)
        assert api.get_order(got.id) == got


def test_resending_a_batch_writes_nothing_twice(api: OrdersApi, accounts):
    orders = ten_orders(accounts)
    api.import_orders(orders, first_position=100)
    before = api.orders_by_external_id()

    again = api.import_orders(orders, first_position=100)

    assert [r.outcome for r in again.results] == [
        REJECTED if i in BAD else UNCHANGED for i in range(10)
    ]
    assert [r.position for r in again.results] == list(range(100, 110))
    assert (
        again.created_count,
        again.updated_count,
        again.unchanged_count,
        again.rejected_count,
    ) == (0, 0, 8, 2)
    assert again.lines_written == 0
    after = api.orders_by_external_id()
    assert after == before, "an unchanged resend changes nothing, update_time included"
    assert len(api.list_orders()) == 8


def test_fixed_and_changed_records_in_a_resend(api: OrdersApi, accounts):
    orders = ten_orders(accounts)
    api.import_orders(orders)
    ids_before = {ext: o.id for ext, o in api.orders_by_external_id().items()}
    orders[3].lines[1].sku = "SOAP-BAR"
    orders[7].lines[0].quantity = 2
    del orders[5].lines[:]
    orders[5].lines.append(make_line("CORNFLAKES", 9, "2.05"))

    response = api.import_orders(orders)

    expected = [UNCHANGED] * 10
    expected[3] = expected[7] = CREATED
    expected[5] = UPDATED
    assert [r.outcome for r in response.results] == expected
    assert [r.position for r in response.results] == list(range(10)), "first_position is 0"
    assert (
        response.created_count,
        response.updated_count,
        response.unchanged_count,
        response.rejected_count,
    ) == (2, 1, 7, 0)
    assert response.lines_written == len(orders[3].lines) + len(orders[7].lines) + 1
    stored = api.orders_by_external_id()
    assert len(stored) == 10
    assert {ext: stored[ext].id for ext in ids_before} == ids_before
    changed = stored["IMP-005"]
    assert [(line.sku, line.quantity) for line in changed.lines] == [("CORNFLAKES", 9)]
    assert amount_of(changed.total) == (Decimal("18.45"), EUR)


def test_a_large_batch_stores_every_order_with_its_own_lines(api: OrdersApi, accounts) -> None:
    """More orders than one multi-row insert holds, in shuffled order, each with lines of
    its own: the ids that come back with the insert must tie each line to its order."""
    skus = ["SOAP-BAR", "CORNFLAKES"]
    orders = [
        make_order(
            f"BIG-{n:05d}",
            account_id=accounts.alice.id,
            order_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 300),
            lines=[
                make_line(skus[n % 2], 1 + n % 97, "1.25"),
                make_line(skus[1 - n % 2], 1, "0.5"),
            ],
        )
        for n in range(1200)
    ]
    random.Random(3).shuffle(orders)

    response = api.import_orders(orders)
    again = api.import_orders(orders)

    assert [r.outcome for r in response.results] == [CREATED] * len(orders)
    assert [r.outcome for r in again.results] == [UNCHANGED] * len(orders)
    stored = api.orders_by_external_id()
    for sent in orders:
        got = stored[sent.external_id]
        assert [(line.sku, line.quantity) for line in got.lines] == [
            (line.sku, line.quantity) for line in sent.lines
        ], sent.external_id
        assert got.order_date == sent.order_date


def test_imported_and_recorded_orders_are_the_same_records(api: OrdersApi, accounts):
    orders = ten_orders(accounts)
    api.import_orders(orders)

    assert api.record_order(orders[0]).outcome == UNCHANGED
    record = make_order("REC-1", account_id=accounts.alice.id)
    assert api.record_order(record).outcome == CREATED
    response = api.import_orders([record])
    assert [r.outcome for r in response.results] == [UNCHANGED]


@pytest.mark.parametrize(
    "mutate, path",
    [
        (lambda o, acc: setattr(o, "account_id", "987654"), "account_id"),
        (lambda o, acc: setattr(o, "account_id", acc.closed.id), "account_id"),
        (lambda o, acc: setattr(o, "currency_code", "USD"), "currency_code"),
        (lambda o, acc: o.ClearField("order_date"), "order_date"),
        (lambda o, acc: setattr(o.lines[1].unit_price, "units", -3), "lines[1].unit_price"),
        (lambda o, acc: setattr(o.lines[0].line_total, "units", 999), "lines[0].line_total"),
    ],
    ids=[
        "unknown-account",
        "closed-account",
        "currency",
        "no-date",
        "negative-price",
        "wrong-line-total",
    ],
)
def test_violation_paths_start_at_the_order(api: OrdersApi, accounts, mutate, path):
    good = make_order("IMP-GOOD", account_id=accounts.alice.id)
    bad = make_order("IMP-BAD", account_id=accounts.alice.id)
    mutate(bad, accounts)
    if path.endswith("line_total"):
        bad.lines[0].line_total.currency_code = EUR

    response = api.import_orders([good, bad], first_position=1)

    assert [r.outcome for r in response.results] == [CREATED, REJECTED]
    assert response.results[1].position == 2
    fields = _violation_fields(response.results[1])
    assert any(f == path or f.startswith(path + ".") for f in fields), response.results[1]
    assert not any(f.startswith("order.") or f.startswith("orders[") for f in fields)
    assert set(api.orders_by_external_id()) == {"IMP-GOOD"}


def test_batch_size_limits(api: OrdersApi, accounts):
    expect_failure(
        api.orders.ImportOrders,
        order_service_pb2.ImportOrdersRequest(orders=[]),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["orders"],
    )
    one_line = [make_line("SOAP-BAR", 1, "0.99")]
    too_many = [
        make_order(f"BIG-{i}", account_id=accounts.alice.id, lines=one_line) for i in range(2001)
    ]
    expect_failure(
        api.orders.ImportOrders,
        order_service_pb2.ImportOrdersRequest(orders=too_many),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["orders"],
    )
    assert api.list_orders() == []

    full = api.import_orders(too_many[:2000], first_position=1)

    assert full.created_count == 2000
    assert full.results[-1].position == 2000
    assert full.lines_written == 2000


def test_an_import_call_is_audited_once(api: OrdersApi, accounts):
    api.import_orders(ten_orders(accounts), first_position=100)

    events = api.audit_events(filter='method = "/wholesale.v1.OrderService/ImportOrders"')

    assert len(events) == 1
    assert events[0].resource == "orders"
    assert list(events[0].changed_fields) == []
    assert (events[0].actor, events[0].role) == ("erp", "integration")
    assert api.order_audit_count("RecordOrder") == 0


# --- an import interrupted by a crash ------------------------------------------------------

CRASH_ACCOUNTS = 4
CRASH_BATCH = 400
CRASH_BATCHES = 15
ACKED_BEFORE_KILL = 3
BAD_EVERY = 250  # orders whose index is a multiple of this carry an unknown SKU
EPOCH = datetime.date(1970, 1, 1)


def _cli(*args: str, cwd: Path) -> str:
    done = run_server_cli(*args, cwd=cwd)
    assert done.returncode == 0, f"wholesale-server {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _history(seed: int) -> tuple[list[order_pb2.Order], dict[str, dict]]:
    """The generated import and, per good order, the rows the database must end up with."""
    rng = random.Random(seed)
    orders, expected = [], {}
    for i in range(CRASH_BATCH * CRASH_BATCHES):
        account = f"ACC-H{i % CRASH_ACCOUNTS}"
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=(i * 7) % 700)
        lines = []
        for sku, _name, _category, price in rng.sample(CATALOG, rng.randint(1, 5)):
            unit = Decimal(price) + Decimal(rng.randint(0, 999)) / 1000
            lines.append((sku, rng.randint(1, 60), unit))
        sent_lines = [make_line(sku, q, p) for sku, q, p in lines]
        if i % BAD_EVERY == 0:
            sent_lines.append(make_line(UNKNOWN_SKU, 1, "1.00"))
        orders.append(
            make_order(
                f"HIST-{i:06d}",
                account_external_id=account,
                order_date=day,
                lines=sent_lines,
                status=rng.choice((PLACED, FULFILLED)),
            )
        )
        if i % BAD_EVERY == 0:
            continue
        line_rows = [
            (sku, q, int(p * 1_000_000), int(expected_line_total(q, p, EUR) * 1_000_000))
            for sku, q, p in lines
        ]
        expected[f"HIST-{i:06d}"] = {
            "account": account,
            "day": (day - EPOCH).days,
            "lines": line_rows,
            "total_micros": sum(row[3] for row in line_rows),
        }
    return orders, expected


def _stored(db: Path) -> dict[str, dict]:
    """Every order in the database file with its lines, read with sqlite3.

    The table and column names are those of migration 2 (sales_order, order_line, product,
    account); days are counted from 1970-01-01, amounts are integer micros."""
    conn = sqlite3.connect(db)
    try:
        orders = conn.execute(
            "SELECT o.external_id, a.external_id, o.order_day, o.total_micros "
            "FROM sales_order o JOIN account a ON a.id = o.account_id"
        ).fetchall()
        lines = conn.execute(
            "SELECT o.external_id, p.sku, l.quantity, l.unit_price_micros, l.line_total_micros "
            "FROM order_line l JOIN sales_order o ON o.id = l.order_id "
            "JOIN product p ON p.id = l.product_id ORDER BY o.external_id, l.line_no"
        ).fetchall()
        duplicates = conn.execute(
            "SELECT external_id FROM sales_order GROUP BY external_id HAVING COUNT(*) > 1"
        ).fetchall()
        line_count = conn.execute("SELECT COUNT(*) FROM order_line").fetchone()[0]
    finally:
        conn.close()
    assert duplicates == [], f"orders stored twice: {duplicates[:10]}"
    assert line_count == len(lines), "order lines without their order"
    stored = {
        ext: {"account": account, "day": day, "lines": [], "total_micros": total}
        for ext, account, day, total in orders
    }
    assert len(stored) == len(orders)
    for ext, sku, quantity, unit, total in lines:
        stored[ext]["lines"].append((sku, quantity, unit, total))
    return stored


def _import_request(orders: list[order_pb2.Order], batch: int):
    start = batch * CRASH_BATCH
    return order_service_pb2.ImportOrdersRequest(
        orders=orders[start : start + CRASH_BATCH], first_position=start + 1
    )


@pytest.mark.timeout(600)
def test_import_killed_mid_stream_and_rerun_ends_with_exactly_the_expected_rows(
    tmp_path: Path,
):
    db = tmp_path / "wholesale.db"
    url = f"sqlite:///{db}"
    _cli("migrate", "--database", url, cwd=tmp_path)
    token = _cli(
        "create-token", "--role", "integration", "--subject", "erp", "--database", url, cwd=tmp_path
    ).strip()
    md = bearer(token)
    orders, expected = _history(seed=3)
    bad_positions = {i + 1 for i in range(len(orders)) if i % BAD_EVERY == 0}

    server = ServerProcess(tmp_path, url, "first")
    try:
        setup = OrdersApi(server.channel, {"integration": token})
        setup.seed_catalog(who="integration")
        created = setup.upsert_accounts(
            [
                make_account(external_id=f"ACC-H{k}", legal_name=f"History {k} GmbH")
                for k in range(CRASH_ACCOUNTS)
            ],
            who="integration",
        )
        account_ids = {a.external_id: a.id for a in created}

        acknowledged: list[order_service_pb2.ImportOrdersResponse] = []
        stream_error: list[BaseException] = []
        enough = threading.Event()

        def stream() -> None:
            try:
                for batch in range(CRASH_BATCHES):
                    response = setup.orders.ImportOrders(
                        _import_request(orders, batch), metadata=md, timeout=120
                    )
                    acknowledged.append(response)
                    if len(acknowledged) == ACKED_BEFORE_KILL:
                        enough.set()
            except grpc.RpcError as error:
                stream_error.append(error)
            finally:
                enough.set()

        streamer = threading.Thread(target=stream, name="import-stream")
        streamer.start()
        assert enough.wait(timeout=300), "the first batches were never acknowledged"
        assert server.kill() == -9
        streamer.join(timeout=60)
        assert not streamer.is_alive()
    finally:
        server.stop()

    assert len(acknowledged) >= ACKED_BEFORE_KILL, stream_error
    assert stream_error and len(acknowledged) < CRASH_BATCHES, (
        "the kill did not interrupt the import"
    )
    assert isinstance(stream_error[0], grpc.RpcError)

    # Right after the crash: every acknowledged order is there, and whatever was written
    # of the interrupted batch is whole orders, each exactly as sent.
    after_crash = _stored(db)
    for response in acknowledged:
        for result in response.results:
            if result.outcome != REJECTED:
                assert result.external_id in after_crash, f"acknowledged but lost: {result}"
    for ext, row in after_crash.items():
        assert row == expected[ext], f"{ext} is not as sent after the crash"

    # Re-run the whole import from the beginning on a restarted server.
    server = ServerProcess(tmp_path, url, "second")
    try:
        again = OrdersApi(server.channel, {"integration": token})
        rerun = [
            again.orders.ImportOrders(_import_request(orders, batch), metadata=md, timeout=120)
            for batch in range(CRASH_BATCHES)
        ]
        summaries = {
            external_id: again.summary(account_id, as_of="2026-01-01", who="integration")
            for external_id, account_id in account_ids.items()
        }
    finally:
        server.stop()

    results = [r for response in rerun for r in response.results]
    assert [r.position for r in results] == list(range(1, len(orders) + 1))
    assert {r.position for r in results if r.outcome == REJECTED} == bad_positions
    for response in rerun[: len(acknowledged)]:
        assert {r.outcome for r in response.results} <= {UNCHANGED, REJECTED}, (
            "orders acknowledged before the crash must come back UNCHANGED"
        )
    assert sum(r.updated_count for r in rerun) == 0
    assert sum(r.unchanged_count for r in rerun) == len(after_crash)
    assert sum(r.created_count for r in rerun) == len(expected) - len(after_crash)
    assert sum(r.rejected_count for r in rerun) == len(bad_positions)

    final = _stored(db)
    assert len(final) == len(expected)
    assert sum(len(row["lines"]) for row in final.values()) == sum(
        len(row["lines"]) for row in expected.values()
    )
    assert sum(row["total_micros"] for row in final.values()) == sum(
        row["total_micros"] for row in expected.values()
    )
    assert final == expected

    # The API agrees with the file: per account, lifetime count and spend.
    for external_id, summary in summaries.items():
        mine = [row for row in expected.values() if row["account"] == external_id]
        assert summary.lifetime_order_count == len(mine)
        total = sum(row["total_micros"] for row in mine)
        assert money_value(summary.lifetime_spend) == Decimal(total) / 1_000_000
