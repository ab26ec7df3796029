"""Active challenges: the random action sequence and detectors that see each action being performed.

The server draws ``count`` actions from :class:`Action` with no action twice in a row. Each detector
watches :class:`Signals` — the frame's measures relative to the customer's own baseline — and reports
an :class:`ActionEvent` when an action is *completed*, together with its *onset*: the moment the
movement passed ``onset_fraction`` of its threshold (interpolated between frames) and then kept going
to completion. Signals other than the eyes are smoothed by :class:`Smoother`. The attempt
(:mod:`verification.attempt`) compares onsets and completions with its prompts.

What counts as each action (thresholds in :class:`~verification.policy.ChallengePolicy`):

* ``turn_left`` / ``turn_right``: the nose moves across the eye line by ``turn_parallax`` eye
  distances in the asked direction *and* solvePnP agrees on the direction. A flat picture turned in
  front of the camera foreshortens but shows no such parallax.
* ``nod``: the nose moves down along the eyes-to-mouth axis by ``nod_parallax`` (chin down, with
  solvePnP agreeing) and comes back up, while the head is not turned.
* ``open_mouth``: the inner-lip gap grows by ``mouth`` face heights (eyes to nose base, a yardstick
  that a tilted or turned picture shrinks as much as the gap).
* ``blink``: the eye aspect ratio, corrected for foreshortening of the whole face, drops to
  ``blink_closed`` of the open-eye baseline and recovers to ``blink_open`` within
  ``blink_max_closed`` seconds. Frames where the whole face is flattened by more than
  ``blink_max_foreshortening`` never count as closed: a photo flicked forwards flattens the eyes
  (and dlib's eye landmarks more than in proportion), a real blink leaves the face's shape alone.
  Nor do frames of a turned or lowered head (looking down narrows the eyes).

Left and right are the customer's own: frames are not mirrored, so turning to one's left moves the
nose to the image's right.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from verification.baseline import Baseline
from verification.measures import FaceMeasures
from verification.policy import ChallengePolicy


class Action(StrEnum):
    """Something the customer is asked to do."""

    BLINK = "blink"
    OPEN_MOUTH = "open_mouth"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    NOD = "nod"


PROMPTS: dict[Action, str] = {
    Action.BLINK: "Please blink your eyes.",
    Action.OPEN_MOUTH: "Please open your mouth.",
    Action.TURN_LEFT: "Please turn your head slowly to your left.",
    Action.TURN_RIGHT: "Please turn your head slowly to your right.",
    Action.NOD: "Please nod your head.",
}
"""What the customer's page shows and speaks for each action (the page may translate by action)."""

MIRRORED: dict[Action, Action] = {Action.TURN_LEFT: Action.TURN_RIGHT, Action.TURN_RIGHT: Action.TURN_LEFT}
"""The one confusion honest customers make: the preview is mirrored, so some turn the other way."""

DELIBERATE: frozenset[Action] = frozenset(
    {Action.OPEN_MOUTH, Action.TURN_LEFT, Action.TURN_RIGHT, Action.NOD}
)
"""Actions nobody performs by accident; doing one of them when not asked counts against the customer.
Blinks are not in it: people blink on their own every few seconds."""


class Randomness(Protocol):
    """What an attempt draws at random: ``random.Random`` (``SystemRandom`` in production), or the
    recorded draws when a decision is re-derived."""

    def uniform(self, a: float, b: float) -> float:
        """A number within ``a``-``b``."""
        ...

    def randrange(self, n: int) -> int:
        """An integer within 0-``n``-1."""
        ...


def draw_sequence(
    rng: Randomness | random.Random, count: int = 3, actions: Sequence[Action] = tuple(Action)
) -> tuple[Action, ...]:
    """``count`` actions drawn at random from ``actions``, never the same twice in a row, and never a
    blink last.

    The last action decides the attempt. Anyone blinks within a few seconds, so a recording of the
    customer that happened to match the first actions would pass a final blink by chance; a final
    deliberate action it must perform at the right moment. Of the 80 sequences without immediate
    repeats, the 64 that end with a deliberate action remain, each equally likely.
    """
    if count < 1 or len([a for a in actions if a in DELIBERATE]) < 2:
        raise ValueError("need at least one action and two deliberate kinds to choose from")
    while True:
        sequence: list[Action] = []
        for _ in range(count):
            choices = [a for a in actions if not sequence or a != sequence[-1]]
            sequence.append(choices[rng.randrange(len(choices))])
        if sequence[-1] in DELIBERATE:
            return tuple(sequence)


