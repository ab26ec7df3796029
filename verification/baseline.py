"""The customer's own resting face, measured before the first prompt.

Every challenge threshold is relative to these values: glasses, a smile or a camera held low change
absolute eye ratios, mouth gaps and angles far more than the thresholds we need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verification.measures import FaceMeasures
from verification.policy import BaselinePolicy


@dataclass(frozen=True, slots=True)
class Baseline:
    """Resting values of one customer in one attempt."""

    eye_ratio: float
    """Open-eye aspect ratio (a high percentile, so that blinks do not pull it down)."""
    mouth_opening: float
    """Resting inner-lip gap, eye distances."""
    parallax_u: float
    """Resting nose offset across the eye line."""
    parallax_v: float
    """Resting nose offset along the eyes-to-mouth axis."""
    yaw: float
    """Resting solvePnP yaw, degrees."""
    pitch: float
    """Resting solvePnP pitch, degrees."""
    aspect: float
    """Resting eyes-to-mouth over eye distance."""
    eye_distance: float
    """Resting eye-centre distance, pixels."""
    frames: int
    """Frames it was computed from."""
    started_at: float
    """Server time of its first frame."""
    finished_at: float
    """Server time of its last frame."""


class BaselineCollector:
    """Collects still, frontal frames for ``policy.seconds`` and summarises them."""

    def __init__(self, policy: BaselinePolicy) -> None:
        self._policy = policy
        self._frames: list[tuple[float, FaceMeasures]] = []

    @property
    def frames(self) -> int:
        """Frames collected so far."""
        return len(self._frames)

    def reset(self) -> None:
        """Start over (the customer moved, or the face was lost)."""
        self._frames.clear()

    def add(self, t: float, measures: FaceMeasures) -> bool:
        """Add a good frame; returns False (and starts over) when the face moved too much."""
        if self._frames:
            _, last = self._frames[-1]
            step = float(np.hypot(measures.center_x - last.center_x, measures.center_y - last.center_y))
            if step > self._policy.max_motion * max(last.eye_distance, 1.0):
                self._frames.clear()
                self._frames.append((t, measures))
                return False
        self._frames.append((t, measures))
        return True

    def ready(self) -> bool:
        """Whether enough time and frames were collected."""
        if len(self._frames) < self._policy.min_frames:
            return False
        return self._frames[-1][0] - self._frames[0][0] >= self._policy.seconds

    def result(self) -> Baseline:
        """The baseline; only once :meth:`ready`."""
        if not self.ready():
            raise ValueError("the baseline is not complete")
        ms = [m for _, m in self._frames]

        def median(values: list[float]) -> float:
            return float(np.median(values))

        return Baseline(
            eye_ratio=float(np.percentile([m.eye_ratio for m in ms], self._policy.open_eye_percentile)),
            mouth_opening=median([m.mouth_opening for m in ms]),
            parallax_u=median([m.parallax_u for m in ms]),
            parallax_v=median([m.parallax_v for m in ms]),
            yaw=median([m.pose.yaw for m in ms]),
            pitch=median([m.pose.pitch for m in ms]),
            aspect=median([m.aspect for m in ms]),
            eye_distance=median([m.eye_distance for m in ms]),
            frames=len(ms),
            started_at=self._frames[0][0],
            finished_at=self._frames[-1][0],
        )
