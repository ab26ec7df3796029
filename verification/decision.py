"""The result of one verification attempt: pass, review or fail, with everything that led to it.

:class:`Decision` carries every score, the reasons, the challenge sequence with prompt and response
times, and the keyframes (embeddings and JPEG frames) for the session record. The teller sees
:meth:`Decision.teller_view` (no images, no embeddings); the customer sees only
:meth:`Decision.customer_view`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from verification.baseline import Baseline
from verification.challenges import Action
from verification.matching import MatchResult, MatchVerdict, match
from verification.passive import identity_spread
from verification.policy import VerificationPolicy
from verification.reasons import CUSTOMER_NEXT_STEP, EXPLANATIONS, FAILING, Reason, next_step


class Outcome(StrEnum):
    """The verdict."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    REVIEW = "review"
    FAIL = "fail"
    BUSY = "busy"
    """No verdict on the customer: the server could not analyse enough frames (start again)."""
    INTERRUPTED = "interrupted"
    """No verdict: a party's connection was lost during the attempt (start a new, complete one)."""


class TryResult(StrEnum):
    """How one prompt of a challenge ended."""

    PASSED = "passed"
    RESPONSE_TOO_FAST = "response_too_fast"
    WRONG_ACTION = "wrong_action"
    UNPROMPTED_ACTION = "unprompted_action"
    NO_PARALLAX = "no_parallax"
    ACTION_NOT_SEEN = "action_not_seen"

    @property
    def reason(self) -> Reason | None:
        """The attempt-level reason for a failed try."""
        return None if self is TryResult.PASSED else Reason(self.value)


@dataclass(frozen=True, slots=True)
class TryRecord:
    """One prompt of a challenge and what happened."""

    action: Action
    """The action asked for."""
    prompted_at: float | None
    """When the prompt was sent (``None`` when an unprompted action failed the try before it)."""
    ended_at: float
    """When the try was decided."""
    result: TryResult
    """How it ended."""
    onset: float | None = None
    """When the asked (or offending) movement started."""
    completed_at: float | None = None
    """When the asked (or offending) movement met its threshold."""
    other_action: Action | None = None
    """The action performed instead, for wrong or unprompted actions."""
    window_fps: float | None = None
    """Frames analysed per second in the window, for an action not seen."""

    @property
    def reaction_seconds(self) -> float | None:
        """Onset minus prompt time."""
        if self.onset is None or self.prompted_at is None:
            return None
        return self.onset - self.prompted_at


@dataclass(frozen=True, slots=True)
class ChallengeRecord:
    """One action of the sequence with its tries."""

    index: int
    """Position in the sequence, from 0."""
    action: Action
    """The action."""
    tries: tuple[TryRecord, ...]
    """Each prompt in order."""

    @property
    def passed(self) -> bool:
        """Whether a try passed."""
        return any(t.result is TryResult.PASSED for t in self.tries)


@dataclass(frozen=True, slots=True, eq=False)
class Keyframe:
    """A frame whose embedding was computed."""

    at: float
    """Server time of the frame."""
    embedding: npt.NDArray[np.float64] = field(repr=False)
    """128-d embedding."""
    jpeg: bytes | None = field(default=None, repr=False)
    """The frame as JPEG, for the session record only."""


@dataclass(frozen=True, slots=True)
class Scores:
    """Every number the decision used."""

    match: MatchResult | None
    """Face match against the reference (``None`` without a reference or keyframes)."""
    identity_spread: float | None
    """Largest keyframe distance from their medoid (``None`` without keyframes)."""
    static_longest_run: float
    """Longest run of identical frames, seconds."""
    loop_repeats: int
    """Frames that repeated an earlier frame."""
    largest_jump: float
    """Largest face movement between consecutive frames, eye distances."""
    longest_face_loss: float
    """Longest time without a face after the baseline started, seconds."""
    scans_with_several_faces: int
    """Full-frame scans that saw more than one face."""
    frames_analysed: int
    """Frames fed to the attempt."""
    effective_fps: float
    """Frames analysed per second over the attempt."""
    paused_seconds: float = 0.0
    """Time the attempt spent paused because too few frames were analysed."""


