"""Assembling the gRPC server: services, health, reflection, interceptors, TLS."""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from wholesale.server import listen
from wholesale.server.api.account_servicer import AccountServicer
from wholesale.server.api.audit_servicer import AuditServicer
from wholesale.server.api.catalog_servicer import CatalogServicer
from wholesale.server.api.interceptor import CallInterceptor
from wholesale.server.api.metrics import RpcMetrics
from wholesale.server.api.order_servicer import OrderServicer
from wholesale.server.api.pricing_servicer import PricingServicer
from wholesale.server.api.reorder_servicer import ReorderServicer
from wholesale.server.api.tier_servicer import TierServicer
from wholesale.server.config import ServerConfig, concurrent_rpcs_limit, tier_review_time
from wholesale.server.domain.clock import Clock, SystemClock
from wholesale.server.jobs import tier_review
from wholesale.server.store import database, migrations, secrets
from wholesale.v1 import (
    account_service_pb2,
    account_service_pb2_grpc,
    audit_service_pb2,
    audit_service_pb2_grpc,
    catalog_service_pb2,
    catalog_service_pb2_grpc,
    order_service_pb2,
    order_service_pb2_grpc,
    pricing_service_pb2,
    pricing_service_pb2_grpc,
    reorder_service_pb2,
    reorder_service_pb2_grpc,
    tier_service_pb2,
    tier_service_pb2_grpc,
)

log = logging.getLogger("wholesale.server")

SERVICE_NAMES = (
    account_service_pb2.DESCRIPTOR.services_by_name["AccountService"].full_name,
    audit_service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
    catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
    order_service_pb2.DESCRIPTOR.services_by_name["OrderService"].full_name,
    pricing_service_pb2.DESCRIPTOR.services_by_name["PricingService"].full_name,
    reorder_service_pb2.DESCRIPTOR.services_by_name["ReorderService"].full_name,
    tier_service_pb2.DESCRIPTOR.services_by_name["TierService"].full_name,
)


class Server:
    """A grpc.Server that reports NOT_SERVING before it stops, so load balancers drain it,
    and that only returns from stop() once no handler thread is still running, so the
    database can be closed safely afterwards."""

    def __init__(
        self,
        grpc_server: grpc.Server,
        health_servicer: health.HealthServicer,
        executor: futures.ThreadPoolExecutor,
        metrics: RpcMetrics,
    ) -> None:
        self._server = grpc_server
        self._health = health_servicer
        self._executor = executor
        self.metrics = metrics
        # The port /metrics is served on, once start() served it (None: no metrics).
        self.metrics_port: int | None = None

    def start(self, metrics_listen: str | None = None) -> None:
        self._server.start()
        if metrics_listen:
            self.metrics_port = self.metrics.serve(metrics_listen)

    def stop(self, grace: float | None, drain: float = 0.0) -> threading.Event:
        """Reports NOT_SERVING, keeps serving for ``drain`` seconds, then refuses new calls,
        lets in-flight ones finish within ``grace`` and waits for their threads to end.
        Returns the (already set) termination event, as grpc.Server.stop does."""
        self._health.enter_graceful_shutdown()
        if drain > 0:
            time.sleep(drain)
        stopped = self._server.stop(grace)
        stopped.wait()
        # gRPC cancels calls still running after the grace, but their Python threads run
        # on until the handler returns; none may touch the database once it is closed.
        self._executor.shutdown(wait=True)
        self.metrics.stop()
        return stopped

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return self._server.wait_for_termination(timeout)


def _server_credentials(config: ServerConfig) -> grpc.ServerCredentials:
    assert config.tls_key and config.tls_cert, "load_config requires both or neither"
    key, cert = Path(config.tls_key).read_bytes(), Path(config.tls_cert).read_bytes()
    client_ca = Path(config.tls_client_ca).read_bytes() if config.tls_client_ca else None
    return grpc.ssl_server_credentials(
        [(key, cert)],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )


def _health_servicer() -> health.HealthServicer:
    servicer = health.HealthServicer()
    for name in ("", *SERVICE_NAMES):
        servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return servicer


