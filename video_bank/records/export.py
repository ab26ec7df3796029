"""Exporting a sealed record for an auditor: decrypted media per stream and the timeline as JSON.

The record is verified completely before anything is decrypted, and each chunk again while it is
decrypted; output goes to temporary files that are renamed only when everything checked out, and
are deleted otherwise, so an export is either complete and authentic or absent. The signed
manifest and its signature are copied alongside, so the export can be checked again later against
the server's published signing key. Files are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from video_bank.records.encoding import iso_utc
from video_bank.records.errors import RecordStateError, RecordWriteError
from video_bank.records.reader import open_record
from video_bank.records.signing import TrustedKeys
from video_bank.records.store import RecordState, RecordStore

TIMELINE_FILE = "timeline.json"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
_EXTENSIONS = {"video/webm": ".webm", "audio/webm": ".webm", "video/mp4": ".mp4", "audio/mp4": ".mp4"}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote."""

    record_id: str
    """The record."""
    files: tuple[Path, ...]
    """Every file written."""
    events: int
    """Timeline events exported."""
    media_bytes: dict[str, int]
    """Decrypted bytes per media stream."""


def media_file_name(stream: str, content_type: str) -> str:
    """``customer.webm``, ``teller.mp4``, or ``.bin`` for content types we do not know."""
    base = content_type.split(";", 1)[0].strip().lower()
    return stream + _EXTENSIONS.get(base, ".bin")


def export_record(
    store: RecordStore, record_id: str, trusted: TrustedKeys, private_key: rsa.RSAPrivateKey, out_dir: Path
) -> ExportResult:
    """Verify, decrypt and write a sealed record into ``out_dir`` (created if needed)."""
    state = store.state(record_id)
    if state is not RecordState.SEALED:
        raise RecordStateError(f"record {record_id} is {state.value}, not sealed: nothing to export")
    source = store.source(record_id)
    with open_record(source, trusted, private_key) as reader:
        manifest = reader.manifest
        names = {stream: media_file_name(stream, ct) for stream, ct in manifest.streams.items()}
        targets = [*names.values(), TIMELINE_FILE, MANIFEST_FILE, SIGNATURE_FILE]
        _prepare_dir(out_dir, targets)
        written: list[Path] = []
        try:
            sizes: dict[str, int] = {}
            for stream, name in names.items():
                with _Partial(out_dir, name, written) as out:
                    sizes[stream] = 0
                    for _entry, payload in reader.media(stream):
                        out.write(payload)
                        sizes[stream] += len(payload)
            events = reader.timeline()
            timeline = {
                "record_id": record_id,
                "start_us": manifest.start_us,
                "end_us": manifest.end_us,
                "events": [
                    {
                        "at_us": e.at_us,
                        "at": iso_utc(e.at_us),
                        "t": (e.at_us - manifest.start_us) / 1_000_000,
                        "kind": e.kind,
                        "actor": e.actor,
                        "data": dict(e.data),
                    }
                    for e in events
                ],
            }
            with _Partial(out_dir, TIMELINE_FILE, written) as out:
                out.write(json.dumps(timeline, ensure_ascii=False, indent=1).encode("utf-8") + b"\n")
            for name, data in ((MANIFEST_FILE, source.manifest()), (SIGNATURE_FILE, source.signature())):
                with _Partial(out_dir, name, written) as out:
                    out.write(data or b"")
            final = []
            for partial in written:
                target = out_dir / partial.name.removeprefix(".").removesuffix(".partial")
                os.replace(partial, target)
                final.append(target)
        except BaseException:
            for partial in written:
                partial.unlink(missing_ok=True)
            raise
    return ExportResult(record_id=record_id, files=tuple(final), events=len(events), media_bytes=sizes)


def _prepare_dir(out_dir: Path, targets: list[str]) -> None:
    try:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise RecordWriteError(f"cannot create {out_dir}: {error.strerror}") from None
    existing = [name for name in targets if (out_dir / name).exists()]
    if existing:
        raise RecordStateError(f"{out_dir} already holds {', '.join(existing)}; not overwriting an export")


class _Partial:
    """A new owner-only file ``.<name>.partial`` in ``directory``, fsynced on close."""

    def __init__(self, directory: Path, name: str, written: list[Path]) -> None:
        self.path = directory / f".{name}.partial"
        self._written = written
        self._fd = -1

    def __enter__(self) -> _Partial:
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise RecordWriteError(f"cannot create {self.path}: {error.strerror}") from None
        self._written.append(self.path)
        return self

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as error:
            raise RecordWriteError(f"cannot write {self.path}: {error.strerror}") from None

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            os.fsync(self._fd)
        os.close(self._fd)
