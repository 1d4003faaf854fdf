"""Opaque, tamper-proof page tokens for keyset pagination.

A token is the position after the last item of a page plus a digest of the query it
belongs to, signed with HMAC-SHA256. A client cannot forge a position or reuse a token
with another filter or order: either way it gets INVALID_ARGUMENT, never a wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from wholesale.server.errors import FieldViolation, InvalidArgument

_SIGNATURE_BYTES = 16


def _query_digest(query: dict[str, Any]) -> str:
    canonical = json.dumps(query, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_page_token(position: list[Any], query: dict[str, Any], key: bytes) -> str:
    body = json.dumps({"p": position, "q": _query_digest(query)}, separators=(",", ":")).encode()
    signature = hmac.digest(key, body, "sha256")[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(signature + body).decode().rstrip("=")


def _invalid(description: str) -> InvalidArgument:
    return InvalidArgument(
        f"invalid page_token: {description}",
        reason="INVALID_PAGE_TOKEN",
        violations=[FieldViolation("page_token", description)],
    )


def decode_page_token(token: str, query: dict[str, Any], key: bytes) -> list[Any]:
    """The position stored in ``token``; raises INVALID_ARGUMENT unless it is genuine
    and was issued for the same ``query``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError as exc:
        raise _invalid("not a token this server issued") from exc
    signature, body = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
    expected = hmac.digest(key, body, "sha256")[:_SIGNATURE_BYTES]
    if len(signature) != _SIGNATURE_BYTES or not hmac.compare_digest(signature, expected):
        raise _invalid("not a token this server issued")
    content = json.loads(body)
    if content["q"] != _query_digest(query):
        raise _invalid("the token belongs to a different filter, order_by or show_deleted")
    return content["p"]
