"""Opening a sealed record with an auditor's private key: unwrap the data key, decrypt chunk by chunk.

:func:`open_record` first verifies the record completely without the key (signature, header, chain,
journal, no extra files) and refuses a record that is not intact. Reading then checks each chunk's
hash again (the file could change between the two reads) and its GCM tag, so no altered byte is
ever returned: a failure raises :class:`RecordIntegrityError` instead of yielding partial data.
"""

from __future__ import annotations

from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from video_bank.records.chunk import KEY_BYTES, ChunkType, decrypt_chunk, parse_chunk, sha256
from video_bank.records.errors import RecordIntegrityError, RecordStateError
from video_bank.records.keywrap import unwrap_key
from video_bank.records.model import ChunkEntry, Manifest, RecordHeader, TimelineEvent, decode_timeline_batch
from video_bank.records.signing import TrustedKeys
from video_bank.records.verify import RecordSource, verify_record


def unwrap_data_key(header: RecordHeader, private_key: rsa.RSAPrivateKey) -> bytearray:
    """The record's data key, unwrapped with an auditor's private key."""
    return unwrap_key(header.wraps, private_key, KEY_BYTES)


class RecordReader:
    """Decrypts the chunks of one verified record."""

    def __init__(self, source: RecordSource, manifest: Manifest, data_key: bytearray) -> None:
        self.source = source
        """Where the chunks are read from."""
        self.manifest = manifest
        """The verified manifest."""
        self._key = data_key
        self._aead: AESGCM | None = AESGCM(data_key)

    def close(self) -> None:
        """Overwrite the data key (idempotent)."""
        self._aead = None
        self._key[:] = bytes(len(self._key))

    def __enter__(self) -> RecordReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def decrypt(self, entry: ChunkEntry) -> bytes:
        """The plaintext of one chunk listed in the manifest."""
        if self._aead is None:
            raise RecordStateError("the reader is closed")
        data = self.source.chunk(entry.index)
        if data is None:
            raise RecordIntegrityError(f"chunk {entry.index} is missing")
        if sha256(data) != entry.sha256:
            raise RecordIntegrityError(
                f"chunk {entry.index} was altered (its hash differs from the manifest's)"
            )
        parsed = parse_chunk(data)
        if not entry.matches(parsed.header):
            raise RecordIntegrityError(f"chunk {entry.index}'s header differs from the manifest")
        return decrypt_chunk(self._aead, self.manifest.record_id, parsed)

    def media(self, stream: str) -> Iterator[tuple[ChunkEntry, bytes]]:
        """One media stream's chunks in order (initialisation segment first, as written)."""
        for entry in self.manifest.chunks:
            if entry.chunk_type is ChunkType.MEDIA and entry.stream == stream:
                yield entry, self.decrypt(entry)

    def timeline(self) -> list[TimelineEvent]:
        """Every timeline event, in the order written."""
        events: list[TimelineEvent] = []
        for entry in self.manifest.chunks:
            if entry.chunk_type is ChunkType.TIMELINE:
                events.extend(decode_timeline_batch(self.decrypt(entry)))
        return events


def open_record(source: RecordSource, trusted: TrustedKeys, private_key: rsa.RSAPrivateKey) -> RecordReader:
    """Verify a sealed record without the key, then unwrap its data key with ``private_key``."""
    manifest = verify_record(source, trusted).raise_for_problems()
    header_bytes = source.header()
    if header_bytes is None or sha256(header_bytes) != manifest.header_sha256:
        raise RecordIntegrityError(f"record {manifest.record_id}: the header changed while it was read")
    header = RecordHeader.parse(header_bytes)
    return RecordReader(source, manifest, unwrap_data_key(header, private_key))
