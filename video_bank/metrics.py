"""Prometheus metrics (``GET /metrics``): live gauges read from the switchboard at scrape time, plus
counters and histograms fed by the signaling service as things happen.

One registry per application (no process-global default registry), so several apps in one process —
tests, for example — never mix their figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from signaling.messages import BUSINESSES
from signaling.states import TellerState
from signaling.switchboard import Switchboard
from video_bank.flows.steps import Disposition

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WAIT_BUCKETS = (1, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
RATING_SCORES = ("1", "2", "3", "4", "5")
DISPOSITION_CODES = frozenset(code.value for code in Disposition)


class _LiveCollector(Collector):
    """Queue, teller, session and service-level gauges computed from the switchboard on each scrape."""

    def __init__(self, switchboard: Switchboard, clock: object) -> None:
        self._switchboard = switchboard
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock()  # type: ignore[operator]
        snapshot = self._switchboard.snapshot(now)
        queue = GaugeMetricFamily(
            "video_bank_queue_length",
            "Tasks in line by business and lane",
            labels=["business", "lane", "kind"],
        )
        longest = GaugeMetricFamily(
            "video_bank_queue_longest_wait_seconds", "Longest current wait", labels=["business", "lane"]
        )
        for entry in snapshot.queues:
            queue.add_metric([entry["business"], entry["lane"], "call"], entry["waiting"])
            queue.add_metric([entry["business"], entry["lane"], "callback"], entry["callbacks"])
            longest.add_metric([entry["business"], entry["lane"]], entry["longest_wait_seconds"])
        yield queue
        yield longest
        tellers = GaugeMetricFamily("video_bank_tellers", "Signed-in tellers by state", labels=["state"])
        counts = {state.value: 0 for state in TellerState if state is not TellerState.OFFLINE}
        for teller in snapshot.tellers:
            counts[teller["state"]] = counts.get(teller["state"], 0) + 1
        for state, count in counts.items():
            tellers.add_metric([state], count)
        yield tellers
        yield GaugeMetricFamily("video_bank_sessions_active", "Live sessions", value=len(snapshot.sessions))
        level = GaugeMetricFamily(
            "video_bank_service_level", "Share answered within the threshold", labels=["period"]
        )
        abandon = GaugeMetricFamily("video_bank_abandon_rate", "Share of abandoned waits", labels=["period"])
        for period in ("last_15_minutes", "today"):
            figures = snapshot.service[period]
            if figures["service_level"] is not None:
                level.add_metric([period], figures["service_level"])
            if figures["abandon_rate"] is not None:
                abandon.add_metric([period], figures["abandon_rate"])
        yield level
        yield abandon


class _FeedbackCollector(Collector):
    """Satisfaction and first-contact resolution, computed from the counters on each scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        satisfaction = GaugeMetricFamily(
            "video_bank_satisfaction", "Share of end-of-session ratings that are 4 or 5 (since start)"
        )
        value = self._metrics.satisfaction()
        if value is not None:
            satisfaction.add_metric([], value)
        yield satisfaction
        resolution = GaugeMetricFamily(
            "video_bank_first_contact_resolution",
            "Share of wrapped-up sessions coded 'resolved' by the teller (since start)",
        )
        value = self._metrics.first_contact_resolution()
        if value is not None:
            resolution.add_metric([], value)
        yield resolution


class Metrics:
    """The application's registry and the instruments the signaling service updates."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.waits = Histogram(
            "video_bank_wait_seconds",
            "Time from joining the line to a teller accepting",
            ["business", "lane"],
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.abandons = Counter(
            "video_bank_abandons",
            "Customers who left the line unanswered",
            ["business"],
            registry=self.registry,
        )
        self.pairing_latency = Histogram(
            "video_bank_pairing_latency_seconds",
            "Server time from the event that freed a teller or queued a customer to both parties being told",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        for business in BUSINESSES:
            self.abandons.labels(business)
        self.ratings = Counter(
            "video_bank_service_ratings",
            "Customers' end-of-session ratings (1-5)",
            ["score"],
            registry=self.registry,
        )
        self.dispositions = Counter(
            "video_bank_wrap_up_dispositions",
            "Tellers' wrap-up disposition codes",
            ["code"],
            registry=self.registry,
        )
        self._rating_counts = dict.fromkeys(RATING_SCORES, 0)
        self._disposition_counts = dict.fromkeys(DISPOSITION_CODES, 0)
        for score in RATING_SCORES:
            self.ratings.labels(score)
        for code in Disposition:
            self.dispositions.labels(code.value)
        self.registry.register(_FeedbackCollector(self))

    def observe(self, kind: str, data: dict[str, Any], elapsed: float) -> None:
        """Count and time the logged events that matter for the contact-centre figures."""
        if kind == "paired":
            self.waits.labels(data.get("business", ""), data.get("lane", "standard")).observe(
                float(data.get("waited_seconds", 0.0))
            )
            self.pairing_latency.observe(elapsed)
        elif kind in ("customer_abandoned", "customer_left_queue"):
            business = str(data.get("business") or "")
            if business in BUSINESSES:
                self.abandons.labels(business).inc()
        elif kind in ("flow_rated", "customer_feedback") and str(data.get("score")) in RATING_SCORES:
            score = str(data["score"])
            self.ratings.labels(score).inc()
            self._rating_counts[score] += 1
        elif kind == "flow_wrap_up" and data.get("code") in DISPOSITION_CODES:
            code = str(data["code"])
            self.dispositions.labels(code).inc()
            self._disposition_counts[code] += 1

    def satisfaction(self) -> float | None:
        """Share of ratings that are 4 or 5 ("satisfied"); ``None`` before the first rating."""
        counts = self._rating_counts
        total = sum(counts.values())
        return None if total == 0 else (counts["4"] + counts["5"]) / total

    def first_contact_resolution(self) -> float | None:
        """Share of wrapped-up sessions the teller coded ``resolved``; ``None`` before the first."""
        counts = self._disposition_counts
        total = sum(counts.values())
        return None if total == 0 else counts[Disposition.RESOLVED.value] / total

    def watch(self, switchboard: Switchboard, clock: object) -> None:
        """Serve live gauges from ``switchboard``."""
        self.registry.register(_LiveCollector(switchboard, clock))

    def render(self) -> bytes:
        """The text exposition format."""
        return bytes(generate_latest(self.registry))

    def handler(self) -> web.StreamResponse:
        """An aiohttp response with the current metrics."""
        return web.Response(body=self.render(), headers={"Content-Type": CONTENT_TYPE})
