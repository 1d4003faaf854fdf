"""OrderService's billing methods of the client: invoices and the payments against them,
each upserted by the ERP's external_id so a resend is harmless."""

from __future__ import annotations

from typing import NamedTuple

from google.type.money_pb2 import Money

from wholesale.client.call_options import MetadataLike
from wholesale.client.money import MoneyLike, to_money
from wholesale.client.orders import OrderServiceCalls, Recorded, outcome_name
from wholesale.client.values import DateLike, to_date
from wholesale.v1 import order_service_pb2
from wholesale.v1.billing_pb2 import Invoice, Payment


class RecordedPayment(NamedTuple):
    """A stored payment, its invoice with the payment applied, and what recording did."""

    payment: Payment
    invoice: Invoice
    outcome: str


def amount_money(amount: MoneyLike | Money, currency_code: str = "") -> Money:
    """Money as given, or a plain amount in ``currency_code`` (empty: the server takes the
    account's or the invoice's currency); an error names the ``amount`` argument."""
    return amount if isinstance(amount, Money) else to_money(amount, currency_code, name="amount")


class BillingMethods(OrderServiceCalls):
    """Invoices and payments (admins and integrations)."""

    def record_invoice(
        self,
        external_id: str,
        *,
        amount: MoneyLike | Money,
        issue_date: DateLike,
        due_date: DateLike,
        account_id: str = "",
        account_external_id: str = "",
        order_external_id: str = "",
        currency_code: str = "",
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Recorded[Invoice]:
        """Creates or replaces the invoice with this external_id. ``order_external_id``, if
        given, must name an order of the same account that is already recorded."""
        invoice = Invoice(
            external_id=external_id,
            account_id=account_id,
            account_external_id=account_external_id,
            order_external_id=order_external_id,
            amount=amount_money(amount, currency_code),
            issue_date=to_date(issue_date, "issue_date"),
            due_date=to_date(due_date, "due_date"),
        )
        request = order_service_pb2.RecordInvoiceRequest(invoice=invoice)
        response = self._call(
            self._orders.RecordInvoice, request, timeout=timeout, metadata=metadata
        )
        return Recorded(response.invoice, outcome_name(response.outcome))

    def record_payment(
        self,
        external_id: str,
        *,
        invoice_external_id: str,
        amount: MoneyLike | Money,
        paid_date: DateLike,
        currency_code: str = "",
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> RecordedPayment:
        """Creates or replaces a (possibly partial) payment against an invoice; all payments
        of an invoice together may not exceed its amount."""
        payment = Payment(
            external_id=external_id,
            invoice_external_id=invoice_external_id,
            amount=amount_money(amount, currency_code),
            paid_date=to_date(paid_date, "paid_date"),
        )
        request = order_service_pb2.RecordPaymentRequest(payment=payment)
        response = self._call(
            self._orders.RecordPayment, request, timeout=timeout, metadata=metadata
        )
        return RecordedPayment(response.payment, response.invoice, outcome_name(response.outcome))
