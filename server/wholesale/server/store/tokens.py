"""API tokens: random bearer secrets, stored only as SHA-256 hashes.

A token carries 256 bits of randomness, so a fast hash is enough: nobody can guess one
from its hash, and checking a token on every RPC stays cheap.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from wholesale.server.domain.clock import Clock, SystemClock
from wholesale.server.domain.principal import TOKEN_ROLES, Principal, Role
from wholesale.server.store.models import ApiToken

TOKEN_PREFIX = "wsk_"
# Valid tokens are remembered this long, so a revocation takes effect within this time
# on every server process while most calls skip the token query.
CACHE_SECONDS = 5.0
_recent: dict[str, tuple[Principal, float]] = {}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_SYSTEM_CLOCK = SystemClock()


def issue_token(role: str, subject: str, *, clock: Clock = _SYSTEM_CLOCK) -> str:
    """Stores a new token for ``subject`` with ``role`` and returns it; it is never shown again.

    Only the API roles: the system role belongs to the server's own work, never to a token."""
    checked_role = Role(role)
    if checked_role not in TOKEN_ROLES:
        raise ValueError(f"a token cannot carry the {role} role")
    if not subject or len(subject) > 100 or any(c.isspace() for c in subject):
        raise ValueError("subject must be 1 to 100 characters without spaces")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.create(
        token_hash=_hash(token),
        subject=subject,
        role=checked_role.value,
        create_time_us=clock.now_us(),
    )
    return token


def principal_for(token: str) -> Principal | None:
    """The principal a token stands for, or None when it is unknown or revoked."""
    token_hash = _hash(token)
    cached = _recent.get(token_hash)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    row = (
        ApiToken.select(ApiToken.subject, ApiToken.role)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoke_time_us.is_null())
        .first()
    )
    principal = Principal(row.subject, Role(row.role)) if row else None
    if principal:
        if len(_recent) > 10_000:
            _recent.clear()
        _recent[token_hash] = (principal, time.monotonic() + CACHE_SECONDS)
    return principal


def revoke_tokens(subject: str, *, clock: Clock = _SYSTEM_CLOCK) -> int:
    """Revokes every live token of ``subject``; returns how many."""
    _recent.clear()
    return (
        ApiToken.update(revoke_time_us=clock.now_us())
        .where(ApiToken.subject == subject, ApiToken.revoke_time_us.is_null())
        .execute()
    )
