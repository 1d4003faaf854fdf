"""Secrets every server process on one database shares, created on first use."""

from __future__ import annotations

import secrets

from wholesale.server.store.database import db_proxy
from wholesale.server.store.models import ServerSecret

PAGE_TOKEN_KEY = "page_token_key"


def _load_or_create(name: str) -> bytes:
    # Racing processes may both insert; the primary key keeps the first, everyone reads it.
    ServerSecret.insert(name=name, value=secrets.token_bytes(32)).on_conflict_ignore().execute()
    return bytes(ServerSecret.get_by_id(name).value)


def preload() -> None:
    """Loads (creating if need be) every shared secret in a transaction of its own, as a
    server starts: a read-only use case then never writes one inside its snapshot, where
    two processes creating it at once would abort each other on PostgreSQL."""
    with db_proxy.connection_context(), db_proxy.atomic():
        shared_secret(PAGE_TOKEN_KEY)


def shared_secret(name: str) -> bytes:
    """The secret ``name`` of the open database, cached on the database object."""
    cache: dict[str, bytes] = db_proxy.obj.__dict__.setdefault("_wholesale_secrets", {})
    if name not in cache:
        cache[name] = _load_or_create(name)
    return cache[name]
