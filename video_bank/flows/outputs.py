"""What a flow returns for each input: the step it is at, messages for the teller and the customer,
commands for core banking, events for the session log, and — when the input was refused — why.

Refusal codes (``Refusal.code``, also the ``error`` code the adapter sends back):

- policy gate (:mod:`video_bank.flows.policy`): ``consent_required``, ``consent_refused``,
  ``identification_required``, ``verification_required``, ``verification_review_pending``,
  ``verification_failed``, ``verification_mismatch``, ``step_required``, ``not_recorded``,
  ``not_legal_representative``;
- order and roles: ``not_started``, ``wrong_actor``, ``not_in_this_business``, ``flow_finished``,
  ``flow_in_progress``, ``step_done``, ``busy``, ``out_of_order``, ``already_recorded``,
  ``unexpected_result``;
- input content: ``invalid_resident_id``, ``unknown_card``, ``unknown_account``, the card and account
  states ``card_already_active``, ``card_frozen``, ``card_review_pending``, ``card_review_rejected``,
  ``card_not_pending_review``, ``account_frozen``, ``account_closed``, the details ``invalid_phone``,
  ``invalid_address``, ``no_change``, ``reason_required``, ``invalid_reason``, the willingness check's
  ``wrong_question``, the PIN rules ``pin_format``, ``pin_mismatch``, ``pin_repeated``,
  ``pin_sequence``, ``pin_personal``, and results: ``customer_not_found``, ``application_not_found``,
  ``application_not_pending``.

A refused input changes nothing except the log (a ``flow_refused`` event: code, input kind, actor,
step — never the input's content).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from video_bank.flows.commands import Command
from video_bank.flows.steps import FlowStatus, Step, StepState


class Audience(StrEnum):
    """Who a message is for."""

    CUSTOMER = "customer"
    """The customer's device (the field officer's tablet in a card review)."""
    TELLER = "teller"


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


MESSAGE_CODES: Mapping[Audience, frozenset[str]] = MappingProxyType(
    {
        Audience.CUSTOMER: frozenset(
            {
                "consent_request",
                "enter_resident_id",
                "customer_not_found",
                "identified",
                "verification_in_review",
                "verification_passed",
                "verification_retry",
                "wait_for_teller",
                "enter_pin",
                "card_activated",
                "enter_password",
                "password_reset",
                "enter_details",
                "details_rejected",
                "details_updated",
                "question",
                "answer_again",
                "final_confirmation",
                "willingness_confirmed",
                "rejected",
                "card_approved",
                "card_rejected",
                "action_failed",
                "flow_finished",
                "branch_instructions",
                "rate_service",
            }
        ),
        Audience.TELLER: frozenset(
            {
                "waiting_for_consent",
                "consent_recorded",
                "identify_customer",
                "customer_not_found",
                "customer_profile",
                "verification_required",
                "verification_review",
                "verification_passed",
                "verification_failed",
                "confirm_card",
                "waiting_for_pin",
                "pin_rejected",
                "card_activated",
                "confirm_account",
                "waiting_for_password",
                "password_reset",
                "waiting_for_details",
                "review_details",
                "details_updated",
                "choose_application",
                "not_legal_representative",
                "application",
                "script_question",
                "answer_received",
                "waiting_for_final_confirmation",
                "willingness_confirmed",
                "rejected",
                "review_card",
                "card_approved",
                "card_rejected",
                "action_failed",
                "flow_finished",
                "wrap_up",
            }
        ),
    }
)
"""Every ``flow_message`` code per audience: pages show each in their own language from the code and
its ``data`` (web_client/shared/error-texts.js has both languages for every one; a test checks)."""


@dataclass(frozen=True, slots=True)
class Message:
    """Something to show one side: a stable ``code`` for pages, an English ``text``, masked ``data``."""

    to: Audience
    code: str
    """``consent_request``, ``enter_pin``, ``question``… (see docs/flows.md)."""
    text: str
    data: Mapping[str, Any] = field(default_factory=dict)
    """JSON-safe details (masked numbers; never a PIN, hash or full number)."""

    def __post_init__(self) -> None:
        if self.code not in MESSAGE_CODES[self.to]:
            raise ValueError(f"{self.code!r} is not a {self.to.value} message code (MESSAGE_CODES)")
        object.__setattr__(self, "data", _frozen(self.data))


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One event for the session event log."""

    kind: str
    """``flow_started``, ``flow_consent_recorded``, ``flow_refused``… (see docs/flows.md)."""
    at: float
    """Server time."""
    actor: str | None
    """Staff account or role."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """JSON-safe and masked."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _frozen(self.data))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an input was refused."""

    code: str
    message: str
    """Plain language, safe to show to the sender."""
    step: Step | None = None
    """For ``step_required``: the step that must be completed first."""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One item of the teller's flow checklist (``flow-steps``)."""

    step: Step
    state: StepState


@dataclass(frozen=True, slots=True)
class FlowOutput:
    """The result of one :meth:`~video_bank.flows.machine.Flow.handle` call."""

    status: FlowStatus
    step: Step | None
    """The current step (``None`` once finished)."""
    outcome: str | None
    """Set when finished: ``card_activated``, ``willingness_confirmed``, ``consent_refused``…"""
    messages: tuple[Message, ...] = ()
    commands: tuple[Command, ...] = ()
    log: tuple[LogEntry, ...] = ()
    refusal: Refusal | None = None
