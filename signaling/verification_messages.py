"""Protocol v1 messages of liveness and face verification inside a call (docs/protocol.md).

The teller starts and stops an attempt; the server alone decides. The customer's page sends nothing
here: it receives prompts and guidance and, at the end, only whether it passed and what to do next.
Every server message carries the attempt's single-use id (``attempt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerificationStart:
    """Teller: verify the customer of this call against a reference photo."""

    TYPE: ClassVar[str] = "verification_start"
    session_id: str
    customer_id: str | None = None
    """Customer whose reference to match; may be omitted once a business flow identified them."""


@dataclass(frozen=True, slots=True)
class VerificationResolve:
    """Teller: accept or reject a ``review`` decision, with a reason code (and, when the bank requires
    four eyes, a second staff member's credentials, checked by the server)."""

    TYPE: ClassVar[str] = "verification_resolve"
    session_id: str
    attempt: str
    accept: bool
    reason: str
    """``matches_reference`` or ``matches_id_document`` to accept; ``different_person``,
    ``reference_unusable`` or ``suspected_attack`` to reject."""
    comment: str | None = None
    second_username: str | None = None
    second_password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class VerificationStop:
    """Teller: abandon the running attempt (it ends as a failure)."""

    TYPE: ClassVar[str] = "verification_stop"
    session_id: str


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerificationStarted:
    """To both parties: an attempt began."""

    TYPE: ClassVar[str] = "verification_started"
    session_id: str
    attempt: str
    challenges: int
    """How many actions will be asked."""


@dataclass(frozen=True, slots=True)
class VerificationPhase:
    """To the teller: the attempt moved on."""

    TYPE: ClassVar[str] = "verification_phase"
    session_id: str
    attempt: str
    phase: str
    """``quality``, ``baseline``, ``challenge``, ``deciding``, ``done``, or ``paused`` (the server analyses
    too few frames to judge: the attempt waits, the customer is asked to hold still)."""


@dataclass(frozen=True, slots=True)
class VerificationGuidance:
    """To the customer: what to change so the camera sees them well."""

    TYPE: ClassVar[str] = "verification_guidance"
    session_id: str
    attempt: str
    issue: str
    message: str


@dataclass(frozen=True, slots=True)
class VerificationPrompt:
    """To both parties: the action to perform now."""

    TYPE: ClassVar[str] = "verification_prompt"
    session_id: str
    attempt: str
    index: int
    action: str
    """``blink``, ``open_mouth``, ``turn_left``, ``turn_right`` or ``nod``."""
    attempt_try: int
    text: str
    deadline_seconds: float
    """Time allowed from now (relative: the client's clock is neither trusted nor needed)."""


@dataclass(frozen=True, slots=True)
class VerificationProgress:
    """To the teller: one action was judged."""

    TYPE: ClassVar[str] = "verification_progress"
    session_id: str
    attempt: str
    index: int
    action: str
    status: Literal["passed", "retry", "failed"]
    result: str


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The verdict: the teller gets ``outcome`` and ``detail``; the customer ``status`` and ``message``."""

    TYPE: ClassVar[str] = "verification_result"
    session_id: str
    attempt: str
    outcome: str | None = None
    """Teller: ``pass``, ``review``, ``fail`` or ``busy`` (no verdict: the server was too slow)."""
    detail: dict[str, Any] | None = None
    status: str | None = None
    """Customer: ``passed``, ``failed``, ``teller_check`` or ``busy``."""
    message: str | None = None


@dataclass(frozen=True, slots=True)
class VerificationRefused:
    """To the teller: no attempt can start now."""

    TYPE: ClassVar[str] = "verification_refused"
    session_id: str
    reason: str
    """``locked_out``, ``no_reference``, ``already_running``, ``customer_absent``, ``unavailable``,
    ``busy`` (the server cannot analyse another check fast enough now); for ``verification_resolve``:
    ``no_review``, ``second_staff_required``, ``second_staff_invalid``, ``second_staff_throttled``."""
    message: str
    until: float | None = None
    """Locked out: when new attempts are accepted again (server time, seconds since the epoch)."""
    retry_after: float | None = None
    """Busy: seconds after which a new start is judged afresh (the server's measurement of its
    analysis speed lapses then); the console keeps its start button off until then."""


@dataclass(frozen=True, slots=True)
class VerificationReview:
    """To the teller only: a ``review`` decision to resolve, the reference photo beside the best live
    keyframe (JPEG data URLs — biometric data: shown, never logged) and the match distance."""

    TYPE: ClassVar[str] = "verification_review"
    session_id: str
    attempt: str
    distance: float | None
    accept_threshold: float
    review_threshold: float
    reference_image: str | None
    keyframe_image: str | None
    reasons: list[str]
    accept_reasons: list[str]
    reject_reasons: list[str]
    four_eyes: bool


@dataclass(frozen=True, slots=True)
class VerificationResolved:
    """To the teller: the review was resolved — by whom, when, why."""

    TYPE: ClassVar[str] = "verification_resolved"
    session_id: str
    attempt: str
    accept: bool
    reason: str
    by: str
    at: float
    second: str | None = None


VERIFICATION_CLIENT = (VerificationStart, VerificationStop, VerificationResolve)
VERIFICATION_SERVER = (
    VerificationStarted,
    VerificationPhase,
    VerificationGuidance,
    VerificationPrompt,
    VerificationProgress,
    VerificationResult,
    VerificationRefused,
    VerificationReview,
    VerificationResolved,
)
