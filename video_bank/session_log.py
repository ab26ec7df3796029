"""The session log: every event of a session logged in one place, to two sinks, by one rule.

A session event goes to the plaintext event log in the database (operations, metrics, search) and,
whole, to the session's encrypted record timeline (only auditors open it). :class:`SessionLog` is
the only way either sink is written for a session:

- :meth:`SessionLog.append_event` writes :func:`~video_bank.event_redaction.plaintext_view` of the
  event to the database, then hands the whole event to every subscriber (the recording desk,
  :mod:`video_bank.desks.recording_desk`);
- :meth:`SessionLog.transaction` does the same for an event that must commit together with a change
  of another store (core banking: the change and its audit entry commit together or not at all):
  the plaintext view is written inside the transaction, the whole event handed on after the commit;
- :meth:`SessionLog.record_only` hands an event to the subscribers only (verification keyframes and
  evidence: biometric data never enters the plaintext log).

So an event is in the plaintext log only if the record's timeline got the same event (same time,
kind and actor; its data through the one redaction rule), and nothing is handed to the record that
the database refused. :meth:`SessionLog.open_session` also tells the subscribers that a session's
events begin, before anything of it is awaited, so that none of them is missed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from video_bank.event_redaction import plaintext_view
from video_bank.storage import SqliteStorage, insert_event

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One logged event, whole (the record's form; the plaintext log stores its redacted view)."""

    at: float
    """Server time (epoch seconds)."""
    kind: str
    """Event type, e.g. ``session_started``, ``flow_step_completed``, ``core_banking_changed``."""
    session_id: str | None
    """The session it belongs to; ``None`` for events of no session (sign-ins, back office)."""
    actor: str | None
    """Who caused it (account name, ``customer``, ``system``), if anyone."""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Event details, as they happened (personal input masked at its source where required)."""

    def plaintext(self) -> dict[str, Any]:
        """What the plaintext event log keeps of :attr:`data` (the one redaction rule)."""
        return plaintext_view(self.kind, self.data)


class RecordSink(Protocol):
    """A subscriber of the session log: the recording desk."""

    def session_opening(self, session_id: str) -> None:
        """A session's row is being written: its events from now on belong to its record."""

    def append(self, event: SessionEvent, *, record_only: bool) -> None:
        """One whole event; ``record_only``: it is not in the plaintext log (large biometric entries)."""


class SessionLog:
    """Sessions' rows and events: the plaintext log in the database, the whole event to subscribers.

    The signaling service's event store (:class:`signaling.ports.EventStore`)."""

    def __init__(self, storage: SqliteStorage) -> None:
        self._storage = storage
        self._sinks: list[RecordSink] = []

    def subscribe(self, sink: RecordSink) -> None:
        """Hand every session's events to ``sink`` from now on."""
        self._sinks.append(sink)

    async def open_session(
        self, session_id: str, business: str, customer_name: str, teller: str, started_at: float
    ) -> None:
        """Create the session's row; subscribers keep its events from this call on."""
        for sink in self._sinks:
            sink.session_opening(session_id)
        await self._storage.open_session(session_id, business, customer_name, teller, started_at)

    async def close_session(self, session_id: str, ended_at: float, outcome: str) -> None:
        """Record the session's end in its row (first end wins)."""
        await self._storage.close_session(session_id, ended_at, outcome)

    async def append_event(
        self, at: float, kind: str, session_id: str | None, actor: str | None, data: dict[str, Any]
    ) -> None:
        """One event: its plaintext view into the database, then the whole of it to the subscribers."""
        event = SessionEvent(at, kind, session_id, actor, data)
        await self._storage.append_event(at, kind, session_id, actor, event.plaintext())
        self._publish(event, record_only=False)

    async def record_only(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        """One event for the session's record only; nothing of it in the plaintext log."""
        self._publish(SessionEvent(at, kind, session_id, actor, data), record_only=True)

    async def transaction(self, fn: Callable[[sqlite3.Connection], tuple[T, SessionEvent]]) -> T:
        """Run ``fn`` in one database transaction together with the plaintext view of the event it
        returns; hand the whole event to the subscribers once committed. Returns ``fn``'s result."""

        def _apply(db: sqlite3.Connection) -> tuple[T, SessionEvent]:
            result, event = fn(db)
            insert_event(db, event.at, event.kind, event.session_id, event.actor, event.plaintext())
            return result, event

        result, event = await self._storage.run(_apply, transaction=True)
        self._publish(event, record_only=False)
        return result

    def _publish(self, event: SessionEvent, *, record_only: bool) -> None:
        if event.session_id is None:
            return  # only sessions are recorded
        for sink in self._sinks:
            try:
                sink.append(event, record_only=record_only)
            except Exception:
                # The plaintext log has it (or it was record-only): a sink's fault must not undo or
                # fail the caller's committed write. Our bug: logged in full, kind only.
                logger.exception("session %s: a %s event could not be recorded", event.session_id, event.kind)
