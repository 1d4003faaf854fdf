"""Helpers for the OrderService tests: builders for orders, invoices and payments, a small
catalog and the raw Order/Catalog stubs next to the account ones.

Expected figures (line totals, sums, rounding) are computed here with ``Decimal`` and a
currency table of our own, never with the server's code, so the tests check the server
against an independent model.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import grpc
from google.type import date_pb2, money_pb2

from support.rpc import MAX_PAGES, Api, money, money_value
from wholesale.v1 import (
    account_pb2,
    account_service_pb2,
    billing_pb2,
    catalog_service_pb2,
    catalog_service_pb2_grpc,
    order_pb2,
    order_service_pb2,
    order_service_pb2_grpc,
    product_pb2,
)

ORDER_METHOD = "/wholesale.v1.OrderService/"

PLACED = order_pb2.ORDER_STATUS_PLACED
FULFILLED = order_pb2.ORDER_STATUS_FULFILLED
CANCELLED = order_pb2.ORDER_STATUS_CANCELLED
RETURNED = order_pb2.ORDER_STATUS_RETURNED

CREATED = order_pb2.RECORD_OUTCOME_CREATED
UPDATED = order_pb2.RECORD_OUTCOME_UPDATED
UNCHANGED = order_pb2.RECORD_OUTCOME_UNCHANGED
REJECTED = order_pb2.RECORD_OUTCOME_REJECTED

# Decimals of the currencies the tests use (ISO 4217), independent of the server's table.
TEST_MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0, "KWD": 3}


# --- dates and money -----------------------------------------------------------------------


def pdate(day: datetime.date | str) -> date_pb2.Date:
    """A google.type.Date from a date or "YYYY-MM-DD"."""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def from_pdate(value: date_pb2.Date) -> datetime.date | None:
    """The day a google.type.Date names, None when it is unset (all zero)."""
    if value.year == 0 and value.month == 0 and value.day == 0:
        return None
    return datetime.date(value.year, value.month, value.day)


def amount_of(m: money_pb2.Money) -> tuple[Decimal, str]:
    """(amount, currency) of a Money, for equality checks: ``== (Decimal("1.01"), "EUR")``."""
    return money_value(m), m.currency_code


def dec(value: str | int | Decimal) -> Decimal:
    return Decimal(value)


def round_minor(amount: Decimal, currency: str) -> Decimal:
    """Half-up (away from zero) to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-TEST_MINOR_UNITS[currency])
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def expected_line_total(quantity: int, unit_price: str | Decimal, currency: str) -> Decimal:
    return round_minor(quantity * Decimal(unit_price), currency)


# --- builders ------------------------------------------------------------------------------


def make_product(
    sku: str, name: str, category: str, price: str, currency: str = "EUR", **overrides: Any
) -> product_pb2.Product:
    values: dict[str, Any] = {
        "sku": sku,
        "name": name,
        "category": category,
        "selling_unit": "case",
        "pack_size": 6,
        "list_price": money(price, currency),
    }
    values.update(overrides)
    return product_pb2.Product(**values)


# The catalog most tests order from: (sku, name, category, list price in EUR).
CATALOG: tuple[tuple[str, str, str, str], ...] = (
    ("APL-JUICE-1L", "Apple juice 1 l", "beverages/juice", "1.20"),
    ("ORG-JUICE-1L", "Orange juice 1 l", "beverages/juice", "1.35"),
    ("SPARK-WATER", "Sparkling water 0.75 l", "beverages/water", "0.45"),
    ("COLA-033", "Cola 0.33 l", "beverages/soda", "0.60"),
    ("OAT-FLAKES", "Oat flakes 500 g", "food/cereals", "1.10"),
    ("CORNFLAKES", "Corn flakes 375 g", "food/cereals", "2.05"),
    ("DARK-CHOC", "Dark chocolate 100 g", "food/sweets", "1.89"),
    ("SOAP-BAR", "Olive soap bar", "household", "0.99"),
)
SKUS = tuple(sku for sku, *_ in CATALOG)
PRODUCT_NAMES = {sku: name for sku, name, _, _ in CATALOG}
PRODUCT_CATEGORIES = {sku: category for sku, _, category, _ in CATALOG}
UNKNOWN_SKU = "NO-SUCH-SKU-42"


