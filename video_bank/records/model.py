"""The values of the record format: session metadata, timeline events, the header and the manifest.

Each value has a canonical JSON form (:func:`~video_bank.records.encoding.canonical_json`) and a
strict parser that raises :class:`~video_bank.records.errors.RecordIntegrityError` for anything it
would not itself have written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from video_bank.records.chunk import ChunkHeader, ChunkType
from video_bank.records.encoding import (
    MAX_TIME_US,
    b64decode,
    b64encode,
    canonical_json,
    check_auditor_name,
    check_record_id,
    hex_digest,
    parse_json_object,
    to_us,
)
from video_bank.records.errors import RecordInputError, RecordIntegrityError
from video_bank.records.keywrap import KeyWrap
from video_bank.records.retention import RetentionPeriod

FORMAT = "video_bank.record/1"
CIPHER = "AES-256-GCM"
LABEL_KEY = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
MAX_LABELS = 32
MAX_TEXT = 256

Scalar = str | int | float | bool | None
"""A summary value."""


def _check_text(value: Any, what: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise RecordInputError(f"{what} must be a string of 1-{MAX_TEXT} characters")


def _check_mapping(values: Mapping[str, Any], what: str, *, scalars: bool) -> dict[str, Any]:
    if len(values) > MAX_LABELS:
        raise RecordInputError(f"{what}: at most {MAX_LABELS} entries")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not LABEL_KEY.fullmatch(key):
            raise RecordInputError(f"{what}: key {key!r} must be 1-64 characters of a-z, 0-9 and '_'")
        if scalars:
            ok = value is None or isinstance(value, bool | int | float | str)
            if not ok or (isinstance(value, str) and len(value) > MAX_TEXT):
                raise RecordInputError(f"{what}: {key!r} must be a string, number, boolean or null")
        else:
            _check_text(value, f"{what}: {key!r}")
        out[key] = value
    canonical_json(out)  # rejects NaN and infinities
    return out


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What the server knows about a session when its record opens; stored unencrypted for search."""

    session_id: str
    """The session id, which is also the record id."""
    business: str
    """Business type (``activation``, ``password_reset``, ...); chooses the retention class."""
    started_at_us: int
    """Server time the session started, microseconds since the epoch."""
    teller: str | None = None
    """Teller account name."""
    customer_id: str | None = None
    """The bank's customer id, when known (searchable by auditors)."""
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Further searchable metadata, never secrets: keys of a-z, 0-9 and '_', string values."""

    def __post_init__(self) -> None:
        check_record_id(self.session_id)
        _check_text(self.business, "business")
        _check_text(self.teller, "teller", optional=True)
        _check_text(self.customer_id, "customer_id", optional=True)
        if not isinstance(self.started_at_us, int) or not 0 <= self.started_at_us < MAX_TIME_US:
            raise RecordInputError("started_at_us is out of range")
        object.__setattr__(
            self, "labels", MappingProxyType(_check_mapping(self.labels, "labels", scalars=False))
        )

    @classmethod
    def of(
        cls,
        session_id: str,
        business: str,
        started_at: float,
        *,
        teller: str | None = None,
        customer_id: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> SessionInfo:
        """Build from ``time.time()``-style seconds."""
        return cls(
            session_id=session_id,
            business=business,
            started_at_us=to_us(started_at, "started_at"),
            teller=teller,
            customer_id=customer_id,
            labels=labels or {},
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored in the header and the manifest."""
        return {
            "session_id": self.session_id,
            "business": self.business,
            "started_at_us": self.started_at_us,
            "teller": self.teller,
            "customer_id": self.customer_id,
            "labels": dict(self.labels),
        }

    @classmethod
    def from_json(cls, value: Any) -> SessionInfo:
        """Parse what :meth:`to_json` wrote."""
        obj = _object(
            value, "session", {"session_id", "business", "started_at_us", "teller", "customer_id", "labels"}
        )
        labels = obj["labels"]
        if not isinstance(labels, dict):
            raise RecordIntegrityError("session.labels is not an object")
        try:
            return cls(
                session_id=obj["session_id"],
                business=obj["business"],
                started_at_us=_int(obj["started_at_us"], "session.started_at_us"),
                teller=obj["teller"],
                customer_id=obj["customer_id"],
                labels=labels,
            )
        except RecordInputError as error:
            raise RecordIntegrityError(f"session metadata is invalid: {error}") from None


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One entry of a session's timeline, on the server clock."""

    at_us: int
    """Server time, microseconds since the epoch."""
    kind: str
    """Event type, e.g. ``session_started``, ``verification_decision``, ``cobrowse_step``."""
    actor: str | None = None
    """Who caused it (account name, ``customer``, ``server``), if anyone."""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Event details; any JSON object (masked where the event carries personal input)."""

    def __post_init__(self) -> None:
        if not isinstance(self.at_us, int) or not 0 <= self.at_us < MAX_TIME_US:
            raise RecordInputError("event time is out of range")
        _check_text(self.kind, "event kind")
        _check_text(self.actor, "event actor", optional=True)
        if not isinstance(self.data, Mapping):
            raise RecordInputError("event data must be an object")
        canonical_json(dict(self.data))  # rejects what JSON cannot hold

    @classmethod
    def of(
        cls, at: float, kind: str, actor: str | None = None, data: Mapping[str, Any] | None = None
    ) -> TimelineEvent:
        """Build from ``time.time()``-style seconds (e.g. from a stored event-log row)."""
        return cls(at_us=to_us(at, "event time"), kind=kind, actor=actor, data=data or {})

    def to_json(self) -> dict[str, Any]:
        """The event as stored inside an encrypted timeline batch."""
        return {"at_us": self.at_us, "kind": self.kind, "actor": self.actor, "data": dict(self.data)}

    @classmethod
    def from_json(cls, value: Any) -> TimelineEvent:
        """Parse what :meth:`to_json` wrote."""
        obj = _object(value, "timeline event", {"at_us", "kind", "actor", "data"})
        if not isinstance(obj["data"], dict):
            raise RecordIntegrityError("timeline event data is not an object")
        try:
            return cls(
                at_us=_int(obj["at_us"], "event at_us"),
                kind=obj["kind"],
                actor=obj["actor"],
                data=obj["data"],
            )
        except RecordInputError as error:
            raise RecordIntegrityError(f"timeline event is invalid: {error}") from None


def encode_timeline_batch(events: tuple[TimelineEvent, ...]) -> bytes:
    """The plaintext of a timeline chunk: ``{"events": [...]}`` as canonical JSON."""
    return canonical_json({"events": [e.to_json() for e in events]})


def decode_timeline_batch(data: bytes) -> list[TimelineEvent]:
    """Parse a decrypted timeline chunk."""
    obj = _object(parse_json_object(data, "timeline batch"), "timeline batch", {"events"})
    events = obj["events"]
    if not isinstance(events, list):
        raise RecordIntegrityError("timeline batch events is not a list")
    return [TimelineEvent.from_json(e) for e in events]


@dataclass(frozen=True, slots=True)
class Retention:
    """A record's retention class and period, fixed when the record opens."""

    name: str
    """Class name (``standard``)."""
    period: RetentionPeriod
    """How long after the session's end."""

    def to_json(self) -> dict[str, Any]:
        """``{"class": name, "years": y, "days": d}``."""
        return {"class": self.name} | self.period.to_json()

    @classmethod
    def from_json(cls, value: Any) -> Retention:
        """Parse what :meth:`to_json` wrote."""
        obj = _object(value, "retention", {"class", "years", "days"})
        try:
            period = RetentionPeriod(years=obj["years"], days=obj["days"])
        except RecordInputError as error:
            raise RecordIntegrityError(f"retention is invalid: {error}") from None
        return cls(name=_str(obj["class"], "retention class"), period=period)


