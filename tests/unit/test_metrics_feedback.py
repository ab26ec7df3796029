"""Satisfaction and first-contact resolution in /metrics, from the flows' rating and wrap-up events."""

from __future__ import annotations

from video_bank.metrics import Metrics


def gauge(metrics: Metrics, name: str) -> str | None:
    for line in metrics.render().decode().splitlines():
        if line.startswith(f"{name} "):
            return line.split()[1]
    return None


def test_no_figures_before_the_first_rating_or_wrap_up() -> None:
    metrics = Metrics()
    assert gauge(metrics, "video_bank_satisfaction") is None
    assert gauge(metrics, "video_bank_first_contact_resolution") is None


def test_satisfaction_is_the_share_of_fours_and_fives_and_resolution_the_share_coded_resolved() -> None:
    metrics = Metrics()
    for score in (5, 4, 2, 1):
        metrics.observe("flow_rated", {"score": score, "has_comment": False}, 0.0)
    for code in ("resolved", "resolved", "resolved", "follow_up"):
        metrics.observe("flow_wrap_up", {"code": code}, 0.0)
    metrics.observe("flow_rated", {"score": 9}, 0.0)  # not a rating: ignored
    metrics.observe("flow_wrap_up", {"code": "made_up"}, 0.0)
    assert gauge(metrics, "video_bank_satisfaction") == "0.5"
    assert gauge(metrics, "video_bank_first_contact_resolution") == "0.75"
    assert 'video_bank_service_ratings_total{score="5"} 1.0' in metrics.render().decode()
