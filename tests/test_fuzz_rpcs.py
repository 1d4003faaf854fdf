"""Random and malformed requests to every RPC of every service get documented answers.

The methods are found from the contract's descriptors, so a new RPC is fuzzed without a
change here. Requests are built field by field from a seeded generator: random strings
(NUL, control and odd Unicode characters, long ones), numbers at the edges, undefined enum
numbers, malformed Money and dates, bad page tokens, masks and filters, large repeated
fields; and garbage bytes sent as a serialized request. Every answer must be OK or a
documented error code, never INTERNAL or UNKNOWN, and the server stays healthy.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import descriptor as pb_descriptor
from google.protobuf import message_factory
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from support.orders import OrdersApi

from wholesale.v1 import (
    account_service_pb2,
    audit_service_pb2,
    catalog_service_pb2,
    order_service_pb2,
)

SEED = 20261203
REQUESTS_PER_METHOD = 90
GARBAGE_PER_METHOD = 8
DOCUMENTED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
FieldDescriptor = pb_descriptor.FieldDescriptor

ODD_TEXT = [
    "",
    "\x00",
    "ERP-\x00-1",
    "\t\n\r",
    "\uff21\uff22\uff23",
    "é" * 3,
    "🙂",
    "\u202e",
    "' OR 1=1 --",
    '"',
    "\\",
    "%_",
    "a" * 5000,
    "42",
    "-1",
    "9" * 30,
    "ERP-000001",
    "APL-JUICE-1L",
    "EUR",
    "*",
    "status = ACTIVE",
    'event_time >= "2026-01-01"',
]
FILTERS = [
    "status = ACTIVE",
    "status = NOPE",
    'name : "corner" AND tags : "x"',
    "OR OR OR",
    "status =",
    '" unterminated',
    'order_date >= "2026-13-45"',
    'event_time >= "yesterday"',
    'action = "UpdateAccount" AND actor = "root"',
    "account_id = 99999999999999999999",
    "x" * 2000,
    "category : beverages",
    "active = maybe",
]


def _services() -> list[pb_descriptor.ServiceDescriptor]:
    modules = (account_service_pb2, audit_service_pb2, catalog_service_pb2, order_service_pb2)
    return [s for m in modules for s in m.DESCRIPTOR.services_by_name.values()]


def _methods() -> list[tuple[str, pb_descriptor.MethodDescriptor]]:
    return [(f"/{s.full_name}/{m.name}", m) for s in _services() for m in s.methods]


class RequestMaker:
    """Builds random instances of a message type, field by field."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def text(self, name: str) -> str:
        rng = self.rng
        if name == "filter" and rng.random() < 0.7:
            return rng.choice(FILTERS)
        if name == "page_token" and rng.random() < 0.5:
            return rng.choice(["", "abc", "eyJ4IjoxfQ", "A" * 400 + "==", "\x00"])
        if rng.random() < 0.5:
            return rng.choice(ODD_TEXT)
        alphabet = string.printable + "äöü€\x00\x7f"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))

    def number(self, field: FieldDescriptor) -> int | float | bool:
        rng = self.rng
        if field.type == FieldDescriptor.TYPE_BOOL:
            return rng.random() < 0.5
        if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return rng.choice([0.0, -1.0, 1e300, float("nan")])
        bits = 64 if field.type in _64_BIT else 32
        unsigned = field.type in _UNSIGNED
        low, high = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return rng.choice([0, 1, -1 if not unsigned else 2, 7, 500, 501, 2000, 2001, low, high])

    def enum(self, field: FieldDescriptor) -> int:
        defined = [v.number for v in field.enum_type.values]
        return self.rng.choice([*defined, -1, 99, 2**31 - 1])

    def fill(self, message: Message, depth: int = 0) -> Message:
        for field in message.DESCRIPTOR.fields:
            if self.rng.random() < 0.35:
                continue
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                continue
            if field.is_repeated:
                self._fill_repeated(message, field, depth)
            elif field.message_type is not None:
                if depth < 4:
                    self._fill_message(getattr(message, field.name), depth + 1)
            else:
                self._set(message, field)
        return message

    def _fill_message(self, message: Message, depth: int) -> None:
        name = message.DESCRIPTOR.full_name
        if name == "google.protobuf.FieldMask":
            paths = ["*", "display_name", "nope", "contacts.email", "", "sku", "\x00"]
            message.paths.extend(self.rng.sample(paths, self.rng.randint(0, 3)))
        elif name == "google.protobuf.Timestamp":
            message.seconds = self.rng.choice([0, -1, 253402300800, 1_700_000_000])
            message.nanos = self.rng.choice([0, 999_999_999, 1_000_000_000])
        else:
            self.fill(message, depth)

    def _fill_repeated(self, message: Message, field: FieldDescriptor, depth: int) -> None:
        count = self.rng.choice([0, 1, 2, 3, 3]) if depth else self.rng.choice([1, 2, 5, 1001])
        container = getattr(message, field.name)
        for _ in range(count):
            if field.message_type is not None:
                item = container.add()
                if depth < 3:
                    self._fill_message(item, depth + 1)
            elif field.enum_type is not None:
                container.append(self.enum(field))
            elif field.type == FieldDescriptor.TYPE_STRING:
                container.append(self.text(field.name))
            else:
                container.append(self.number(field))

    def _set(self, message: Message, field: FieldDescriptor) -> None:
        if field.enum_type is not None:
            value: object = self.enum(field)
        elif field.type == FieldDescriptor.TYPE_STRING:
            value = self.text(field.name)
        elif field.type == FieldDescriptor.TYPE_BYTES:
            value = self.rng.randbytes(self.rng.randint(0, 64))
        elif message.DESCRIPTOR.full_name == "google.type.Money" and field.name == "nanos":
            value = self.rng.choice([0, 1, -1, 500_000_000, 999_999_999, 10**9, -(10**9)])
        elif message.DESCRIPTOR.full_name == "google.type.Date":
            value = self.rng.choice([0, 1, 2, 13, 29, 31, 32, 2026, 10000, -5])
        else:
            value = self.number(field)
        setattr(message, field.name, value)


