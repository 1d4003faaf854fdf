"""Server settings from, in rising priority: defaults, a TOML file, environment, flags.

The TOML file (``--config`` or ``WHOLESALE_CONFIG``) uses the same keys as the fields of
:class:`ServerConfig`; the environment uses them upper-cased with a ``WHOLESALE_`` prefix
(``WHOLESALE_LISTEN``, ``WHOLESALE_DATABASE_URL``, ...). ``DATABASE_URL`` is honoured too,
because that is what hosting platforms set.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_PORT = 50051
DEFAULT_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"
DEFAULT_DATABASE_URL = "sqlite:///wholesale.db"


def default_workers() -> int:
    """Two RPC worker threads per CPU, at least four. Handlers hold the interpreter lock
    for most of their time, so more threads than that only hand it to each other: on 2
    CPUs with 16 clients, 4 workers served ListAccounts 1.6 times faster than 16, at half
    the p99 (README, Performance)."""
    return max(4, 2 * _usable_cpus())


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class ServerConfig:
    listen: str = DEFAULT_LISTEN
    database_url: str = DEFAULT_DATABASE_URL
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    # After SIGTERM/SIGINT: seconds the server keeps serving while health says NOT_SERVING
    # (so load balancers stop sending), then seconds in-flight RPCs get to finish.
    drain_seconds: float = 1.0
    grace_seconds: float = 10.0
    max_workers: int = field(default_factory=default_workers)
    # Calls in progress or queued at most; beyond it a call gets RESOURCE_EXHAUSTED at
    # once instead of waiting in an unbounded queue (see docs/operations.md). 0: four per
    # worker, at least 64 (concurrent_rpcs_limit).
    max_concurrent_rpcs: int = 0
    log_level: str = "INFO"
    # Days after its due date an invoice may stay unpaid before it blocks credit.
    credit_grace_days: int = 7
    # Largest request the server accepts, in bytes.
    max_message_bytes: int = 8 * 1024 * 1024
    # HOST:PORT for Prometheus metrics at /metrics; None serves none.
    metrics_listen: str | None = None
    # "text" or "json" (one JSON object per line).
    log_format: str = "text"
    # Run the scheduled jobs (the nightly tier review); off (--no-scheduler) for replicas
    # that only serve RPCs. Servers sharing a database run each job once a day between them.
    scheduler: bool = True
    # HH:MM, UTC: when the nightly tier review runs.
    tier_review_time: str = "02:00"


_FIELD_TYPES = {f.name: f.type for f in fields(ServerConfig)}


def concurrent_rpcs_limit(config: ServerConfig) -> int:
    """The bound on calls running or waiting: the setting, or by default four per worker
    and at least 64, so it always follows the worker count."""
    return config.max_concurrent_rpcs or max(64, 4 * config.max_workers)


class ConfigError(ValueError):
    """A setting is missing, unknown, of the wrong type or out of range; the message names
    it."""


# HOST[:PORT] with a DNS name or IPv4 address, or [IPv6][:PORT]: what gRPC and the metrics
# server both bind; anything else would start on an address nobody asked for.
_ADDRESS = re.compile(
    r"(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(?::(?P<port>\d{1,5}))?"
)

# The smallest value each numeric setting may take; anything lower would make the server
# refuse every call, never drain, or wait for a negative time.
_MINIMUM = {
    "drain_seconds": 0,
    "grace_seconds": 0,
    "max_workers": 1,
    "max_concurrent_rpcs": 0,
    "credit_grace_days": 0,
    "max_message_bytes": 1,
}
# gRPC takes message sizes as a signed 32-bit int.
_MAX_MESSAGE_BYTES = 2**31 - 1


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _switch(name: str, value: Any) -> bool:
    """A setting that is on or off: a TOML or flag boolean, or a word from the environment."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word not in _TRUE | _FALSE:
        raise ConfigError(f"setting {name!r} must be true or false, got {value!r}")
    return word in _TRUE


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELD_TYPES[name]
    if kind == "bool":
        return _switch(name, value)
    try:
        if kind == "float":
            return float(value)
        if kind == "int":
            return int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} must be a number, got {value!r}") from exc
    return None if value in (None, "") else str(value)


