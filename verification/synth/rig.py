"""A face photo turned into a poseable, animatable head (synthetic; for tests and evaluation only).

The rig places the photo in a 640×480 camera frame (the *plate*), lifts its 68 landmarks and a ring of
extra control points to 3-D with a generic depth template, and renders any :class:`Pose` and
:class:`Expression` by

1. rotating the 3-D points about the head's centre and projecting them with a pinhole camera, so the
   nose (3 cm in front of the eyes) shows real parallax when the head turns or nods;
2. warping the plate so that every control point lands on its projection (a thin-plate spline fitted
   to the control points, evaluated on a coarse grid and applied with ``cv2.remap``);
3. painting what a warp cannot create: closed eyelids (skin tone over the eye and a dark lid line —
   a plain skin fill does not move the landmarks enough) and the dark inside of an open mouth.

Everything is deterministic; randomness lives in :mod:`verification.synth.performer`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from verification.analysis import as_u8
from verification.geometry import LEFT_EYE, RIGHT_EYE, eye_centres

Image = npt.NDArray[np.uint8]
"""A BGR frame."""
Array = npt.NDArray[np.float64]

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
EYE_DISTANCE_CM = 6.3
"""Typical distance between the eye centres; sets the scale of the depth template."""

# Depth of each landmark in cm, towards the camera, relative to the plane of the outer eye corners.
# Rough adult anthropometry, deliberately not the same numbers as the pose model in geometry.py.
_DEPTH_CM = np.array(
    [
        *(
            -3.0,
            -2.6,
            -2.1,
            -1.5,
            -0.8,
            -0.1,
            0.6,
            1.1,
            1.3,
            1.1,
            0.6,
            -0.1,
            -0.8,
            -1.5,
            -2.1,
            -2.6,
            -3.0,
        ),  # jaw
        *(0.2, 0.9, 1.4, 1.6, 1.6, 1.6, 1.6, 1.4, 0.9, 0.2),  # brows
        *(1.2, 1.8, 2.5, 3.1),  # nose bridge to tip
        *(1.4, 1.8, 2.1, 1.8, 1.4),  # nostrils
        *(0.0, 0.7, 0.8, 0.5, 0.7, 0.6),  # right eye
        *(0.5, 0.8, 0.7, 0.0, 0.6, 0.7),  # left eye
        *(0.6, 1.4, 1.9, 2.1, 1.9, 1.4, 0.6, 1.3, 1.7, 1.8, 1.7, 1.3),  # outer lips
        *(0.9, 1.7, 1.8, 1.7, 0.9, 1.6, 1.7, 1.6),  # inner lips
    ],
    dtype=np.float64,
)

_LOWER_LIP = (55, 56, 57, 58, 59, 65, 66, 67)
_JAW_DROP = {5: 0.1, 6: 0.3, 7: 0.55, 8: 0.7, 9: 0.55, 10: 0.3, 11: 0.1}
_CORNERS = (48, 54, 60, 64)
_INNER_MOUTH = (60, 61, 62, 63, 64, 65, 66, 67)
LID_LINE = 0.8
RECENTRE = 0.7
_PLANE = (36, 39, 42, 45, 48, 54)
LID_FILL = 0.9
LID_THICKNESS = 8.0
LID_DARKNESS = 0.35


@dataclass(frozen=True, slots=True)
class Pose:
    """Head pose relative to the photo's own pose (degrees, cm)."""

    yaw: float = 0.0
    """Positive: the person turns to their left (nose towards the image's right)."""
    pitch: float = 0.0
    """Positive: chin down."""
    roll: float = 0.0
    """Positive: clockwise in the image."""
    dx: float = 0.0
    """Sideways shift, cm (positive: image right)."""
    dy: float = 0.0
    """Vertical shift, cm (positive: down)."""
    dz: float = 0.0
    """Shift towards the camera, cm."""


@dataclass(frozen=True, slots=True)
class Expression:
    """Eyelids and mouth."""

    eyes_closed: float = 0.0
    """0: as in the photo; 1: lids fully closed."""
    mouth_open: float = 0.0
    """0: as in the photo; 1: wide open (lower lip drops by half the mouth width)."""


@dataclass(frozen=True, slots=True, eq=False)
class RigFrame:
    """A rendered frame and where the landmarks went (the generator's ground truth)."""

    image: Image
    """The BGR frame."""
    landmarks: Array
    """The 68 landmarks after pose and expression, frame pixels."""


