"""Quality gate: is this frame good enough to judge, and if not, what should the customer do?

:func:`assess` looks at one :class:`~verification.frame_analysis.FrameAnalysis` and returns the problems
in order of what to fix first (no face before too dark, too far before blurry). The attempt shows the
customer the first problem's plain-language message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from verification.frame_analysis import FrameAnalysis
from verification.policy import QualityPolicy


class Issue(StrEnum):
    """Why a frame cannot be used."""

    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    OFF_FRAME = "off_frame"
    TOO_FAR = "too_far"
    TOO_CLOSE = "too_close"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    LOW_CONTRAST = "low_contrast"
    BLURRY = "blurry"
    NOT_FRONTAL = "not_frontal"


GUIDANCE: dict[Issue, str] = {
    Issue.NO_FACE: "We cannot see your face. Please look at the camera.",
    Issue.SEVERAL_FACES: "Only one person should be in view. Please make sure you are alone in the picture.",
    Issue.OFF_FRAME: "Please keep your whole face in the middle of the screen.",
    Issue.TOO_FAR: "Please move closer to the camera.",
    Issue.TOO_CLOSE: "Please move a little further away from the camera.",
    Issue.TOO_DARK: "It is too dark. Please turn on a light or face a window.",
    Issue.TOO_BRIGHT: "There is too much light on your face. Please move away from direct light.",
    Issue.LOW_CONTRAST: "Your face is hard to see. Please avoid a bright light behind you.",
    Issue.BLURRY: "The picture is blurry. Please hold the phone still and wipe the camera.",
    Issue.NOT_FRONTAL: "Please look straight at the camera.",
}
"""Plain-language guidance for each issue (the customer's page may translate by issue code)."""


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The gate's verdict on one frame."""

    issues: tuple[Issue, ...]
    """Problems, most important first; empty when the frame is usable."""

    @property
    def ok(self) -> bool:
        """Whether the frame is usable."""
        return not self.issues

    @property
    def message(self) -> str | None:
        """What to tell the customer first, or ``None``."""
        return GUIDANCE[self.issues[0]] if self.issues else None


def assess(analysis: FrameAnalysis, policy: QualityPolicy, *, frontal: bool = True) -> QualityReport:
    """Check one frame; ``frontal`` also requires the customer to look roughly straight ahead."""
    face = analysis.face
    if face is None:
        return QualityReport((Issue.NO_FACE,))
    issues: list[Issue] = []
    if analysis.face_count is not None and analysis.face_count > 1:
        issues.append(Issue.SEVERAL_FACES)
    m = face.measures
    margin_x = policy.edge_margin * analysis.width
    margin_y = policy.edge_margin * analysis.height
    xs, ys = face.landmarks[:, 0], face.landmarks[:, 1]
    if (
        xs.min() < margin_x
        or ys.min() < margin_y
        or xs.max() > analysis.width - margin_x
        or ys.max() > analysis.height - margin_y
    ):
        issues.append(Issue.OFF_FRAME)
    if m.eye_distance < policy.min_eye_distance:
        issues.append(Issue.TOO_FAR)
    elif m.eye_distance > policy.max_eye_distance:
        issues.append(Issue.TOO_CLOSE)
    if face.brightness < policy.min_brightness:
        issues.append(Issue.TOO_DARK)
    elif face.brightness > policy.max_brightness:
        issues.append(Issue.TOO_BRIGHT)
    elif face.contrast < policy.min_contrast:
        issues.append(Issue.LOW_CONTRAST)
    if face.sharpness < policy.min_sharpness:
        issues.append(Issue.BLURRY)
    if frontal and (
        abs(m.parallax_u) > policy.max_frontal_parallax or abs(m.pose.pitch) > policy.max_frontal_pitch
    ):
        issues.append(Issue.NOT_FRONTAL)
    return QualityReport(tuple(issues))