def _from_mapping(source: Mapping[str, Any], origin: str) -> dict[str, Any]:
    unknown = sorted(set(source) - set(_FIELD_TYPES))
    if unknown:
        raise ConfigError(f"unknown setting(s) in {origin}: {', '.join(unknown)}")
    return {name: _coerce(name, value) for name, value in source.items()}


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        values["database_url"] = environ["DATABASE_URL"]
    for name in _FIELD_TYPES:
        key = f"WHOLESALE_{name.upper()}"
        if environ.get(key):
            values[name] = _coerce(name, environ[key])
    return values


def _address(name: str, value: str, example: str, default_port: int | None = None) -> str:
    """``HOST:PORT`` with the port in range (0: any free one); a missing port is
    ``default_port``, or refused without one. gRPC alone would take a port above 65535
    modulo 65536 and a bare host as port 443, and bind there without a word."""
    written = value.strip()
    if "://" in written:
        without_scheme = written.split("://", 1)[1].split("/", 1)[0] or example
        raise ConfigError(
            f"setting {name!r} is {value!r}, a URL; write HOST:PORT without a scheme, "
            f"such as {without_scheme}"
        )
    match = _ADDRESS.fullmatch(written)
    port = int(match["port"]) if match and match["port"] else default_port
    if match is None or port is None or port > 65535:
        raise ConfigError(
            f"setting {name!r} is {value!r}, not HOST:PORT with a port from 1 to 65535 "
            f"(or 0 for any free one), such as {example}"
        )
    return f"{match['host']}:{port}"


def _check_ranges(config: ServerConfig) -> None:
    """Refuses a number the server cannot work with, naming the setting."""
    for name, minimum in _MINIMUM.items():
        value = getattr(config, name)
        if not math.isfinite(value) or value < minimum:
            raise ConfigError(f"setting {name!r} must be at least {minimum}, got {value}")
    if config.max_message_bytes > _MAX_MESSAGE_BYTES:
        raise ConfigError(
            f"setting 'max_message_bytes' must be at most {_MAX_MESSAGE_BYTES}, "
            f"got {config.max_message_bytes}"
        )
    if 0 < config.max_concurrent_rpcs < config.max_workers:
        # Fewer calls at once than worker threads would leave threads (and the database
        # connections sized for them) idle forever: lower max_workers instead.
        raise ConfigError(
            f"setting 'max_concurrent_rpcs' must be at least max_workers "
            f"({config.max_workers}), got {config.max_concurrent_rpcs}"
        )


def tier_review_time(config: ServerConfig) -> dt.time:
    """The UTC time of day of the nightly tier review; ConfigError unless it is HH:MM."""
    written = config.tier_review_time.strip()
    try:
        if not re.fullmatch(r"\d{2}:\d{2}", written):
            raise ValueError(written)
        return dt.time.fromisoformat(written)
    except ValueError as exc:
        raise ConfigError(
            f"setting 'tier_review_time' must be HH:MM (UTC, 24 hours) such as 02:00, "
            f"got {config.tier_review_time!r}"
        ) from exc


def _checked(config: ServerConfig) -> ServerConfig:
    """The config with its addresses written out in full, or ConfigError saying which
    setting is wrong and how."""
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together: give both or neither")
    if config.tls_client_ca and not config.tls_cert:
        raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key")
    _check_ranges(config)
    tier_review_time(config)
    metrics = config.metrics_listen
    return replace(
        config,
        listen=_address("listen", config.listen, DEFAULT_LISTEN, DEFAULT_PORT),
        metrics_listen=_address("metrics_listen", metrics, "127.0.0.1:9464") if metrics else None,
    )


def load_config(
    flags: Mapping[str, Any] | None = None,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServerConfig:
    """Merges every source; ``flags`` holds only the flags given (None values are ignored)."""
    environ = os.environ if environ is None else environ
    config_file = config_file or environ.get("WHOLESALE_CONFIG")
    values: dict[str, Any] = {}
    if config_file:
        path = Path(config_file)
        try:
            values.update(_from_mapping(tomllib.loads(path.read_text()), str(path)))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    values.update(_from_environment(environ))
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    values.update(_from_mapping(given, "flags"))
    return _checked(replace(ServerConfig(), **values))
