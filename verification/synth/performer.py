"""A synthetic customer: a :class:`~verification.synth.rig.FaceRig` that lives, blinks and obeys prompts.

A :class:`Performer` renders the frame a camera would capture at any time ``t`` (seconds from the
start of its clip). Between actions the head sways slowly, trembles slightly and blinks on its own
(Poisson, about 15 a minute). When :meth:`Performer.prompt` tells it that the server asked for an
action at ``t``, it starts the movement after a display delay and a human reaction time, with
durations and amplitudes drawn from :class:`Behaviour`. :meth:`Performer.perform` schedules an action
directly (recorded clips for replay attacks). All randomness comes from the seed: the same seed and
the same prompts give the same frames.

Everything this module renders is synthetic; figures computed on it must say so.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from verification.analysis import as_u8
from verification.challenges import Action
from verification.synth.rig import Expression, FaceRig, Image, Pose


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a synthetic customer behaves (distributions of its timing and movements)."""

    display_delay: tuple[float, float] = (0.08, 0.3)
    """Seconds from the server's prompt until the customer sees it (network, page, speech)."""
    reaction_median: float = 0.6
    """Median reaction time to a prompt, seconds (log-normal)."""
    reaction_sigma: float = 0.35
    """Spread of the log-normal reaction time."""
    reaction_min: float = 0.3
    """Fastest human reaction modelled, seconds."""
    slow_share: float = 0.06
    """Share of prompts answered slowly (1.5-3.5 s), as elderly customers often do."""
    confusion_share: float = 0.03
    """Share of first turn prompts answered by turning the wrong way (a mirrored preview confuses)."""
    blink_rate: float = 0.25
    """Spontaneous blinks per second."""
    turn_degrees: tuple[float, float] = (20.0, 34.0)
    """Range of head turns, degrees."""
    nod_degrees: tuple[float, float] = (12.0, 20.0)
    """Range of nods (chin down), degrees."""
    mouth_open: tuple[float, float] = (0.45, 0.7)
    """Range of mouth opening (see :class:`~verification.synth.rig.Expression`)."""
    motion_time_scale: float = 1.0
    """How long deliberate turns, nods and open mouths take (rise, hold and fall), relative to the
    usual: above 1, a customer who moves slowly and holds each pose a while."""
    blink_hold: tuple[float, float] = (0.12, 0.25)
    """Range of how long a deliberate blink keeps the eyes closed, seconds."""
    sway: float = 1.0
    """Scale of the idle head sway."""
    noise_sigma: float = 2.5
    """Sensor noise, grey levels."""


@dataclass(frozen=True, slots=True)
class _Motion:
    kind: Action
    start: float
    rise: float
    hold: float
    fall: float
    amplitude: float

    @property
    def end(self) -> float:
        return self.start + self.rise + self.hold + self.fall

    def level(self, t: float) -> float:
        u = t - self.start
        if u <= 0 or u >= self.rise + self.hold + self.fall:
            return 0.0
        if u < self.rise:
            return self.amplitude * _smooth(u / self.rise)
        u -= self.rise
        if u < self.hold:
            return self.amplitude
        return self.amplitude * (1.0 - _smooth((u - self.hold) / self.fall))


def _smooth(x: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, x)))


@functools.cache
def _noise_planes(shape: tuple[int, int], sigma: float, count: int = 8) -> tuple[list[Image], list[Image]]:
    """Positive and negative parts of ``count`` Gaussian noise frames (fixed seed, shared per process)."""
    rng = np.random.default_rng(20240501)
    h, w = shape
    plus, minus = [], []
    for _ in range(count):
        noise = rng.normal(0.0, sigma, size=(h + 32, w + 32, 3))
        plus.append(np.clip(noise, 0, 255).astype(np.uint8))
        minus.append(np.clip(-noise, 0, 255).astype(np.uint8))
    return plus, minus


