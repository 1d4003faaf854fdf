"""Bulk history import: any iterable of orders, sent as a sequence of ImportOrders batches.

The orders are read lazily, a batch at a time, so an import of any size runs in the memory
of two batches: the one on the server and the next, read meanwhile. Every order is an
upsert by its external_id, so a batch that failed in transit (server restarting,
connection dropped, deadline hit while the server was still working) is simply sent
again: orders it already wrote come back UNCHANGED, nothing is lost or doubled. The same
goes for a batch that lost a race (ABORTED, reason CONCURRENT_CHANGE): a resent batch, or
another import of the same orders, wrote one of its orders between the server's check and
its write; the next attempt sees that order and updates it or leaves it UNCHANGED. gRPC's
own retry policy cannot cover this: it only resends requests that fit its 256 KiB retry
buffer, which a batch of a thousand orders does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

import grpc

from wholesale.client.call_options import CallOptions, MetadataLike
from wholesale.client.errors import from_rpc_error
from wholesale.client.orders import OrderLike, OrderServiceCalls, as_order
from wholesale.client.resending import RETRIED, ResendPolicy, RetryNotice, resend
from wholesale.v1 import order_pb2, order_service_pb2
from wholesale.v1.order_pb2 import Order
from wholesale.v1.order_service_pb2 import ImportOrderResult, ImportOrdersResponse

MAX_BATCH_SIZE = 2000


@dataclass(frozen=True)
class ImportRejection:
    """An order the server refused, and why; ``position`` is its place in the import
    (``first_position`` + its index in the iterable)."""

    position: int
    external_id: str
    message: str
    violations: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_result(cls, result: ImportOrderResult) -> ImportRejection:
        violations = tuple((v.field, v.description) for v in result.violations)
        return cls(result.position, result.external_id, result.error_message, violations)


@dataclass(frozen=True)
class ImportProgress:
    """Where an import stands after a batch: totals so far and the batch's own results
    (one per order, in order), so a caller can act on each batch as it lands."""

    orders_done: int
    lines_done: int
    rejected_done: int
    elapsed: float
    batch: Sequence[ImportOrderResult]

    @property
    def lines_per_second(self) -> float:
        return self.lines_done / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class ImportReport:
    """The whole import: outcome counts, lines sent and written, and every rejection."""

    orders: int = 0
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    lines_written: int = 0
    batches: int = 0
    retries: int = 0
    elapsed: float = 0.0
    rejections: list[ImportRejection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every order was accepted."""
        return self.rejected == 0

    def add(self, response: ImportOrdersResponse, orders: int, lines: int) -> None:
        self.orders += orders
        self.lines += lines
        self.created += response.created_count
        self.updated += response.updated_count
        self.unchanged += response.unchanged_count
        self.rejected += response.rejected_count
        self.lines_written += response.lines_written
        self.batches += 1
        self.rejections.extend(
            ImportRejection.from_result(result)
            for result in response.results
            if result.outcome == order_pb2.RECORD_OUTCOME_REJECTED
        )


def batches(orders: Iterable[OrderLike], size: int) -> Iterator[list[Order]]:
    """Consecutive lists of at most ``size`` orders, read from ``orders`` only as needed."""
    iterator = iter(orders)
    while batch := [as_order(order) for order in islice(iterator, size)]:
        yield batch


@dataclass
class _Sent:
    """A batch on its way: the request, kept to resend it, and the call in flight."""

    request: order_service_pb2.ImportOrdersRequest
    future: grpc.Future[ImportOrdersResponse]
    lines: int


@dataclass
class _Importer:
    """One import run: sends batches, lands their answers in the report, reports progress."""

    client: ImportMethods
    on_progress: Callable[[ImportProgress], None] | None
    policy: ResendPolicy
    options: CallOptions
    report: ImportReport = field(default_factory=ImportReport)
    started: float = field(default_factory=time.monotonic)

    def run(self, orders: Iterable[OrderLike], batch_size: int, position: int) -> ImportReport:
        """Reads the next batch while the previous one is on the server, but sends it only
        once that one has landed: batches are applied in order (a later version of an
        order in the stream wins) and at most two batches are held in memory."""
        sent = None
        for batch in batches(orders, batch_size):
            if sent is not None:
                self._land(sent)
            sent = self._send(batch, position)
            position += len(batch)
        if sent is not None:
            self._land(sent)
        self.report.elapsed = time.monotonic() - self.started
        return self.report

    def _send(self, batch: list[Order], position: int) -> _Sent:
        request = order_service_pb2.ImportOrdersRequest(orders=batch, first_position=position)
        future = self.client._orders.ImportOrders.future(
            request, timeout=self.options.timeout, metadata=self.options.metadata
        )
        return _Sent(request, future, sum(len(order.lines) for order in batch))

    def _land(self, sent: _Sent) -> None:
        response = self._response(sent)
        self.report.add(response, len(sent.request.orders), sent.lines)
        self.report.elapsed = time.monotonic() - self.started
        if self.on_progress is not None:
            self.on_progress(_progress(self.report, response))

    def _response(self, sent: _Sent) -> ImportOrdersResponse:
        try:
            return sent.future.result()
        except grpc.RpcError as error:
            failure = from_rpc_error(error)
            if not isinstance(failure, RETRIED):
                raise failure from error
        return resend(lambda: self._call(sent.request), failure, self._counted(self.policy))

    def _counted(self, policy: ResendPolicy) -> ResendPolicy:
        """``policy`` with each retry counted in the report."""

        def on_retry(notice: RetryNotice) -> None:
            self.report.retries += 1
            if policy.on_retry is not None:
                policy.on_retry(notice)

        return replace(policy, on_retry=on_retry)

    def _call(self, request: order_service_pb2.ImportOrdersRequest) -> ImportOrdersResponse:
        return self.client._send(self.client._orders.ImportOrders, request, self.options)


class ImportMethods(OrderServiceCalls):
    """Bulk import of order history (admins and integrations)."""

    def import_orders(
        self,
        orders: Iterable[OrderLike],
        *,
        batch_size: int = 1000,
        on_progress: Callable[[ImportProgress], None] | None = None,
        first_position: int = 0,
        max_attempts: int = 8,
        retry_for: float | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> ImportReport:
        """Records every order of ``orders`` (Order messages or dicts as ``record_order``
        takes them), ``batch_size`` (1..2000) per call, and calls ``on_progress`` after
        each batch. A bad order is reported with its position (``first_position`` + its
        index) and does not stop the others. A batch failing with UNAVAILABLE,
        DEADLINE_EXCEEDED or ABORTED (a concurrent write of the same orders won, e.g. the
        batch's own earlier attempt that was still running when its deadline passed) is
        sent again, up to ``max_attempts`` times in all, with backoff, and no longer than
        ``retry_for`` seconds after the first failure (plus the last attempt's deadline);
        ``on_retry`` hears of each attempt before it is made. ``timeout`` is each batch
        call's deadline (default the client's) and ``metadata`` goes with each batch call,
        first attempts and resends alike."""
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH_SIZE}, not {batch_size}")
        policy = ResendPolicy(max_attempts, retry_for, on_retry)
        options = self._options(timeout, metadata)
        importer = _Importer(self, on_progress, policy, options)
        return importer.run(orders, batch_size, first_position)


def _progress(report: ImportReport, response: ImportOrdersResponse) -> ImportProgress:
    return ImportProgress(
        orders_done=report.orders,
        lines_done=report.lines,
        rejected_done=report.rejected,
        elapsed=report.elapsed,
        batch=response.results,
    )
