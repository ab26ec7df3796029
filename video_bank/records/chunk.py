"""One encrypted chunk: a media fragment or a timeline batch, as the bytes of one chunk file.

Layout (all integers big-endian)::

    offset    size  field
    0         4     magic "VBRC"
    4         1     format version (1)
    5         1     chunk type: 1 media fragment, 2 timeline batch
    6         1     flags: bit 0 = initialisation segment (WebM header / fMP4 "moov"); others 0
    7         1     reserved, 0
    8         8     index: position in the record, 0, 1, 2, ... over all streams (u64)
    16        8     t0: server time of the first sample, microseconds since the Unix epoch (i64)
    24        8     t1: server time of the end of the last sample (i64, >= t0)
    32        1     S: length of the stream name (1-64)
    33        S     stream name, ASCII ("customer", "teller", ..., "timeline")
    33+S      1     C: length of the content type (1-255)
    34+S      C     content type, ASCII ("video/webm; codecs=...", "application/json")
    34+S+C    4     N: length of the ciphertext including the 16-byte GCM tag (u32, >= 16)
    38+S+C    N     AES-256-GCM ciphertext || tag

The *chunk header* is bytes ``[0, 38+S+C)``. Encryption is AES-256-GCM with the record's data key,

    nonce = 0x00000000 || index (u64)                         (12 bytes, unique per key)
    aad   = "video_bank.record.chunk/1" 0x00 || len(record_id) (u8) || record_id || chunk header

so a chunk moved to another record, index, stream, type or time range fails authentication.
"""

from __future__ import annotations

import enum
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from video_bank.records.encoding import CONTENT_TYPE, MAX_TIME_US, STREAM_NAME, check_record_id
from video_bank.records.errors import RecordInputError, RecordIntegrityError

MAGIC = b"VBRC"
VERSION = 1
TAG_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
MAX_PAYLOAD_BYTES = 256 * 1024 * 1024
"""Largest plaintext of one chunk (fragments are a few seconds; this only bounds nonsense)."""
AAD_DOMAIN = b"video_bank.record.chunk/1\x00"
TIMELINE_STREAM = "timeline"
TIMELINE_CONTENT_TYPE = "application/json"
FLAG_INIT = 0x01

_FIXED = struct.Struct(">4sBBBBQqq")  # magic, version, type, flags, reserved, index, t0, t1


class ChunkType(enum.IntEnum):
    """What a chunk holds."""

    MEDIA = 1
    """A media fragment (WebM cluster(s), fMP4 fragment, or an initialisation segment)."""
    TIMELINE = 2
    """A batch of timeline events, as JSON."""


@dataclass(frozen=True, slots=True)
class ChunkHeader:
    """The authenticated, unencrypted description of one chunk."""

    index: int
    """Position in the record, counting every chunk of every stream from 0."""
    chunk_type: ChunkType
    """Media fragment or timeline batch."""
    stream: str
    """Stream name; ``timeline`` for timeline batches."""
    content_type: str
    """MIME type of the plaintext."""
    t0_us: int
    """Server time of the first sample, microseconds since the epoch."""
    t1_us: int
    """Server time of the end of the last sample."""
    init: bool = False
    """Whether this is a stream's initialisation segment (needed before any fragment is played)."""

    def __post_init__(self) -> None:
        if not 0 <= self.index < 2**63:
            raise RecordInputError("chunk index out of range")
        if not STREAM_NAME.fullmatch(self.stream):
            raise RecordInputError("a stream name is 1-64 characters of a-z, 0-9, '_' and '-'")
        if (self.chunk_type is ChunkType.TIMELINE) != (self.stream == TIMELINE_STREAM):
            raise RecordInputError(f"the stream name {TIMELINE_STREAM!r} is reserved for timeline batches")
        if not CONTENT_TYPE.fullmatch(self.content_type):
            raise RecordInputError("a content type is 1-255 printable ASCII characters")
        if not (0 <= self.t0_us <= self.t1_us < MAX_TIME_US):
            raise RecordInputError("a chunk's time range must satisfy 0 <= t0 <= t1")
        if self.init and self.chunk_type is not ChunkType.MEDIA:
            raise RecordInputError("only media chunks can be initialisation segments")

    def encode(self, ciphertext_len: int) -> bytes:
        """The header bytes for a ciphertext of ``ciphertext_len`` bytes (tag included)."""
        stream = self.stream.encode("ascii")
        content_type = self.content_type.encode("ascii")
        return b"".join(
            (
                _FIXED.pack(
                    MAGIC,
                    VERSION,
                    int(self.chunk_type),
                    FLAG_INIT if self.init else 0,
                    0,
                    self.index,
                    self.t0_us,
                    self.t1_us,
                ),
                bytes((len(stream),)),
                stream,
                bytes((len(content_type),)),
                content_type,
                struct.pack(">I", ciphertext_len),
            )
        )


