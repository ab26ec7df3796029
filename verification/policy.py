"""Every threshold of the verification pipeline, in one frozen, validated value.

Defaults are documented, with how they were calibrated, in ``docs/verification.md``. Thresholds on
eyes, mouth and head movement are *relative* to the customer's own baseline (glasses, smiles and
camera angles change absolute values a lot); the face-match thresholds are absolute distances
between 128-d embeddings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from verification.errors import ConfigurationError


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigurationError(message)


def _positive(owner: object) -> None:
    for f in fields(owner):  # type: ignore[arg-type]
        value = getattr(owner, f.name)
        if isinstance(value, float | int) and not isinstance(value, bool):
            _check(math.isfinite(value) and value >= 0, f"{f.name} must be a non-negative number")


@dataclass(frozen=True, slots=True)
class QualityPolicy:
    """When a frame is good enough to judge (and what to tell the customer when it is not)."""

    min_eye_distance: float = 60.0
    """Smallest distance between the eye centres, pixels ("move closer" below it)."""
    max_eye_distance: float = 240.0
    """Largest distance between the eye centres, pixels ("move back" above it)."""
    min_brightness: float = 55.0
    """Darkest acceptable mean luma of the face."""
    max_brightness: float = 215.0
    """Brightest acceptable mean luma of the face."""
    min_contrast: float = 14.0
    """Smallest standard deviation of luma inside the face (fog, strong back light)."""
    min_sharpness: float = 25.0
    """Smallest Laplacian variance of the face scaled to 128 px (blur)."""
    max_frontal_parallax: float = 0.16
    """Largest |nose offset| across the eye line for a frontal face (≈ 20° of yaw)."""
    max_frontal_pitch: float = 30.0
    """Largest |pitch| (degrees) for a frontal face; generous: absolute pitch varies by person."""
    edge_margin: float = 0.01
    """The face box must stay this fraction of the frame away from every edge."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(self.min_eye_distance < self.max_eye_distance, "min_eye_distance must be below the max")
        _check(self.min_brightness < self.max_brightness <= 255, "brightness limits are inverted")


