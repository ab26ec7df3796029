"""One business shape, two products: the teller confirms the product with the customer, then the
customer sets its new 6-digit secret on their phone, twice, and the executor stores its salted hash.

Social-security card activation (a card's first PIN) and password reset (a debit account's
password) are this flow with different nouns: a subclass names its product and secret
(:class:`SecretNouns`), how to find and check the product, and the command that commits it. The
message codes follow from the nouns (``confirm_card``, ``enter_pin``, ``unknown_account`` …), so the
pages and the records see the same codes as ever.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from video_bank.core_banking.errors import ConflictError, PinRuleError
from video_bank.core_banking.models import CustomerProfile, Secret, check_new_secret
from video_bank.flows.commands import Command
from video_bank.flows.inputs import CommandCompleted, FlowInput, SecretEntered
from video_bank.flows.machine import BusinessSteps, Party, ResultInput, Route, Turn
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import FlowStatus, Step


class Product(Protocol):
    """What the flow needs of a card or an account."""

    @property
    def id(self) -> str: ...

    @property
    def masked_number(self) -> str: ...


P = TypeVar("P", bound=Product)


@dataclass(frozen=True, slots=True)
class SecretNouns:
    """The words of one product's flow; message codes are built from ``product`` and ``entered``."""

    product: str
    """``card`` or ``account``: codes ``confirm_<product>``, ``unknown_<product>``, the log kind
    ``flow_<product>_confirmed``, the field ``<product>_id`` and the list ``<product>s``."""
    entered: str
    """What the customer enters, ``pin`` or ``password``: codes ``enter_<entered>`` and
    ``waiting_for_<entered>``."""
    confirm: str
    """To the teller at the start: what to check before confirming."""
    wait: str
    """To the customer while the teller checks."""
    enter: str
    """To the customer: choose the secret; ``{number}`` is the masked product number."""
    waiting: str
    """To the teller while the customer types."""
    rejected: str
    """To the teller when the secret breaks a rule (the customer is told which)."""
    outcome: str
    """The completed flow's outcome code (``card_activated``, ``password_reset``)."""
    done_customer: str
    """To the customer at the end; ``{number}`` is the masked product number."""
    done_teller: str
    """To the teller at the end."""


class NewSecretSteps(BusinessSteps, Generic[P]):
    """confirm_<product> (teller) → set_<secret> (customer)."""

    nouns: ClassVar[SecretNouns]
    confirmed_input: ClassVar[type[FlowInput]]
    """The teller's input naming the product (its id in ``<product>_id``)."""
    confirm_step: ClassVar[Step]
    secret_step: ClassVar[Step]
    commits: ClassVar[type[Command]]
    """The command that sets the secret (its completion finishes the flow)."""

    def __init__(self) -> None:
        self.product: P | None = None
        """The product the teller confirmed."""

    # --- what a product says ---------------------------------------------------------------------

    @abstractmethod
    def choices(self, profile: CustomerProfile) -> list[dict[str, Any]]:
        """The customer's products the teller may confirm (masked)."""

    @abstractmethod
    def find(self, profile: CustomerProfile, product_id: str) -> P | None:
        """The customer's product with this id."""

    @abstractmethod
    def check(self, product: P) -> None:
        """Raise :class:`ConflictError` when the product cannot get a new secret."""

    @abstractmethod
    def command(self, product: P, secret: Secret) -> Command:
        """The command that sets the secret."""

    # --- the flow ----------------------------------------------------------------------------------

    def routes(self) -> Mapping[type[FlowInput], Route]:
        return {
            self.confirmed_input: Route(self.confirm_step, frozenset({Party.TELLER}), self._on_confirmed),
            SecretEntered: Route(self.secret_step, frozenset({Party.CUSTOMER_SIDE}), self._on_secret),
        }

    def profile_details(self, profile: CustomerProfile) -> dict[str, Any]:
        masked = profile.masked()
        listing = f"{self.nouns.product}s"
        return {"customer": masked["customer"], listing: masked[listing]}

    def begin(self, turn: Turn) -> None:
        n = self.nouns
        choices = {f"{n.product}s": self.choices(turn.profile)}
        turn.say(Audience.TELLER, f"confirm_{n.product}", n.confirm, **choices)
        turn.say(Audience.CUSTOMER, "wait_for_teller", n.wait)

    def _on_confirmed(self, turn: Turn, event: FlowInput) -> None:
        n = self.nouns
        product = self.find(turn.profile, getattr(event, f"{n.product}_id"))
        if product is None:
            turn.refuse(f"unknown_{n.product}", f"this customer has no {n.product} with this id")
            return
        try:
            self.check(product)
        except ConflictError as error:
            turn.refuse(error.code, error.message)
            return
        self.product = product
        number = product.masked_number
        turn.complete(self.confirm_step)
        turn.log(f"flow_{n.product}_confirmed", **{f"{n.product}_id": product.id, n.product: number})
        enter = n.enter.format(number=number)
        turn.say(Audience.CUSTOMER, f"enter_{n.entered}", enter, **{n.product: number})
        turn.say(Audience.TELLER, f"waiting_for_{n.entered}", n.waiting)

    def _on_secret(self, turn: Turn, event: FlowInput) -> None:
        assert isinstance(event, SecretEntered)
        assert self.product is not None  # the gate requires the confirm step
        try:
            check_new_secret(event.secret, event.confirmation, turn.profile.customer.resident_id)
        except PinRuleError as error:
            turn.refuse(error.code, error.message)
            turn.say(Audience.TELLER, "pin_rejected", self.nouns.rejected, rule=error.code)
            return
        turn.issue(self.command(self.product, event.secret))

    def on_result(self, turn: Turn, command: Command, result: ResultInput) -> None:
        product = self.product
        done = isinstance(result, CommandCompleted) and isinstance(command, self.commits)
        if product is None or not done:
            BusinessSteps.on_result(self, turn, command, result)
            return
        n = self.nouns
        number = product.masked_number
        turn.complete(self.secret_step)
        turn.say(Audience.CUSTOMER, n.outcome, n.done_customer.format(number=number))
        turn.say(Audience.TELLER, n.outcome, n.done_teller, **{n.product: number})
        turn.finish(FlowStatus.COMPLETED, n.outcome, **{f"{n.product}_id": product.id})
