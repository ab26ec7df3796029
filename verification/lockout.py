"""Lockout: too many failed verifications for one customer refuse new attempts for a while.

With the defaults (:class:`~verification.policy.LockoutPolicy`), five failures within three minutes
lock the customer out for thirty minutes (the figures AWS Rekognition Face Liveness uses). Only
failures count; passes and reviews do not, and a pass does not clear earlier failures. The clock is
injected, so the logic is tested without waiting; state is in memory per process (a deployment with
several nodes keeps it in the shared store, behind the same methods).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from verification.errors import LockedOutError
from verification.policy import LockoutPolicy


@dataclass(frozen=True, slots=True)
class LockoutEvent:
    """A customer was locked out (to be appended to the session's record)."""

    customer_id: str
    """Whose attempts are refused."""
    at: float
    """When the lockout started (clock seconds)."""
    until: float
    """When new attempts are allowed again."""
    failures: int
    """Failures within the counting period that caused it."""


class Lockout:
    """Counts failures per customer and refuses attempts while locked out."""

    def __init__(self, policy: LockoutPolicy, clock: Callable[[], float]) -> None:
        self._policy = policy
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def locked_until(self, customer_id: str) -> float | None:
        """When the customer's lockout ends, or ``None`` when not locked out."""
        until = self._locked_until.get(customer_id)
        if until is None:
            return None
        if self._clock() >= until:
            del self._locked_until[customer_id]
            return None
        return until

    def check(self, customer_id: str) -> None:
        """Raise :class:`~verification.errors.LockedOutError` while the customer is locked out."""
        until = self.locked_until(customer_id)
        if until is not None:
            raise LockedOutError(until)

    def record_failure(self, customer_id: str) -> LockoutEvent | None:
        """Count a failed attempt; the lockout event when this failure starts one."""
        now = self._clock()
        failures = self._failures.setdefault(customer_id, deque())
        failures.append(now)
        while failures and now - failures[0] > self._policy.period:
            failures.popleft()
        if len(failures) < self._policy.max_failures or self.locked_until(customer_id) is not None:
            return None
        until = now + self._policy.duration
        self._locked_until[customer_id] = until
        count = len(failures)
        failures.clear()
        return LockoutEvent(customer_id, now, until, count)

    def prune(self) -> None:
        """Forget customers with no recent failures and no lockout (call now and then)."""
        now = self._clock()
        for customer_id in list(self._failures):
            failures = self._failures[customer_id]
            if not failures or now - failures[-1] > self._policy.period:
                del self._failures[customer_id]
        for customer_id in list(self._locked_until):
            self.locked_until(customer_id)
