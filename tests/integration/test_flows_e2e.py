"""The five businesses end to end over real WebSockets against the real app: consent, identification,
verification, the business steps, rating and wrap-up — asserting that core banking changed exactly
as expected, and that the negative paths leave it unchanged."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PartyFactory
from tests.integration.test_flows_ws import CUSTOMER_FOR, consent_and_identify, open_flow
from tests.integration.test_verification_desk import TELLER_SENDER, Face, enroll, run_check
from tests.support.faces import face_path
from tests.support.flows import changes, core_banking_rows, drain, flow_input, flow_until, refused, state_at
from tests.support.media_party import Party, wait_until
from verification.decision import Outcome
from verification.synth.attacks import PhotoAttack
from verification.synth.catalog import Cast
from verification.synth.performer import Performer
from verification.testing import shared_analyzer
from video_bank import appkeys
from video_bank.config import Settings
from video_bank.core_banking import demo
from video_bank.core_banking.models import Secret
from video_bank.core_banking.pin_keyring import load_keyring
from video_bank.core_banking.pin_vault import FORMAT, PinVault, account_subject, card_subject
from video_bank.core_banking.store import CoreBankingStore
from video_bank.flows.script import DEFAULT_SCRIPT
from video_bank.records.export import export_record
from video_bank.records.keyring import KeyRing
from video_bank.records.store import LocalRecordStore

PIN = "385921"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Client, server and face rendering share one event loop in the real-verification tests: allow
    some lag before a party counts as lost (as tests/integration/test_verification_desk.py does)."""
    return Settings(data_dir=tmp_path / "data", heartbeat_seconds=10.0)


@pytest.fixture(scope="module")
def cast() -> Cast:
    return Cast(face_path("biden.jpg").parent, shared_analyzer())


@pytest.fixture
async def bank(client: TestClient) -> Path:
    store = await CoreBankingStore.open(client.app[appkeys.STORAGE])
    await demo.seed_demo_customers(store, vault_of(client), time.time())
    return client.app[appkeys.SETTINGS].sqlite_path


def vault_of(client: TestClient) -> PinVault:
    """The PIN vault of the running app: its key file in the data dir (written at start-up)."""
    return load_keyring(client.app[appkeys.SETTINGS], create=False).vault()


async def decide(client: TestClient, customer: Party, outcome: Outcome = Outcome.PASS) -> None:
    """Stand-in for an attempt (tests where the business steps are the point): a decision for the
    customer the flow identified, with a nonce the real verifier issued to this session, handed to the
    verification desk's listeners — the flow desk among them — as the desk does after an attempt.
    ``test_activation_*`` and ``test_a_failed_verification_*`` run real attempts instead."""
    verification = client.app[appkeys.VERIFICATION]
    session_id = customer.session_id
    assert session_id is not None
    customer_id = verification._cases[session_id].identified
    assert customer_id is not None, "the flow has not identified the customer"
    nonce = verification._verifier._nonces.issue(session_id)
    decision: Any = SimpleNamespace(outcome=outcome, reasons=(), nonce=nonce)
    for listener in verification._listeners:
        await listener(session_id, customer_id, decision)


async def attempt(customer: Party, teller: Party, face: Face, tries: int = 3) -> dict[str, Any]:
    """A real liveness and face-match attempt on the synthetic camera: the teller starts it without
    naming the customer (the flow identified them); the teller's verdict. A server too busy to
    analyse says so (``busy`` verdict, or a ``busy`` refusal with the seconds after which it judges
    afresh), which says nothing about the customer: the teller starts again, as on the console."""
    await customer.connect_media(0, 440.0, camera=face.track)
    await teller.connect_media(TELLER_SENDER, 880.0)
    await wait_until(lambda: len(teller.received.video) >= 15, timeout=60, what="the customer's video")
    result, _ = await run_check(customer, teller, face, tries=tries)
    assert result["outcome"] != "busy", f"the server was too busy for {tries} tries"
    return result


async def verified_flow(
    client: TestClient, party: PartyFactory, business: str, *, field: bool = False
) -> tuple[Party, Party]:
    """A call for ``business`` whose customer consented, was identified and verified (:func:`decide`)."""
    customer, teller = await open_flow(party, business, field=field)
    await consent_and_identify(customer, teller, business)
    await decide(client, customer)
    return customer, teller


