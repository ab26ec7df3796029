"""Test doubles: :class:`~verification.analysis.FrameAnalysis` values built from chosen measures.

The decision logic only reads analyses, so tests (ours, and the lead's integration tests) can drive an
:class:`~verification.attempt.Attempt` through any situation without a camera or dlib:
:func:`face_measures` makes the measures of a face, :func:`frame` wraps them (or no face) in an
analysis with a fresh random thumbnail — so the static and loop checks see a live picture — unless a
thumbnail is given. :func:`shared_analyzer` is the real analyser, loaded once per test process.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from verification.analysis import DlibAnalyzer
from verification.frame_analysis import THUMBNAIL_SIZE, Box, FaceObservation, FrameAnalysis, Track
from verification.measures import FaceMeasures, HeadPose

_thumbnail_seeds = itertools.count(1)


def face_measures(
    *,
    eye_ratio: float = 0.30,
    mouth_opening: float = 0.05,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    parallax_u: float = 0.0,
    parallax_v: float = 0.6,
    aspect: float = 0.72,
    eye_distance: float = 90.0,
    center: tuple[float, float] = (320.0, 220.0),
) -> FaceMeasures:
    """Measures of a resting, frontal face unless told otherwise."""
    return FaceMeasures(
        eye_ratio=eye_ratio,
        mouth_opening=mouth_opening,
        pose=HeadPose(yaw, pitch, roll),
        parallax_u=parallax_u,
        parallax_v=parallax_v,
        aspect=aspect,
        eye_distance=eye_distance,
        center_x=center[0],
        center_y=center[1],
    )


def thumbnail(seed: int | None = None) -> npt.NDArray[np.float32]:
    """A random 64×48 thumbnail (a different picture for every call unless ``seed`` is given)."""
    rng = np.random.default_rng(next(_thumbnail_seeds) if seed is None else seed)
    w, h = THUMBNAIL_SIZE
    return rng.uniform(40, 200, size=(h, w)).astype(np.float32)


def frame(
    measures: FaceMeasures | None = None,
    *,
    face: bool = True,
    face_count: int | None = None,
    embedding: npt.NDArray[np.float64] | None = None,
    picture: npt.NDArray[np.float32] | None = None,
    brightness: float = 130.0,
    contrast: float = 40.0,
    sharpness: float = 200.0,
    width: int = 640,
    height: int = 480,
) -> FrameAnalysis:
    """An analysis of one frame showing a face with ``measures`` (or no face)."""
    thumb = thumbnail() if picture is None else picture
    if not face:
        return FrameAnalysis(width, height, None, face_count, False, thumb)
    m = measures or face_measures()
    d = m.eye_distance
    angles = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    landmarks = np.column_stack(
        [m.center_x + 1.1 * d * np.cos(angles), m.center_y + 1.3 * d * np.sin(angles)]
    ).astype(np.float32)
    box = Box(
        round(m.center_x - 1.2 * d),
        round(m.center_y - 1.3 * d),
        round(m.center_x + 1.2 * d),
        round(m.center_y + 1.3 * d),
    )
    observation = FaceObservation(box, landmarks, m, 1.0, brightness, contrast, sharpness)
    track = Track(landmarks, (0.0, 0.0), 2.4)
    return FrameAnalysis(
        width,
        height,
        observation,
        face_count,
        True,
        thumb,
        embedding=embedding,
        keyframe_jpeg=b"jpeg" if embedding is not None else None,
        track=track,
    )


def moved(measures: FaceMeasures, **changes: float) -> FaceMeasures:
    """``measures`` with some values changed (``yaw``/``pitch`` too)."""
    pose = measures.pose
    pose_changes = {k: changes.pop(k) for k in ("yaw", "pitch", "roll") if k in changes}
    return replace(measures, pose=replace(pose, **pose_changes), **changes)


def embedding(
    seed: int, near: npt.NDArray[np.float64] | None = None, distance: float = 0.2
) -> npt.NDArray[np.float64]:
    """A unit-scale 128-d vector; with ``near``, one at exactly ``distance`` from it."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=128)
    direction /= np.linalg.norm(direction)
    if near is None:
        return direction * 0.5
    return np.asarray(near, np.float64) + direction * distance


def person(
    reference: npt.NDArray[np.float64], distance: float, seed: int = 0, jitter: float = 0.04
) -> Callable[[int], npt.NDArray[np.float64]]:
    """Keyframe embeddings of one live person whose face is ``distance`` from ``reference``.

    A person's keyframes cluster (within ``jitter`` of one point), as real embeddings of one video do;
    the returned function gives keyframe ``k``.
    """
    centre = embedding(seed, near=reference, distance=distance)

    def keyframe(k: int) -> npt.NDArray[np.float64]:
        return embedding(seed * 7919 + k + 1, near=centre, distance=jitter)

    return keyframe


@functools.cache
def shared_analyzer() -> DlibAnalyzer:
    """One real analyser per test process (loading dlib's models takes seconds)."""
    return DlibAnalyzer()
