"""Checking a stored record, as pure computation over a :class:`RecordSource`.

:func:`verify_record` needs no key: it checks the manifest's signature, the header's hash, every
chunk file against the manifest and the hash chain, the signed journal, and that nothing was added.
Given the data key it also checks every chunk's GCM tag. :func:`scan_unsealed` finds how much of an
unsealed record (its writer died) is provably what the server wrote, for start-up recovery.

The source is a protocol so the same checks run over a local directory, an object store or bytes in
a test; reading happens in the source, checking here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from video_bank.records import chain
from video_bank.records.chunk import decrypt_chunk, parse_chunk, sha256
from video_bank.records.errors import RecordIntegrityError
from video_bank.records.model import ChunkEntry, Manifest, RecordHeader
from video_bank.records.signing import MANIFEST_DOMAIN, TrustedKeys, signature_valid, split_manifest_signature

MAX_PROBLEMS = 50
"""Problems listed individually; beyond this they are counted."""


class RecordSource(Protocol):
    """Read access to the parts of one stored record."""

    @property
    def record_id(self) -> str:
        """The record id the store filed it under."""

    def header(self) -> bytes | None:
        """The header file, or ``None`` when missing."""

    def journal(self) -> bytes:
        """The journal file (empty when missing)."""

    def manifest(self) -> bytes | None:
        """The manifest file, or ``None`` when the record is not sealed."""

    def signature(self) -> bytes | None:
        """The manifest's signature file, or ``None``."""

    def chunk_indexes(self) -> Sequence[int]:
        """Indexes of the chunk files present, ascending."""

    def chunk(self, index: int) -> bytes | None:
        """Chunk file ``index``, or ``None`` when missing."""

    def stray_files(self) -> Sequence[str]:
        """Names of files that are no part of the format (a record must not have any)."""


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """What :func:`verify_record` found."""

    record_id: str
    """The record checked."""
    sealed: bool
    """Whether it has a manifest at all."""
    problems: tuple[str, ...]
    """Everything wrong, one line each; empty for an intact record."""
    manifest: Manifest | None
    """The manifest, when its signature is valid."""
    chunks_checked: int
    """Chunk files read and compared."""
    tags_checked: bool
    """Whether every chunk's authentication tag was checked too (a data key was given)."""

    @property
    def intact(self) -> bool:
        """Sealed, correctly signed, and nothing altered, missing or added."""
        return self.sealed and self.manifest is not None and not self.problems

    def raise_for_problems(self) -> Manifest:
        """The manifest of an intact record, else :class:`RecordIntegrityError` with every problem."""
        if not self.intact or self.manifest is None:
            first = self.problems[0] if self.problems else "not sealed"
            raise RecordIntegrityError(f"record {self.record_id} is not intact: {first}", self.problems)
        return self.manifest


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.extra = 0

    def add(self, problem: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(problem)
        else:
            self.extra += 1

    def result(self) -> tuple[str, ...]:
        more = (f"... and {self.extra} more problems",) if self.extra else ()
        return (*self.items, *more)


def verify_record(
    source: RecordSource, trusted: TrustedKeys, *, data_key: bytes | bytearray | None = None
) -> VerificationReport:
    """Check a sealed record; see the module docstring."""
    record_id = source.record_id
    problems = _Problems()
    checked = 0

    def report(manifest: Manifest | None, sealed: bool = True) -> VerificationReport:
        return VerificationReport(
            record_id=record_id,
            sealed=sealed,
            problems=problems.result(),
            manifest=manifest,
            chunks_checked=checked,
            tags_checked=data_key is not None and manifest is not None,
        )

    manifest_bytes = source.manifest()
    if manifest_bytes is None:
        problems.add("the record is not sealed (no manifest)")
        return report(None, sealed=False)
    manifest = _signed_manifest(manifest_bytes, source.signature(), trusted, problems)
    if manifest is None:
        return report(None)
    if manifest.record_id != record_id:
        problems.add(f"the manifest belongs to record {manifest.record_id!r}, not this one")
    for stray in source.stray_files():
        problems.add(f"unexpected file {stray!r} in the record")

    header_bytes = source.header()
    header: RecordHeader | None = None
    if header_bytes is None:
        problems.add("the header (with the wrapped keys) is missing")
    elif sha256(header_bytes) != manifest.header_sha256:
        problems.add("the header was altered (its hash differs from the manifest's)")
    else:
        header = RecordHeader.parse(header_bytes)  # authenticated by the manifest: a failure is our bug
        if header.session != manifest.session or header.record_id != manifest.record_id:
            problems.add("the header and the manifest describe different sessions")

    # Links from the manifest's own chunk hashes: the chain head and the journal must match them.
    genesis = chain.genesis(record_id, header_bytes or b"")
    links: list[bytes] = []
    running = genesis
    for position, entry in enumerate(manifest.chunks):
        if entry.index != position:
            problems.add(f"manifest chunk list is out of order at position {position}")
        running = chain.link(running, position, entry.sha256)
        links.append(running)
    if header_bytes is not None and running != manifest.chain_head:
        problems.add("the manifest's chain head does not match its chunk list")

    aead = AESGCM(data_key) if data_key is not None else None
    for position, entry in enumerate(manifest.chunks):
        data = source.chunk(position)
        checked += 1
        if data is None:
            problems.add(f"chunk {position} is missing")
            continue
        _check_chunk(record_id, position, entry, data, aead, problems)
    present = set(source.chunk_indexes())
    extra = sorted(present - set(range(len(manifest.chunks))))
    if extra:
        problems.add(f"chunk file(s) not in the manifest: {', '.join(map(str, extra[:10]))}")

    _check_journal(record_id, source.journal(), manifest.chunks, links, header, trusted, problems)
    return report(manifest)


def signed_manifest(source: RecordSource, trusted: TrustedKeys) -> Manifest:
    """The manifest of a sealed record after checking its signature only (no chunk is read)."""
    problems = _Problems()
    manifest_bytes = source.manifest()
    if manifest_bytes is None:
        raise RecordIntegrityError(f"record {source.record_id} is not sealed")
    manifest = _signed_manifest(manifest_bytes, source.signature(), trusted, problems)
    if manifest is not None and manifest.record_id != source.record_id:
        problems.add(f"the manifest belongs to record {manifest.record_id!r}, not this one")
    if manifest is None or problems.items:
        raise RecordIntegrityError(f"record {source.record_id}: {problems.items[0]}", problems.result())
    return manifest


def _signed_manifest(
    manifest_bytes: bytes, signature_file: bytes | None, trusted: TrustedKeys, problems: _Problems
) -> Manifest | None:
    split = split_manifest_signature(signature_file) if signature_file is not None else None
    if split is None:
        problems.add("the manifest signature is missing or malformed")
        return None
    key_id, signature = split
    key = trusted.get(key_id)
    if key is None:
        problems.add(f"the manifest is signed by an unknown key ({key_id[:16]}...)")
        return None
    if not signature_valid(key, MANIFEST_DOMAIN, manifest_bytes, signature):
        problems.add("the manifest signature is invalid (manifest or signature altered)")
        return None
    try:
        manifest = Manifest.parse(manifest_bytes)
    except RecordIntegrityError as error:
        problems.add(f"the signed manifest is malformed: {error}")
        return None
    if manifest.signing_key_id != key_id:
        problems.add("the manifest names another signing key than the one that signed it")
    return manifest


def _check_chunk(
    record_id: str, position: int, entry: ChunkEntry, data: bytes, aead: AESGCM | None, problems: _Problems
) -> None:
    if len(data) != entry.size:
        problems.add(
            f"chunk {position} has {len(data)} bytes, the manifest says {entry.size} (truncated or padded)"
        )
    if sha256(data) != entry.sha256:
        problems.add(f"chunk {position} was altered (its hash differs from the manifest's)")
    try:
        parsed = parse_chunk(data)
    except RecordIntegrityError as error:
        problems.add(f"chunk {position}: {error}")
        return
    if not entry.matches(parsed.header):
        problems.add(f"chunk {position}'s header differs from the manifest (moved or relabelled)")
    if aead is not None:
        try:
            decrypt_chunk(aead, record_id, parsed)
        except RecordIntegrityError as error:
            problems.add(str(error))


def _check_journal(
    record_id: str,
    data: bytes,
    entries: tuple[ChunkEntry, ...],
    links: list[bytes],
    header: RecordHeader | None,
    trusted: TrustedKeys,
    problems: _Problems,
) -> None:
    journal = chain.parse_journal(data)
    if journal.torn_bytes:
        problems.add(f"the chain journal has {journal.torn_bytes} stray bytes at its end")
    if len(journal.entries) != len(entries):
        problems.add(f"the chain journal has {len(journal.entries)} entries for {len(entries)} chunks")
    key = trusted.get(header.signing_key_id) if header is not None else None
    if header is not None and key is None:
        problems.add(f"the journal's signing key ({header.signing_key_id[:16]}...) is not trusted")
    for position, (je, entry, expected) in enumerate(zip(journal.entries, entries, links, strict=False)):
        if je.index != position or je.chunk_sha256 != entry.sha256 or je.chain != expected:
            problems.add(f"chain journal entry {position} does not match the chunk list")
        elif key is not None and not je.signature_valid(record_id, key):
            problems.add(f"chain journal entry {position} has an invalid signature")


@dataclass(frozen=True, slots=True)
class UnsealedScan:
    """How much of an unsealed record is provably the server's writing."""

    header: RecordHeader
    """The record's header."""
    header_bytes: bytes
    """The header file."""
    entries: tuple[ChunkEntry, ...]
    """Chunks with a valid signed journal entry and a matching file, from index 0 on."""
    chain_head: bytes
    """The chain value after the last of ``entries``."""
    discard_chunks: tuple[int, ...]
    """Chunk files past the journal: written, but the crash came before their journal entry."""
    torn_journal_bytes: int
    """Bytes of a partial journal entry at the end."""
    problems: tuple[str, ...]
    """Signs of tampering or corruption; recovery must not seal a record with any."""


def scan_unsealed(source: RecordSource, trusted: TrustedKeys) -> UnsealedScan | None:
    """Scan an unsealed record; ``None`` when it has no header (its creation never completed)."""
    record_id = source.record_id
    header_bytes = source.header()
    if header_bytes is None:
        return None
    header = RecordHeader.parse(header_bytes)
    problems = _Problems()
    if header.record_id != record_id:
        problems.add(f"the header belongs to record {header.record_id!r}, not this one")
    for stray in source.stray_files():
        problems.add(f"unexpected file {stray!r} in the record")
    key = trusted.get(header.signing_key_id)
    if key is None:
        problems.add(f"the journal's signing key ({header.signing_key_id[:16]}...) is not trusted")
    journal = chain.parse_journal(source.journal())
    entries: list[ChunkEntry] = []
    running = chain.genesis(record_id, header_bytes)
    for position, je in enumerate(journal.entries):
        if key is None:
            break
        if je.index != position or not je.signature_valid(record_id, key):
            problems.add(f"chain journal entry {position} is not signed by the server")
            break
        if je.chain != chain.link(running, position, je.chunk_sha256):
            problems.add(f"chain journal entry {position} does not continue the chain")
            break
        data = source.chunk(position)
        if data is None or sha256(data) != je.chunk_sha256:
            problems.add(
                f"chunk {position} is {'missing' if data is None else 'altered'} since it was written"
            )
            break
        try:
            parsed = parse_chunk(data)
        except RecordIntegrityError as error:
            problems.add(f"chunk {position}: {error}")
            break
        if parsed.header.index != position:
            problems.add(f"chunk {position}'s header names index {parsed.header.index}")
            break
        entries.append(ChunkEntry.of(parsed.header, len(data), je.chunk_sha256))
        running = je.chain
    beyond = tuple(i for i in source.chunk_indexes() if i >= len(entries))
    if not problems.items and beyond and beyond != (len(entries),):
        # The writer stores chunk i, then journal entry i, then chunk i+1: at most one file is ahead.
        problems.add(f"chunk file(s) {', '.join(map(str, beyond[:10]))} are past the journal")
    return UnsealedScan(
        header=header,
        header_bytes=header_bytes,
        entries=tuple(entries),
        chain_head=running,
        discard_chunks=beyond,
        torn_journal_bytes=journal.torn_bytes,
        problems=problems.result(),
    )
