"""The service part of the supervisor snapshot: today's figures per 15 minutes and lane (the chart),
and the card-review pass rate learnt from the flows' logged outcomes. Every snapshot the harness sees
is checked against ``signaling/schemas/supervisor_snapshot.json``."""

from __future__ import annotations

import json

import pytest

from signaling.messages import JoinQueue, SupervisorSnapshot, encode
from signaling.schemas import validate
from tests.unit.test_switchboard import Harness
from tests.unit.test_switchboard_routing import ELDER_ID, supervisor


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    # 10:00 local time in 2026-09 (ELDER_ID is 76): the periods below stay inside the day.
    harness.now = harness.sb._day_start(1_790_000_000.0) + 10 * 3600
    return harness


def test_the_snapshot_carries_todays_waits_per_quarter_hour_for_each_lane(h: Harness) -> None:
    day_start = h.sb._day_start(h.now)
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="activation"))  # answered at once
    h.customer("c2")
    h.send("c2", JoinQueue(display_name="Bo", business="card_review", resident_id=ELDER_ID))
    h.now += 1800
    h.teller("t2")  # takes the elderly customer after 30 minutes: outside the threshold
    supervisor(h)
    service = h.last("s1", SupervisorSnapshot).service
    assert service["interval_seconds"] == 900
    starts = [i["start"] for i in service["intervals"]]
    assert starts == sorted(starts) and len(starts) == 3
    assert all((start - day_start) % 900 == 0 for start in starts)
    first, _, last = service["intervals"]
    assert first["standard"] == {
        "answered": 1,
        "abandoned": 0,
        "service_level": 1.0,
        "average_wait_seconds": 0,
    }
    assert first["elderly"]["answered"] == 0
    assert last["elderly"] == {
        "answered": 1,
        "abandoned": 0,
        "service_level": 0.0,
        "average_wait_seconds": 1800.0,
    }
    assert last["start"] <= h.now < last["start"] + 900
    assert service["today"]["average_wait_elderly_seconds"] == 1800.0


def test_the_snapshot_shows_the_review_pass_rate_for_both_periods(h: Harness) -> None:
    supervisor(h)
    assert h.last("s1", SupervisorSnapshot).service["today"]["review_pass_rate"] is None
    for approved in (True, True, False):
        outcome = "card_approved" if approved else "card_rejected"
        h.sb.stats.observe(h.now - 1200, "flow_finished", {"status": "completed", "outcome": outcome})
    h.sb.stats.observe(h.now - 60, "flow_finished", {"status": "completed", "outcome": "card_approved"})
    snapshot = h.sb.snapshot(h.now)
    validate("supervisor_snapshot", json.loads(encode(snapshot)))
    today, recent = snapshot.service["today"], snapshot.service["last_15_minutes"]
    assert (today["reviews_approved"], today["reviews_rejected"], today["review_pass_rate"]) == (3, 1, 0.75)
    assert (recent["reviews_approved"], recent["reviews_rejected"], recent["review_pass_rate"]) == (1, 0, 1.0)
