"""The filter language and page tokens, without a server."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholesale.server.domain.filters import Condition, parse_filter
from wholesale.server.domain.page_token import decode_page_token, encode_page_token
from wholesale.server.errors import InvalidArgument

FIELDS = {
    "status": frozenset({"=", "!="}),
    "name": frozenset({":"}),
    "tags": frozenset({":"}),
}
KEY = b"k" * 32


def test_conditions_joined_by_and_with_quoted_values() -> None:
    parsed = parse_filter('status = ACTIVE AND name : "Corner \\"Shop\\"" AND tags:organic', FIELDS)
    assert parsed == [
        Condition("status", "=", "ACTIVE"),
        Condition("name", ":", 'Corner "Shop"'),
        Condition("tags", ":", "organic"),
    ]


def test_empty_filter_has_no_conditions() -> None:
    assert parse_filter("   ", FIELDS) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("status", "expected FIELD OPERATOR VALUE"),
        ("status = ", "expected FIELD OPERATOR VALUE"),
        ("colour = red", "unknown field 'colour'"),
        ("status : ACTIVE", "status takes != or ="),
        ("status = A OR name : b", "OR is not supported"),
        ("status = A AND", "got nothing"),
        ('status = "open', "unexpected text"),
    ],
)
def test_bad_filters_name_the_problem(text: str, says: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_filter(text, FIELDS)
    assert caught.value.violations[0].field == "filter"
    assert says in caught.value.violations[0].description


@given(st.text(max_size=40))
def test_any_text_either_parses_or_is_invalid_argument(text: str) -> None:
    try:
        conditions = parse_filter(text, FIELDS)
    except InvalidArgument:
        return
    assert all(c.field in FIELDS and c.op in FIELDS[c.field] for c in conditions)


QUERY = {"filter": "status = ACTIVE", "order_by": "create_time"}


@given(st.lists(st.one_of(st.integers(), st.text(max_size=20)), max_size=3))
def test_token_round_trips_its_position(position: list) -> None:
    assert decode_page_token(encode_page_token(position, QUERY, KEY), QUERY, KEY) == position


def test_token_for_another_query_is_refused() -> None:
    token = encode_page_token(["b", 2], QUERY, KEY)
    with pytest.raises(InvalidArgument) as caught:
        decode_page_token(token, {**QUERY, "filter": ""}, KEY)
    assert caught.value.reason == "INVALID_PAGE_TOKEN"


def _decoded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


@given(st.data())
def test_any_altered_token_is_refused(data: st.DataObject) -> None:
    token = encode_page_token(["corner shop", 41], QUERY, KEY)
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("AbZ09-_"))
    forged = token[:index] + replacement + token[index + 1 :]
    if _decoded(forged) == _decoded(token):
        return  # only unused padding bits changed: the same token, not a forgery
    with pytest.raises(InvalidArgument) as caught:
        decode_page_token(forged, QUERY, KEY)
    assert caught.value.violations[0].field == "page_token"


def test_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        decode_page_token(encode_page_token([1], QUERY, b"x" * 32), QUERY, KEY)
