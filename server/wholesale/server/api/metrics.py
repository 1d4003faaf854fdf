"""Prometheus metrics of a server: calls, errors by code and latency per method, and the
use of the database connection pool, served over HTTP at ``/metrics``.

Each server has a registry of its own (several may run in one process, as in the tests).
Errors are the calls whose ``code`` is not ``OK``:
``sum by (code) (rate(wholesale_rpc_calls_total{code!="OK"}[5m]))``.
"""

from __future__ import annotations

from collections.abc import Callable
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

# Latency buckets from a fast read (1 ms) to a large import batch (10 s).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RpcMetrics:
    """What the call interceptor observes, plus gauges read when scraped."""

    def __init__(self, pool_use: Callable[[], tuple[int, int]]) -> None:
        self.registry = CollectorRegistry()
        self._calls = Counter(
            "wholesale_rpc_calls",
            "RPCs answered, by full method name and status code",
            ["method", "code"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "wholesale_rpc_duration_seconds",
            "Time from receiving an RPC to its answer, by full method name",
            ["method"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        in_use = Gauge(
            "wholesale_db_connections_in_use",
            "Database connections checked out of the pool",
            registry=self.registry,
        )
        in_use.set_function(lambda: pool_use()[0])
        limit = Gauge(
            "wholesale_db_connections_max",
            "Connections the pool may open",
            registry=self.registry,
        )
        limit.set_function(lambda: pool_use()[1])
        self._http: WSGIServer | None = None

    def observe(self, method: str, code: str, seconds: float) -> None:
        self._calls.labels(method, code).inc()
        self._latency.labels(method).observe(seconds)

    def serve(self, listen: str) -> int:
        """Serves /metrics on ``listen`` (HOST:PORT, port 0 for any) in a thread; returns
        the port."""
        host, _, port = listen.rpartition(":")
        http, _thread = start_http_server(int(port), host or "127.0.0.1", self.registry)
        self._http = http
        return int(http.server_address[1])

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
