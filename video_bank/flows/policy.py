"""The policy gate: what must be true in this session, for this customer, before a step may run.

:func:`check` looks only at recorded facts — the consent, the identified customer, the verification
decision and the completed steps — never at a client's claim, and names the first unmet requirement:

=============================  ==================================================================
code                           meaning
=============================  ==================================================================
``consent_required``           the customer has not answered the consent page
``consent_refused``            the customer refused recording or biometric processing
``identification_required``    no customer identified in this session
``verification_required``      no verification decision yet
``verification_review_pending``the decision was ``review`` and the teller has not resolved it
``verification_failed``        the decision was ``fail``, or the teller rejected a ``review``
``verification_mismatch``      the decision was for another session or another customer
``step_required``              an earlier business step is not completed (``Refusal.step``)
``not_recorded``               the session is not being recorded: nothing past the consent may run
=============================  ==================================================================

A business adds its own requirement through
:meth:`~video_bank.flows.machine.BusinessSteps.policy` (the corporate check's
``not_legal_representative``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from video_bank.core_banking.models import CustomerProfile
from video_bank.flows.inputs import Decision
from video_bank.flows.outputs import Refusal
from video_bank.flows.steps import Step


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """The customer's two consents, as given."""

    recording: bool
    biometric: bool
    at: float

    @property
    def given(self) -> bool:
        """Both consents given (a video business needs both)."""
        return self.recording and self.biometric


@dataclass(frozen=True, slots=True)
class ReviewResolution:
    """A teller's resolution of a ``review`` decision."""

    accept: bool
    reason: str
    teller: str | None
    at: float


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """The latest verification decision of this session."""

    decision: Decision
    session_id: str
    customer_id: str
    at: float
    reasons: tuple[str, ...] = ()
    resolution: ReviewResolution | None = None

    @property
    def passed(self) -> bool:
        """``pass``, or ``review`` accepted by the teller."""
        if self.decision == "pass":
            return True
        return self.decision == "review" and self.resolution is not None and self.resolution.accept


@dataclass(slots=True)
class Facts:
    """What a flow has established in its session (mutated only by the flow)."""

    session_id: str
    consent: ConsentRecord | None = None
    profile: CustomerProfile | None = None
    """The identified customer."""
    verification: VerificationRecord | None = None
    completed: set[Step] = field(default_factory=set)
    """Steps completed, common and business."""
    recorded: bool = True
    """The session is being recorded. Supervisory rules for video identification want the whole
    session on record: an unrecorded session may talk and take the consent, nothing more."""


def _verification_refusal(facts: Facts) -> Refusal | None:
    record = facts.verification
    if record is None:
        return Refusal("verification_required", "the customer must pass video verification first")
    customer = facts.profile.customer.id if facts.profile is not None else None
    if record.session_id != facts.session_id or record.customer_id != customer:
        return Refusal(
            "verification_mismatch", "the verification was not made for this customer in this session"
        )
    if record.passed:
        return None
    if record.decision == "review" and record.resolution is None:
        return Refusal(
            "verification_review_pending", "the verification needs the teller's review before continuing"
        )
    return Refusal("verification_failed", "the customer did not pass video verification")


def check(facts: Facts, before: Sequence[Step]) -> Refusal | None:
    """The first unmet requirement among the steps ``before`` (in flow order), or ``None``."""
    if before and not facts.recorded:
        return Refusal("not_recorded", "this session is not being recorded: no business may be done in it")
    for step in before:
        if step is Step.CONSENT:
            if facts.consent is None:
                return Refusal("consent_required", "the customer must first answer the consent questions")
            if not facts.consent.given:
                return Refusal(
                    "consent_refused", "the customer did not consent to recording and biometric checks"
                )
        elif step is Step.IDENTIFICATION:
            if facts.profile is None:
                return Refusal("identification_required", "the customer must be identified first")
        elif step is Step.VERIFICATION:
            refusal = _verification_refusal(facts)
            if refusal is not None:
                return refusal
        elif step not in facts.completed:
            return Refusal("step_required", f"the step '{step.value}' must be completed first", step)
    return None
