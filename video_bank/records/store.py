"""Where records live: the :class:`RecordStore` interface and its local-directory implementation.

The store is blocking I/O; callers run it on worker threads (the writer) or in the CLI. One
directory per record under ``<data dir>/records/``::

    <record id>/
        header.json        record header (session metadata, wrapped data keys), written at open
        chunks/0000000000.chunk, 0000000001.chunk, ...   one file per encrypted chunk
        chain              the signed journal of the hash chain, one 136-byte entry per chunk
        manifest.json      written at seal: the signed manifest (its presence means "sealed")
        manifest.sig       signing key id (32 bytes) + Ed25519 signature (64 bytes)
        legal-hold.json    present while the record is on legal hold (not part of the signed record)
        writer.lock        locked (flock) by the process writing the record, released when it dies
        shredded.json      after a retention sweep shredded the record: all that is left
    retention.log          hash-chained log of legal holds, releases and shredding

Every chunk file is created exclusively (never overwritten: a chunk index, hence a GCM nonce, is
used once) and fsynced with its directory before its journal entry is appended and fsynced; the
header and the seal are written to a temporary file, fsynced and renamed. So after a crash or
``kill -9`` the record holds whole chunks, at most one chunk past the journal, and at most one torn
journal entry; :mod:`video_bank.records.recovery` seals exactly what the journal proves.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from video_bank.records.chain import ENTRY_BYTES
from video_bank.records.encoding import canonical_json, check_record_id, parse_json_object
from video_bank.records.errors import (
    RecordExistsError,
    RecordIntegrityError,
    RecordNotFoundError,
    RecordStateError,
    RecordWriteError,
)
from video_bank.records.retention import log_line
from video_bank.records.verify import RecordSource

logger = logging.getLogger(__name__)

HEADER = "header.json"
CHUNKS = "chunks"
JOURNAL = "chain"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
LEGAL_HOLD = "legal-hold.json"
LOCK = "writer.lock"
TOMBSTONE = "shredded.json"
RETENTION_LOG = "retention.log"
RECORD_FILES = frozenset({HEADER, CHUNKS, JOURNAL, MANIFEST, SIGNATURE, LEGAL_HOLD, LOCK, TOMBSTONE})
CHUNK_NAME = re.compile(r"(\d{10})\.chunk")
TEMP_NAME = re.compile(r"\..+\.tmp")
DIR_MODE = 0o700
FILE_MODE = 0o600


class RecordState(enum.Enum):
    """Where a record is in its life."""

    WRITING = "writing"
    """A live process holds the writer lock."""
    UNSEALED = "unsealed"
    """Not sealed and nobody writes it: its writer died. Start-up recovery seals it."""
    SEALED = "sealed"
    """Has a manifest."""
    SHREDDED = "shredded"
    """Retention expired: keys destroyed, chunks deleted, a tombstone remains."""
    INCOMPLETE = "incomplete"
    """The directory exists without a header: creation was interrupted; it holds no data."""


@dataclass(frozen=True, slots=True)
class LegalHold:
    """A legal hold: the record is kept past its retention until the hold is released."""

    reason: str
    """Why (case number, order)."""
    by: str
    """Who placed it."""
    at_us: int
    """When, microseconds since the epoch."""

    def to_bytes(self) -> bytes:
        """The hold file."""
        return canonical_json({"reason": self.reason, "by": self.by, "at_us": self.at_us})

    @classmethod
    def parse(cls, data: bytes) -> LegalHold:
        """Parse a hold file."""
        obj = parse_json_object(data, "legal hold")
        reason, by, at_us = obj.get("reason"), obj.get("by"), obj.get("at_us")
        if not isinstance(reason, str) or not isinstance(by, str) or not isinstance(at_us, int):
            raise RecordIntegrityError("legal hold file is malformed")
        return cls(reason=reason, by=by, at_us=at_us)


class WritableRecord(Protocol):
    """A record held open for writing; owns the writer lock until :meth:`close`."""

    @property
    def record_id(self) -> str:
        """The record id."""

    def write_chunk(self, index: int, data: bytes) -> None:
        """Store chunk ``index``, durably, never replacing an existing one."""

    def append_journal(self, entry: bytes) -> None:
        """Append one journal entry, durably."""

    def truncate(self, chunk_count: int) -> None:
        """Remove chunk files and journal bytes past the first ``chunk_count`` chunks (before a
        recovered seal: what is removed was never proven to be the server's)."""

    def write_seal(self, manifest: bytes, signature: bytes) -> None:
        """Store the signature and then the manifest, durably; the record is sealed afterwards."""

    def close(self) -> None:
        """Release the writer lock and file handles (idempotent)."""


class RecordStore(Protocol):
    """Storage of records (local directory now; an object store behind the same interface later)."""

    def create(self, record_id: str, header: bytes) -> WritableRecord:
        """Create a record with its header, durably; :class:`RecordExistsError` if the id was used."""

    def claim_unsealed(self, record_id: str) -> WritableRecord | None:
        """Take over an unsealed record whose writer is gone; ``None`` if it is being written or sealed."""

    def record_ids(self) -> list[str]:
        """Every record id, sorted."""

    def state(self, record_id: str) -> RecordState:
        """The record's state; :class:`RecordNotFoundError` for an unknown id."""

    def source(self, record_id: str) -> RecordSource:
        """Read access for verification and decryption."""

    def legal_hold(self, record_id: str) -> LegalHold | None:
        """The record's legal hold, if any."""

    def set_legal_hold(self, record_id: str, hold: LegalHold | None) -> None:
        """Place (or, with ``None``, release) a legal hold."""

    def shred(self, record_id: str, tombstone: bytes) -> None:
        """Destroy the wrapped keys, delete the chunks and everything else, leave ``tombstone``."""

    def tombstone(self, record_id: str) -> bytes | None:
        """A shredded record's tombstone."""

    def append_log(self, entry: Mapping[str, Any]) -> None:
        """Append an entry to the hash-chained retention log, durably."""

    def read_log(self) -> bytes:
        """The retention log."""


# --- local directory -----------------------------------------------------------------------------------


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(directory: Path, name: str, data: bytes) -> None:
    """Write ``directory/name`` through a fsynced temporary file and a rename, then fsync the directory."""
    temp = directory / f".{name}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, directory / name)
    _fsync_dir(directory)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def _os_errors(record_id: str, action: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise RecordWriteError(f"record {record_id}: cannot {action}: {reason}") from error


class LocalRecordSource:
    """:class:`~video_bank.records.verify.RecordSource` over a record directory."""

    def __init__(self, directory: Path, record_id: str) -> None:
        self._dir = directory
        self._id = record_id

    @property
    def record_id(self) -> str:
        """The record id."""
        return self._id

    def header(self) -> bytes | None:
        """The header file."""
        return _read(self._dir / HEADER)

    def journal(self) -> bytes:
        """The journal file."""
        return _read(self._dir / JOURNAL) or b""

    def manifest(self) -> bytes | None:
        """The manifest file."""
        return _read(self._dir / MANIFEST)

    def signature(self) -> bytes | None:
        """The signature file."""
        return _read(self._dir / SIGNATURE)

    def chunk_indexes(self) -> list[int]:
        """Indexes of the chunk files present."""
        try:
            names = os.listdir(self._dir / CHUNKS)
        except FileNotFoundError:
            return []
        return sorted(int(m.group(1)) for name in names if (m := CHUNK_NAME.fullmatch(name)))

    def chunk(self, index: int) -> bytes | None:
        """Chunk file ``index``."""
        return _read(self._dir / CHUNKS / chunk_name(index))

    def chunk_path(self, index: int) -> Path:
        """The file of chunk ``index`` (for serving it over HTTP without reading it into memory)."""
        return self._dir / CHUNKS / chunk_name(index)

    def stray_files(self) -> list[str]:
        """Files that are no part of the format (our own temporary files excepted)."""
        stray = []
        with contextlib.suppress(FileNotFoundError):
            for name in sorted(os.listdir(self._dir)):
                if name not in RECORD_FILES and not TEMP_NAME.fullmatch(name):
                    stray.append(name)
        with contextlib.suppress(FileNotFoundError):
            for name in sorted(os.listdir(self._dir / CHUNKS)):
                if not CHUNK_NAME.fullmatch(name):
                    stray.append(f"{CHUNKS}/{name}")
        return stray


def chunk_name(index: int) -> str:
    """File name of chunk ``index``."""
    return f"{index:010d}.chunk"


class LocalWritableRecord:
    """:class:`WritableRecord` on a record directory; holds its ``writer.lock``."""

    def __init__(self, directory: Path, record_id: str, lock_fd: int) -> None:
        self._dir = directory
        self._id = record_id
        self._lock_fd: int | None = lock_fd
        self._journal_fd: int | None = None

    @property
    def record_id(self) -> str:
        """The record id."""
        return self._id

    def _journal(self) -> int:
        if self._lock_fd is None:
            raise RecordStateError(f"record {self._id} is closed for writing")
        if self._journal_fd is None:
            self._journal_fd = os.open(
                self._dir / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE
            )
        return self._journal_fd

    def write_chunk(self, index: int, data: bytes) -> None:
        """Create, write and fsync the chunk file, then fsync the chunks directory."""
        if self._lock_fd is None:
            raise RecordStateError(f"record {self._id} is closed for writing")
        with _os_errors(self._id, f"write chunk {index}"):
            path = self._dir / CHUNKS / chunk_name(index)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(self._dir / CHUNKS)

    def append_journal(self, entry: bytes) -> None:
        """Append and fdatasync one journal entry."""
        with _os_errors(self._id, "append to the chain journal"):
            fd = self._journal()
            _write_all(fd, entry)
            os.fdatasync(fd)

    def truncate(self, chunk_count: int) -> None:
        """Delete chunk files from ``chunk_count`` on and cut the journal to ``chunk_count`` entries."""
        with _os_errors(self._id, "discard unproven chunks"):
            source = LocalRecordSource(self._dir, self._id)
            for index in source.chunk_indexes():
                if index >= chunk_count:
                    os.unlink(self._dir / CHUNKS / chunk_name(index))
            for name in os.listdir(self._dir):
                if TEMP_NAME.fullmatch(name):
                    os.unlink(self._dir / name)
            _fsync_dir(self._dir / CHUNKS)
            journal = self._dir / JOURNAL
            if journal.exists() and journal.stat().st_size > chunk_count * ENTRY_BYTES:
                os.truncate(journal, chunk_count * ENTRY_BYTES)
                fd = os.open(journal, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def write_seal(self, manifest: bytes, signature: bytes) -> None:
        """Write the signature, then the manifest (whose presence means sealed)."""
        if self._lock_fd is None:
            raise RecordStateError(f"record {self._id} is closed for writing")
        with _os_errors(self._id, "write the manifest"):
            _write_atomic(self._dir, SIGNATURE, signature)
            _write_atomic(self._dir, MANIFEST, manifest)

    def close(self) -> None:
        """Close the journal and release the writer lock."""
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None


class LocalRecordStore:
    """:class:`RecordStore` on a directory, by default ``<data dir>/records``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        """The directory holding one subdirectory per record."""

    def _dir(self, record_id: str) -> Path:
        return self.root / check_record_id(record_id)

    def _existing(self, record_id: str) -> Path:
        directory = self._dir(record_id)
        if not directory.is_dir():
            raise RecordNotFoundError(f"no record {record_id}")
        return directory

    def create(self, record_id: str, header: bytes) -> LocalWritableRecord:
        """Create ``<root>/<id>/`` exclusively, lock it, and write the header durably."""
        directory = self._dir(record_id)
        with _os_errors(record_id, "create the record"):
            self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            try:
                os.mkdir(directory, DIR_MODE)
            except FileExistsError:
                raise RecordExistsError(f"record {record_id} already exists") from None
            lock_fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
                os.mkdir(directory / CHUNKS, DIR_MODE)
                _write_atomic(directory, HEADER, header)
                _fsync_dir(self.root)
            except BaseException:
                os.close(lock_fd)
                raise
        return LocalWritableRecord(directory, record_id, lock_fd)

    def claim_unsealed(self, record_id: str) -> LocalWritableRecord | None:
        """Lock an unsealed record whose writer is gone; ``None`` when it is written or sealed."""
        directory = self._existing(record_id)
        if (directory / MANIFEST).exists() or (directory / TOMBSTONE).exists():
            return None
        with _os_errors(record_id, "lock the record"):
            lock_fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(lock_fd)
                return None
        if (directory / MANIFEST).exists():  # sealed by its writer just before we locked
            os.close(lock_fd)
            return None
        return LocalWritableRecord(directory, record_id, lock_fd)

    def record_ids(self) -> list[str]:
        """Every record directory's name."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        return sorted(
            n for n in names if (self.root / n).is_dir() and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", n)
        )

    def state(self, record_id: str) -> RecordState:
        """The record's state, looking at its files and its writer lock."""
        directory = self._existing(record_id)
        if (directory / TOMBSTONE).exists():
            return RecordState.SHREDDED
        if (directory / MANIFEST).exists():
            return RecordState.SEALED
        if _lock_held(directory / LOCK):
            return RecordState.WRITING
        if not (directory / HEADER).exists():
            return RecordState.INCOMPLETE
        return RecordState.UNSEALED

    def source(self, record_id: str) -> LocalRecordSource:
        """Read access to the record's files."""
        return LocalRecordSource(self._existing(record_id), record_id)

    def legal_hold(self, record_id: str) -> LegalHold | None:
        """The record's legal hold, if any."""
        data = _read(self._existing(record_id) / LEGAL_HOLD)
        return LegalHold.parse(data) if data is not None else None

    def set_legal_hold(self, record_id: str, hold: LegalHold | None) -> None:
        """Write or remove the hold file."""
        directory = self._existing(record_id)
        if (directory / TOMBSTONE).exists():
            raise RecordStateError(f"record {record_id} is shredded")
        with _os_errors(record_id, "change the legal hold"):
            if hold is not None:
                _write_atomic(directory, LEGAL_HOLD, hold.to_bytes())
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(directory / LEGAL_HOLD)
                _fsync_dir(directory)

    def shred(self, record_id: str, tombstone: bytes) -> None:
        """Leave the tombstone, destroy the header (the wrapped keys), then delete everything else."""
        directory = self._existing(record_id)
        with _os_errors(record_id, "shred the record"):
            if not (directory / TOMBSTONE).exists():
                _write_atomic(directory, TOMBSTONE, tombstone)
            header = directory / HEADER
            if header.exists():
                # Overwrite in place first (best effort against reading the freed blocks), then unlink.
                size = header.stat().st_size
                fd = os.open(header, os.O_WRONLY | os.O_CLOEXEC)
                try:
                    _write_all(fd, bytes(size))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.unlink(header)
                _fsync_dir(directory)
            chunks = directory / CHUNKS
            if chunks.is_dir():
                for name in os.listdir(chunks):
                    os.unlink(chunks / name)
                os.rmdir(chunks)
            for name in os.listdir(directory):
                if name != TOMBSTONE:
                    os.unlink(directory / name)
            _fsync_dir(directory)

    def tombstone(self, record_id: str) -> bytes | None:
        """The tombstone of a shredded record."""
        return _read(self._existing(record_id) / TOMBSTONE)

    def append_log(self, entry: Mapping[str, Any]) -> None:
        """Append one line to ``retention.log`` under an exclusive lock, chained to the previous line."""
        with _os_errors("-", "append to the retention log"):
            self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            fd = os.open(
                self.root / RETENTION_LOG, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE
            )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                _write_all(fd, log_line(_last_line(fd), entry) + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)

    def read_log(self) -> bytes:
        """The retention log (empty when nothing was logged yet)."""
        return _read(self.root / RETENTION_LOG) or b""


def _last_line(fd: int) -> bytes | None:
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    tail_size = min(size, 1 << 16)
    tail = os.pread(fd, tail_size, size - tail_size)
    lines = tail.rstrip(b"\n").split(b"\n")
    if len(lines) == 1 and tail_size < size:
        raise RecordIntegrityError("the retention log's last line is longer than 64 KiB")
    return lines[-1]


def _lock_held(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False
