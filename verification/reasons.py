"""Why an attempt did not pass: machine codes, the teller's explanation, and the customer's next step.

The teller sees every reason with its explanation; the customer sees only pass/fail and
:data:`CUSTOMER_NEXT_STEP` for the first reason (never which check caught what, which would coach an
attacker).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """One finding of an attempt."""

    # Liveness: any of these fails the attempt.
    STATIC_FRAMES = "static_frames"
    LOOPED_VIDEO = "looped_video"
    FACE_TRACK_BROKEN = "face_track_broken"
    FACE_LOST = "face_lost"
    MULTIPLE_FACES = "multiple_faces"
    IDENTITY_CHANGED = "identity_changed"
    RESPONSE_TOO_FAST = "response_too_fast"
    WRONG_ACTION = "wrong_action"
    UNPROMPTED_ACTION = "unprompted_action"
    NO_PARALLAX = "no_parallax"
    ACTION_NOT_SEEN = "action_not_seen"
    NO_USABLE_FACE = "no_usable_face"
    TOO_FEW_KEYFRAMES = "too_few_keyframes"
    TIMED_OUT = "timed_out"
    ABORTED = "aborted"
    # Not about the customer: a party's connection was lost; the attempt is broken off, never resumed.
    INTERRUPTED = "interrupted"
    # Not about the customer: the server could not analyse enough frames to decide.
    BUSY = "busy"
    # Face match.
    FACE_MISMATCH = "face_mismatch"
    MATCH_UNCERTAIN = "match_uncertain"
    NO_REFERENCE = "no_reference"


EXPLANATIONS: dict[Reason, str] = {
    Reason.STATIC_FRAMES: "The video did not change for a while: a still image may have been injected.",
    Reason.LOOPED_VIDEO: "The same frames came back at a regular interval: a looped recording.",
    Reason.FACE_TRACK_BROKEN: "The face jumped between frames: the video was cut or switched.",
    Reason.FACE_LOST: "The face left the picture for too long.",
    Reason.MULTIPLE_FACES: "More than one face was in view.",
    Reason.IDENTITY_CHANGED: "The face did not stay the same person throughout the attempt.",
    Reason.RESPONSE_TOO_FAST: "An action started before a person could have reacted to its prompt.",
    Reason.WRONG_ACTION: "A different action was performed than the one asked.",
    Reason.UNPROMPTED_ACTION: "An action was performed before it was asked for.",
    Reason.NO_PARALLAX: "The face turned or tilted like a flat picture (no 3-D parallax of the nose).",
    Reason.ACTION_NOT_SEEN: "An asked action was not performed within its time.",
    Reason.NO_USABLE_FACE: "No clear, single, frontal face was seen in time.",
    Reason.TOO_FEW_KEYFRAMES: "Too few clear frames to check who the person is.",
    Reason.TIMED_OUT: "The attempt took too long.",
    Reason.ABORTED: "The video ended or the attempt was stopped before a decision.",
    Reason.BUSY: "The server could not analyse the video fast enough to decide; this says nothing about "
    "the customer. Start the check again in a moment.",
    Reason.INTERRUPTED: "A connection was lost during the check: it was broken off, does not count and is "
    "never continued. Start a new, complete check.",
    Reason.FACE_MISMATCH: "The face does not match the reference photo.",
    Reason.MATCH_UNCERTAIN: "The face match is uncertain; a person must compare the photos.",
    Reason.NO_REFERENCE: "There is no reference photo to compare with; a person must check the identity.",
}
"""The teller's explanation of each reason."""

CUSTOMER_NEXT_STEP: dict[Reason, str] = {
    Reason.NO_USABLE_FACE: "We could not see you clearly. Please find good light, hold the phone at eye "
    "level and try again.",
    Reason.FACE_LOST: "Please keep your face in the picture the whole time and try again.",
    Reason.MULTIPLE_FACES: "Please make sure you are alone in the picture and try again.",
    Reason.ACTION_NOT_SEEN: "Please follow each instruction when it appears and try again.",
    Reason.WRONG_ACTION: "Please follow each instruction when it appears and try again.",
    Reason.TIMED_OUT: "That took too long. Please try again.",
    Reason.ABORTED: "The video was interrupted. Please try again.",
    Reason.BUSY: "Our system is busy right now. The teller will start the check again in a moment.",
    Reason.INTERRUPTED: "The connection was interrupted. The teller will start the check again.",
}
"""What the customer is told when an attempt fails, by first reason; anything else gets :data:`GENERIC`."""

GENERIC_NEXT_STEP = "We could not confirm it is you. Please try again, or the teller will help you."
"""The customer's message for reasons not listed in :data:`CUSTOMER_NEXT_STEP`."""

FAILING: frozenset[Reason] = frozenset(Reason) - {
    Reason.MATCH_UNCERTAIN,
    Reason.NO_REFERENCE,
    Reason.BUSY,
    Reason.INTERRUPTED,
}
"""Reasons that fail an attempt; ``busy`` and ``interrupted`` end it undecided; the others send it to a
person (review)."""


def next_step(reasons: tuple[Reason, ...]) -> str:
    """The customer's next step for a failed attempt."""
    for reason in reasons:
        if reason in CUSTOMER_NEXT_STEP:
            return CUSTOMER_NEXT_STEP[reason]
    return GENERIC_NEXT_STEP
