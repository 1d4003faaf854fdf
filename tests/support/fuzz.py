"""Random and malformed requests for any RPC of the contract, built from its descriptors.

Nothing here knows a particular RPC: the methods are found by importing every generated
module of ``wholesale.v1``, and requests are filled field by field from the message
descriptors, so a new RPC, message or field is fuzzed without a change here. Well-known
types get malformed values of their own (Money with a bad currency, nanos out of range or
a sign mismatch; impossible dates; odd field masks). To reach past validation into the
services and the store, about half of the values are plausible: catalog SKUs, real
currencies, and ids, etags and page tokens that earlier answers returned (see
:class:`Harvest`).
"""

from __future__ import annotations

import importlib
import pkgutil
import random
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import grpc
from google.protobuf import descriptor as pb_descriptor
from google.protobuf import message_factory
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

import wholesale.v1
from support.orders import SKUS
from wholesale.server.app import SERVICE_NAMES

FieldDescriptor = pb_descriptor.FieldDescriptor

# The codes docs/api.md allows a caller to see; INTERNAL and UNKNOWN never.
DOCUMENTED_CODES = frozenset(
    {
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
)
ERROR_DOMAIN = "wholesale.v1"

ODD_TEXT = (
    "",
    " ",
    "\x00",
    "ERP-\x00-1",
    "\t\n\r",
    "\x1b[31m",
    "\uff21\uff22\uff23",  # full-width letters
    "e\u0301",  # combining accent
    "\u202e",  # right-to-left override
    "\ufeff",  # byte order mark
    "\U0001f642",
    "\U0001f642" * 3000,
    "é" * 3000,
    "a" * 10_000,
    "' OR 1=1 --",
    '"',
    "\\",
    "%_",
    "*",
    "-1",
    "0",
    "9" * 30,
    "1e3",
    "NaN",
)
FILTERS = (
    "status = ACTIVE",
    "status = NOPE",
    'name : "corner" AND tags : "x"',
    "OR OR OR",
    "AND",
    "status =",
    "status == ACTIVE",
    '" unterminated',
    'name : "\x00"',
    'order_date >= "2026-13-45"',
    'order_date >= "2026-03-02"',
    'event_time >= "yesterday"',
    'event_time >= "2026-03-01T09:30:00Z"',
    'event_time < "2026-03-01T09:30:00+25:00"',
    'action = "UpdateAccount" AND actor = "root"',
    'account_id = "99999999999999999999"',
    'account_id = "-1"',
    "x" * 2000,
    'category : "beverages"',
    "active = maybe",
    "active = true AND " * 60 + "active = true",
)
ORDER_BYS = (
    "",
    "create_time",
    "display_name desc",
    "display_name  desc",
    "nope",
    "create_time asc",
)
MASK_PATHS = ("*", "", "nope", "contacts.email", "id", "etag", "create_time", "\x00", "a" * 300)
# Values that pass validation for fields of these names.
PLAUSIBLE_TEXT = {
    "sku": SKUS,
    "currency_code": ("EUR", "JPY", "USD", ""),
    "email": ("buyer@corner-shop.example",),
    "country_code": ("DE", "FR"),
    "phone": ("+49 30 1234567",),
    "manager": ("alice", "bob"),
}
# How many of a request's values are odd: from nearly valid to hostile throughout.
ODD_SHARES = (0.02, 0.1, 0.3, 0.6, 0.9)
HUGE_COUNTS = (1001, 2001, 20_000)

# (currency, units, nanos): well-formed ones first, then each way a Money can be malformed.
WELL_FORMED_MONEY = 3
MONEY = (
    ("EUR", 12, 340_000_000),
    ("EUR", 1, 0),
    ("JPY", 1000, 0),
    ("", 5, 0),
    ("eur", 1, 0),
    ("EURO", 1, 0),
    ("XXX", 1, 0),
    ("E\x00R", 1, 0),
    ("EUR", 0, 1_000_000_000),  # nanos out of range
    ("EUR", 0, -1_000_000_000),
    ("EUR", 1, -500_000_000),  # sign mismatch
    ("EUR", -1, 500_000_000),
    ("EUR", -5, 0),
    ("EUR", 0, 0),
    ("EUR", 2**63 - 1, 999_999_999),
    ("EUR", -(2**63), -999_999_999),
    ("EUR", 9_223_372_036_854, 0),  # just below the micros limit
    ("EUR", 1, 1),  # more decimals than the currency has
    ("JPY", 1, 500_000_000),
)
# (year, month, day): real days first, then partial dates and impossible ones.
REAL_DATES = 3
DATES = (
    (2026, 3, 2),
    (2024, 2, 29),
    (2026, 1, 15),
    (2026, 2, 29),
    (2026, 4, 31),
    (2026, 13, 1),
    (2026, 0, 1),
    (2026, 1, 0),
    (0, 0, 0),
    (0, 3, 2),
    (1, 1, 1),
    (9999, 12, 31),
    (10_000, 1, 1),
    (-5, 1, 1),
    (2026, -1, 1),
    (2**31 - 1, 2**31 - 1, 2**31 - 1),
)
TIMESTAMPS = ((0, 0), (-1, 0), (1_772_000_000, 0), (253_402_300_800, 0), (1, 1_000_000_000))
# Bytes that are not a message: invalid UTF-8 in field 1, a truncated length, a length
# beyond the end, a wrong wire type, an unterminated varint, a group start.
BROKEN_PAYLOADS = (b"\x0a\x02\xc3\x28", b"\x0a", b"\x0a\xff\x01ab", b"\x0d", b"\x08\xff", b"\x0b")

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


def contract_methods() -> list[tuple[str, pb_descriptor.MethodDescriptor]]:
    """(path, descriptor) of every RPC of every service of wholesale.v1 the server serves
    (a service is in the contract before the server registers it)."""
    methods = []
    for module_info in sorted(pkgutil.iter_modules(wholesale.v1.__path__), key=lambda m: m.name):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"wholesale.v1.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            if service.full_name in SERVICE_NAMES:
                methods.extend((f"/{service.full_name}/{m.name}", m) for m in service.methods)
    return methods


def message_class(descriptor: pb_descriptor.Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


# Answers' fields whose values requests use under another name.
ALIASES = {
    "next_page_token": "page_token",
    "id": "account_id",
    "external_id": "account_external_id",
}


@dataclass
class Harvest:
    """Strings that earlier answers carried, by field name: ids, etags, page tokens.

    Sending them back makes the fuzzer reach records that exist (updates, deletes,
    lookups, second pages) instead of stopping at "not found".
    """

    values: dict[str, list[str]] = field(default_factory=dict)
    limit: int = 40

    def learn_all(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self.learn(message)

    def learn(self, message: Message) -> None:
        for descriptor, value in message.ListFields():
            if _is_map(descriptor):
                continue
            if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
                items = value if descriptor.is_repeated else [value]
                for item in items:
                    self.learn(item)
            elif descriptor.type == FieldDescriptor.TYPE_STRING and not descriptor.is_repeated:
                self._add(descriptor.name, value)
                if descriptor.name in ALIASES:
                    self._add(ALIASES[descriptor.name], value)

    def _add(self, name: str, value: str) -> None:
        known = self.values.setdefault(name, [])
        if value and value not in known:
            known.append(value)
            del known[: -self.limit]

    def pick(self, rng: random.Random, name: str) -> str | None:
        known = self.values.get(name)
        return rng.choice(known) if known else None


class RequestMaker:
    """Builds random instances of any message type, field by field, from a seeded RNG.

    Each request gets its own share of odd values: some are nearly valid (to reach the
    services and the store, where one bad field hides among good ones), others hostile
    throughout.
    """

    def __init__(self, rng: random.Random, harvest: Harvest) -> None:
        self.rng = rng
        self.harvest = harvest
        self.odd_share = 0.5

    def request(self, descriptor: pb_descriptor.Descriptor) -> Message:
        self.odd_share = self.rng.choice(ODD_SHARES)
        return self.fill(message_class(descriptor)())

    def odd(self) -> bool:
        return self.rng.random() < self.odd_share

    def fill(self, message: Message, depth: int = 0) -> Message:
        for descriptor in message.DESCRIPTOR.fields:
            if self.rng.random() < 0.1 + 0.3 * self.odd_share or _is_map(descriptor):
                continue  # unset: nearly valid requests leave out few fields
            if descriptor.is_repeated:
                self._fill_repeated(message, descriptor, depth)
            elif descriptor.message_type is not None:
                if depth < 4:
                    self._fill_message(getattr(message, descriptor.name), message, depth + 1)
            else:
                setattr(message, descriptor.name, self.scalar(descriptor))
        return message

    def scalar(self, descriptor: FieldDescriptor) -> object:
        rng = self.rng
        if descriptor.enum_type is not None:
            defined = [v.number for v in descriptor.enum_type.values]
            return rng.choice([-1, 99, 2**31 - 1]) if self.odd() else rng.choice(defined)
        if descriptor.type == FieldDescriptor.TYPE_STRING:
            return self.text(descriptor.name)
        if descriptor.type == FieldDescriptor.TYPE_BYTES:
            return rng.randbytes(rng.randint(0, 64))
        return self.number(descriptor)

    def text(self, name: str) -> str:
        rng = self.rng
        if not self.odd():
            return self._plausible_text(name)
        if rng.random() < 0.6:
            return rng.choice(ODD_TEXT)
        alphabet = string.printable + "äöü€\x00\x7f\u00a0\u2028"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))

    def _plausible_text(self, name: str) -> str:
        rng = self.rng
        if name == "filter":
            return rng.choice(FILTERS)
        if name == "order_by":
            return rng.choice(ORDER_BYS)
        if name == "page_token" and rng.random() < 0.3:
            token = self.harvest.pick(rng, "page_token") or "abc"
            return token[:-2] + "xx"  # a token this server issued, altered
        if name in PLAUSIBLE_TEXT and rng.random() < 0.7:
            return rng.choice(PLAUSIBLE_TEXT[name])
        if name.endswith("external_id") and rng.random() < 0.5:
            return f"FZ-{rng.randint(1, 30)}"  # few enough to collide
        return self.harvest.pick(rng, name) or f"fz-{rng.randint(1, 30)}"

    def number(self, descriptor: FieldDescriptor) -> int | float | bool:
        rng = self.rng
        if descriptor.type == FieldDescriptor.TYPE_BOOL:
            return rng.random() < 0.5
        if descriptor.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return rng.choice([0.0, -1.0, 1e300, float("nan"), float("inf")])
        if not self.odd():
            return rng.randint(0, 30)
        bits = 64 if descriptor.type in _64_BIT else 32
        unsigned = descriptor.type in _UNSIGNED
        low, high = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        edges = [0, 1, 2, 7, 30, 365, 366, 500, 501, 1000, 1001, 2000, 2001, low, high]
        return rng.choice(edges if unsigned else [*edges, -1])

    def _fill_message(self, message: Message, parent: Message, depth: int) -> None:
        name = message.DESCRIPTOR.full_name
        rng = self.rng
        odd = self.odd()
        if name == "google.protobuf.FieldMask":
            paths = _mask_paths(parent) if odd else _resource_fields(parent)
            message.paths.extend(rng.sample(paths, min(len(paths), rng.randint(0, 3))))
        elif name == "google.protobuf.Timestamp":
            message.seconds, message.nanos = rng.choice(TIMESTAMPS)
        elif name == "google.type.Money":
            message.currency_code, message.units, message.nanos = rng.choice(
                MONEY if odd else MONEY[:WELL_FORMED_MONEY]
            )
        elif name == "google.type.Date":
            message.year, message.month, message.day = rng.choice(
                DATES if odd else DATES[:REAL_DATES]
            )
        else:
            self.fill(message, depth)

    def _fill_repeated(self, message: Message, descriptor: FieldDescriptor, depth: int) -> None:
        rng = self.rng
        container = getattr(message, descriptor.name)
        if depth == 0 and rng.random() < 0.1:
            self._fill_huge(container, descriptor)
            return
        for _ in range(rng.choice([0, 1, 2, 3, 5])):
            if descriptor.message_type is None:
                container.append(self.scalar(descriptor))
            elif depth < 3:
                self._fill_message(container.add(), message, depth + 1)
            else:
                container.add()

    def _fill_huge(self, container, descriptor: FieldDescriptor) -> None:
        """Just over, or far over, a documented batch limit: one random item many times."""
        count = self.rng.choice(HUGE_COUNTS)
        if descriptor.message_type is None:
            container.extend([self.scalar(descriptor)] * count)
            return
        item = self.fill(message_class(descriptor.message_type)(), depth=1)
        for _ in range(count):
            container.add().CopyFrom(item)


def _is_map(descriptor: FieldDescriptor) -> bool:
    return descriptor.message_type is not None and descriptor.message_type.GetOptions().map_entry


def _resource_fields(parent: Message) -> list[str]:
    """The field names of the resource a mask sits next to (``account`` in an update)."""
    return [
        f.name
        for sibling in parent.DESCRIPTOR.fields
        if sibling.message_type is not None
        and sibling.message_type.full_name.startswith("wholesale.")
        for f in sibling.message_type.fields
    ]


def _mask_paths(parent: Message) -> list[str]:
    return [*MASK_PATHS, *_resource_fields(parent)]


def garbage(rng: random.Random, valid: bytes) -> bytes:
    """Bytes that are (mostly) no message: random, broken on purpose, or a damaged request."""
    choice = rng.randrange(4)
    if choice == 0:
        return rng.randbytes(rng.randint(1, 200))
    if choice == 1:
        return rng.choice(BROKEN_PAYLOADS)
    if choice == 2 and len(valid) > 1:
        return valid[: rng.randrange(1, len(valid))]
    damaged = bytearray(valid or b"\x00")
    for _ in range(rng.randint(1, 4)):
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
    return bytes(damaged)


@dataclass(frozen=True)
class Answer:
    """What a raw call came back with."""

    code: grpc.StatusCode
    response: bytes = b""
    detail_problem: str | None = None


def raw_call(channel: grpc.Channel, path: str) -> Callable[..., bytes]:
    """A call that sends bytes as they are and returns the response bytes."""
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


def answer_of(call: Callable[..., bytes], payload: bytes, metadata) -> Answer:
    try:
        return Answer(grpc.StatusCode.OK, call(payload, metadata=metadata, timeout=30))
    except grpc.RpcError as error:
        return Answer(error.code(), detail_problem=_detail_problem(error))


def _detail_problem(error: grpc.RpcError) -> str | None:
    """What is wrong with an error's google.rpc.Status (docs/api.md: every error has one,
    with an ErrorInfo in our domain), or None."""
    try:
        status = rpc_status.from_call(error)
    except ValueError as mismatch:  # the Status disagrees with the call's code or message
        return str(mismatch)
    if status is None:
        return "no google.rpc.Status in the trailers"
    infos = [d for d in status.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
    if len(infos) != 1:
        return f"{len(infos)} ErrorInfo details"
    info = error_details_pb2.ErrorInfo()
    infos[0].Unpack(info)
    if info.domain != ERROR_DOMAIN or not info.reason:
        return f"ErrorInfo {info.domain!r}/{info.reason!r}"
    return None
