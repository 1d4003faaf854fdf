"""GetAccountSummary checked against figures the test computes itself, on SQLite and PostgreSQL.

The test keeps its own record of every order, invoice and payment it sends and derives the
expected summary from that record with plain Python (``Decimal``, ``statistics.median``), so
the server's SQL is checked against an independent model of the rules:

- windows of 30/90/365 days: as_of - days < order_date <= as_of, placed and fulfilled only;
- lifetime count, spend and average order value (half-up to the minor unit) over counted
  orders dated on or before as_of; first and last order date;
- median of the gaps between consecutive distinct order dates (mean of the middle two for an
  even count; 0 with fewer than two dates);
- top five SKUs and categories by spend over the 365-day window, ties by key ascending;
- outstanding: invoices issued by as_of minus payments paid by as_of; overdue: the
  outstanding part of invoices due before as_of; average days paid late over invoices fully
  paid by as_of.
"""

from __future__ import annotations

import datetime
import itertools
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import grpc
import pytest
from support.orders import (
    CANCELLED,
    CATALOG,
    CREATED,
    FULFILLED,
    PLACED,
    PRODUCT_CATEGORIES,
    PRODUCT_NAMES,
    RETURNED,
    OrdersApi,
    amount_of,
    expected_line_total,
    from_pdate,
    make_invoice,
    make_line,
    make_order,
    make_payment,
    pdate,
    round_minor,
)
from support.rpc import expect_failure, money

from wholesale.v1 import order_service_pb2

NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.INVALID_ARGUMENT
COUNTED = (PLACED, FULFILLED)
AS_OF = datetime.date(2026, 6, 30)
DAY = datetime.timedelta(days=1)


# --- the independent model -----------------------------------------------------------------


@dataclass
class SentOrder:
    external_id: str
    day: datetime.date
    status: int
    lines: list[tuple[str, int, Decimal]]  # sku, quantity, unit price

    def line_totals(self, currency: str) -> list[tuple[str, int, Decimal]]:
        return [(sku, q, expected_line_total(q, p, currency)) for sku, q, p in self.lines]

    def total(self, currency: str) -> Decimal:
        return sum((t for _, _, t in self.line_totals(currency)), Decimal(0))


@dataclass
class SentInvoice:
    external_id: str
    amount: Decimal
    issue: datetime.date
    due: datetime.date
    payments: list[tuple[Decimal, datetime.date]] = field(default_factory=list)


