"""Business flows over real WebSockets against the real app: the server asks for consent as the call
opens, takes each side's inputs with the role of its connection, refuses every step sent before its
turn, and leaves core banking untouched unless the whole flow ran."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.support.flows import core_banking_rows, flow_input, flow_until, refused, state_at
from tests.support.media_party import Party
from video_bank import appkeys
from video_bank.config import Settings
from video_bank.core_banking import demo
from video_bank.core_banking.pin_keyring import load_keyring
from video_bank.core_banking.store import CoreBankingStore

BUSINESS_INPUTS: dict[str, tuple[str, ...]] = {
    "activation": ("card_confirmed", "secret_entered"),
    "password_reset": ("account_confirmed", "secret_entered"),
    "info_update": ("details_entered", "details_reviewed"),
    "corporate_willingness": (
        "application_chosen",
        "question_answered",
        "answer_confirmed",
        "final_confirmation",
        "willingness_rejected",
    ),
    "card_review": ("card_reviewed",),
}
"""The business steps' inputs of each flow."""
CUSTOMER_FOR = {
    "activation": demo.PENSIONER,
    "password_reset": demo.ACCOUNT_HOLDER,
    "info_update": demo.ACCOUNT_HOLDER,
    "corporate_willingness": demo.LEGAL_REP,
    "card_review": demo.ACCOUNT_HOLDER,
}
TELLER_FOR = {
    "activation": "teller1",
    "password_reset": "teller2",
    "info_update": "teller1",
    "corporate_willingness": "teller2",
    "card_review": "teller2",
}
"""A demo teller skilled enough to be offered the business at once."""
TELLER_SENDS = frozenset(
    {
        "review_resolved",
        "card_confirmed",
        "account_confirmed",
        "details_reviewed",
        "application_chosen",
        "answer_confirmed",
        "willingness_rejected",
        "card_reviewed",
        "wrap_up",
    }
)
SAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "review_resolved": {"accept": True, "reason": "seen clearly"},
    "card_confirmed": {"card_id": demo.PENSIONER_CARD.id},
    "account_confirmed": {"account_id": demo.DEBIT_ACCOUNT_ID},
    "secret_entered": {"secret": "385921", "confirmation": "385921"},
    "details_entered": {"phone": "13800138000"},
    "details_reviewed": {"approve": True},
    "application_chosen": {"application_id": demo.APPLICATION.id},
    "question_answered": {"question_id": "identity_and_role", "answer": True},
    "answer_confirmed": {"question_id": "identity_and_role", "confirmed": True},
    "final_confirmation": {"confirm": True},
    "willingness_rejected": {"reason": "coached by someone off camera"},
    "card_reviewed": {"card_id": demo.FIELD_CARD.id, "approve": True, "reason": "identity_confirmed"},
    "rated": {"score": 5},
    "wrap_up": {"code": "resolved"},
}
"""Well-formed fields for each input: a refusal then comes from the flow, not from parsing."""


@pytest.fixture
async def bank(client: TestClient, settings: Settings) -> Path:
    """The demo customers seeded into the running app's database; its path."""
    vault = load_keyring(settings, create=False).vault()  # the app's, written at its start
    await demo.seed_demo_customers(
        await CoreBankingStore.open(client.app[appkeys.STORAGE]), vault, time.time()
    )
    return settings.sqlite_path


async def open_flow(party: PartyFactory, business: str, *, field: bool = False) -> tuple[Party, Party]:
    """A teller and a customer (or field officer) in a call for ``business``, both told to start with
    consent."""
    teller = await party("teller", TELLER_FOR[business])
    await teller.send(type="set_state", state="available", auto_accept=True)
    await teller.expect("teller_state")
    customer = await (party("field", "field1") if field else party("customer"))
    await customer.send(type="join_queue", display_name="Wang Xiulan", business=business)
    customer.started = await customer.until("session_started")
    customer.session_id = customer.started["session_id"]
    teller.started = await teller.until("session_started")
    teller.session_id = teller.started["session_id"]
    consent = await flow_until(customer, "flow_message", "consent_request")
    assert set(consent["data"]) == {"recording", "biometric"}
    assert (await state_at(customer, "consent"))["expected"] == ["consent"]
    assert (await state_at(teller, "consent"))["expected"] == ["cancelled"]
    return customer, teller


