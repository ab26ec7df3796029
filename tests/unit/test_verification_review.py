"""Resolving a review: reason codes by direction, four eyes, the closest keyframe shown."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.test_verification_attempt import REFERENCE, attempt, drive
from verification.decision import Decision, Outcome
from verification.review import ReviewReason, ReviewRefused, best_keyframe, resolve
from verification.testing import person


@pytest.fixture(scope="module")
def review() -> Decision:
    live = person(REFERENCE, 0.50)
    decision = drive(attempt(), live=lambda t, k: live(k)).decision
    assert decision.outcome is Outcome.REVIEW
    return decision


def test_a_teller_accepts_or_rejects_with_a_reason_of_that_direction(review: Decision) -> None:
    accepted = resolve(
        review, accept=True, reason="matches_id_document", by="teller1", at=5.0, comment=" ok "
    )
    assert accepted.accept and accepted.reason is ReviewReason.MATCHES_ID_DOCUMENT
    assert accepted.to_event() == {
        "attempt": review.nonce,
        "accept": True,
        "reason": "matches_id_document",
        "by": "teller1",
        "second": None,
        "comment": "ok",
        "at": 5.0,
    }
    rejected = resolve(review, accept=False, reason="different_person", by="teller1", at=5.0)
    assert not rejected.accept
    for accept, reason in ((True, "different_person"), (False, "matches_reference"), (True, "because")):
        with pytest.raises(ReviewRefused) as refused:
            resolve(review, accept=accept, reason=reason, by="teller1", at=5.0)
        assert refused.value.code == "invalid_reason"


def test_four_eyes_needs_someone_else_with_a_staff_role(review: Decision) -> None:
    def attempt_with(second: tuple[str, str] | None) -> str:
        with pytest.raises(ReviewRefused) as refused:
            resolve(
                review,
                accept=True,
                reason="matches_reference",
                by="teller1",
                at=1.0,
                second=second,
                four_eyes=True,
            )
        return refused.value.code

    assert attempt_with(None) == "second_staff_required"
    assert attempt_with(("teller1", "teller")) == "second_staff_invalid"
    assert attempt_with(("audit1", "auditor")) == "second_staff_invalid"
    done = resolve(
        review,
        accept=True,
        reason="matches_reference",
        by="teller1",
        at=1.0,
        second=("super1", "supervisor"),
        four_eyes=True,
    )
    assert done.second == "super1"


def test_only_a_review_can_be_resolved() -> None:
    passed = drive(attempt()).decision
    with pytest.raises(ReviewRefused) as refused:
        resolve(passed, accept=True, reason="matches_reference", by="teller1", at=1.0)
    assert refused.value.code == "no_review"


def test_the_keyframe_shown_is_the_one_closest_to_the_reference(review: Decision) -> None:
    best = best_keyframe(review)
    assert best is not None
    frame, distance = best
    assert review.scores.match is not None
    assert distance == min(review.scores.match.distances)
    assert float(np.linalg.norm(frame.embedding - REFERENCE)) == pytest.approx(distance)
