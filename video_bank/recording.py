"""Records every session: both parties' encoded media and the session's timeline, sealed at the end.

:class:`RecordingStore` wraps the application's storage as the signaling layer's event store. When a
session row is opened it opens a record (:mod:`video_bank.records`) and taps the media hub's
encoded frames for both legs — the frames the hub forwards anyway, so nothing is decoded or encoded
again — into WebM fragments written off the event loop. Every event logged for the session also goes
into the record's encrypted timeline (in small batches). When the session row is closed, the media
taps end, the last batch is written and the record is sealed: from then on only an auditor's key
opens it.

A session whose record cannot be opened (no auditor key registered, disk full) still runs; the
failure is logged and written to the event log as ``recording_failed`` so that it is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from signaling.session import LEGS
from video_bank.event_redaction import plaintext_view
from video_bank.media.hub import KINDS, MediaHub
from video_bank.records import Recorder, RecordError, RecordWriter, SessionInfo, TimelineEvent
from video_bank.records.webm import WebmStreamRecorder
from video_bank.storage import Storage

logger = logging.getLogger(__name__)

TAP_QUEUE = 256
"""Encoded frames a leg's tap may hold before it drops (about 8 s of video at 30 fps)."""
EVENT_BATCH = 16
"""Timeline events written together; pending events are also written every ``PERIOD_SECONDS``, so a
crash loses at most the events of the last two seconds (docs/record-format.md)."""
PERIOD_SECONDS = 2.0
"""Recorded sessions ask both senders for a video keyframe this often (record fragments start at
keyframes, so this is the granularity at which an auditor's replay can start) and write the timeline
events still pending."""


@dataclass(slots=True)
class _Recording:
    writer: RecordWriter | None = None
    """``None`` while the record is being opened (events wait in ``events``)."""
    legs: list[WebmStreamRecorder] = field(default_factory=list)
    taps: list[asyncio.Task[None]] = field(default_factory=list)
    periodic: asyncio.Task[None] | None = None
    """Asks for keyframes and writes pending timeline events every ``PERIOD_SECONDS``."""
    events: list[TimelineEvent] = field(default_factory=list)
    flushed_at: float = field(default_factory=time.monotonic)
    verification: str | None = None
    """The last verification outcome seen in the session (``pass``, ``review``, ``fail``)."""
    customer_id: str | None = None
    """The bank's customer id, once an event names it."""
    ended: tuple[float, str] | None = None
    """(ended_at, outcome) of a session closed while its record was still being opened."""


VERIFICATION_OUTCOMES = frozenset({"pass", "review", "fail"})


def _note_search_facts(recording: _Recording, kind: str, data: dict[str, Any]) -> None:
    """Keep what auditors search by that only the session's events tell (verification, customer id)."""
    if kind == "verification_decided" and data.get("outcome") in VERIFICATION_OUTCOMES:
        recording.verification = data["outcome"]
    customer_id = data.get("customer_id")
    if isinstance(customer_id, str) and 0 < len(customer_id) <= 64 and customer_id.isprintable():
        recording.customer_id = customer_id


def _summary(recording: _Recording, outcome: str) -> dict[str, str | None]:
    """The manifest summary: outcome, verification outcome (``None``: none ran), customer id if known."""
    summary: dict[str, str | None] = {"outcome": outcome, "verification": recording.verification}
    if recording.customer_id is not None:
        summary["customer_id"] = recording.customer_id
    return summary


