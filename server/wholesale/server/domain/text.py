"""Rules for free text from clients."""

from __future__ import annotations

import unicodedata

from wholesale.server.errors import Validator

# ERP identifiers (external_id of accounts, products, orders, invoices, payments).
MAX_EXTERNAL_ID = 100


def is_printable(text: str) -> bool:
    """True unless ``text`` holds a control character (NUL, escape, line breaks ...)."""
    return not any(unicodedata.category(char) == "Cc" for char in text)


def check_text(v: Validator, path: str, value: str, limit: int) -> None:
    """Length and printable characters: a NUL or other control character in a name is
    always a bug upstream, and PostgreSQL cannot store NUL at all."""
    if v.check(len(value) <= limit, path, f"at most {limit} characters (got {len(value)})"):
        v.check(is_printable(value), path, "must not contain control characters")


def check_token(v: Validator, path: str, value: str, limit: int) -> None:
    """An identifier such as an ERP id: :func:`check_text` and no white space."""
    check_text(v, path, value, limit)
    v.check(not any(c.isspace() for c in value), path, "must not contain spaces")


def check_required_external_id(v: Validator, path: str, value: str, what: str) -> None:
    """The ERP id an upserted record is keyed by: required, and a valid token."""
    if v.check(bool(value), path, f"required: the ERP's {what}"):
        check_token(v, path, value, MAX_EXTERNAL_ID)