_64_BIT = {
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED64,
}
_UNSIGNED = {
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64,
}


def _raw_call(channel: grpc.Channel, path: str) -> Callable[..., bytes]:
    """A call that sends bytes as they are and returns the response bytes."""
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


@pytest.fixture
def api(running_server, channel) -> OrdersApi:
    api = OrdersApi(channel, running_server.tokens)
    api.seed_catalog()
    api.standard_accounts()
    return api


def test_every_rpc_answers_random_and_malformed_requests_with_documented_codes(
    api: OrdersApi,
) -> None:
    rng = random.Random(SEED)
    maker = RequestMaker(rng)
    who = ["admin", "admin", "admin", "integration", "alice", "viewer"]
    undocumented: list[str] = []
    sent = 0
    for path, method in _methods():
        call = _raw_call(api.channel, path)
        request_class = message_factory.GetMessageClass(method.input_type)
        for number in range(REQUESTS_PER_METHOD + GARBAGE_PER_METHOD):
            if number < REQUESTS_PER_METHOD:
                payload = maker.fill(request_class()).SerializeToString()
            else:
                payload = rng.randbytes(rng.randint(1, 200))
            metadata = api.md(rng.choice(who)) if rng.random() < 0.95 else ()
            code = _code_of(call, payload, metadata)
            sent += 1
            if code not in DOCUMENTED:
                undocumented.append(f"{path}: {code.name} for {payload[:120]!r}")

    assert not undocumented, "\n".join(undocumented[:20])
    assert sent >= 2000
    health = health_pb2_grpc.HealthStub(api.channel)
    assert health.Check(health_pb2.HealthCheckRequest()).status == 1  # SERVING


def _code_of(call: Callable[..., bytes], payload: bytes, metadata) -> grpc.StatusCode:
    try:
        call(payload, metadata=metadata, timeout=30)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_bytes_that_are_no_message_are_the_callers_mistake(api: OrdersApi) -> None:
    call = _raw_call(api.channel, "/wholesale.v1.AccountService/CreateAccount")

    with pytest.raises(grpc.RpcError) as caught:
        call(b"\xa7jJ9", metadata=api.md("admin"), timeout=30)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid message" in caught.value.details()
    assert api.count_accounts() == 4  # the standard accounts only: nothing was written
