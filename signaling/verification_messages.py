"""Protocol v1 messages of liveness and face verification inside a call (docs/protocol.md).

The teller starts and stops an attempt; the server alone decides. The customer's page sends nothing
here: it receives prompts and guidance and, at the end, only whether it passed and what to do next.
Every server message carries the attempt's single-use id (``attempt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from signaling.wire_fields import AttemptId, In, Items, Length, Matches, Range, SessionId

AcceptReason = Literal["matches_reference", "matches_id_document"]
"""Why staff accept a ``review`` decision (``verification.review.ReviewReason``)."""
RejectReason = Literal["different_person", "reference_unusable", "suspected_attack"]
"""Why staff reject one."""
ReviewReason = Literal[AcceptReason, RejectReason]
"""A reason code of a resolved review."""
RefusalReason = Literal[
    "locked_out",
    "no_reference",
    "already_running",
    "customer_absent",
    "unavailable",
    "busy",
    "no_review",
    "second_staff_required",
    "second_staff_invalid",
    "second_staff_throttled",
]
"""Why no verification attempt can start now, or a review cannot be resolved."""
TellerVerdict = Literal["pass", "review", "fail", "busy", "interrupted"]
"""An attempt's outcome as the teller is told it."""
CustomerVerdict = Literal["passed", "failed", "teller_check", "busy", "interrupted"]
"""An attempt's outcome as the customer is told it."""
JpegDataUrl = Annotated[str | None, Matches("data:image/jpeg;base64,[A-Za-z0-9+/=]+"), Length(max=2_000_000)]
"""A JPEG as a data URL (biometric: shown, never logged); ``null`` when there is none."""

# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerificationStart:
    """Teller: verify the customer of this call against a reference photo."""

    TYPE: ClassVar[str] = "verification_start"
    session_id: SessionId
    """The call."""
    customer_id: Annotated[str | None, Matches("[A-Za-z0-9_-]{1,64}")] = None
    """Customer whose reference to match; may be omitted once a business flow identified them."""


@dataclass(frozen=True, slots=True)
class VerificationResolve:
    """Teller: accept or reject a ``review`` decision, with a reason code (and, when the bank requires
    four eyes, a second staff member's credentials, checked by the server)."""

    TYPE: ClassVar[str] = "verification_resolve"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt whose ``review`` is resolved."""
    accept: bool
    """Accept or reject."""
    reason: ReviewReason
    """``matches_reference`` or ``matches_id_document`` to accept; ``different_person``,
    ``reference_unusable`` or ``suspected_attack`` to reject."""
    comment: Annotated[str | None, Length(max=200)] = None
    """The teller's words."""
    second_username: Annotated[str | None, Length(1, 64)] = None
    """Four eyes: the second staff member's account."""
    second_password: Annotated[str | None, Length(1, 256)] = field(default=None, repr=False)
    """Four eyes: their password; never logged or echoed."""


@dataclass(frozen=True, slots=True)
class VerificationStop:
    """Teller: abandon the running attempt (it ends as a failure)."""

    TYPE: ClassVar[str] = "verification_stop"
    session_id: SessionId
    """The call."""


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerificationStarted:
    """To both parties: an attempt began."""

    TYPE: ClassVar[str] = "verification_started"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt's single-use id."""
    challenges: Annotated[int, Range(1, 10)]
    """How many actions will be asked."""


@dataclass(frozen=True, slots=True)
class VerificationPhase:
    """To the teller: the attempt moved on."""

    TYPE: ClassVar[str] = "verification_phase"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt."""
    phase: Literal["quality", "baseline", "challenge", "deciding", "done", "paused"]
    """``quality``, ``baseline``, ``challenge``, ``deciding``, ``done``, or ``paused`` (the server analyses
    too few frames to judge: the attempt waits, the customer is asked to hold still)."""


@dataclass(frozen=True, slots=True)
class VerificationGuidance:
    """To the customer: what to change so the camera sees them well."""

    TYPE: ClassVar[str] = "verification_guidance"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt."""
    issue: Annotated[str, Length(max=64)]
    """What is wrong (a code)."""
    message: Annotated[str, Length(max=300)]
    """Plain-language advice."""


