"""The Verifier facade: lockout before starting, failures counted, nonces bound to one use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from verification.analysis import AnalysisRequest, FrameAnalysis, FrameInput
from verification.attempt import Output, PhaseChanged
from verification.decision import Outcome
from verification.errors import LockedOutError, NonceError
from verification.lockout import Lockout
from verification.nonce import NonceBook
from verification.policy import LockoutPolicy
from verification.reasons import Reason
from verification.reference_store import ReferenceStore
from verification.service import Verifier
from verification.testing import face_measures, frame


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


class Instant:
    async def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        return frame(face_measures())


@dataclass(frozen=True)
class Item:
    frame: FrameInput
    received_at: float


async def frames(count: int, drained: asyncio.Event | None = None) -> AsyncIterator[Item]:
    """``count`` frames; with ``drained``, it is set once they are taken and the stream stays open."""
    blank = FrameInput(
        np.zeros((48, 64), np.uint8), (np.zeros((24, 32), np.uint8), np.zeros((24, 32), np.uint8))
    )
    for k in range(count):
        yield Item(blank, k / 15)
    if drained is not None:
        drained.set()
        await asyncio.Event().wait()


def verifier(clock: Clock, references: ReferenceStore | None = None) -> Verifier:
    return Verifier(
        analyser=Instant(),
        references=references,
        lockout=Lockout(LockoutPolicy(max_failures=2), clock),
        nonces=NonceBook(clock),
    )


async def test_failed_attempts_count_towards_a_lockout_that_refuses_the_next_start() -> None:
    clock = Clock()
    v = verifier(clock)
    outputs: list[Output] = []
    first = v.start("s1", "cust", frames(5), outputs.append)
    decision = await first.decision
    assert decision.outcome is Outcome.FAIL and decision.reasons[0] is Reason.ABORTED
    assert Reason.NO_REFERENCE in decision.reasons
    assert any(isinstance(o, PhaseChanged) for o in outputs)
    assert first.lockout is None
    second = v.start("s1", "cust", frames(5), lambda o: None)
    await second.decision
    assert second.lockout is not None and second.lockout.until == clock.now + 1800
    with pytest.raises(LockedOutError):
        v.start("s1", "cust", frames(5), lambda o: None)
    v.start("s1", "someone-else", frames(1), lambda o: None).stop()


async def test_a_decision_authorises_one_action_in_its_own_session() -> None:
    v = verifier(Clock())
    handle = v.start("s1", "cust", frames(3), lambda o: None)
    decision = await handle.decision
    assert decision.nonce == handle.nonce
    with pytest.raises(NonceError):
        v.consume(decision, "s2")
    v.consume(decision, "s1")
    with pytest.raises(NonceError):
        v.consume(decision, "s1")


async def test_stopping_a_running_attempt_decides_it_as_aborted() -> None:
    v = verifier(Clock())
    drained = asyncio.Event()
    handle = v.start("s1", "cust", frames(10, drained), lambda o: None)
    await drained.wait()
    handle.stop()
    decision = await handle.decision
    assert decision.reasons[0] is Reason.ABORTED
    assert handle.runner.stats.received == 10


async def test_the_reference_comes_from_the_store(tmp_path: Path) -> None:
    store = ReferenceStore(tmp_path, b"k" * 32, lambda: 0.0)
    v = verifier(Clock(), store)
    decision = await v.start("s1", "not-enrolled", frames(2), lambda o: None).decision
    assert Reason.NO_REFERENCE in decision.reasons
