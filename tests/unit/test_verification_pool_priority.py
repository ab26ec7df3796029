"""The analysis pool serves running checks first when every worker is busy, and estimates the rate one
more check could get (so that the service refuses ``busy`` instead of failing a live person)."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from verification.analysis import AnalysisRequest, FrameInput
from verification.pool import ESTIMATE_SECONDS, AnalysisPool


class Gated(AnalysisPool):
    """A pool whose 'worker' finishes a request only when the test says so (no processes)."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.started: list[int] = []
        self.gates: list[asyncio.Event] = []

    async def _run(self, fn: Any, *args: Any) -> Any:
        request: AnalysisRequest = args[0]
        gate = asyncio.Event()
        self.started.append(request.priority)
        self.gates.append(gate)
        await gate.wait()
        return request.priority


def request(priority: int) -> AnalysisRequest:
    return AnalysisRequest(FrameInput(np.zeros((16, 16), np.uint8)), priority=priority)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_queued_frames_of_running_checks_go_first() -> None:
    pool = Gated(workers=1)
    try:
        first = asyncio.ensure_future(pool.analyse(request(2)))
        await settle()
        queued = [asyncio.ensure_future(pool.analyse(request(p))) for p in (2, 1, 0, 2)]
        await settle()
        assert pool.started == [2]  # one worker: the rest wait in priority order
        for _ in range(5):
            pool.gates[-1].set()
            await settle()
        assert pool.started == [2, 0, 1, 2, 2]
        assert await first == 2 and [await q for q in queued] == [2, 1, 0, 2]
    finally:
        pool.close()


async def test_a_cancelled_waiter_does_not_lose_the_slot() -> None:
    pool = Gated(workers=1)
    try:
        first = asyncio.ensure_future(pool.analyse(request(1)))
        await settle()
        gone = asyncio.ensure_future(pool.analyse(request(0)))
        later = asyncio.ensure_future(pool.analyse(request(1)))
        await settle()
        gone.cancel()
        pool.gates[0].set()
        await settle()
        assert pool.started == [1, 1]
        pool.gates[1].set()
        assert await first == 1 and await later == 1
        assert pool._running == 0
    finally:
        pool.close()


def test_the_expected_rate_falls_with_slow_analyses_and_more_running_checks() -> None:
    pool = AnalysisPool(workers=2)
    try:
        assert pool.expected_fps(0) is None  # nothing measured: nothing refused
        pool._measure(0.05)
        assert pool.expected_fps(0) == pytest.approx(20.0)  # one frame at a time per check
        assert pool.expected_fps(3) == pytest.approx(10.0)  # 2 workers shared by 4 checks
        for _ in range(60):
            pool._measure(0.4)  # a loaded machine
        fps = pool.expected_fps(0)
        assert fps is not None and fps < 3.0
        left = pool.estimate_lapses_in()
        assert left is not None and 0 < left <= ESTIMATE_SECONDS  # a busy answer says when to ask again
        pool._measured_at -= ESTIMATE_SECONDS  # the measurement grows old
        assert pool.estimate_lapses_in() is None and pool.expected_fps(0) is None
    finally:
        pool.close()
