"""The asyncio face of recording: :class:`Recorder` opens one :class:`RecordWriter` per session.

Everything CPU- or disk-heavy (RSA wrapping at open, AES-GCM, SHA-256 and Ed25519 per chunk, file
writes and fsyncs, sealing) runs on worker threads: each writer has one thread of its own, so its
chunks are stored strictly in the order they were appended, and sessions never wait on each other.

Appending is non-blocking. ``append_media``/``append_events`` validate their arguments at once
(raising :class:`RecordInputError` or :class:`RecordStateError`), queue the work and return an
``asyncio.Future`` that completes when the chunk is durable. Awaiting it gives back-pressure;
not awaiting it is fine too: a failure is logged once and marks the writer failed, after which
appends raise and :meth:`RecordWriter.seal` seals what was stored, marked ``recovered``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from video_bank.records.builder import PreparedChunk, RecordBuilder
from video_bank.records.chunk import TIMELINE_STREAM
from video_bank.records.encoding import CONTENT_TYPE, check_stream_name, to_us
from video_bank.records.errors import RecordError, RecordInputError, RecordStateError, RecordWriteError
from video_bank.records.keyring import KeyRing
from video_bank.records.model import (
    ChunkEntry,
    Manifest,
    Retention,
    Scalar,
    SessionInfo,
    TimelineEvent,
    check_summary,
)
from video_bank.records.recovery import RecoveryOutcome, recover_all
from video_bank.records.retention import RetentionPolicy
from video_bank.records.store import LocalRecordStore, RecordStore, WritableRecord

logger = logging.getLogger(__name__)

MAX_PENDING_BYTES = 64 * 1024 * 1024
"""Queued, not yet stored bytes per writer beyond which the disk is considered lost."""
T = TypeVar("T")
RECORDS_DIR = "records"
KEYS_DIR = "keys"
RETENTION_FILE = "retention.json"


@dataclass(frozen=True, slots=True)
class Fragment:
    """A media fragment ready to be stored (see :meth:`RecordWriter.append_media`)."""

    data: bytes
    """The fragment's bytes."""
    t0: float
    """Server time of its first sample, seconds since the epoch."""
    t1: float
    """Server time of the end of its last sample."""
    init: bool = False
    """Whether it is the stream's initialisation segment."""


