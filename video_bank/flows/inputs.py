"""Inputs of a flow: typed events with the server's time and the sender's role.

The adapter builds them from schema-checked client messages (or, for :attr:`Actor.SYSTEM` inputs,
from the server's own results) and takes ``at`` from the server clock. Construction checks only
types and ranges (raising :class:`FlowInputError`); whether an input is allowed now is the flow's
decision. ``kind`` is the input's stable name (logs, wire mapping).

PINs and passwords travel as :class:`~video_bank.core_banking.models.Secret`; no input's ``repr``
shows a secret or a resident ID number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from video_bank.core_banking.models import (
    MAX_REASON,
    CardReviewReason,
    Change,
    CorporateApplication,
    CustomerProfile,
    Secret,
)
from video_bank.flows.steps import Actor, Disposition

Decision = Literal["pass", "review", "fail"]
"""A verification decision (liveness and face match together)."""
DECISIONS: tuple[Decision, ...] = ("pass", "review", "fail")
MAX_COMMENT = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FlowInputError(ValueError):
    """An input cannot even be built: wrong type or out of range (map to ``invalid_message``)."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise FlowInputError(message)


def _check_text(value: object, what: str, limit: int, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    _check(isinstance(value, str) and 0 < len(value) <= limit, f"{what} must be 1-{limit} characters")
    _check(not _CONTROL.search(str(value)), f"{what} contains control characters")


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowInput:
    """Base of every input."""

    kind: ClassVar[str] = "input"
    at: float
    """Server time (epoch seconds) the input arrived."""
    actor: Actor
    """Role of the sender."""
    actor_name: str | None = None
    """Staff account of the sender (tellers); ``None`` for customers and the system."""

    def __post_init__(self) -> None:
        _check(isinstance(self.at, int | float) and math.isfinite(self.at), "at must be a finite number")
        _check(isinstance(self.actor, Actor), "actor must be an Actor")
        _check(self.actor_name is None or isinstance(self.actor_name, str), "actor_name must be text")


# --- common steps ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentGiven(FlowInput):
    """The customer's answers on the consent page, one per purpose."""

    kind: ClassVar[str] = "consent"
    recording: bool
    """Consent to the session being recorded."""
    biometric: bool
    """Consent to face processing (liveness and match against the reference photo)."""

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(isinstance(self.recording, bool) and isinstance(self.biometric, bool), "consents are booleans")


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityClaimed(FlowInput):
    """A resident ID number entered on the phone, or looked up by the teller."""

    kind: ClassVar[str] = "identify"
    resident_id: str = field(repr=False)
    """As typed; the flow validates it."""

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(isinstance(self.resident_id, str) and len(self.resident_id) <= 64, "resident_id must be text")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationDecided(FlowInput):
    """The verification module's decision for this session (actor ``system``)."""

    kind: ClassVar[str] = "verification_decided"
    session_id: str
    """The session the decision was made in."""
    customer_id: str
    """The customer whose reference photo was matched."""
    decision: Decision
    reasons: tuple[str, ...] = ()
    """Reason codes from the decision (no scores, images or embeddings)."""

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(self.decision in DECISIONS, "decision must be pass, review or fail")
        _check(isinstance(self.session_id, str) and isinstance(self.customer_id, str), "ids are text")
        _check(all(isinstance(r, str) for r in self.reasons), "reasons are text")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewResolved(FlowInput):
    """The teller's resolution of a ``review`` decision, with the reason."""

    kind: ClassVar[str] = "review_resolved"
    accept: bool
    reason: str

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(isinstance(self.accept, bool), "accept is a boolean")
        _check_text(self.reason, "reason", MAX_REASON)


# --- business steps -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CardConfirmed(FlowInput):
    """The teller confirms the card to activate (and the customer's details)."""

    kind: ClassVar[str] = "card_confirmed"
    card_id: str

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.card_id, "card_id", 64)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountConfirmed(FlowInput):
    """The teller confirms the debit account whose password is reset."""

    kind: ClassVar[str] = "account_confirmed"
    account_id: str

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.account_id, "account_id", 64)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretEntered(FlowInput):
    """A new 6-digit PIN or password from the customer's PIN pad, entered twice."""

    kind: ClassVar[str] = "secret_entered"
    secret: Secret = field(repr=False, compare=False)
    confirmation: Secret = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(
            isinstance(self.secret, Secret) and isinstance(self.confirmation, Secret), "secrets are Secret"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DetailsEntered(FlowInput):
    """New contact details typed by the customer (``None``: unchanged)."""

    kind: ClassVar[str] = "details_entered"
    phone: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(self.phone is not None or self.address is not None, "give a phone, an address or both")
        _check_text(self.phone, "phone", 32, optional=True)
        _check_text(self.address, "address", 400, optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class DetailsReviewed(FlowInput):
    """The teller's review of the entered details (a rejection needs a reason)."""

    kind: ClassVar[str] = "details_reviewed"
    approve: bool
    reason: str | None = None

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(isinstance(self.approve, bool), "approve is a boolean")
        _check_text(self.reason, "reason", MAX_REASON, optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationChosen(FlowInput):
    """The teller names the corporate application to check."""

    kind: ClassVar[str] = "application_chosen"
    application_id: str

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.application_id, "application_id", 64)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionAnswered(FlowInput):
    """The customer's yes/no tap for the question on screen."""

    kind: ClassVar[str] = "question_answered"
    question_id: str
    answer: bool

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.question_id, "question_id", 64)
        _check(isinstance(self.answer, bool), "answer is a boolean")


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerConfirmed(FlowInput):
    """The teller confirms (or disputes) that the spoken answer matches the tapped one."""

    kind: ClassVar[str] = "answer_confirmed"
    question_id: str
    confirmed: bool

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.question_id, "question_id", 64)
        _check(isinstance(self.confirmed, bool), "confirmed is a boolean")


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalConfirmation(FlowInput):
    """The customer's final confirmation of the willingness check."""

    kind: ClassVar[str] = "final_confirmation"
    confirm: bool

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(isinstance(self.confirm, bool), "confirm is a boolean")


