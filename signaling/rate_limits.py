"""How fast one connection may send valid messages: a token bucket per message class (pure).

Valid messages cost the server too: every ``join_queue``/``leave_queue`` writes permanent event rows
and moves the service figures, every co-browse snapshot is stored in the record. Each connection gets
one bucket per class of message; a message that finds its bucket empty is refused with
``rate_limited`` and changes nothing, and a connection refused :data:`MAX_RATE_REFUSALS` times is
closed with 4029. The rates leave a real person and a real browser far below the limits (a page
trickles a few dozen ICE candidates at once; a customer joins the line a handful of times).

docs/protocol.md § Limits lists the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RATE_REFUSALS = 10
"""Messages refused for rate on one connection before it is closed with 4029."""


@dataclass(frozen=True, slots=True)
class Rate:
    """A sustained rate and the burst allowed on top of it."""

    per_second: float
    """Tokens added per second."""
    burst: float
    """Bucket size: how many may come at once after a quiet spell."""

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")


RATES: dict[str, Rate] = {
    "sign_in": Rate(per_second=1 / 10, burst=5),
    "queue": Rate(per_second=1 / 10, burst=6),
    "teller": Rate(per_second=2, burst=20),
    "supervision": Rate(per_second=1, burst=10),
    "media": Rate(per_second=20, burst=100),
    "session": Rate(per_second=5, burst=30),
    "cobrowse": Rate(per_second=30, burst=120),
}
"""Limits per message class (see :data:`CLASS_OF`)."""

CLASS_OF: dict[str, str] = {
    "hello": "sign_in",
    "join_queue": "queue",
    "leave_queue": "queue",
    "callback_request": "queue",
    "callback_cancel": "queue",
    "set_state": "teller",
    "offer_accept": "teller",
    "offer_reject": "teller",
    "wrap_up_done": "teller",
    "wrap_up_extend": "teller",
    "monitor_start": "supervision",
    "monitor_stop": "supervision",
    "offer": "media",
    "ice": "media",
}
"""Message type → class; every other type (hang-up and the work inside a call) is ``session``, except
co-browse types, which are ``cobrowse``."""


def class_of(message_type: str) -> str:
    """The rate class of a client message type."""
    if message_type.startswith("cobrowse_"):
        return "cobrowse"
    return CLASS_OF.get(message_type, "session")


@dataclass(slots=True)
class TokenBucket:
    """Tokens refill at ``rate.per_second`` up to ``rate.burst``; each message takes ``cost``."""

    rate: Rate
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: Rate, now: float) -> TokenBucket:
        """A bucket that allows a whole burst at once."""
        return cls(rate, rate.burst, now)

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if there are that many (after refilling up to ``now``)."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.rate.burst, self.tokens + elapsed * self.rate.per_second)
        self.updated = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class ConnectionRates:
    """The buckets of one connection, created as each class is first used."""

    def __init__(self, rates: dict[str, Rate] | None = None) -> None:
        self._rates = rates or RATES
        self._buckets: dict[str, TokenBucket] = {}
        self.refusals = 0
        """Messages refused for rate so far."""

    def allow(self, message_type: str, now: float) -> bool:
        """Whether a message of ``message_type`` may be handled now (counts a refusal if not)."""
        name = class_of(message_type)
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = TokenBucket.full(self._rates[name], now)
        if bucket.take(now):
            return True
        self.refusals += 1
        return False
