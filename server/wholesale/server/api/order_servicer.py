"""wholesale.v1.OrderService over the order, billing, summary and credit use cases."""

from __future__ import annotations

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.type import date_pb2

from wholesale.server.api.convert import money_from_proto
from wholesale.server.api.interceptor import current_work
from wholesale.server.api.order_convert import (
    date_to_proto,
    day_from_proto,
    invoice_from_proto,
    invoice_to_proto,
    money_from_micros,
    order_from_proto,
    order_to_proto,
    payment_from_proto,
    payment_to_proto,
)
from wholesale.server.domain.credit import CreditDecision
from wholesale.server.domain.order import OrderInput
from wholesale.server.domain.summary import AccountSummary, Share
from wholesale.server.errors import FieldViolation, InvalidArgument
from wholesale.server.services import billing, orders, summary
from wholesale.server.services.mutations import Outcome
from wholesale.server.services.orders import OrderOutcome
from wholesale.v1 import order_pb2, order_service_pb2_grpc
from wholesale.v1 import order_service_pb2 as pb

# Positions are first_position + index and must stay within int64.
MAX_FIRST_POSITION = 2**62


def _outcome(outcome: Outcome) -> order_pb2.RecordOutcome.ValueType:
    return order_pb2.RecordOutcome.ValueType(outcome)


def _add_result(
    results: RepeatedCompositeFieldContainer[pb.ImportOrderResult],
    position: int,
    outcome: OrderOutcome,
) -> None:
    """Appends one order's result in place (no message built and copied per order); the
    message and violations of a rejection only, as unset fields are never sent anyway."""
    added = results.add(
        position=position, external_id=outcome.external_id, outcome=_outcome(outcome.outcome)
    )
    if outcome.violations:
        added.error_message = outcome.message
        added.violations.extend(
            pb.ImportFieldViolation(field=v.field, description=v.description)
            for v in outcome.violations
        )


def _order_or_rejection(order: order_pb2.Order) -> OrderInput | OrderOutcome:
    """An import item: malformed money rejects only this order, not the batch."""
    try:
        return order_from_proto(order, "")
    except InvalidArgument as error:
        return OrderOutcome(order.external_id, Outcome.REJECTED, violations=error.violations)


def _as_of(date: date_pb2.Date, has_date: bool) -> int:
    if not has_date:
        return current_work().today()
    day = day_from_proto(date)
    if day is None:
        raise InvalidArgument(
            "invalid as_of_date",
            violations=[FieldViolation("as_of_date", "a complete calendar date")],
        )
    return day


def _shares(shares: list[Share], currency: str) -> list[pb.SpendShare]:
    return [
        pb.SpendShare(
            key=s.key,
            name=s.name,
            spend=money_from_micros(s.spend_micros, currency),
            quantity=s.quantity,
        )
        for s in shares
    ]


def _summary_to_proto(summary: AccountSummary) -> pb.AccountSummary:
    currency, totals = summary.currency_code, summary.totals
    return pb.AccountSummary(
        account_id=str(summary.account_id),
        account_external_id=summary.account_external_id,
        account_display_name=summary.account_display_name,
        as_of_date=date_to_proto(summary.as_of_day),
        currency_code=currency,
        windows=[
            pb.SpendWindow(days=days, spend=money_from_micros(spend, currency), order_count=count)
            for days, (spend, count) in totals.windows.items()
        ],
        lifetime_order_count=totals.count,
        lifetime_spend=money_from_micros(totals.spend_micros, currency),
        average_order_value=money_from_micros(summary.average_order_micros, currency),
        first_order_date=date_to_proto(totals.first_day),
        last_order_date=date_to_proto(totals.last_day),
        median_days_between_orders=summary.median_days_between_orders,
        top_skus=_shares(summary.top_skus, currency),
        top_categories=_shares(summary.top_categories, currency),
        outstanding_balance=money_from_micros(summary.position.outstanding_micros, currency),
        overdue_amount=money_from_micros(summary.position.overdue_micros, currency),
        average_days_paid_late=summary.average_days_paid_late,
        paid_invoice_count=summary.paid_invoice_count,
    )