@dataclass(frozen=True, slots=True)
class RecordHeader:
    """Written when a record opens: what the record is, who can open it, which key signs it."""

    record_id: str
    """Equal to the session id."""
    session: SessionInfo
    """Session metadata at open."""
    opened_at_us: int
    """Server time the record opened."""
    retention: Retention
    """Retention class and period."""
    signing_key_id: str
    """Key id of the Ed25519 key that signs the journal (and, normally, the manifest)."""
    wraps: tuple[KeyWrap, ...]
    """The data key wrapped to each auditor key configured at open."""

    def to_bytes(self) -> bytes:
        """The header file: canonical JSON."""
        return canonical_json(
            {
                "format": FORMAT,
                "record_id": self.record_id,
                "session": self.session.to_json(),
                "opened_at_us": self.opened_at_us,
                "retention": self.retention.to_json(),
                "cipher": CIPHER,
                "signing_key_id": self.signing_key_id,
                "key_wraps": [
                    {
                        "auditor": w.auditor,
                        "key_id": w.key_id,
                        "algorithm": w.algorithm,
                        "wrapped": b64encode(w.wrapped),
                    }
                    for w in self.wraps
                ],
            }
        )

    @classmethod
    def parse(cls, data: bytes) -> RecordHeader:
        """Parse a header file."""
        obj = _object(
            parse_json_object(data, "record header"),
            "record header",
            {
                "format",
                "record_id",
                "session",
                "opened_at_us",
                "retention",
                "cipher",
                "signing_key_id",
                "key_wraps",
            },
        )
        if obj["format"] != FORMAT or obj["cipher"] != CIPHER:
            raise RecordIntegrityError(f"record header is not {FORMAT} with {CIPHER}")
        wraps_raw = obj["key_wraps"]
        if not isinstance(wraps_raw, list):
            raise RecordIntegrityError("record header key_wraps is not a list")
        wraps = []
        for raw in wraps_raw:
            w = _object(raw, "key wrap", {"auditor", "key_id", "algorithm", "wrapped"})
            hex_digest(w["key_id"], "key wrap key_id")
            try:
                check_auditor_name(w["auditor"])
            except RecordInputError:
                raise RecordIntegrityError("key wrap auditor name is invalid") from None
            wraps.append(
                KeyWrap(
                    auditor=w["auditor"],
                    key_id=w["key_id"],
                    algorithm=_str(w["algorithm"], "key wrap algorithm"),
                    wrapped=b64decode(_str(w["wrapped"], "wrapped key"), "wrapped key"),
                )
            )
        record_id = _str(obj["record_id"], "record id")
        session = SessionInfo.from_json(obj["session"])
        if session.session_id != record_id:
            raise RecordIntegrityError("record header: record id and session id differ")
        hex_digest(obj["signing_key_id"], "signing key id")
        return cls(
            record_id=record_id,
            session=session,
            opened_at_us=_int(obj["opened_at_us"], "opened_at_us"),
            retention=Retention.from_json(obj["retention"]),
            signing_key_id=obj["signing_key_id"],
            wraps=tuple(wraps),
        )


