"""The values of one analysed frame: what the decision core reads, whoever analysed the frame.

:class:`FrameAnalysis` (with its :class:`FaceObservation`, :class:`Box` and :class:`Track`) crosses
the process boundary from the analysis workers and is recorded, without images, as the evidence a
decision can be re-derived from (:mod:`verification.evidence`). Plain values only (numpy, no dlib and
no OpenCV): the adapter that produces them is :mod:`verification.analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from verification.measures import FaceMeasures, eye_centres

Vector = npt.NDArray[np.float64]
"""A 128-d face embedding."""

THUMBNAIL_SIZE = (64, 48)
"""(width, height) of the luma thumbnail kept per frame for static and loop detection."""


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in frame pixels; ``right``/``bottom`` exclusive."""

    left: int
    """First column."""
    top: int
    """First row."""
    right: int
    """One past the last column."""
    bottom: int
    """One past the last row."""

    def __post_init__(self) -> None:
        if self.right <= self.left or self.bottom <= self.top:
            raise ValueError(f"empty box {self}")

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self.bottom - self.top

    def expanded(self, margin: float, width: int, height: int) -> Box:
        """This box grown by ``margin`` of its size on every side, clipped to a ``width``×``height`` frame."""
        dx, dy = round(self.width * margin), round(self.height * margin)
        return Box(
            max(0, self.left - dx),
            max(0, self.top - dy),
            min(width, self.right + dx),
            min(height, self.bottom + dy),
        )

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other``."""
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        if w <= 0 or h <= 0:
            return 0.0
        inter = w * h
        return inter / (self.width * self.height + other.width * other.height - inter)


@dataclass(frozen=True, slots=True, eq=False)
class Track:
    """What the next frame's analysis needs from this one to skip detection."""

    landmarks: npt.NDArray[np.float32]
    """This frame's 68 landmarks."""
    box_offset: tuple[float, float]
    """Detector box centre minus landmark centre, in eye-centre distances (fixed since the detection)."""
    box_scale: float
    """Detector box width over the eye-centre distance (fixed since the detection)."""

    def predicted_box(self, width: int, height: int) -> Box | None:
        """Where the detector would put the face, from these landmarks; ``None`` if it left the frame."""
        points = self.landmarks.astype(np.float64)
        right, left = eye_centres(points)
        eye_distance = float(np.hypot(*(left - right)))
        centre = points.mean(axis=0)
        size = self.box_scale * eye_distance
        cx = centre[0] + self.box_offset[0] * eye_distance
        cy = centre[1] + self.box_offset[1] * eye_distance
        half = size / 2.0
        box = (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
        if size < 8 or box[2] <= 0 or box[3] <= 0 or box[0] >= width or box[1] >= height:
            return None
        return Box(*box)


@dataclass(frozen=True, slots=True, eq=False)
class FaceObservation:
    """The face followed in one frame."""

    box: Box
    """Face box (the detector's, or predicted from the previous landmarks)."""
    landmarks: npt.NDArray[np.float32]
    """68 landmarks, frame pixels."""
    measures: FaceMeasures
    """Eye/mouth opening, pose, parallax (see :mod:`verification.geometry`)."""
    detection_score: float | None
    """HOG detector score when the detector ran on this frame, else ``None``."""
    brightness: float
    """Mean luma inside the face box (0-255)."""
    contrast: float
    """Standard deviation of luma inside the face box."""
    sharpness: float
    """Variance of the Laplacian of the face scaled to 128 px wide (blur lowers it)."""


@dataclass(frozen=True, slots=True, eq=False)
class FrameAnalysis:
    """Everything the decision logic learns from one frame."""

    width: int
    """Frame width in pixels."""
    height: int
    """Frame height in pixels."""
    face: FaceObservation | None
    """The followed face, or ``None`` when no face was found."""
    face_count: int | None
    """Faces of acceptable size in the whole frame when a full scan ran, else ``None``."""
    detected: bool
    """Whether the detector confirmed the face on this frame (as opposed to landmark tracking only)."""
    thumbnail: npt.NDArray[np.float32]
    """The whole frame in luma, 64×48 (area-averaged), for static and loop detection."""
    embedding: Vector | None = None
    """128-d embedding of the face when requested and a face was found."""
    keyframe_jpeg: bytes | None = field(default=None, repr=False)
    """The frame as JPEG when an embedding was computed (kept for the session record only)."""
    track: Track | None = None
    """What the next frame's analysis needs; ``None`` when no face was found."""
    cost_seconds: float = 0.0
    """CPU time the analysis took (its own thread)."""
