"""What one call is sent with: its deadline and its metadata, the client's own plus the
caller's.

Every method of :class:`wholesale.client.Client` that calls the server takes ``timeout=``
(seconds; replaces the client's default deadline for that call) and ``metadata=`` (extra
``(key, value)`` pairs such as ``("x-request-id", "...")``, sent after the client's own).
The extra metadata is checked here, before anything is sent, because gRPC answers a bad
key or value with a bare INTERNAL "Invalid metadata" that does not say which entry is
wrong, and because a second ``authorization`` entry would be ignored by the server (it
reads the first), so a caller who meant to act with another token would silently act
with the client's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wholesale.client.channel import Metadata

MetadataLike = Sequence[tuple[str, str]]
AUTHORIZATION = "authorization"
# gRPC's rules for text metadata: lower-case keys of these characters (keys ending in
# "-bin" carry bytes, not text) and printable ASCII values.
_KEY = re.compile(r"[0-9a-z_.-]+")
_VALUE = re.compile(r"[\x20-\x7e]*")
_KEY_RULE = "use lower-case letters, digits, '-', '_' and '.'"


@dataclass(frozen=True)
class CallOptions:
    """The deadline in seconds and the complete metadata of a call."""

    timeout: float
    metadata: Metadata


def extra_metadata(metadata: MetadataLike, *, sends_token: bool) -> Metadata:
    """The caller's metadata as a tuple of pairs, or ValueError naming the entry to fix.

    ``authorization`` is allowed only on a client made without a token, and only once, so
    that one client can act for several users, each call with its own token, while a
    client with a token can never send a second one by mistake."""
    entries = tuple(_pair(entry) for entry in metadata)
    authorizations = sum(key == AUTHORIZATION for key, _ in entries)
    if authorizations and sends_token:
        raise ValueError(
            "metadata must not carry 'authorization': this client already sends its token"
            " (to authorize each call yourself, create the Client without a token)"
        )
    if authorizations > 1:
        raise ValueError("metadata carries 'authorization' more than once: send one token")
    return entries


def _pair(entry: object) -> tuple[str, str]:
    if not (
        isinstance(entry, tuple | list)
        and len(entry) == 2
        and all(isinstance(part, str) for part in entry)
    ):
        raise ValueError(f"metadata must be (key, value) pairs of strings, not {entry!r}")
    key, value = entry
    if not _KEY.fullmatch(key):
        raise ValueError(f"metadata key {key!r} is not valid: {_KEY_RULE}")
    if key.startswith("grpc-") or key.endswith("-bin"):
        raise ValueError(
            f"metadata key {key!r} is not valid: 'grpc-' keys are reserved and '-bin' keys"
            " carry bytes; use a text key such as 'x-request-id'"
        )
    if not _VALUE.fullmatch(value):
        raise ValueError(
            f"metadata value of {key!r} is not valid: use printable ASCII characters only"
        )
    return key, value
