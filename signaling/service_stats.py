"""Contact-centre figures: service level, abandons, waits and handle times — pure, from recorded events.

Definitions (docs/routing.md):

- service level = answered within the threshold ÷ (answered + abandoned after the threshold);
  customers who give up before the threshold count for neither side.
- abandon rate = abandoned ÷ (answered + abandoned).
- wait = from joining the line to a teller accepting; handle time = from accepting to the end of the
  call (wrap-up not included).

The wait estimate built on these handle times is in :mod:`signaling.wait_estimate`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


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


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class ServiceStats:
    """Keeps today's outcomes and calls; answers period summaries and recent handle times."""

    def __init__(self, *, threshold_seconds: float, default_handle_seconds: float, window: int = 50) -> None:
        self.threshold = threshold_seconds
        self._default_handle = default_handle_seconds
        self._outcomes: deque[Outcome] = deque()
        self._handled: deque[Handled] = deque()
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

    def summary(self, since: float) -> Summary:
        """Figures for everything recorded at or after ``since``."""
        outcomes = [o for o in self._outcomes if o.at >= since]
        answered = [o for o in outcomes if o.answered]
        abandoned = [o for o in outcomes if not o.answered]
        within = sum(1 for o in answered if o.waited <= self.threshold)
        late_abandons = sum(1 for o in abandoned if o.waited > self.threshold)
        counted = len(answered) + late_abandons
        total = len(answered) + len(abandoned)
        return Summary(
            answered=len(answered),
            abandoned=len(abandoned),
            service_level=within / counted if counted else None,
            abandon_rate=len(abandoned) / total if total else None,
            average_wait=_mean([o.waited for o in answered]),
            average_wait_elderly=_mean([o.waited for o in answered if o.elderly]),
            average_handle=_mean([h.seconds for h in self._handled if h.at >= since]),
        )