async def finish(
    customer: Party, teller: Party, outcome: str, score: int = 5, code: str = "resolved"
) -> None:
    """Both sides see the flow completed; the customer rates, the teller records the wrap-up code."""
    done = await state_at(customer, None, "completed")
    assert (done["outcome"], done["expected"]) == (outcome, ["rated"])
    assert (await state_at(teller, None, "completed"))["expected"] == ["wrap_up"]
    await flow_input(customer, "rated", score=score)
    await flow_input(teller, "wrap_up", code=code)
    await state_at(teller, None, "completed")
    assert (await state_at(teller, None, "completed"))["expected"] == []


async def test_password_reset_replaces_the_hash_and_unlocks_the_account(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await verified_flow(client, party, "password_reset")
    await flow_until(teller, "flow_message", "confirm_account")
    await flow_input(teller, "account_confirmed", account_id=demo.DEBIT_ACCOUNT_ID)
    await flow_until(customer, "flow_message", "enter_password")
    await flow_input(customer, "secret_entered", secret=PIN, confirmation=PIN)
    await finish(customer, teller, "password_reset")

    diff = changes(before, core_banking_rows(bank))
    assert list(diff) == ["core_debit_accounts"]
    account = diff["core_debit_accounts"][(demo.DEBIT_ACCOUNT_ID,)]
    assert set(account) == {"status", "password_hash", "password_set_at", "updated_at"}
    assert account["status"] == ("locked", "active")
    sealed = account["password_hash"][1]
    assert sealed.startswith(f"{FORMAT}$")
    assert vault_of(client).verify(Secret(PIN), sealed, account_subject(demo.DEBIT_ACCOUNT_ID))


async def test_info_update_changes_exactly_the_phone_and_address_the_teller_approved(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await verified_flow(client, party, "info_update")
    await flow_until(customer, "flow_message", "enter_details")
    address = "9 Ningan Street, Jinfeng District, Yinchuan"
    await flow_input(customer, "details_entered", phone="13800138000", address=address)
    review = await flow_until(teller, "flow_message", "review_details")
    assert review["data"]["new"] == {"phone": "13800138000", "address": address}
    await flow_input(teller, "details_reviewed", approve=False, reason="the address lacks the building")
    await flow_until(customer, "flow_message", "details_rejected")
    assert changes(before, core_banking_rows(bank)) == {}
    await flow_input(customer, "details_entered", phone="13800138000", address=address + ", Building 3")
    await flow_until(teller, "flow_message", "review_details")
    await flow_input(teller, "details_reviewed", approve=True)
    await finish(customer, teller, "details_updated")

    diff = changes(before, core_banking_rows(bank))
    assert list(diff) == ["core_customers"]
    row = diff["core_customers"][(demo.ACCOUNT_HOLDER.id,)]
    assert set(row) == {"phone", "address", "updated_at"}
    assert row["phone"] == (demo.ACCOUNT_HOLDER.phone, "13800138000")
    assert row["address"] == (demo.ACCOUNT_HOLDER.address, address + ", Building 3")


async def answer_script(customer: Party, teller: Party) -> list[str]:
    """The customer taps yes to every question, the teller confirms each spoken answer."""
    asked = []
    for _ in DEFAULT_SCRIPT.questions:
        question = await flow_until(customer, "flow_message", "question")
        shown = await flow_until(teller, "flow_message", "script_question")
        assert shown["data"]["question_id"] == question["data"]["question_id"]
        asked.append(question["data"]["question_id"])
        await flow_input(customer, "question_answered", question_id=asked[-1], answer=True)
        assert (await flow_until(teller, "flow_message", "answer_received"))["data"]["answer"] == "yes"
        await flow_input(teller, "answer_confirmed", question_id=asked[-1], confirmed=True)
    return asked


async def test_corporate_willingness_confirms_the_application_and_stores_every_confirmed_answer(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await verified_flow(client, party, "corporate_willingness")
    await flow_until(teller, "flow_message", "choose_application")
    await flow_input(teller, "application_chosen", application_id=demo.APPLICATION.id)
    asked = await answer_script(customer, teller)
    assert asked == [q.id for q in DEFAULT_SCRIPT.questions]
    await flow_until(customer, "flow_message", "final_confirmation")
    await flow_input(customer, "final_confirmation", confirm=True)
    await finish(customer, teller, "willingness_confirmed")

    diff = changes(before, core_banking_rows(bank))
    assert list(diff) == ["core_corporate_applications", "core_willingness_answers"]
    application = diff["core_corporate_applications"][(demo.APPLICATION.id,)]
    assert application["status"] == ("pending", "willingness_confirmed")
    assert application["decided_in_session"] == (None, customer.session_id)
    answers = diff["core_willingness_answers"]
    assert sorted(key[2] for key in answers) == list(range(1, len(asked) + 1))
    assert {row["question_id"][1] for row in answers.values()} == set(asked)
    assert {row["confirmed_by"][1] for row in answers.values()} == {"teller2"}


async def test_card_review_by_a_field_officer_with_a_real_verification_approves_exactly_the_field_card(
    client: TestClient, party: PartyFactory, bank: Path, settings: Settings, cast: Cast
) -> None:
    """The field officer's tablet is the customer's leg: its camera shows the customer, who is
    verified for real against the enrolled reference photo."""
    await asyncio.to_thread(enroll, settings, demo.ACCOUNT_HOLDER.id, "obama.jpg")
    before = core_banking_rows(bank)
    field, teller = await open_flow(party, "card_review", field=True)
    await consent_and_identify(field, teller, "card_review")
    result = await attempt(field, teller, Face(Performer(cast.rig("obama"), seed=11)))
    assert result["outcome"] == "pass", result["detail"]["reasons"]
    review = await flow_until(teller, "flow_message", "review_card")
    assert [c["id"] for c in review["data"]["cards"]] == [demo.FIELD_CARD.id]
    await flow_input(
        teller, "card_reviewed", card_id=demo.FIELD_CARD.id, approve=True, reason="identity_confirmed"
    )
    await finish(field, teller, "card_approved")

    diff = changes(before, core_banking_rows(bank))
    assert list(diff) == ["core_social_security_cards"]
    card = diff["core_social_security_cards"][(demo.FIELD_CARD.id,)]
    assert card["review"] == ("pending", "approved")
    assert card["review_reason"] == (None, "identity_confirmed")
    assert "status" not in card
    await teller.send(type="hangup", session_id=teller.session_id)
    await field.until("session_ended")
    await field.close_media()
    await teller.close_media()


# --- negative paths --------------------------------------------------------------------------------


async def test_a_pin_mismatch_is_refused_and_the_card_stays_issued(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await verified_flow(client, party, "activation")
    await flow_input(teller, "card_confirmed", card_id=demo.PENSIONER_CARD.id)
    await flow_until(customer, "flow_message", "enter_pin")
    await flow_input(customer, "secret_entered", secret=PIN, confirmation="385912")
    assert (await state_at(customer, "set_pin"))["expected"] == ["secret_entered"]  # enter it again
    error = await refused(customer, "pin_mismatch")
    assert not any(d in error["message"] for d in "0123456789")
    rejected = await flow_until(teller, "flow_message", "pin_rejected")
    assert rejected["data"] == {"rule": "pin_mismatch"}
    await teller.send(type="hangup", session_id=teller.session_id)
    await teller.until("session_ended")
    assert changes(before, core_banking_rows(bank)) == {}


async def test_failed_verification_ends_the_flow_and_nothing_can_be_done(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await open_flow(party, "activation")
    await consent_and_identify(customer, teller, "activation")
    for _ in range(3):
        await decide(client, customer, Outcome.FAIL)
    await flow_until(customer, "flow_message", "branch_instructions")
    failed = await state_at(customer, None, "failed")
    assert failed["outcome"] == "verification_failed"
    await flow_input(teller, "card_confirmed", card_id=demo.PENSIONER_CARD.id)
    await refused(teller, "flow_finished")
    assert changes(before, core_banking_rows(bank)) == {}


async def test_the_verified_person_must_be_the_legal_representative(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await open_flow(party, "corporate_willingness")
    await flow_input(customer, "consent", recording=True, biometric=True)
    await flow_input(customer, "identify", resident_id=demo.ACCOUNT_HOLDER.resident_id.number)  # not the rep
    await state_at(teller, "verification")
    await decide(client, customer)
    await flow_input(teller, "application_chosen", application_id=demo.APPLICATION.id)
    await flow_until(teller, "flow_message", "not_legal_representative")
    await refused(teller, "not_legal_representative")
    await flow_input(customer, "question_answered", question_id="identity_and_role", answer=True)
    assert (await refused(customer, "step_required"))["message"].endswith(
        "'select_application' must be completed first"
    )
    assert changes(before, core_banking_rows(bank)) == {}
    assert CUSTOMER_FOR["corporate_willingness"] is demo.LEGAL_REP


def pin_forms(pin: str) -> list[re.Pattern[str]]:
    """The PIN as a token of its own (not inside a longer number, e.g. a timestamp), plain, spaced,
    comma-separated and reversed."""
    forms = (pin, " ".join(pin), ",".join(pin), ", ".join(pin), '", "'.join(pin), pin[::-1])
    return [re.compile(rf"(?<![0-9]){re.escape(form)}(?![0-9])") for form in forms]


def leaks(text: str, forms: list[re.Pattern[str]]) -> list[str]:
    return [form.pattern for form in forms if form.search(text)]


async def test_activation_with_a_real_verification_activates_exactly_the_card_and_the_pin_is_nowhere(
    client: TestClient,
    party: PartyFactory,
    bank: Path,
    settings: Settings,
    cast: Cast,
    auditor_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """Consent, ID number, a real liveness and face-match attempt on the synthetic camera (the
    pensioner's face against her enrolled reference photo), the card, a refused PIN, the PIN, rating
    and wrap-up; then every byte the server stored or logged is searched for the PIN."""
    caplog.set_level(logging.DEBUG)
    await asyncio.to_thread(enroll, settings, demo.PENSIONER.id, "biden.jpg")
    before = core_banking_rows(bank)
    customer, teller = await open_flow(party, "activation")
    await consent_and_identify(customer, teller, "activation")
    result = await attempt(customer, teller, Face(Performer(cast.rig("biden"), seed=11)))
    assert result["outcome"] == "pass", result["detail"]["reasons"]
    await flow_until(teller, "flow_message", "verification_passed")
    cards = await flow_until(teller, "flow_message", "confirm_card")
    assert [c["id"] for c in cards["data"]["cards"]] == [demo.PENSIONER_CARD.id]
    await flow_input(teller, "card_confirmed", card_id=demo.PENSIONER_CARD.id)
    await flow_until(customer, "flow_message", "enter_pin")
    await flow_input(customer, "secret_entered", secret=PIN, confirmation=PIN[::-1])  # refused first
    await refused(customer, "pin_mismatch")
    await flow_input(customer, "secret_entered", secret=PIN, confirmation=PIN)
    await finish(customer, teller, "card_activated")
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    await customer.close_media()
    await teller.close_media()
    session_id = customer.session_id
    assert session_id is not None

    after = core_banking_rows(bank)
    diff = changes(before, after)
    assert list(diff) == ["core_social_security_cards"]
    card = diff["core_social_security_cards"]
    assert list(card) == [(demo.PENSIONER_CARD.id,)]
    assert set(card[(demo.PENSIONER_CARD.id,)]) == {"status", "pin_hash", "pin_set_at", "updated_at"}
    assert card[(demo.PENSIONER_CARD.id,)]["status"] == ("issued", "active")
    pin_hash = after["core_social_security_cards"][(demo.PENSIONER_CARD.id,)]["pin_hash"]
    assert pin_hash.startswith(f"{FORMAT}$")  # sealed by the PIN vault, and the PIN's
    assert vault_of(client).verify(Secret(PIN), pin_hash, card_subject(demo.PENSIONER_CARD.id))
    events = await client.app[appkeys.STORAGE].events(session_id)
    kinds = [e.kind for e in events]
    assert kinds.index("verification_decided") < kinds.index("flow_verification_recorded")
    assert kinds.index("flow_verification_recorded") < kinds.index("core_banking_changed")

    forms = pin_forms(PIN)
    assert leaks(f'"secret": "{PIN}"', forms) and leaks(f"[{', '.join(PIN)}]", forms)  # the search works
    assert not leaks(f"at 1795{PIN}.25", forms)  # and is not fooled by a timestamp
    # the session's record, sealed, opened with the auditor's key: its timeline
    records = LocalRecordStore(settings.data_dir / "records")
    await wait_until(lambda: records.state(session_id).value == "sealed", timeout=20, what="record sealed")
    out = tmp_path / "export"
    export_record(
        records, session_id, KeyRing(settings.data_dir / "keys").trusted_signing_keys(), auditor_key, out
    )
    timeline = (out / "timeline.json").read_text()
    assert "flow_step_completed" in timeline
    assert '"core_banking_changed"' in timeline and '"card_activated"' in timeline
    texts = {
        "timeline": timeline,
        "event log": json.dumps(
            [(e.kind, e.actor, e.data) for e in await client.app[appkeys.STORAGE].events()]
        ),
        "teller's messages": json.dumps(drain(teller)),
        "log": caplog.text + "".join(repr(r.args) for r in caplog.records),
    }
    for where, text in texts.items():
        assert not leaks(text, forms), f"the PIN is in the {where}"
    # every byte of every file in the data dir (database, write-ahead log, records, references, keys)
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()] + [
        p for p in out.rglob("*") if p.is_file()
    ]
    assert any(p.name.endswith(".sqlite3") for p in files)
    for path in files:
        data = path.read_bytes().decode("latin-1")
        assert not leaks(data, forms), f"the PIN is in {path.name}"


async def test_a_failed_real_verification_blocks_the_business_action_and_changes_nothing(
    client: TestClient, party: PartyFactory, bank: Path, settings: Settings, cast: Cast
) -> None:
    """A photo of the pensioner held up to the camera and moved to mimic the prompts fails; the card
    cannot be confirmed."""
    await asyncio.to_thread(enroll, settings, demo.PENSIONER.id, "biden.jpg")
    before = core_banking_rows(bank)
    customer, teller = await open_flow(party, "activation")
    await consent_and_identify(customer, teller, "activation")
    result = await attempt(customer, teller, Face(PhotoAttack(cast.rig("biden"), seed=5)))
    assert result["outcome"] == "fail"
    failed = await flow_until(teller, "flow_message", "verification_failed")
    assert failed["data"]["attempts_left"] == 2
    await flow_input(teller, "card_confirmed", card_id=demo.PENSIONER_CARD.id)
    await refused(teller, "verification_failed")
    await teller.send(type="hangup", session_id=teller.session_id)
    await customer.until("session_ended")
    await customer.close_media()
    await teller.close_media()
    assert changes(before, core_banking_rows(bank)) == {}


async def test_a_rejected_card_review_freezes_exactly_the_field_card(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    field, teller = await verified_flow(client, party, "card_review", field=True)
    review = await flow_until(teller, "flow_message", "review_card")
    assert "identity_mismatch" in review["data"]["reject_reasons"]
    await flow_input(
        teller, "card_reviewed", card_id=demo.FIELD_CARD.id, approve=True, reason="identity_mismatch"
    )
    await refused(teller, "invalid_reason")  # the reason code must agree with the decision
    await flow_input(
        teller, "card_reviewed", card_id=demo.FIELD_CARD.id, approve=False, reason="identity_mismatch"
    )
    await finish(field, teller, "card_rejected", code="referred_to_branch")

    diff = changes(before, core_banking_rows(bank))
    assert list(diff) == ["core_social_security_cards"]
    card = diff["core_social_security_cards"][(demo.FIELD_CARD.id,)]
    assert (card["review"], card["status"]) == (("pending", "rejected"), ("issued", "frozen"))
    assert card["review_reason"] == (None, "identity_mismatch")


async def test_the_teller_may_stop_a_flow_and_the_customer_is_sent_to_a_branch(
    client: TestClient, party: PartyFactory, bank: Path
) -> None:
    before = core_banking_rows(bank)
    customer, teller = await verified_flow(client, party, "password_reset")
    await flow_input(teller, "cancelled", reason="the customer wants to come to the branch")
    await flow_until(customer, "flow_message", "branch_instructions")
    stopped = await state_at(customer, None, "cancelled")
    assert stopped["expected"] == ["rated"]
    await flow_input(customer, "secret_entered", secret=PIN, confirmation=PIN)
    await refused(customer, "flow_finished")
    assert changes(before, core_banking_rows(bank)) == {}
