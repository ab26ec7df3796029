"""Parsing and validation of protocol v1 messages (docs/protocol.md, signaling/schemas/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signaling.errors import BadJson, InvalidMessage, UnknownType
from signaling.messages import (
    Answer,
    ErrorMessage,
    Hangup,
    Hello,
    Ice,
    JoinQueue,
    LeaveQueue,
    Offer,
    QueueUpdate,
    SessionEnded,
    SetState,
    Welcome,
    encode,
    parse_client_message,
)
from signaling.schemas import CLIENT_TYPES, SERVER_TYPES, validate, validators

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "signaling" / "schemas"
SID = "abcdEFGH1234_-xy"


def wire(**fields: object) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (wire(type="hello", protocol=1, role="customer"), Hello(role="customer")),
        (
            wire(type="hello", protocol=1, role="teller", username="teller1", password="pw"),
            Hello(role="teller", username="teller1", password="pw"),
        ),
        (
            wire(type="join_queue", display_name="王芳", business="activation"),
            JoinQueue(display_name="王芳", business="activation"),
        ),
        (wire(type="leave_queue"), LeaveQueue()),
        (wire(type="set_state", state="away", reason="lunch"), SetState(state="away", reason="lunch")),
        (wire(type="offer", session_id=SID, sdp="v=0\r\n"), Offer(session_id=SID, sdp="v=0\r\n")),
        (
            wire(type="ice", session_id=SID, candidate="candidate:1", sdp_mid="0", sdp_mline_index=0),
            Ice(session_id=SID, candidate="candidate:1", sdp_mid="0", sdp_mline_index=0),
        ),
        (wire(type="ice", session_id=SID, candidate=""), Ice(session_id=SID, candidate="")),
        (wire(type="hangup", session_id=SID), Hangup(session_id=SID)),
    ],
)
def test_valid_client_messages_parse_into_typed_values(text: str, expected: object) -> None:
    assert parse_client_message(text) == expected


@pytest.mark.parametrize("text", ["", "{", "nul", '{"type": "hello",}', "[" * 100_000])
def test_text_that_is_not_json_is_bad_json(text: str) -> None:
    with pytest.raises(BadJson):
        parse_client_message(text)


@pytest.mark.parametrize("text", ["[]", '"hello"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_bad_json(text: str) -> None:
    with pytest.raises(BadJson, match="object"):
        parse_client_message(text)


@pytest.mark.parametrize(
    "text",
    [
        wire(protocol=1, role="customer"),
        wire(type="HELLO", protocol=1, role="customer"),
        wire(type="welcome", protocol=1),  # a server message type
        wire(type=7),
        wire(type="drop_table"),
    ],
)
def test_missing_unknown_or_server_only_types_are_unknown_type(text: str) -> None:
    with pytest.raises(UnknownType):
        parse_client_message(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (wire(type="hello", protocol=2, role="customer"), "protocol"),
        (wire(type="hello", role="customer"), "protocol"),
        (wire(type="hello", protocol=1, role="root"), "role"),
        (wire(type="hello", protocol=1, role="customer", admin=True), "unexpected field(s) admin"),
        (wire(type="join_queue", display_name="", business="activation"), "display_name"),
        (wire(type="join_queue", display_name="   ", business="activation"), "display_name"),
        (wire(type="join_queue", display_name="x" * 65, business="activation"), "longer than 64"),
        (wire(type="join_queue", display_name="Ann", business="mortgage"), "business"),
        (wire(type="join_queue", display_name=["Ann"], business="activation"), "display_name"),
        (wire(type="set_state", state="in-call"), "state"),
        (wire(type="offer", session_id="../../etc", sdp="v=0"), "session_id"),
        (wire(type="offer", session_id=SID, sdp="v" * 70_000), "sdp"),
        (wire(type="ice", session_id=SID, candidate="c", sdp_mline_index=-1), "sdp_mline_index"),
        (wire(type="hangup"), "session_id"),
    ],
)
def test_schema_violations_name_the_field_and_never_echo_the_value(text: str, fragment: str) -> None:
    with pytest.raises(InvalidMessage) as caught:
        parse_client_message(text)
    assert fragment in caught.value.message
    assert caught.value.ref_type == json.loads(text)["type"]
    assert "xxxxxxxx" not in caught.value.message and "vvvvvvvv" not in caught.value.message


def test_secrets_do_not_appear_in_message_reprs() -> None:
    hello = Hello(role="teller", username="teller1", password="s3cret")
    offer = Offer(session_id=SID, sdp="v=0 c=IN IP4 192.0.2.7")
    assert "s3cret" not in repr(hello)
    assert "192.0.2.7" not in repr(offer)


def test_every_message_type_has_one_valid_schema_file() -> None:
    files = {p.stem for p in SCHEMA_DIR.glob("*.json")}
    assert files == CLIENT_TYPES | SERVER_TYPES
    assert set(validators()) == files
    for path in SCHEMA_DIR.glob("*.json"):
        schema = json.loads(path.read_text())
        assert schema["properties"]["type"] == {"const": path.stem}
        assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "message",
    [
        Welcome(
            role="teller", connection_id="c1", ice_servers=[], businesses=["activation"], display_name="Li"
        ),
        QueueUpdate(position=3, estimated_wait_seconds=120, business="activation"),
        SessionEnded(session_id=SID, reason="teller_lost"),
        Answer(session_id=SID, sdp="v=0"),
        ErrorMessage(code="bad_json", message="the message is not valid JSON"),
    ],
)
def test_server_messages_encode_to_their_schema(message: object) -> None:
    payload = json.loads(encode(message))  # type: ignore[arg-type]
    validate(payload["type"], payload)
