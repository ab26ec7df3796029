"""Social-security card activation: confirm the card, set the PIN twice on the phone, card active."""

from __future__ import annotations

import pytest

from tests.unit.test_flow_common import ACCOUNT_HOLDER_ID, Driver, Reply, all_texts
from video_bank.core_banking import demo
from video_bank.core_banking.errors import ConflictError
from video_bank.core_banking.models import CardStatus, Secret
from video_bank.flows.commands import ActivateCard
from video_bank.flows.inputs import AccountConfirmed, CardConfirmed, SecretEntered
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import Actor, FlowStatus, Step

PIN = "385921"
CARD = demo.PENSIONER_CARD.id


def pin(driver: Driver, first: str = PIN, second: str | None = None) -> Reply:
    return driver.customer(SecretEntered, secret=Secret(first), confirmation=Secret(second or first))


def test_activation_end_to_end_makes_the_card_active_with_a_hash_of_the_pin() -> None:
    driver = Driver("activation")
    driver.verified()
    confirmed = driver.teller(CardConfirmed, card_id=CARD)
    assert confirmed.code is None
    assert confirmed.message(Audience.CUSTOMER, "enter_pin").data == {"card": "****1016"}
    assert driver.flow.step is Step.SET_PIN
    assert driver.flow.expected() == {(Actor.CUSTOMER, "secret_entered"), (Actor.TELLER, "cancelled")}
    done = pin(driver)
    assert done.code is None
    (command,) = done.commands
    assert isinstance(command, ActivateCard)
    assert (command.card_id, command.actor) == (CARD, "customer")
    assert command.pin.reveal() == PIN
    card = driver.bank.cards[CARD]
    assert card.status is CardStatus.ACTIVE
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.COMPLETED, "card_activated")
    assert set(driver.step_states().values()) == {"done"}
    (change,) = driver.changes
    assert change.diff()["status"] == {"before": "issued", "after": "active"}


def test_the_pin_never_reaches_a_message_or_the_log() -> None:
    driver = Driver("activation")
    driver.verified()
    driver.teller(CardConfirmed, card_id=CARD)
    reply = pin(driver)
    wrong = pin(driver, PIN, "385922")
    everything = all_texts(driver.log) + all_texts(reply.messages + wrong.messages)
    assert PIN not in everything
    assert PIN not in repr(reply.commands)
    assert demo.PENSIONER_CARD.number not in everything


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        (PIN, "385922", "pin_mismatch"),
        ("111111", "111111", "pin_repeated"),
        ("123456", "123456", "pin_sequence"),
        ("654321", "654321", "pin_sequence"),
        ("530612", "530612", "pin_personal"),
        ("38592", "38592", "pin_format"),
    ],
)
def test_a_refused_pin_changes_nothing_and_may_be_entered_again(first: str, second: str, code: str) -> None:
    driver = Driver("activation")
    driver.verified()
    driver.teller(CardConfirmed, card_id=CARD)
    reply = pin(driver, first, second)
    assert reply.code == code
    assert reply.commands == []
    assert reply.message(Audience.TELLER, "pin_rejected").data == {"rule": code}
    assert driver.bank.cards[CARD].status is CardStatus.ISSUED
    assert driver.flow.step is Step.SET_PIN
    assert pin(driver).code is None
    assert driver.bank.cards[CARD].status is CardStatus.ACTIVE


def test_the_pin_cannot_be_set_before_the_teller_confirms_the_card() -> None:
    driver = Driver("activation")
    driver.verified()
    reply = pin(driver)
    assert reply.code == "step_required"
    assert reply.refusal is not None and reply.refusal.step is Step.CONFIRM_CARD
    assert driver.bank.cards[CARD].status is CardStatus.ISSUED


def test_only_the_teller_confirms_the_card_and_only_the_customer_sets_the_pin() -> None:
    driver = Driver("activation")
    driver.verified()
    assert driver.customer(CardConfirmed, card_id=CARD).code == "wrong_actor"
    driver.teller(CardConfirmed, card_id=CARD)
    assert driver.teller(SecretEntered, secret=Secret(PIN), confirmation=Secret(PIN)).code == "wrong_actor"
    assert driver.bank.cards[CARD].status is CardStatus.ISSUED


def test_a_card_of_someone_else_or_not_issued_cannot_be_confirmed() -> None:
    driver = Driver("activation")
    driver.verified()
    assert driver.teller(CardConfirmed, card_id=demo.FIELD_CARD.id).code == "unknown_card"
    assert driver.teller(CardConfirmed, card_id="ssc_nope").code == "unknown_card"
    assert driver.teller(AccountConfirmed, account_id="acc_x").code == "not_in_this_business"


def test_a_field_card_waiting_for_review_cannot_be_activated() -> None:
    driver = Driver("activation")
    driver.verified(ACCOUNT_HOLDER_ID)
    assert driver.teller(CardConfirmed, card_id=demo.FIELD_CARD.id).code == "card_review_pending"
    assert driver.flow.step is Step.CONFIRM_CARD


def test_the_card_is_confirmed_once() -> None:
    driver = Driver("activation")
    driver.verified()
    driver.teller(CardConfirmed, card_id=CARD)
    assert driver.teller(CardConfirmed, card_id=CARD).code == "step_done"


def test_a_core_banking_refusal_leaves_the_step_open() -> None:
    driver = Driver("activation")
    driver.verified()
    driver.teller(CardConfirmed, card_id=CARD)
    driver.failures[ActivateCard] = ConflictError("card_already_active", "the card is already active")
    reply = pin(driver)
    assert reply.message(Audience.TELLER, "action_failed").data == {"code": "card_already_active"}
    assert driver.flow.step is Step.SET_PIN
    assert driver.flow.status is FlowStatus.IN_PROGRESS
    assert driver.bank.cards[CARD].status is CardStatus.ISSUED


def test_the_pin_is_refused_after_the_card_is_active() -> None:
    driver = Driver("activation")
    driver.verified()
    driver.teller(CardConfirmed, card_id=CARD)
    pin(driver)
    assert pin(driver).code == "flow_finished"