@dataclass(frozen=True, slots=True)
class Signals:
    """One frame's measures relative to the baseline."""

    t: float
    """Server time of the frame, seconds."""
    eye: float
    """Eye ratio over the open-eye baseline, corrected for foreshortening (1 = as open as usual)."""
    mouth: float
    """Inner-lip gap minus the baseline gap, face heights."""
    du: float
    """Nose shift across the eye line since the baseline (positive: towards the image's right)."""
    dv: float
    """Nose shift along the eyes-to-mouth axis since the baseline (positive: chin down)."""
    dyaw: float
    """solvePnP yaw minus the baseline yaw, degrees."""
    dpitch: float
    """solvePnP pitch minus the baseline pitch, degrees."""
    foreshortening: float
    """Relative change of the face's aspect since the baseline (turning or tilting flattens it)."""


def signals(t: float, measures: FaceMeasures, baseline: Baseline) -> Signals:
    """Signals of one frame."""
    aspect_ratio = measures.aspect / baseline.aspect if baseline.aspect > 0 else 1.0
    eye = measures.eye_ratio / baseline.eye_ratio if baseline.eye_ratio > 0 else 1.0
    if aspect_ratio > 0:
        eye /= aspect_ratio
    return Signals(
        t=t,
        eye=eye,
        mouth=measures.mouth_opening - baseline.mouth_opening,
        du=measures.parallax_u - baseline.parallax_u,
        dv=measures.parallax_v - baseline.parallax_v,
        dyaw=measures.pose.yaw - baseline.yaw,
        dpitch=measures.pose.pitch - baseline.pitch,
        foreshortening=abs(aspect_ratio - 1.0),
    )


class Smoother:
    """Median of the last three frames for every signal but the eyes (a blink may last two frames).

    Only while the three frames span at most ``span`` seconds: at a low analysis rate three frames
    cover a whole nod, and the median would erase it.

    Landmark jitter moves the nose by about 1-2 % of the eye distance from frame to frame; a median of
    three removes single-frame spikes. The median of a steady movement is its middle frame, so the
    smoothed signals carry the middle frame's time (and the eyes are the middle frame's too).
    """

    def __init__(self, span: float = 0.3) -> None:
        self._span = span
        self._recent: deque[Signals] = deque(maxlen=3)

    def push(self, s: Signals) -> Signals:
        """Add a frame; the smoothed signals at its time (the raw frame when frames are sparse)."""
        self._recent.append(s)
        if len(self._recent) < 3 or self._recent[2].t - self._recent[0].t > self._span:
            return s

        def median(name: str) -> float:
            return float(sorted(getattr(r, name) for r in self._recent)[1])

        middle = self._recent[1]
        return Signals(
            t=middle.t,
            eye=middle.eye,
            mouth=median("mouth"),
            du=median("du"),
            dv=median("dv"),
            dyaw=median("dyaw"),
            dpitch=median("dpitch"),
            foreshortening=median("foreshortening"),
        )

    def reset(self) -> None:
        """Forget the recent frames (after the face was lost)."""
        self._recent.clear()


def _crossing(previous: tuple[float, float] | None, t: float, value: float, level: float) -> float:
    """When a signal rising to ``value`` at ``t`` passed ``level`` (linear between frames)."""
    if previous is None:
        return t
    t0, v0 = previous
    if v0 >= level or value <= v0:
        return t
    return t0 + (level - v0) / (value - v0) * (t - t0)


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """An action seen completed."""

    action: Action
    """Which action."""
    onset: float
    """When the movement started (server seconds)."""
    completed_at: float
    """When it met its threshold (server seconds)."""
    peak: float
    """Largest level reached, in the action's own unit (see :class:`Signals`)."""
    held: float = 0.0
    """For a blink: how long the eyes stayed closed, seconds."""


class _Detector:
    """Completion at a threshold, with onset tracking and re-arming (turns and the mouth)."""

    def __init__(
        self,
        action: Action,
        level: Callable[[Signals], float],
        threshold: float,
        onset_fraction: float,
        confirm: Callable[[Signals], bool] = lambda s: True,
    ) -> None:
        self.action = action
        self._level = level
        self._threshold = threshold
        self._onset_level = threshold * onset_fraction
        self._confirm = confirm
        self._onset: float | None = None
        self._peak = 0.0
        self._done = False
        self._previous: tuple[float, float] | None = None

    def update(self, s: Signals) -> ActionEvent | None:
        value = self._level(s)
        previous, self._previous = self._previous, (s.t, value)
        if self._done:
            if value < self._onset_level * 0.5:
                self._done = False
            return None
        if value < self._onset_level:
            self._onset = None
            self._peak = 0.0
            return None
        if self._onset is None:
            self._onset = _crossing(previous, s.t, value, self._onset_level)
        self._peak = max(self._peak, value)
        if value >= self._threshold and self._confirm(s):
            self._done = True
            return ActionEvent(self.action, self._onset, s.t, self._peak)
        return None

    def started(self, t: float) -> float | None:
        """Onset of a movement in progress, if any."""
        return self._onset


