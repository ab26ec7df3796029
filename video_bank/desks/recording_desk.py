"""The recording desk: every session's encoded media and whole timeline, sealed at its end.

Like the other desks it subscribes to sessions, through the signaling service
(:class:`signaling.desks.SessionRecorder`), at both ends: it opens the session's record when the
session opens, before any other desk hears of it (whether it could is the other desks'
``SessionInfo.recorded``), and seals it after every other desk heard of the end, so their last events
are in it. Opening the record taps the media hub's encoded frames for both legs — the frames the hub
forwards anyway, so nothing is decoded or encoded again — into WebM fragments written off the event
loop, and starts the session's period: a keyframe from both senders and the pending timeline events
written every ``PERIOD_SECONDS``.

The timeline comes from the session log (:mod:`video_bank.session_log`), which this desk subscribes
to: every event of a recorded session, whole, the same events the plaintext log holds through the
one redaction rule, plus the record-only ones (verification keyframes and evidence). Events are
written in small batches; the session log announces a session before its row is written, so events
that arrive while the record is being opened wait and are written once it is.

A session whose record cannot be opened (no auditor key registered, disk full) still runs; the failure
is logged and written to the event log as ``recording_failed`` so that it is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from signaling.desks import SessionInfo, SessionLink
from signaling.session import LEGS
from video_bank.media.hub import KINDS, MediaHub
from video_bank.records import Recorder, RecordError, RecordWriter, TimelineEvent
from video_bank.records import SessionInfo as RecordInfo
from video_bank.records.webm import WebmStreamRecorder
from video_bank.session_log import SessionEvent

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
    opening: bool = False
    """The desk was asked to open the record (a session whose row could not be written never is)."""
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


def _note_search_facts(recording: _Recording, kind: str, data: Mapping[str, Any]) -> None:
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


class RecordingDesk:
    """Records every session: media taps, the period, the timeline from the session log, the seal."""

    def __init__(self, recorder: Recorder, hub: MediaHub) -> None:
        self._recorder = recorder
        self._hub = hub
        self._link: SessionLink | None = None
        self._recordings: dict[str, _Recording] = {}

    @property
    def recording(self) -> int:
        """Sessions being recorded now."""
        return len(self._recordings)

    def bind(self, link: SessionLink) -> None:
        """Called once by the signaling service before any session opens."""
        self._link = link

    # --- the session log's subscriber ------------------------------------------------------------

    def session_opening(self, session_id: str) -> None:
        """The session's row is being written: keep its events for the record from now on."""
        self._recordings.setdefault(session_id, _Recording())

    def append(self, event: SessionEvent, *, record_only: bool) -> None:
        """One whole event of a session into its record's timeline (in batches; record-only entries,
        large and rare, at once)."""
        recording = self._recordings.get(event.session_id) if event.session_id else None
        if recording is None:
            return
        recording.events.append(TimelineEvent.of(event.at, event.kind, event.actor, event.data))
        _note_search_facts(recording, event.kind, event.data)
        if (
            record_only
            or len(recording.events) >= EVENT_BATCH
            or time.monotonic() - recording.flushed_at >= PERIOD_SECONDS
        ):
            self._flush(recording)

    # --- the session --------------------------------------------------------------------------------

    async def session_opened(self, info: SessionInfo) -> bool:
        """Open the session's record and tap its media; ``False`` when the record could not be opened."""
        session_id = info.session_id
        recording = self._recordings.setdefault(session_id, _Recording())
        recording.opening = True
        try:
            writer = await self._recorder.open(
                RecordInfo.of(session_id, info.business, info.started_at, teller=info.teller)
            )
        except RecordError as error:
            del self._recordings[session_id]
            logger.error("session %s is not recorded: %s", session_id, type(error).__name__)
            if self._link is not None:
                await self._link.log(
                    self._link.now(), "recording_failed", session_id, None, {"error": type(error).__name__}
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
            await self._seal(session_id, *recording.ended)
        return True

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        """The session is over (every other desk has heard): seal its record (idempotent)."""
        await self._seal(session_id, at, reason)

    async def close(self) -> None:
        """Shutdown: seal whatever is still open (the recorder marks those interrupted)."""
        for session_id in list(self._recordings):
            await self._seal(session_id, time.time(), "server_shutdown")

    # --- internals ----------------------------------------------------------------------------------

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

    @staticmethod
    def _flush(recording: _Recording) -> None:
        if recording.writer is None:
            return  # still being opened: the events are written once it is
        if recording.events:
            recording.writer.append_events(recording.events)
            recording.events = []
        recording.flushed_at = time.monotonic()

    async def _seal(self, session_id: str, ended_at: float, outcome: str) -> None:
        """End the media taps, write the last events and seal the session's record (at once, or as
        soon as it has been opened)."""
        recording = self._recordings.get(session_id)
        if recording is None:
            return
        if recording.writer is None:
            if recording.opening:
                recording.ended = (ended_at, outcome)
            else:  # never opened (its row could not be written): nothing to seal
                del self._recordings[session_id]
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
