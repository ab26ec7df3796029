"""What stands in front of a test's camera, and how it answers the liveness prompts it is shown.

A :class:`ReactingFace` holds one scene at a time and turns each *new* prompt it sees into that
scene's reaction, on the camera's own clock (seconds, whatever the camera counts in). It is shared by
the camera of the browser tests (``tests/browser/camera.py``, which reads prompts from the customer
page) and the aiortc camera of ``tests/integration/test_verification_desk.py`` (which reads them from
the customer's socket): both see the same :class:`Prompt` and get the same behaviour.

Scenes are described by small picklable values and built from the fixture photos with
:meth:`Scene.build`:

* :class:`LiveFace` — a live person (:class:`~verification.synth.performer.Performer`) who performs
  each asked action after a human reaction time (:data:`FOLLOWS_PROMPTS`: 0.4-1.5 s after the prompt
  appears), and otherwise only sways, trembles and blinks on their own;
* :class:`HeldPhoto` — a printed photo held in front of the camera
  (:class:`~verification.synth.attacks.PhotoAttack`), turned and tilted to mimic each prompt, or held
  still (``mimics_prompts=False``);
* :class:`EmptyRoom` — nobody in front of the camera: a room with sensor noise.

Everything rendered here is synthetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from verification.challenges import Action
from verification.synth.attacks import PhotoAttack, room
from verification.synth.catalog import Cast
from verification.synth.performer import Behaviour, NoiseBank, Performer
from verification.synth.rig import FRAME_HEIGHT, FRAME_WIDTH, Image

PHONE_EYE_DISTANCE = 110.0
"""Pixels between the eye centres of a face in a phone's 640×480 selfie at arm's length. Larger than
the evaluation's 80 px: when the machine is busy, Chromium's encoder scales the video down (to 480×360
when the bandwidth estimate drops), and the face must still pass the server's 60 px quality gate."""

FOLLOWS_PROMPTS = Behaviour(
    display_delay=(0.05, 0.15),
    reaction_median=0.6,
    reaction_sigma=0.2,
    reaction_min=0.35,
    slow_share=0.0,
    confusion_share=0.0,
    motion_time_scale=2.0,
    blink_hold=(0.25, 0.35),
)
"""A customer who reads each prompt and does what it asks, once, 0.4-1.5 s after it appears (display
delay plus a log-normal reaction, median 0.6 s): never too fast for a human, never the wrong way, no
slow answers (the suite must pass every time; the evaluation models those). Turns, nods and open
mouths take twice the evaluation's time and blinks stay closed 0.25-0.35 s, so that each shows in
enough analysed frames when a busy server analyses only 2-3 frames a second (simulated with the real
analyser at 2 frames/s and 1.5 s of prompt delay: 19 of 20 attempts pass, against 7 of 20 at the
evaluation's speed — nods are the ones missed); a blink must still reopen within 1 s."""


class Reacting(Protocol):
    """Anything a camera can film: a frame at any time, and a reaction to a prompt."""

    def frame(self, t: float) -> Image:
        """The BGR 640×480 frame captured at ``t`` (seconds of the camera's clock)."""
        ...

    def prompt(self, action: Action, at: float) -> object:
        """``action`` was asked at ``at``; a performer returns when its movement starts."""
        ...


@dataclass(frozen=True, slots=True)
class Prompt:
    """One liveness prompt as the customer sees it."""

    action: Action
    """What is asked."""
    index: int
    """Which challenge of the attempt (0-based)."""
    attempt_try: int = 1
    """1 for the first time the challenge is asked, 2 for the retry."""
    attempt: str = ""
    """The attempt it belongs to, where the client knows it (the page does not show it)."""

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> Prompt:
        """A ``verification_prompt`` message as the customer's socket receives it."""
        return cls(
            Action(message["action"]),
            int(message["index"]),
            int(message.get("attempt_try", 1)),
            str(message.get("attempt", "")),
        )


class _Unmoved:
    """A scene that ignores every prompt (a photo held still)."""

    def __init__(self, scene: Reacting) -> None:
        self._scene = scene

    def frame(self, t: float) -> Image:
        return self._scene.frame(t)

    def prompt(self, action: Action, at: float) -> None:
        return None


