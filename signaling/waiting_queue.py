"""The line of waiting customers (first come, first served) and the wait estimate."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    """One customer in line."""

    conn_id: str
    """Customer's connection."""
    business: str
    """Business asked for."""
    joined_at: float
    """Server time of joining."""


class WaitingQueue:
    """FIFO of waiting customers; O(1) append and pop, O(n) removal of a leaver."""

    def __init__(self) -> None:
        self._entries: dict[str, WaitingEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, conn_id: object) -> bool:
        return conn_id in self._entries

    def push(self, entry: WaitingEntry) -> None:
        """Add a customer at the back."""
        if entry.conn_id in self._entries:
            raise ValueError("already waiting")
        self._entries[entry.conn_id] = entry

    def remove(self, conn_id: str) -> WaitingEntry | None:
        """Take a customer out wherever they are."""
        return self._entries.pop(conn_id, None)

    def pop_oldest(self) -> WaitingEntry | None:
        """Take the customer who has waited longest."""
        for conn_id in self._entries:
            return self._entries.pop(conn_id)
        return None

    def in_order(self) -> list[WaitingEntry]:
        """Entries, next first."""
        return list(self._entries.values())


class HandleTimes:
    """Recent call durations, for the wait estimate."""

    def __init__(self, default_seconds: float, window: int = 50) -> None:
        self._default = default_seconds
        self._recent: deque[float] = deque(maxlen=window)

    def add(self, seconds: float) -> None:
        """Record one finished call's duration."""
        self._recent.append(max(0.0, seconds))

    def average(self) -> float:
        """Mean of the recent calls, or the configured default before any."""
        return sum(self._recent) / len(self._recent) if self._recent else self._default


def estimate_wait(position: int, staffed_tellers: int, average_handle: float) -> int:
    """Seconds until a customer at ``position`` (1 = next) is likely served.

    Each staffed teller (available, in a call or wrapping up) frees up about once per average handle
    time; the customer is served in round ``ceil(position / tellers)``. With no teller staffed the
    estimate assumes one will come. The first round is counted as half a handle time (tellers are on
    average halfway through their current call).
    """
    tellers = max(1, staffed_tellers)
    rounds = math.ceil(position / tellers)
    return round((rounds - 0.5) * average_handle)
