"""Remote video review of a card issued in the field (远程视频审核): a field officer's tablet (role
``field``) is with the customer; the remote teller verifies the customer on video and approves the
card, or rejects it with a reason code (which freezes it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from signaling.messages import Business
from video_bank.core_banking.errors import ConflictError
from video_bank.core_banking.models import CardReview, CardReviewReason, CustomerProfile
from video_bank.flows.commands import Command, ReviewCard
from video_bank.flows.inputs import CardReviewed, CommandCompleted, FlowInput
from video_bank.flows.machine import BusinessSteps, Party, ResultInput, Route, Turn
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import Actor, Disposition, FlowStatus, Step


class CardReviewSteps(BusinessSteps):
    """review_card (teller)."""

    business: ClassVar[Business] = "card_review"
    steps: ClassVar[tuple[Step, ...]] = (Step.REVIEW_CARD,)
    customer_side: ClassVar[Actor] = Actor.FIELD
    branch_instructions: ClassVar[str] = (
        "The card can be reviewed at any of our branches: the holder brings the card and their"
        " resident ID card."
    )
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {
        "card_approved": Disposition.RESOLVED,
        "card_rejected": Disposition.RESOLVED,
    }

    def routes(self) -> Mapping[type[FlowInput], Route]:
        return {CardReviewed: Route(Step.REVIEW_CARD, frozenset({Party.TELLER}), self._on_reviewed)}

    def profile_details(self, profile: CustomerProfile) -> dict[str, Any]:
        masked = profile.masked()
        return {"customer": masked["customer"], "cards": masked["cards"]}

    def begin(self, turn: Turn) -> None:
        pending = [c.masked() for c in turn.profile.cards if c.review is CardReview.PENDING]
        turn.say(
            Audience.TELLER,
            "review_card",
            "Check the card and the application with the customer, then approve, or reject with a"
            " reason code.",
            cards=pending,
            approve_reasons=[r.value for r in CardReviewReason if r.approves],
            reject_reasons=[r.value for r in CardReviewReason if not r.approves],
        )
        # The tablet shows which card is under review, so the officer can check it is the one in hand.
        turn.say(
            Audience.CUSTOMER,
            "wait_for_teller",
            "The teller is reviewing the card with you.",
            cards=[c["number"] for c in pending],
        )

    def _on_reviewed(self, turn: Turn, event: CardReviewed) -> None:
        card = turn.profile.card(event.card_id)
        if card is None:
            turn.refuse("unknown_card", "this customer has no card with this id")
            return
        if event.approve != event.reason.approves:
            turn.refuse(
                "invalid_reason",
                "approve with 'identity_confirmed'; reject with one of the rejection codes",
            )
            return
        try:
            card.check_reviewable()
        except ConflictError as error:
            turn.refuse(error.code, error.message)
            return
        turn.log(
            "flow_card_review",
            card_id=card.id,
            card=card.masked_number,
            approve=event.approve,
            reason=event.reason.value,
        )
        turn.issue(ReviewCard(card_id=card.id, reason=event.reason))

    def on_result(self, turn: Turn, command: Command, result: ResultInput) -> None:
        if not isinstance(command, ReviewCard) or not isinstance(result, CommandCompleted):
            BusinessSteps.on_result(self, turn, command, result)
            return
        approved = command.reason.approves
        outcome = "card_approved" if approved else "card_rejected"
        turn.complete(Step.REVIEW_CARD)
        text = "The card is approved." if approved else "The card is not approved and has been frozen."
        card = turn.profile.card(command.card_id)
        masked = card.masked_number if card is not None else None
        turn.say(Audience.CUSTOMER, outcome, text, card=masked, reason=command.reason.value)
        turn.say(Audience.TELLER, outcome, text, reason=command.reason.value)
        turn.finish(FlowStatus.COMPLETED, outcome, card_id=command.card_id, reason=command.reason.value)
