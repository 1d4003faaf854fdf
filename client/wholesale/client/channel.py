"""Channel construction: TLS or plaintext, the bearer token, and gRPC's own retry policy.

Retries are left to gRPC core (a service config ``retryPolicy``) rather than a Python loop,
so they share the call's deadline and happen only when the server never processed the
attempt or answered UNAVAILABLE. Every method is safe to repeat: reads have no effect, the
client sends a ``request_id`` with every account, product, pricing and tier mutation,
which the server replays, and orders, invoices and payments are upserts by the ERP's
external_id. (Bulk batches exceed gRPC's retry buffer or outlast a call's deadline when
the server restarts; :mod:`wholesale.client.resending` resends those.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import grpc

RETRIED_SERVICES = (
    "wholesale.v1.AccountService",
    "wholesale.v1.AuditService",
    "wholesale.v1.CatalogService",
    "wholesale.v1.OrderService",
    "wholesale.v1.PricingService",
    "wholesale.v1.TierService",
)
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for UNAVAILABLE; gRPC caps ``max_attempts`` at 5."""

    max_attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 2.0
    backoff_multiplier: float = 2.0

    def channel_options(self) -> list[tuple[str, str | int]]:
        """The service config, plus reconnect backoff no slower than the retry backoff:
        while a channel waits to reconnect, attempts fail at once, so a slower reconnect
        would spend every retry before the server could be reached again."""
        config = {
            "methodConfig": [
                {
                    "name": [{"service": service} for service in RETRIED_SERVICES],
                    "retryPolicy": {
                        "maxAttempts": self.max_attempts,
                        "initialBackoff": f"{self.initial_backoff}s",
                        "maxBackoff": f"{self.max_backoff}s",
                        "backoffMultiplier": self.backoff_multiplier,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
        return [
            ("grpc.enable_retries", 1),
            ("grpc.service_config", json.dumps(config)),
            ("grpc.initial_reconnect_backoff_ms", int(self.initial_backoff * 1000)),
            ("grpc.max_reconnect_backoff_ms", int(self.max_backoff * 1000)),
        ]


@dataclass(frozen=True)
class ChannelSettings:
    """Where and how to connect; TLS is used when ``tls`` is set or any file is given."""

    target: str
    token: str | None = None
    tls: bool = False
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    retry: RetryPolicy | None = RetryPolicy()

    @property
    def secure(self) -> bool:
        return self.tls or any((self.ca_file, self.client_cert, self.client_key))


def open_channel(settings: ChannelSettings) -> tuple[grpc.Channel, Metadata]:
    """Returns the channel and the metadata to send on each call.

    Over TLS the token rides in call credentials, which gRPC refuses to send in clear
    text; a plaintext channel (local development, tests) sends it as call metadata.
    """
    options = settings.retry.channel_options() if settings.retry else [("grpc.enable_retries", 0)]
    if not settings.secure:
        metadata = (("authorization", f"Bearer {settings.token}"),) if settings.token else ()
        return grpc.insecure_channel(settings.target, options=options), metadata
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(settings.ca_file),
        private_key=_read(settings.client_key),
        certificate_chain=_read(settings.client_cert),
    )
    if settings.token:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(settings.token)
        )
    return grpc.secure_channel(settings.target, credentials, options=options), ()


def _read(path: str | None) -> bytes | None:
    return Path(path).expanduser().read_bytes() if path else None