@dataclass
class Ledger:
    """Everything the test sent for one account, and what the summary must say about it."""

    account_id: str
    currency: str = "EUR"
    orders: list[SentOrder] = field(default_factory=list)
    invoices: list[SentInvoice] = field(default_factory=list)

    def expected(self, as_of: datetime.date) -> dict:
        cur = self.currency
        counted = [o for o in self.orders if o.status in COUNTED and o.day <= as_of]
        windows = []
        for days in (30, 90, 365):
            inside = [o for o in counted if as_of - days * DAY < o.day]
            windows.append((days, sum((o.total(cur) for o in inside), Decimal(0)), len(inside)))
        spend = sum((o.total(cur) for o in counted), Decimal(0))
        dates = sorted({o.day for o in counted})
        gaps = [(b - a).days for a, b in itertools.pairwise(dates)]

        by_sku: dict[str, list] = defaultdict(lambda: [Decimal(0), 0])
        by_category: dict[str, list] = defaultdict(lambda: [Decimal(0), 0])
        for order in counted:
            if not as_of - 365 * DAY < order.day:
                continue
            for sku, quantity, total in order.line_totals(cur):
                for key, table in ((sku, by_sku), (PRODUCT_CATEGORIES[sku], by_category)):
                    table[key][0] += total
                    table[key][1] += quantity

        def top(table: dict, names: dict | None) -> list[tuple]:
            ranked = sorted(table.items(), key=lambda item: (-item[1][0], item[0]))[:5]
            return [
                (key, names[key] if names else "", (spend_, cur), quantity)
                for key, (spend_, quantity) in ranked
            ]

        outstanding = overdue = Decimal(0)
        late_days = []
        for invoice in self.invoices:
            if invoice.issue > as_of:
                continue
            paid = [(a, d) for a, d in invoice.payments if d <= as_of]
            open_part = invoice.amount - sum((a for a, _ in paid), Decimal(0))
            outstanding += open_part
            if invoice.due < as_of:
                overdue += open_part
            if open_part == 0:
                settled = max(d for _, d in paid)
                late_days.append(max(0, (settled - invoice.due).days))

        return {
            "windows": windows,
            "lifetime_order_count": len(counted),
            "lifetime_spend": (spend, cur),
            "average_order_value": (
                round_minor(spend / len(counted), cur) if counted else Decimal(0),
                cur,
            ),
            "first_order_date": dates[0] if dates else None,
            "last_order_date": dates[-1] if dates else None,
            "median_days_between_orders": float(statistics.median(gaps)) if gaps else 0.0,
            "top_skus": top(by_sku, PRODUCT_NAMES),
            "top_categories": top(by_category, None),
            "outstanding_balance": (outstanding, cur),
            "overdue_amount": (overdue, cur),
            "average_days_paid_late": (sum(late_days) / len(late_days) if late_days else 0.0),
            "paid_invoice_count": len(late_days),
        }

    # sending

    def send_orders(self, api: OrdersApi, orders: list[SentOrder]) -> None:
        """Records ``orders`` in one ImportOrders call and remembers them."""
        messages = [
            make_order(
                o.external_id,
                account_id=self.account_id,
                order_date=o.day,
                status=o.status,
                lines=[make_line(s, q, p, self.currency) for s, q, p in o.lines],
            )
            for o in orders
        ]
        response = api.import_orders(messages)
        outcomes = [r.outcome for r in response.results]
        assert outcomes == [CREATED] * len(orders), response
        self.orders.extend(orders)

    def send_invoice(
        self, api: OrdersApi, external_id: str, amount: str, issue: str, due: str
    ) -> SentInvoice:
        invoice = SentInvoice(
            external_id,
            Decimal(amount),
            datetime.date.fromisoformat(issue),
            datetime.date.fromisoformat(due),
        )
        api.record_invoice(
            make_invoice(
                external_id,
                account_id=self.account_id,
                amount=amount,
                currency=self.currency,
                issue_date=issue,
                due_date=due,
            )
        )
        self.invoices.append(invoice)
        return invoice

    def send_payment(
        self, api: OrdersApi, invoice: SentInvoice, external_id: str, amount: str, day: str
    ) -> None:
        api.record_payment(
            make_payment(external_id, invoice.external_id, amount, day, self.currency)
        )
        invoice.payments.append((Decimal(amount), datetime.date.fromisoformat(day)))


def actual(summary: order_service_pb2.AccountSummary) -> dict:
    """The summary in the shape of :meth:`Ledger.expected`."""

    def shares(items) -> list[tuple]:
        return [(s.key, s.name, amount_of(s.spend), s.quantity) for s in items]

    return {
        "windows": [
            (w.days, *_amount_only(w.spend, summary.currency_code), w.order_count)
            for w in summary.windows
        ],
        "lifetime_order_count": summary.lifetime_order_count,
        "lifetime_spend": amount_of(summary.lifetime_spend),
        "average_order_value": amount_of(summary.average_order_value),
        "first_order_date": from_pdate(summary.first_order_date),
        "last_order_date": from_pdate(summary.last_order_date),
        "median_days_between_orders": pytest.approx(summary.median_days_between_orders),
        "top_skus": shares(summary.top_skus),
        "top_categories": shares(summary.top_categories),
        "outstanding_balance": amount_of(summary.outstanding_balance),
        "overdue_amount": amount_of(summary.overdue_amount),
        "average_days_paid_late": pytest.approx(summary.average_days_paid_late),
        "paid_invoice_count": summary.paid_invoice_count,
    }


def _amount_only(spend, currency: str) -> tuple[Decimal]:
    value, code = amount_of(spend)
    assert code == currency, f"window spend in {code!r}, the account's currency is {currency}"
    return (value,)


