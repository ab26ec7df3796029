"""The waiting line and the wait estimate."""

from __future__ import annotations

import pytest

from signaling.waiting_queue import HandleTimes, WaitingEntry, WaitingQueue, estimate_wait


def test_the_queue_is_first_in_first_out_and_leavers_are_removed_anywhere() -> None:
    queue = WaitingQueue()
    for n in range(4):
        queue.push(WaitingEntry(f"c{n}", "activation", float(n)))
    assert queue.remove("c1") is not None
    assert queue.remove("c1") is None
    assert [e.conn_id for e in queue.in_order()] == ["c0", "c2", "c3"]
    assert queue.pop_oldest().conn_id == "c0"  # type: ignore[union-attr]
    assert len(queue) == 2 and "c2" in queue


def test_a_customer_cannot_wait_twice() -> None:
    queue = WaitingQueue()
    queue.push(WaitingEntry("c0", "activation", 0.0))
    with pytest.raises(ValueError, match="already"):
        queue.push(WaitingEntry("c0", "activation", 1.0))


def test_pop_from_an_empty_queue_is_none() -> None:
    assert WaitingQueue().pop_oldest() is None


@pytest.mark.parametrize(
    ("position", "tellers", "expected"),
    [(1, 1, 60), (2, 1, 180), (1, 3, 60), (3, 3, 60), (4, 3, 180), (7, 3, 300), (2, 0, 180)],
)
def test_estimate_counts_rounds_of_service_across_staffed_tellers(
    position: int, tellers: int, expected: int
) -> None:
    assert estimate_wait(position, tellers, average_handle=120.0) == expected


def test_handle_times_default_until_measured_then_average_a_window() -> None:
    times = HandleTimes(default_seconds=135.0, window=3)
    assert times.average() == 135.0
    for seconds in (100.0, 200.0, 300.0, 400.0):
        times.add(seconds)
    assert times.average() == 300.0
