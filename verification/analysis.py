"""Per-frame face analysis: the dlib and OpenCV adapter.

The decision logic never calls a detector, and never imports this module. It reads
:class:`FrameAnalysis` values (:mod:`verification.frame_analysis`), produced from an
:class:`AnalysisRequest` (:mod:`verification.analysis_request`) by any :class:`FaceAnalyzer` — the
real :class:`DlibAnalyzer` in a worker process, or a fake in unit tests. Both value modules are
re-exported here for the adapters and tools.

How :class:`DlibAnalyzer` keeps the cost per frame low (figures for this machine are in
``docs/verification.md``):

* Detect once, then track. With a :class:`Track` from the previous frame the 68-point shape predictor
  runs directly on the box predicted from the previous landmarks; no detector at all.
* When asked to ``detect`` (every few frames, to confirm the face is still a face) the HOG detector
  runs only in a region of interest around the predicted box, downscaled so the face is about
  ``roi_face_width`` pixels wide (the detector's window is 80 px).
* A ``full_scan`` (start, keyframes, re-detection after a loss) runs the detector on the whole frame,
  downscaled so that the smallest face we accept still fills the detector window, and counts faces.
* The 128-d embedding (the expensive part) only on keyframes (``encode``).

Worker processes are stateless: everything a frame needs from its predecessor travels in ``Track``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from verification.analysis_request import AnalysisRequest, FrameInput, Gray, Rgb
from verification.errors import AnalysisError, ConfigurationError
from verification.frame_analysis import THUMBNAIL_SIZE, Box, FaceObservation, FrameAnalysis, Track, Vector
from verification.geometry import FaceMeasures, measure

__all__ = [
    "THUMBNAIL_SIZE",
    "AnalysisRequest",
    "AnalyzerSettings",
    "Box",
    "DlibAnalyzer",
    "FaceAnalyzer",
    "FaceObservation",
    "FrameAnalysis",
    "FrameInput",
    "Gray",
    "PhotoFace",
    "Rgb",
    "Track",
    "as_u8",
]


class FaceAnalyzer(Protocol):
    """Anything that turns a frame into a :class:`FrameAnalysis` (real, or a fake in tests)."""

    def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        """Analyse one frame."""
        ...


@dataclass(frozen=True, slots=True)
class PhotoFace:
    """One face found in a still photo (reference enrollment)."""

    box: Box
    """Face box in the photo's pixels."""
    landmarks: npt.NDArray[np.float64] = field(repr=False)
    """68 landmarks in the photo's pixels."""
    measures: FaceMeasures
    """Geometry of the face."""
    detection_score: float
    """HOG detector score."""
    sharpness: float
    """Variance of the Laplacian of the face scaled to 128 px wide."""
    brightness: float
    """Mean luma inside the face box."""
    embedding: Vector = field(repr=False)
    """128-d embedding."""


@dataclass(frozen=True, slots=True)
class AnalyzerSettings:
    """Tuning of :class:`DlibAnalyzer`."""

    roi_face_width: int = 90
    """Width the face is scaled to before detection in the region of interest (detector window: 80)."""
    roi_margin: float = 0.35
    """Region of interest: the predicted box grown by this fraction of its size on each side."""
    min_face_width: int = 100
    """Smallest face box (pixels) a full scan looks for; smaller faces are not counted."""
    min_detection_score: float = 0.0
    """HOG score below which a detection is ignored."""
    jpeg_quality: int = 90
    """Quality of keyframe JPEGs."""

    def __post_init__(self) -> None:
        if not 80 <= self.roi_face_width <= 200:
            raise ConfigurationError("roi_face_width must be within 80-200")
        if not 0.1 <= self.roi_margin <= 1.0:
            raise ConfigurationError("roi_margin must be within 0.1-1.0")
        if self.min_face_width < 40:
            raise ConfigurationError("min_face_width must be at least 40")
        if not 50 <= self.jpeg_quality <= 100:
            raise ConfigurationError("jpeg_quality must be within 50-100")


def as_u8(image: Any) -> npt.NDArray[np.uint8]:
    """``image`` typed as an 8-bit array (OpenCV's results are typed loosely; no copy when uint8)."""
    return np.asarray(image, dtype=np.uint8)


def _to_box(rect: Any) -> Box:
    return Box(int(rect.left()), int(rect.top()), int(rect.right()) + 1, int(rect.bottom()) + 1)


