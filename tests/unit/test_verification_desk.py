"""The verification desk: who may start an attempt, who is told what, what reaches the timeline."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from signaling.desks import Sender, SessionInfo
from signaling.errors import InvalidMessage, NotAllowed, PeerError
from signaling.messages import ServerMessage, encode
from signaling.schemas import validate
from signaling.verification_messages import VerificationStart, VerificationStop
from tests.unit.test_verification_service import Clock, Instant, frames
from verification.decision import Decision, Outcome
from verification.lockout import Lockout
from verification.nonce import NonceBook
from verification.policy import LockoutPolicy, PacePolicy, VerificationPolicy
from verification.reasons import Reason
from verification.service import Verifier
from video_bank.desks import verification_desk
from video_bank.desks.verification_desk import VerificationDesk

SESSION = "session-0001"
TELLER = Sender("t-conn", "teller", "teller", "teller1")


@dataclass
class Link:
    """What the signaling service would do, recorded."""

    clock: Clock
    present: set[str] = field(default_factory=lambda: {"customer", "teller"})
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    logged: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    recorded: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def now(self) -> float:
        return self.clock()

    def connected(self, session_id: str, leg: str) -> bool:
        return leg in self.present

    def send(self, session_id: str, leg: str, message: ServerMessage) -> bool:
        wire = __import__("json").loads(encode(message))
        validate(message.TYPE, wire)  # every message the desk sends matches its schema
        self.sent.append((leg, wire))
        return leg in self.present

    async def log(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        self.logged.append((kind, data))

    async def record(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        self.recorded.append((kind, data))

    def to(self, leg: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [m for who, m in self.sent if who == leg and (kind is None or m["type"] == kind)]


class Desk:
    def __init__(
        self,
        source: Any = None,
        policy: VerificationPolicy | None = None,
        expected_fps: Any = None,
        busy_retry_after: Any = None,
        analyser: Any = None,
    ) -> None:
        self.clock = Clock()
        self.verifier = Verifier(
            analyser=analyser or Instant(),
            references=None,
            lockout=Lockout(LockoutPolicy(max_failures=2), self.clock),
            nonces=NonceBook(self.clock),
            policy=policy,
        )
        self.link = Link(self.clock)
        self.desk = VerificationDesk(
            self.verifier,
            source or (lambda session_id: frames(5)),
            has_reference=lambda customer_id: customer_id != "no-ref",
            ready=_ready,
            expected_fps=expected_fps,
            busy_retry_after=busy_retry_after,
        )
        self.desk.bind(self.link)
        self.decisions: list[tuple[str, str, Decision]] = []
        self.heard = asyncio.Event()

        async def heard(session_id: str, customer_id: str, decision: Decision) -> None:
            self.decisions.append((session_id, customer_id, decision))
            self.heard.set()

        self.desk.add_listener(heard)

    async def open(self) -> None:
        await self.desk.session_opened(
            SessionInfo(SESSION, "activation", "call", "Ann", "teller1", False, 0.0)
        )

    async def start(self, customer_id: str | None = "cust-1") -> None:
        await self.desk.handle(SESSION, TELLER, VerificationStart(SESSION, customer_id))

    async def decided(self) -> Decision:
        """The next decision the desk announces."""
        await asyncio.wait_for(self.heard.wait(), 10)
        self.heard.clear()
        return self.decisions[-1][2]


async def _ready() -> None:
    return None


@pytest.fixture
async def d() -> Desk:
    desk = Desk()
    await desk.open()
    return desk


async def test_an_attempt_tells_each_party_only_their_part_and_logs_it_in_order(d: Desk) -> None:
    await d.start()
    decision = await d.decided()

    assert decision.outcome is Outcome.FAIL  # the five frames end before the challenges: aborted
    started = d.link.to("customer", "verification_started")
    assert started == d.link.to("teller", "verification_started")
    assert started[0]["challenges"] == 3
    [teller_result] = d.link.to("teller", "verification_result")
    [customer_result] = d.link.to("customer", "verification_result")
    assert teller_result["outcome"] == "fail"
    assert Reason.ABORTED.value in [r["code"] for r in teller_result["detail"]["reasons"]]
    assert set(customer_result) == {"type", "session_id", "attempt", "status", "message"}
    assert customer_result["status"] == "failed"
    assert not d.link.to("customer", "verification_phase")
    assert d.link.to("teller", "verification_phase")
    kinds = [kind for kind, _ in d.link.logged]
    assert kinds[0] == "verification_started" and kinds[-1] == "verification_decided"
    decided = d.link.logged[-1][1]
    assert decided["outcome"] == "fail" and decided["customer_id"] == "cust-1"
    assert decided["attempt"] == started[0]["attempt"] == d.decisions[0][2].nonce
    assert d.decisions[0][:2] == (SESSION, "cust-1")
    assert not d.desk.running(SESSION)


async def test_the_customer_id_comes_from_the_teller_or_the_identifying_flow(d: Desk) -> None:
    with pytest.raises(InvalidMessage):
        await d.start(customer_id=None)
    d.desk.identify(SESSION, "cust-9")
    with pytest.raises(PeerError) as other:
        await d.start(customer_id="cust-1")
    assert other.value.code == "not_allowed"
    await d.start(customer_id=None)
    await d.decided()
    assert d.decisions[0][1] == "cust-9"


@pytest.mark.parametrize(
    ("customer_id", "present", "reason"),
    [("no-ref", {"customer", "teller"}, "no_reference"), ("cust-1", {"teller"}, "customer_absent")],
)
async def test_an_attempt_that_cannot_work_is_refused_to_the_teller(
    d: Desk, customer_id: str, present: set[str], reason: str
) -> None:
    d.link.present = present
    await d.start(customer_id)
    [refused] = d.link.to("teller", "verification_refused")
    assert refused["reason"] == reason
    assert not d.link.to("customer")
    assert [kind for kind, _ in d.link.logged] == ["verification_refused"]
    assert not d.desk.running(SESSION)


async def test_a_locked_out_customer_is_refused_until_the_lockout_ends(d: Desk) -> None:
    for _ in range(2):  # the policy locks out after two failures
        await d.start()
        await d.decided()
    assert [kind for kind, _ in d.link.logged].count("verification_lockout") == 1
    await d.start()
    refused = d.link.to("teller", "verification_refused")[-1]
    assert refused["reason"] == "locked_out"
    assert refused["until"] == pytest.approx(d.clock.now + 1800)


async def test_one_attempt_at_a_time_and_the_teller_can_stop_it() -> None:
    drained = asyncio.Event()
    d = Desk(lambda session_id: frames(3, drained))
    await d.open()
    with pytest.raises(NotAllowed):
        await d.desk.handle(SESSION, TELLER, VerificationStop(SESSION))
    await d.start()
    await asyncio.wait_for(drained.wait(), 5)
    await d.start()
    assert d.link.to("teller", "verification_refused")[-1]["reason"] == "already_running"
    await d.desk.handle(SESSION, TELLER, VerificationStop(SESSION))
    decision = await d.decided()
    assert decision.outcome is Outcome.FAIL and decision.reasons[0] is Reason.ABORTED


async def test_closing_the_session_stops_its_attempt_and_forgets_it() -> None:
    drained = asyncio.Event()
    d = Desk(lambda session_id: frames(3, drained))
    await d.open()
    await d.start()
    await asyncio.wait_for(drained.wait(), 5)
    await d.desk.session_closed(SESSION, "customer_hangup", 1.0)
    assert d.decisions and d.decisions[0][2].reasons[0] is Reason.ABORTED
    with pytest.raises(NotAllowed):
        await d.start()


async def test_an_attempt_whose_video_stalls_is_ended_by_the_servers_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def silent(session_id: str) -> AsyncIterator[Any]:
        await asyncio.Event().wait()
        yield None  # pragma: no cover

    monkeypatch.setattr(verification_desk, "STALL_GRACE_SECONDS", 0.05)
    d = Desk(
        silent, VerificationPolicy(max_quality_seconds=0.05, max_seconds=0.1, pace=PacePolicy(max_pause=0.05))
    )
    await d.open()
    await d.start()
    decision = await d.decided()
    assert decision.outcome is Outcome.FAIL and decision.reasons[0] is Reason.ABORTED


async def test_an_attempt_whose_analysis_cannot_keep_up_with_flowing_video_ends_busy_not_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The customer's video keeps coming but the server analyses nothing in time: not their fault."""
    stuck = asyncio.Event()

    class Stuck:
        async def analyse(self, request: Any) -> Any:
            stuck.set()
            await asyncio.Event().wait()

    async def flowing(session_id: str) -> AsyncIterator[Any]:
        async for item in frames(1):
            while True:
                yield item
                await asyncio.sleep(0.005)  # a camera's frame interval, not a synchronisation

    monkeypatch.setattr(verification_desk, "STALL_GRACE_SECONDS", 0.5)
    policy = VerificationPolicy(max_quality_seconds=0.05, max_seconds=0.1, pace=PacePolicy(max_pause=0.05))
    d = Desk(flowing, policy, analyser=Stuck())
    await d.open()
    await d.start()
    decision = await d.decided()
    assert stuck.is_set()
    assert decision.outcome is Outcome.BUSY and decision.reasons[0] is Reason.BUSY, decision.reasons


def test_challenges_are_unpredictable_unless_test_mode_fixes_the_seed(tmp_path: Path) -> None:
    from video_bank.config import Settings
    from video_bank.verification_setup import challenge_rng

    assert challenge_rng(Settings(data_dir=tmp_path)) is random.SystemRandom
    fixed = challenge_rng(Settings(data_dir=tmp_path, test_mode=True, verification_seed=3))
    assert fixed().random() == fixed().random() == random.Random(3).random()


async def test_a_check_the_busy_server_could_not_serve_is_refused_busy_before_it_starts() -> None:
    rates: list[int] = []

    def expected(running: int) -> float:
        rates.append(running)
        return 2.5  # below the policy's admit_fps

    d = Desk(expected_fps=expected, busy_retry_after=lambda: 12.345)
    await d.open()
    await d.start()
    [refused] = d.link.to("teller", "verification_refused")
    assert refused["reason"] == "busy"
    assert refused["retry_after"] == 12.3  # when the console may offer the start again
    assert not d.link.to("customer") and not d.desk.running(SESSION)
    assert rates == [0]