class NoiseBank:
    """Gaussian sensor noise: pre-drawn frames (shared by every clip) added at random offsets."""

    def __init__(self, rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> None:
        self._plus, self._minus = _noise_planes(shape, round(sigma, 3))
        self._rng = rng
        self._shape = shape

    def apply(self, frame: Image, key: int | None = None) -> Image:
        """``frame`` plus fresh-looking noise (saturating); the same ``key`` gives the same noise."""
        rng = self._rng if key is None else np.random.default_rng(key)
        k = int(rng.integers(len(self._plus)))
        dx, dy = (int(v) for v in rng.integers(0, 32, size=2))
        h, w = self._shape
        out = cv2.add(frame, self._plus[k][dy : dy + h, dx : dx + w])
        return as_u8(cv2.subtract(out, self._minus[k][dy : dy + h, dx : dx + w]))


class Performer:
    """A synthetic live customer (see the module docstring)."""

    def __init__(self, rig: FaceRig, seed: int, behaviour: Behaviour | None = None) -> None:
        self.rig = rig
        self.behaviour = b = behaviour or Behaviour()
        self._rng = np.random.default_rng(seed)
        rng = self._rng
        # Idle sway: a few slow sinusoids per axis with random phases, plus faster tremor.
        self._sway = {
            axis: [
                (amp * b.sway * rng.uniform(0.5, 1.0), rng.uniform(0.05, 0.45), rng.uniform(0, 2 * math.pi))
                for _ in range(3)
            ]
            for axis, amp in (
                ("yaw", 1.2),
                ("pitch", 0.8),
                ("roll", 0.8),
                ("dx", 0.25),
                ("dy", 0.2),
                ("dz", 0.4),
            )
        }
        self._tremor = [(rng.uniform(2.0, 6.0), rng.uniform(0, 2 * math.pi)) for _ in range(3)]
        self._motions: list[_Motion] = []
        self._busy_until = 0.0
        self._first_prompt: set[Action] = set()
        t = float(rng.exponential(1.0 / b.blink_rate))
        while t < 600.0:
            self._motions.append(
                _Motion(
                    Action.BLINK,
                    t,
                    rng.uniform(0.06, 0.09),
                    rng.uniform(0.02, 0.08),
                    rng.uniform(0.1, 0.15),
                    rng.uniform(0.85, 1.0),
                )
            )
            t += max(1.0, float(rng.exponential(1.0 / b.blink_rate)))
        self._noise = NoiseBank(rng, (rig.size[1], rig.size[0]), b.noise_sigma)

    # --- scheduling ---------------------------------------------------------------------------------------

    def prompt(self, action: Action, at: float) -> float:
        """The server asked for ``action`` at ``at``; returns when the movement will start."""
        b = self.behaviour
        rng = self._rng
        seen = at + rng.uniform(*b.display_delay)
        if rng.random() < b.slow_share:
            reaction = rng.uniform(1.5, 3.5)
        else:
            reaction = max(b.reaction_min, b.reaction_median * math.exp(rng.normal(0.0, b.reaction_sigma)))
        performed = action
        turn = action in (Action.TURN_LEFT, Action.TURN_RIGHT)
        if turn and action not in self._first_prompt and rng.random() < b.confusion_share:
            performed = Action.TURN_RIGHT if action is Action.TURN_LEFT else Action.TURN_LEFT
        self._first_prompt.add(action)
        start = max(seen + reaction, self._busy_until + 0.15)
        self.perform(performed, start)
        return start

    def perform(self, action: Action, start: float) -> _Motion:
        """Schedule ``action`` to start at ``start`` regardless of prompts."""
        b = self.behaviour
        rng = self._rng
        k = b.motion_time_scale
        if action is Action.TURN_LEFT or action is Action.TURN_RIGHT:
            sign = 1.0 if action is Action.TURN_LEFT else -1.0
            motion = _Motion(
                action,
                start,
                k * rng.uniform(0.35, 0.6),
                k * rng.uniform(0.3, 0.7),
                k * rng.uniform(0.4, 0.6),
                sign * rng.uniform(*b.turn_degrees),
            )
        elif action is Action.NOD:
            motion = _Motion(
                action,
                start,
                k * rng.uniform(0.25, 0.4),
                k * rng.uniform(0.05, 0.15),
                k * rng.uniform(0.3, 0.45),
                rng.uniform(*b.nod_degrees),
            )
        elif action is Action.OPEN_MOUTH:
            motion = _Motion(
                action,
                start,
                k * rng.uniform(0.2, 0.35),
                k * rng.uniform(0.4, 0.9),
                k * rng.uniform(0.25, 0.4),
                rng.uniform(*b.mouth_open),
            )
        else:
            rise, hold = rng.uniform(0.08, 0.12), rng.uniform(*b.blink_hold)
            motion = _Motion(action, start, rise, hold, rng.uniform(0.12, 0.18), 1.0)
        self._motions.append(motion)
        self._busy_until = max(self._busy_until, motion.end)
        return motion

    # --- rendering -----------------------------------------------------------------------------------------

    def pose(self, t: float) -> tuple[Pose, Expression]:
        """Head pose and expression at ``t``."""
        idle = {
            axis: sum(a * math.sin(2 * math.pi * f * t + ph) for a, f, ph in waves)
            for axis, waves in self._sway.items()
        }
        tremor = sum(0.12 * math.sin(2 * math.pi * f * t + ph) for f, ph in self._tremor)
        yaw, pitch, roll = idle["yaw"] + tremor, idle["pitch"] + 0.5 * tremor, idle["roll"]
        eyes = 0.0
        mouth = 0.0
        for m in self._motions:
            if m.start > t or m.end < t:
                continue
            level = m.level(t)
            if m.kind is Action.BLINK:
                eyes = max(eyes, level)
            elif m.kind is Action.OPEN_MOUTH:
                mouth = max(mouth, level)
            elif m.kind is Action.NOD:
                pitch += level
            else:
                yaw += level
                pitch += 0.08 * abs(level)
        pose = Pose(yaw=yaw, pitch=pitch, roll=roll, dx=idle["dx"], dy=idle["dy"], dz=idle["dz"])
        return pose, Expression(eyes_closed=eyes, mouth_open=mouth)

    def clean_frame(self, t: float) -> Image:
        """The frame at ``t`` without sensor noise."""
        pose, expression = self.pose(t)
        return self.rig.render(pose, expression).image

    def frame(self, t: float) -> Image:
        """The camera frame at ``t`` (BGR, with sensor noise)."""
        return self._noise.apply(self.clean_frame(t))
