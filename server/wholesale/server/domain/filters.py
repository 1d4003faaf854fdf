"""The List ``filter`` language: conditions joined by AND (a subset of AIP-160).

    status = ACTIVE AND price_tier = "gold" AND tags : "organic" AND name : "corner"

Each resource says which fields it accepts and with which operators; anything else is an
INVALID_ARGUMENT on ``filter`` that says what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wholesale.server.domain.text import is_printable
from wholesale.server.errors import FieldViolation, InvalidArgument

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>!=|>=|<=|=|:|>|<)
      | (?P<word>[A-Za-z0-9_.\-@]+)
    )""",
    re.VERBOSE,
)
MAX_FILTER_LENGTH = 1000


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str


def _invalid(description: str) -> InvalidArgument:
    return InvalidArgument(
        f"invalid filter: {description}",
        violations=[FieldViolation("filter", description)],
    )


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _invalid(f"unexpected text at position {position}: {text[position:][:20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        position = match.end()
    return tokens


def parse_filter(text: str, allowed: dict[str, frozenset[str]]) -> list[Condition]:
    """Parses ``text``; ``allowed`` maps each filterable field to its operators."""
    if len(text) > MAX_FILTER_LENGTH:
        raise _invalid(f"at most {MAX_FILTER_LENGTH} characters")
    if not is_printable(text.replace("\t", " ").replace("\n", " ")):
        raise _invalid("must not contain control characters")
    tokens = _tokens(text)
    if not tokens:
        return []
    clauses: list[list[tuple[str, str]]] = [[]]
    for token in tokens:
        if token == ("word", "AND"):
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [_condition(clause, allowed) for clause in clauses]


def _condition(clause: list[tuple[str, str]], allowed: dict[str, frozenset[str]]) -> Condition:
    fields_help = ", ".join(sorted(allowed))
    if len(clause) > 3 and clause[3][0] == "word" and clause[3][1].upper() in ("OR", "AND"):
        raise _invalid("conditions are joined by AND (in capitals); OR is not supported")
    if len(clause) != 3 or clause[0][0] != "word" or clause[1][0] != "op":
        shown = " ".join(value for _, value in clause) or "nothing"
        raise _invalid(f"expected FIELD OPERATOR VALUE such as status = ACTIVE, got {shown}")
    (_, name), (_, op), (kind, value) = clause
    if kind == "op":
        raise _invalid(f"missing value after {name} {op}")
    if name not in allowed:
        raise _invalid(f"unknown field {name!r}; filterable fields: {fields_help}")
    if op not in allowed[name]:
        raise _invalid(f"{name} takes {' or '.join(sorted(allowed[name]))}, not {op}")
    return Condition(name, op, value)