@dataclass(frozen=True, slots=True)
class ChunkEntry:
    """One chunk as the manifest lists it."""

    index: int
    """Position in the record."""
    chunk_type: ChunkType
    """Media fragment or timeline batch."""
    stream: str
    """Stream name."""
    content_type: str
    """MIME type of the plaintext."""
    t0_us: int
    """Server time of the first sample."""
    t1_us: int
    """Server time of the end of the last sample."""
    init: bool
    """Whether it is an initialisation segment."""
    size: int
    """Bytes of the chunk file."""
    sha256: bytes
    """SHA-256 of the chunk file."""

    @classmethod
    def of(cls, header: ChunkHeader, size: int, sha256: bytes) -> ChunkEntry:
        """The entry for a chunk with ``header``."""
        return cls(
            index=header.index,
            chunk_type=header.chunk_type,
            stream=header.stream,
            content_type=header.content_type,
            t0_us=header.t0_us,
            t1_us=header.t1_us,
            init=header.init,
            size=size,
            sha256=sha256,
        )

    def matches(self, header: ChunkHeader) -> bool:
        """Whether a chunk file's header says what this entry says."""
        return (
            header.index == self.index
            and header.chunk_type is self.chunk_type
            and header.stream == self.stream
            and header.content_type == self.content_type
            and header.t0_us == self.t0_us
            and header.t1_us == self.t1_us
            and header.init == self.init
        )

    def to_json(self) -> dict[str, Any]:
        """The manifest's JSON for this chunk."""
        return {
            "index": self.index,
            "type": "media" if self.chunk_type is ChunkType.MEDIA else "timeline",
            "stream": self.stream,
            "content_type": self.content_type,
            "t0_us": self.t0_us,
            "t1_us": self.t1_us,
            "init": self.init,
            "size": self.size,
            "sha256": self.sha256.hex(),
        }

    @classmethod
    def from_json(cls, value: Any) -> ChunkEntry:
        """Parse what :meth:`to_json` wrote."""
        obj = _object(
            value,
            "chunk entry",
            {"index", "type", "stream", "content_type", "t0_us", "t1_us", "init", "size", "sha256"},
        )
        types = {"media": ChunkType.MEDIA, "timeline": ChunkType.TIMELINE}
        if obj["type"] not in types or not isinstance(obj["init"], bool):
            raise RecordIntegrityError("chunk entry type or init flag is invalid")
        return cls(
            index=_int(obj["index"], "chunk index"),
            chunk_type=types[obj["type"]],
            stream=_str(obj["stream"], "chunk stream"),
            content_type=_str(obj["content_type"], "chunk content type"),
            t0_us=_int(obj["t0_us"], "chunk t0_us"),
            t1_us=_int(obj["t1_us"], "chunk t1_us"),
            init=obj["init"],
            size=_int(obj["size"], "chunk size"),
            sha256=hex_digest(obj["sha256"], "chunk sha256"),
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    """Written at seal and signed: everything needed to verify the record and to find its parts."""

    record_id: str
    """Equal to the session id."""
    session: SessionInfo
    """Session metadata at open."""
    summary: Mapping[str, Scalar]
    """Facts known only at the end (outcome, verification result), for search."""
    opened_at_us: int
    """When the record opened."""
    sealed_at_us: int
    """When it was sealed."""
    start_us: int
    """Start of the recorded time range."""
    end_us: int
    """End of the recorded time range (the session's end)."""
    retention: Retention
    """Retention class and period."""
    retain_until_us: int
    """When the retention sweep may shred the record (unless on legal hold)."""
    recovered: bool
    """Sealed by start-up recovery (or after a write error) with what had been written."""
    recovery_reason: str | None
    """Why it was recovered: ``crash`` or ``write_error``; ``None`` for a normal seal."""
    header_sha256: bytes
    """SHA-256 of the header file (which holds the wrapped keys)."""
    signing_key_id: str
    """Key id of the Ed25519 key that signed this manifest."""
    auditors: tuple[tuple[str, str], ...]
    """(auditor name, key id) of every wrapped key, for display."""
    chunks: tuple[ChunkEntry, ...]
    """Every chunk, in index order 0..n-1."""
    chain_head: bytes
    """The last link of the hash chain (the genesis value when there are no chunks)."""

    def to_bytes(self) -> bytes:
        """The manifest file: canonical JSON (the signature covers exactly these bytes)."""
        return canonical_json(
            {
                "format": FORMAT,
                "record_id": self.record_id,
                "session": self.session.to_json(),
                "summary": dict(self.summary),
                "opened_at_us": self.opened_at_us,
                "sealed_at_us": self.sealed_at_us,
                "time_range": {"start_us": self.start_us, "end_us": self.end_us},
                "retention": self.retention.to_json() | {"retain_until_us": self.retain_until_us},
                "recovered": self.recovered,
                "recovery_reason": self.recovery_reason,
                "header_sha256": self.header_sha256.hex(),
                "signing_key_id": self.signing_key_id,
                "auditors": [{"name": name, "key_id": key_id} for name, key_id in self.auditors],
                "chunk_count": len(self.chunks),
                "chunks": [c.to_json() for c in self.chunks],
                "chain_head": self.chain_head.hex(),
            }
        )

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        """Parse a manifest file (after its signature was checked)."""
        obj = _object(
            parse_json_object(data, "manifest"),
            "manifest",
            {
                "format", "record_id", "session", "summary", "opened_at_us", "sealed_at_us", "time_range",
                "retention", "recovered", "recovery_reason", "header_sha256", "signing_key_id", "auditors",
                "chunk_count", "chunks", "chain_head",
            },
        )  # fmt: skip
        if obj["format"] != FORMAT:
            raise RecordIntegrityError(f"manifest is not {FORMAT}")
        time_range = _object(obj["time_range"], "time range", {"start_us", "end_us"})
        retention_raw = obj["retention"]
        if not isinstance(retention_raw, dict) or "retain_until_us" not in retention_raw:
            raise RecordIntegrityError("manifest retention has no retain_until_us")
        retention_raw = dict(retention_raw)
        retain_until = _int(retention_raw.pop("retain_until_us"), "retain_until_us")
        summary = obj["summary"]
        if not isinstance(summary, dict):
            raise RecordIntegrityError("manifest summary is not an object")
        try:
            summary = _check_mapping(summary, "summary", scalars=True)
        except RecordInputError as error:
            raise RecordIntegrityError(str(error)) from None
        if not isinstance(obj["recovered"], bool):
            raise RecordIntegrityError("manifest recovered is not a boolean")
        reason = obj["recovery_reason"]
        if reason is not None and not isinstance(reason, str):
            raise RecordIntegrityError("manifest recovery_reason is not a string")
        auditors_raw = obj["auditors"]
        chunks_raw = obj["chunks"]
        if not isinstance(auditors_raw, list) or not isinstance(chunks_raw, list):
            raise RecordIntegrityError("manifest auditors and chunks must be lists")
        auditors = []
        for raw in auditors_raw:
            a = _object(raw, "auditor", {"name", "key_id"})
            hex_digest(a["key_id"], "auditor key id")
            auditors.append((_str(a["name"], "auditor name"), a["key_id"]))
        chunks = tuple(ChunkEntry.from_json(c) for c in chunks_raw)
        if _int(obj["chunk_count"], "chunk_count") != len(chunks):
            raise RecordIntegrityError("manifest chunk_count does not match its chunk list")
        hex_digest(obj["signing_key_id"], "signing key id")
        session = SessionInfo.from_json(obj["session"])
        record_id = _str(obj["record_id"], "record id")
        if session.session_id != record_id:
            raise RecordIntegrityError("manifest: record id and session id differ")
        return cls(
            record_id=record_id,
            session=session,
            summary=MappingProxyType(summary),
            opened_at_us=_int(obj["opened_at_us"], "opened_at_us"),
            sealed_at_us=_int(obj["sealed_at_us"], "sealed_at_us"),
            start_us=_int(time_range["start_us"], "start_us"),
            end_us=_int(time_range["end_us"], "end_us"),
            retention=Retention.from_json(retention_raw),
            retain_until_us=retain_until,
            recovered=obj["recovered"],
            recovery_reason=reason,
            header_sha256=hex_digest(obj["header_sha256"], "header_sha256"),
            signing_key_id=obj["signing_key_id"],
            auditors=tuple(auditors),
            chunks=chunks,
            chain_head=hex_digest(obj["chain_head"], "chain_head"),
        )

    @property
    def streams(self) -> dict[str, str]:
        """Media stream names and their content types, in first-appearance order."""
        out: dict[str, str] = {}
        for c in self.chunks:
            if c.chunk_type is ChunkType.MEDIA:
                out.setdefault(c.stream, c.content_type)
        return out


def check_summary(summary: Mapping[str, Scalar]) -> dict[str, Scalar]:
    """``summary`` as a plain dict if every key and value can go into a manifest."""
    return _check_mapping(summary, "summary", scalars=True)


# --- strict JSON helpers ------------------------------------------------------------------------------


def _object(value: Any, what: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordIntegrityError(f"{what} is not a JSON object")
    if set(value) != keys:
        missing, extra = keys - set(value), set(value) - keys
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(sorted(missing))}" if missing else "",
                f"unexpected {', '.join(sorted(extra))}" if extra else "",
            )
            if part
        )
        raise RecordIntegrityError(f"{what} has the wrong fields ({detail})")
    return value


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise RecordIntegrityError(f"{what} is not a non-negative integer")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecordIntegrityError(f"{what} is not a non-empty string")
    return value