@dataclass(frozen=True, slots=True)
class ParsedChunk:
    """A chunk file split into its parts (nothing decrypted yet)."""

    header: ChunkHeader
    """The decoded header."""
    header_bytes: bytes
    """The exact header bytes (part of the associated data)."""
    ciphertext: bytes
    """Ciphertext followed by the 16-byte tag."""


def nonce_for(index: int) -> bytes:
    """The GCM nonce of chunk ``index``: four zero bytes, then the index (deterministic, never reused)."""
    return b"\x00\x00\x00\x00" + struct.pack(">Q", index)


def associated_data(record_id: str, header_bytes: bytes) -> bytes:
    """The GCM associated data: domain, record id and the chunk header."""
    rid = record_id.encode("ascii")
    return AAD_DOMAIN + bytes((len(rid),)) + rid + header_bytes


def sha256(data: bytes) -> bytes:
    """SHA-256 of a chunk file (what enters the hash chain)."""
    return hashlib.sha256(data).digest()


def encrypt_chunk(aead: AESGCM, record_id: str, header: ChunkHeader, plaintext: bytes) -> bytes:
    """The complete chunk file for ``plaintext``."""
    check_record_id(record_id)
    if len(plaintext) > MAX_PAYLOAD_BYTES:
        raise RecordInputError(f"a chunk holds at most {MAX_PAYLOAD_BYTES} bytes")
    header_bytes = header.encode(len(plaintext) + TAG_BYTES)
    ciphertext = aead.encrypt(nonce_for(header.index), plaintext, associated_data(record_id, header_bytes))
    return header_bytes + ciphertext


def parse_chunk(data: bytes) -> ParsedChunk:
    """Split a chunk file; a truncated, padded or malformed file is an integrity error."""
    if len(data) < _FIXED.size + 1:
        raise RecordIntegrityError("chunk is truncated (no complete header)")
    magic, version, chunk_type, flags, reserved, index, t0, t1 = _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise RecordIntegrityError("chunk does not start with the record chunk magic")
    if version != VERSION:
        raise RecordIntegrityError(f"chunk format version {version} is not supported")
    if chunk_type not in (ChunkType.MEDIA, ChunkType.TIMELINE):
        raise RecordIntegrityError(f"chunk type {chunk_type} is unknown")
    if flags & ~FLAG_INIT or reserved:
        raise RecordIntegrityError("chunk has unknown flags set")
    pos = _FIXED.size
    stream_len = data[pos]
    pos += 1
    stream_raw = data[pos : pos + stream_len]
    pos += stream_len
    if len(data) < pos + 1:
        raise RecordIntegrityError("chunk is truncated (in the header)")
    type_len = data[pos]
    pos += 1
    type_raw = data[pos : pos + type_len]
    pos += type_len
    if len(data) < pos + 4 or len(stream_raw) != stream_len or len(type_raw) != type_len:
        raise RecordIntegrityError("chunk is truncated (in the header)")
    (ciphertext_len,) = struct.unpack_from(">I", data, pos)
    pos += 4
    if ciphertext_len < TAG_BYTES:
        raise RecordIntegrityError("chunk ciphertext is shorter than a GCM tag")
    if len(data) < pos + ciphertext_len:
        raise RecordIntegrityError("chunk is truncated (ciphertext shorter than its header says)")
    if len(data) > pos + ciphertext_len:
        raise RecordIntegrityError("chunk has bytes after its ciphertext")
    try:
        header = ChunkHeader(
            index=index,
            chunk_type=ChunkType(chunk_type),
            stream=stream_raw.decode("ascii"),
            content_type=type_raw.decode("ascii"),
            t0_us=t0,
            t1_us=t1,
            init=bool(flags & FLAG_INIT),
        )
    except (RecordInputError, UnicodeDecodeError) as error:
        raise RecordIntegrityError(f"chunk header is invalid: {error}") from None
    return ParsedChunk(header=header, header_bytes=data[:pos], ciphertext=data[pos:])


def decrypt_chunk(aead: AESGCM, record_id: str, parsed: ParsedChunk) -> bytes:
    """The plaintext of a parsed chunk; a failed tag check is an integrity error."""
    try:
        return aead.decrypt(
            nonce_for(parsed.header.index),
            parsed.ciphertext,
            associated_data(record_id, parsed.header_bytes),
        )
    except InvalidTag:
        raise RecordIntegrityError(
            f"chunk {parsed.header.index} fails its authentication tag (altered, or not from this record)"
        ) from None