@dataclass(frozen=True, slots=True)
class VerificationPrompt:
    """To both parties: the action to perform now."""

    TYPE: ClassVar[str] = "verification_prompt"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt."""
    index: Annotated[int, Range(min=0)]
    """Which action of the sequence, from 0."""
    action: Literal["blink", "open_mouth", "turn_left", "turn_right", "nod"]
    """What to do."""
    attempt_try: Annotated[int, Range(min=1)]
    """Which try of this action, from 1."""
    text: Annotated[str, Length(max=200)]
    """The prompt in English."""
    deadline_seconds: Annotated[float, Range(min=0)]
    """Time allowed from now (relative: the client's clock is neither trusted nor needed)."""


@dataclass(frozen=True, slots=True)
class VerificationProgress:
    """To the teller: one action was judged."""

    TYPE: ClassVar[str] = "verification_progress"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt."""
    index: Annotated[int, Range(min=0)]
    """Which action of the sequence."""
    action: Annotated[str, Length(max=32)]
    """The action judged."""
    status: Literal["passed", "retry", "failed"]
    """The judgement."""
    result: Annotated[str, Length(max=64)]
    """Why (a code)."""


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The verdict: the teller gets ``outcome`` and ``detail``; the customer ``status`` and ``message``."""

    TYPE: ClassVar[str] = "verification_result"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt."""
    outcome: Annotated[str | None, In(TellerVerdict)] = None
    """Teller: ``pass``, ``review``, ``fail``; no verdict: ``busy`` (the server was too slow) or
    ``interrupted`` (a connection dropped)."""
    detail: dict[str, Any] | None = None
    """Teller: scores, reasons and challenges."""
    status: Annotated[str | None, In(CustomerVerdict)] = None
    """Customer: ``passed``, ``failed``, ``teller_check``, ``busy`` or ``interrupted``."""
    message: Annotated[str | None, Length(max=300)] = None
    """Customer: what to do next, in plain words."""


@dataclass(frozen=True, slots=True)
class VerificationRefused:
    """To the teller: no attempt can start now."""

    TYPE: ClassVar[str] = "verification_refused"
    session_id: SessionId
    """The call."""
    reason: Annotated[str, In(RefusalReason)]
    """``locked_out``, ``no_reference``, ``already_running``, ``customer_absent``, ``unavailable``,
    ``busy`` (the server cannot analyse another check fast enough now); for ``verification_resolve``:
    ``no_review``, ``second_staff_required``, ``second_staff_invalid``, ``second_staff_throttled``."""
    message: Annotated[str, Length(max=300)]
    """Plain English for the teller."""
    until: float | None = None
    """Locked out: when new attempts are accepted again (server time, seconds since the epoch)."""
    retry_after: Annotated[float | None, Range(min=0)] = None
    """Busy: seconds after which a new start is judged afresh (the server's measurement of its
    analysis speed lapses then); the console keeps its start button off until then."""


@dataclass(frozen=True, slots=True)
class VerificationReview:
    """To the teller only: a ``review`` decision to resolve, the reference photo beside the best live
    keyframe (JPEG data URLs — biometric data: shown, never logged) and the match distance."""

    TYPE: ClassVar[str] = "verification_review"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt to resolve."""
    distance: float | None
    """The face match's median distance (``null``: no match was measured)."""
    accept_threshold: float
    """Distances up to this pass."""
    review_threshold: float
    """Distances up to this are reviewed; above, they fail."""
    reference_image: JpegDataUrl
    """The enrolled reference photo."""
    keyframe_image: JpegDataUrl
    """The best live keyframe."""
    reasons: Annotated[list[Annotated[str, Length(max=64)]], Items(max=20)]
    """Why the decision is ``review`` (codes)."""
    accept_reasons: list[Annotated[str, In(AcceptReason)]]
    """The reason codes that accept."""
    reject_reasons: list[Annotated[str, In(RejectReason)]]
    """The reason codes that reject."""
    four_eyes: bool
    """A second staff member must confirm."""


@dataclass(frozen=True, slots=True)
class VerificationResolved:
    """To the teller: the review was resolved — by whom, when, why."""

    TYPE: ClassVar[str] = "verification_resolved"
    session_id: SessionId
    """The call."""
    attempt: AttemptId
    """The attempt resolved."""
    accept: bool
    """Accepted or rejected."""
    reason: ReviewReason
    """The reason code."""
    by: Annotated[str, Length(max=64)]
    """The teller's account."""
    at: float
    """Server time (epoch seconds)."""
    second: Annotated[str | None, Length(max=64)] = None
    """Four eyes: the second staff member's account."""


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
