"""Service level, abandon rate, waits, handle times and the wait estimate."""

from __future__ import annotations

from signaling.service_stats import ServiceStats


def stats() -> ServiceStats:
    return ServiceStats(threshold_seconds=20.0, default_handle_seconds=135.0, window=3)


def test_service_level_counts_answers_within_the_threshold_and_late_abandons() -> None:
    s = stats()
    s.answered(100.0, 5.0, "activation", elderly=False)
    s.answered(101.0, 20.0, "activation", elderly=True)
    s.answered(102.0, 45.0, "activation", elderly=False)
    s.abandoned(103.0, 10.0, "activation", elderly=False)  # gave up early: not counted in the level
    s.abandoned(104.0, 60.0, "activation", elderly=False)
    summary = s.summary(since=0.0)
    assert summary.service_level == 2 / 4
    assert summary.abandon_rate == 2 / 5
    assert summary.average_wait == (5 + 20 + 45) / 3
    assert summary.average_wait_elderly == 20.0


def test_periods_only_count_what_happened_since_their_start() -> None:
    s = stats()
    s.answered(10.0, 50.0, "activation", elderly=False)
    s.answered(1000.0, 1.0, "activation", elderly=False)
    assert s.summary(since=900.0).service_level == 1.0
    assert s.summary(since=0.0).service_level == 0.5
    s.forget_before(500.0)
    assert s.summary(since=0.0).answered == 1


def test_an_empty_period_has_no_figures() -> None:
    summary = stats().summary(since=0.0)
    assert (summary.service_level, summary.abandon_rate, summary.average_wait) == (None, None, None)


def test_handle_time_per_business_falls_back_to_all_then_the_default() -> None:
    s = stats()
    assert s.handle_time("activation") == 135.0
    s.handled(1.0, 100.0, "card_review")
    assert s.handle_time("activation") == 100.0
    for seconds in (200.0, 300.0, 400.0, 500.0):
        s.handled(2.0, seconds, "activation")
    assert s.handle_time("activation") == 400.0  # window of the last 3
    assert s.summary(since=0.0).average_handle == (100 + 200 + 300 + 400 + 500) / 5