class RecordingStore:
    """The event store of the signaling layer, plus a sealed, encrypted record per session."""

    def __init__(self, storage: Storage, recorder: Recorder, hub: MediaHub) -> None:
        self._storage = storage
        self._recorder = recorder
        self._hub = hub
        self._recordings: dict[str, _Recording] = {}

    @property
    def recording(self) -> int:
        """Sessions being recorded now."""
        return len(self._recordings)

    async def open_session(
        self, session_id: str, business: str, customer_name: str, teller: str, started_at: float
    ) -> bool:
        """Open the session's row and record; ``False`` when the record could not be opened."""
        # Known at once, before anything is awaited: a close or events arriving while the record is
        # being opened wait here, and the record is sealed as soon as it exists.
        recording = _Recording()
        self._recordings[session_id] = recording
        await self._storage.open_session(session_id, business, customer_name, teller, started_at)
        try:
            writer = await self._recorder.open(
                SessionInfo.of(session_id, business, started_at, teller=teller)
            )
        except RecordError as error:
            del self._recordings[session_id]
            logger.error("session %s is not recorded: %s", session_id, type(error).__name__)
            await self._storage.append_event(
                time.time(), "recording_failed", session_id, None, {"error": type(error).__name__}
            )
            return False
        recording.writer = writer
        recording.legs = [WebmStreamRecorder(writer, leg) for leg in LEGS]
        if recording.ended is None and self._hub.has_session(session_id):
            for leg_recorder, leg in zip(recording.legs, LEGS, strict=True):
                for kind in KINDS:
                    frames = self._hub.subscribe_encoded(session_id, leg, kind, TAP_QUEUE)
                    recording.taps.append(asyncio.create_task(self._tap(frames, leg_recorder, kind)))
            recording.periodic = asyncio.create_task(self._periodic(session_id, recording))
        self._flush(recording)
        if recording.ended is not None:
            await self.seal(session_id, *recording.ended)
        return True

    async def _periodic(self, session_id: str, recording: _Recording) -> None:
        """Every ``PERIOD_SECONDS`` while the session is recorded: a keyframe from both legs, and the
        pending timeline events into the record."""
        while session_id in self._recordings:
            await asyncio.sleep(PERIOD_SECONDS)  # a period, not a synchronisation
            for leg in LEGS:
                self._hub.request_keyframe(session_id, leg)
            self._flush(recording)

    @staticmethod
    async def _tap(frames: Any, leg: WebmStreamRecorder, kind: str) -> None:
        """Copy one leg's encoded frames of one kind into its WebM recorder until the session ends."""
        try:
            async for frame in frames:
                if kind == "video":
                    leg.video_frame(
                        frame.data, frame.timestamp, keyframe=frame.keyframe, arrival=frame.received_at
                    )
                else:
                    leg.audio_frame(frame.data, frame.timestamp, arrival=frame.received_at)
        finally:
            frames.close()

    async def append_event(
        self, at: float, kind: str, session_id: str | None, actor: str | None, data: dict[str, Any]
    ) -> None:
        """One event, two sinks: the plaintext log gets :func:`plaintext_view`, the record all of it."""
        await self._storage.append_event(at, kind, session_id, actor, plaintext_view(kind, data))
        recording = self._recordings.get(session_id) if session_id else None
        if recording is None:
            return
        recording.events.append(TimelineEvent.of(at, kind, actor, data))
        _note_search_facts(recording, kind, data)
        if len(recording.events) >= EVENT_BATCH or time.monotonic() - recording.flushed_at >= PERIOD_SECONDS:
            self._flush(recording)

    async def record_only(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Into the encrypted record only (verification keyframes): nothing in the plaintext log."""
        recording = self._recordings.get(session_id)
        if recording is None:
            return
        recording.events.append(TimelineEvent.of(at, kind, actor, data))
        self._flush(recording)

    @staticmethod
    def _flush(recording: _Recording) -> None:
        if recording.writer is None:
            return  # still being opened: the events are written once it is
        if recording.events:
            recording.writer.append_events(recording.events)
            recording.events = []
        recording.flushed_at = time.monotonic()

    async def close_session(self, session_id: str, ended_at: float, outcome: str) -> None:
        await self._storage.close_session(session_id, ended_at, outcome)
        await self.seal(session_id, ended_at, outcome)

    async def seal(self, session_id: str, ended_at: float, outcome: str) -> None:
        """End the media taps, write the last events and seal the session's record (at once, or as
        soon as it has been opened)."""
        recording = self._recordings.get(session_id)
        if recording is None:
            return
        if recording.writer is None:
            recording.ended = (ended_at, outcome)
            return
        del self._recordings[session_id]
        writer = recording.writer
        if recording.periodic is not None:
            recording.periodic.cancel()
        # The hub has closed the session's streams (CloseMedia comes first), so the taps end by
        # themselves once they have copied what was queued.
        for tap in recording.taps:
            with contextlib.suppress(asyncio.CancelledError):
                await tap
        for leg in recording.legs:
            await leg.close()
        self._flush(recording)
        try:
            await writer.seal(ended_at=ended_at, summary=_summary(recording, outcome))
        except RecordError as error:
            logger.error("session %s record could not be sealed: %s", session_id, type(error).__name__)

    async def close(self) -> None:
        """Shutdown: seal whatever is still open (the recorder marks those interrupted)."""
        for session_id in list(self._recordings):
            await self.seal(session_id, time.time(), "server_shutdown")
