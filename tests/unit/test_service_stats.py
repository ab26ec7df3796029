"""Service level, abandon rate, waits, handle times and the wait estimate."""

from __future__ import annotations

from signaling.service_stats import REVIEW_OUTCOMES, LaneFigures, ServiceStats


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


def test_the_review_pass_rate_counts_decided_card_reviews_from_the_flows_logged_outcome() -> None:
    s = stats()
    s.observe(100.0, "flow_finished", {"status": "completed", "outcome": "card_approved", "card_id": "c1"})
    s.observe(101.0, "flow_finished", {"status": "completed", "outcome": "card_approved"})
    s.observe(102.0, "flow_finished", {"status": "completed", "outcome": "card_rejected"})
    # Not a decision: an abandoned review, another business, another event kind, a malformed outcome.
    s.observe(103.0, "flow_finished", {"status": "abandoned", "outcome": "abandoned"})
    s.observe(104.0, "flow_finished", {"status": "completed", "outcome": "card_activated"})
    s.observe(105.0, "flow_card_review", {"approve": True, "reason": "identity_confirmed"})
    s.observe(106.0, "flow_finished", {"outcome": ["card_approved"]})
    summary = s.summary(since=0.0)
    assert (summary.reviews_approved, summary.reviews_rejected) == (2, 1)
    assert summary.review_pass_rate == 2 / 3
    assert s.summary(since=101.5).review_pass_rate == 0.0
    assert s.summary(since=200.0).review_pass_rate is None
    s.forget_before(101.5)
    assert s.summary(since=0.0).reviews_approved == 0


def test_the_seeds_audit_figure_comes_out_as_the_pass_rate() -> None:
    s = stats()
    for i in range(1648):
        s.reviewed(float(i), approved=i < 1565)
    assert round(100 * (s.summary(since=0.0).review_pass_rate or 0.0), 2) == 94.96


def test_the_review_outcomes_are_the_card_review_flows() -> None:
    from video_bank.flows.card_review import CardReviewSteps

    assert set(REVIEW_OUTCOMES) == set(CardReviewSteps.completed_outcomes)


def test_intervals_give_each_lanes_waits_and_service_level_per_quarter_hour() -> None:
    s = stats()
    day = 86_400.0
    s.answered(day + 8 * 3600 + 10, 5.0, "activation", elderly=False)  # 08:00-08:15
    s.answered(day + 8 * 3600 + 20, 30.0, "activation", elderly=False)
    s.answered(day + 8 * 3600 + 30, 2.0, "activation", elderly=True)
    s.abandoned(day + 8 * 3600 + 40, 50.0, "card_review", elderly=True)  # late: counts against
    s.abandoned(day + 8 * 3600 + 50, 5.0, "card_review", elderly=False)  # early: counts for neither
    s.answered(day + 8 * 3600 + 1800, 12.0, "activation", elderly=False)  # 08:30-08:45
    s.answered(day - 10, 1.0, "activation", elderly=False)  # yesterday: not in today's series
    series = s.intervals(day, day + 8 * 3600 + 2000)
    assert [i.start - day for i in series] == [8 * 3600, 8 * 3600 + 900, 8 * 3600 + 1800]
    first, quiet, third = series
    assert first.standard == LaneFigures(answered=2, abandoned=1, service_level=0.5, average_wait=17.5)
    assert first.elderly == LaneFigures(answered=1, abandoned=1, service_level=0.5, average_wait=2.0)
    assert first.service_level == 2 / 4
    assert quiet.standard == quiet.elderly == LaneFigures(0, 0, None, None)
    assert quiet.service_level is None
    assert (third.standard.answered, third.standard.average_wait, third.service_level) == (1, 12.0, 1.0)


def test_intervals_end_with_the_one_holding_now_and_are_empty_before_anything_happened() -> None:
    s = stats()
    assert s.intervals(0.0, 5000.0) == ()
    s.answered(100.0, 1.0, "activation", elderly=False)
    s.answered(950.0, 1.0, "activation", elderly=False)  # after "now": not yet in the series
    series = s.intervals(0.0, 900.0, seconds=300.0)
    assert [i.start for i in series] == [0.0, 300.0, 600.0, 900.0]
    assert [i.standard.answered for i in series] == [1, 0, 0, 0]
    assert s.intervals(1000.0, 999.0) == ()
