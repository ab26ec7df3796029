"""Remote review of a field-issued card: the field officer's tablet with the customer, the teller decides."""

from __future__ import annotations

import pytest

from tests.unit.test_flow_common import ACCOUNT_HOLDER_ID, PENSIONER_ID, Driver
from video_bank.core_banking import demo
from video_bank.core_banking.models import CardReview, CardReviewReason, CardStatus
from video_bank.flows.inputs import CardReviewed, ConsentGiven, IdentityClaimed
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import Actor, FlowStatus

CARD = demo.FIELD_CARD.id


def test_card_review_approval_end_to_end_from_the_field_tablet() -> None:
    driver = Driver("card_review")
    assert driver.side is Actor.FIELD
    assert driver.customer(ConsentGiven, recording=True, biometric=True).code is None
    assert driver.customer(IdentityClaimed, resident_id=ACCOUNT_HOLDER_ID).code is None
    prompt = driver.decide("pass")
    offered = prompt.message(Audience.TELLER, "review_card")
    assert [c["id"] for c in offered.data["cards"]] == [CARD]
    assert "identity_mismatch" in offered.data["reject_reasons"]
    reply = driver.teller(
        CardReviewed, card_id=CARD, approve=True, reason=CardReviewReason.IDENTITY_CONFIRMED
    )
    assert reply.code is None
    card = driver.bank.cards[CARD]
    assert (card.review, card.status, card.review_reason) == (
        CardReview.APPROVED,
        CardStatus.ISSUED,
        CardReviewReason.IDENTITY_CONFIRMED,
    )
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.COMPLETED, "card_approved")


def test_a_rejection_with_a_reason_code_freezes_the_card() -> None:
    driver = Driver("card_review")
    driver.verified(ACCOUNT_HOLDER_ID)
    reply = driver.teller(CardReviewed, card_id=CARD, approve=False, reason=CardReviewReason.NOT_REQUESTED)
    assert reply.code is None
    card = driver.bank.cards[CARD]
    assert (card.review, card.status) == (CardReview.REJECTED, CardStatus.FROZEN)
    assert driver.flow.outcome == "card_rejected"
    finished = next(e for e in reply.log if e.kind == "flow_finished")
    assert finished.data["reason"] == "not_requested"


@pytest.mark.parametrize(
    ("approve", "reason"),
    [(True, CardReviewReason.CUSTOMER_ABSENT), (False, CardReviewReason.IDENTITY_CONFIRMED)],
)
def test_the_decision_and_its_reason_code_must_agree(approve: bool, reason: CardReviewReason) -> None:
    driver = Driver("card_review")
    driver.verified(ACCOUNT_HOLDER_ID)
    assert driver.teller(CardReviewed, card_id=CARD, approve=approve, reason=reason).code == "invalid_reason"
    assert driver.bank.cards[CARD] == demo.FIELD_CARD


def test_only_a_pending_card_of_this_customer_can_be_reviewed() -> None:
    driver = Driver("card_review")
    driver.verified(PENSIONER_ID)
    ok = CardReviewReason.IDENTITY_CONFIRMED
    assert driver.teller(CardReviewed, card_id=CARD, approve=True, reason=ok).code == "unknown_card"
    assert (
        driver.teller(CardReviewed, card_id=demo.PENSIONER_CARD.id, approve=True, reason=ok).code
        == "card_not_pending_review"
    )


def test_the_field_officer_cannot_decide_the_review() -> None:
    driver = Driver("card_review")
    driver.verified(ACCOUNT_HOLDER_ID)
    reply = driver.customer(
        CardReviewed, card_id=CARD, approve=True, reason=CardReviewReason.IDENTITY_CONFIRMED
    )
    assert reply.code == "wrong_actor"
    assert driver.bank.cards[CARD] == demo.FIELD_CARD


@pytest.mark.parametrize(
    ("approve", "reason", "outcome"),
    [
        (True, CardReviewReason.IDENTITY_CONFIRMED, "card_approved"),
        (False, CardReviewReason.DOCUMENTS_INCOMPLETE, "card_rejected"),
    ],
)
def test_the_field_tablet_is_told_the_masked_card_under_review_and_the_decisions_reason(
    approve: bool, reason: CardReviewReason, outcome: str
) -> None:
    driver = Driver("card_review")
    waiting = driver.verified(ACCOUNT_HOLDER_ID).message(Audience.CUSTOMER, "wait_for_teller")
    masked = "****" + demo.FIELD_CARD.number[-4:]
    assert waiting.data["cards"] == [masked]
    reply = driver.teller(CardReviewed, card_id=CARD, approve=approve, reason=reason)
    told = reply.message(Audience.CUSTOMER, outcome)
    assert told.data == {"card": masked, "reason": reason.value}
    assert all(demo.FIELD_CARD.number not in str(m.data) for m in reply.messages)