def assert_summary(api: OrdersApi, ledger: Ledger, as_of: datetime.date, who: str = "admin"):
    summary = api.summary(ledger.account_id, as_of, who=who)
    assert summary.account_id == ledger.account_id
    assert from_pdate(summary.as_of_date) == as_of
    assert summary.currency_code == ledger.currency
    got = actual(summary)
    want = ledger.expected(as_of)
    for key in want:
        assert got[key] == want[key], f"{key} as of {as_of}: got {got[key]}, expected {want[key]}"
    return summary


@pytest.fixture
def api(running_server, channel) -> OrdersApi:
    api = OrdersApi(channel, running_server.tokens)
    api.seed_catalog()
    return api


def new_ledger(api: OrdersApi, name: str, **overrides) -> Ledger:
    account = api.create(external_id=f"ACC-{name}", legal_name=f"{name} GmbH", **overrides)
    return Ledger(account.id, account.currency_code)


# --- a realistic history -------------------------------------------------------------------


def random_history(rng: random.Random, prefix: str) -> list[SentOrder]:
    """About 60 orders from 2024-11 to 2026-07 with every status, same-day repeats and
    prices with a third decimal so that per-line rounding matters."""
    orders = []
    day = datetime.date(2024, 11, 3)
    n = 0
    while day <= datetime.date(2026, 7, 20):
        for _ in range(rng.choice((1, 1, 1, 2))):
            n += 1
            lines = []
            for sku, _name, _cat, price in rng.sample(CATALOG, rng.randint(1, 4)):
                unit = Decimal(price) + Decimal(rng.randint(0, 9)) / 1000
                lines.append((sku, rng.randint(1, 40), unit))
            status = rng.choices((PLACED, FULFILLED, CANCELLED, RETURNED), (4, 6, 1, 1))[0]
            orders.append(SentOrder(f"{prefix}-{n:03d}", day, status, lines))
        day += rng.randint(3, 18) * DAY
    return orders


def test_summary_matches_an_independent_computation(api: OrdersApi):
    ledger = new_ledger(api, "HISTORY")
    history = random_history(random.Random(20260630), "H")
    # Boundary days around as_of for each window, placed and not counted.
    edges = [AS_OF - d * DAY for d in (0, 29, 30, 89, 90, 364, 365)] + [AS_OF + DAY]
    history += [
        SentOrder(f"E-{i}", day, PLACED, [("SOAP-BAR", i + 1, Decimal("0.99"))])
        for i, day in enumerate(edges)
    ]
    history.append(SentOrder("E-CANCELLED", AS_OF, CANCELLED, [("DARK-CHOC", 500, Decimal(2))]))
    history.append(SentOrder("E-RETURNED", AS_OF, RETURNED, [("COLA-033", 900, Decimal(1))]))
    ledger.send_orders(api, history)

    assert_summary(api, ledger, AS_OF)
    # Another day: windows, lifetime and cadence move with as_of.
    assert_summary(api, ledger, datetime.date(2025, 12, 31))
    assert_summary(api, ledger, datetime.date(2026, 7, 31))


def test_windows_are_half_open_at_the_start(api: OrdersApi):
    ledger = new_ledger(api, "EDGES")
    days = {"in30": 29, "out30": 30, "in90": 89, "out90": 90, "in365": 364, "out365": 365}
    orders = [
        SentOrder(f"W-{name}", AS_OF - back * DAY, FULFILLED, [("OAT-FLAKES", 1, Decimal(10**i))])
        for i, (name, back) in enumerate(days.items())
    ]
    orders.append(SentOrder("W-today", AS_OF, PLACED, [("OAT-FLAKES", 1, Decimal("0.01"))]))
    orders.append(SentOrder("W-tomorrow", AS_OF + DAY, PLACED, [("OAT-FLAKES", 1, Decimal(7))]))
    ledger.send_orders(api, orders)

    summary = assert_summary(api, ledger, AS_OF)

    # Spelled out, so a wrong model could not hide a wrong server: amounts 1, 10, ... 100000.
    assert [(w.days, amount_of(w.spend)[0], w.order_count) for w in summary.windows] == [
        (30, Decimal("1.01"), 2),
        (90, Decimal("111.01"), 4),
        (365, Decimal("11111.01"), 6),
    ]
    assert summary.lifetime_order_count == 7
    assert amount_of(summary.lifetime_spend)[0] == Decimal("111111.01")
    assert from_pdate(summary.last_order_date) == AS_OF


