"""Slowing down password guessing at every staff sign-in (HTTP and WebSocket): pure over the time.

Three counters of consecutive failed sign-ins, each with its own threshold, after which every further
failure doubles a wait (1 s, 2 s, 4 s … at most ``max_delay``) before that counter lets anyone try
again:

- **name + address** (``pair_free`` failures free): one guesser at one place, on one account;
- **address** (``address_free``): one place spraying many names (a success does not clear it, or a
  guesser with one valid account could keep resetting it);
- **name** (``name_free``, 100 as NIST SP 800-63B § 5.2.2 caps consecutive failures per account):
  many places on one account. Addresses where that account signed in successfully before (its last
  ``known_addresses``) are exempt from this counter only, so a distributed guesser cannot lock a real
  auditor out of their usual workstation; the per-pair and per-address counters still apply there.

A counter is forgotten ``forget_after`` seconds after its last failure. Nothing is ever a permanent
lock: the longest wait any one failure causes is ``max_delay``.

Memory is bounded (``max_entries``) without letting a flood of junk names reset anyone's counter:
when the table is full, forgotten counters go first, then counters still below their threshold
(oldest first); counters that are throttling are never dropped. If only those remain, new names and
addresses are refused until room frees up (fail closed) — :meth:`SignInThrottle.retry_after` says how
long.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

Scope = Literal["pair", "address", "name"]
Key = tuple[Scope, str, str]

PAIR_FREE = 5
ADDRESS_FREE = 30
NAME_FREE = 100
MAX_DELAY = 15 * 60.0
FORGET_AFTER = 24 * 3600.0
MAX_ENTRIES = 100_000
KNOWN_ADDRESSES = 8
FULL_RETRY_SECONDS = 60.0
"""What a new name/address is told to wait while the table is full of throttling counters."""


@dataclass(slots=True)
class _Counter:
    failures: int
    """Consecutive failures."""
    last: float
    """Time of the last failure."""
    blocked_until: float
    """No attempt counted here before this time."""


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Thresholds and limits (defaults as documented above)."""

    pair_free: int = PAIR_FREE
    address_free: int = ADDRESS_FREE
    name_free: int = NAME_FREE
    max_delay: float = MAX_DELAY
    forget_after: float = FORGET_AFTER
    max_entries: int = MAX_ENTRIES
    known_addresses: int = KNOWN_ADDRESSES

    def __post_init__(self) -> None:
        if min(self.pair_free, self.address_free, self.name_free, self.known_addresses) < 1:
            raise ValueError("thresholds must be at least 1")
        if self.max_entries < 10 or self.max_delay <= 0 or self.forget_after <= self.max_delay:
            raise ValueError("max_entries ≥ 10, max_delay > 0 and forget_after > max_delay are required")

    def free(self, scope: Scope) -> int:
        """Failures a counter of ``scope`` allows before it starts to throttle."""
        return {"pair": self.pair_free, "address": self.address_free, "name": self.name_free}[scope]


class SignInThrottle:
    """Counts failed staff sign-ins per name + address, per address and per name."""

    def __init__(self, policy: ThrottlePolicy | None = None) -> None:
        self.policy = policy or ThrottlePolicy()
        self._counters: OrderedDict[Key, _Counter] = OrderedDict()
        self._known: dict[str, list[str]] = {}
        self._full_at: float | None = None
        """When a scan last found nothing to drop (a full table is not rescanned within a second)."""

    def __len__(self) -> int:
        return len(self._counters)

    def _keys(self, name: str, address: str) -> list[Key]:
        keys: list[Key] = [("pair", name, address), ("address", "", address)]
        if address not in self._known.get(name, ()):
            keys.append(("name", name, ""))
        return keys

    def _live(self, key: Key, now: float) -> _Counter | None:
        counter = self._counters.get(key)
        if counter is not None and now - counter.last >= self.policy.forget_after:
            del self._counters[key]
            return None
        return counter

    def retry_after(self, name: str, address: str, now: float) -> float:
        """Seconds before ``name`` may try to sign in from ``address`` (0: now)."""
        wait = 0.0
        missing = 0
        for key in self._keys(name, address):
            counter = self._live(key, now)
            if counter is None:
                missing += 1
            else:
                wait = max(wait, counter.blocked_until - now)
        if missing and not self._room_for(missing, now):
            wait = max(wait, FULL_RETRY_SECONDS)
        return wait

    def failed(self, name: str, address: str, now: float) -> None:
        """Note a failed sign-in (call only for attempts that :meth:`retry_after` let through)."""
        for key in self._keys(name, address):
            counter = self._live(key, now)
            if counter is None:
                if not self._room_for(1, now):
                    continue
                counter = _Counter(0, now, now)
                self._counters[key] = counter
            counter.failures += 1
            counter.last = now
            over = counter.failures - self.policy.free(key[0])
            if over >= 0:
                counter.blocked_until = now + min(self.policy.max_delay, 2.0**over)
            self._counters.move_to_end(key)

    def succeeded(self, name: str, address: str, now: float) -> None:
        """A correct password: clear this name's counters (not the address's) and remember the place."""
        self._counters.pop(("pair", name, address), None)
        self._counters.pop(("name", name, ""), None)
        known = [a for a in self._known.get(name, []) if a != address]
        known.append(address)
        self._known[name] = known[-self.policy.known_addresses :]
        if len(self._known) > self.policy.max_entries:
            self._known.pop(next(iter(self._known)))

    def _throttling(self, key: Key, counter: _Counter) -> bool:
        return counter.failures >= self.policy.free(key[0])

    def _room_for(self, count: int, now: float) -> bool:
        """Make room for ``count`` new counters if that is possible without dropping a throttling one."""
        limit = self.policy.max_entries
        if len(self._counters) + count <= limit:
            return True
        if self._full_at is not None and 0 <= now - self._full_at < 1.0:
            return False
        for key, counter in list(self._counters.items()):
            if now - counter.last >= self.policy.forget_after or not self._throttling(key, counter):
                del self._counters[key]
                if len(self._counters) + count <= limit:
                    self._full_at = None
                    return True
        self._full_at = now
        return False