def _box_to_rect(dlib: Any, box: Box) -> Any:
    return dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)


def face_statistics(gray: Gray, box: Box) -> tuple[float, float, float]:
    """(brightness, contrast, sharpness) of the face in ``box``."""
    h, w = gray.shape
    left, top, right, bottom = max(0, box.left), max(0, box.top), min(w, box.right), min(h, box.bottom)
    if right - left < 4 or bottom - top < 4:
        return 0.0, 0.0, 0.0
    crop = gray[top:bottom, left:right]
    inner = crop[crop.shape[0] // 5 : crop.shape[0] * 4 // 5, crop.shape[1] // 5 : crop.shape[1] * 4 // 5]
    brightness = float(inner.mean())
    contrast = float(inner.std())
    scale = 128.0 / crop.shape[1]
    normal = cv2.resize(crop, (128, max(1, round(crop.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(normal, cv2.CV_32F).var())
    return brightness, contrast, sharpness


def thumbnail(gray: Gray) -> npt.NDArray[np.float32]:
    """The whole frame as a 64×48 luma thumbnail (area-averaged, so sensor noise mostly cancels)."""
    return np.asarray(cv2.resize(gray, THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA), np.float32)


class DlibAnalyzer:
    """The real analyser: dlib's HOG detector, 68-point landmarks and ResNet embedding.

    The models are those ``face_recognition`` uses (from the ``face_recognition_models`` package);
    dlib is called directly so that detection scores and raw landmark arrays are available and the
    CNN detector ``face_recognition`` loads at import is not. dlib is single-threaded: scale with
    processes (:mod:`verification.pool`), one analyser per process.
    """

    def __init__(self, settings: AnalyzerSettings | None = None) -> None:
        self.settings = settings or AnalyzerSettings()
        try:
            import dlib  # type: ignore[import-untyped]
            import face_recognition_models as models  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - the package depends on both
            raise AnalysisError(f"the face analysis libraries are missing ({exc.name})") from exc
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(models.pose_predictor_model_location())
        self._landmarks5 = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._encoder = dlib.face_recognition_model_v1(models.face_recognition_model_location())

    # --- video frames ---------------------------------------------------------------------------------

    def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        """Analyse one frame (see the module docstring for what runs when)."""
        started = time.thread_time()
        frame = request.frame
        gray = frame.gray
        w, h = frame.width, frame.height
        predicted = request.track.predicted_box(w, h) if request.track is not None else None

        box: Box | None = None
        score: float | None = None
        face_count: int | None = None
        detected = False
        if predicted is not None and request.detect and not request.full_scan:
            found = self._detect_in_roi(gray, predicted)
            if found is not None:
                box, score = found
                detected = True
        if predicted is not None and not request.detect and not request.full_scan:
            box = predicted
        if box is None or request.full_scan:
            faces = self._scan(gray)
            face_count = len(faces)
            if faces:
                if predicted is not None:
                    box, score = max(faces, key=lambda f: (f[0].iou(predicted), f[0].width))
                else:
                    box, score = max(faces, key=lambda f: f[0].width)
                detected = True
            else:
                box = None

        observation: FaceObservation | None = None
        track: Track | None = None
        embedding: Vector | None = None
        jpeg: bytes | None = None
        if box is not None:
            shape = self._landmarks(gray, _box_to_rect(self._dlib, box))
            landmarks = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
            measures = measure(landmarks, w, h)
            if not detected and not _plausible(measures, box):
                # Tracking drifted off the face: look again over the whole frame next time.
                observation = None
            else:
                brightness, contrast, sharpness = face_statistics(gray, box)
                observation = FaceObservation(
                    box, landmarks, measures, score, brightness, contrast, sharpness
                )
                track = _track_from(landmarks, box, measures, request.track, detected)
                if request.encode:
                    rgb = frame.rgb()
                    embedding = self._embed(rgb, box)
                    jpeg = _jpeg(rgb, self.settings.jpeg_quality)
        return FrameAnalysis(
            width=w,
            height=h,
            face=observation,
            face_count=face_count,
            detected=detected and observation is not None,
            thumbnail=thumbnail(gray),
            embedding=embedding,
            keyframe_jpeg=jpeg,
            track=track,
            cost_seconds=time.thread_time() - started,
        )

    def _detect_in_roi(self, gray: Gray, predicted: Box) -> tuple[Box, float] | None:
        h, w = gray.shape
        roi = predicted.expanded(self.settings.roi_margin, w, h)
        crop = gray[roi.top : roi.bottom, roi.left : roi.right]
        scale = min(1.0, self.settings.roi_face_width / max(1, predicted.width))
        small = (
            cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else crop
        )
        rects, scores, _ = self._detector.run(np.ascontiguousarray(small), 0, 0.0)
        best: tuple[Box, float] | None = None
        best_iou = 0.2
        for rect, det_score in zip(rects, scores, strict=True):
            if det_score < self.settings.min_detection_score:
                continue
            b = _to_box(rect)
            mapped = Box(
                roi.left + round(b.left / scale),
                roi.top + round(b.top / scale),
                roi.left + round(b.right / scale),
                roi.top + round(b.bottom / scale),
            )
            overlap = mapped.iou(predicted)
            if overlap > best_iou:
                best, best_iou = (mapped, float(det_score)), overlap
        return best

    def _scan(self, gray: Gray) -> list[tuple[Box, float]]:
        scale = min(1.0, 80.0 / self.settings.min_face_width)
        small = (
            cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
        )
        rects, scores, _ = self._detector.run(np.ascontiguousarray(small), 0, 0.0)
        faces = []
        for rect, det_score in zip(rects, scores, strict=True):
            if det_score < self.settings.min_detection_score:
                continue
            b = _to_box(rect)
            box = Box(
                round(b.left / scale), round(b.top / scale), round(b.right / scale), round(b.bottom / scale)
            )
            if box.width >= self.settings.min_face_width * 0.9:
                faces.append((box, float(det_score)))
        return faces

    def _embed(self, rgb: Rgb, box: Box) -> Vector:
        rect = _box_to_rect(self._dlib, box)
        shape5 = self._landmarks5(rgb, rect)
        return np.array(self._encoder.compute_face_descriptor(rgb, shape5, 1), dtype=np.float64)

    # --- still photos -------------------------------------------------------------------------------------

    def analyse_photo(self, rgb: Rgb, *, max_side: int = 1280) -> list[PhotoFace]:
        """Every face in a still photo, largest first (the photo is downscaled to ``max_side``)."""
        h, w = rgb.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        if scale < 1.0:
            rgb = as_u8(cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
            h, w = rgb.shape[:2]
        rgb = np.ascontiguousarray(rgb)
        gray = as_u8(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        rects, scores, _ = self._detector.run(rgb, 1, 0.0)
        faces = []
        for rect, det_score in zip(rects, scores, strict=True):
            box = _to_box(rect)
            shape = self._landmarks(gray, rect)
            landmarks = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
            brightness, _contrast, sharpness = face_statistics(gray, box)
            faces.append(
                PhotoFace(
                    box=Box(
                        round(box.left / scale),
                        round(box.top / scale),
                        round(box.right / scale),
                        round(box.bottom / scale),
                    ),
                    landmarks=landmarks / scale,
                    measures=measure(landmarks / scale, round(w / scale), round(h / scale)),
                    detection_score=float(det_score),
                    sharpness=sharpness,
                    brightness=brightness,
                    embedding=self._embed(rgb, box),
                )
            )
        faces.sort(key=lambda f: f.box.width, reverse=True)
        return faces


def _plausible(measures: FaceMeasures, box: Box) -> bool:
    """Landmarks found on a predicted box still look like a face of about that box's size."""
    ratio = measures.eye_distance / box.width
    inside = box.left <= measures.center_x < box.right and box.top <= measures.center_y < box.bottom
    return 0.2 <= ratio <= 0.7 and inside


def _track_from(
    landmarks: npt.NDArray[np.float32],
    box: Box,
    measures: FaceMeasures,
    previous: Track | None,
    detected: bool,
) -> Track:
    if not detected and previous is not None:
        return Track(landmarks, previous.box_offset, previous.box_scale)
    d = max(measures.eye_distance, 1e-6)
    cx = (box.left + box.right) / 2.0
    cy = (box.top + box.bottom) / 2.0
    return Track(landmarks, ((cx - measures.center_x) / d, (cy - measures.center_y) / d), box.width / d)


def _jpeg(rgb: Rgb, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid 8-bit image
        raise AnalysisError("could not encode a keyframe")
    return bytes(data)