def test_cancelled_and_returned_orders_count_for_nothing(api: OrdersApi):
    ledger = new_ledger(api, "CANCELS")
    ledger.send_orders(
        api,
        [
            SentOrder("C-1", AS_OF - 40 * DAY, FULFILLED, [("COLA-033", 10, Decimal("0.60"))]),
            SentOrder("C-2", AS_OF - 20 * DAY, CANCELLED, [("DARK-CHOC", 10, Decimal("1.89"))]),
            SentOrder("C-3", AS_OF - 10 * DAY, RETURNED, [("SOAP-BAR", 10, Decimal("0.99"))]),
            SentOrder("C-4", AS_OF - 2 * DAY, PLACED, [("COLA-033", 5, Decimal("0.60"))]),
            SentOrder("C-5", AS_OF - 60 * DAY, CANCELLED, [("COLA-033", 5, Decimal("0.60"))]),
        ],
    )

    summary = assert_summary(api, ledger, AS_OF)

    assert summary.lifetime_order_count == 2
    assert amount_of(summary.lifetime_spend) == (Decimal("9.00"), "EUR")
    assert from_pdate(summary.first_order_date) == AS_OF - 40 * DAY
    assert from_pdate(summary.last_order_date) == AS_OF - 2 * DAY
    assert summary.median_days_between_orders == 38
    assert [s.key for s in summary.top_skus] == ["COLA-033"]
    assert [s.key for s in summary.top_categories] == ["beverages/soda"]


def _orders_on(prefix: str, days: list[datetime.date], status=PLACED) -> list[SentOrder]:
    return [
        SentOrder(f"{prefix}-{i}", day, status, [("OAT-FLAKES", 1, Decimal("1.10"))])
        for i, day in enumerate(days)
    ]


@pytest.mark.parametrize(
    "gaps, median",
    [
        ([], 0.0),
        ([5], 5.0),
        ([3, 7, 2], 3.0),  # odd count: the middle value
        ([2, 3, 8, 10], 5.5),  # even count: the mean of the two middle values
        ([14, 14, 7, 30, 1, 14], 14.0),
    ],
    ids=["one-date", "two-dates", "odd", "even", "repeats"],
)
def test_median_days_between_distinct_order_dates(api: OrdersApi, gaps, median):
    ledger = new_ledger(api, "CADENCE")
    start = AS_OF - 200 * DAY
    days = [start]
    for gap in gaps:
        days.append(days[-1] + gap * DAY)
    orders = _orders_on("M", days)
    # A second order on an existing day, and a cancelled one between two dates, change
    # nothing: the gaps are between distinct dates of counted orders.
    orders += _orders_on("M-SAME", [days[-1]])
    orders += _orders_on("M-CANC", [start + DAY], status=CANCELLED)
    ledger.send_orders(api, orders)

    summary = assert_summary(api, ledger, AS_OF)

    assert summary.median_days_between_orders == pytest.approx(median)
    assert summary.lifetime_order_count == len(days) + 1


def test_average_order_value_rounds_half_up(api: OrdersApi):
    ledger = new_ledger(api, "AVG")
    ledger.send_orders(
        api,
        [
            SentOrder("A-1", AS_OF - 3 * DAY, PLACED, [("SOAP-BAR", 1, Decimal("10.00"))]),
            SentOrder("A-2", AS_OF - 1 * DAY, PLACED, [("SOAP-BAR", 1, Decimal("0.01"))]),
        ],
    )

    summary = assert_summary(api, ledger, AS_OF)

    assert amount_of(summary.average_order_value) == (Decimal("5.01"), "EUR")  # 5.005


def test_zero_decimal_currency_summary(api: OrdersApi):
    ledger = new_ledger(api, "YEN", currency_code="JPY", credit_limit=money("100000", "JPY"))
    ledger.send_orders(
        api,
        [
            SentOrder("Y-1", AS_OF - 3 * DAY, PLACED, [("SOAP-BAR", 3, Decimal("0.5"))]),
            SentOrder("Y-2", AS_OF - 2 * DAY, PLACED, [("SOAP-BAR", 1, Decimal("100"))]),
        ],
    )

    summary = assert_summary(api, ledger, AS_OF)

    assert amount_of(summary.lifetime_spend) == (Decimal(102), "JPY")
    assert amount_of(summary.average_order_value) == (Decimal(51), "JPY")


