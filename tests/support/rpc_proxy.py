"""A gRPC proxy in front of a test server that runs a step of the test just before it
forwards a given method: how a test makes another client's change land between a
command's read and its write, over real channels and with nothing patched.

It forwards unary calls only (every call the CLI makes), bytes as they are, with the
caller's metadata, and passes the server's errors back with their details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager

import grpc

Step = Callable[[], None]


class _Forwarder(grpc.GenericRpcHandler):
    def __init__(self, channel: grpc.Channel, before: dict[str, Step]) -> None:
        self._channel = channel
        self._before = before

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method = details.method
        forward = self._channel.unary_unary(method)

        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            step = self._before.pop(method.rsplit("/", 1)[-1], None)
            if step:
                step()
            try:
                return forward(request, metadata=context.invocation_metadata())
            except grpc.RpcError as error:
                context.set_trailing_metadata(error.trailing_metadata())
                context.abort(error.code(), error.details())

        return grpc.unary_unary_rpc_method_handler(handle)


@contextmanager
def rpc_proxy(target: str, before: dict[str, Step]) -> Iterator[str]:
    """Serves on a free port and yields its address. ``before`` maps a method's short name
    (``UpdateAccount``) to the step to run once, before the first such call is forwarded."""
    with grpc.insecure_channel(target) as channel:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        server.add_generic_rpc_handlers((_Forwarder(channel, before),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            yield f"127.0.0.1:{port}"
        finally:
            server.stop(0)
