"""The frame source of a test camera, in a process of its own: ``python -m tests.support.camera_renderer``.

It holds one :class:`~tests.support.reacting_face.ReactingFace` and answers, over its stdin/stdout,
length-prefixed pickles (:func:`pack`) of :class:`Show`, :class:`See`, :class:`NextFrame` and
:class:`Report` (the parent is the test process that started it; nothing else uses these pipes).

Why a process: rendering a face costs ~4 ms of one core, but numpy's OpenBLAS, left to its default of
one thread per core, spins for its threads on a busy machine and the same frame then takes 50-120 ms;
here it runs single-threaded (:data:`CHILD_ENV`), scheduled by the OS apart from the test's event loop.

The camera's clock: each frame advances it by the wall time since the previous frame, but at most
:data:`MAX_STEP` seconds. While frames come at least that often the face lives in real time; when the
machine stalls the face slows down with it instead of skipping the movement it was making, so every
asked action still shows in several frames.
"""

from __future__ import annotations

import base64
import functools
import pickle
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import cv2

from tests.support.faces import face_path
from tests.support.reacting_face import Prompt, ReactingFace, Scene
from verification.synth.catalog import Cast
from verification.testing import shared_analyzer

MAX_STEP = 0.15
"""Largest advance of the camera's clock between two frames, seconds (a 6.7 frames/s floor)."""
JPEG_QUALITY = 85
CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Environment the parent adds when it starts this process."""
LENGTH = struct.Struct("!I")
"""The length prefix of each message."""


@dataclass(frozen=True, slots=True)
class Show:
    """Put a scene in front of the camera (answer: ``None``)."""

    scene: Scene
    """What to show."""


@dataclass(frozen=True, slots=True)
class See:
    """The customer sees a prompt (answer: ``None``)."""

    prompt: Prompt
    """The prompt."""
    seen_wall: float
    """When it appeared (``time.time()`` seconds, as the page measured it)."""


@dataclass(frozen=True, slots=True)
class NextFrame:
    """Capture the next frame (answer: the JPEG, base64 ``str``)."""


@dataclass(frozen=True, slots=True)
class Report:
    """What the camera did so far (answer: a :class:`RendererReport`)."""


@dataclass(frozen=True, slots=True)
class ReactionTime:
    """How long the face took to start moving after a prompt appeared."""

    action: str
    """The asked action."""
    index: int
    """The challenge's index."""
    attempt_try: int
    """1 or 2 (retry)."""
    seen_at: float
    """When the prompt appeared on the page (``time.time()``; compare with the server's event log)."""
    seconds: float
    """From the prompt appearing on the page to the first frame showing the movement (wall clock)."""


@dataclass(frozen=True, slots=True)
class RendererReport:
    """The renderer's own account."""

    frames: int
    """Frames rendered."""
    render_ms_p50: float
    """Median time to render and encode one frame."""
    render_ms_p95: float
    """95th percentile of the same."""
    stretched: int
    """Frames for which the camera's clock advanced less than the wall clock (the machine stalled)."""
    reactions: tuple[ReactionTime, ...]
    """Every prompt answered with a movement, in order."""


@dataclass(slots=True)
class _Pending:
    prompt: Prompt
    seen_wall: float
    starts_at: float


@dataclass(slots=True)
class Renderer:
    """The state of the renderer process (see the module docstring)."""

    faces: Callable[[float], Cast]
    """The cast of faces at an eye distance."""
    wall: Callable[[], float] = time.time
    """The wall clock (``time.time``)."""
    face: ReactingFace | None = None
    clock: float = 0.0
    last_wall: float | None = None
    stretched: int = 0
    render_ms: list[float] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    reactions: list[ReactionTime] = field(default_factory=list)

    def now(self, wall: float) -> float:
        """The camera's clock at ``wall`` (not advancing it)."""
        if self.last_wall is None:
            return self.clock
        return self.clock + min(max(0.0, wall - self.last_wall), MAX_STEP)

    def handle(self, command: object) -> object:
        """Carry out one command; the answer goes back to the parent."""
        if isinstance(command, NextFrame):
            return self.next_frame()
        if isinstance(command, Show):
            built = command.scene.build(self.faces(command.scene.eye_distance))
            if self.face is None:
                self.face = ReactingFace(built)
            else:
                self.face.show(built)
            return None
        if isinstance(command, See):
            reaction = self._face().see(command.prompt, self.now(self.wall()))
            if reaction is not None and reaction.starts_at is not None:
                self.pending.append(_Pending(command.prompt, command.seen_wall, reaction.starts_at))
            return None
        if isinstance(command, Report):
            ordered = sorted(self.render_ms) or [0.0]
            return RendererReport(
                frames=len(self.render_ms),
                render_ms_p50=ordered[len(ordered) // 2],
                render_ms_p95=ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
                stretched=self.stretched,
                reactions=tuple(self.reactions),
            )
        raise TypeError(f"unknown command {type(command).__name__}")

    def _face(self) -> ReactingFace:
        if self.face is None:
            raise RuntimeError("nothing shown yet: send Show first")
        return self.face

    def next_frame(self) -> str:
        started = time.perf_counter()
        wall = self.wall()
        if self.last_wall is not None:
            step = wall - self.last_wall
            if step > MAX_STEP:
                self.stretched += 1
            self.clock = self.now(wall)
        self.last_wall = wall
        image = self._face().frame(self.clock)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        for pending in [p for p in self.pending if p.starts_at <= self.clock]:
            self.pending.remove(pending)
            prompt = pending.prompt
            self.reactions.append(
                ReactionTime(
                    prompt.action.value,
                    prompt.index,
                    prompt.attempt_try,
                    pending.seen_wall,
                    wall - pending.seen_wall,
                )
            )
        self.render_ms.append((time.perf_counter() - started) * 1000)
        return base64.b64encode(jpeg.tobytes()).decode("ascii")


def pack(value: object) -> bytes:
    """One message on the pipes: a 4-byte big-endian length, then the pickle."""
    data = pickle.dumps(value)
    return LENGTH.pack(len(data)) + data


def unpack(body: bytes) -> object:
    """The value of a message's body (after its length)."""
    return pickle.loads(body)  # between a test process and the renderer it started


def _read(stream: BinaryIO) -> object | None:
    head = stream.read(LENGTH.size)
    if len(head) < LENGTH.size:
        return None
    (size,) = LENGTH.unpack(head)
    return unpack(stream.read(size))


def _write(stream: BinaryIO, value: object) -> None:
    stream.write(pack(value))
    stream.flush()


def main() -> None:
    faces_dir, analyzer = face_path("obama.jpg").parent, shared_analyzer()
    renderer = Renderer(functools.cache(lambda eye_distance: Cast(faces_dir, analyzer, eye_distance)))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _write(stdout, "ready")
    while (command := _read(stdin)) is not None:
        try:
            _write(stdout, ("ok", renderer.handle(command)))
        except Exception as exc:  # the parent raises it in the test
            _write(stdout, ("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    # Run the imported module's main, so that the commands unpickle as its classes (not __main__'s).
    from tests.support import camera_renderer

    camera_renderer.main()