def make_line(
    sku: str,
    quantity: int,
    unit_price: str | Decimal,
    currency: str = "EUR",
    line_total: str | Decimal | None = None,
) -> order_pb2.OrderLine:
    line = order_pb2.OrderLine(sku=sku, quantity=quantity, unit_price=money(unit_price, currency))
    if line_total is not None:
        line.line_total.CopyFrom(money(line_total, currency))
    return line


def make_order(
    external_id: str,
    *,
    account_id: str = "",
    account_external_id: str = "",
    order_date: datetime.date | str | None = "2026-03-02",
    lines: Iterable[order_pb2.OrderLine] | None = None,
    status: int = order_pb2.ORDER_STATUS_UNSPECIFIED,
    channel: int = order_pb2.ORDER_CHANNEL_UNSPECIFIED,
    currency_code: str = "",
) -> order_pb2.Order:
    """An order; without ``lines`` it gets two valid EUR lines of the standard catalog."""
    if lines is None:
        lines = [make_line("APL-JUICE-1L", 12, "1.20"), make_line("OAT-FLAKES", 5, "1.10")]
    order = order_pb2.Order(
        external_id=external_id,
        account_id=account_id,
        account_external_id=account_external_id,
        status=status,
        channel=channel,
        currency_code=currency_code,
        lines=list(lines),
    )
    if order_date is not None:
        order.order_date.CopyFrom(pdate(order_date))
    return order


def order_total(order: order_pb2.Order, currency: str = "EUR") -> Decimal:
    """Sum of the per-line rounded totals of an order as sent, computed in the test."""
    return sum(
        (
            expected_line_total(line.quantity, money_value(line.unit_price), currency)
            for line in order.lines
        ),
        Decimal(0),
    )


def make_invoice(
    external_id: str,
    *,
    account_id: str = "",
    account_external_id: str = "",
    order_external_id: str = "",
    amount: str = "100.00",
    currency: str = "EUR",
    issue_date: datetime.date | str | None = "2026-03-01",
    due_date: datetime.date | str | None = "2026-03-31",
) -> billing_pb2.Invoice:
    invoice = billing_pb2.Invoice(
        external_id=external_id,
        account_id=account_id,
        account_external_id=account_external_id,
        order_external_id=order_external_id,
        amount=money(amount, currency),
    )
    if issue_date is not None:
        invoice.issue_date.CopyFrom(pdate(issue_date))
    if due_date is not None:
        invoice.due_date.CopyFrom(pdate(due_date))
    return invoice


def make_payment(
    external_id: str,
    invoice_external_id: str,
    amount: str,
    paid_date: datetime.date | str | None,
    currency: str = "EUR",
) -> billing_pb2.Payment:
    payment = billing_pb2.Payment(
        external_id=external_id,
        invoice_external_id=invoice_external_id,
        amount=money(amount, currency),
    )
    if paid_date is not None:
        payment.paid_date.CopyFrom(pdate(paid_date))
    return payment


# --- the API -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accounts:
    """The accounts most order tests use (ids and ERP external ids)."""

    alice: account_pb2.Account  # managed by alice
    bob: account_pb2.Account  # managed by bob
    closed: account_pb2.Account  # closed (deleted) account managed by alice
    yen: account_pb2.Account  # a JPY account


