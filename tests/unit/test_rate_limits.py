"""Rate limits on valid messages (issue 11, item 6): token buckets per message class, the 4029 close,
and the hello time-out — all pure, on the switchboard's clock."""

from __future__ import annotations

from signaling import effects as fx
from signaling.errors import CloseCode
from signaling.messages import Hello, JoinQueue, LeaveQueue, QueueUpdate
from signaling.rate_limits import MAX_RATE_REFUSALS, RATES, Rate, TokenBucket, class_of
from signaling.switchboard import HELLO_TIMEOUT_SECONDS
from tests.unit.test_switchboard import Harness


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket.full(Rate(per_second=2, burst=3), now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.4)  # 0.8 tokens so far
    assert bucket.take(0.5)
    assert bucket.take(100.0) and bucket.take(100.0) and bucket.take(100.0) and not bucket.take(100.0)
    big = TokenBucket.full(Rate(per_second=10, burst=100), now=0.0)
    assert big.take(0.0, cost=60) and not big.take(0.0, cost=60) and big.take(2.0, cost=60)


def test_every_client_message_type_has_a_class_with_a_rate() -> None:
    from signaling.schemas import CLIENT_TYPES

    assert {class_of(t) for t in CLIENT_TYPES} <= set(RATES)
    assert class_of("cobrowse_events") == "cobrowse" and class_of("ice") == "media"


def rate_limited(out: list[fx.Effect]) -> bool:
    return any(isinstance(e, fx.Send) and getattr(e.message, "code", None) == "rate_limited" for e in out)


def join_or_leave(n: int) -> JoinQueue | LeaveQueue:
    return JoinQueue(display_name="X", business="activation") if n % 2 == 0 else LeaveQueue()


def test_a_join_leave_flood_is_refused_then_the_socket_is_closed_with_4029() -> None:
    h = Harness()
    h.customer("c")
    outcomes = []
    for n in range(200):
        out = h.send("c", join_or_leave(n))
        if any(isinstance(e, fx.Close) for e in out):
            break
        outcomes.append(rate_limited(out))
    assert outcomes == [False] * int(RATES["queue"].burst) + [True] * (MAX_RATE_REFUSALS - 1)
    assert [c.code for c in h.closes("c")] == [CloseCode.RATE_LIMITED]
    assert len(h.of_type(fx.LogEvent)) <= 2 * RATES["queue"].burst  # the flood wrote no more rows


def test_the_queue_bucket_refills_at_its_rate() -> None:
    h = Harness()
    h.customer("c")
    for n in range(int(RATES["queue"].burst)):
        h.send("c", join_or_leave(n))
    assert rate_limited(h.send("c", join_or_leave(0)))
    h.now += 1 / RATES["queue"].per_second
    out = h.send("c", join_or_leave(0))
    assert any(isinstance(e, fx.Send) and isinstance(e.message, QueueUpdate) for e in out)


def test_a_socket_that_never_says_hello_is_closed_after_the_time_out() -> None:
    h = Harness()
    h.run(h.sb.connect("silent", h.now))
    h.run(h.sb.connect("late", h.now))
    h.now += HELLO_TIMEOUT_SECONDS - 0.5
    h.run(h.sb.tick(h.now))
    assert not h.closes("silent")
    h.send("late", Hello(role="customer"))
    h.now += 0.5
    h.run(h.sb.tick(h.now))
    assert [c.code for c in h.closes("silent")] == [CloseCode.HELLO_REQUIRED]
    assert not h.closes("late")
