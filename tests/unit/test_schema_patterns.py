"""Schema patterns are anchored at the true end of the text, as in ECMA-262 (JSON Schema's regex dialect).

Python's ``$`` also matches before a final newline: before the fix a phone number, a session id or a
co-browse tag with a trailing ``"\\n"`` passed its ``^...$`` pattern (found by the parser fuzz test).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaling.errors import InvalidMessage
from signaling.messages import parse_client_message
from signaling.schemas import ecma_pattern, validators


def schema_patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from schema_patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from schema_patterns(item)


END_ANCHORED = sorted(
    {p for v in validators().values() for p in schema_patterns(v.schema) if p.endswith("$")}
)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "callback_request", "phone": "+8613800000000\n"}, "phone"),
        ({"type": "hangup", "session_id": "abcdefgh12\n"}, "session_id"),
        ({"type": "offer_accept", "task_id": "task-0001\n"}, "task_id"),
        (
            {"type": "hello", "protocol": 1, "role": "customer", "callback_token": "A" * 20 + "\n"},
            "callback_token",
        ),
        (
            {"type": "join_queue", "display_name": "Ann", "business": "activation", "language": "zh\n"},
            "language",
        ),
    ],
)
def test_a_trailing_newline_does_not_pass_an_end_anchored_pattern(
    message: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidMessage) as refused:
        parse_client_message(json.dumps(message))
    assert field in refused.value.message
    assert "\n" not in refused.value.message  # the value is never echoed


def test_the_same_values_without_the_newline_pass() -> None:
    assert (
        parse_client_message('{"type":"callback_request","phone":"+8613800000000"}').phone == "+8613800000000"
    )
    assert parse_client_message('{"type":"hangup","session_id":"abcdefgh12"}').session_id == "abcdefgh12"


def test_flow_field_names_with_a_trailing_newline_are_refused() -> None:
    text = json.dumps(
        {"type": "flow_input", "session_id": "abcdefgh12", "kind": "consent", "fields": {"recording\n": True}}
    )
    with pytest.raises(InvalidMessage):
        parse_client_message(text)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("^[a-z]+$", "^[a-z]+\\Z"),
        ("^[$a]$", "^[$a]\\Z"),  # a `$` inside a class is a character
        ("^a\\$$", "^a\\$\\Z"),  # an escaped `$` is a character
        ("^[\\]$]x$", "^[\\]$]x\\Z"),  # an escaped `]` does not end the class
        ("\\S", "\\S"),
    ],
)
def test_ecma_pattern_rewrites_only_the_end_anchor(pattern: str, expected: str) -> None:
    assert ecma_pattern(pattern) == expected


@pytest.mark.parametrize("pattern", END_ANCHORED)
@settings(max_examples=20, derandomize=True, database=None)
@given(data=st.data())
def test_no_schema_pattern_accepts_a_match_followed_by_a_newline(pattern: str, data: st.DataObject) -> None:
    text = data.draw(st.from_regex(ecma_pattern(pattern), fullmatch=True))
    compiled = re.compile(ecma_pattern(pattern))
    assert compiled.search(text)
    assert not compiled.search(text + "\n")
