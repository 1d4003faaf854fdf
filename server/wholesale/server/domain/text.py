"""Rules for free text from clients."""

from __future__ import annotations

import unicodedata


def is_printable(text: str) -> bool:
    """True unless ``text`` holds a control character (NUL, escape, line breaks ...)."""
    return not any(unicodedata.category(char) == "Cc" for char in text)
