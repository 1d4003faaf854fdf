"""wholesale.v1.OrderService over the order, billing, summary and credit use cases."""

from __future__ import annotations

from wholesale.server.api.interceptor import current_call
from wholesale.server.api.order_convert import order_from_proto, order_to_proto
from wholesale.server.domain.order import OrderInput
from wholesale.server.errors import InvalidArgument
from wholesale.server.services import orders
from wholesale.server.services.orders import OrderOutcome, Outcome
from wholesale.server.store.database import write_transaction
from wholesale.v1 import order_pb2, order_service_pb2_grpc
from wholesale.v1 import order_service_pb2 as pb


def _import_result(position: int, outcome: OrderOutcome) -> pb.ImportOrderResult:
    return pb.ImportOrderResult(
        position=position,
        external_id=outcome.external_id,
        outcome=outcome.outcome,
        error_message=outcome.message,
        violations=[
            pb.ImportFieldViolation(field=v.field, description=v.description)
            for v in outcome.violations
        ],
    )


def _order_or_rejection(order: order_pb2.Order) -> OrderInput | OrderOutcome:
    """An import item: malformed money rejects only this order, not the batch."""
    try:
        return order_from_proto(order, "")
    except InvalidArgument as error:
        return OrderOutcome(order.external_id, Outcome.REJECTED, violations=error.violations)


class OrderServicer(order_service_pb2_grpc.OrderServiceServicer):
    def RecordOrder(self, request: pb.RecordOrderRequest, context) -> pb.RecordOrderResponse:
        order = order_from_proto(request.order, "order")
        with write_transaction():
            stored, outcome = orders.record_order(current_call(), order)
        return pb.RecordOrderResponse(order=order_to_proto(stored), outcome=outcome)

    def ImportOrders(self, request: pb.ImportOrdersRequest, context) -> pb.ImportOrdersResponse:
        items = [_order_or_rejection(order) for order in request.orders]
        with write_transaction():
            result = orders.import_orders(current_call(), items)
        return pb.ImportOrdersResponse(
            results=[
                _import_result(request.first_position + index, outcome)
                for index, outcome in enumerate(result.outcomes)
            ],
            created_count=result.count(Outcome.CREATED),
            updated_count=result.count(Outcome.UPDATED),
            unchanged_count=result.count(Outcome.UNCHANGED),
            rejected_count=result.count(Outcome.REJECTED),
            lines_written=result.lines_written,
        )

    def GetOrder(self, request: pb.GetOrderRequest, context) -> pb.GetOrderResponse:
        return pb.GetOrderResponse(
            order=order_to_proto(orders.get_order(current_call(), request.id))
        )

    def ListOrders(self, request: pb.ListOrdersRequest, context) -> pb.ListOrdersResponse:
        page, token = orders.list_orders(
            current_call(), request.filter, request.page_size, request.page_token
        )
        return pb.ListOrdersResponse(
            orders=[order_to_proto(o) for o in page], next_page_token=token
        )