class FaceRig:
    """A photo's face, placed in the frame and ready to be posed."""

    def __init__(
        self,
        photo: Image,
        landmarks: npt.ArrayLike,
        *,
        eye_distance: float = 80.0,
        eye_centre: tuple[float, float] = (FRAME_WIDTH / 2, FRAME_HEIGHT * 0.42),
        size: tuple[int, int] = (FRAME_WIDTH, FRAME_HEIGHT),
    ) -> None:
        points = np.asarray(landmarks, dtype=np.float64)
        right, left = eye_centres(points)
        scale = eye_distance / float(np.hypot(*(left - right)))
        angle = math.atan2(left[1] - right[1], left[0] - right[0])
        mid = (right + left) / 2.0
        # Similarity that levels the eyes, scales, and puts the eye midpoint at ``eye_centre``.
        c, s = math.cos(-angle) * scale, math.sin(-angle) * scale
        matrix = np.array(
            [
                [c, -s, eye_centre[0] - (c * mid[0] - s * mid[1])],
                [s, c, eye_centre[1] - (s * mid[0] + c * mid[1])],
            ]
        )
        self.size = size
        self.plate: Image = as_u8(
            cv2.warpAffine(
                photo,
                matrix,
                size,
                flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            )
        )
        self.landmarks: Array = points @ matrix[:, :2].T + matrix[:, 2]
        self.eye_distance = eye_distance
        self.focal = float(max(size))
        self.px_per_cm = eye_distance / EYE_DISTANCE_CM
        self.distance_cm = self.focal / self.px_per_cm
        self._build_controls()
        self._skin = {eye: self._skin_below(eye) for eye in (RIGHT_EYE, LEFT_EYE)}

    # --- construction -----------------------------------------------------------------------------------

    def _build_controls(self) -> None:
        lm = self.landmarks
        centre = lm[list(range(0, 68))].mean(axis=0)
        brow_up = (lm[8] - lm[27]) * 0.45  # from the brows up towards the hairline
        forehead = np.array([lm[i] - brow_up for i in (17, 19, 21, 22, 24, 26)])
        forehead_depth = np.array([-0.6, 0.6, 1.0, 1.0, 0.6, -0.6])
        outline_src = np.concatenate([lm[list(range(0, 17, 2))], forehead[[0, 2, 3, 5]]])
        head = centre + (outline_src - centre) * 1.25
        head_depth = np.full(len(head), -3.5)
        ring = centre + (outline_src - centre) * 1.9
        self._points: Array = np.concatenate([lm, forehead, head])
        self._depth: Array = np.concatenate([_DEPTH_CM, forehead_depth, head_depth])
        self._anchors: Array = ring
        # The region the warp may touch: the anchor ring's bounding box, clipped to the frame.
        w, h = self.size
        lo = np.floor(np.clip(ring.min(axis=0), 0, [w - 1, h - 1])).astype(int)
        hi = np.ceil(np.clip(ring.max(axis=0), 1, [w, h])).astype(int)
        self._region = (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))
        corners = [
            (x, y)
            for x in np.linspace(lo[0], hi[0], 5)
            for y in np.linspace(lo[1], hi[1], 5)
            if x in (lo[0], hi[0]) or y in (lo[1], hi[1])
        ]
        self._border: Array = np.array(corners, dtype=np.float64)
        self._mouth_width = float(np.hypot(*(lm[54] - lm[48])))
        self._head_centre = np.array(
            [
                (lm[39, 0] + lm[42, 0]) / 2.0,
                (lm[27, 1] + lm[8, 1]) / 2.0,
            ]
        )

    def _skin_below(self, eye: tuple[int, ...]) -> tuple[float, float, float]:
        lm = self.landmarks
        outer, inner = lm[eye[0]], lm[eye[3]]
        width = float(np.hypot(*(inner - outer)))
        upper = (lm[eye[1]] + lm[eye[2]]) / 2.0
        brow = lm[19] if eye == RIGHT_EYE else lm[24]
        cx, cy = (outer[0] + inner[0]) / 2.0, (upper[1] + brow[1]) / 2.0
        half = max(2, round(width * 0.12))
        x0, y0 = round(cx) - half, round(cy) - half
        patch = self.plate[max(0, y0) : y0 + 2 * half, max(0, x0) : x0 + 2 * half].reshape(-1, 3)
        mean = patch.mean(axis=0) if len(patch) else np.array([128.0, 128.0, 128.0])
        return float(mean[0]), float(mean[1]), float(mean[2])

    # --- rendering ----------------------------------------------------------------------------------------

    def project(self, pose: Pose, expression: Expression) -> tuple[Array, Array]:
        """Target positions of (the 68 landmarks + extra control points) and the unmoved anchors."""
        f, cx, cy = self.focal, self.size[0] / 2.0, self.size[1] / 2.0
        z = self.distance_cm - self._depth
        pts = self._points
        xyz = np.column_stack([(pts[:, 0] - cx) * z / f, (pts[:, 1] - cy) * z / f, z])
        if expression.mouth_open > 0:
            drop = expression.mouth_open * 0.5 * self._mouth_width / self.px_per_cm
            for i in _LOWER_LIP:
                xyz[i, 1] += drop
            for i, weight in _JAW_DROP.items():
                xyz[i, 1] += drop * weight
            for i in _CORNERS:
                xyz[i, 1] += drop * 0.35
            xyz[68 + 6 + 4, 1] += drop * 0.7  # the head outline below the chin
        zc = self.distance_cm + 8.0
        hx = (self._head_centre[0] - cx) * self.distance_cm / f
        hy = (self._head_centre[1] - cy) * self.distance_cm / f
        centre = np.array([hx, hy, zc])
        rotated = (xyz - centre) @ _rotation(pose).T + centre
        # People turning their head at a phone keep their face in view: the face plane mostly stays.
        plane = list(_PLANE)
        rotated[:, :2] -= RECENTRE * (rotated[plane, :2].mean(axis=0) - xyz[plane, :2].mean(axis=0))
        rotated += np.array([pose.dx, pose.dy, -pose.dz])
        proj = np.column_stack(
            [rotated[:, 0] * f / rotated[:, 2] + cx, rotated[:, 1] * f / rotated[:, 2] + cy]
        )
        return proj, self._anchors

    def render(self, pose: Pose, expression: Expression, *, out: Image | None = None) -> RigFrame:
        """The plate posed and animated (no noise; the performer adds sensor noise)."""
        target, anchors = self.project(pose, expression)
        frame = self.plate.copy() if out is None else out
        if out is not None:
            np.copyto(frame, self.plate)
        x0, y0, x1, y1 = self._region
        dst = np.concatenate([target, anchors, self._border])
        src = np.concatenate([self._points, anchors, self._border])
        map_x, map_y = _tps_backward_map(dst, src, (x0, y0, x1, y1), step=12)
        region = cv2.remap(self.plate, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frame[y0:y1, x0:x1] = region
        landmarks = target[:68]
        if expression.mouth_open > 0.04:
            _paint_mouth(frame, landmarks, expression.mouth_open)
        if expression.eyes_closed > 0.02:
            for eye in (RIGHT_EYE, LEFT_EYE):
                _paint_eyelid(frame, landmarks, eye, expression.eyes_closed, self._skin[eye])
        return RigFrame(frame, landmarks)


def _rotation(pose: Pose) -> Array:
    yaw, pitch, roll = (math.radians(a) for a in (pose.yaw, pose.pitch, pose.roll))
    # Camera axes: x right, y down, z away. A positive yaw brings the nose (at -z from the head
    # centre) towards +x; a positive pitch brings it towards +y.
    ry = np.array([[math.cos(yaw), 0, -math.sin(yaw)], [0, 1, 0], [math.sin(yaw), 0, math.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]])
    rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
    return np.asarray(rz @ ry @ rx, dtype=np.float64)


def _tps_backward_map(
    dst: Array, src: Array, region: tuple[int, int, int, int], step: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """For each pixel of ``region`` in the output, where to sample the plate (thin-plate spline)."""
    x0, y0, x1, y1 = region
    n = len(dst)
    scale = float(max(x1 - x0, y1 - y0))
    d = (dst - [x0, y0]) / scale
    system = np.zeros((n + 3, n + 3))
    system[:n, :n] = _tps_kernel(d, d) + np.eye(n) * 1e-6
    system[:n, n] = 1.0
    system[:n, n + 1 :] = d
    system[n, :n] = 1.0
    system[n + 1 :, :n] = d.T
    rhs = np.zeros((n + 3, 2))
    rhs[:n] = src - dst
    coeffs = np.linalg.solve(system, rhs)
    gx = np.arange(x0, x1 + step, step, dtype=np.float64)
    gy = np.arange(y0, y1 + step, step, dtype=np.float64)
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    g = (grid - [x0, y0]) / scale
    disp = _tps_kernel(g, d) @ coeffs[:n] + coeffs[n] + g @ coeffs[n + 1 :]
    coarse = (grid + disp).reshape(len(gy), len(gx), 2).astype(np.float32)
    # Upsample the coarse map: grid node k sits at pixel k*step of the region.
    full_w, full_h = (len(gx) - 1) * step + 1, (len(gy) - 1) * step + 1
    fine = cv2.resize(coarse, (full_w, full_h), interpolation=cv2.INTER_LINEAR)
    fine = fine[: y1 - y0, : x1 - x0]
    return np.ascontiguousarray(fine[..., 0]), np.ascontiguousarray(fine[..., 1])


def _tps_kernel(a: Array, b: Array) -> Array:
    """U(r) = r² log r between every point of ``a`` and of ``b``."""
    r2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    r2 = np.maximum(r2, 1e-12)
    return np.asarray(0.5 * r2 * np.log(r2), dtype=np.float64)


def _paint_eyelid(
    frame: Image, landmarks: Array, eye: tuple[int, ...], closed: float, skin: tuple[float, float, float]
) -> None:
    """Cover the eye with lid-coloured skin down to the closing lid, with a dark lid line."""
    outer, up1, up2, inner, low2, low1 = (landmarks[i] for i in eye)
    closed = min(1.0, closed)
    fill1, fill2 = up1 + closed * LID_FILL * (low1 - up1), up2 + closed * LID_FILL * (low2 - up2)
    line1, line2 = up1 + closed * LID_LINE * (low1 - up1), up2 + closed * LID_LINE * (low2 - up2)
    width = float(np.hypot(*(inner - outer)))
    lift = np.array([0.0, -0.12 * width])
    cover = np.array([outer, up1 + lift, up2 + lift, inner, fill2, fill1])
    x0, y0 = np.floor(cover.min(axis=0) - 4).astype(int)
    x1, y1 = np.ceil(cover.max(axis=0) + 5).astype(int)
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    patch = frame[y0:y1, x0:x1].astype(np.float32)
    shift = np.array([x0, y0])
    mask = np.zeros(patch.shape[:2], np.float32)
    cv2.fillPoly(mask, [np.round((cover - shift) * 4).astype(np.int32)], 1.0, cv2.LINE_AA, 2)
    mask = np.asarray(cv2.GaussianBlur(mask, (3, 3), 0), np.float32)
    tone = np.array(skin, np.float32)
    painted = patch * (1 - mask[..., None]) + tone * mask[..., None]
    lid = np.array([outer, line1, line2, inner]) - shift
    line = np.zeros(patch.shape[:2], np.float32)
    thickness = max(1, round(width / LID_THICKNESS))
    cv2.polylines(line, [np.round(lid * 4).astype(np.int32)], False, 1.0, thickness, cv2.LINE_AA, 2)
    line *= min(1.0, 0.4 + closed)
    painted = painted * (1 - line[..., None]) + tone * LID_DARKNESS * line[..., None]
    frame[y0:y1, x0:x1] = np.clip(painted, 0, 255).astype(np.uint8)


def _paint_mouth(frame: Image, landmarks: Array, opened: float) -> None:
    inner = landmarks[list(_INNER_MOUTH)]
    x0, y0 = np.floor(inner.min(axis=0) - 3).astype(int)
    x1, y1 = np.ceil(inner.max(axis=0) + 4).astype(int)
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    patch = frame[y0:y1, x0:x1].astype(np.float32)
    shift = np.array([x0, y0])
    mask = np.zeros(patch.shape[:2], np.float32)
    cv2.fillPoly(mask, [np.round((inner - shift) * 4).astype(np.int32)], 1.0, cv2.LINE_AA, 2)
    mask = np.asarray(cv2.GaussianBlur(mask, (3, 3), 0), np.float32)
    colour = np.empty_like(patch)
    colour[:] = (40.0, 35.0, 75.0)
    # Upper teeth: a pale band under the upper inner lip.
    upper = landmarks[[60, 61, 62, 63, 64]] - shift
    gap = float(np.mean(landmarks[[67, 66, 65], 1] - landmarks[[61, 62, 63], 1]))
    band = np.concatenate([upper, upper[::-1] + np.array([0.0, max(1.0, 0.22 * gap)])])
    teeth = np.zeros(patch.shape[:2], np.float32)
    cv2.fillPoly(teeth, [np.round(band * 4).astype(np.int32)], 1.0, cv2.LINE_AA, 2)
    colour = colour * (1 - teeth[..., None]) + np.array([200.0, 205.0, 212.0], np.float32) * teeth[..., None]
    strength = min(1.0, opened * 2.0)
    mix = mask[..., None] * strength
    frame[y0:y1, x0:x1] = np.clip(patch * (1 - mix) + colour * mix, 0, 255).astype(np.uint8)
