"""Synthetic presentation attacks and the genuine scenario they are compared with.

Every scenario answers :meth:`Scenario.frame` (the camera frame captured at ``t``) and
:meth:`Scenario.prompt` (the server asked for an action at ``t``). Species (ISO/IEC 30107-3 calls
them attack presentation species; the numbers follow issue 4):

1. :class:`PhotoAttack` — a printed photo of the customer held in front of the camera: a rigid or
   bent plane with hand tremor, which the attacker turns, tilts and flexes when prompted.
2. :class:`ReplayAttack` — a genuine recording of the customer performing a *different* sequence,
   injected as the camera (a virtual camera).
3. :class:`StaticInjection` — one genuine frame injected over and over.
4. :class:`LoopAttack` — a short stretch of a genuine recording, looped.
5. Face swap — a live, obedient :class:`GenuineScenario` of *another* person.
6. :class:`ScreenReplay` — a genuine recording (different sequence) played on a phone or monitor held
   in front of the camera, with bezel, glare, colour shift and moiré.

Non-interactive scenarios are built on :class:`RecordedClip`, whose frames are deterministic per
frame index (a loop repeats frames exactly, as a looped file does), and expose :meth:`Scenario.source`
so that an evaluation may reuse the analysis of a frame it has already analysed.

All of it is synthetic; figures computed on it must say so.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from verification.analysis import as_u8
from verification.challenges import Action
from verification.synth.performer import Behaviour, NoiseBank, Performer
from verification.synth.rig import FRAME_HEIGHT, FRAME_WIDTH, FaceRig, Image, _tps_backward_map

CLIP_FPS = 30
"""Frame rate of recorded clips (a phone camera)."""


class Scenario(Protocol):
    """What a synthetic camera shows, and how it reacts to prompts."""

    species: str
    """``genuine`` or the attack species name."""

    def frame(self, t: float) -> Image:
        """The BGR frame captured at ``t`` seconds."""
        ...

    def prompt(self, action: Action, at: float) -> None:
        """The server asked for ``action`` at ``at`` (non-interactive scenarios ignore it)."""
        ...

    def source(self, t: float) -> tuple[str, int] | None:
        """``(clip key, frame index)`` when the frame at ``t`` is a deterministic clip frame, else None."""
        ...


def room(rng: np.random.Generator, size: tuple[int, int] = (FRAME_WIDTH, FRAME_HEIGHT)) -> Image:
    """A plausible, blurred indoor background."""
    w, h = size
    base = rng.uniform(70, 200, size=3)
    ramp = np.linspace(0.85, 1.1, h)[:, None, None]
    image = np.clip(np.ones((h, w, 3)) * base * ramp, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(3, 7))):
        x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
        x1, y1 = x0 + int(rng.integers(w // 8, w // 2)), y0 + int(rng.integers(h // 8, h // 2))
        colour = tuple(float(c) for c in rng.uniform(30, 230, size=3))
        cv2.rectangle(image, (x0, y0), (x1, y1), colour, -1)
    return as_u8(cv2.GaussianBlur(image, (0, 0), 6))


# --- genuine ------------------------------------------------------------------------------------------


class GenuineScenario:
    """A live customer who follows the prompts (also face swap: a live person of another identity)."""

    def __init__(self, performer: Performer, species: str = "genuine") -> None:
        self.performer = performer
        self.species = species

    def frame(self, t: float) -> Image:
        return self.performer.frame(t)

    def prompt(self, action: Action, at: float) -> None:
        self.performer.prompt(action, at)

    def source(self, t: float) -> tuple[str, int] | None:
        return None


# --- recordings -----------------------------------------------------------------------------------------


class RecordedClip:
    """A genuine recording: a performer with a fixed script, frames deterministic per index."""

    def __init__(
        self,
        rig: FaceRig,
        seed: int,
        script: Sequence[tuple[Action, float]],
        *,
        key: str,
        behaviour: Behaviour | None = None,
        cache: int = 48,
    ) -> None:
        self.key = key
        self._seed = seed
        self.sequence = tuple(action for action, _ in script)
        """The actions the recording performs, in order."""
        self._performer = Performer(rig, seed, behaviour)
        for action, start in script:
            self._performer.perform(action, start)
        self._noise = NoiseBank(
            np.random.default_rng(seed + 1), (rig.size[1], rig.size[0]), self._performer.behaviour.noise_sigma
        )
        self._cache: OrderedDict[int, Image] = OrderedDict()
        self._cache_size = cache

    def frame_at(self, index: int) -> Image:
        """Frame ``index`` of the clip (``CLIP_FPS`` per second); the same bytes every time."""
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        image = self._noise.apply(
            self._performer.clean_frame(index / CLIP_FPS), key=self._seed * 100_003 + index
        )
        self._cache[index] = image
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return image


def script_for(
    sequence: Sequence[Action], rng: np.random.Generator, first: tuple[float, float] = (2.4, 3.6)
) -> list[tuple[Action, float]]:
    """Start times for a recorded sequence, as a customer answering another attempt's prompts would."""
    t = float(rng.uniform(*first))
    script = []
    for action in sequence:
        script.append((action, t))
        t += float(rng.uniform(2.0, 3.2))
    return script


