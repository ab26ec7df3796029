"""The grace period of a lost link: a leg (or a place in line) is kept for a while after its socket drops.

Each *holder* — a leg of a session, a waiting customer's place, or a leg's media path — moves through
a small transition table::

    up ──lose──▶ lost ──resume──▶ up
                  │
                  └──expire (deadline passed)──▶ gone (forgotten)

``resume`` is also accepted while ``up``: the client came back on a new socket before the server
noticed the old one had died (the old socket is then replaced). Anything else (losing a holder that
is already lost, resuming one that is gone) is a :class:`GraceError`, a bug in the caller.

Pure: the caller passes ``now``; nothing here awaits or reads a clock. ``grace_seconds`` of 0 means
no grace: :meth:`Grace.lose` returns a deadline of ``now`` and the holder is due at once.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, Literal, TypeVar

Key = TypeVar("Key", bound=Hashable)


class LinkState(Enum):
    """Where one holder's link stands."""

    UP = "up"
    LOST = "lost"
    GONE = "gone"


LinkEvent = Literal["lose", "resume", "expire"]

_TRANSITIONS: dict[tuple[LinkState, LinkEvent], LinkState] = {
    (LinkState.UP, "lose"): LinkState.LOST,
    (LinkState.LOST, "resume"): LinkState.UP,
    (LinkState.UP, "resume"): LinkState.UP,
    (LinkState.LOST, "expire"): LinkState.GONE,
}


class GraceError(RuntimeError):
    """A transition the table does not allow (a bug in the caller)."""


@dataclass(frozen=True, slots=True)
class Gap:
    """How long a holder was away, in server time."""

    lost_at: float
    """When the link was found lost."""
    resumed_at: float
    """When it was back."""

    @property
    def seconds(self) -> float:
        """Length of the gap."""
        return self.resumed_at - self.lost_at


@dataclass(frozen=True, slots=True)
class Lost:
    """A holder waiting for its link to come back."""

    lost_at: float
    """When the link was found lost."""
    deadline: float
    """When the grace period ends."""

    def seconds_left(self, now: float) -> float:
        """Grace left at ``now`` (never negative)."""
        return max(0.0, self.deadline - now)


def step(state: LinkState, event: LinkEvent) -> LinkState:
    """The state after ``event``; raises :class:`GraceError` when the table has no such transition."""
    try:
        return _TRANSITIONS[(state, event)]
    except KeyError:
        raise GraceError(f"link {state.value}: {event} not possible") from None


class Grace(Generic[Key]):
    """The lost holders of one kind and their deadlines. Holders not listed are ``up`` (or unknown)."""

    def __init__(self, grace_seconds: float) -> None:
        if grace_seconds < 0:
            raise ValueError("grace_seconds must not be negative")
        self.grace_seconds = grace_seconds
        self._lost: dict[Key, Lost] = {}

    def __len__(self) -> int:
        return len(self._lost)

    def __contains__(self, key: Key) -> bool:
        return key in self._lost

    def state(self, key: Key) -> LinkState:
        """``lost`` while waiting, otherwise ``up``."""
        return LinkState.LOST if key in self._lost else LinkState.UP

    def get(self, key: Key) -> Lost | None:
        """The grace a lost holder has, or ``None``."""
        return self._lost.get(key)

    def lose(self, key: Key, now: float) -> Lost:
        """The holder's link dropped at ``now``: keep it until the deadline."""
        step(self.state(key), "lose")
        lost = Lost(now, now + self.grace_seconds)
        self._lost[key] = lost
        return lost

    def resume(self, key: Key, now: float) -> Gap | None:
        """The holder is back: the gap it had, or ``None`` when it was never found lost."""
        step(self.state(key), "resume")
        lost = self._lost.pop(key, None)
        return None if lost is None else Gap(lost.lost_at, now)

    def due(self, now: float) -> list[Key]:
        """Holders whose grace is over at ``now`` (each is forgotten: ``gone``), oldest first."""
        out = [
            k for k, lost in sorted(self._lost.items(), key=lambda kv: kv[1].deadline) if lost.deadline <= now
        ]
        for key in out:
            step(LinkState.LOST, "expire")
            del self._lost[key]
        return out

    def forget(self, key: Key) -> None:
        """The holder ended some other way (the call was hung up): no deadline any more."""
        self._lost.pop(key, None)

    def next_deadline(self) -> float | None:
        """The earliest deadline, or ``None`` when nothing is lost."""
        return min((lost.deadline for lost in self._lost.values()), default=None)
