"""What every service's methods share: one deadline per call, per-call options, errors
mapped to exceptions, paging, and request ids for mutations.

Each service's methods live in a mixin of their own (``accounts``, ``catalog``, ``orders``,
...) built on :class:`ServiceCalls`; :class:`wholesale.client.Client` composes them over one
channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf.message import Message

from wholesale.client.call_options import CallOptions, MetadataLike, extra_metadata
from wholesale.client.channel import Metadata
from wholesale.client.errors import from_rpc_error
from wholesale.client.pager import Pager


class PageResponse(Protocol):
    next_page_token: str


T = TypeVar("T")
RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT")
PageResponseT = TypeVar("PageResponseT", bound=PageResponse)


def new_request_id(request_id: str | None) -> str:
    """The caller's idempotency key, or a fresh one: gRPC retries resend the same bytes, so
    a retried mutation carries the same id and the server replays instead of redoing it."""
    return request_id or str(uuid.uuid4())


class ServiceCalls:
    """The channel, the call metadata and the deadline, set by the composing client.

    ``_sends_token`` says whether the channel already authorizes calls (as metadata on a
    plaintext channel, as call credentials over TLS), so per-call metadata may not."""

    channel: grpc.Channel
    timeout: float
    _metadata: Metadata
    _sends_token: bool

    def _options(self, timeout: float | None, metadata: MetadataLike) -> CallOptions:
        """The per-call ``timeout`` in place of the client's deadline, and the per-call
        ``metadata`` after the client's own; bad metadata raises ValueError here, before
        anything is sent."""
        return CallOptions(
            timeout=self.timeout if timeout is None else timeout,
            metadata=self._metadata + extra_metadata(metadata, sends_token=self._sends_token),
        )

    def _call(
        self,
        rpc: grpc.UnaryUnaryMultiCallable[RequestT, ResponseT],
        request: RequestT,
        *,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> ResponseT:
        """Sends ``request`` with the client's deadline and metadata as ``timeout`` and
        ``metadata`` adjust them; a failure raises the matching
        :class:`wholesale.client.errors.WholesaleError`."""
        return self._send(rpc, request, self._options(timeout, metadata))

    def _send(
        self,
        rpc: grpc.UnaryUnaryMultiCallable[RequestT, ResponseT],
        request: RequestT,
        options: CallOptions,
    ) -> ResponseT:
        try:
            return rpc(request, timeout=options.timeout, metadata=options.metadata)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error

    def _pager(
        self,
        rpc: grpc.UnaryUnaryMultiCallable[RequestT, PageResponseT],
        request: RequestT,
        items: Callable[[PageResponseT], Sequence[T]],
        *,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[T]:
        """A pager that sends ``request`` once per page with that page's token, each page's
        call with the same options (checked now, not when the first page is read)."""
        options = self._options(timeout, metadata)

        def fetch_page(token: str) -> tuple[Sequence[T], str]:
            page_request: Any = type(request)()
            page_request.CopyFrom(request)
            page_request.page_token = token
            response = self._send(rpc, page_request, options)
            return items(response), response.next_page_token

        return Pager(fetch_page)
