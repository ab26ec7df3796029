"""The hash chain over a record's encrypted chunks, and its signed journal.

::

    genesis   = SHA-256("video_bank.record.chain/1" 0x00 || len(record_id) (u8) || record_id
                        || SHA-256(header file))
    link(i)   = SHA-256(link(i-1) || i (u64) || SHA-256(chunk file i))        link(-1) = genesis

The chain head (the last link) goes into the signed manifest, so removing, reordering, replacing or
appending a chunk changes it. While the record is being written, every link is also appended to the
*journal* (``chain`` file), one fixed-size entry per chunk, each signed by the server::

    offset  size  field
    0       8     index (u64)
    8       32    SHA-256 of the chunk file
    40      32    link(index)
    72      64    Ed25519 signature over "video_bank.record.journal/1" 0x00 || len(record_id) (u8)
                  || record_id || index (u64) || link(index)

Signed entries let start-up recovery seal what was written before a crash without trusting files
that anyone with disk access could have changed meanwhile. A partial last entry (a torn write) is
recognised by the file length.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from video_bank.records.errors import RecordIntegrityError
from video_bank.records.signing import JOURNAL_DOMAIN, Signer, signature_valid

CHAIN_DOMAIN = b"video_bank.record.chain/1\x00"
ENTRY_BYTES = 8 + 32 + 32 + 64
_INDEX = struct.Struct(">Q")


def _id_bytes(record_id: str) -> bytes:
    rid = record_id.encode("ascii")
    return bytes((len(rid),)) + rid


def genesis(record_id: str, header_bytes: bytes) -> bytes:
    """The chain's starting value, binding the record id and its header (wrapped keys included)."""
    return hashlib.sha256(
        CHAIN_DOMAIN + _id_bytes(record_id) + hashlib.sha256(header_bytes).digest()
    ).digest()


def link(previous: bytes, index: int, chunk_sha256: bytes) -> bytes:
    """The chain value after chunk ``index``."""
    return hashlib.sha256(previous + _INDEX.pack(index) + chunk_sha256).digest()


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One decoded journal entry."""

    index: int
    """Chunk index."""
    chunk_sha256: bytes
    """SHA-256 of the chunk file."""
    chain: bytes
    """The chain value after this chunk."""
    signature: bytes
    """The server's signature over the record id, index and chain value."""

    def encode(self) -> bytes:
        """The 136 bytes of this entry."""
        return _INDEX.pack(self.index) + self.chunk_sha256 + self.chain + self.signature

    def signature_valid(self, record_id: str, key: Ed25519PublicKey) -> bool:
        """Whether the entry was signed by ``key`` for ``record_id``."""
        return signature_valid(
            key, JOURNAL_DOMAIN, _signed(record_id, self.index, self.chain), self.signature
        )


def _signed(record_id: str, index: int, chain: bytes) -> bytes:
    return _id_bytes(record_id) + _INDEX.pack(index) + chain


def journal_entry(
    signer: Signer, record_id: str, index: int, chunk_sha256: bytes, chain: bytes
) -> JournalEntry:
    """A signed journal entry."""
    signature = signer.sign(JOURNAL_DOMAIN, _signed(record_id, index, chain))
    return JournalEntry(index=index, chunk_sha256=chunk_sha256, chain=chain, signature=signature)


@dataclass(frozen=True, slots=True)
class Journal:
    """A journal file split into entries."""

    entries: tuple[JournalEntry, ...]
    """The complete entries, in file order."""
    torn_bytes: int
    """Bytes of a partial entry at the end (a write cut short by a crash), 0 normally."""


def parse_journal(data: bytes) -> Journal:
    """Split a journal file into entries; decoding alone never fails, checking is the verifier's job."""
    whole, torn = divmod(len(data), ENTRY_BYTES)
    entries = []
    for n in range(whole):
        raw = data[n * ENTRY_BYTES : (n + 1) * ENTRY_BYTES]
        (index,) = _INDEX.unpack_from(raw)
        entries.append(
            JournalEntry(index=index, chunk_sha256=raw[8:40], chain=raw[40:72], signature=raw[72:])
        )
    return Journal(entries=tuple(entries), torn_bytes=torn)


def require(condition: bool, problem: str) -> None:
    """Raise :class:`RecordIntegrityError` with ``problem`` unless ``condition``."""
    if not condition:
        raise RecordIntegrityError(problem)
