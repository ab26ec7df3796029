"""Passive checks: they watch every frame of an attempt, whatever the customer is asked to do.

* :class:`StaticCheck` — the face region stays (nearly) identical for ``static_seconds``: a still image
  injected as the camera. A live face is never that still: breathing, pulse and sensor noise change
  the picture from frame to frame.
* :class:`LoopCheck` — frames come back identical after a lag, many times at the same lag: a short
  recording played in a loop. Live video never repeats a frame exactly (sensor noise alone differs).
* :class:`TrackCheck` — the face does not jump or change size between consecutive frames (a cut to
  another video) and is not lost for longer than ``max_face_loss``.
* :class:`FaceCountCheck` — full-frame scans see a second face.
* :func:`identity_spread` — the embeddings of the attempt's keyframes must all be close to their
  medoid: the same person throughout.

Frames are compared on their 64×48 luma thumbnails, restricted to the cells around the face, so that
the comparison is cheap and independent of how the face box was found.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from verification.frame_analysis import THUMBNAIL_SIZE, FrameAnalysis
from verification.policy import PassivePolicy
from verification.reasons import Reason

Thumb = npt.NDArray[np.float32]


def face_cells(analysis: FrameAnalysis) -> tuple[slice, slice]:
    """Rows and columns of the thumbnail that cover the face (the whole thumbnail without a face)."""
    tw, th = THUMBNAIL_SIZE
    face = analysis.face
    if face is None:
        return slice(0, th), slice(0, tw)
    sx, sy = tw / analysis.width, th / analysis.height
    box = face.box
    x0 = max(0, int(box.left * sx))
    x1 = min(tw, max(x0 + 1, int(np.ceil(box.right * sx))))
    y0 = max(0, int(box.top * sy))
    y1 = min(th, max(y0 + 1, int(np.ceil(box.bottom * sy))))
    return slice(y0, y1), slice(x0, x1)


def difference(a: Thumb, b: Thumb, cells: tuple[slice, slice]) -> float:
    """Mean absolute luma difference of two thumbnails over ``cells``."""
    return float(np.abs(a[cells] - b[cells]).mean())


class StaticCheck:
    """Finds runs of identical frames."""

    def __init__(self, policy: PassivePolicy) -> None:
        self._policy = policy
        self._run_start: float | None = None
        self._reference: Thumb | None = None
        self.longest_run = 0.0
        """Longest run of identical frames seen, seconds."""

    def update(self, t: float, analysis: FrameAnalysis) -> Reason | None:
        """Feed one frame; ``STATIC_FRAMES`` once a run is long enough."""
        cells = face_cells(analysis)
        if (
            self._reference is not None
            and self._run_start is not None
            and difference(analysis.thumbnail, self._reference, cells) < self._policy.frozen_difference
        ):
            run = t - self._run_start
            self.longest_run = max(self.longest_run, run)
            if run >= self._policy.static_seconds:
                return Reason.STATIC_FRAMES
            return None
        self._run_start = t
        self._reference = analysis.thumbnail
        return None


class LoopCheck:
    """Finds frames that repeat earlier frames, at a consistent lag."""

    def __init__(self, policy: PassivePolicy, fps: float) -> None:
        self._policy = policy
        self._bucket = 1.0 / fps
        self._history: deque[tuple[float, Thumb]] = deque()
        self._previous: Thumb | None = None
        self._lags: Counter[int] = Counter()
        self.repeats = 0
        """Frames seen that repeat an earlier frame."""

    def update(self, t: float, analysis: FrameAnalysis) -> Reason | None:
        """Feed one frame; ``LOOPED_VIDEO`` once enough repeats line up."""
        p = self._policy
        thumb = analysis.thumbnail
        cells = face_cells(analysis)
        moving = self._previous is None or difference(thumb, self._previous, cells) >= p.frozen_difference
        self._previous = thumb
        while self._history and t - self._history[0][0] > p.loop_max_lag:
            self._history.popleft()
        result = None
        if moving and self._history:
            times = np.array([h[0] for h in self._history])
            eligible = np.nonzero(t - times >= p.loop_min_lag)[0]
            if len(eligible):
                stack = np.stack([self._history[i][1][cells] for i in eligible])
                diffs = np.abs(stack - thumb[cells]).mean(axis=(1, 2))
                best = int(np.argmin(diffs))
                if diffs[best] < p.frozen_difference:
                    self.repeats += 1
                    lag = round((t - times[eligible[best]]) / self._bucket)
                    self._lags[lag] += 1
                    count = self._lags[lag] + self._lags[lag - 1] + self._lags[lag + 1]
                    if count >= p.loop_repeats:
                        result = Reason.LOOPED_VIDEO
        self._history.append((t, thumb))
        return result


class TrackCheck:
    """Follows the face from frame to frame."""

    def __init__(self, policy: PassivePolicy) -> None:
        self._policy = policy
        self._last: tuple[float, float, float, float] | None = None  # t, x, y, eye distance
        self._lost_since: float | None = None
        self.armed = False
        """Once armed (the baseline started), a lost face counts against the attempt."""
        self.largest_jump = 0.0
        """Largest move between consecutive frames, eye distances."""
        self.longest_loss = 0.0
        """Longest time without a face while armed, seconds."""
        self.reacquired = False
        """True on the frame where the face came back after a loss (a keyframe is then due)."""

    def update(self, t: float, analysis: FrameAnalysis) -> Reason | None:
        """Feed one frame; a reason when the track broke or the face was lost too long."""
        p = self._policy
        face = analysis.face
        self.reacquired = False
        if face is None:
            if self._lost_since is None:
                self._lost_since = t
            if self.armed:
                self.longest_loss = max(self.longest_loss, t - self._lost_since)
                if t - self._lost_since > p.max_face_loss:
                    return Reason.FACE_LOST
            return None
        m = face.measures
        result = None
        if self._last is not None:
            t0, x0, y0, d0 = self._last
            if self._lost_since is None and t - t0 <= 0.35:
                jump = float(np.hypot(m.center_x - x0, m.center_y - y0)) / max(d0, 1.0)
                scale = max(m.eye_distance / max(d0, 1.0), d0 / max(m.eye_distance, 1.0))
                self.largest_jump = max(self.largest_jump, jump)
                if self.armed and (jump > p.jump or scale > p.jump_scale):
                    result = Reason.FACE_TRACK_BROKEN
            elif self._lost_since is not None:
                self.reacquired = True
        self._lost_since = None
        self._last = (t, m.center_x, m.center_y, m.eye_distance)
        return result


class FaceCountCheck:
    """Counts full-frame scans that saw more than one face."""

    def __init__(self, policy: PassivePolicy) -> None:
        self._policy = policy
        self.scans_with_several = 0
        """Scans that saw two or more faces."""

    def update(self, analysis: FrameAnalysis) -> Reason | None:
        """Feed one frame; ``MULTIPLE_FACES`` once enough scans saw several faces."""
        if analysis.face_count is not None and analysis.face_count > 1:
            self.scans_with_several += 1
            if self.scans_with_several >= self._policy.extra_face_scans:
                return Reason.MULTIPLE_FACES
        return None


@dataclass(frozen=True, slots=True)
class Spread:
    """How far apart the keyframe embeddings of one attempt are."""

    medoid: int
    """Index of the keyframe closest to all others."""
    distances: tuple[float, ...]
    """Each keyframe's distance to the medoid."""

    @property
    def largest(self) -> float:
        """The largest distance to the medoid."""
        return max(self.distances, default=0.0)


def identity_spread(embeddings: Sequence[npt.NDArray[np.float64]]) -> Spread:
    """Medoid of the embeddings and each one's distance to it."""
    if not embeddings:
        return Spread(0, ())
    stack = np.stack(embeddings)
    pairwise = np.linalg.norm(stack[:, None, :] - stack[None, :, :], axis=-1)
    medoid = int(np.argmin(pairwise.sum(axis=1)))
    return Spread(medoid, tuple(float(d) for d in pairwise[medoid]))
