"""Face analysis in worker processes, so that it never runs on the event loop.

dlib runs one frame on one core, so the pool scales with processes: each worker loads the models
once (in its initializer) and analyses whatever frame it is given — workers keep no per-session
state (what a frame needs from the previous one travels in :class:`~verification.analysis.Track`).
Workers are started with the ``spawn`` method: forking a process that runs an event loop and threads
is unsafe.

Requests wait in the pool's own priority queue and at most one per worker is handed to the executor,
so that when the machine is busy the frames of running checks — a prompt's window open, a verdict
waiting — are analysed before those of checks still looking for a face (``AnalysisRequest.priority``).
The pool measures how long an analysis takes (wall time, queue excluded) and from that the rate one
more check could expect (:meth:`AnalysisPool.expected_fps`), so the service can refuse a check it
could not serve (``busy``) instead of failing a live person later.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from verification.analysis import (
    AnalysisRequest,
    AnalyzerSettings,
    DlibAnalyzer,
    FrameAnalysis,
    PhotoFace,
    Rgb,
)
from verification.errors import AnalysisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_analyzer: DlibAnalyzer | None = None
"""This worker process's analyser (set by the initializer; one per process by design)."""


ESTIMATE_SECONDS = 30.0
"""How long a measured analysis time stays valid without new analyses."""
PARENT_CHECK_SECONDS = 1.0
"""How often a worker checks that the server process that started it still exists."""


def _exit_with_parent(parent: int) -> None:
    """Workers of a server that was killed (kill -9 skips every clean-up) end by themselves."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def _init(settings: AnalyzerSettings, parent: int) -> None:
    global _analyzer
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if os.getppid() != parent:  # the server died while this worker was starting
        os._exit(0)
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    _analyzer = DlibAnalyzer(settings)


def _worker() -> DlibAnalyzer:
    if _analyzer is None:  # pragma: no cover - the initializer always runs first
        raise AnalysisError("worker used before its initializer")
    return _analyzer


def _analyse(request: AnalysisRequest) -> FrameAnalysis:
    return _worker().analyse(request)


def _analyse_photo(rgb: Rgb) -> list[PhotoFace]:
    return _worker().analyse_photo(rgb)


def _ready() -> bool:
    return _worker() is not None


class AnalysisPool:
    """A process pool of :class:`~verification.analysis.DlibAnalyzer` workers."""

    def __init__(self, workers: int | None = None, settings: AnalyzerSettings | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ValueError("a pool needs at least one worker")
        self._executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(settings or AnalyzerSettings(), os.getpid()),
        )
        self._closed = False
        self.in_flight = 0
        """Requests submitted and not yet answered."""
        self._running = 0
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._seconds: float | None = None
        self._measured_at = 0.0

    async def start(self) -> None:
        """Start every worker and load its models (takes a few seconds; do it at start-up)."""
        await asyncio.gather(*(self._run(_ready) for _ in range(self.workers)))

    async def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        """Analyse one frame in a worker (by ``request.priority`` when every worker is busy)."""
        await self._turn(request.priority)
        began = time.perf_counter()
        try:
            result = await self._run(_analyse, request)
        finally:
            self._release()
        self._measure(time.perf_counter() - began)
        return result

    async def _turn(self, priority: int) -> None:
        if self._running < self.workers and not self._queue:
            self._running += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (priority, next(self._order), waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # it was our turn: pass it on
            raise

    def _release(self) -> None:
        while self._queue:
            _, _, waiter = heapq.heappop(self._queue)
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to the next request
                return
        self._running -= 1

    def _measure(self, seconds: float) -> None:
        self._seconds = seconds if self._seconds is None else 0.9 * self._seconds + 0.1 * seconds
        self._measured_at = time.monotonic()

    def expected_fps(self, running: int) -> float | None:
        """Frames per second one more check could expect with ``running`` checks already running;
        ``None`` when no recent measurement says (then nothing is refused)."""
        if self._seconds is None or time.monotonic() - self._measured_at > ESTIMATE_SECONDS:
            return None
        per_check = 1.0 / self._seconds  # one frame in analysis at a time per check
        share = self.workers / (self._seconds * (running + 1))
        return min(per_check, share)

    def estimate_lapses_in(self) -> float | None:
        """Seconds until the current speed measurement lapses (``None``: no measurement holds), after
        which :meth:`expected_fps` says nothing until frames are analysed again."""
        if self._seconds is None:
            return None
        left = ESTIMATE_SECONDS - (time.monotonic() - self._measured_at)
        return left if left > 0 else None

    async def analyse_photo(self, rgb: Rgb) -> list[PhotoFace]:
        """Every face of a still photo, in a worker."""
        return await self._run(_analyse_photo, rgb)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise AnalysisError("the analysis pool is closed")
        loop = asyncio.get_running_loop()
        self.in_flight += 1
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except BrokenProcessPool as exc:
            raise AnalysisError("an analysis worker died") from exc
        except (AnalysisError, asyncio.CancelledError):
            raise
        except Exception as exc:
            logger.warning("face analysis failed (%s)", type(exc).__name__)
            raise AnalysisError(f"face analysis failed ({type(exc).__name__})") from exc
        finally:
            self.in_flight -= 1

    def close(self) -> None:
        """Stop the workers (pending requests are cancelled)."""
        if not self._closed:
            self._closed = True
            self._executor.shutdown(wait=True, cancel_futures=True)