def _decision_to_proto(decision: CreditDecision) -> pb.CheckCreditResponse:
    currency = decision.currency_code
    return pb.CheckCreditResponse(
        account_id=str(decision.account_id),
        account_external_id=decision.account_external_id,
        account_display_name=decision.account_display_name,
        approved=decision.approved,
        reason=pb.CreditDecisionReason.ValueType(decision.reason),
        explanation=decision.explanation,
        credit_limit=money_from_micros(decision.credit_limit_micros, currency),
        outstanding_balance=money_from_micros(decision.outstanding_micros, currency),
        requested_amount=money_from_micros(decision.requested_micros, currency),
        available_credit=money_from_micros(decision.available_micros, currency),
        overdue_amount=money_from_micros(decision.blocking_micros, currency),
        overdue_invoice_count=decision.overdue_count,
        oldest_overdue_days=decision.oldest_overdue_days,
        grace_days=decision.grace_days,
    )


class OrderServicer(order_service_pb2_grpc.OrderServiceServicer):
    def __init__(self, credit_grace_days: int) -> None:
        self._grace_days = credit_grace_days

    def RecordOrder(self, request: pb.RecordOrderRequest, context) -> pb.RecordOrderResponse:
        order = order_from_proto(request.order, "order")
        stored, outcome = orders.record_order(current_work(), order)
        return pb.RecordOrderResponse(order=order_to_proto(stored), outcome=_outcome(outcome))

    def ImportOrders(self, request: pb.ImportOrdersRequest, context) -> pb.ImportOrdersResponse:
        if not 0 <= request.first_position <= MAX_FIRST_POSITION:
            raise InvalidArgument(
                "invalid first_position",
                violations=[
                    FieldViolation("first_position", f"between 0 and {MAX_FIRST_POSITION:,}")
                ],
            )
        items = [_order_or_rejection(order) for order in request.orders]
        result = orders.import_orders(current_work(), items)
        response = pb.ImportOrdersResponse(
            created_count=result.count(Outcome.CREATED),
            updated_count=result.count(Outcome.UPDATED),
            unchanged_count=result.count(Outcome.UNCHANGED),
            rejected_count=result.count(Outcome.REJECTED),
            lines_written=result.lines_written,
        )
        for index, outcome in enumerate(result.outcomes):
            _add_result(response.results, request.first_position + index, outcome)
        return response

    def GetOrder(self, request: pb.GetOrderRequest, context) -> pb.GetOrderResponse:
        return pb.GetOrderResponse(
            order=order_to_proto(orders.get_order(current_work(), request.id, request.external_id))
        )

    def ListOrders(self, request: pb.ListOrdersRequest, context) -> pb.ListOrdersResponse:
        page, token = orders.list_orders(
            current_work(), request.filter, request.page_size, request.page_token
        )
        return pb.ListOrdersResponse(
            orders=[order_to_proto(o) for o in page], next_page_token=token
        )

    def RecordInvoice(self, request: pb.RecordInvoiceRequest, context) -> pb.RecordInvoiceResponse:
        invoice = invoice_from_proto(request.invoice)
        stored, outcome = billing.record_invoice(current_work(), invoice)
        return pb.RecordInvoiceResponse(invoice=invoice_to_proto(stored), outcome=_outcome(outcome))

    def RecordPayment(self, request: pb.RecordPaymentRequest, context) -> pb.RecordPaymentResponse:
        payment = payment_from_proto(request.payment)
        stored, invoice, outcome = billing.record_payment(current_work(), payment)
        return pb.RecordPaymentResponse(
            payment=payment_to_proto(stored, invoice),
            invoice=invoice_to_proto(invoice),
            outcome=_outcome(outcome),
        )

    def GetAccountSummary(
        self, request: pb.GetAccountSummaryRequest, context
    ) -> pb.GetAccountSummaryResponse:
        as_of = _as_of(request.as_of_date, request.HasField("as_of_date"))
        found = summary.account_summary(current_work(), request.account_id, as_of)
        return pb.GetAccountSummaryResponse(summary=_summary_to_proto(found))

    def CheckCredit(self, request: pb.CheckCreditRequest, context) -> pb.CheckCreditResponse:
        as_of = _as_of(request.as_of_date, request.HasField("as_of_date"))
        amount = money_from_proto(request.amount, "amount")
        decision = summary.check_credit(
            current_work(), request.account_id, amount, as_of, self._grace_days
        )
        return _decision_to_proto(decision)
