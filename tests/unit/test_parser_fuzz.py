"""Fuzzing the protocol parser: whatever a client sends, :func:`parse_client_message` returns a typed
message or raises the protocol's own error (:class:`~signaling.errors.PeerError`), never anything else.

The inputs come from the JSON Schemas (tests/support/schema_fuzz.py): valid messages, mutated ones and
broken JSON text. Derandomized and without a example database, so every run (and CI) checks the same
2,000 cases.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signaling.errors import BadJson, InvalidMessage, PeerError, UnknownType
from signaling.messages import NAME_FIELDS, parse_client_message
from signaling.schemas import CLIENT_TYPES
from signaling.strict_json import find_unsafe_name, is_valid_text
from tests.support.schema_fuzz import CLIENT_TYPE_NAMES, HostileText, hostile_text, to_json, valid_message

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PARSE_ERRORS = (BadJson, UnknownType, InvalidMessage)
"""What parsing alone may refuse with (state, role and session are the switchboard's)."""
MAX_ERROR_TEXT = 400
"""An error's text names the rule and the field; it never carries the client's value."""


def parse_or_refuse(text: str) -> Any:
    """The parsed message, or the refusal; any other exception fails the test."""
    try:
        return parse_client_message(text)
    except PeerError as error:
        refused = error
    assert isinstance(refused, PARSE_ERRORS), f"parsing raised {type(refused).__name__}"
    return refused


def values(node: Any) -> list[Any]:
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [v for f in dataclasses.fields(node) for v in values(getattr(node, f.name))]
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in (k, *values(v))]
    if isinstance(node, list | tuple):
        return [x for v in node for x in values(v)]
    return [node]


def assert_safe(result: Any) -> None:
    """A parsed message holds only text that every peer can encode and finite numbers; a refusal
    is short, encodable plain text."""
    if isinstance(result, PeerError):
        assert is_valid_text(result.message) and result.message.isprintable()
        assert len(result.message) <= MAX_ERROR_TEXT
        assert result.ref_type is None or result.ref_type in CLIENT_TYPES
        return
    assert result.TYPE in CLIENT_TYPES
    for value in values(result):
        if isinstance(value, str):
            assert is_valid_text(value)
        elif isinstance(value, float):
            assert math.isfinite(value)
    for name in NAME_FIELDS:
        value = getattr(result, name, None)
        assert not isinstance(value, str) or find_unsafe_name(value) is None


@settings(FUZZ, max_examples=1500)
@given(hostile_text())
def test_hostile_text_is_parsed_or_refused_with_a_protocol_error(made: HostileText) -> None:
    assert_safe(parse_or_refuse(made.text))


@settings(FUZZ, max_examples=300)
@given(st.sampled_from(CLIENT_TYPE_NAMES).flatmap(lambda t: st.tuples(st.just(t), valid_message(t))))
def test_a_message_its_schema_accepts_parses_to_its_type_or_is_refused_as_invalid(
    case: tuple[str, dict[str, Any]],
) -> None:
    message_type, message = case
    result = parse_or_refuse(to_json(message, ascii_only=False))
    assert_safe(result)
    if isinstance(result, PeerError):
        # Rules beyond the schema (names without control characters, fields that go together).
        assert isinstance(result, InvalidMessage) and result.ref_type == message_type
    else:
        assert message_type == result.TYPE


@settings(FUZZ, max_examples=200)
@given(st.text(max_size=200))
def test_any_text_at_all_is_parsed_or_refused_with_a_protocol_error(text: str) -> None:
    assert_safe(parse_or_refuse(text))


# Found by the fuzzing above: an unexpected field's name went into the error as sent (a bidi override,
# a control character, any length), and so into the client's console and any log of the error.
def test_an_error_names_unexpected_fields_only_by_plain_names() -> None:
    text = to_json({"type": "leave_queue", "\u202eevil": 1, "\x1b[31m": 2, "x" * 5000: 3, "ok_name": 4}, True)
    refused = parse_or_refuse(text)
    assert isinstance(refused, InvalidMessage)
    assert refused.message == "leave_queue: unexpected field(s) <invalid key>, ok_name"
    many = parse_or_refuse(to_json({"type": "leave_queue", **{f"f{n}": n for n in range(1000)}}, True))
    assert len(many.message) < 100


def test_an_error_names_the_path_to_a_bad_value_only_by_plain_names() -> None:
    refused = parse_or_refuse(to_json({"type": "leave_queue", "\u202eevil": {"ok": "\ud800"}}, True))
    assert isinstance(refused, InvalidMessage)
    assert refused.message.startswith("field <invalid key>.ok: ")