@dataclass(frozen=True, slots=True)
class BaselinePolicy:
    """The customer's own resting values, measured before the first prompt."""

    seconds: float = 1.5
    """How long the baseline collects good frontal frames."""
    min_frames: int = 10
    """Fewest frames it needs within that time."""
    max_motion: float = 0.25
    """Largest movement of the face centre between frames, in eye distances (else start over)."""
    open_eye_percentile: float = 75.0
    """The open-eye ratio is this percentile of the baseline frames (blinks pull the median down)."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(self.seconds > 0 and self.min_frames >= 3, "baseline needs time and at least 3 frames")
        _check(50 <= self.open_eye_percentile <= 95, "open_eye_percentile must be within 50-95")


@dataclass(frozen=True, slots=True)
class ChallengePolicy:
    """The random action sequence and what counts as performing each action."""

    count: int = 3
    """Actions per attempt."""
    window: float = 6.0
    """Seconds from a prompt within which its action must be completed."""
    min_onset: float = 0.25
    """A response starting sooner than this after its prompt is treated as pre-recorded."""
    retries: int = 1
    """Extra prompts of the same action after a failed try. There is no retry after an action nobody
    asked for, nor after a different deliberate action than the one asked — except turning the other
    way, the confusion a mirrored preview causes. A recording answers with its own actions; a person
    answers with the asked one."""
    gap: tuple[float, float] = (0.4, 1.2)
    """Random pause before each prompt (so that a recording cannot know when prompts come)."""
    settle_max: float = 2.0
    """Longest extra wait for the face to come back to rest before prompting anyway."""
    turn_parallax: float = 0.08
    """Nose shift across the eye line (eye distances) for a turn."""
    turn_yaw: float = 5.0
    """Least change of solvePnP yaw (degrees, same direction) for a turn."""
    nod_parallax: float = 0.04
    """Nose shift along the eyes-to-mouth axis (its lengths) for a nod, chin down."""
    nod_pitch: float = 2.0
    """Least change of solvePnP pitch (degrees, chin down) for a nod."""
    nod_return: float = 0.5
    """A nod completes when the nose comes back to this fraction of its peak shift."""
    mouth: float = 0.2
    """Increase of the inner-lip gap (in face heights: eyes to nose base) for an open mouth."""
    blink_closed: float = 0.75
    """Eye ratio (relative to the open-eye baseline, corrected for foreshortening) counted as closed."""
    blink_open: float = 0.88
    """Relative eye ratio counted as open again, completing a blink."""
    blink_max_closed: float = 1.0
    """Longest closure (seconds) still counted as a blink."""
    echo: float = 2.0
    """Seconds after an action passed during which the same action again is ignored (people blink or
    nod twice in answer to one prompt)."""
    blink_max_foreshortening: float = 0.07
    """Frames whose face is flattened more than this (a tilted picture) never count as closed eyes."""
    onset_fraction: float = 0.5
    """A movement starts when it passes this fraction of its threshold (and keeps going); prompts wait
    until every movement is below this fraction (the face is at rest)."""
    flat_aspect: float = 0.08
    """Foreshortening of the face (relative change of its aspect) that, without parallax (nose shift
    below ``flat_parallax``), shows a flat picture being turned or tilted."""
    flat_parallax: float = 0.03
    """Largest nose shift (both axes) of a frame counted as flat motion."""
    flat_frames: int = 2
    """Consecutive frames of such flat motion that fail the current try at once."""
    window_frames: int = 18
    """Fewest analysed frames a try's window must hold (3 frames/s over 6 s): when the server analysed
    fewer, the window is extended until it has them, up to ``max_window``. An action is judged on the
    frames actually analysed, not on the clock alone."""
    max_window: float = 12.0
    """Longest a window is ever extended to, seconds from its prompt."""
    late_grace: float = 1.5
    """At the end of a window, a movement of the asked action that started inside it (a slow answer, or
    one seen on few frames) may still complete within this many seconds and counts as the answer."""
    blink_min_fps: float = 6.0
    """A blink lasts 0.1-0.3 s: at fewer analysed frames per second its window may simply not have
    caught it. A blink not seen at a lower rate, on its last try, ends the check ``busy`` (the server
    could not see well enough to judge), never ``fail``."""
    smooth_span: float = 0.3
    """Signals are smoothed (median of three frames) only when those frames span at most this long;
    at low analysis rates three frames would blur a whole nod, so the raw frame is used."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(1 <= self.count <= 5, "count must be within 1-5")
        _check(self.window > self.min_onset, "window must be longer than min_onset")
        _check(0 <= self.gap[0] <= self.gap[1], "gap must be (low, high) with low <= high")
        _check(0 < self.blink_closed < self.blink_open < 1, "need 0 < blink_closed < blink_open < 1")
        _check(0 < self.onset_fraction < 1, "onset_fraction must be within 0-1")
        _check(0 < self.nod_return < 1, "nod_return must be within 0-1")
        _check(self.max_window >= self.window, "max_window must not be shorter than window")


@dataclass(frozen=True, slots=True)
class PassivePolicy:
    """Checks that run on every frame of the attempt, whatever is being asked."""

    frozen_difference: float = 0.12
    """Mean absolute luma difference (thumbnail, face region) below which two frames are identical."""
    static_seconds: float = 1.0
    """A run of identical frames this long means a static injection."""
    loop_min_lag: float = 0.4
    """Shortest time between a frame and its repeat for a loop (shorter is a static run)."""
    loop_max_lag: float = 8.0
    """Longest time looked back for repeats."""
    loop_repeats: int = 8
    """Repeated frames at one consistent lag that prove a loop."""
    jump: float = 0.8
    """Largest movement of the face centre between consecutive frames, in eye distances."""
    jump_scale: float = 1.35
    """Largest change of face size between consecutive frames (ratio)."""
    max_face_loss: float = 1.5
    """Longest time without a face once the baseline has started, seconds."""
    extra_face_scans: int = 2
    """Full-frame scans that must see a second face before the attempt fails for it."""
    min_keyframes: int = 5
    """Embeddings needed for the identity checks."""
    max_keyframes: int = 5
    """Most embeddings computed per attempt (each costs about 0.1 s of CPU)."""
    keyframe_interval: float = 1.2
    """Seconds between keyframes."""
    identity_spread: float = 0.45
    """Largest distance of a keyframe embedding from the attempt's medoid embedding."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(self.loop_min_lag < self.loop_max_lag, "loop lags are inverted")
        _check(2 <= self.min_keyframes <= self.max_keyframes, "need 2 <= min_keyframes <= max_keyframes")


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """Face match against the reference photo (median embedding distance)."""

    accept: float = 0.45
    """At or below: same person. Chosen on real package photos with ID-photo degradations
    (``python -m verification.match_calibration``): every cross-photo genuine pair but one (0.48) is
    at or below it, the closest impostor is at 0.52 (docs/verification.md)."""
    review: float = 0.55
    """Above ``accept`` and at or below this: a person decides; above: different person."""
    early_reject: float = 0.60
    """Once ``early_keyframes`` keyframes are in and their median distance exceeds this, the attempt
    fails at once (an impostor need not sit through the challenges)."""
    early_keyframes: int = 3
    """Keyframes needed before an early rejection."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(0 < self.accept <= self.review < 2, "need 0 < accept <= review < 2")
        _check(self.early_reject >= self.review, "early_reject must not be below review")
        _check(self.early_keyframes >= 1, "early_keyframes must be at least 1")


