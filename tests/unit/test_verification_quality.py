"""Quality gate: one problem at a time, most important first, in plain words."""

from __future__ import annotations

import pytest

from verification.policy import QualityPolicy
from verification.quality import GUIDANCE, Issue, assess
from verification.testing import face_measures, frame

POLICY = QualityPolicy()


def test_a_clear_frontal_face_is_usable() -> None:
    report = assess(frame(face_measures()), POLICY)
    assert report.ok and report.message is None


@pytest.mark.parametrize(
    ("analysis", "issue", "words"),
    [
        (frame(face=False), Issue.NO_FACE, "look at the camera"),
        (frame(face_measures(), face_count=2), Issue.SEVERAL_FACES, "Only one person"),
        (frame(face_measures(eye_distance=40)), Issue.TOO_FAR, "move closer"),
        (
            frame(face_measures(eye_distance=300, center=(960, 540)), width=1920, height=1080),
            Issue.TOO_CLOSE,
            "further away",
        ),
        (frame(face_measures(), brightness=30), Issue.TOO_DARK, "too dark"),
        (frame(face_measures(), brightness=240), Issue.TOO_BRIGHT, "too much light"),
        (frame(face_measures(), contrast=5), Issue.LOW_CONTRAST, "bright light behind"),
        (frame(face_measures(), sharpness=5), Issue.BLURRY, "blurry"),
        (frame(face_measures(parallax_u=0.3)), Issue.NOT_FRONTAL, "straight at the camera"),
        (frame(face_measures(center=(30, 240))), Issue.OFF_FRAME, "middle of the screen"),
    ],
    ids=lambda value: value.value if isinstance(value, Issue) else "",
)
def test_each_problem_gets_its_plain_language_guidance(analysis: object, issue: Issue, words: str) -> None:
    report = assess(analysis, POLICY)  # type: ignore[arg-type]
    assert report.issues[0] is issue
    assert words in (report.message or "")
    assert report.message == GUIDANCE[issue]


def test_several_problems_are_reported_most_important_first() -> None:
    report = assess(frame(face_measures(eye_distance=40), brightness=20, sharpness=1, face_count=2), POLICY)
    assert report.issues == (Issue.SEVERAL_FACES, Issue.TOO_FAR, Issue.TOO_DARK, Issue.BLURRY)


def test_frontal_is_only_required_when_asked() -> None:
    turned = frame(face_measures(parallax_u=0.3))
    assert assess(turned, POLICY, frontal=False).ok


def test_every_issue_has_guidance() -> None:
    assert set(GUIDANCE) == set(Issue)
