"""Social-security card activation (社保卡激活): the teller confirms the card and the customer's
details; the customer sets the card's first 6-digit PIN on their phone, twice; the card becomes
``active``. The PIN reaches only the executor, which stores its salted hash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from signaling.messages import Business
from video_bank.core_banking.errors import ConflictError, PinRuleError
from video_bank.core_banking.models import CardStatus, CustomerProfile, SocialSecurityCard, check_new_secret
from video_bank.flows.commands import ActivateCard, Command
from video_bank.flows.inputs import CardConfirmed, CommandCompleted, FlowInput, SecretEntered
from video_bank.flows.machine import BusinessSteps, Party, ResultInput, Route, Turn
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import Disposition, FlowStatus, Step


class ActivationSteps(BusinessSteps):
    """confirm_card (teller) → set_pin (customer)."""

    business: ClassVar[Business] = "activation"
    steps: ClassVar[tuple[Step, ...]] = (Step.CONFIRM_CARD, Step.SET_PIN)
    branch_instructions: ClassVar[str] = (
        "You can activate your social-security card at any of our branches: bring the card and your"
        " resident ID card, and set the PIN on the counter's PIN pad."
    )
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {"card_activated": Disposition.RESOLVED}

    def __init__(self) -> None:
        self.card: SocialSecurityCard | None = None
        """The card the teller confirmed."""

    def routes(self) -> Mapping[type[FlowInput], Route]:
        return {
            CardConfirmed: Route(Step.CONFIRM_CARD, frozenset({Party.TELLER}), self._on_card),
            SecretEntered: Route(Step.SET_PIN, frozenset({Party.CUSTOMER_SIDE}), self._on_pin),
        }

    def profile_details(self, profile: CustomerProfile) -> dict[str, Any]:
        masked = profile.masked()
        return {"customer": masked["customer"], "cards": masked["cards"]}

    def begin(self, turn: Turn) -> None:
        issued = [c.masked() for c in turn.profile.cards if c.status is CardStatus.ISSUED]
        turn.say(
            Audience.TELLER,
            "confirm_card",
            "Check the card and the customer's details with the customer, then confirm the card.",
            cards=issued,
        )
        turn.say(Audience.CUSTOMER, "wait_for_teller", "The teller is checking your card and your details.")

    def _on_card(self, turn: Turn, event: CardConfirmed) -> None:
        card = turn.profile.card(event.card_id)
        if card is None:
            turn.refuse("unknown_card", "this customer has no card with this id")
            return
        try:
            card.check_activatable()
        except ConflictError as error:
            turn.refuse(error.code, error.message)
            return
        self.card = card
        turn.complete(Step.CONFIRM_CARD)
        turn.log("flow_card_confirmed", card_id=card.id, card=card.masked_number)
        turn.say(
            Audience.CUSTOMER,
            "enter_pin",
            f"Choose a 6-digit PIN for your card {card.masked_number} and enter it twice.",
            card=card.masked_number,
        )
        turn.say(Audience.TELLER, "waiting_for_pin", "The customer is setting the PIN on their phone.")

    def _on_pin(self, turn: Turn, event: SecretEntered) -> None:
        assert self.card is not None  # the gate requires confirm_card
        try:
            check_new_secret(event.secret, event.confirmation, turn.profile.customer.resident_id)
        except PinRuleError as error:
            turn.refuse(error.code, error.message)
            turn.say(
                Audience.TELLER,
                "pin_rejected",
                "The PIN was refused; the customer is told why.",
                rule=error.code,
            )
            return
        turn.issue(ActivateCard(card_id=self.card.id, pin=event.secret))

    def on_result(self, turn: Turn, command: Command, result: ResultInput) -> None:
        if not isinstance(command, ActivateCard) or not isinstance(result, CommandCompleted):
            BusinessSteps.on_result(self, turn, command, result)
            return
        assert self.card is not None
        turn.complete(Step.SET_PIN)
        turn.say(Audience.CUSTOMER, "card_activated", f"Your card {self.card.masked_number} is now active.")
        turn.say(Audience.TELLER, "card_activated", "The card is active.", card=self.card.masked_number)
        turn.finish(FlowStatus.COMPLETED, "card_activated", card_id=self.card.id)