@dataclass(frozen=True, slots=True, eq=False)
class Decision:
    """The verdict of one attempt and its evidence."""

    outcome: Outcome
    """Pass, review or fail."""
    reasons: tuple[Reason, ...]
    """Findings, most important first; empty on a clean pass."""
    nonce: str = field(repr=False)
    """The attempt's single-use nonce."""
    sequence: tuple[Action, ...]
    """The challenge sequence drawn for the attempt."""
    challenges: tuple[ChallengeRecord, ...]
    """What happened for each challenge reached."""
    scores: Scores
    """Every score."""
    keyframes: tuple[Keyframe, ...] = field(repr=False)
    """Keyframes used for identity checks (kept for the session record)."""
    baseline: Baseline | None
    """The customer's resting values, if the baseline was completed."""
    started_at: float
    """Server time of the attempt's first frame."""
    decided_at: float
    """Server time of the decision."""

    @property
    def seconds(self) -> float:
        """Time from the first frame to the verdict."""
        return self.decided_at - self.started_at

    def customer_view(self) -> dict[str, str]:
        """What the customer may see: pass, fail or that the teller completes the check; no scores."""
        if self.outcome is Outcome.PASS:
            return {"status": "passed", "message": "Thank you, your identity is confirmed."}
        if self.outcome is Outcome.REVIEW:
            return {"status": "teller_check", "message": "Thank you. The teller will finish the check."}
        if self.outcome is Outcome.BUSY:
            return {"status": "busy", "message": CUSTOMER_NEXT_STEP[Reason.BUSY]}
        if self.outcome is Outcome.INTERRUPTED:
            return {"status": "interrupted", "message": CUSTOMER_NEXT_STEP[Reason.INTERRUPTED]}
        return {"status": "failed", "message": next_step(self.reasons)}

    def teller_view(self) -> dict[str, Any]:
        """Everything the teller sees, JSON-ready (no images, no embeddings)."""
        m = self.scores.match
        return {
            "outcome": self.outcome.value,
            "reasons": [{"code": r.value, "text": EXPLANATIONS[r]} for r in self.reasons],
            "sequence": [a.value for a in self.sequence],
            "challenges": [
                {
                    "index": c.index,
                    "action": c.action.value,
                    "passed": c.passed,
                    "tries": [
                        {
                            "result": t.result.value,
                            "reaction_seconds": _round(t.reaction_seconds),
                            "completed_after_prompt": _round(
                                None
                                if t.completed_at is None or t.prompted_at is None
                                else t.completed_at - t.prompted_at
                            ),
                            "other_action": t.other_action.value if t.other_action else None,
                            "window_fps": _round(t.window_fps),
                        }
                        for t in c.tries
                    ],
                }
                for c in self.challenges
            ],
            "scores": {
                "match_distance": _round(m.median if m else None),
                "match_verdict": m.verdict.value if m else None,
                "keyframe_distances": [_round(d) for d in m.distances] if m else [],
                "identity_spread": _round(self.scores.identity_spread),
                "static_longest_run": _round(self.scores.static_longest_run),
                "loop_repeats": self.scores.loop_repeats,
                "largest_jump": _round(self.scores.largest_jump),
                "longest_face_loss": _round(self.scores.longest_face_loss),
                "scans_with_several_faces": self.scores.scans_with_several_faces,
                "frames_analysed": self.scores.frames_analysed,
                "effective_fps": _round(self.scores.effective_fps),
                "paused_seconds": _round(self.scores.paused_seconds),
            },
            "keyframes": len(self.keyframes),
            "seconds": _round(self.seconds),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def decide(
    *,
    liveness: Sequence[Reason],
    keyframes: Sequence[Keyframe],
    reference: npt.NDArray[np.float64] | None,
    policy: VerificationPolicy,
) -> tuple[Outcome, tuple[Reason, ...], MatchResult | None, float | None]:
    """Outcome, reasons, match and identity spread from the liveness findings and keyframes.

    Liveness findings always fail. Without liveness findings, the identity checks run: too few
    keyframes fail, keyframes of different people fail, then the match decides.
    """
    reasons: list[Reason] = list(dict.fromkeys(liveness))
    embeddings = [k.embedding for k in keyframes]
    spread = identity_spread(embeddings).largest if embeddings else None
    result = match(embeddings, reference, policy.match) if embeddings and reference is not None else None
    if not reasons:
        if len(embeddings) < policy.passive.min_keyframes:
            reasons.append(Reason.TOO_FEW_KEYFRAMES)
        elif spread is not None and spread > policy.passive.identity_spread:
            reasons.append(Reason.IDENTITY_CHANGED)
    if result is not None and result.verdict is MatchVerdict.REJECT:
        reasons.append(Reason.FACE_MISMATCH)
    elif result is not None and result.verdict is MatchVerdict.REVIEW:
        reasons.append(Reason.MATCH_UNCERTAIN)
    elif reference is None:
        reasons.append(Reason.NO_REFERENCE)
    # An early rejection already names the mismatch; each reason is listed once.
    reasons = list(dict.fromkeys(reasons))
    outcome: Outcome
    if Reason.INTERRUPTED in reasons:
        # Broken off by a lost connection: whatever was seen so far is evidence, never a verdict.
        outcome = Outcome.INTERRUPTED
    elif Reason.BUSY in reasons and not any(r in FAILING for r in reasons):
        outcome = Outcome.BUSY
    elif any(r in FAILING for r in reasons):
        outcome = Outcome.FAIL
    elif reasons:
        outcome = Outcome.REVIEW
    else:
        outcome = Outcome.PASS
    return outcome, tuple(reasons), result, spread
