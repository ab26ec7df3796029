"""Writing a record, as pure computation: encrypt and chain each chunk, then build the signed manifest.

:class:`RecordBuilder` holds one record's data key from open until seal and turns each fragment or
timeline batch into the exact bytes of a chunk file and of its journal entry. It does no I/O: the
writer (:mod:`video_bank.records.writer`) stores what it returns and tells it when a chunk is durable
(:meth:`RecordBuilder.commit`). Sealing erases the data key; from then on the builder cannot encrypt
or decrypt anything, and neither can anything else in the server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from video_bank.records import chain
from video_bank.records.chunk import (
    KEY_BYTES,
    TIMELINE_CONTENT_TYPE,
    TIMELINE_STREAM,
    ChunkHeader,
    ChunkType,
    encrypt_chunk,
    sha256,
)
from video_bank.records.encoding import check_record_id, check_stream_name
from video_bank.records.errors import KeyStoreError, RecordInputError, RecordStateError
from video_bank.records.keywrap import AuditorKey, wrap_key
from video_bank.records.model import (
    ChunkEntry,
    Manifest,
    RecordHeader,
    Retention,
    Scalar,
    SessionInfo,
    TimelineEvent,
    check_summary,
    encode_timeline_batch,
)
from video_bank.records.signing import Signer, encode_manifest_signature

RECOVERY_CRASH = "crash"
"""``recovery_reason`` of a record sealed at start-up after its writer died."""
RECOVERY_WRITE_ERROR = "write_error"
"""``recovery_reason`` of a record sealed after a chunk could not be written."""


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """An encrypted chunk, ready to be stored, not yet part of the record."""

    entry: ChunkEntry
    """What the manifest will say about it."""
    data: bytes
    """The chunk file."""
    journal: bytes
    """The signed journal entry (136 bytes)."""
    chain: bytes
    """The chain value after this chunk."""

    @property
    def index(self) -> int:
        """The chunk's index."""
        return self.entry.index


@dataclass(frozen=True, slots=True)
class SealedRecord:
    """The result of sealing."""

    manifest: Manifest
    """The manifest as a value."""
    manifest_bytes: bytes
    """The manifest file."""
    signature: bytes
    """The signature file (signing key id, then the Ed25519 signature)."""


