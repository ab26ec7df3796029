"""The asyncio adapter: frames from the media hub in, an :class:`~verification.attempt.Attempt` driven.

:class:`VerificationRunner` reads a frame source (the hub's
:class:`~video_bank.media.fanout.Subscription`, or anything yielding objects with ``frame`` and
``received_at``), keeps at most ``sample_fps`` frames a second, sends each kept frame to the analyser
(the process pool) with the plan the attempt asks for, feeds the result to the attempt with the
frame's server receive time, and hands every output to a callback. At most one frame is analysed at
a time per attempt (the next frame needs the previous one's track); when analysis lags, frames that
arrive meanwhile are dropped except the newest, so nothing queues without bound and the decision is
always made on recent frames. ``on_analysed`` (optional) hears about every analysed frame after its
outputs (metrics, or pacing a simulated source in tests). All timestamps are the hub's, taken on
the server when the frame arrived; nothing the client says about time is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from verification.analysis_request import AnalysisRequest, FrameInput
from verification.attempt import Attempt, Decided, Output
from verification.decision import Decision
from verification.frame_analysis import FrameAnalysis, Track
from verification.reasons import Reason

logger = logging.getLogger(__name__)


class Delivery(Protocol):
    """One received frame (the hub's ``Delivery`` satisfies this)."""

    @property
    def frame(self) -> Any:
        """A decoded ``av.VideoFrame`` (or anything :func:`frame_input` accepts)."""
        ...

    @property
    def received_at(self) -> float:
        """Server time the frame arrived, seconds."""
        ...


class Analyser(Protocol):
    """Where frames are analysed (:class:`~verification.pool.AnalysisPool`, or a fake in tests)."""

    async def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        """Analyse one frame."""
        ...


@dataclass(slots=True)
class RunnerStats:
    """Counters of one run."""

    received: int = 0
    """Frames that arrived."""
    skipped: int = 0
    """Frames not needed at the sampling rate."""
    dropped: int = 0
    """Sampled frames dropped because analysis lagged."""
    analysed: int = 0
    """Frames analysed and fed to the attempt."""
    analysis_seconds: float = 0.0
    """CPU time the workers spent on this attempt."""
    last_arrival: float | None = None
    """Event-loop time the last frame arrived (``None``: none yet): whether the stream still flows."""


def frame_input(frame: Any, *, color: bool) -> FrameInput:
    """The planes of a decoded video frame (``av.VideoFrame``), copied out of the decoder's buffers.

    A ``yuv420p`` frame (what the VP8 and H.264 decoders produce) is split without any conversion; other
    formats are converted first. Odd widths or heights lose their last column or row.
    """
    if isinstance(frame, FrameInput):
        return frame if color else frame.without_color()
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    width, height = frame.width - frame.width % 2, frame.height - frame.height % 2

    def plane(index: int, w: int, h: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
        p = frame.planes[index]
        data = np.frombuffer(p, dtype=np.uint8).reshape(-1, p.line_size)
        return np.ascontiguousarray(data[:h, :w])

    gray = plane(0, width, height)
    if not color:
        return FrameInput(gray)
    return FrameInput(gray, (plane(1, width // 2, height // 2), plane(2, width // 2, height // 2)))


class VerificationRunner:
    """Drives one attempt from a frame source (see the module docstring)."""

    def __init__(
        self,
        attempt: Attempt,
        source: AsyncIterable[Delivery],
        analyser: Analyser,
        on_output: Callable[[Output], None],
        *,
        sample_fps: float | None = None,
        on_analysed: Callable[[float, FrameAnalysis], None] | None = None,
    ) -> None:
        self.attempt = attempt
        self._source = source
        self._analyser = analyser
        self._on_output = on_output
        self._on_analysed = on_analysed
        fps = sample_fps if sample_fps is not None else attempt.policy.sample_fps
        if not 0 < fps <= 60:
            raise ValueError("sample_fps must be within 0-60")
        # Accept a frame once 85 % of the sampling interval has passed: 30 fps input then yields
        # every other frame despite jitter.
        self._min_gap = 0.85 / fps
        self._last_sampled: float | None = None
        self._track: Track | None = None
        self._stop = asyncio.Event()
        self._stop_reason = Reason.ABORTED
        self.stats = RunnerStats()

    def stop(self, reason: Reason = Reason.ABORTED) -> None:
        """End the attempt now (the call ended): :meth:`run` returns an ``aborted`` failure."""
        self._stop_reason = reason
        self._stop.set()

    async def run(self) -> Decision:
        """Run until the attempt is decided (or the source ends, which aborts it); the decision."""
        frames = aiter(self._source)
        next_frame: asyncio.Future[Any] = asyncio.ensure_future(anext(frames))
        analysing: asyncio.Task[tuple[float, FrameAnalysis]] | None = None
        waiting: Delivery | None = None
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            while True:
                pending: set[asyncio.Future[Any]] = {next_frame, stopping}
                if analysing is not None:
                    pending.add(analysing)
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    return self._abort()
                if analysing is not None and analysing in done:
                    t, analysis = analysing.result()
                    analysing = None
                    decision = self._feed(t, analysis)
                    if decision is not None:
                        return decision
                    if waiting is not None:
                        analysing = self._start(waiting)
                        waiting = None
                        if analysing is None:
                            self.stats.skipped += 1
                if next_frame in done:
                    try:
                        delivery = next_frame.result()
                    except StopAsyncIteration:
                        if analysing is not None:
                            t, analysis = await analysing
                            analysing = None
                            decision = self._feed(t, analysis)
                            if decision is not None:
                                return decision
                        return self._abort()
                    next_frame = asyncio.ensure_future(anext(frames))
                    self.stats.received += 1
                    self.stats.last_arrival = asyncio.get_running_loop().time()
                    if not self._due(delivery.received_at):
                        self.stats.skipped += 1
                        continue
                    if analysing is None:
                        analysing = self._start(delivery)
                        if analysing is None:
                            self.stats.skipped += 1
                    else:
                        if waiting is not None:
                            self.stats.dropped += 1
                        waiting = delivery
        finally:
            for task in (next_frame, analysing, stopping):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                        await task

    def _due(self, t: float) -> bool:
        if self._last_sampled is not None and t - self._last_sampled < self._min_gap:
            return False
        self._last_sampled = t
        return True

    def _start(self, delivery: Delivery) -> asyncio.Task[tuple[float, FrameAnalysis]] | None:
        t = delivery.received_at
        plan = self.attempt.plan(t)
        try:
            request = AnalysisRequest(
                frame_input(delivery.frame, color=plan.encode),
                track=self._track,
                detect=plan.detect,
                full_scan=plan.full_scan,
                encode=plan.encode,
                priority=plan.priority,
            )
        except (ValueError, AttributeError) as exc:
            # A frame we cannot use (odd format, too small): skip it, as a dropped frame would be.
            logger.warning("a video frame could not be prepared for analysis (%s)", type(exc).__name__)
            return None

        async def analyse() -> tuple[float, FrameAnalysis]:
            return t, await self._analyser.analyse(request)

        return asyncio.ensure_future(analyse())

    def _feed(self, t: float, analysis: FrameAnalysis) -> Decision | None:
        self.stats.analysed += 1
        self.stats.analysis_seconds += analysis.cost_seconds
        self._track = analysis.track
        decision = self._emit(self.attempt.feed(t, analysis))
        if self._on_analysed is not None:
            self._on_analysed(t, analysis)
        return decision

    def _abort(self) -> Decision:
        if self.attempt.decision is not None:
            return self.attempt.decision
        decision = self._emit(self.attempt.abort(self._last_sampled or 0.0, self._stop_reason))
        assert decision is not None
        return decision

    def _emit(self, outputs: list[Output]) -> Decision | None:
        decision = None
        for output in outputs:
            try:
                self._on_output(output)
            except Exception:
                logger.exception("a verification output callback failed")
            if isinstance(output, Decided):
                decision = output.decision
        return decision
