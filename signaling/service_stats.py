"""Contact-centre figures: service level, abandons, waits and handle times — pure, from recorded events.

Definitions (docs/routing.md):

- service level = answered within the threshold ÷ (answered + abandoned after the threshold);
  customers who give up before the threshold count for neither side.
- abandon rate = abandoned ÷ (answered + abandoned).
- wait = from joining the line to a teller accepting; handle time = from accepting to the end of the
  call (wrap-up not included).
- review pass rate = card reviews approved ÷ card reviews decided (approved + rejected); a review that
  ended without a decision (the identity check failed, the call was cut) counts on neither side. The
  figures are fed from the flow's logged outcome (:meth:`ServiceStats.observe`).
- the day's intervals: the same figures per lane for each 15 minutes, for the supervisor's chart.

The wait estimate built on these handle times is in :mod:`signaling.wait_estimate`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from signaling.messages import ServiceLane, ServicePeriod, ServiceSnapshot

INTERVAL_SECONDS = 900.0
"""Width of one interval of the day's series (15 minutes)."""
REVIEW_OUTCOMES: Mapping[str, bool] = {"card_approved": True, "card_rejected": False}
"""``flow_finished`` outcomes of the card review (docs/flows.md) → approved."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One customer's time in line."""

    at: float
    """When it ended (answered or abandoned)."""
    waited: float
    """Seconds in line."""
    business: str
    elderly: bool
    answered: bool


@dataclass(frozen=True, slots=True)
class Handled:
    """One finished call."""

    at: float
    seconds: float
    business: str


@dataclass(frozen=True, slots=True)
class Summary:
    """Figures over one period."""

    answered: int
    abandoned: int
    service_level: float | None
    """Share answered within the threshold; ``None`` when nobody counts yet."""
    abandon_rate: float | None
    average_wait: float | None
    average_wait_elderly: float | None
    average_handle: float | None
    reviews_approved: int
    """Card reviews approved."""
    reviews_rejected: int
    """Card reviews rejected (the card frozen)."""
    review_pass_rate: float | None
    """Approved ÷ decided; ``None`` while no review was decided."""


@dataclass(frozen=True, slots=True)
class LaneFigures:
    """One lane's figures over one interval."""

    answered: int
    abandoned: int
    service_level: float | None
    """Share answered within the threshold; ``None`` when nobody counts."""
    average_wait: float | None
    """Mean wait of the answered; ``None`` when nobody was answered."""


@dataclass(frozen=True, slots=True)
class Interval:
    """Figures over ``[start, start + seconds)``, by when each wait ended."""

    start: float
    standard: LaneFigures
    """Everyone but the elderly lane."""
    elderly: LaneFigures
    """The elderly (60+) lane."""
    service_level: float | None
    """Both lanes together."""