@dataclass(frozen=True, slots=True)
class PacePolicy:
    """What happens when the server analyses fewer frames than the attempt asks for (a busy machine).

    The attempt measures the rate of frames it is actually fed. Below ``min_fps`` during the baseline
    or the challenges it pauses: no new prompt, the running window stops counting, and the customer is
    told plainly to hold still for a moment; it resumes at ``resume_fps``. Paused longer than
    ``max_pause`` in all, it ends with outcome ``busy`` — never ``fail``: a live person is not failed
    because the server was slow. The service refuses to *start* an attempt (``busy``) when the
    analysis pool could not give it ``admit_fps``.
    """

    min_fps: float = 2.0
    """Analysed frames per second (over ``rate_window``) below which the attempt pauses."""
    resume_fps: float = 2.5
    """Rate at which a paused attempt resumes."""
    rate_window: float = 2.0
    """Seconds of server time over which the rate is measured."""
    max_pause: float = 20.0
    """Total seconds an attempt may stay paused before it ends ``busy``."""
    admit_fps: float = 5.0
    """Analysis rate a new attempt must be expected to get, else it is refused ``busy``."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(0 < self.min_fps <= self.resume_fps, "need 0 < min_fps <= resume_fps")
        _check(self.rate_window > 0, "rate_window must be positive")


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """Refusing new attempts after repeated failures (per customer)."""

    max_failures: int = 5
    """Failures within ``period`` that lock the customer out."""
    period: float = 180.0
    """Seconds over which failures are counted."""
    duration: float = 1800.0
    """Seconds new attempts are refused."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(self.max_failures >= 1 and self.period > 0, "max_failures and period must be positive")


@dataclass(frozen=True, slots=True)
class VerificationPolicy:
    """All settings of one verification attempt."""

    quality: QualityPolicy = field(default_factory=QualityPolicy)
    """Quality gate."""
    baseline: BaselinePolicy = field(default_factory=BaselinePolicy)
    """Baseline."""
    challenges: ChallengePolicy = field(default_factory=ChallengePolicy)
    """Active challenges."""
    passive: PassivePolicy = field(default_factory=PassivePolicy)
    """Passive checks."""
    match: MatchPolicy = field(default_factory=MatchPolicy)
    """Face match."""
    pace: PacePolicy = field(default_factory=PacePolicy)
    """Pausing (or ending ``busy``) when the server analyses too few frames."""
    sample_fps: float = 15.0
    """Frames per second analysed."""
    detect_interval: float = 0.2
    """Seconds between detector confirmations of a tracked face."""
    scan_interval: float = 2.0
    """Seconds between full-frame scans (counting faces) outside keyframes."""
    max_quality_seconds: float = 25.0
    """Give up when no usable face was seen for this long at the start."""
    max_seconds: float = 75.0
    """Give up on an attempt that has run this long."""
    decide_wait: float = 1.0
    """Longest wait for missing keyframes after the last challenge."""

    def __post_init__(self) -> None:
        _positive(self)
        _check(1 <= self.sample_fps <= 60, "sample_fps must be within 1-60")
        _check(self.max_seconds > self.max_quality_seconds, "max_seconds must exceed max_quality_seconds")