class RecordBuilder:
    """One record being written: its data key, chain and chunk list."""

    def __init__(self, header: RecordHeader, data_key: bytearray, signer: Signer) -> None:
        if len(data_key) != KEY_BYTES:
            raise RecordInputError("the data key must be 32 bytes")
        self.header = header
        """The record header."""
        self.header_bytes = header.to_bytes()
        """The header file."""
        self._signer = signer
        self._key: bytearray = data_key
        self._aead: AESGCM | None = AESGCM(data_key)
        self._entries: list[ChunkEntry] = []
        self._chain = chain.genesis(header.record_id, self.header_bytes)
        self._pending: PreparedChunk | None = None
        self._broken = False

    @classmethod
    def open(
        cls,
        session: SessionInfo,
        *,
        opened_at_us: int,
        retention: Retention,
        auditors: Sequence[AuditorKey],
        signer: Signer,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> RecordBuilder:
        """Start a record: draw a random data key and wrap it to every auditor key."""
        if not auditors:
            raise KeyStoreError("no auditor key is registered: nobody could ever open this record")
        data_key = bytearray(random_bytes(KEY_BYTES))
        header = RecordHeader(
            record_id=check_record_id(session.session_id),
            session=session,
            opened_at_us=opened_at_us,
            retention=retention,
            signing_key_id=signer.key_id,
            wraps=tuple(wrap_key(data_key, auditor) for auditor in auditors),
        )
        return cls(header, data_key, signer)

    # --- state --------------------------------------------------------------------------------------

    @property
    def record_id(self) -> str:
        """The record (session) id."""
        return self.header.record_id

    @property
    def entries(self) -> tuple[ChunkEntry, ...]:
        """The committed chunks."""
        return tuple(self._entries)

    @property
    def chain_head(self) -> bytes:
        """The chain value after the last committed chunk."""
        return self._chain

    @property
    def key_erased(self) -> bool:
        """Whether the data key is gone (after seal or :meth:`erase_key`)."""
        return self._aead is None

    @property
    def broken(self) -> bool:
        """Whether a chunk was prepared and then dropped: no more chunks can follow."""
        return self._broken

    # --- chunks -------------------------------------------------------------------------------------

    def prepare_media(
        self, stream: str, content_type: str, payload: bytes, t0_us: int, t1_us: int, *, init: bool = False
    ) -> PreparedChunk:
        """Encrypt one media fragment (or a stream's initialisation segment)."""
        check_stream_name(stream)
        if stream == TIMELINE_STREAM:
            raise RecordInputError(f"the stream name {TIMELINE_STREAM!r} is reserved for timeline batches")
        return self._prepare(ChunkType.MEDIA, stream, content_type, payload, t0_us, t1_us, init)

    def prepare_timeline(self, events: Sequence[TimelineEvent]) -> PreparedChunk:
        """Encrypt one batch of timeline events (at least one)."""
        if not events:
            raise RecordInputError("a timeline batch needs at least one event")
        batch = tuple(events)
        t0 = min(e.at_us for e in batch)
        t1 = max(e.at_us for e in batch)
        return self._prepare(
            ChunkType.TIMELINE,
            TIMELINE_STREAM,
            TIMELINE_CONTENT_TYPE,
            encode_timeline_batch(batch),
            t0,
            t1,
            False,
        )

    def _prepare(
        self,
        chunk_type: ChunkType,
        stream: str,
        content_type: str,
        payload: bytes,
        t0: int,
        t1: int,
        init: bool,
    ) -> PreparedChunk:
        if self._aead is None:
            raise RecordStateError(f"record {self.record_id} is sealed: no more chunks")
        if self._broken:
            raise RecordStateError(f"record {self.record_id} lost a chunk to a write error: no more chunks")
        if self._pending is not None:
            raise RecordStateError("the previous chunk is neither committed nor dropped")
        index = len(self._entries)
        header = ChunkHeader(
            index=index,
            chunk_type=chunk_type,
            stream=stream,
            content_type=content_type,
            t0_us=t0,
            t1_us=t1,
            init=init,
        )
        data = encrypt_chunk(self._aead, self.record_id, header, bytes(payload))
        digest = sha256(data)
        after = chain.link(self._chain, index, digest)
        journal = chain.journal_entry(self._signer, self.record_id, index, digest, after).encode()
        self._pending = PreparedChunk(
            entry=ChunkEntry.of(header, len(data), digest), data=data, journal=journal, chain=after
        )
        return self._pending

    def commit(self, prepared: PreparedChunk) -> None:
        """Make a prepared chunk part of the record (once its file and journal entry are durable)."""
        if prepared is not self._pending:
            raise RecordStateError("only the chunk prepared last can be committed")
        self._entries.append(prepared.entry)
        self._chain = prepared.chain
        self._pending = None

    def drop(self, prepared: PreparedChunk) -> None:
        """Give up a prepared chunk that could not be stored. Its nonce is spent, so the record takes
        no further chunks (the writer seals it as recovered)."""
        if prepared is self._pending:
            self._pending = None
            self._broken = True

    # --- seal ---------------------------------------------------------------------------------------

    def erase_key(self) -> None:
        """Overwrite the data key and drop the cipher (idempotent)."""
        self._aead = None
        self._key[:] = bytes(len(self._key))

    def seal(
        self,
        *,
        sealed_at_us: int,
        end_us: int | None = None,
        summary: Mapping[str, Scalar] | None = None,
        write_error: bool = False,
    ) -> SealedRecord:
        """Erase the data key and build the signed manifest of the committed chunks.

        The manifest is marked recovered (``write_error``) when a chunk was dropped or when the
        caller says writing stopped (``write_error=True``).
        """
        self.erase_key()
        self._pending = None
        return seal_manifest(
            header=self.header,
            header_bytes=self.header_bytes,
            entries=self._entries,
            chain_head=self._chain,
            signer=self._signer,
            sealed_at_us=sealed_at_us,
            end_us=end_us,
            summary=summary or {},
            recovery_reason=RECOVERY_WRITE_ERROR if self._broken or write_error else None,
        )


def seal_manifest(
    *,
    header: RecordHeader,
    header_bytes: bytes,
    entries: Sequence[ChunkEntry],
    chain_head: bytes,
    signer: Signer,
    sealed_at_us: int,
    end_us: int | None,
    summary: Mapping[str, Scalar],
    recovery_reason: str | None,
) -> SealedRecord:
    """The manifest and its signature for a record's header and chunks (also used by recovery)."""
    start = min([header.session.started_at_us, header.opened_at_us, *(e.t0_us for e in entries)])
    end = max([start, *(e.t1_us for e in entries), *(() if end_us is None else (end_us,))])
    manifest = Manifest(
        record_id=header.record_id,
        session=header.session,
        summary=check_summary(summary),
        opened_at_us=header.opened_at_us,
        sealed_at_us=sealed_at_us,
        start_us=start,
        end_us=end,
        retention=header.retention,
        retain_until_us=header.retention.period.until(end),
        recovered=recovery_reason is not None,
        recovery_reason=recovery_reason,
        header_sha256=sha256(header_bytes),
        signing_key_id=signer.key_id,
        auditors=tuple((w.auditor, w.key_id) for w in header.wraps),
        chunks=tuple(entries),
        chain_head=chain_head,
    )
    manifest_bytes = manifest.to_bytes()
    return SealedRecord(
        manifest=manifest,
        manifest_bytes=manifest_bytes,
        signature=encode_manifest_signature(signer, manifest_bytes),
    )
