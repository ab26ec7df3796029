"""Face analysis in worker processes, so that it never runs on the event loop.

dlib runs one frame on one core, so the pool scales with processes: each worker loads the models
once (in its initializer) and analyses whatever frame it is given — workers keep no per-session
state (what a frame needs from the previous one travels in :class:`~verification.analysis.Track`).
Workers are started with the ``spawn`` method: forking a process that runs an event loop and threads
is unsafe.
"""

from __future__ import annotations

import asyncio
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

    async def start(self) -> None:
        """Start every worker and load its models (takes a few seconds; do it at start-up)."""
        await asyncio.gather(*(self._run(_ready) for _ in range(self.workers)))

    async def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        """Analyse one frame in a worker."""
        return await self._run(_analyse, request)

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