def test_top_skus_and_categories_rank_by_spend_then_key(api: OrdersApi):
    ledger = new_ledger(api, "TOP")
    spends = {  # sku -> (quantity, unit price): spend
        "APL-JUICE-1L": (10, "1.00"),  # 10.00  beverages/juice
        "ORG-JUICE-1L": (5, "2.00"),  # 10.00  beverages/juice (tie with APL: key decides)
        "SPARK-WATER": (20, "1.00"),  # 20.00  beverages/water
        "COLA-033": (1, "5.00"),  # 5.00   beverages/soda
        "OAT-FLAKES": (5, "1.00"),  # 5.00   food/cereals
        "CORNFLAKES": (1, "5.00"),  # 5.00   food/cereals (ties, out of the top five)
        "DARK-CHOC": (1, "1.00"),  # 1.00   food/sweets
        "SOAP-BAR": (1, "3.00"),  # 3.00   household
    }
    lines = [(sku, q, Decimal(p)) for sku, (q, p) in spends.items()]
    ledger.send_orders(
        api,
        [
            SentOrder("T-1", AS_OF - 10 * DAY, PLACED, lines[:4]),
            SentOrder("T-2", AS_OF - 5 * DAY, FULFILLED, lines[4:]),
            # Older than 365 days: part of the lifetime, not of the ranking.
            SentOrder("T-OLD", AS_OF - 400 * DAY, PLACED, [("DARK-CHOC", 1000, Decimal(1))]),
            # Not counted at all.
            SentOrder("T-CAN", AS_OF - 1 * DAY, CANCELLED, [("SOAP-BAR", 1000, Decimal(1))]),
        ],
    )

    summary = assert_summary(api, ledger, AS_OF)

    assert [(s.key, s.name, amount_of(s.spend)[0], s.quantity) for s in summary.top_skus] == [
        ("SPARK-WATER", "Sparkling water 0.75 l", Decimal(20), 20),
        ("APL-JUICE-1L", "Apple juice 1 l", Decimal(10), 10),
        ("ORG-JUICE-1L", "Orange juice 1 l", Decimal(10), 5),
        ("COLA-033", "Cola 0.33 l", Decimal(5), 1),
        ("CORNFLAKES", "Corn flakes 375 g", Decimal(5), 1),
    ]
    assert [(s.key, s.name, amount_of(s.spend)[0], s.quantity) for s in summary.top_categories] == [
        ("beverages/juice", "", Decimal(20), 15),
        ("beverages/water", "", Decimal(20), 20),
        ("food/cereals", "", Decimal(10), 6),
        ("beverages/soda", "", Decimal(5), 1),
        ("household", "", Decimal(3), 1),
    ]


