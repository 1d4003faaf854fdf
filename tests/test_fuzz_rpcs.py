"""Random and malformed requests to every RPC of every service get documented answers.

The methods come from the contract's descriptors (tests/support/fuzz.py), so a new RPC
is fuzzed without a change here. One seeded generator drives a few thousand requests per
backend, the methods shuffled together so that writes of one RPC meet reads of another:
random strings and lengths, undefined enum numbers, malformed Money and dates, bad and
altered page tokens, masks and filters, large repeated fields, ids and etags that earlier
answers returned, bad tokens, and bytes that are no message at all. Every answer must be
OK or a documented code with its ``google.rpc.Status`` (never INTERNAL or UNKNOWN), the
server logs no error, and it stays healthy.
"""

from __future__ import annotations

import logging
import random
from collections import Counter

import grpc
import pytest
from google.protobuf import text_format
from google.protobuf.message import DecodeError
from grpc_health.v1 import health_pb2, health_pb2_grpc
from support.fuzz import (
    DOCUMENTED_CODES,
    Answer,
    Harvest,
    RequestMaker,
    answer_of,
    contract_methods,
    garbage,
    message_class,
    raw_call,
)
from support.orders import OrdersApi
from support.rpc import Metadata

from wholesale.server.config import ServerConfig

SEED = 20261203
REQUESTS_PER_METHOD = 100
GARBAGE_SHARE = 0.1
REQUEST_LIMIT = ServerConfig().max_message_bytes
# Mostly callers with a token of each role; now and then none or a broken one.
CALLERS = ("admin", "admin", "admin", "integration", "integration", "alice", "bob", "viewer")
BAD_METADATA: tuple[Metadata, ...] = (
    (),
    (("authorization", "Bearer"),),
    (("authorization", "Basic YWxpY2U6c2VjcmV0"),),
    (("authorization", "Bearer not-a-token"),),
    (("authorization", "Bearer " + "x" * 4000),),
)


@pytest.fixture
def api(running_server, channel) -> OrdersApi:
    api = OrdersApi(channel, running_server.tokens)
    api.seed_catalog()
    api.standard_accounts()
    return api


def test_every_rpc_answers_random_and_malformed_requests_with_documented_codes(
    api: OrdersApi, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(SEED)
    harvest = Harvest()
    harvest.learn_all(api.list_all(show_deleted=True))
    maker = RequestMaker(rng, harvest)
    plan = [method for method in contract_methods() for _ in range(REQUESTS_PER_METHOD)]
    rng.shuffle(plan)
    problems: dict[tuple[str, str], str] = {}
    answered: Counter[grpc.StatusCode] = Counter()

    with caplog.at_level(logging.WARNING):
        for path, method in plan:
            request = maker.request(method.input_type)
            payload = request.SerializeToString()
            if rng.random() < GARBAGE_SHARE:
                payload = garbage(rng, payload)
            answer = answer_of(raw_call(api.channel, path), payload, _metadata(api, rng))
            answered[answer.code] += 1
            problem = _problem(answer, oversized=len(payload) > REQUEST_LIMIT)
            if problem and (path, problem) not in problems:
                problems[path, problem] = _shown(method, payload)
            elif answer.code == grpc.StatusCode.OK:
                harvest.learn(message_class(method.output_type).FromString(answer.response))

    assert not problems, "\n".join(f"{p} {what}: {req}" for (p, what), req in problems.items())
    assert len(plan) >= 2000
    assert answered[grpc.StatusCode.OK] >= len(plan) // 50  # deep enough to write and read
    logged = [r.getMessage()[:300] for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, "\n".join(logged[:10])
    health = health_pb2_grpc.HealthStub(api.channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == serving


def _metadata(api: OrdersApi, rng: random.Random) -> Metadata:
    return api.md(rng.choice(CALLERS)) if rng.random() < 0.95 else rng.choice(BAD_METADATA)


def _problem(answer: Answer, oversized: bool) -> str | None:
    """What is wrong with an answer, or None. A request over the server's size limit is
    refused by gRPC itself, before our code runs, with RESOURCE_EXHAUSTED and no details."""
    if answer.code not in DOCUMENTED_CODES:
        return answer.code.name
    if oversized and answer.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return None
    if answer.code != grpc.StatusCode.OK and answer.detail_problem:
        return f"{answer.code.name} with {answer.detail_problem}"
    return None


def _shown(method, payload: bytes) -> str:
    """The request, readable if it decodes, so a failure names a reproducible input."""
    try:
        request = message_class(method.input_type).FromString(payload)
    except DecodeError:
        return f"bytes {payload[:200]!r}"
    return text_format.MessageToString(request, as_one_line=True)[:600]


def test_bytes_that_are_no_message_are_the_callers_mistake(api: OrdersApi) -> None:
    call = raw_call(api.channel, "/wholesale.v1.AccountService/CreateAccount")

    with pytest.raises(grpc.RpcError) as caught:
        call(b"\xa7jJ9", metadata=api.md("admin"), timeout=30)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid message" in caught.value.details()
    assert api.count_accounts() == 4  # the standard accounts only: nothing was written
