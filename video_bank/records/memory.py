"""A record held in memory: a :class:`~video_bank.records.verify.RecordSource` over plain bytes.

For tests and tools that build or receive a record's parts without a store (for instance a record
uploaded for checking). :func:`write_in_memory` runs a :class:`~video_bank.records.builder.RecordBuilder`
the way the writer does, but into a :class:`MemoryRecord`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from video_bank.records.builder import PreparedChunk, RecordBuilder, SealedRecord


@dataclass(slots=True)
class MemoryRecord:
    """The files of one record, as bytes."""

    record_id: str
    """The record id."""
    header_file: bytes | None = None
    """``header.json``."""
    journal_file: bytes = b""
    """``chain``."""
    manifest_file: bytes | None = None
    """``manifest.json`` (``None`` until sealed)."""
    signature_file: bytes | None = None
    """``manifest.sig``."""
    chunks: dict[int, bytes] = field(default_factory=dict)
    """Chunk files by index."""
    strays: list[str] = field(default_factory=list)
    """Names of files that do not belong to the format."""

    def header(self) -> bytes | None:
        """The header file."""
        return self.header_file

    def journal(self) -> bytes:
        """The journal file."""
        return self.journal_file

    def manifest(self) -> bytes | None:
        """The manifest file."""
        return self.manifest_file

    def signature(self) -> bytes | None:
        """The signature file."""
        return self.signature_file

    def chunk_indexes(self) -> list[int]:
        """Indexes of the chunks present."""
        return sorted(self.chunks)

    def chunk(self, index: int) -> bytes | None:
        """Chunk ``index``."""
        return self.chunks.get(index)

    def stray_files(self) -> Sequence[str]:
        """Files that do not belong to the format."""
        return list(self.strays)

    def store(self, prepared: PreparedChunk) -> None:
        """Add a prepared chunk and its journal entry (as the writer does)."""
        self.chunks[prepared.index] = prepared.data
        self.journal_file += prepared.journal

    def seal(self, sealed: SealedRecord) -> None:
        """Add the manifest and its signature."""
        self.manifest_file = sealed.manifest_bytes
        self.signature_file = sealed.signature


def start_in_memory(builder: RecordBuilder) -> MemoryRecord:
    """A memory record holding ``builder``'s header."""
    return MemoryRecord(record_id=builder.record_id, header_file=builder.header_bytes)


def write_in_memory(builder: RecordBuilder, prepared: PreparedChunk, record: MemoryRecord) -> None:
    """Store a prepared chunk in ``record`` and commit it."""
    record.store(prepared)
    builder.commit(prepared)
