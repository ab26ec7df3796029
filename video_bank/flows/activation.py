"""Social-security card activation (社保卡激活): the teller confirms the card and the customer's
details; the customer sets the card's first 6-digit PIN on their phone, twice; the card becomes
``active``. The PIN reaches only the executor, which stores its salted hash. The steps are
:mod:`video_bank.flows.new_secret`'s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from signaling.messages import Business
from video_bank.core_banking.models import CardStatus, CustomerProfile, Secret, SocialSecurityCard
from video_bank.flows.commands import ActivateCard, Command
from video_bank.flows.inputs import CardConfirmed, FlowInput
from video_bank.flows.new_secret import NewSecretSteps, SecretNouns
from video_bank.flows.steps import Disposition, Step


class ActivationSteps(NewSecretSteps[SocialSecurityCard]):
    """confirm_card (teller) → set_pin (customer)."""

    business: ClassVar[Business] = "activation"
    steps: ClassVar[tuple[Step, ...]] = (Step.CONFIRM_CARD, Step.SET_PIN)
    branch_instructions: ClassVar[str] = (
        "You can activate your social-security card at any of our branches: bring the card and your"
        " resident ID card, and set the PIN on the counter's PIN pad."
    )
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {"card_activated": Disposition.RESOLVED}
    nouns: ClassVar[SecretNouns] = SecretNouns(
        product="card",
        entered="pin",
        confirm="Check the card and the customer's details with the customer, then confirm the card.",
        wait="The teller is checking your card and your details.",
        enter="Choose a 6-digit PIN for your card {number} and enter it twice.",
        waiting="The customer is setting the PIN on their phone.",
        rejected="The PIN was refused; the customer is told why.",
        outcome="card_activated",
        done_customer="Your card {number} is now active.",
        done_teller="The card is active.",
    )
    confirmed_input: ClassVar[type[FlowInput]] = CardConfirmed
    confirm_step: ClassVar[Step] = Step.CONFIRM_CARD
    secret_step: ClassVar[Step] = Step.SET_PIN
    commits: ClassVar[type[Command]] = ActivateCard

    def choices(self, profile: CustomerProfile) -> list[dict[str, Any]]:
        return [c.masked() for c in profile.cards if c.status is CardStatus.ISSUED]

    def find(self, profile: CustomerProfile, product_id: str) -> SocialSecurityCard | None:
        return profile.card(product_id)

    def check(self, product: SocialSecurityCard) -> None:
        product.check_activatable()

    def command(self, product: SocialSecurityCard, secret: Secret) -> Command:
        return ActivateCard(card_id=product.id, pin=secret)