async def consent_and_identify(customer: Party, teller: Party, business: str) -> dict[str, Any]:
    """Consent on the customer side, ID number typed there; the teller's profile message."""
    await flow_input(customer, "consent", recording=True, biometric=True)
    await state_at(customer, "identification")
    await flow_input(customer, "identify", resident_id=CUSTOMER_FOR[business].resident_id.number)
    profile = await flow_until(teller, "flow_message", "customer_profile")
    required = await flow_until(teller, "flow_message", "verification_required")
    assert required["data"]["customer_id"] == profile["data"]["customer"]["id"]
    await state_at(teller, "verification")
    return profile


async def expect_refused(party: Party, kind: str, code: str) -> None:
    await flow_input(party, kind, **SAMPLE_FIELDS[kind])
    await refused(party, code)


@pytest.mark.parametrize("business", list(BUSINESS_INPUTS))
async def test_every_step_sent_before_its_turn_is_refused_and_core_banking_is_unchanged(
    party: PartyFactory, bank: Path, business: str
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await open_flow(party, business, field=business == "card_review")
    steps = BUSINESS_INPUTS[business]
    others = [k for k in SAMPLE_FIELDS if k not in steps and k not in ("rated", "wrap_up", "review_resolved")]

    for kind in steps:  # before consent
        await expect_refused(teller if kind in TELLER_SENDS else customer, kind, "consent_required")
    await expect_refused(teller, "review_resolved", "not_allowed")  # only through verification_resolve
    for kind in others:  # never part of this business
        await expect_refused(teller if kind in TELLER_SENDS else customer, kind, "not_in_this_business")
    await expect_refused(customer, "rated", "flow_in_progress")
    await expect_refused(teller, "wrap_up", "flow_in_progress")

    profile = await consent_and_identify(customer, teller, business)
    assert profile["data"]["customer"]["id"] == CUSTOMER_FOR[business].id
    for kind in steps:  # identified, not verified
        await expect_refused(teller if kind in TELLER_SENDS else customer, kind, "verification_required")
    await expect_refused(teller, "review_resolved", "not_allowed")

    await customer.send(type="hangup", session_id=customer.session_id)
    await customer.until("session_ended")
    assert core_banking_rows(bank) == before


async def test_the_role_comes_from_the_connection_never_from_the_message(
    party: PartyFactory, bank: Path
) -> None:
    customer, teller = await open_flow(party, "activation")
    await expect_refused(teller, "rated", "wrong_actor")
    await flow_input(teller, "consent", recording=True, biometric=True, role="customer")
    error = await flow_until(teller, "error")
    assert error["code"] == "invalid_message"
    await flow_input(teller, "consent", recording=True, biometric=True)
    await refused(teller, "wrong_actor")
    await expect_refused(customer, "card_confirmed", "wrong_actor")
    await customer.send(
        type="flow_input", session_id=customer.session_id, kind="verification_decided", fields={}
    )
    assert (await flow_until(customer, "error"))["code"] == "invalid_message"


async def test_without_consent_the_customer_is_sent_to_a_branch_and_core_banking_is_unchanged(
    party: PartyFactory, bank: Path, client: TestClient
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await open_flow(party, "activation")
    await flow_input(customer, "consent", recording=True, biometric=False)
    await flow_until(customer, "flow_message", "branch_instructions")
    declined = await state_at(customer, None, "declined")
    assert declined["outcome"] == "consent_refused"
    assert declined["expected"] == ["rated"]
    finished = await flow_until(teller, "flow_message", "flow_finished")
    assert finished["data"]["suggested_disposition"] == "customer_declined"
    await flow_input(customer, "identify", resident_id=demo.PENSIONER.resident_id.number)
    await refused(customer, "flow_finished")

    await flow_input(customer, "rated", score=4, comment="kind teller")
    await flow_input(teller, "wrap_up", code="customer_declined")
    await state_at(teller, None, "declined")
    assert core_banking_rows(bank) == before

    await customer.send(type="hangup", session_id=customer.session_id)
    await customer.until("session_ended")
    store = await CoreBankingStore.open(client.app[appkeys.STORAGE])
    assert customer.session_id is not None
    feedback = await store.feedback(customer.session_id)
    assert feedback is not None
    assert (feedback.rating, feedback.comment, feedback.disposition, feedback.disposition_by) == (
        4,
        "kind teller",
        "customer_declined",
        TELLER_FOR["activation"],
    )
    kinds = [e.kind for e in await client.app[appkeys.STORAGE].events(customer.session_id)]
    assert kinds[0] == "session_started"
    assert kinds.index("flow_started") < kinds.index("flow_consent_recorded") < kinds.index("session_ended")
    metrics = await (await client.get("/metrics")).text()
    assert "video_bank_satisfaction 1.0" in metrics
    assert "video_bank_first_contact_resolution 0.0" in metrics
    assert 'video_bank_wrap_up_dispositions_total{code="customer_declined"} 1.0' in metrics


async def test_a_field_officer_logs_in_and_acts_for_the_customer_in_a_card_review(
    party: PartyFactory, bank: Path
) -> None:
    field, teller = await open_flow(party, "card_review", field=True)
    profile = await consent_and_identify(field, teller, "card_review")
    assert profile["data"]["customer"]["id"] == demo.ACCOUNT_HOLDER.id
    assert profile["data"]["customer"]["resident_id"] == demo.ACCOUNT_HOLDER.resident_id.masked


async def test_a_session_ending_mid_flow_abandons_it(
    party: PartyFactory, bank: Path, client: TestClient
) -> None:
    customer, teller = await open_flow(party, "info_update")
    await teller.send(type="hangup", session_id=teller.session_id)
    await teller.until("session_ended")
    assert customer.session_id is not None
    events = await client.app[appkeys.STORAGE].events(customer.session_id)
    finished = [e for e in events if e.kind == "flow_finished"]
    assert [(e.data["status"], e.data["reason"]) for e in finished] == [("abandoned", "teller_hangup")]


@pytest.mark.parametrize("hangs_up", ["customer", "teller"])
async def test_after_either_side_hangs_up_the_teller_records_the_wrap_up_code_while_wrapping_up(
    party: PartyFactory, bank: Path, client: TestClient, hangs_up: str
) -> None:
    customer, teller = await open_flow(party, "activation")
    await consent_and_identify(customer, teller, "activation")
    leaving = customer if hangs_up == "customer" else teller
    await leaving.send(type="hangup", session_id=leaving.session_id)
    # Before session_ended the teller gets the flow's end and the code still expected of them.
    wrap_up = await flow_until(teller, "flow_message", "wrap_up")
    assert wrap_up["data"]["suggested"] == "customer_disconnected"
    ended = await state_at(teller, None, "abandoned")
    assert ended["expected"] == ["wrap_up"]
    await teller.until("session_ended")
    assert (await teller.until("teller_state"))["state"] == "wrap-up"

    await flow_input(teller, "cancelled", reason="too late")
    await refused(teller, "not_allowed")
    await flow_input(teller, "wrap_up", code="customer_disconnected")
    recorded = await state_at(teller, None, "abandoned")
    assert recorded["expected"] == []
    store = await CoreBankingStore.open(client.app[appkeys.STORAGE])
    assert teller.session_id is not None
    feedback = await store.feedback(teller.session_id)
    assert feedback is not None
    assert (feedback.disposition, feedback.disposition_by) == ("customer_disconnected", "teller1")
    await flow_input(teller, "wrap_up", code="resolved")
    await refused(teller, "not_available")

    await teller.send(type="wrap_up_done")
    assert (await teller.until("teller_state"))["state"] == "available"
    await flow_input(teller, "wrap_up", code="resolved")
    await refused(teller, "not_allowed")
