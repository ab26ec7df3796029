"""A camera for the browser tests that reacts to what the page asks, as a person in front of a phone.

Chromium's fake camera plays a fixed clip, which cannot answer a random liveness prompt at the moment
it comes. This camera replaces ``navigator.mediaDevices.getUserMedia`` in one party's browser (an init
script, ``tests/browser/js/reacting_camera.js``) with the stream of a ``<canvas>`` on which frames
rendered by the test are drawn; the microphone stays Chromium's fake one. The page's own code runs
unchanged: it gets a 640×480 video track and sends it to the server like any camera's.

How the frames get there: the page asks the test for each frame through a Playwright binding (at
``fps``, up to 4 requests on their way so that the relay's latency does not cap the rate; a tick
whose request cannot start is a dropped frame); the test asks a renderer process
(``tests/support/camera_renderer.py``), which renders the current scene of a
:class:`~tests.support.reacting_face.ReactingFace` from the fixture photos and answers with a JPEG.
The page watches ``challenge-prompt`` (``data-action``, ``data-index``, ``data-try``) and reports each
new prompt with the time it appeared; the face answers it 0.4-1.5 s later. When the machine is slow,
frames come late rather than queue up, and the face slows down with them rather than skip a movement
(see the renderer's docstring).

Use::

    from tests.support.reacting_face import EmptyRoom, HeldPhoto, LiveFace

    async def test_x(launch_party, reacting_camera, ...):
        camera = await reacting_camera(LiveFace("obama"))   # or HeldPhoto(...), EmptyRoom()
        customer = await launch_party("customer", camera)   # instead of a y4m clip
        ...                                                 # the face follows every prompt shown
        await camera.show(EmptyRoom())                      # they walk away
        [p.action for p in camera.prompts]                  # what the page asked, in order
        report = await camera.report(customer.page)         # frames/s delivered, reaction times

Scenes (``tests/support/reacting_face.py``): :class:`~tests.support.reacting_face.LiveFace`
(identity = one of the synthetic cast: obama, biden, collins, t1-a, t1-b; ``behaviour`` changes
reaction times and movements, ``eye_distance`` the framing), :class:`~tests.support.reacting_face.HeldPhoto`
(a printed photo mimicking the prompts, or held still with ``mimics_prompts=False``) and
:class:`~tests.support.reacting_face.EmptyRoom`. A face that is never prompted just sits there
(sway, blinks): a camera for any page that only needs a live picture. Any party can have one (a
field officer's tablet: ``launch_party("officer", camera)`` gets a desktop viewport); each camera
serves one party, ask the fixture again for another. ``reacting_camera(scene, fps=...)`` changes the
rate; ``hold_resolution=False`` lets Chromium scale the video down under load (see :meth:`start`).

The fixtures save each camera's :class:`CameraReport` to ``tests/artifacts/<test>-<party>-camera.json``
and the renderer's log to ``tests/artifacts/<test>-camera-<n>.log``. Figures measured on this 2-core
machine with the server verifying: ``docs/verification.md`` ("Browser tests").
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tests.support.camera_renderer import (
    CHILD_ENV,
    LENGTH,
    NextFrame,
    RendererReport,
    Report,
    See,
    Show,
    pack,
    unpack,
)
from tests.support.faces import REPO_ROOT
from tests.support.reacting_face import Prompt, Scene
from verification.challenges import Action

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

SCRIPT = Path(__file__).resolve().parent / "js" / "reacting_camera.js"
DEFAULT_FPS = 15
RENDERER_START_SECONDS = 60.0
"""Starting the renderer loads dlib's models to find the landmarks of the fixture photos."""


class CameraError(RuntimeError):
    """The renderer failed or went away."""


@dataclass(frozen=True, slots=True)
class CameraReport:
    """What one camera delivered to its page."""

    frames_drawn: int
    """Frames drawn on the page's canvas (each one is a camera frame the page can send)."""
    fps: float
    """Frames drawn per second between the first and the last."""
    longest_gap_ms: float
    """Longest time between two frames drawn."""
    failures: int
    """Frame requests that failed (the page retries)."""
    latency_ms_p50: float
    """Median time from the page asking for a frame to the frame decoded (the whole relay)."""
    latency_ms_p95: float
    """95th percentile of the same."""
    renderer: RendererReport
    """The renderer's account: render time, stalls, reaction times."""