def _bind(grpc_server: grpc.Server, config: ServerConfig) -> int:
    """Binds the listen address and returns the port; a busy or foreign address raises
    ListenError with one clear message, and gRPC never gets to log its own."""
    listen.check_free(config.listen, "listen")
    try:
        if config.tls_cert:
            return grpc_server.add_secure_port(config.listen, _server_credentials(config))
        return grpc_server.add_insecure_port(config.listen)
    except RuntimeError as exc:  # taken between the check and the bind
        raise listen.ListenError(f"cannot listen on {config.listen}: {exc}") from exc


def create_server(config: ServerConfig, clock: Clock | None = None) -> tuple[Server, int]:
    """Binds the port, then opens (and if empty, migrates) the database; not yet started.
    Binding first means a server that cannot listen leaves no new database behind.

    ``clock`` is the time every call's unit of work sees (the machine's by default; tests
    pass a clock they can set)."""
    limits = [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        # gRPC lets a second process bind a busy port by default (SO_REUSEPORT) and then
        # shares the calls between the two: an address in use must fail instead.
        ("grpc.so_reuseport", 0),
    ]
    executor = futures.ThreadPoolExecutor(max_workers=config.max_workers, thread_name_prefix="rpc")
    metrics = RpcMetrics(database.pool_use)
    grpc_server = grpc.server(
        executor,
        interceptors=[CallInterceptor(clock or SystemClock(), metrics.observe)],
        options=limits,
        maximum_concurrent_rpcs=concurrent_rpcs_limit(config),
    )
    account_service_pb2_grpc.add_AccountServiceServicer_to_server(AccountServicer(), grpc_server)
    audit_service_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(), grpc_server)
    catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(), grpc_server)
    pricing_service_pb2_grpc.add_PricingServiceServicer_to_server(PricingServicer(), grpc_server)
    order_service_pb2_grpc.add_OrderServiceServicer_to_server(
        OrderServicer(config.credit_grace_days), grpc_server
    )
    tier_service_pb2_grpc.add_TierServiceServicer_to_server(TierServicer(), grpc_server)
    reorder_service_pb2_grpc.add_ReorderServiceServicer_to_server(ReorderServicer(), grpc_server)
    health_servicer = _health_servicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, grpc_server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), grpc_server
    )
    port = _bind(grpc_server, config)
    try:
        db = database.open_database(config.database_url, max_connections=config.max_workers + 4)
        migrations.ensure_schema(db)
    except BaseException:
        grpc_server.stop(None)
        raise
    secrets.preload()
    return Server(grpc_server, health_servicer, executor, metrics), port


def serve(config: ServerConfig) -> None:
    """Runs until SIGTERM or SIGINT, then drains in-flight calls and exits."""
    if config.metrics_listen:
        listen.check_free(config.metrics_listen, "serve metrics")
    server, port = create_server(config)
    stopping = threading.Event()

    def request_stop(signum: int, _frame) -> None:
        log.info(
            "received %s: draining for up to %.0fs",
            signal.Signals(signum).name,
            config.grace_seconds,
        )
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        server.start(config.metrics_listen)
    except OSError as exc:  # the metrics port, taken since the check
        server.stop(0)
        database.close_database()
        raise listen.ListenError(
            f"cannot serve metrics on {config.metrics_listen}: {exc.strerror or exc}"
        ) from exc
    if server.metrics_port is not None:
        metrics_host = (config.metrics_listen or "").rpartition(":")[0] or "127.0.0.1"
        log.info("metrics on http://%s:%d/metrics", metrics_host, server.metrics_port)
    host = config.listen.rsplit(":", 1)[0]
    scheme = "TLS" if config.tls_cert else "plaintext"
    log.info(
        "serving on %s:%d (%s), database %s, %d workers, at most %d calls at once",
        host,
        port,
        scheme,
        database.redacted(config.database_url),
        config.max_workers,
        concurrent_rpcs_limit(config),
    )
    jobs = (
        tier_review.start_scheduler(SystemClock(), tier_review_time(config))
        if config.scheduler
        else None
    )
    stopping.wait()
    if jobs is not None:
        # A review in progress finishes before the database closes.
        jobs.shutdown(wait=True)
    server.stop(config.grace_seconds, drain=config.drain_seconds).wait()
    database.close_database()
    log.info("stopped")
