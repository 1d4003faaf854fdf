"""OrderService end to end: RecordOrder upserts by external_id, line arithmetic, precise
validation errors that write nothing, GetOrder, ListOrders (filters, order, paging) and who
may see and record what. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest
from google.type import date_pb2
from support.orders import (
    CANCELLED,
    CREATED,
    FULFILLED,
    PLACED,
    RETURNED,
    UNCHANGED,
    UNKNOWN_SKU,
    UPDATED,
    Accounts,
    OrdersApi,
    amount_of,
    from_pdate,
    make_line,
    make_order,
    make_product,
    order_total,
    pdate,
)
from support.rpc import Failure, expect_failure

from wholesale.v1 import order_pb2, order_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED
EUR = "EUR"


@pytest.fixture
def api(running_server, channel) -> OrdersApi:
    return OrdersApi(channel, running_server.tokens)


@pytest.fixture
def accounts(api: OrdersApi) -> Accounts:
    api.seed_catalog()
    return api.standard_accounts()


def line_tuples(order: order_pb2.Order) -> list[tuple]:
    return [
        (line.sku, line.quantity, *amount_of(line.unit_price), *amount_of(line.line_total))
        for line in order.lines
    ]


def ts_key(ts) -> tuple[int, int]:
    return (ts.seconds, ts.nanos)


def order_count(api: OrdersApi) -> int:
    return len(api.list_orders())


# --- upsert by external_id -----------------------------------------------------------------


def test_record_creates_then_updates_then_resend_writes_nothing(api: OrdersApi, accounts):
    sent = make_order(
        "SO-1000",
        account_id=accounts.alice.id,
        order_date="2026-03-02",
        lines=[make_line("APL-JUICE-1L", 12, "1.20"), make_line("OAT-FLAKES", 5, "1.10")],
    )
    created = api.record_order(sent)

    assert created.outcome == CREATED
    order = created.order
    assert order.id and order.id.isdigit()
    assert order.external_id == "SO-1000"
    assert order.account_id == accounts.alice.id
    assert from_pdate(order.order_date).isoformat() == "2026-03-02"
    assert order.status == PLACED, "status defaults to PLACED"
    assert order.channel == order_pb2.ORDER_CHANNEL_ERP, "channel defaults to ERP"
    assert order.currency_code == EUR, "currency defaults to the account's"
    assert line_tuples(order) == [
        ("APL-JUICE-1L", 12, Decimal("1.20"), EUR, Decimal("14.40"), EUR),
        ("OAT-FLAKES", 5, Decimal("1.10"), EUR, Decimal("5.50"), EUR),
    ]
    assert amount_of(order.total) == (Decimal("19.90"), EUR)
    assert order.HasField("create_time") and order.HasField("update_time")
    assert api.get_order(order.id) == order
    audits = api.order_audit_count("RecordOrder")
    assert audits == 1

    changed = make_order(
        "SO-1000",
        account_id=accounts.alice.id,
        order_date="2026-03-03",
        status=FULFILLED,
        channel=order_pb2.ORDER_CHANNEL_PORTAL,
        lines=[make_line("COLA-033", 24, "0.60"), make_line("DARK-CHOC", 3, "1.89")],
    )
    updated = api.record_order(changed)

    assert updated.outcome == UPDATED
    assert updated.order.id == order.id
    assert ts_key(updated.order.create_time) == ts_key(order.create_time)
    assert ts_key(updated.order.update_time) >= ts_key(order.update_time)
    assert updated.order.status == FULFILLED
    assert updated.order.channel == order_pb2.ORDER_CHANNEL_PORTAL
    assert from_pdate(updated.order.order_date).isoformat() == "2026-03-03"
    assert line_tuples(updated.order) == [
        ("COLA-033", 24, Decimal("0.60"), EUR, Decimal("14.40"), EUR),
        ("DARK-CHOC", 3, Decimal("1.89"), EUR, Decimal("5.67"), EUR),
    ], "the lines are replaced, not appended"
    assert amount_of(updated.order.total) == (Decimal("20.07"), EUR)
    assert api.get_order(order.id) == updated.order
    assert api.order_audit_count("RecordOrder") == 2

    again = api.record_order(changed)

    assert again.outcome == UNCHANGED
    assert again.order == updated.order, "an unchanged resend returns the stored order as is"
    assert api.get_order(order.id) == updated.order
    assert api.order_audit_count("RecordOrder") == 2, "an unchanged resend is not audited"
    assert order_count(api) == 1


def test_resend_with_defaults_spelled_out_is_unchanged(api: OrdersApi, accounts):
    first = api.record_order(make_order("SO-DEF", account_id=accounts.alice.id))
    explicit = make_order(
        "SO-DEF",
        account_id=accounts.alice.id,
        status=PLACED,
        channel=order_pb2.ORDER_CHANNEL_ERP,
        currency_code=EUR,
        lines=[
            make_line("APL-JUICE-1L", 12, "1.20", line_total="14.40"),
            make_line("OAT-FLAKES", 5, "1.10", line_total="5.50"),
        ],
    )

    again = api.record_order(explicit)

    assert again.outcome == UNCHANGED
    assert ts_key(again.order.update_time) == ts_key(first.order.update_time)


def test_changing_only_one_quantity_is_an_update(api: OrdersApi, accounts):
    first = api.record_order(make_order("SO-Q", account_id=accounts.alice.id))
    changed = make_order(
        "SO-Q",
        account_id=accounts.alice.id,
        lines=[make_line("APL-JUICE-1L", 13, "1.20"), make_line("OAT-FLAKES", 5, "1.10")],
    )

    updated = api.record_order(changed)

    assert updated.outcome == UPDATED
    assert updated.order.id == first.order.id
    assert amount_of(updated.order.total) == (Decimal("21.10"), EUR)


def test_account_can_be_referenced_by_external_id(api: OrdersApi, accounts):
    by_ext = make_order("SO-EXT", account_external_id="ACC-BOB")

    created = api.record_order(by_ext)

    assert created.outcome == CREATED
    assert created.order.account_id == accounts.bob.id
    assert api.get_order(created.order.id).account_id == accounts.bob.id
    # The same order sent with the account's id instead is the same order, unchanged.
    same = make_order("SO-EXT", account_id=accounts.bob.id)
    assert api.record_order(same).outcome == UNCHANGED


def test_line_totals_round_half_up_per_line(api: OrdersApi, accounts):
    order = make_order(
        "SO-ROUND",
        account_id=accounts.alice.id,
        lines=[
            make_line("APL-JUICE-1L", 3, "0.335"),  # 1.005 -> 1.01
            make_line("ORG-JUICE-1L", 3, "0.335"),  # 1.005 -> 1.01
            make_line("SPARK-WATER", 7, "0.125"),  # 0.875 -> 0.88
            make_line("COLA-033", 1, "0.004"),  # 0.004 -> 0.00
            make_line("SOAP-BAR", 3, "0.333333"),  # 0.999999 -> 1.00
        ],
    )

    recorded = api.record_order(order).order

    totals = [amount_of(line.line_total) for line in recorded.lines]
    assert totals == [
        (Decimal("1.01"), EUR),
        (Decimal("1.01"), EUR),
        (Decimal("0.88"), EUR),
        (Decimal("0.00"), EUR),
        (Decimal("1.00"), EUR),
    ]
    # The total is the sum of the rounded lines (3.90), not the rounded sum (3.888999 -> 3.89).
    assert amount_of(recorded.total) == (Decimal("3.90"), EUR)
    assert order_total(order) == Decimal("3.90")
    assert [amount_of(line.unit_price) for line in recorded.lines][4] == (
        Decimal("0.333333"),
        EUR,
    ), "unit prices keep their six decimals"


def test_zero_decimal_currency_rounds_to_whole_units(api: OrdersApi, accounts):
    order = make_order(
        "SO-JPY",
        account_id=accounts.yen.id,
        lines=[
            make_line("APL-JUICE-1L", 3, "0.5", "JPY"),  # 1.5 -> 2
            make_line("COLA-033", 7, "12.25", "JPY"),  # 85.75 -> 86
            make_line("SOAP-BAR", 2, "150", "JPY"),  # 300
        ],
    )

    recorded = api.record_order(order).order

    assert recorded.currency_code == "JPY"
    assert [amount_of(line.line_total) for line in recorded.lines] == [
        (Decimal(2), "JPY"),
        (Decimal(86), "JPY"),
        (Decimal(300), "JPY"),
    ]
    assert amount_of(recorded.total) == (Decimal(388), "JPY")


def test_stated_line_total_must_match(api: OrdersApi, accounts):
    good = make_order(
        "SO-STATED",
        account_id=accounts.alice.id,
        lines=[
            make_line("APL-JUICE-1L", 3, "0.335", line_total="1.01"),
            make_line("OAT-FLAKES", 2, "1.10", line_total="2.20"),
        ],
    )
    assert api.record_order(good).outcome == CREATED

    wrong = make_order(
        "SO-STATED-2",
        account_id=accounts.alice.id,
        lines=[
            make_line("APL-JUICE-1L", 3, "0.335", line_total="1.01"),
            make_line("OAT-FLAKES", 2, "1.10", line_total="2.19"),
        ],
    )
    expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=wrong),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=["order.lines[1].line_total"],
        allow_subpath=True,
    )
    # Truncating (1.00) instead of rounding half-up is just as wrong.
    truncated = make_order(
        "SO-STATED-3",
        account_id=accounts.alice.id,
        lines=[make_line("APL-JUICE-1L", 3, "0.335", line_total="1.00")],
    )
    expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=truncated),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["order.lines[0].line_total"],
        allow_subpath=True,
    )
    assert [o.external_id for o in api.list_orders()] == ["SO-STATED"]


# --- validation: precise errors, nothing written -------------------------------------------


def _dated(order: order_pb2.Order, year: int, month: int, day: int) -> order_pb2.Order:
    order.order_date.CopyFrom(date_pb2.Date(year=year, month=month, day=day))
    return order


def _bad_orders(acc: Accounts) -> dict[str, tuple[order_pb2.Order, list[str]]]:
    """name -> (an invalid order, the field paths the error must name)."""
    a = acc.alice.id
    two_lines = [make_line("APL-JUICE-1L", 2, "1.20"), make_line(UNKNOWN_SKU, 1, "1.00")]
    return {
        "unknown_sku_on_second_line": (
            make_order("SO-BAD", account_id=a, lines=two_lines),
            ["order.lines[1].sku"],
        ),
        "unknown_account_id": (
            make_order("SO-BAD", account_id="987654321"),
            ["order.account_id"],
        ),
        "unknown_account_external_id": (
            make_order("SO-BAD", account_external_id="NO-SUCH-ACCOUNT"),
            ["order.account_external_id"],
        ),
        "closed_account": (
            make_order("SO-BAD", account_id=acc.closed.id),
            ["order.account_id"],
        ),
        "zero_quantity": (
            make_order("SO-BAD", account_id=a, lines=[make_line("APL-JUICE-1L", 0, "1.20")]),
            ["order.lines[0].quantity"],
        ),
        "negative_quantity_on_third_line": (
            make_order(
                "SO-BAD",
                account_id=a,
                lines=[
                    make_line("APL-JUICE-1L", 1, "1.20"),
                    make_line("OAT-FLAKES", 1, "1.10"),
                    make_line("COLA-033", -4, "0.60"),
                ],
            ),
            ["order.lines[2].quantity"],
        ),
        "negative_unit_price": (
            make_order("SO-BAD", account_id=a, lines=[make_line("APL-JUICE-1L", 1, "-1.20")]),
            ["order.lines[0].unit_price"],
        ),
        "order_currency_not_the_accounts": (
            make_order(
                "SO-BAD",
                account_id=a,
                currency_code="USD",
                lines=[make_line("APL-JUICE-1L", 1, "1.20", "USD")],
            ),
            ["order.currency_code"],
        ),
        "unit_price_currency_not_the_orders": (
            make_order(
                "SO-BAD",
                account_id=a,
                lines=[
                    make_line("APL-JUICE-1L", 1, "1.20"),
                    make_line("OAT-FLAKES", 1, "1.10", "USD"),
                ],
            ),
            ["order.lines[1].unit_price"],
        ),
        "unit_price_with_seven_decimals": (
            make_order("SO-BAD", account_id=a, lines=[make_line("APL-JUICE-1L", 1, "1.2000001")]),
            ["order.lines[0].unit_price"],
        ),
        "missing_order_date": (
            make_order("SO-BAD", account_id=a, order_date=None),
            ["order.order_date"],
        ),
        "impossible_order_date": (
            _dated(make_order("SO-BAD", account_id=a, order_date=None), 2026, 2, 30),
            ["order.order_date"],
        ),
        "both_account_refs": (
            make_order("SO-BAD", account_id=a, account_external_id="ACC-ALICE"),
            ["order.account_id"],
        ),
        "no_account_ref": (make_order("SO-BAD"), ["order.account_id"]),
        "missing_external_id": (make_order("", account_id=a), ["order.external_id"]),
        "no_lines": (make_order("SO-BAD", account_id=a, lines=[]), ["order.lines"]),
        "unknown_status": (make_order("SO-BAD", account_id=a, status=99), ["order.status"]),
        "empty_sku": (
            make_order("SO-BAD", account_id=a, lines=[make_line("", 1, "1.20")]),
            ["order.lines[0].sku"],
        ),
    }


BAD_ORDER_CASES = [
    "unknown_sku_on_second_line",
    "unknown_account_id",
    "unknown_account_external_id",
    "closed_account",
    "zero_quantity",
    "negative_quantity_on_third_line",
    "negative_unit_price",
    "order_currency_not_the_accounts",
    "unit_price_currency_not_the_orders",
    "unit_price_with_seven_decimals",
    "missing_order_date",
    "impossible_order_date",
    "both_account_refs",
    "no_account_ref",
    "missing_external_id",
    "no_lines",
    "unknown_status",
    "empty_sku",
]


def _account_ref_violation(failure: Failure) -> bool:
    return any(path in ("order.account_id", "order.account_external_id") for path in failure.fields)


@pytest.mark.parametrize("case", BAD_ORDER_CASES)
def test_invalid_order_names_the_field_and_writes_nothing(api: OrdersApi, accounts, case: str):
    order, paths = _bad_orders(accounts)[case]
    audits_before = len(api.audit_events())

    loose = case in ("both_account_refs", "no_account_ref")
    failure = expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=order),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=[] if loose else paths,
        allow_subpath=True,
    )

    if loose:
        assert _account_ref_violation(failure), failure
    assert order_count(api) == 0
    assert len(api.audit_events()) == audits_before


def test_unknown_sku_error_names_the_sku(api: OrdersApi, accounts):
    order, _ = _bad_orders(accounts)["unknown_sku_on_second_line"]

    failure = expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=order),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["order.lines[1].sku"],
    )

    descriptions = dict(failure.violations)
    assert UNKNOWN_SKU in descriptions["order.lines[1].sku"], failure


def test_closed_account_error_says_closed(api: OrdersApi, accounts):
    order, _ = _bad_orders(accounts)["closed_account"]

    failure = expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=order),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["order.account_id"],
    )

    description = dict(failure.violations)["order.account_id"]
    assert "closed" in description.lower() and accounts.closed.id in description, failure


def test_unit_price_without_currency_is_taken_in_the_order_currency(api: OrdersApi, accounts):
    line = make_line("APL-JUICE-1L", 2, "1.25")
    line.unit_price.currency_code = ""

    recorded = api.record_order(make_order("SO-NOCUR", account_id=accounts.alice.id, lines=[line]))

    assert amount_of(recorded.order.lines[0].unit_price) == (Decimal("1.25"), EUR)
    assert amount_of(recorded.order.total) == (Decimal("2.50"), EUR)


def test_changing_the_account_of_an_order_is_rejected(api: OrdersApi, accounts):
    first = api.record_order(make_order("SO-MOVE", account_id=accounts.alice.id)).order
    moved = make_order(
        "SO-MOVE",
        account_id=accounts.bob.id,
        lines=[make_line("COLA-033", 100, "0.60")],
    )

    expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=moved),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=["order.account_id"],
    )
    by_external_ref = make_order("SO-MOVE", account_external_id="ACC-BOB")
    expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=by_external_ref),
        metadata=api.md("integration"),
        code=INVALID,
    )

    assert api.get_order(first.id) == first, "the stored order is untouched"


def test_recording_for_a_closed_account_leaves_its_existing_orders_alone(api: OrdersApi, accounts):
    # An order recorded while the account was open, then the account closes.
    open_account = api.create(external_id="ACC-LATER-CLOSED")
    first = api.record_order(make_order("SO-LATE", account_id=open_account.id)).order
    api.delete(open_account.id)

    changed = make_order(
        "SO-LATE", account_id=open_account.id, lines=[make_line("COLA-033", 1, "0.6")]
    )
    expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=changed),
        metadata=api.md("integration"),
        code=INVALID,
        fields=["order.account_id"],
    )
    assert api.get_order(first.id) == first


# --- GetOrder and ListOrders ---------------------------------------------------------------


def test_get_order_unknown_and_empty_ids(api: OrdersApi, accounts):
    for unknown in ("999999", "abc"):
        expect_failure(
            api.orders.GetOrder,
            order_service_pb2.GetOrderRequest(id=unknown),
            metadata=api.md("admin"),
            code=NOT_FOUND,
            reason="ORDER_NOT_FOUND",
        )
    expect_failure(
        api.orders.GetOrder,
        order_service_pb2.GetOrderRequest(id=""),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["id"],
    )


@pytest.fixture
def listed(api: OrdersApi, accounts) -> dict[str, order_pb2.Order]:
    """Nine orders over two accounts and three statuses, recorded in one import."""
    a, b = accounts.alice.id, accounts.bob.id
    plan = [
        ("L-1", a, "2026-01-05", PLACED),
        ("L-2", a, "2026-01-20", FULFILLED),
        ("L-3", a, "2026-02-01", FULFILLED),
        ("L-4", a, "2026-02-01", CANCELLED),
        ("L-5", a, "2026-03-15", PLACED),
        ("L-6", b, "2026-01-10", FULFILLED),
        ("L-7", b, "2026-02-01", RETURNED),
        ("L-8", b, "2026-02-28", PLACED),
        ("L-9", b, "2025-12-31", FULFILLED),
    ]
    orders = [
        make_order(ext, account_id=acc, order_date=day, status=status)
        for ext, acc, day, status in plan
    ]
    response = api.import_orders(orders)
    assert response.created_count == len(plan), response
    return api.orders_by_external_id()


def _ids(orders) -> list[str]:
    return [o.external_id for o in orders]


def _expected_order(orders: list[order_pb2.Order]) -> list[str]:
    """Order date descending, then id descending (ids are decimal strings)."""
    ordered = sorted(orders, key=lambda o: (from_pdate(o.order_date), int(o.id)), reverse=True)
    return _ids(ordered)


def test_list_orders_newest_first_then_id(api: OrdersApi, listed):
    everything = api.list_orders()

    assert _ids(everything) == _expected_order(list(listed.values()))
    assert len(everything) == 9
    # Three orders share 2026-02-01: the later recorded (higher id) comes first.
    same_day = [o for o in everything if from_pdate(o.order_date).isoformat() == "2026-02-01"]
    assert [int(o.id) for o in same_day] == sorted((int(o.id) for o in same_day), reverse=True)


def test_list_orders_pages_cover_everything_once(api: OrdersApi, listed):
    pages = api.list_order_pages(page_size=2)

    assert [len(p.orders) for p in pages] == [2, 2, 2, 2, 1]
    assert _ids(o for p in pages for o in p.orders) == _ids(api.list_orders())


@pytest.mark.parametrize(
    "filter_template, expected",
    [
        ('account_id = "{a}"', {"L-1", "L-2", "L-3", "L-4", "L-5"}),
        ('account_id = "{b}"', {"L-6", "L-7", "L-8", "L-9"}),
        ("status = FULFILLED", {"L-2", "L-3", "L-6", "L-9"}),
        ("status != PLACED", {"L-2", "L-3", "L-4", "L-6", "L-7", "L-9"}),
        ('order_date >= "2026-02-01"', {"L-3", "L-4", "L-5", "L-7", "L-8"}),
        ('order_date > "2026-02-01"', {"L-5", "L-8"}),
        ('order_date <= "2026-01-10"', {"L-1", "L-6", "L-9"}),
        ('order_date < "2026-01-10"', {"L-1", "L-9"}),
        ('order_date = "2026-02-01"', {"L-3", "L-4", "L-7"}),
        (
            'account_id = "{a}" AND order_date >= "2026-01-20" AND order_date <= "2026-02-01"'
            " AND status = FULFILLED",
            {"L-2", "L-3"},
        ),
        ('account_id = "{b}" AND status != RETURNED', {"L-6", "L-8", "L-9"}),
        ('external_id = "L-7"', {"L-7"}),
        ('external_id = "L-7" AND status = PLACED', set()),
    ],
)
def test_list_orders_filters(api: OrdersApi, accounts, listed, filter_template, expected):
    flt = filter_template.format(a=accounts.alice.id, b=accounts.bob.id)

    found = api.list_orders(filter=flt)

    assert set(_ids(found)) == expected
    assert _ids(found) == _expected_order(found)


@pytest.mark.parametrize(
    "bad_filter",
    [
        'order_date >= "2026-02-30"',
        'order_date >= "yesterday"',
        "status = SHIPPED",
        'colour = "red"',
        'account_id = "1" AND',
    ],
)
def test_bad_list_filter_is_invalid(api: OrdersApi, accounts, bad_filter):
    expect_failure(
        api.orders.ListOrders,
        order_service_pb2.ListOrdersRequest(filter=bad_filter),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["filter"],
    )


def test_list_orders_negative_page_size_is_invalid(api: OrdersApi, accounts):
    expect_failure(
        api.orders.ListOrders,
        order_service_pb2.ListOrdersRequest(page_size=-1),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["page_size"],
    )


def test_list_orders_rejects_an_altered_page_token(api: OrdersApi, listed):
    first = api.list_order_pages(page_size=2)[0]
    token = first.next_page_token
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]

    expect_failure(
        api.orders.ListOrders,
        order_service_pb2.ListOrdersRequest(page_size=2, page_token=altered),
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_PAGE_TOKEN",
        fields=["page_token"],
    )
    expect_failure(
        api.orders.ListOrders,
        order_service_pb2.ListOrdersRequest(
            page_size=2, page_token=token, filter="status = FULFILLED"
        ),
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_PAGE_TOKEN",
    )


# --- roles ---------------------------------------------------------------------------------


def test_integration_and_admin_can_record(api: OrdersApi, accounts):
    assert api.record_order(make_order("SO-INT", account_id=accounts.alice.id)).outcome == CREATED
    admin = api.record_order(make_order("SO-ADM", account_id=accounts.bob.id), who="admin")
    assert admin.outcome == CREATED


@pytest.mark.parametrize("who", ["viewer", "alice"])
def test_viewers_and_managers_cannot_record(api: OrdersApi, accounts, who):
    order = make_order("SO-NOPE", account_id=accounts.alice.id)

    expect_failure(
        api.orders.RecordOrder,
        order_service_pb2.RecordOrderRequest(order=order),
        metadata=api.md(who),
        code=DENIED,
        reason="ROLE_NOT_ALLOWED",
    )
    expect_failure(
        api.orders.ImportOrders,
        order_service_pb2.ImportOrdersRequest(orders=[order]),
        metadata=api.md(who),
        code=DENIED,
        reason="ROLE_NOT_ALLOWED",
    )
    assert order_count(api) == 0


def test_manager_sees_only_her_accounts_orders(api: OrdersApi, accounts, listed):
    alices = {"L-1", "L-2", "L-3", "L-4", "L-5"}

    assert set(_ids(api.list_orders(who="alice"))) == alices
    assert set(_ids(api.list_orders(who="bob"))) == {"L-6", "L-7", "L-8", "L-9"}
    assert api.get_order(listed["L-1"].id, who="alice") == listed["L-1"]
    expect_failure(
        api.orders.GetOrder,
        order_service_pb2.GetOrderRequest(id=listed["L-6"].id),
        metadata=api.md("alice"),
        code=NOT_FOUND,
        reason="ORDER_NOT_FOUND",
    )
    # Asking for bob's account by filter shows nothing rather than bob's orders.
    assert api.list_orders(who="alice", filter=f'account_id = "{accounts.bob.id}"') == []
    # Paging as a manager still shows only her orders.
    paged = [o for p in api.list_order_pages(who="alice", page_size=2) for o in p.orders]
    assert set(_ids(paged)) == alices and len(paged) == len(alices)


def test_viewer_reads_every_order(api: OrdersApi, listed):
    assert set(_ids(api.list_orders(who="viewer"))) == set(listed)
    assert api.get_order(listed["L-6"].id, who="viewer") == listed["L-6"]


def test_calls_without_a_token_are_unauthenticated(api: OrdersApi, accounts):
    expect_failure(
        api.orders.ListOrders,
        order_service_pb2.ListOrdersRequest(),
        code=grpc.StatusCode.UNAUTHENTICATED,
        reason="TOKEN_MISSING",
    )


def test_product_catalog_change_does_not_alter_recorded_lines(api: OrdersApi, accounts):
    recorded = api.record_order(make_order("SO-CAT", account_id=accounts.alice.id)).order
    api.upsert_products([make_product("APL-JUICE-1L", "Apple juice 1 l", "beverages", "9.99")])

    again = api.get_order(recorded.id)

    assert again.lines == recorded.lines
    assert api.record_order(make_order("SO-CAT", account_id=accounts.alice.id)).outcome == UNCHANGED


def test_order_date_round_trips(api: OrdersApi, accounts):
    order = make_order("SO-LEAP", account_id=accounts.alice.id, order_date="2024-02-29")

    recorded = api.record_order(order).order

    assert recorded.order_date == pdate("2024-02-29")
