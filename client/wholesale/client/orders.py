"""OrderService's order methods of the client: record one order, read and list orders.

Orders are upserted by the ERP's external_id, so every write here is safe to repeat; bulk
history goes through :mod:`wholesale.client.imports` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, Generic, NamedTuple, TypeVar

from google.type.money_pb2 import Money

from wholesale.client.call_options import MetadataLike
from wholesale.client.calls import ServiceCalls
from wholesale.client.money import MoneyLike, to_money
from wholesale.client.pager import Pager
from wholesale.client.values import DateLike, EnumLike, enum_name, enum_value, to_date
from wholesale.v1 import order_pb2, order_service_pb2
from wholesale.v1.order_pb2 import Order, OrderLine
from wholesale.v1.order_service_pb2_grpc import OrderServiceStub

T = TypeVar("T")
LineLike = OrderLine | Mapping[str, Any] | tuple[str, int, MoneyLike]
OrderLike = Order | Mapping[str, Any]


class Recorded(NamedTuple, Generic[T]):
    """A stored record and what recording it did: "created", "updated" or "unchanged"."""

    record: T
    outcome: str


def outcome_name(number: int) -> str:
    return enum_name(order_pb2.RecordOutcome, "RECORD_OUTCOME_", number)


def _money(
    value: MoneyLike | Money | Mapping[str, Any], currency_code: str, name: str
) -> Money | Mapping[str, Any]:
    if isinstance(value, Money | Mapping):
        return value
    return to_money(value, currency_code, name=name)


def _quantity(value: Any, name: str) -> Any:
    """A float quantity is refused here, as a float amount is, rather than by protobuf in
    words that name no field; other values go to the message, which checks them."""
    if isinstance(value, float):
        raise TypeError(f"{name}: {value!r} is a float: pass the quantity as an int")
    return value


def build_line(line: LineLike, currency_code: str = "", name: str = "line") -> OrderLine:
    """An OrderLine from a message, a dict of its fields or a (sku, quantity, unit_price)
    tuple; plain amounts become Money in ``currency_code`` (empty: the order's). ``name``
    ("lines[2]") starts the message of a value refused."""
    if isinstance(line, OrderLine):
        return line
    if isinstance(line, Mapping):
        values = dict(line)
    else:
        sku, quantity, unit_price = line
        values = {"sku": sku, "quantity": quantity, "unit_price": unit_price}
    if "quantity" in values:
        values["quantity"] = _quantity(values["quantity"], f"{name}.quantity")
    for key in ("unit_price", "line_total"):
        if values.get(key) is not None:
            values[key] = _money(values[key], currency_code, f"{name}.{key}")
    return OrderLine(**values)


def build_order(fields: Mapping[str, Any]) -> Order:
    """An Order from field names and friendly values: a date or "YYYY-MM-DD" for
    order_date, enum names ("fulfilled", "sales_rep") and lines as :func:`build_line`
    takes them. None leaves a field unset, so the server's default applies."""
    values = {name: value for name, value in fields.items() if value is not None}
    if "order_date" in values:
        values["order_date"] = to_date(values["order_date"], "order_date")
    if "status" in values:
        values["status"] = enum_value(order_pb2.OrderStatus, "ORDER_STATUS_", values["status"])
    if "channel" in values:
        values["channel"] = enum_value(order_pb2.OrderChannel, "ORDER_CHANNEL_", values["channel"])
    currency_code = values.get("currency_code", "")
    values["lines"] = [
        build_line(line, currency_code, f"lines[{index}]")
        for index, line in enumerate(values.get("lines", ()))
    ]
    return Order(**values)


def as_order(order: OrderLike) -> Order:
    return order if isinstance(order, Order) else build_order(order)


class OrderServiceCalls(ServiceCalls):
    """The OrderService stub, shared by the mixins that split its methods by concept."""

    @cached_property
    def _orders(self) -> OrderServiceStub:
        return OrderServiceStub(self.channel)


class OrderMethods(OrderServiceCalls):
    """Orders one at a time: recorded by admins and integrations, read by everyone
    (managers only their own accounts')."""

    def record_order(
        self,
        external_id: str,
        *,
        order_date: DateLike,
        lines: Iterable[LineLike],
        account_id: str = "",
        account_external_id: str = "",
        status: EnumLike | None = None,
        channel: EnumLike | None = None,
        currency_code: str = "",
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Recorded[Order]:
        """Creates or replaces the order with this ERP external_id; give the account by
        id or by its external_id. Status defaults to placed, channel to erp, the currency
        to the account's. An identical resend writes nothing and comes back "unchanged"."""
        order = build_order(
            {
                "external_id": external_id,
                "account_id": account_id,
                "account_external_id": account_external_id,
                "order_date": order_date,
                "status": status,
                "channel": channel,
                "currency_code": currency_code,
                "lines": list(lines),
            }
        )
        request = order_service_pb2.RecordOrderRequest(order=order)
        response = self._call(self._orders.RecordOrder, request, timeout=timeout, metadata=metadata)
        return Recorded(response.order, outcome_name(response.outcome))

    def get_order(
        self,
        id: str = "",
        *,
        external_id: str = "",
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Order:
        """One order by the service's id or the ERP's order number."""
        request = order_service_pb2.GetOrderRequest(id=id, external_id=external_id)
        return self._call(self._orders.GetOrder, request, timeout=timeout, metadata=metadata).order

    def list_orders(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[Order]:
        """Every matching order, newest order date first, across all pages. The filter ANDs
        ``account_id = "42"``, ``status = FULFILLED`` (or ``!=``) and ``order_date >=
        "2026-01-01"`` (also <=, >, <, =)."""
        request = order_service_pb2.ListOrdersRequest(filter=filter, page_size=page_size)
        return self._pager(
            self._orders.ListOrders,
            request,
            lambda page: page.orders,
            timeout=timeout,
            metadata=metadata,
        )
