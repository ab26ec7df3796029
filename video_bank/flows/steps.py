"""The names a flow is made of: who acts, which steps exist, where a flow stands, how it ended."""

from __future__ import annotations

from enum import StrEnum


class Actor(StrEnum):
    """Who sent an input. The server's adapter sets it from the authenticated connection, never from
    the message."""

    CUSTOMER = "customer"
    """The customer's phone."""
    FIELD = "field"
    """A field officer's tablet, with the customer present (card review)."""
    TELLER = "teller"
    """The remote teller's console."""
    SYSTEM = "system"
    """The server itself: verification decisions, command results, session end."""


class Step(StrEnum):
    """Steps of the flows; values are the pages' ``data-step`` spelling."""

    CONSENT = "consent"
    IDENTIFICATION = "identification"
    VERIFICATION = "verification"
    CONFIRM_CARD = "confirm_card"
    SET_PIN = "set_pin"
    CONFIRM_ACCOUNT = "confirm_account"
    SET_PASSWORD = "set_password"  # noqa: S105 - a step name
    ENTER_DETAILS = "enter_details"
    REVIEW_DETAILS = "review_details"
    SELECT_APPLICATION = "select_application"
    QUESTIONS = "questions"
    FINAL_CONFIRMATION = "final_confirmation"
    REVIEW_CARD = "review_card"


COMMON_STEPS: tuple[Step, ...] = (Step.CONSENT, Step.IDENTIFICATION, Step.VERIFICATION)
"""Every flow starts with these, in this order."""


class StepState(StrEnum):
    """A checklist item's state (``data-state`` of ``flow-steps`` items)."""

    DONE = "done"
    CURRENT = "current"
    PENDING = "pending"
    FAILED = "failed"
    """The flow ended at this step without completing it."""


class FlowStatus(StrEnum):
    """Where a flow stands."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    """The business step ran to its end (the outcome may still be a rejection)."""
    DECLINED = "declined"
    """The customer did not consent; told how to do it at a branch."""
    FAILED = "failed"
    """Identification or verification failed too often."""
    CANCELLED = "cancelled"
    """The teller stopped the flow, with a reason."""
    ABANDONED = "abandoned"
    """The session ended before the flow did."""

    @property
    def finished(self) -> bool:
        """No further business input is accepted (only the rating and the wrap-up code)."""
        return self not in (FlowStatus.NOT_STARTED, FlowStatus.IN_PROGRESS)


class Disposition(StrEnum):
    """The teller's wrap-up code for a session (first-contact resolution is ``resolved``)."""

    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    """Not finished; the bank will contact the customer."""
    REFERRED_TO_BRANCH = "referred_to_branch"
    CUSTOMER_DECLINED = "customer_declined"
    VERIFICATION_FAILED = "verification_failed"
    CUSTOMER_DISCONNECTED = "customer_disconnected"
    TECHNICAL_PROBLEM = "technical_problem"
    OTHER = "other"