class _NodDetector:
    """Chin down past the threshold, then back up."""

    def __init__(self, policy: ChallengePolicy) -> None:
        self._policy = policy
        self._onset_level = policy.nod_parallax * policy.onset_fraction
        self._onset: float | None = None
        self._peak = 0.0
        self._peaked_at: float | None = None
        self._done = False
        self._previous: tuple[float, float] | None = None

    def update(self, s: Signals) -> ActionEvent | None:
        p = self._policy
        value = s.dv
        previous, self._previous = self._previous, (s.t, value)
        if abs(s.du) >= p.turn_parallax * p.onset_fraction:
            # The head is turned: the nose's vertical shift belongs to the turn, not to a nod.
            self._reset()
            self._done = value >= self._onset_level * 0.5
            return None
        if self._done:
            if value < self._onset_level * 0.5:
                self._done = False
            return None
        if self._peaked_at is not None:
            self._peak = max(self._peak, value)
            if value <= self._peak * p.nod_return:
                assert self._onset is not None
                event = ActionEvent(Action.NOD, self._onset, s.t, self._peak)
                self._reset()
                self._done = value >= self._onset_level * 0.5
                return event
            if s.t - self._peaked_at > 2.5:  # looking down, not nodding
                self._reset()
                self._done = True
            return None
        if value < self._onset_level:
            self._reset()
            return None
        if self._onset is None:
            self._onset = _crossing(previous, s.t, value, self._onset_level)
        self._peak = max(self._peak, value)
        if value >= p.nod_parallax and s.dpitch >= p.nod_pitch:
            self._peaked_at = s.t
        return None

    def _reset(self) -> None:
        self._onset = None
        self._peak = 0.0
        self._peaked_at = None

    def started(self, t: float) -> float | None:
        return self._onset


class _BlinkDetector:
    """Eyes closing past ``blink_closed`` and opening past ``blink_open`` soon after."""

    def __init__(self, policy: ChallengePolicy) -> None:
        self._policy = policy
        self._onset_level = 1.0 - policy.onset_fraction * (1.0 - policy.blink_closed)
        self._onset: float | None = None
        self._closed_at: float | None = None
        self._deepest = 1.0
        self._previous: tuple[float, float] | None = None

    def update(self, s: Signals) -> ActionEvent | None:
        p = self._policy
        previous, self._previous = self._previous, (s.t, 1.0 - s.eye)
        if self._closed_at is not None:
            self._deepest = min(self._deepest, s.eye)
            if s.eye >= p.blink_open:
                assert self._onset is not None
                event = None
                held = s.t - self._closed_at
                if held <= p.blink_max_closed:
                    event = ActionEvent(Action.BLINK, self._onset, s.t, 1.0 - self._deepest, held)
                self._reset()
                return event
            return None
        if s.eye > self._onset_level:
            self._reset()
            return None
        if self._onset is None:
            self._onset = _crossing(previous, s.t, 1.0 - s.eye, 1.0 - self._onset_level)
        self._deepest = min(self._deepest, s.eye)
        still = abs(s.du) < p.turn_parallax and abs(s.dv) < p.nod_parallax
        if s.eye <= p.blink_closed and s.foreshortening <= p.blink_max_foreshortening and still:
            self._closed_at = s.t
        return None

    def _reset(self) -> None:
        self._onset = None
        self._closed_at = None
        self._deepest = 1.0

    def started(self, t: float) -> float | None:
        return self._onset


class ActionDetectors:
    """All five detectors, fed the same signals."""

    def __init__(self, policy: ChallengePolicy) -> None:
        p = policy
        self._detectors: dict[Action, _Detector | _NodDetector | _BlinkDetector] = {
            Action.TURN_LEFT: _Detector(
                Action.TURN_LEFT,
                lambda s: s.du,
                p.turn_parallax,
                p.onset_fraction,
                lambda s: s.dyaw >= p.turn_yaw,
            ),
            Action.TURN_RIGHT: _Detector(
                Action.TURN_RIGHT,
                lambda s: -s.du,
                p.turn_parallax,
                p.onset_fraction,
                lambda s: -s.dyaw >= p.turn_yaw,
            ),
            Action.OPEN_MOUTH: _Detector(Action.OPEN_MOUTH, lambda s: s.mouth, p.mouth, p.onset_fraction),
            Action.NOD: _NodDetector(p),
            Action.BLINK: _BlinkDetector(p),
        }

    def update(self, s: Signals) -> list[ActionEvent]:
        """Feed one frame; the actions completed on it."""
        events = []
        for detector in self._detectors.values():
            event = detector.update(s)
            if event is not None:
                events.append(event)
        return events

    def started(self, action: Action, t: float) -> float | None:
        """Onset of a movement of ``action`` still in progress at ``t``, if any."""
        return self._detectors[action].started(t)


def at_rest(s: Signals, p: ChallengePolicy) -> bool:
    """Whether every movement is below its onset level (so the next response starts from rest)."""
    f = p.onset_fraction
    return (
        abs(s.du) < p.turn_parallax * f
        and abs(s.dv) < p.nod_parallax * f
        and s.mouth < p.mouth * f
        and s.eye > 1.0 - 2 * f * (1.0 - p.blink_closed)
    )
