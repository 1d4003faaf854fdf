"""Proto <-> domain conversion for orders, dates and per-order import results."""

from __future__ import annotations

import datetime as dt

from google.type import date_pb2, money_pb2

from wholesale.server.api.convert import check_well_formed, money_to_proto, timestamp
from wholesale.server.domain.billing import InvoiceInput, PaymentInput, StoredInvoice, StoredPayment
from wholesale.server.domain.calendar import date_of, day_number
from wholesale.server.domain.money import NANOS_PER_UNIT, Money, micros_from_units_nanos
from wholesale.server.domain.order import OrderInput, OrderLineInput, StoredOrder
from wholesale.v1 import billing_pb2, order_pb2


def day_from_proto(date: date_pb2.Date) -> int | None:
    """The day number of a complete, real calendar date; None for anything else."""
    try:
        return day_number(dt.date(date.year, date.month, date.day))
    except ValueError:
        return None


def date_to_proto(day: int | None) -> date_pb2.Date | None:
    if day is None:
        return None
    value = date_of(day)
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _micros(money: money_pb2.Money, path: str) -> int | None:
    """Micros of a well-formed Money (None beyond 6 decimals, which validation reports)."""
    if money.nanos:  # whole amounts, the common case in imports, need no check
        check_well_formed(money, path)
    return micros_from_units_nanos(money.units, money.nanos)


def _line_micros(money: money_pb2.Money, prefix: str, index: int, name: str) -> int | None:
    """:func:`_micros` of a line's amount; the path is spelled out only for a Money that
    may break its rules (a negative one), since imports convert millions of lines."""
    units, nanos = money.units, money.nanos
    if units < 0 or not 0 <= nanos < NANOS_PER_UNIT:
        check_well_formed(money, f"{prefix}lines[{index}].{name}")
    return micros_from_units_nanos(units, nanos)


def _line_from_proto(line: order_pb2.OrderLine, prefix: str, index: int) -> OrderLineInput:
    price = line.unit_price
    stated = (
        _line_micros(line.line_total, prefix, index, "line_total")
        if line.HasField("line_total")
        else None
    )
    return OrderLineInput(
        line.sku,
        line.quantity,
        _line_micros(price, prefix, index, "unit_price"),
        stated,
        price.currency_code,
    )


def order_from_proto(order: order_pb2.Order, path: str) -> OrderInput:
    """The order at ``path`` of the request ("order" or "" for an import item); malformed
    money raises INVALID_ARGUMENT under that path."""
    prefix = f"{path}." if path else ""
    return OrderInput(
        external_id=order.external_id,
        account_id=order.account_id,
        account_external_id=order.account_external_id,
        order_day=day_from_proto(order.order_date),
        status=order_pb2.OrderStatus.ValueType(order.status),
        channel=order_pb2.OrderChannel.ValueType(order.channel),
        currency_code=order.currency_code,
        lines=tuple(
            _line_from_proto(line, prefix, index) for index, line in enumerate(order.lines)
        ),
    )


def money_from_micros(micros: int, currency: str) -> money_pb2.Money:
    return money_to_proto(Money.from_micros(micros, currency))


def order_to_proto(order: StoredOrder) -> order_pb2.Order:
    currency = order.currency_code
    return order_pb2.Order(
        id=str(order.id),
        external_id=order.external_id,
        account_id=str(order.account_id),
        account_external_id=order.account_external_id,
        order_date=date_to_proto(order.order_day),
        status=order_pb2.OrderStatus.ValueType(order.status),
        channel=order_pb2.OrderChannel.ValueType(order.channel),
        currency_code=currency,
        lines=[
            order_pb2.OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=money_from_micros(line.unit_price_micros, currency),
                line_total=money_from_micros(line.line_total_micros, currency),
            )
            for line in order.lines
        ],
        total=money_from_micros(order.total_micros, currency),
        create_time=timestamp(order.create_time_us),
        update_time=timestamp(order.update_time_us),
    )


def invoice_from_proto(invoice: billing_pb2.Invoice) -> InvoiceInput:
    return InvoiceInput(
        external_id=invoice.external_id,
        account_id=invoice.account_id,
        account_external_id=invoice.account_external_id,
        order_external_id=invoice.order_external_id,
        amount_micros=_micros(invoice.amount, "invoice.amount"),
        amount_currency=invoice.amount.currency_code,
        issue_day=day_from_proto(invoice.issue_date),
        due_day=day_from_proto(invoice.due_date),
    )


def payment_from_proto(payment: billing_pb2.Payment) -> PaymentInput:
    return PaymentInput(
        external_id=payment.external_id,
        invoice_external_id=payment.invoice_external_id,
        amount_micros=_micros(payment.amount, "payment.amount"),
        amount_currency=payment.amount.currency_code,
        paid_day=day_from_proto(payment.paid_date),
    )


def invoice_to_proto(invoice: StoredInvoice) -> billing_pb2.Invoice:
    currency = invoice.currency_code
    return billing_pb2.Invoice(
        id=str(invoice.id),
        external_id=invoice.external_id,
        account_id=str(invoice.account_id),
        account_external_id=invoice.account_external_id,
        order_external_id=invoice.order_external_id,
        amount=money_from_micros(invoice.amount_micros, currency),
        issue_date=date_to_proto(invoice.issue_day),
        due_date=date_to_proto(invoice.due_day),
        paid_amount=money_from_micros(invoice.paid_micros, currency),
        outstanding_amount=money_from_micros(invoice.amount_micros - invoice.paid_micros, currency),
        paid_date=date_to_proto(invoice.paid_day),
    )


def payment_to_proto(payment: StoredPayment, invoice: StoredInvoice) -> billing_pb2.Payment:
    return billing_pb2.Payment(
        id=str(payment.id),
        external_id=payment.external_id,
        invoice_external_id=invoice.external_id,
        amount=money_from_micros(payment.amount_micros, invoice.currency_code),
        paid_date=date_to_proto(payment.paid_day),
    )