@dataclass(frozen=True, slots=True, kw_only=True)
class WillingnessRejected(FlowInput):
    """The teller ends a willingness check as not confirmed (e.g. the customer seems coached)."""

    kind: ClassVar[str] = "willingness_rejected"
    reason: str

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.reason, "reason", MAX_REASON)


@dataclass(frozen=True, slots=True, kw_only=True)
class CardReviewed(FlowInput):
    """The teller's review of a field-issued card."""

    kind: ClassVar[str] = "card_reviewed"
    card_id: str
    approve: bool
    reason: CardReviewReason

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.card_id, "card_id", 64)
        _check(isinstance(self.approve, bool), "approve is a boolean")
        _check(isinstance(self.reason, CardReviewReason), "reason must be a CardReviewReason")


# --- results of commands (actor system) -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerLookedUp(FlowInput):
    """Result of :class:`~video_bank.flows.commands.LookupCustomer`."""

    kind: ClassVar[str] = "customer_looked_up"
    command_id: int
    profile: CustomerProfile | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationLoaded(FlowInput):
    """Result of :class:`~video_bank.flows.commands.LoadApplication`."""

    kind: ClassVar[str] = "application_loaded"
    command_id: int
    application: CorporateApplication | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandCompleted(FlowInput):
    """A write command committed; ``change`` is its masked diff (``None`` for feedback records)."""

    kind: ClassVar[str] = "command_completed"
    command_id: int
    change: Change | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandFailed(FlowInput):
    """A command changed nothing: ``code`` from the core-banking error (``server_error`` for ours)."""

    kind: ClassVar[str] = "command_failed"
    command_id: int
    code: str
    message: str


# --- ending ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowCancelled(FlowInput):
    """The teller stops the flow, with a reason."""

    kind: ClassVar[str] = "cancelled"
    reason: str

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.reason, "reason", MAX_REASON)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnded(FlowInput):
    """The video session ended (hang-up, lost connection…)."""

    kind: ClassVar[str] = "session_ended"
    reason: str

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check_text(self.reason, "reason", 64)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rated(FlowInput):
    """The customer's rating of the service, 1–5, with an optional comment."""

    kind: ClassVar[str] = "rated"
    score: int
    comment: str | None = None

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(type(self.score) is int and 1 <= self.score <= 5, "score must be 1 to 5")
        _check_text(self.comment, "comment", MAX_COMMENT, optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpChosen(FlowInput):
    """The teller's wrap-up disposition code."""

    kind: ClassVar[str] = "wrap_up"
    code: Disposition

    def __post_init__(self) -> None:
        FlowInput.__post_init__(self)
        _check(isinstance(self.code, Disposition), "code must be a Disposition")
