"""Commands a flow asks the executor to carry out against core banking.

A flow never awaits: it returns commands, the executor
(:class:`~video_bank.flows.executor.FlowExecutor`) runs each (reads, or one transaction per write) and
feeds the result back as an input (:class:`~video_bank.flows.inputs.CustomerLookedUp`,
:class:`~video_bank.flows.inputs.ApplicationLoaded`, :class:`~video_bank.flows.inputs.CommandCompleted`
or :class:`~video_bank.flows.inputs.CommandFailed`). ``id``, ``at`` and ``actor`` are filled in by the
flow when it issues the command. Secrets are hashed by the executor, off the event loop, just before
the write; no command's ``repr`` shows one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from video_bank.core_banking.models import ApplicationStatus, CardReviewReason, Secret, WillingnessAnswer
from video_bank.flows.steps import Disposition


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """Base of every command."""

    writes: ClassVar[bool] = True
    """Whether the command changes stored data (and so passes the policy gate first)."""
    id: int = 0
    """Sequence number within the flow; the result names it."""
    at: float = 0.0
    """Server time of the input that caused it (the change's time)."""
    actor: str = ""
    """Staff account or role that caused it (for the event log)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupCustomer(Command):
    """Load the customer with this resident ID number and their cards, accounts, applications."""

    writes: ClassVar[bool] = False
    resident_id: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadApplication(Command):
    """Load a corporate application."""

    writes: ClassVar[bool] = False
    application_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivateCard(Command):
    """Set the card's first PIN (hashed by the executor) and make it active."""

    card_id: str
    pin: Secret = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetPassword(Command):
    """Replace the debit account's password (hashed by the executor)."""

    account_id: str
    password: Secret = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateContact(Command):
    """Replace the customer's phone and/or address."""

    customer_id: str
    phone: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DecideApplication(Command):
    """Record the willingness check's outcome and its confirmed answers with the application."""

    application_id: str
    status: ApplicationStatus
    reason: str | None = None
    answers: tuple[WillingnessAnswer, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewCard(Command):
    """Approve a field-issued card, or reject (and freeze) it."""

    card_id: str
    reason: CardReviewReason


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRating(Command):
    """Store the customer's rating of the session (not a core-banking change: no gate)."""

    writes: ClassVar[bool] = False
    business: str
    customer_id: str | None
    score: int
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordDisposition(Command):
    """Store the teller's wrap-up code (not a core-banking change: no gate)."""

    writes: ClassVar[bool] = False
    business: str
    customer_id: str | None
    code: Disposition
