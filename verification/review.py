"""Resolving a ``review`` decision: the teller compares the reference photo with the live face and
accepts or rejects it with a reason code; a bank may require a second staff member (four eyes).

Pure rules only; the desk (:mod:`video_bank.desks.verification_desk`) checks credentials and sends
the images. A resolution — who, when, why, and who confirmed it — enters the session's timeline and
the business flow's policy gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from verification.decision import Decision, Keyframe, Outcome


class ReviewReason(StrEnum):
    """Why a teller accepted or rejected a review."""

    MATCHES_REFERENCE = "matches_reference"
    """The live face is the person on the reference photo."""
    MATCHES_ID_DOCUMENT = "matches_id_document"
    """Confirmed against the identity document the customer showed on camera."""
    DIFFERENT_PERSON = "different_person"
    """The live face is not the person on the reference photo."""
    REFERENCE_UNUSABLE = "reference_unusable"
    """The reference photo cannot settle it (too old, too poor); the customer must re-enrol in person."""
    SUSPECTED_ATTACK = "suspected_attack"
    """Something about the video looks staged (a mask, a screen, a coached stranger)."""


ACCEPT_REASONS: tuple[ReviewReason, ...] = (ReviewReason.MATCHES_REFERENCE, ReviewReason.MATCHES_ID_DOCUMENT)
"""Reasons that may accept a review."""
REJECT_REASONS: tuple[ReviewReason, ...] = (
    ReviewReason.DIFFERENT_PERSON,
    ReviewReason.REFERENCE_UNUSABLE,
    ReviewReason.SUSPECTED_ATTACK,
)
"""Reasons that may reject a review."""
SECOND_ROLES = frozenset({"teller", "supervisor"})
"""Roles whose members may confirm a colleague's resolution (four eyes)."""
MAX_COMMENT = 200


@dataclass(frozen=True, slots=True)
class ReviewResolution:
    """A review decided by staff."""

    attempt: str
    """The attempt resolved."""
    accept: bool
    """Accepted (the customer counts as verified) or rejected."""
    reason: ReviewReason
    """Why."""
    by: str
    """The teller who decided."""
    at: float
    """Server time of the resolution."""
    second: str | None = None
    """The staff member who confirmed it (four eyes), if required."""
    comment: str | None = None
    """The teller's free text (optional, at most 200 characters)."""

    def to_event(self) -> dict[str, object]:
        """The timeline entry (no images, no scores)."""
        return {
            "attempt": self.attempt,
            "accept": self.accept,
            "reason": self.reason.value,
            "by": self.by,
            "second": self.second,
            "comment": self.comment,
            "at": round(self.at, 3),
        }


class ReviewRefused(Exception):
    """A resolution that cannot be accepted; ``code`` for the teller's panel."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def best_keyframe(decision: Decision) -> tuple[Keyframe, float] | None:
    """The keyframe closest to the reference (the fairest picture to compare), with its distance."""
    match = decision.scores.match
    if match is None or not decision.keyframes:
        return None
    index = int(np.argmin(match.distances))
    return decision.keyframes[index], match.distances[index]


def resolve(
    decision: Decision,
    *,
    accept: bool,
    reason: str,
    by: str,
    at: float,
    comment: str | None = None,
    second: tuple[str, str] | None = None,
    four_eyes: bool = False,
) -> ReviewResolution:
    """A resolution of ``decision`` by ``by``; ``second`` is the confirming staff member's (username,
    role) once their credentials were checked. Raises :class:`ReviewRefused`."""
    if decision.outcome is not Outcome.REVIEW:
        raise ReviewRefused("no_review", "this attempt did not end in review")
    try:
        code = ReviewReason(reason)
    except ValueError:
        raise ReviewRefused("invalid_reason", f"unknown reason {reason!r}") from None
    if code not in (ACCEPT_REASONS if accept else REJECT_REASONS):
        raise ReviewRefused("invalid_reason", f"{code.value} cannot {'accept' if accept else 'reject'}")
    if comment is not None and (len(comment) > MAX_COMMENT or not comment.strip()):
        raise ReviewRefused("invalid_reason", f"a comment is 1-{MAX_COMMENT} characters")
    confirmed = None
    if four_eyes:
        if second is None:
            raise ReviewRefused("second_staff_required", "a second staff member must confirm this review")
        username, role = second
        if username == by:
            raise ReviewRefused("second_staff_invalid", "the second staff member must be someone else")
        if role not in SECOND_ROLES:
            raise ReviewRefused(
                "second_staff_invalid", "the second staff member must be a teller or supervisor"
            )
        confirmed = username
    return ReviewResolution(
        attempt=decision.nonce,
        accept=accept,
        reason=code,
        by=by,
        at=at,
        second=confirmed,
        comment=comment.strip() if comment else None,
    )
