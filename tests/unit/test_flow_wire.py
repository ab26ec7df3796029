"""Wire forms: client payloads parsed into typed inputs (secrets wrapped at once), reports into the
protocol's flow_state and flow_message."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from signaling.flow_messages import FlowStatus as WireFlowStatus
from signaling.flow_messages import StepState as WireStepState
from signaling.messages import encode
from signaling.schemas import validate
from tests.unit.test_flow_common import PENSIONER_ID, Driver
from video_bank.core_banking import demo
from video_bank.core_banking.models import CardReviewReason, Secret
from video_bank.flows.executor import FlowReport
from video_bank.flows.inputs import (
    CardReviewed,
    DetailsEntered,
    FlowInputError,
    IdentityClaimed,
    Rated,
    SecretEntered,
    WrapUpChosen,
)
from video_bank.flows.outputs import Audience, Message
from video_bank.flows.steps import Actor, Disposition, FlowStatus, StepState
from video_bank.flows.wire import CLIENT_INPUTS, flow_message, flow_state, parse_input

AT = 1_795_000_000.0
SESSION = "sess_wire_0001"


def test_a_pin_pad_payload_becomes_secrets_at_once() -> None:
    event = parse_input(
        "secret_entered", {"secret": "385921", "confirmation": "385921"}, at=AT, actor=Actor.CUSTOMER
    )
    assert isinstance(event, SecretEntered)
    assert isinstance(event.secret, Secret) and event.secret.reveal() == "385921"
    assert "385921" not in repr(event)


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("identify", {"resident_id": PENSIONER_ID}, IdentityClaimed),
        ("details_entered", {"phone": "13812345678", "address": None}, DetailsEntered),
        ("rated", {"score": 5}, Rated),
        ("wrap_up", {"code": "resolved"}, WrapUpChosen),
        ("card_reviewed", {"card_id": "ssc_1", "approve": False, "reason": "customer_absent"}, CardReviewed),
    ],
)
def test_client_payloads_become_typed_inputs(kind: str, fields: dict[str, object], expected: type) -> None:
    event = parse_input(kind, fields, at=AT, actor=Actor.TELLER, actor_name="teller1")
    assert isinstance(event, expected)
    assert (event.at, event.actor, event.actor_name) == (AT, Actor.TELLER, "teller1")


def test_enums_are_converted() -> None:
    review = parse_input(
        "card_reviewed",
        {"card_id": "c", "approve": True, "reason": "identity_confirmed"},
        at=AT,
        actor=Actor.TELLER,
    )
    assert isinstance(review, CardReviewed) and review.reason is CardReviewReason.IDENTITY_CONFIRMED
    wrap = parse_input("wrap_up", {"code": "follow_up"}, at=AT, actor=Actor.TELLER)
    assert isinstance(wrap, WrapUpChosen) and wrap.code is Disposition.FOLLOW_UP


@pytest.mark.parametrize(
    ("kind", "fields", "problem"),
    [
        ("verification_decided", {}, "unknown flow input"),
        ("command_completed", {"command_id": 1}, "unknown flow input"),
        ("session_ended", {"reason": "x"}, "unknown flow input"),
        ("consent", {"recording": True}, "needs biometric"),
        ("consent", {"recording": "yes", "biometric": True}, "recording must be true or false"),
        ("consent", {"recording": True, "biometric": True, "extra": 1}, "unknown field"),
        ("rated", {"score": 5.0}, "score must be a whole number"),
        ("rated", {"score": 9}, "score must be 1 to 5"),
        ("wrap_up", {"code": "gone"}, "code must be one of"),
        ("secret_entered", {"secret": 385921, "confirmation": "385921"}, "secret must be text"),
    ],
)
def test_bad_payloads_are_refused_naming_the_field_never_its_value(
    kind: str, fields: dict[str, object], problem: str
) -> None:
    with pytest.raises(FlowInputError, match=problem) as caught:
        parse_input(kind, fields, at=AT, actor=Actor.CUSTOMER)
    assert "385921" not in str(caught.value)


def test_the_server_never_takes_a_client_input_as_its_own() -> None:
    with pytest.raises(FlowInputError):
        parse_input("consent", {"recording": True, "biometric": True}, at=AT, actor=Actor.SYSTEM)
    assert not {"verification_decided", "customer_looked_up", "command_failed"} & set(CLIENT_INPUTS)


def test_reports_and_messages_become_the_protocol_messages_each_party_is_sent() -> None:
    driver = Driver("activation")
    driver.verified()
    message = Message(Audience.TELLER, "confirm_card", "Confirm.", {"cards": [demo.PENSIONER_CARD.masked()]})
    leg, sent = flow_message(SESSION, message)
    payload = json.loads(encode(sent))
    validate("flow_message", payload)
    assert leg == "teller" and payload["data"]["cards"][0]["number"] == "****1016"
    flow = driver.flow
    report = FlowReport(flow.status, flow.step, flow.outcome, (), None, (), flow.checklist(), flow.expected())
    teller = flow_state(SESSION, flow.business, report, Actor.TELLER)
    customer = flow_state(SESSION, flow.business, report, flow.customer_side)
    state = json.loads(encode(teller))
    validate("flow_state", state)
    assert state["step"] == "confirm_card"
    assert {"step": "verification", "state": "done"} in state["steps"]
    assert "card_confirmed" in teller.expected and "card_confirmed" not in customer.expected


def test_the_wire_vocabularies_are_the_flows_own() -> None:
    sent = {s.value for s in FlowStatus} - {FlowStatus.NOT_STARTED.value}  # the desk starts flows at once
    assert sent == set(get_args(WireFlowStatus))
    assert {s.value for s in StepState} == set(get_args(WireStepState))
    assert all(cls.kind == kind for kind, cls in CLIENT_INPUTS.items())
