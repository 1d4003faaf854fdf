"""What every service's methods share: one deadline per call, errors mapped to exceptions,
paging, and request ids for mutations.

Each service's methods live in a mixin of their own (``accounts``, ``catalog``, ``orders``,
...) built on :class:`ServiceCalls`; :class:`wholesale.client.Client` composes them over one
channel.
"""

from __future__ import annotations

import uuid
from typing import Any

import grpc
from google.protobuf.message import Message

from wholesale.client.channel import Metadata
from wholesale.client.errors import from_rpc_error
from wholesale.client.pager import Pager


def new_request_id(request_id: str | None) -> str:
    """The caller's idempotency key, or a fresh one: gRPC retries resend the same bytes, so
    a retried mutation carries the same id and the server replays instead of redoing it."""
    return request_id or str(uuid.uuid4())


class ServiceCalls:
    """The channel, the call metadata and the deadline, set by the composing client."""

    channel: grpc.Channel
    timeout: float
    _metadata: Metadata

    def _call(
        self,
        rpc: grpc.UnaryUnaryMultiCallable,
        request: Message,
        *,
        timeout: float | None = None,
    ) -> Any:
        """Sends ``request`` with the client's deadline (or ``timeout``); a failure raises
        the matching :class:`wholesale.client.errors.WholesaleError`."""
        try:
            return rpc(request, timeout=timeout or self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error

    def _pager(self, rpc: grpc.UnaryUnaryMultiCallable, request: Message, items: str) -> Pager:
        """A pager that sends ``request`` once per page with that page's token."""

        def fetch_page(token: str) -> tuple[Any, str]:
            page_request: Any = type(request)()
            page_request.CopyFrom(request)
            page_request.page_token = token
            response = self._call(rpc, page_request)
            return getattr(response, items), response.next_page_token

        return Pager(fetch_page)
