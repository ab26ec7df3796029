"""Policy values are validated at construction; decisions combine liveness and match findings."""

from __future__ import annotations

import dataclasses

import pytest

from verification.decision import Keyframe, Outcome, decide
from verification.errors import ConfigurationError
from verification.matching import MatchVerdict, match
from verification.policy import (
    ChallengePolicy,
    LockoutPolicy,
    MatchPolicy,
    PassivePolicy,
    QualityPolicy,
    VerificationPolicy,
)
from verification.reasons import CUSTOMER_NEXT_STEP, EXPLANATIONS, FAILING, Reason, next_step
from verification.testing import embedding, person


@pytest.mark.parametrize(
    "make",
    [
        lambda: MatchPolicy(accept=0.5, review=0.4),
        lambda: MatchPolicy(accept=0.4, review=0.5, early_reject=0.45),
        lambda: ChallengePolicy(window=0.2),
        lambda: ChallengePolicy(blink_closed=0.9, blink_open=0.8),
        lambda: ChallengePolicy(gap=(1.0, 0.5)),
        lambda: ChallengePolicy(count=0),
        lambda: QualityPolicy(min_eye_distance=300),
        lambda: QualityPolicy(min_sharpness=float("nan")),
        lambda: PassivePolicy(min_keyframes=9),
        lambda: LockoutPolicy(max_failures=0),
        lambda: VerificationPolicy(sample_fps=0),
    ],
)
def test_invalid_policies_are_refused_with_a_clear_error(make: object) -> None:
    with pytest.raises(ConfigurationError):
        make()  # type: ignore[operator]


def test_the_defaults_are_the_documented_ones() -> None:
    p = VerificationPolicy()
    assert (p.match.accept, p.match.review) == (0.45, 0.55)
    assert (p.challenges.count, p.challenges.window, p.challenges.min_onset, p.challenges.retries) == (
        3,
        6.0,
        0.25,
        1,
    )
    assert (p.sample_fps, p.passive.min_keyframes) == (15.0, 5)
    assert dataclasses.astuple(LockoutPolicy()) == (5, 180.0, 1800.0)


def test_match_uses_the_median_keyframe_distance() -> None:
    reference = embedding(1)
    live = person(reference, 0.3)
    vectors = [live(k) for k in range(4)] + [embedding(9)]  # one spoilt keyframe
    result = match(vectors, reference, MatchPolicy())
    assert result.median == pytest.approx(0.3, abs=0.02)
    assert result.verdict is MatchVerdict.ACCEPT
    with pytest.raises(ValueError, match="no embeddings"):
        match([], reference, MatchPolicy())


def test_liveness_findings_fail_even_with_a_perfect_match() -> None:
    reference = embedding(1)
    keyframes = [Keyframe(float(k), person(reference, 0.1)(k)) for k in range(5)]
    outcome, reasons, result, _ = decide(
        liveness=[Reason.LOOPED_VIDEO], keyframes=keyframes, reference=reference, policy=VerificationPolicy()
    )
    assert outcome is Outcome.FAIL and reasons == (Reason.LOOPED_VIDEO,)
    assert result is not None and result.verdict is MatchVerdict.ACCEPT


def test_too_few_keyframes_fail() -> None:
    reference = embedding(1)
    keyframes = [Keyframe(float(k), person(reference, 0.1)(k)) for k in range(3)]
    outcome, reasons, _, _ = decide(
        liveness=[], keyframes=keyframes, reference=reference, policy=VerificationPolicy()
    )
    assert outcome is Outcome.FAIL and reasons == (Reason.TOO_FEW_KEYFRAMES,)


def test_every_reason_is_explained_and_customers_get_plain_next_steps() -> None:
    assert set(EXPLANATIONS) == set(Reason)
    assert Reason.MATCH_UNCERTAIN not in FAILING and Reason.NO_REFERENCE not in FAILING
    assert next_step((Reason.LOOPED_VIDEO,)) == next_step((Reason.FACE_MISMATCH,))  # never says which check
    assert next_step((Reason.NO_USABLE_FACE,)) == CUSTOMER_NEXT_STEP[Reason.NO_USABLE_FACE]
