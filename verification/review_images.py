"""The pictures a teller compares when resolving a review: the enrolled reference photo, scaled down,
and the live keyframe closest to it, as JPEG data URLs for the teller's console only (biometric data:
never logged, never stored outside the encrypted record and the reference store). Uses OpenCV: call
it off the event loop."""

from __future__ import annotations

import base64

import cv2
import numpy as np

from verification.analysis import as_u8
from verification.decision import Decision
from verification.review import best_keyframe

MAX_SIDE = 360
"""Longest side of the reference photo as shown (the teller compares faces, not documents)."""


def data_url(jpeg: bytes) -> str:
    """A ``data:image/jpeg;base64,…`` URL."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def reference_jpeg(photo: bytes, max_side: int = MAX_SIDE) -> bytes | None:
    """The reference photo as a JPEG no larger than ``max_side`` (``None`` if it cannot be decoded)."""
    image = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        image = as_u8(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return bytes(data) if ok else None


def review_images(decision: Decision, photo: bytes | None) -> tuple[str | None, str | None]:
    """(reference, best keyframe) as data URLs."""
    reference = reference_jpeg(photo) if photo else None
    best = best_keyframe(decision)
    keyframe = best[0].jpeg if best is not None else None
    return (data_url(reference) if reference else None, data_url(keyframe) if keyframe else None)