class ReactingCamera:
    """One party's reacting camera (see the module docstring); made by the ``reacting_camera`` fixture."""

    def __init__(self, process: asyncio.subprocess.Process, fps: int, hold_resolution: bool) -> None:
        self._process = process
        self._waiting: deque[asyncio.Future[tuple[str, object]]] = deque()
        self._reader: asyncio.Task[None] | None = None
        self._broken: CameraError | None = None
        self.fps = fps
        """The rate the page asks frames at."""
        self.hold_resolution = hold_resolution
        """Whether the track asks Chromium's encoder to keep 640×480 (see :meth:`start`)."""
        self.prompts: list[Prompt] = []
        """Every prompt the page showed, in order (a prompt shown again after it went away counts again)."""

    @classmethod
    async def start(
        cls, scene: Scene, fps: int = DEFAULT_FPS, *, hold_resolution: bool = True, log: Path | None = None
    ) -> ReactingCamera:
        """Start a renderer showing ``scene``; ``log`` receives its stderr.

        With ``hold_resolution`` the track's ``contentHint`` is ``detail``: when the bandwidth estimate
        drops (on a busy machine the hub's estimate does), Chromium's encoder drops frames instead of
        scaling the picture down mid-call. ``False`` keeps a phone browser's default, which scales
        down (640×480 to 480×360) — the server's face tracking currently takes that jump for a cut.
        """
        stderr = log.open("ab") if log is not None else asyncio.subprocess.DEVNULL
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.support.camera_renderer",
                cwd=REPO_ROOT,
                env={**os.environ, **CHILD_ENV},
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        finally:
            if log is not None and not isinstance(stderr, int):
                stderr.close()
        camera = cls(process, fps, hold_resolution)
        try:
            ready = await asyncio.wait_for(camera._read(), RENDERER_START_SECONDS)
            if ready != "ready":
                raise CameraError(f"the renderer did not start: {ready!r}")
            camera._reader = asyncio.create_task(camera._answer())
            await camera.show(scene)
        except BaseException:
            await camera.close()
            raise
        return camera

    async def show(self, scene: Scene) -> None:
        """Put ``scene`` in front of the camera from the next frame on."""
        await self._ask(Show(scene))

    async def attach(self, context: BrowserContext) -> None:
        """Become the camera of every page ``context`` opens from now on."""
        await context.expose_binding("__vbCameraFrame", self._frame)
        await context.expose_binding("__vbCameraPrompt", self._prompted)
        script = SCRIPT.read_text().replace("__FPS__", str(self.fps))
        script = script.replace("__HOLD_RESOLUTION__", "true" if self.hold_resolution else "false")
        await context.add_init_script(script)

    async def report(self, page: Page) -> CameraReport:
        """Frames delivered to ``page`` and the renderer's figures so far."""
        stats: dict[str, Any] = await page.evaluate("({...window.__vbCamera})")
        drawn = int(stats["drawn"])
        span = (float(stats["lastAt"]) - float(stats["firstAt"])) / 1000
        renderer = await self._ask(Report())
        assert isinstance(renderer, RendererReport)
        return CameraReport(
            frames_drawn=drawn,
            fps=(drawn - 1) / span if drawn > 1 and span > 0 else 0.0,
            longest_gap_ms=float(stats["longestGapMs"]),
            failures=int(stats["failures"]),
            latency_ms_p50=_percentile(stats["latencyMs"], 0.5),
            latency_ms_p95=_percentile(stats["latencyMs"], 0.95),
            renderer=renderer,
        )

    async def save_report(self, page: Page, path: Path) -> CameraReport:
        """Write :meth:`report` to ``path`` as JSON (the fixtures do it for every camera at teardown)."""
        report = await self.report(page)
        await asyncio.to_thread(path.write_text, json.dumps(dataclasses.asdict(report), indent=2))
        return report

    async def close(self) -> None:
        """Stop the renderer."""
        self._broken = self._broken or CameraError("the camera is closed")
        if self._process.returncode is None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                await asyncio.wait_for(self._process.wait(), 5)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self._reader is not None:
            await self._reader

    # --- the page's bindings ---------------------------------------------------------------------------

    async def _frame(self, source: object) -> str:
        frame = await self._ask(NextFrame())
        assert isinstance(frame, str)
        return frame

    async def _prompted(self, source: object, seen: dict[str, Any]) -> None:
        prompt = Prompt(
            Action(seen["action"]), int(seen["index"]), int(seen["attempt_try"]), f"seen-{seen['sighting']}"
        )
        self.prompts.append(prompt)
        await self._ask(See(prompt, float(seen["seen_at"])))

    # --- the renderer's pipes ----------------------------------------------------------------------------
    # Commands are written as they come and answered in order, so several frames can be on their way.

    async def _ask(self, command: object) -> object:
        stdin = self._process.stdin
        if self._broken is not None:
            raise self._broken
        if stdin is None or self._process.returncode is not None or self._reader is None:
            raise CameraError("the renderer has stopped")
        answer: asyncio.Future[tuple[str, object]] = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        stdin.write(pack(command))
        await stdin.drain()
        status, value = await answer
        if status != "ok":
            raise CameraError(f"the renderer failed: {value}")
        return value

    async def _read(self) -> object:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            (size,) = LENGTH.unpack(await stdout.readexactly(LENGTH.size))
            return unpack(await stdout.readexactly(size))
        except asyncio.IncompleteReadError as exc:
            raise CameraError("the renderer exited") from exc

    async def _answer(self) -> None:
        try:
            while True:
                answer = await self._read()
                if not (isinstance(answer, tuple) and len(answer) == 2 and self._waiting):
                    raise CameraError(f"unexpected answer from the renderer: {answer!r}")
                self._waiting.popleft().set_result((str(answer[0]), answer[1]))
        except CameraError as exc:
            self._broken = self._broken or exc
            while self._waiting:
                self._waiting.popleft().set_exception(exc)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(len(ordered) * share))]) if ordered else 0.0


class StartCamera(Protocol):
    """``await reacting_camera(scene)``: a started camera showing ``scene`` (stopped at teardown)."""

    def __call__(
        self, scene: Scene, *, fps: int = DEFAULT_FPS, hold_resolution: bool = True
    ) -> Awaitable[ReactingCamera]: ...