@dataclass(frozen=True, slots=True)
class Review:
    """One decided card review."""

    at: float
    approved: bool


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class ServiceStats:
    """Keeps today's outcomes and calls; answers period summaries and recent handle times."""

    def __init__(self, *, threshold_seconds: float, default_handle_seconds: float, window: int = 50) -> None:
        self.threshold = threshold_seconds
        self._default_handle = default_handle_seconds
        self._outcomes: deque[Outcome] = deque()
        self._handled: deque[Handled] = deque()
        self._reviews: deque[Review] = deque()
        self._recent: dict[str, deque[float]] = {}
        self._recent_all: deque[float] = deque(maxlen=window)
        self._window = window

    def answered(self, at: float, waited: float, business: str, elderly: bool) -> None:
        """A teller took a customer after ``waited`` seconds."""
        self._outcomes.append(Outcome(at, waited, business, elderly, True))

    def abandoned(self, at: float, waited: float, business: str, elderly: bool) -> None:
        """A customer left the line (or their socket died) after ``waited`` seconds."""
        self._outcomes.append(Outcome(at, waited, business, elderly, False))

    def handled(self, at: float, seconds: float, business: str) -> None:
        """A call of ``seconds`` ended."""
        self._handled.append(Handled(at, seconds, business))
        self._recent.setdefault(business, deque(maxlen=self._window)).append(seconds)
        self._recent_all.append(seconds)

    def reviewed(self, at: float, *, approved: bool) -> None:
        """A card review was decided (approved, or rejected with a reason)."""
        self._reviews.append(Review(at, approved))

    def observe(self, at: float, kind: str, data: Mapping[str, Any]) -> None:
        """Feed one logged event; the figures take what they count from it (card-review outcomes).

        The flow logs ``flow_finished`` with its outcome once core banking committed the decision, so
        a review counts once and only when it really happened."""
        if kind != "flow_finished":
            return
        outcome = data.get("outcome")
        approved = REVIEW_OUTCOMES.get(outcome) if isinstance(outcome, str) else None
        if approved is not None:
            self.reviewed(at, approved=approved)

    def handle_time(self, business: str) -> float:
        """Recent average handle time for a business (else across businesses, else the default)."""
        recent = self._recent.get(business)
        if recent:
            return sum(recent) / len(recent)
        if self._recent_all:
            return sum(self._recent_all) / len(self._recent_all)
        return self._default_handle

    def forget_before(self, since: float) -> None:
        """Drop records older than ``since`` (call at the start of a new day)."""
        while self._outcomes and self._outcomes[0].at < since:
            self._outcomes.popleft()
        while self._handled and self._handled[0].at < since:
            self._handled.popleft()
        while self._reviews and self._reviews[0].at < since:
            self._reviews.popleft()

    def summary(self, since: float) -> Summary:
        """Figures for everything recorded at or after ``since``."""
        outcomes = [o for o in self._outcomes if o.at >= since]
        answered = [o for o in outcomes if o.answered]
        abandoned = [o for o in outcomes if not o.answered]
        total = len(answered) + len(abandoned)
        reviews = [r.approved for r in self._reviews if r.at >= since]
        approved = sum(reviews)
        return Summary(
            answered=len(answered),
            abandoned=len(abandoned),
            service_level=self._service_level(outcomes),
            abandon_rate=len(abandoned) / total if total else None,
            average_wait=_mean([o.waited for o in answered]),
            average_wait_elderly=_mean([o.waited for o in answered if o.elderly]),
            average_handle=_mean([h.seconds for h in self._handled if h.at >= since]),
            reviews_approved=approved,
            reviews_rejected=len(reviews) - approved,
            review_pass_rate=approved / len(reviews) if reviews else None,
        )

    def intervals(
        self, start: float, until: float, seconds: float = INTERVAL_SECONDS
    ) -> tuple[Interval, ...]:
        """The figures per ``seconds`` from ``start`` (e.g. the day's start) up to the interval holding
        ``until``, each wait counted in the interval where it ended. Leading intervals in which nothing
        ended are left out (the night before opening); quiet intervals later on are kept. Empty when
        nothing ended yet."""
        if seconds <= 0:
            raise ValueError("intervals need a positive width")
        if until < start:
            return ()
        count = int((until - start) // seconds) + 1
        buckets: list[list[Outcome]] = [[] for _ in range(count)]
        for o in self._outcomes:
            if start <= o.at <= until:
                buckets[min(count - 1, int((o.at - start) // seconds))].append(o)
        first = next((i for i, bucket in enumerate(buckets) if bucket), count)
        return tuple(
            Interval(
                start=start + i * seconds,
                standard=self._lane([o for o in bucket if not o.elderly]),
                elderly=self._lane([o for o in bucket if o.elderly]),
                service_level=self._service_level(bucket),
            )
            for i, bucket in enumerate(buckets[first:], start=first)
        )

    def _service_level(self, outcomes: list[Outcome]) -> float | None:
        within = sum(1 for o in outcomes if o.answered and o.waited <= self.threshold)
        counted = sum(1 for o in outcomes if o.answered or o.waited > self.threshold)
        return within / counted if counted else None

    def _lane(self, outcomes: list[Outcome]) -> LaneFigures:
        answered = [o.waited for o in outcomes if o.answered]
        return LaneFigures(
            answered=len(answered),
            abandoned=len(outcomes) - len(answered),
            service_level=self._service_level(outcomes),
            average_wait=_mean(answered),
        )


def service_figures(stats: ServiceStats, now: float, day_start: float) -> ServiceSnapshot:
    """The ``service`` part of the supervisor snapshot (docs/protocol.md): the threshold, both periods'
    figures, and today's figures per interval (averages to 0.1 s and shares to 4 digits: ~200 bytes
    an interval on the wire)."""
    return {
        "threshold_seconds": stats.threshold,
        "last_15_minutes": _period_payload(stats.summary(now - 900)),
        "today": _period_payload(stats.summary(day_start)),
        "interval_seconds": INTERVAL_SECONDS,
        "intervals": [
            {
                "start": interval.start,
                "service_level": _rounded(interval.service_level, 4),
                "standard": _lane_payload(interval.standard),
                "elderly": _lane_payload(interval.elderly),
            }
            for interval in stats.intervals(day_start, now)
        ],
    }


def _period_payload(summary: Summary) -> ServicePeriod:
    return {
        "answered": summary.answered,
        "abandoned": summary.abandoned,
        "service_level": summary.service_level,
        "abandon_rate": summary.abandon_rate,
        "average_wait_seconds": summary.average_wait,
        "average_wait_elderly_seconds": summary.average_wait_elderly,
        "average_handle_seconds": summary.average_handle,
        "reviews_approved": summary.reviews_approved,
        "reviews_rejected": summary.reviews_rejected,
        "review_pass_rate": summary.review_pass_rate,
    }


def _lane_payload(figures: LaneFigures) -> ServiceLane:
    return {
        "answered": figures.answered,
        "abandoned": figures.abandoned,
        "service_level": _rounded(figures.service_level, 4),
        "average_wait_seconds": _rounded(figures.average_wait, 1),
    }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