def test_outstanding_overdue_and_days_paid_late(api: OrdersApi):
    ledger = new_ledger(api, "PAYER")
    # Paid 10 days late in one payment.
    i1 = ledger.send_invoice(api, "I-1", "100.00", "2026-04-01", "2026-05-01")
    ledger.send_payment(api, i1, "P-1", "100.00", "2026-05-11")
    # Paid early in two parts: 0 days late.
    i2 = ledger.send_invoice(api, "I-2", "200.00", "2026-04-15", "2026-05-15")
    ledger.send_payment(api, i2, "P-2a", "50.00", "2026-05-10")
    ledger.send_payment(api, i2, "P-2b", "150.00", "2026-05-14")
    # Overdue, partly paid: 200.00 open and overdue.
    i3 = ledger.send_invoice(api, "I-3", "300.00", "2026-05-20", "2026-06-19")
    ledger.send_payment(api, i3, "P-3", "100.00", "2026-06-25")
    # Not yet due: 80.00 open, not overdue.
    ledger.send_invoice(api, "I-4", "80.00", "2026-06-10", "2026-07-10")
    # Issued after as_of: not counted.
    ledger.send_invoice(api, "I-5", "60.00", "2026-07-05", "2026-08-04")
    # Overdue at as_of, paid after it: 40.00 open and overdue as of 2026-06-30.
    i6 = ledger.send_invoice(api, "I-6", "40.00", "2026-05-01", "2026-05-31")
    ledger.send_payment(api, i6, "P-6", "40.00", "2026-07-03")
    # Settled in two payments, the last 7 days late.
    i7 = ledger.send_invoice(api, "I-7", "70.00", "2026-03-01", "2026-03-31")
    ledger.send_payment(api, i7, "P-7a", "35.00", "2026-03-20")
    ledger.send_payment(api, i7, "P-7b", "35.00", "2026-04-07")
    # Due on as_of itself: outstanding but not overdue (due before as_of only).
    ledger.send_invoice(api, "I-8", "25.00", "2026-06-01", "2026-06-30")

    summary = assert_summary(api, ledger, AS_OF)

    # Spelled out as well as modelled.
    assert amount_of(summary.outstanding_balance) == (Decimal("345.00"), "EUR")
    assert amount_of(summary.overdue_amount) == (Decimal("240.00"), "EUR")
    assert summary.paid_invoice_count == 3
    assert summary.average_days_paid_late == pytest.approx(17 / 3)
    # Later: I-5 is issued, I-6 is paid (33 days late), I-8 and I-4 are overdue.
    later = assert_summary(api, ledger, datetime.date(2026, 7, 15))
    assert later.paid_invoice_count == 4
    assert later.average_days_paid_late == pytest.approx(50 / 4)
    # Before anything was invoiced.
    assert_summary(api, ledger, datetime.date(2026, 2, 1))


def test_account_without_history(api: OrdersApi):
    ledger = new_ledger(api, "EMPTY")

    summary = assert_summary(api, ledger, AS_OF)

    assert [(w.days, w.order_count) for w in summary.windows] == [(30, 0), (90, 0), (365, 0)]
    assert not summary.HasField("first_order_date") or from_pdate(summary.first_order_date) is None
    assert amount_of(summary.lifetime_spend) == (Decimal(0), "EUR")
    assert list(summary.top_skus) == [] and list(summary.top_categories) == []


def test_summary_defaults_to_today(api: OrdersApi):
    ledger = new_ledger(api, "TODAY")
    before = datetime.datetime.now(datetime.UTC).date()

    summary = api.summary(ledger.account_id)

    after = datetime.datetime.now(datetime.UTC).date()
    assert from_pdate(summary.as_of_date) in {before, after}


def test_summary_roles_and_unknown_accounts(api: OrdersApi):
    alices = api.create(external_id="ACC-A", manager="alice")
    bobs = api.create(external_id="ACC-B", manager="bob")
    ledger = Ledger(alices.id)
    ledger.send_orders(api, _orders_on("R", [AS_OF - 5 * DAY, AS_OF - 1 * DAY]))

    for who in ("alice", "viewer", "integration", "admin"):
        assert_summary(api, ledger, AS_OF, who=who)
    expect_failure(
        api.orders.GetAccountSummary,
        order_service_pb2.GetAccountSummaryRequest(account_id=bobs.id),
        metadata=api.md("alice"),
        code=NOT_FOUND,
        reason="ACCOUNT_NOT_FOUND",
    )
    expect_failure(
        api.orders.GetAccountSummary,
        order_service_pb2.GetAccountSummaryRequest(account_id="987654"),
        metadata=api.md("admin"),
        code=NOT_FOUND,
        reason="ACCOUNT_NOT_FOUND",
    )


def test_summary_request_is_validated(api: OrdersApi):
    account = api.create(external_id="ACC-V")
    bad_date = order_service_pb2.GetAccountSummaryRequest(
        account_id=account.id, as_of_date=pdate("2026-06-30")
    )
    bad_date.as_of_date.day = 31
    expect_failure(
        api.orders.GetAccountSummary,
        bad_date,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["as_of_date"],
    )
    expect_failure(
        api.orders.GetAccountSummary,
        order_service_pb2.GetAccountSummaryRequest(account_id=""),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["account_id"],
    )