class ReplayAttack:
    """A recording injected as the camera, from its start (or an offset)."""

    species = "replay"

    def __init__(self, clip: RecordedClip, offset: float = 0.0) -> None:
        self.clip = clip
        self._offset = offset

    def _index(self, t: float) -> int:
        return math.floor((t + self._offset) * CLIP_FPS)

    def frame(self, t: float) -> Image:
        return self.clip.frame_at(self._index(t))

    def prompt(self, action: Action, at: float) -> None:
        return None

    def source(self, t: float) -> tuple[str, int] | None:
        return self.clip.key, self._index(t)


class StaticInjection:
    """One frame of a recording, injected again and again."""

    species = "static"

    def __init__(self, clip: RecordedClip, index: int) -> None:
        self.clip = clip
        self._index = index

    def frame(self, t: float) -> Image:
        return self.clip.frame_at(self._index)

    def prompt(self, action: Action, at: float) -> None:
        return None

    def source(self, t: float) -> tuple[str, int] | None:
        return self.clip.key, self._index


class LoopAttack:
    """``length`` seconds of a recording from ``start``, looped."""

    species = "loop"

    def __init__(self, clip: RecordedClip, start: float, length: float) -> None:
        self.clip = clip
        self._start = round(start * CLIP_FPS)
        self._frames = max(2, round(length * CLIP_FPS))

    def _index(self, t: float) -> int:
        return self._start + math.floor(t * CLIP_FPS) % self._frames

    def frame(self, t: float) -> Image:
        return self.clip.frame_at(self._index(t))

    def prompt(self, action: Action, at: float) -> None:
        return None

    def source(self, t: float) -> tuple[str, int] | None:
        return self.clip.key, self._index(t)


# --- held planes: printed photos and screens ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanePose:
    """Pose of a held flat object (degrees, cm)."""

    yaw: float = 0.0
    """Turn about the vertical axis (positive: its right edge comes towards the camera)."""
    pitch: float = 0.0
    """Tilt about the horizontal axis (positive: its top goes away)."""
    roll: float = 0.0
    """In-plane rotation, clockwise."""
    dx: float = 0.0
    """Sideways shift, cm."""
    dy: float = 0.0
    """Vertical shift, cm."""
    dz: float = 0.0
    """Shift towards the camera, cm."""
    bend: float = 0.0
    """Bend about the vertical centre line: total angle between the two halves' normals, degrees."""


