"""Customer information update (客户信息补录): the customer types the new phone and/or address on
the phone; the teller reviews them with the customer and confirms (or sends them back with a
reason); core banking is updated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from signaling.messages import Business
from video_bank.core_banking.errors import CoreBankingError
from video_bank.core_banking.models import Customer, CustomerProfile, mask_address, mask_phone, parse_reason
from video_bank.flows.commands import Command, UpdateContact
from video_bank.flows.inputs import CommandCompleted, DetailsEntered, DetailsReviewed, FlowInput
from video_bank.flows.machine import BusinessSteps, Party, ResultInput, Route, Turn
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import Disposition, FlowStatus, Step


class InfoUpdateSteps(BusinessSteps):
    """enter_details (customer) → review_details (teller)."""

    business: ClassVar[Business] = "info_update"
    steps: ClassVar[tuple[Step, ...]] = (Step.ENTER_DETAILS, Step.REVIEW_DETAILS)
    branch_instructions: ClassVar[str] = (
        "You can update your phone number and address at any of our branches with your resident ID card."
    )
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {"details_updated": Disposition.RESOLVED}

    def __init__(self) -> None:
        self.proposed: Customer | None = None
        """The customer record with the entered details, waiting for the teller's review."""

    def routes(self) -> Mapping[type[FlowInput], Route]:
        return {
            DetailsEntered: Route(Step.ENTER_DETAILS, frozenset({Party.CUSTOMER_SIDE}), self._on_details),
            DetailsReviewed: Route(Step.REVIEW_DETAILS, frozenset({Party.TELLER}), self._on_review),
        }

    def profile_details(self, profile: CustomerProfile) -> dict[str, Any]:
        return {"customer": profile.customer.masked()}

    def begin(self, turn: Turn) -> None:
        self._ask(turn)

    def _ask(self, turn: Turn) -> None:
        customer = turn.profile.customer
        turn.say(
            Audience.CUSTOMER,
            "enter_details",
            "Enter your new mobile number and/or address.",
            phone=mask_phone(customer.phone),
            address=mask_address(customer.address),
        )
        turn.say(Audience.TELLER, "waiting_for_details", "The customer is entering the new details.")

    def _on_details(self, turn: Turn, event: DetailsEntered) -> None:
        current = turn.profile.customer
        try:
            proposed = current.with_contact(event.phone, event.address)
        except CoreBankingError as error:
            turn.refuse(error.code, error.message)
            return
        self.proposed = proposed
        turn.complete(Step.ENTER_DETAILS)
        changed = {}
        if proposed.phone != current.phone:
            changed["phone"] = mask_phone(proposed.phone)
        if proposed.address != current.address:
            changed["address"] = mask_address(proposed.address)
        turn.log("flow_details_entered", **changed)
        turn.say(
            Audience.TELLER,
            "review_details",
            "Read the new details back to the customer, then confirm or send them back with a reason.",
            current={"phone": mask_phone(current.phone), "address": mask_address(current.address)},
            new={"phone": proposed.phone, "address": proposed.address},
        )
        turn.say(Audience.CUSTOMER, "wait_for_teller", "The teller is checking your new details with you.")

    def _on_review(self, turn: Turn, event: DetailsReviewed) -> None:
        assert self.proposed is not None  # the gate requires enter_details
        if event.approve:
            current = turn.profile.customer
            turn.issue(
                UpdateContact(
                    customer_id=current.id,
                    phone=self.proposed.phone if self.proposed.phone != current.phone else None,
                    address=self.proposed.address if self.proposed.address != current.address else None,
                )
            )
            return
        try:
            reason = parse_reason(event.reason)
        except CoreBankingError:
            turn.refuse("reason_required", "say why the details are sent back")
            return
        self.proposed = None
        turn.reopen(Step.ENTER_DETAILS)
        turn.log("flow_details_rejected", reason=reason)
        turn.say(
            Audience.CUSTOMER,
            "details_rejected",
            f"The teller asks you to check the details: {reason}",
            reason=reason,
        )
        self._ask(turn)

    def on_result(self, turn: Turn, command: Command, result: ResultInput) -> None:
        if not isinstance(command, UpdateContact) or not isinstance(result, CommandCompleted):
            BusinessSteps.on_result(self, turn, command, result)
            return
        turn.complete(Step.REVIEW_DETAILS)
        turn.say(Audience.CUSTOMER, "details_updated", "Your details are updated.")
        turn.say(Audience.TELLER, "details_updated", "The details are updated.")
        turn.finish(FlowStatus.COMPLETED, "details_updated")
