"""Slowing down password guessing on the HTTP sign-in: a few failures per account, then a pause.

Pure over a clock. After ``max_failures`` failed sign-ins for one user name within ``window``
seconds, further attempts for that name are refused without checking the password until the
window since the first of those failures has passed; a success clears the count. Keyed by the
user name as typed (also for names that do not exist, so the answer does not tell which exist).
Memory is bounded: at most ``max_names`` names are tracked, the oldest dropped first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60.0
MAX_NAMES = 10_000


class LoginThrottle:
    """Counts failed sign-ins per user name."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        max_names: int = MAX_NAMES,
    ) -> None:
        self._clock = clock
        self.max_failures = max_failures
        self.window = window
        self._max_names = max_names
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, username: str) -> list[float]:
        now = self._clock()
        times = [t for t in self._failures.get(username, []) if now - t < self.window]
        if times:
            self._failures[username] = times
        else:
            self._failures.pop(username, None)
        return times

    def retry_after(self, username: str) -> float:
        """Seconds until ``username`` may try again (0: now)."""
        times = self._recent(username)
        if len(times) < self.max_failures:
            return 0.0
        return max(0.0, times[0] + self.window - self._clock())

    def failed(self, username: str) -> None:
        """Note a failed sign-in."""
        times = self._recent(username)
        times.append(self._clock())
        self._failures[username] = times
        self._failures.move_to_end(username)
        while len(self._failures) > self._max_names:
            self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        """A successful sign-in clears the count."""
        self._failures.pop(username, None)