class RecordWriter:
    """Writes one session's record; created by :meth:`Recorder.open`."""

    def __init__(
        self,
        builder: RecordBuilder,
        handle: WritableRecord,
        *,
        clock: Callable[[], float],
        max_pending_bytes: int = MAX_PENDING_BYTES,
        on_sealed: Callable[[RecordWriter], None] | None = None,
    ) -> None:
        self._builder = builder
        self._handle = handle
        self._clock = clock
        self._max_pending = max_pending_bytes
        self._on_sealed = on_sealed
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record-writer")
        self._pending_bytes = 0
        self._failure: RecordError | None = None
        self._seal: asyncio.Future[Manifest] | None = None

    @property
    def record_id(self) -> str:
        """The record (session) id."""
        return self._builder.record_id

    @property
    def opened_at(self) -> float:
        """Server time the record opened (seconds since the epoch)."""
        return self._builder.header.opened_at_us / 1_000_000

    @property
    def pending_bytes(self) -> int:
        """Bytes appended but not yet durable."""
        return self._pending_bytes

    @property
    def failed(self) -> bool:
        """Whether a chunk could not be stored (the record will be sealed as recovered)."""
        return self._failure is not None

    @property
    def sealing(self) -> bool:
        """Whether :meth:`seal` was called."""
        return self._seal is not None

    # --- appending -----------------------------------------------------------------------------------

    def append_media(
        self,
        stream: str,
        fragment: bytes | bytearray | memoryview,
        t0: float,
        t1: float,
        *,
        content_type: str,
        init: bool = False,
    ) -> asyncio.Future[ChunkEntry]:
        """Queue one media fragment of ``stream`` covering server times ``t0``..``t1`` (seconds).

        ``fragment`` is one self-contained piece for Media Source Extensions: a WebM initialisation
        segment (EBML header + Segment + Tracks; ``init=True``, ``t0 == t1`` allowed) or one or more
        WebM clusters, or an fMP4 ``moov`` (init) or ``moof``+``mdat`` fragment. Each cluster or
        fragment should start with a keyframe so replay can start there.
        """
        self._check_open()
        check_stream_name(stream)
        if stream == TIMELINE_STREAM:
            raise RecordInputError(f"the stream name {TIMELINE_STREAM!r} is reserved for the timeline")
        if not isinstance(content_type, str) or not CONTENT_TYPE.fullmatch(content_type):
            raise RecordInputError("a content type is 1-255 printable ASCII characters")
        t0_us, t1_us = to_us(t0, "t0"), to_us(t1, "t1")
        if t1_us < t0_us:
            raise RecordInputError("a fragment must not end before it starts (t1 < t0)")
        data = bytes(fragment)
        return self._submit(
            len(data),
            lambda: self._store(
                lambda: self._builder.prepare_media(stream, content_type, data, t0_us, t1_us, init=init)
            ),
        )

    def append_produced(
        self, stream: str, content_type: str, produce: Callable[[], Sequence[Fragment]], *, size: int = 0
    ) -> asyncio.Future[list[ChunkEntry]]:
        """Run ``produce`` on the writer thread and store each fragment it returns as a chunk of ``stream``.

        For work that belongs off the event loop and in order with the record's other chunks, such
        as muxing encoded frames into WebM (:mod:`video_bank.records.webm`). ``size`` counts toward
        the pending-bytes limit until the job is done.
        """
        self._check_open()
        check_stream_name(stream)
        if stream == TIMELINE_STREAM:
            raise RecordInputError(f"the stream name {TIMELINE_STREAM!r} is reserved for the timeline")
        if not isinstance(content_type, str) or not CONTENT_TYPE.fullmatch(content_type):
            raise RecordInputError("a content type is 1-255 printable ASCII characters")

        def store(fragment: Fragment) -> ChunkEntry:
            t0_us, t1_us = to_us(fragment.t0, "t0"), to_us(fragment.t1, "t1")
            return self._store(
                lambda: self._builder.prepare_media(
                    stream, content_type, fragment.data, t0_us, t1_us, init=fragment.init
                )
            )

        def job() -> list[ChunkEntry]:
            return [store(fragment) for fragment in produce()]

        return self._submit(size, job)

    def append_events(self, events: Sequence[TimelineEvent]) -> asyncio.Future[ChunkEntry]:
        """Queue one batch of timeline events (one encrypted chunk)."""
        self._check_open()
        batch = tuple(events)
        if not batch or not all(isinstance(e, TimelineEvent) for e in batch):
            raise RecordInputError("append_events needs a non-empty sequence of TimelineEvent")
        return self._submit(0, lambda: self._store(lambda: self._builder.prepare_timeline(batch)))

    def _check_open(self) -> None:
        if self._seal is not None:
            raise RecordStateError(f"record {self.record_id} is sealed or being sealed")
        if self._failure is not None:
            raise RecordStateError(f"record {self.record_id} stopped after a write error: {self._failure}")

    def _submit(self, size: int, job: Callable[[], T]) -> asyncio.Future[T]:
        if self._pending_bytes + size > self._max_pending:
            error = RecordWriteError(
                f"record {self.record_id}: more than {self._max_pending} bytes wait for the disk"
            )
            self._fail(error)
            raise error
        self._pending_bytes += size
        future = asyncio.wrap_future(self._executor.submit(job), loop=self._loop)
        future.add_done_callback(lambda f: self._stored(f, size))
        return future

    def _store(self, prepare: Callable[[], PreparedChunk]) -> ChunkEntry:
        """On the writer thread: encrypt, write the chunk, append the journal entry, commit."""
        if self._builder.broken:
            raise RecordStateError(f"record {self.record_id} stopped after a write error")
        prepared = prepare()
        try:
            self._handle.write_chunk(prepared.index, prepared.data)
            self._handle.append_journal(prepared.journal)
        except BaseException:
            self._builder.drop(prepared)
            raise
        self._builder.commit(prepared)
        return prepared.entry

    def _stored(self, future: asyncio.Future[Any], size: int) -> None:
        self._pending_bytes -= size
        if future.cancelled():
            return
        error = future.exception()
        if isinstance(error, RecordWriteError):
            self._fail(error)
        elif error is not None and not isinstance(error, RecordError):
            self._fail(RecordWriteError(f"record {self.record_id}: {type(error).__name__}: {error}"))

    def _fail(self, error: RecordError) -> None:
        if self._failure is None:
            self._failure = error
            logger.error("record %s: writing stopped: %s", self.record_id, error)

    # --- sealing -------------------------------------------------------------------------------------

    async def seal(
        self, *, ended_at: float | None = None, summary: Mapping[str, Scalar] | None = None
    ) -> Manifest:
        """Store every queued chunk, erase the data key, and write the signed manifest.

        Idempotent: later calls return the same manifest (their arguments are ignored). After a
        write error the record is sealed with what was stored, marked ``recovered``. If the manifest
        itself cannot be written, :class:`RecordWriteError` is raised, the key is erased anyway and
        the next start-up recovers the record.
        """
        if self._seal is None:
            end_us = to_us(ended_at, "ended_at") if ended_at is not None else None
            checked = check_summary(summary or {})
            failed = self._failure is not None
            self._seal = asyncio.wrap_future(
                self._executor.submit(self._seal_sync, end_us, checked, failed), loop=self._loop
            )
            self._executor.shutdown(wait=False)
            self._seal.add_done_callback(self._sealed)
        return await asyncio.shield(self._seal)

    def _sealed(self, future: asyncio.Future[Manifest]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved here; whoever awaits seal() still gets it
        if self._on_sealed is not None:
            self._on_sealed(self)

    def _seal_sync(self, end_us: int | None, summary: dict[str, Scalar], failed: bool) -> Manifest:
        try:
            if self._builder.broken:
                self._handle.truncate(len(self._builder.entries))
            sealed = self._builder.seal(
                sealed_at_us=to_us(self._clock()), end_us=end_us, summary=summary, write_error=failed
            )
            self._handle.write_seal(sealed.manifest_bytes, sealed.signature)
        finally:
            self._builder.erase_key()
            self._handle.close()
        logger.info(
            "record %s sealed: %d chunks%s",
            self.record_id,
            len(sealed.manifest.chunks),
            " (recovered after a write error)" if sealed.manifest.recovered else "",
        )
        return sealed.manifest


class Recorder:
    """Opens record writers, recovers unsealed records at start-up, seals what is left at shutdown."""

    def __init__(
        self,
        store: RecordStore,
        keyring: KeyRing,
        policy: RetentionPolicy | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_pending_bytes: int = MAX_PENDING_BYTES,
    ) -> None:
        self.store = store
        """Where records are written."""
        self.keyring = keyring
        """Signing key and auditor keys."""
        self.policy = policy or RetentionPolicy()
        """Retention classes by business type."""
        self._clock = clock
        self._max_pending = max_pending_bytes
        self._writers: dict[str, RecordWriter] = {}

    @classmethod
    def local(cls, data_dir: Path, *, clock: Callable[[], float] = time.time) -> Recorder:
        """Records in ``data_dir/records``, keys in ``data_dir/keys``, policy ``data_dir/retention.json``."""
        return cls(
            LocalRecordStore(data_dir / RECORDS_DIR),
            KeyRing(data_dir / KEYS_DIR, clock=clock),
            load_policy(data_dir / RETENTION_FILE),
            clock=clock,
        )

    @property
    def open_writers(self) -> int:
        """Records being written."""
        return len(self._writers)

    async def open(self, session: SessionInfo) -> RecordWriter:
        """Open the record of ``session`` (its id becomes the record id).

        Raises :class:`~video_bank.records.errors.KeyStoreError` when no auditor key is registered
        and :class:`~video_bank.records.errors.RecordExistsError` when the id was used before.
        """

        def create() -> tuple[RecordBuilder, WritableRecord]:
            signer = self.keyring.signer()
            auditors = self.keyring.active_auditors()
            name, period = self.policy.class_for(session.business)
            builder = RecordBuilder.open(
                session,
                opened_at_us=to_us(self._clock()),
                retention=Retention(name=name, period=period),
                auditors=auditors,
                signer=signer,
            )
            try:
                return builder, self.store.create(session.session_id, builder.header_bytes)
            except BaseException:
                builder.erase_key()
                raise

        builder, handle = await asyncio.to_thread(create)
        writer = RecordWriter(
            builder, handle, clock=self._clock, max_pending_bytes=self._max_pending, on_sealed=self._forget
        )
        self._writers[writer.record_id] = writer
        logger.info("record %s opened for %d auditor key(s)", writer.record_id, len(builder.header.wraps))
        return writer

    def _forget(self, writer: RecordWriter) -> None:
        if self._writers.get(writer.record_id) is writer:
            del self._writers[writer.record_id]

    def writer(self, record_id: str) -> RecordWriter | None:
        """The open writer of a record, if any."""
        return self._writers.get(record_id)

    async def recover(self) -> list[RecoveryOutcome]:
        """Seal (as recovered) every unsealed record whose writer died; call once at start-up."""

        def run() -> list[RecoveryOutcome]:
            return recover_all(
                self.store, self.keyring.signer(), self.keyring.trusted_signing_keys(), to_us(self._clock())
            )

        return await asyncio.to_thread(run)

    async def close(self) -> None:
        """Seal every record still open (sessions cut by shutdown), marked ``interrupted`` in the summary."""
        for writer in list(self._writers.values()):
            try:
                await writer.seal(summary={"interrupted": True})
            except RecordError as error:
                logger.error("record %s could not be sealed at shutdown: %s", writer.record_id, error)


def load_policy(path: Path) -> RetentionPolicy:
    """The retention policy in ``path``, or the default (5 years for everything) when it is missing."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RetentionPolicy()
    except OSError as error:
        raise RecordInputError(f"cannot read {path}: {error.strerror}") from None
    try:
        return RetentionPolicy.from_json(data)
    except RecordInputError as error:
        raise RecordInputError(f"{path}: {error}") from None
