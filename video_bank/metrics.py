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

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WAIT_BUCKETS = (1, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)


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

    def watch(self, switchboard: Switchboard, clock: object) -> None:
        """Serve live gauges from ``switchboard``."""
        self.registry.register(_LiveCollector(switchboard, clock))

    def render(self) -> bytes:
        """The text exposition format."""
        return bytes(generate_latest(self.registry))

    def handler(self) -> web.StreamResponse:
        """An aiohttp response with the current metrics."""
        return web.Response(body=self.render(), headers={"Content-Type": CONTENT_TYPE})