class OrdersApi(Api):
    """:class:`Api` plus the OrderService and CatalogService stubs."""

    def __init__(self, channel: grpc.Channel, tokens: dict[str, str]) -> None:
        super().__init__(channel, tokens)
        self.orders = order_service_pb2_grpc.OrderServiceStub(channel)
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(channel)

    # catalog and accounts

    def upsert_products(
        self, products: Sequence[product_pb2.Product], who: str = "admin"
    ) -> catalog_service_pb2.BatchUpsertProductsResponse:
        request = catalog_service_pb2.BatchUpsertProductsRequest(products=list(products))
        return self.catalog.BatchUpsertProducts(request, metadata=self.md(who))

    def seed_catalog(self, who: str = "admin") -> None:
        """Creates the standard :data:`CATALOG` in one BatchUpsertProducts call."""
        products = [make_product(*row) for row in CATALOG]
        response = self.upsert_products(products, who=who)
        if len(response.products) != len(products):
            raise AssertionError(f"catalog not created: {response}")

    def upsert_accounts(
        self, accounts: Sequence[account_pb2.Account], who: str = "admin"
    ) -> list[account_pb2.Account]:
        request = account_service_pb2.BatchUpsertAccountsRequest(accounts=list(accounts))
        return list(self.accounts.BatchUpsertAccounts(request, metadata=self.md(who)).accounts)

    def standard_accounts(self) -> Accounts:
        """alice's, bob's, a closed one (alice's) and a JPY one, each with an external id."""
        alice = self.create(external_id="ACC-ALICE", manager="alice", legal_name="Alice Foods")
        bob = self.create(external_id="ACC-BOB", manager="bob", legal_name="Bob Drinks")
        closed = self.create(external_id="ACC-CLOSED", manager="alice", legal_name="Gone Ltd")
        closed = self.delete(closed.id)
        yen = self.create(
            external_id="ACC-YEN",
            legal_name="Tokyo Mart KK",
            currency_code="JPY",
            credit_limit=money("1000000", "JPY"),
        )
        return Accounts(alice=alice, bob=bob, closed=closed, yen=yen)

    # orders

    def record_order(
        self, order: order_pb2.Order, who: str = "integration"
    ) -> order_service_pb2.RecordOrderResponse:
        request = order_service_pb2.RecordOrderRequest(order=order)
        return self.orders.RecordOrder(request, metadata=self.md(who))

    def import_orders(
        self, orders: Sequence[order_pb2.Order], first_position: int = 0, who: str = "integration"
    ) -> order_service_pb2.ImportOrdersResponse:
        request = order_service_pb2.ImportOrdersRequest(
            orders=list(orders), first_position=first_position
        )
        return self.orders.ImportOrders(request, metadata=self.md(who))

    def get_order(self, order_id: str, who: str = "admin") -> order_pb2.Order:
        request = order_service_pb2.GetOrderRequest(id=order_id)
        return self.orders.GetOrder(request, metadata=self.md(who)).order

    def list_order_pages(
        self, who: str = "admin", filter: str = "", page_size: int = 0
    ) -> list[order_service_pb2.ListOrdersResponse]:
        pages = []
        token = ""
        for _ in range(MAX_PAGES):
            request = order_service_pb2.ListOrdersRequest(
                filter=filter, page_size=page_size, page_token=token
            )
            page = self.orders.ListOrders(request, metadata=self.md(who))
            pages.append(page)
            token = page.next_page_token
            if not token:
                return pages
        raise AssertionError(f"ListOrders still returned a page token after {MAX_PAGES} pages")

    def list_orders(
        self, who: str = "admin", filter: str = "", page_size: int = 500
    ) -> list[order_pb2.Order]:
        return [o for page in self.list_order_pages(who, filter, page_size) for o in page.orders]

    def orders_by_external_id(self, who: str = "admin", filter: str = "") -> dict:
        listed = self.list_orders(who, filter)
        by_id = {o.external_id: o for o in listed}
        if len(by_id) != len(listed):
            raise AssertionError(f"ListOrders returned an external_id twice: {listed}")
        return by_id

    # billing

    def record_invoice(
        self, invoice: billing_pb2.Invoice, who: str = "integration"
    ) -> order_service_pb2.RecordInvoiceResponse:
        request = order_service_pb2.RecordInvoiceRequest(invoice=invoice)
        return self.orders.RecordInvoice(request, metadata=self.md(who))

    def record_payment(
        self, payment: billing_pb2.Payment, who: str = "integration"
    ) -> order_service_pb2.RecordPaymentResponse:
        request = order_service_pb2.RecordPaymentRequest(payment=payment)
        return self.orders.RecordPayment(request, metadata=self.md(who))

    # analytics

    def summary(
        self,
        account_id: str,
        as_of: datetime.date | str | None = None,
        who: str = "admin",
    ) -> order_service_pb2.AccountSummary:
        request = order_service_pb2.GetAccountSummaryRequest(account_id=account_id)
        if as_of is not None:
            request.as_of_date.CopyFrom(pdate(as_of))
        return self.orders.GetAccountSummary(request, metadata=self.md(who)).summary

    def check_credit(
        self,
        account_id: str,
        amount: str,
        as_of: datetime.date | str | None = None,
        currency: str = "EUR",
        who: str = "admin",
    ) -> order_service_pb2.CheckCreditResponse:
        request = order_service_pb2.CheckCreditRequest(
            account_id=account_id, amount=money(amount, currency)
        )
        if as_of is not None:
            request.as_of_date.CopyFrom(pdate(as_of))
        return self.orders.CheckCredit(request, metadata=self.md(who))

    def order_audit_count(self, method: str) -> int:
        return len(self.audit_events(filter=f'method = "{ORDER_METHOD}{method}"'))
