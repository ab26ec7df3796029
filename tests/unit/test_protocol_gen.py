"""The protocol is declared once, in the message dataclasses; the JSON Schemas and the pages' protocol.js
are derived from them (``python -m signaling.protocol_gen``) and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from signaling import protocol_gen
from signaling.businesses import BUSINESSES, CUSTOMER_BUSINESSES, FIELD_BUSINESSES
from signaling.errors import InvalidMessage
from signaling.messages import CLIENT_CLASSES, SERVER_CLASSES, encode, parse_client_message
from signaling.schemas import validators

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_schemas_and_protocol_js_are_what_the_dataclasses_generate() -> None:
    stale = protocol_gen.stale(ROOT)
    assert not stale, f"run `python -m signaling.protocol_gen`; stale: {', '.join(map(str, stale))}"


def test_a_stale_or_stray_file_is_found(tmp_path: Path) -> None:
    for path, text in protocol_gen.outputs().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    assert protocol_gen.stale(tmp_path) == []
    hello = tmp_path / protocol_gen.SCHEMA_DIR / "hello.json"
    hello.write_text(hello.read_text().replace('"maxLength": 64', '"maxLength": 65'), encoding="utf-8")
    (tmp_path / protocol_gen.SCHEMA_DIR / "gone.json").write_text("{}", encoding="utf-8")
    (tmp_path / protocol_gen.JS_MODULE).unlink()
    assert protocol_gen.stale(tmp_path) == sorted(
        [
            protocol_gen.SCHEMA_DIR / "gone.json",
            protocol_gen.SCHEMA_DIR / "hello.json",
            protocol_gen.JS_MODULE,
        ]
    )


def test_every_message_class_has_a_valid_schema_and_every_schema_a_class() -> None:
    types = {cls.TYPE for cls in (*CLIENT_CLASSES, *SERVER_CLASSES)}
    assert set(protocol_gen.schemas()) == types == set(validators())
    for schema in protocol_gen.schemas().values():
        Draft202012Validator.check_schema(schema)


def test_patterns_match_the_whole_value_up_to_the_true_end() -> None:
    frame = {"type": "hangup", "session_id": "sess_0001"}
    parse_client_message(json.dumps(frame))
    for bad in ("sess_0001\n", "sess_0001 ", "x/sess_0001"):
        with pytest.raises(InvalidMessage, match="session_id"):
            parse_client_message(json.dumps({**frame, "session_id": bad}))


def test_optional_server_fields_are_left_out_and_required_nullable_ones_sent_as_null() -> None:
    from signaling.messages import TellerStateChanged
    from signaling.verification_messages import VerificationReview

    assert json.loads(encode(TellerStateChanged("available"))) == {
        "type": "teller_state",
        "state": "available",
    }
    review = VerificationReview(
        "sess_0001", "attempt_01", None, 0.45, 0.55, None, None, [], ["matches_reference"], [], False
    )
    payload = json.loads(encode(review))
    assert payload["distance"] is None and payload["reference_image"] is None
    validators()["verification_review"].validate(payload)


def test_the_pages_get_the_business_types_and_message_types_from_the_generated_module() -> None:
    text = protocol_gen.javascript()
    for name, values in (
        ("BUSINESSES", BUSINESSES),
        ("CUSTOMER_BUSINESSES", CUSTOMER_BUSINESSES),
        ("FIELD_BUSINESSES", FIELD_BUSINESSES),
    ):
        assert f"export const {name} = Object.freeze([" in text
        start = text.index(f"export const {name} = ")
        listed = text[start : text.index("]);", start)]
        assert [v for v in BUSINESSES if f"'{v}'" in listed] == list(values)
    for cls in (*CLIENT_CLASSES, *SERVER_CLASSES):
        assert f"@property {{'{cls.TYPE}'}} type" in text
    assert set(CUSTOMER_BUSINESSES) | set(FIELD_BUSINESSES) == set(BUSINESSES)