class _HeldPlane:
    """Renders a flat (or bent) picture held at a distance in front of a background."""

    def __init__(self, picture: Image, width_cm: float, distance_cm: float, background: Image) -> None:
        self.picture = picture
        self.width_cm = width_cm
        self.distance_cm = distance_cm
        self.background = background
        ph, pw = picture.shape[:2]
        self._px_per_cm_picture = pw / width_cm
        gx = np.linspace(0, pw - 1, 9)
        gy = np.linspace(0, ph - 1, 9)
        self._grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
        self._mask = np.full((ph, pw), 255, np.uint8)
        self._focal = float(max(FRAME_WIDTH, FRAME_HEIGHT))

    def render(self, pose: PlanePose) -> Image:
        ph, pw = self.picture.shape[:2]
        # Picture points in cm, centred; bent about the vertical centre line (a cylinder).
        x = (self._grid[:, 0] - pw / 2) / self._px_per_cm_picture
        y = (self._grid[:, 1] - ph / 2) / self._px_per_cm_picture
        z = np.zeros_like(x)
        if abs(pose.bend) > 0.1:
            half = math.radians(pose.bend) / 2
            radius = (self.width_cm / 2) / half
            angle = x / radius
            x, z = radius * np.sin(angle), radius * (1 - np.cos(angle))  # edges bend away
        points = np.column_stack([x, y, z])
        yaw, pitch, roll = (math.radians(a) for a in (pose.yaw, pose.pitch, pose.roll))
        ry = np.array([[math.cos(yaw), 0, -math.sin(yaw)], [0, 1, 0], [math.sin(yaw), 0, math.cos(yaw)]])
        rx = np.array(
            [[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)], [0, math.sin(pitch), math.cos(pitch)]]
        )
        rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
        points = points @ (rz @ ry @ rx).T + [pose.dx, pose.dy, self.distance_cm - pose.dz]
        f = self._focal
        dst = np.column_stack(
            [
                points[:, 0] * f / points[:, 2] + FRAME_WIDTH / 2,
                points[:, 1] * f / points[:, 2] + FRAME_HEIGHT / 2,
            ]
        )
        lo = np.floor(dst.min(axis=0)).astype(int) - 2
        hi = np.ceil(dst.max(axis=0)).astype(int) + 2
        x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
        x1, y1 = min(FRAME_WIDTH, int(hi[0])), min(FRAME_HEIGHT, int(hi[1]))
        frame = self.background.copy()
        if x1 - x0 < 4 or y1 - y0 < 4:
            return frame
        map_x, map_y = _tps_backward_map(dst, self._grid, (x0, y0, x1, y1), step=16)
        region = cv2.remap(self.picture, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        alpha = cv2.remap(self._mask, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        weight = alpha.astype(np.float32) * (1.0 / 255.0)
        frame[y0:y1, x0:x1] = cv2.blendLinear(region, frame[y0:y1, x0:x1], weight, 1.0 - weight)
        return frame


class _Gesture:
    """A timed change of the held plane's pose."""

    def __init__(self, start: float, rise: float, hold: float, fall: float, target: PlanePose) -> None:
        self.start, self.rise, self.hold, self.fall, self.target = start, rise, hold, fall, target

    def weight(self, t: float) -> float:
        u = t - self.start
        total = self.rise + self.hold + self.fall
        if u <= 0 or u >= total:
            return 0.0
        if u < self.rise:
            return 0.5 - 0.5 * math.cos(math.pi * u / self.rise)
        if u < self.rise + self.hold:
            return 1.0
        return 0.5 + 0.5 * math.cos(math.pi * (u - self.rise - self.hold) / self.fall)


class _Hand:
    """Hand tremor and the gestures an attacker makes with a held object."""

    def __init__(self, rng: np.random.Generator, base: PlanePose) -> None:
        self._rng = rng
        self.base = base
        self._waves = [
            (rng.uniform(0.3, 1.0), rng.uniform(3.0, 8.0), rng.uniform(0, 2 * math.pi)) for _ in range(6)
        ]
        self._drift = [
            (rng.uniform(0.3, 1.5), rng.uniform(0.05, 0.3), rng.uniform(0, 2 * math.pi)) for _ in range(6)
        ]
        self.gestures: list[_Gesture] = []
        self.busy_until = 0.0

    def pose(self, t: float) -> PlanePose:
        tremor = [a * math.sin(2 * math.pi * f * t + p) for a, f, p in self._waves]
        drift = [a * math.sin(2 * math.pi * f * t + p) for a, f, p in self._drift]
        values = {
            "yaw": self.base.yaw + 0.6 * tremor[0] + 2.0 * drift[0],
            "pitch": self.base.pitch + 0.6 * tremor[1] + 2.0 * drift[1],
            "roll": self.base.roll + 0.5 * tremor[2] + 1.5 * drift[2],
            "dx": self.base.dx + 0.08 * tremor[3] + 0.6 * drift[3],
            "dy": self.base.dy + 0.08 * tremor[4] + 0.5 * drift[4],
            "dz": self.base.dz + 0.1 * tremor[5] + 1.0 * drift[5],
            "bend": self.base.bend,
        }
        for g in self.gestures:
            w = g.weight(t)
            if w > 0:
                for name in values:
                    values[name] += w * getattr(g.target, name)
        return PlanePose(**values)

    def gesture(
        self, at: float, target: PlanePose, rise: tuple[float, float], hold: tuple[float, float]
    ) -> None:
        rng = self._rng
        start = max(at + rng.uniform(0.3, 1.2), self.busy_until + 0.1)
        g = _Gesture(start, rng.uniform(*rise), rng.uniform(*hold), rng.uniform(*rise), target)
        self.gestures.append(g)
        self.busy_until = g.start + g.rise + g.hold + g.fall


def _print_of(rig: FaceRig, rng: np.random.Generator) -> tuple[Image, float]:
    """A printed photo of the rig's face (plate around the face, white paper border) and its width, cm."""
    lm = rig.landmarks
    centre = lm.mean(axis=0)
    half_w = rig.eye_distance * rng.uniform(1.9, 2.4)
    half_h = half_w * 1.3
    x0, x1 = round(centre[0] - half_w), round(centre[0] + half_w)
    y0, y1 = round(centre[1] - half_h * 0.95), round(centre[1] + half_h * 1.05)
    plate = cv2.copyMakeBorder(rig.plate, 200, 200, 200, 200, cv2.BORDER_REFLECT)
    photo = plate[y0 + 200 : y1 + 200, x0 + 200 : x1 + 200].astype(np.float32)
    # Print gamut: a little less contrast and saturation, warm paper.
    grey = photo.mean(axis=2, keepdims=True)
    photo = 0.85 * photo + 0.15 * grey
    photo = photo * rng.uniform(0.85, 0.95) + rng.uniform(10, 22)
    photo[..., 0] *= rng.uniform(0.93, 0.98)
    border = max(4, round(photo.shape[1] * 0.04))
    printed = cv2.copyMakeBorder(
        np.clip(photo, 0, 255).astype(np.uint8),
        border,
        border,
        border,
        border,
        cv2.BORDER_CONSTANT,
        value=(236, 240, 242),
    )
    # The face in the frame should be about as large as a live face: eye distance px / (6.3 cm).
    width_cm = printed.shape[1] / (rig.eye_distance / 6.3) * rng.uniform(0.85, 1.15)
    return printed, width_cm


class PhotoAttack:
    """A printed photo held in front of the camera; the attacker mimics each prompt with the photo."""

    species = "photo"

    def __init__(self, rig: FaceRig, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self._rng = rng
        picture, width_cm = _print_of(rig, rng)
        distance = float(max(FRAME_WIDTH, FRAME_HEIGHT)) / (rig.eye_distance / 6.3)
        bend = float(rng.uniform(-25, 25)) if rng.random() < 0.5 else 0.0
        self._plane = _HeldPlane(picture, width_cm, distance, room(rng))
        self._hand = _Hand(
            rng,
            PlanePose(yaw=rng.uniform(-5, 5), pitch=rng.uniform(-5, 5), dy=rng.uniform(-1.5, 0.5), bend=bend),
        )
        self._noise = NoiseBank(rng, (FRAME_HEIGHT, FRAME_WIDTH), 2.5)

    def frame(self, t: float) -> Image:
        return self._noise.apply(self._plane.render(self._hand.pose(t)))

    def prompt(self, action: Action, at: float) -> None:
        rng = self._rng
        if action is Action.TURN_LEFT or action is Action.TURN_RIGHT:
            # Turn the photo as a head would turn (its right edge towards the camera for a left turn).
            sign = 1.0 if action is Action.TURN_LEFT else -1.0
            target = PlanePose(yaw=sign * rng.uniform(25, 45), dx=sign * rng.uniform(0, 2))
            self._hand.gesture(at, target, (0.3, 0.6), (0.4, 1.0))
        elif action is Action.NOD:
            target = PlanePose(pitch=-rng.uniform(15, 35), dy=rng.uniform(0, 1.5))
            self._hand.gesture(at, target, (0.2, 0.4), (0.05, 0.2))
        else:
            # Blink or mouth: a quick tilt or flex, hoping the landmarks follow.
            if rng.random() < 0.5:
                target = PlanePose(pitch=rng.uniform(15, 35) * (1 if rng.random() < 0.5 else -1))
            else:
                target = PlanePose(bend=rng.uniform(20, 40) * (1 if rng.random() < 0.5 else -1))
            self._hand.gesture(at, target, (0.08, 0.2), (0.05, 0.3))

    def source(self, t: float) -> tuple[str, int] | None:
        return None


class ScreenReplay:
    """A recording played on a phone or monitor held in front of the camera."""

    species = "screen"

    def __init__(self, clip: RecordedClip, rig: FaceRig, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.clip = clip
        self._rng = rng
        phone = rng.random() < 0.5
        # The visible part of the recording: the face, cropped to the screen's shape.
        lm = rig.landmarks
        centre = lm.mean(axis=0)
        if phone:
            crop_w = rig.eye_distance * rng.uniform(3.0, 3.8)
            crop_h = crop_w * 2.0
        else:
            crop_w = rig.eye_distance * rng.uniform(4.2, 5.2)
            crop_h = crop_w * 0.62
        self._crop = (
            max(0, round(centre[0] - crop_w / 2)),
            max(0, round(centre[1] - crop_h * 0.45)),
            min(FRAME_WIDTH, round(centre[0] + crop_w / 2)),
            min(FRAME_HEIGHT, round(centre[1] + crop_h * 0.55)),
        )
        cw = self._crop[2] - self._crop[0]
        ch = self._crop[3] - self._crop[1]
        bezel = max(6, round(cw * rng.uniform(0.04, 0.08)))
        self._bezel = bezel
        self._screen_size = (cw + 2 * bezel, ch + 2 * bezel)
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        theta = rng.uniform(0, math.pi)
        period = rng.uniform(2.3, 3.6)
        beat = np.cos(2 * math.pi * (xx * math.cos(theta) + yy * math.sin(theta)) / period)
        beat *= np.cos(
            2 * math.pi * (xx * math.sin(theta) - yy * math.cos(theta)) / (period * rng.uniform(5, 12))
        )
        moire = (1.0 + rng.uniform(0.04, 0.09) * beat)[..., None]
        gx, gy = rng.uniform(0.1, 0.9) * cw, rng.uniform(0.1, 0.9) * ch
        sigma = rng.uniform(0.15, 0.35) * max(cw, ch)
        glare = rng.uniform(25, 70) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * sigma**2))
        tint = np.array(
            [rng.uniform(1.02, 1.1), rng.uniform(0.97, 1.02), rng.uniform(0.88, 0.96)], np.float32
        )
        gamma = rng.uniform(0.85, 1.1)
        # Precomputed as 8-bit operations: display gamma (a lookup table), then the colour tint and moiré
        # (a per-pixel gain, 128 = 1.0), then the glare (added).
        self._lut = np.clip(255.0 * (np.arange(256) / 255.0) ** gamma, 0, 255).astype(np.uint8)
        self._shade = np.clip(128.0 * moire * tint, 0, 255).astype(np.uint8)
        self._glare = np.repeat(np.clip(glare, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
        # The screen's physical width so that the face appears about as large as a live one.
        px_per_cm = rig.eye_distance / 6.3 * rng.uniform(0.95, 1.2)
        width_cm = self._screen_size[0] / px_per_cm
        distance = float(max(FRAME_WIDTH, FRAME_HEIGHT)) / (rig.eye_distance / 6.3)
        blank = np.zeros((self._screen_size[1], self._screen_size[0], 3), np.uint8)
        self._plane = _HeldPlane(blank, width_cm, distance, room(rng))
        self._hand = _Hand(
            rng, PlanePose(yaw=rng.uniform(-8, 8), pitch=rng.uniform(-8, 8), dy=rng.uniform(-1.0, 1.0))
        )
        self._noise = NoiseBank(rng, (FRAME_HEIGHT, FRAME_WIDTH), 2.5)

    def _screen(self, t: float) -> Image:
        x0, y0, x1, y1 = self._crop
        content = cv2.LUT(self.clip.frame_at(math.floor(t * CLIP_FPS))[y0:y1, x0:x1], self._lut)
        content = cv2.add(cv2.multiply(content, self._shade, scale=1 / 128, dtype=cv2.CV_8U), self._glare)
        screen = np.zeros((self._screen_size[1], self._screen_size[0], 3), np.uint8)
        b = self._bezel
        screen[b : b + content.shape[0], b : b + content.shape[1]] = content
        return as_u8(cv2.GaussianBlur(screen, (3, 3), 0.6))

    def frame(self, t: float) -> Image:
        self._plane.picture = self._screen(t)
        return self._noise.apply(self._plane.render(self._hand.pose(t)))

    def prompt(self, action: Action, at: float) -> None:
        return None

    def source(self, t: float) -> tuple[str, int] | None:
        return None
