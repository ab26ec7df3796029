"""Small, exact encodings shared by the record format: canonical JSON, base64, times, names.

Everything here is pure and deterministic: the same value always gives the same bytes, which is what
hashes and signatures need.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from video_bank.records.errors import RecordInputError, RecordIntegrityError

RECORD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Record ids are session ids: URL-safe, at most 64 characters, so they are safe as file names."""
STREAM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""Media stream names, e.g. ``customer``, ``teller``, ``customer-screen``."""
CONTENT_TYPE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")
"""A MIME type with parameters, printable ASCII, at most 255 bytes."""
AUDITOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
"""Auditor names (usually their account name)."""

MAX_TIME_US = 2**62
"""Upper bound of timestamps in microseconds (year 146,000; guards against nonsense values)."""


def canonical_json(value: Any) -> bytes:
    """``value`` as compact, key-sorted, ASCII-only JSON: one value has exactly one encoding."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise RecordInputError(f"value cannot be stored as JSON: {error}") from None
    return text.encode("ascii")


def parse_json_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse ``data`` as a JSON object, or raise :class:`RecordIntegrityError` naming ``what``."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RecordIntegrityError(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise RecordIntegrityError(f"{what} is not a JSON object")
    return value


def b64encode(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Strict base64 (no stray characters), or :class:`RecordIntegrityError` naming ``what``."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise RecordIntegrityError(f"{what} is not valid base64") from None
    if b64encode(data) != text:  # one value, one encoding
        raise RecordIntegrityError(f"{what} is not canonical base64")
    return data


def hex_digest(text: Any, what: str) -> bytes:
    """A lowercase 64-digit hex SHA-256 value, decoded; anything else is an integrity error."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9a-f]{64}", text):
        raise RecordIntegrityError(f"{what} is not a lowercase hex SHA-256 value")
    return bytes.fromhex(text)


def to_us(seconds: float, what: str = "time") -> int:
    """Seconds since the Unix epoch (``time.time()``) as integer microseconds."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not math.isfinite(seconds):
        raise RecordInputError(f"{what} must be a finite number of seconds")
    value = round(seconds * 1_000_000)
    if not 0 <= value < MAX_TIME_US:
        raise RecordInputError(f"{what} is out of range")
    return value


def from_us(value: int) -> float:
    """Integer microseconds as float seconds."""
    return value / 1_000_000


def iso_utc(value_us: int) -> str:
    """Microseconds since the epoch as an ISO 8601 UTC timestamp (for people and exports)."""
    return datetime.fromtimestamp(value_us / 1_000_000, tz=UTC).isoformat(timespec="milliseconds")


def check_record_id(record_id: Any) -> str:
    """``record_id`` if it is a valid record id, else :class:`RecordInputError`."""
    if not isinstance(record_id, str) or not RECORD_ID.fullmatch(record_id):
        raise RecordInputError("a record id is 1-64 characters of A-Z, a-z, 0-9, '_' and '-'")
    return record_id


def check_stream_name(stream: Any) -> str:
    """``stream`` if it is a valid media stream name, else :class:`RecordInputError`."""
    if not isinstance(stream, str) or not STREAM_NAME.fullmatch(stream):
        raise RecordInputError("a stream name is 1-64 characters of a-z, 0-9, '_' and '-'")
    return stream


def check_auditor_name(name: Any) -> str:
    """``name`` if it is a valid auditor name, else :class:`RecordInputError`."""
    if not isinstance(name, str) or not AUDITOR_NAME.fullmatch(name):
        raise RecordInputError("an auditor name is 1-64 characters of A-Z, a-z, 0-9, '_', '.', '@' and '-'")
    return name
