"""Strict JSON at the boundary: what Python's json accepts but other peers cannot represent is refused."""

from __future__ import annotations

import json

import pytest

from signaling.errors import BadJson, InvalidMessage
from signaling.messages import ErrorMessage, JoinQueue, encode, parse_client_message
from signaling.strict_json import StrictJsonError, find_unsafe_name, is_valid_text, loads


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_refused(literal: str) -> None:
    with pytest.raises(StrictJsonError, match=r"finite|not a JSON number"):
        loads('{"window_end": ' + literal + "}")


def test_a_number_too_long_to_convert_is_refused_not_raised_as_a_bug() -> None:
    with pytest.raises(StrictJsonError, match="longer than"):
        loads('{"n": ' + "9" * 4301 + "}")
    with pytest.raises(StrictJsonError):
        loads("[" + "1" * 100 + ".5]")


def test_lone_surrogates_are_refused_and_the_field_is_named() -> None:
    with pytest.raises(StrictJsonError) as refused:
        loads('{"a": {"display_name": "Ann\\ud800"}}')
    assert refused.value.where == "a.display_name"
    with pytest.raises(StrictJsonError) as in_key:
        loads('{"\\udfff": 1}')
    assert in_key.value.where == "<invalid key>"
    with pytest.raises(StrictJsonError) as in_list:
        loads('{"xs": ["ok", "\\udc00"]}')
    assert in_list.value.where == "xs.1"


def test_real_unicode_including_pairs_of_surrogate_escapes_is_accepted() -> None:
    value = loads('{"name": "王小明 \\ud83d\\ude00", "n": 1.5, "m": -3}')
    assert value == {"name": "王小明 😀", "n": 1.5, "m": -3}
    assert is_valid_text(value["name"]) and not is_valid_text("\ud800")


def test_malformed_and_too_deep_json_is_a_strict_json_error() -> None:
    for text in ("{not json", "[" * 100_000, b"\xff\xfe"):
        with pytest.raises(StrictJsonError):
            loads(text)


def test_names_with_controls_or_direction_overrides_are_found() -> None:
    assert find_unsafe_name("Ann Lee") is None
    assert find_unsafe_name("王小明") is None
    assert find_unsafe_name("Ann\nLee") == "\n"
    assert find_unsafe_name("Ann\u202eeel") == "\u202e"
    assert find_unsafe_name("x\u0085") == "\u0085"


def test_a_surrogate_in_a_display_name_is_an_invalid_join_queue() -> None:
    frame = '{"type":"join_queue","display_name":"\\ud800","business":"activation"}'
    with pytest.raises(InvalidMessage) as refused:
        parse_client_message(frame)
    assert refused.value.ref_type == "join_queue"
    assert "display_name" in refused.value.message and "\ud800" not in refused.value.message


@pytest.mark.parametrize("name", ["Ann\x00", "Ann\tLee", "\u202eeeT", "Ann\u2028Lee"])
def test_control_and_bidi_characters_in_a_display_name_are_refused(name: str) -> None:
    frame = json.dumps({"type": "join_queue", "display_name": name, "business": "activation"})
    with pytest.raises(InvalidMessage, match="display_name contains control or direction characters"):
        parse_client_message(frame)


def test_a_nan_call_back_window_is_bad_json_before_anything_reads_it() -> None:
    with pytest.raises(BadJson, match=r"finite|not a JSON number"):
        parse_client_message('{"type":"callback_request","phone":"+8613800000000","window_end":NaN}')


def test_a_huge_number_before_hello_is_bad_json() -> None:
    with pytest.raises(BadJson):
        parse_client_message('{"type":"hello","protocol":' + "1" * 5000 + ',"role":"customer"}')


def test_a_good_name_still_parses() -> None:
    message = parse_client_message(
        json.dumps({"type": "join_queue", "display_name": "王 小明", "business": "activation"})
    )
    assert isinstance(message, JoinQueue) and message.display_name == "王 小明"


def test_encoding_never_yields_text_a_socket_cannot_write() -> None:
    text = encode(ErrorMessage("x", "broken \ud800 text"))
    text.encode("utf-8")  # would raise UnicodeEncodeError had the surrogate been kept raw
    assert json.loads(text)["message"] == "broken \ud800 text"
    with pytest.raises(ValueError, match=r"JSON compliant|Out of range"):
        encode(ErrorMessage("x", "y", float("nan")))  # type: ignore[arg-type]
