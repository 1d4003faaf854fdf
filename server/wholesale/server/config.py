"""Server settings from, in rising priority: defaults, a TOML file, environment, flags.

The TOML file (``--config`` or ``WHOLESALE_CONFIG``) uses the same keys as the fields of
:class:`ServerConfig`; the environment uses them upper-cased with a ``WHOLESALE_`` prefix
(``WHOLESALE_LISTEN``, ``WHOLESALE_DATABASE_URL``, ...). ``DATABASE_URL`` is honoured too,
because that is what hosting platforms set.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_DATABASE_URL = "sqlite:///wholesale.db"


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
    max_workers: int = 16
    # Calls in progress or queued at most; beyond it a call gets RESOURCE_EXHAUSTED at
    # once instead of waiting in an unbounded queue (see docs/operations.md).
    max_concurrent_rpcs: int = 64
    log_level: str = "INFO"
    # Days after its due date an invoice may stay unpaid before it blocks credit.
    credit_grace_days: int = 7
    # Largest request the server accepts, in bytes.
    max_message_bytes: int = 8 * 1024 * 1024
    # HOST:PORT for Prometheus metrics at /metrics; None serves none.
    metrics_listen: str | None = None
    # "text" or "json" (one JSON object per line).
    log_format: str = "text"


_FIELD_TYPES = {f.name: f.type for f in fields(ServerConfig)}


class ConfigError(ValueError):
    """A setting is missing, unknown or of the wrong type; the message names it."""


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELD_TYPES[name]
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
    config = replace(ServerConfig(), **values)
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together: give both or neither")
    if config.tls_client_ca and not config.tls_cert:
        raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key")
    return config