class _Room:
    """An empty room with sensor noise (every frame differs, as a camera's do)."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self._room = room(rng)
        self._noise = NoiseBank(rng, (FRAME_HEIGHT, FRAME_WIDTH), 2.5)

    def frame(self, t: float) -> Image:
        return self._noise.apply(self._room)

    def prompt(self, action: Action, at: float) -> None:
        return None


class Scene(Protocol):
    """A description of what is in front of the camera (picklable: it crosses to a renderer process)."""

    @property
    def eye_distance(self) -> float:
        """How large faces appear (pixels between the eye centres); the cast is built for it."""
        ...

    def build(self, cast: Cast) -> Reacting:
        """The scene, rendered from the cast's fixture photos (a cast of :attr:`eye_distance`)."""
        ...


@dataclass(frozen=True, slots=True)
class LiveFace:
    """A live person who follows the prompts."""

    identity: str = "obama"
    """One of :data:`verification.synth.catalog.IDENTITIES` (obama, biden, collins, t1-a, t1-b)."""
    seed: int = 7
    """Seed of their sway, blinks, reaction times and movements."""
    behaviour: Behaviour = FOLLOWS_PROMPTS
    """How they react (see :class:`~verification.synth.performer.Behaviour`)."""
    eye_distance: float = PHONE_EYE_DISTANCE
    """How close to the camera (pixels between the eye centres)."""

    def build(self, cast: Cast) -> Reacting:
        return Performer(cast.rig(self.identity), self.seed, self.behaviour)


@dataclass(frozen=True, slots=True)
class HeldPhoto:
    """A printed photo of ``identity`` held up to the camera (a presentation attack)."""

    identity: str = "obama"
    """Whose photo."""
    seed: int = 3
    """Seed of the print, the hand's tremor and the gestures."""
    mimics_prompts: bool = True
    """Turn, tilt or flex the photo as each prompt asks; ``False``: hold it still."""
    eye_distance: float = PHONE_EYE_DISTANCE
    """The face on the photo appears as large as a live one would at this eye distance."""

    def build(self, cast: Cast) -> Reacting:
        attack = PhotoAttack(cast.rig(self.identity), self.seed)
        return attack if self.mimics_prompts else _Unmoved(attack)


@dataclass(frozen=True, slots=True)
class EmptyRoom:
    """Nobody in front of the camera."""

    seed: int = 1
    """Seed of the room."""
    eye_distance: float = PHONE_EYE_DISTANCE
    """Unused (nobody is there)."""

    def build(self, cast: Cast) -> Reacting:
        return _Room(self.seed)


@dataclass(frozen=True, slots=True)
class Reaction:
    """How one prompt was answered."""

    prompt: Prompt
    """The prompt."""
    seen_at: float
    """When the face saw it (camera clock)."""
    starts_at: float | None
    """When the face starts its movement (camera clock); ``None`` for scenes that do not say."""


@dataclass(slots=True)
class ReactingFace:
    """The scene in front of a camera, and every prompt it has answered (see the module docstring)."""

    scene: Reacting
    """What the camera films now."""
    reactions: list[Reaction] = field(default_factory=list)
    """Every new prompt seen, in order, with the reaction it caused."""

    @property
    def prompts(self) -> list[Prompt]:
        """Every distinct prompt seen, in order."""
        return [r.prompt for r in self.reactions]

    def show(self, scene: Reacting) -> None:
        """Put ``scene`` in front of the camera (prompts seen so far stay answered)."""
        self.scene = scene

    def see(self, prompt: Prompt, at: float) -> Reaction | None:
        """``prompt`` is shown at ``at``; the first sighting of each prompt is answered, once."""
        if any(r.prompt == prompt for r in self.reactions):
            return None
        starts = self.scene.prompt(prompt.action, at)
        reaction = Reaction(prompt, at, starts if isinstance(starts, float) else None)
        self.reactions.append(reaction)
        return reaction

    def frame(self, t: float) -> Image:
        """The frame the camera captures at ``t``."""
        return self.scene.frame(t)
