"""Recording into the local store: the asyncio writer, durability as chunks come, start-up recovery.

These tests use a temporary data dir and the writer's worker threads; no network, no server.
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from video_bank.records import (
    KeyStoreError,
    Recorder,
    RecordExistsError,
    RecordInputError,
    RecordStateError,
    RecordWriteError,
    SessionInfo,
    TimelineEvent,
)
from video_bank.records.builder import RecordBuilder
from video_bank.records.catalog import list_records
from video_bank.records.chain import ENTRY_BYTES
from video_bank.records.keyring import KeyRing
from video_bank.records.keywrap import generate_auditor_key
from video_bank.records.model import Retention
from video_bank.records.reader import open_record
from video_bank.records.retention import RetentionPeriod
from video_bank.records.store import LocalRecordStore, LocalWritableRecord, RecordState, chunk_name
from video_bank.records.verify import verify_record

WEBM = 'video/webm; codecs="vp8, opus"'
NOW = 1_780_000_000.0


class Clock:
    """A settable clock: tests decide what time it is."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="module")
def auditor_key() -> rsa.RSAPrivateKey:
    return generate_auditor_key()


@pytest.fixture
def auditor(data_dir: Path, auditor_key: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    KeyRing(data_dir / "keys").add_auditor("audit1", auditor_key.public_key())
    return auditor_key


def info(session_id: str = "sess-1") -> SessionInfo:
    return SessionInfo.of(session_id, "activation", NOW, teller="teller1", customer_id="C-1")


def trusted(data_dir: Path) -> dict[str, Any]:
    return KeyRing(data_dir / "keys").trusted_signing_keys()


def store_of(data_dir: Path) -> LocalRecordStore:
    return LocalRecordStore(data_dir / "records")


# --- writing and sealing ---------------------------------------------------------------------------------


async def test_chunks_are_stored_in_append_order_and_the_sealed_record_decrypts_to_them(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    recorder = Recorder.local(data_dir, clock=Clock())
    writer = await recorder.open(info())
    fragments = [os.urandom(50_000 + n) for n in range(6)]
    events = [TimelineEvent.of(NOW + n, "step", "server", {"n": n}) for n in range(4)]

    # Not awaited one by one: the order of the calls is the order on disk.
    writer.append_media("customer", b"init", NOW, NOW, content_type=WEBM, init=True)
    for n, fragment in enumerate(fragments):
        writer.append_media("customer", fragment, NOW + n, NOW + n + 1, content_type=WEBM)
        if n < len(events):
            writer.append_events([events[n]])
    manifest = await writer.seal(ended_at=NOW + 7, summary={"outcome": "completed", "verified": True})

    assert [(c.stream, c.init) for c in manifest.chunks][:3] == [
        ("customer", True),
        ("customer", False),
        ("timeline", False),
    ]
    assert manifest.summary == {"outcome": "completed", "verified": True}
    source = store_of(data_dir).source("sess-1")
    assert verify_record(source, trusted(data_dir)).intact
    with open_record(source, trusted(data_dir), auditor) as reader:
        assert [p for _, p in reader.media("customer")] == [b"init", *fragments]
        assert reader.timeline() == events


async def test_each_chunk_is_on_disk_with_its_journal_entry_before_its_future_completes(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    writer = await Recorder.local(data_dir).open(info())
    record_dir = data_dir / "records" / "sess-1"

    for n in range(3):
        entry = await writer.append_media(
            "teller", b"fragment %d" % n, NOW + n, NOW + n + 1, content_type=WEBM
        )
        assert entry.index == n
        assert (record_dir / "chunks" / chunk_name(n)).stat().st_size == entry.size
        assert (record_dir / "chain").stat().st_size == (n + 1) * ENTRY_BYTES
        assert not (record_dir / "manifest.json").exists()

    await writer.seal()
    assert (record_dir / "manifest.json").exists()


async def test_record_files_are_private_to_the_service_account(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    writer = await Recorder.local(data_dir).open(info())
    await writer.append_events([TimelineEvent.of(NOW, "x")])
    await writer.seal()

    record_dir = data_dir / "records" / "sess-1"
    for path in [record_dir, *record_dir.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


async def test_sealing_twice_returns_the_same_manifest_and_later_appends_are_refused(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    writer = await Recorder.local(data_dir).open(info())
    writer.append_events([TimelineEvent.of(NOW, "hello")])

    first, second = await asyncio.gather(writer.seal(), writer.seal())

    assert first == second == await writer.seal()
    with pytest.raises(RecordStateError, match="sealed"):
        writer.append_events([TimelineEvent.of(NOW, "late")])
    with pytest.raises(RecordStateError, match="sealed"):
        writer.append_media("customer", b"late", NOW, NOW, content_type=WEBM)


async def test_bad_arguments_are_refused_at_the_call_without_stopping_the_record(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    writer = await Recorder.local(data_dir).open(info())

    with pytest.raises(RecordInputError, match="t1 < t0"):
        writer.append_media("customer", b"x", NOW + 1, NOW, content_type=WEBM)
    with pytest.raises(RecordInputError, match="reserved"):
        writer.append_media("timeline", b"x", NOW, NOW, content_type=WEBM)
    with pytest.raises(RecordInputError, match="content type"):
        writer.append_media("customer", b"x", NOW, NOW, content_type="")
    with pytest.raises(RecordInputError, match="non-empty"):
        writer.append_events([])

    await writer.append_media("customer", b"fine", NOW, NOW, content_type=WEBM)
    manifest = await writer.seal()
    assert len(manifest.chunks) == 1 and not manifest.recovered


async def test_the_record_is_writing_while_open_and_sealed_after(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    writer = await Recorder.local(data_dir).open(info())
    assert store_of(data_dir).state("sess-1") is RecordState.WRITING

    await writer.seal()

    assert store_of(data_dir).state("sess-1") is RecordState.SEALED


async def test_a_session_id_can_be_recorded_only_once(data_dir: Path, auditor: rsa.RSAPrivateKey) -> None:
    recorder = Recorder.local(data_dir)
    await (await recorder.open(info())).seal()

    with pytest.raises(RecordExistsError, match="sess-1 already exists"):
        await recorder.open(info())


async def test_no_record_is_started_when_no_auditor_could_ever_open_it(data_dir: Path) -> None:
    with pytest.raises(KeyStoreError, match="no auditor key"):
        await Recorder.local(data_dir).open(info())

    assert store_of(data_dir).record_ids() == []


async def test_closing_the_recorder_seals_records_cut_by_shutdown(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    recorder = Recorder.local(data_dir)
    writer = await recorder.open(info())
    writer.append_events([TimelineEvent.of(NOW, "hello")])
    assert recorder.open_writers == 1

    await recorder.close()

    assert recorder.open_writers == 0
    manifest = verify_record(store_of(data_dir).source("sess-1"), trusted(data_dir)).raise_for_problems()
    assert manifest.summary == {"interrupted": True} and len(manifest.chunks) == 1


# --- threads: the event loop never touches the disk ------------------------------------------------------


class ThreadSpy:
    """A store whose every disk operation notes the thread it ran on."""

    def __init__(self, inner: LocalRecordStore, fail_chunk: int | None = None) -> None:
        self.inner = inner
        self.threads: list[tuple[str, int]] = []
        self.fail_chunk = fail_chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create(self, record_id: str, header: bytes) -> SpyHandle:
        self.threads.append(("create", threading.get_ident()))
        return SpyHandle(self.inner.create(record_id, header), self)


class SpyHandle:
    def __init__(self, inner: LocalWritableRecord, spy: ThreadSpy) -> None:
        self.inner, self.spy = inner, spy

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.inner, name)

        def call(*args: Any) -> Any:
            self.spy.threads.append((name, threading.get_ident()))
            if name == "write_chunk" and args[0] == self.spy.fail_chunk:
                # Half a file reaches the disk, then the disk fails.
                path = self.spy.inner.root / self.inner.record_id / "chunks" / chunk_name(args[0])
                path.write_bytes(args[1][: len(args[1]) // 2])
                raise RecordWriteError(
                    f"record {self.inner.record_id}: cannot write chunk {args[0]}: No space"
                )
            return method(*args)

        return call


async def test_opening_writing_and_sealing_happen_on_worker_threads(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    spy = ThreadSpy(store_of(data_dir))
    recorder = Recorder(spy, KeyRing(data_dir / "keys"))  # type: ignore[arg-type]
    writer = await recorder.open(info())
    await writer.append_media("customer", b"x" * 1000, NOW, NOW + 1, content_type=WEBM)
    await writer.append_events([TimelineEvent.of(NOW, "hello")])
    await writer.seal()

    names = [name for name, _ in spy.threads]
    assert names[:1] == ["create"] and {"write_chunk", "append_journal", "write_seal", "close"} <= set(names)
    assert threading.get_ident() not in {ident for _, ident in spy.threads}


async def test_a_write_error_stops_the_record_and_seals_what_was_stored_as_recovered(
    data_dir: Path, auditor: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    spy = ThreadSpy(store_of(data_dir), fail_chunk=2)
    writer = await Recorder(spy, KeyRing(data_dir / "keys")).open(info())  # type: ignore[arg-type]
    stored = [
        writer.append_media("customer", b"f%d" % n, NOW + n, NOW + n + 1, content_type=WEBM) for n in range(4)
    ]

    results = await asyncio.gather(*stored, return_exceptions=True)

    assert [type(r).__name__ for r in results] == [
        "ChunkEntry",
        "ChunkEntry",
        "RecordWriteError",
        "RecordStateError",
    ]
    assert writer.failed
    assert "writing stopped" in caplog.text
    with pytest.raises(RecordStateError, match="write error"):
        writer.append_events([TimelineEvent.of(NOW, "late")])
    manifest = await writer.seal()
    assert manifest.recovered and manifest.recovery_reason == "write_error"
    assert [c.index for c in manifest.chunks] == [0, 1]
    assert verify_record(store_of(data_dir).source("sess-1"), trusted(data_dir)).intact  # half-file removed


async def test_a_writer_too_far_behind_the_disk_stops_instead_of_filling_memory(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    recorder = Recorder(store_of(data_dir), KeyRing(data_dir / "keys"), max_pending_bytes=100_000)
    writer = await recorder.open(info())

    with pytest.raises(RecordWriteError, match="wait for the disk"):
        writer.append_media("customer", b"x" * 100_001, NOW, NOW, content_type=WEBM)

    assert writer.failed
    manifest = await writer.seal()
    assert manifest.chunks == () and manifest.recovered


# --- recovery of records whose writer died ---------------------------------------------------------------


def crashed_record(data_dir: Path, session_id: str, fragments: list[bytes], *, torn: bool) -> None:
    """What a process leaves behind when it dies while recording: chunks and journal entries written
    so far, maybe a half-written chunk and a half-written journal entry, no manifest, lock released."""
    keyring = KeyRing(data_dir / "keys")
    builder = RecordBuilder.open(
        info(session_id),
        opened_at_us=int(NOW * 1e6),
        retention=Retention("standard", RetentionPeriod(years=5)),
        auditors=keyring.active_auditors(),
        signer=keyring.signer(),
    )
    handle = store_of(data_dir).create(session_id, builder.header_bytes)
    for n, fragment in enumerate(fragments):
        prepared = builder.prepare_media(
            "customer", WEBM, fragment, int((NOW + n) * 1e6), int((NOW + n + 1) * 1e6)
        )
        handle.write_chunk(prepared.index, prepared.data)
        handle.append_journal(prepared.journal)
        builder.commit(prepared)
    if torn:
        prepared = builder.prepare_media("customer", WEBM, b"cut short", int(NOW * 1e6), int(NOW * 1e6))
        handle.write_chunk(prepared.index, prepared.data[:20])
        handle.append_journal(prepared.journal[:40])
    handle.close()  # the OS releases the writer lock when the process dies


@pytest.mark.parametrize("torn", [False, True], ids=["clean-cut", "torn-writes"])
async def test_start_up_seals_an_abandoned_record_as_recovered_with_what_was_written(
    torn: bool, data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    fragments = [os.urandom(1000) for _ in range(3)]
    crashed_record(data_dir, "sess-1", fragments, torn=torn)
    assert store_of(data_dir).state("sess-1") is RecordState.UNSEALED

    outcomes = await Recorder.local(data_dir, clock=Clock(NOW + 60)).recover()

    assert [(o.record_id, o.result, o.chunks, o.discarded) for o in outcomes] == [
        ("sess-1", "sealed", 3, 2 if torn else 0)
    ]
    source = store_of(data_dir).source("sess-1")
    manifest = verify_record(source, trusted(data_dir)).raise_for_problems()
    assert manifest.recovered and manifest.recovery_reason == "crash"
    assert manifest.sealed_at_us == int((NOW + 60) * 1e6)
    with open_record(source, trusted(data_dir), auditor) as reader:
        assert [p for _, p in reader.media("customer")] == fragments
    assert await Recorder.local(data_dir).recover() == []  # nothing left to do


async def test_recovery_leaves_a_record_that_a_live_writer_still_writes(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    recorder = Recorder.local(data_dir)
    writer = await recorder.open(info())
    await writer.append_events([TimelineEvent.of(NOW, "hello")])

    assert await Recorder.local(data_dir).recover() == []

    await writer.append_events([TimelineEvent.of(NOW + 1, "still here")])
    manifest = await writer.seal()
    assert not manifest.recovered and len(manifest.chunks) == 2


async def test_recovery_refuses_to_seal_a_record_altered_before_its_seal(
    data_dir: Path, auditor: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    crashed_record(data_dir, "sess-1", [b"a" * 100, b"b" * 100], torn=False)
    chunk = data_dir / "records" / "sess-1" / "chunks" / chunk_name(0)
    data = bytearray(chunk.read_bytes())
    data[-1] ^= 0x01
    chunk.write_bytes(bytes(data))

    outcomes = await Recorder.local(data_dir).recover()

    assert [(o.result, o.problems) for o in outcomes] == [
        ("tampered", ("chunk 0 is altered since it was written",))
    ]
    assert store_of(data_dir).state("sess-1") is RecordState.UNSEALED
    assert "record sess-1 not recovered" in caplog.text


async def test_a_record_whose_creation_was_interrupted_is_reported_not_sealed(data_dir: Path) -> None:
    (data_dir / "records" / "sess-1").mkdir(parents=True)

    assert store_of(data_dir).state("sess-1") is RecordState.INCOMPLETE
    assert await Recorder.local(data_dir).recover() == []


def test_recorder_local_uses_the_data_dir_layout(data_dir: Path) -> None:
    recorder = Recorder.local(data_dir)

    assert recorder.store.root == data_dir / "records"  # type: ignore[attr-defined]
    assert recorder.keyring.directory == data_dir / "keys"
    assert recorder.policy.class_for("activation")[1] == RetentionPeriod(years=5)


def test_a_retention_policy_file_in_the_data_dir_is_used(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "retention.json").write_text('{"classes": {"standard": {"years": 7}}}')

    assert Recorder.local(data_dir).policy.class_for("activation") == ("standard", RetentionPeriod(years=7))


def test_the_api_takes_server_seconds_and_stores_microseconds() -> None:
    assert SessionInfo.of("s", "activation", 1.5).started_at_us == 1_500_000
    assert TimelineEvent.of(2.25, "x").at_us == 2_250_000


async def test_the_catalog_lists_every_record_and_trusts_only_signed_metadata(
    data_dir: Path, auditor: rsa.RSAPrivateKey
) -> None:
    recorder = Recorder.local(data_dir)
    await (await recorder.open(info("sealed"))).seal(summary={"outcome": "completed"})
    await (await recorder.open(info("forged"))).seal()
    forged = data_dir / "records" / "forged" / "manifest.json"
    forged.write_bytes(forged.read_bytes().replace(b"teller1", b"teller9"))
    live = await recorder.open(info("live"))
    crashed_record(data_dir, "crashed", [b"x"], torn=False)

    listings = {entry.record_id: entry for entry in list_records(store_of(data_dir), trusted(data_dir))}

    assert {rid: entry.status for rid, entry in listings.items()} == {
        "crashed": "unsealed",
        "forged": "invalid-signature",
        "live": "writing",
        "sealed": "sealed",
    }
    assert listings["sealed"].manifest is not None and listings["sealed"].manifest.summary == {
        "outcome": "completed"
    }
    assert listings["forged"].manifest is None
    live_header = listings["live"].header
    assert live_header is not None and live_header.session.teller == "teller1"
    await live.seal()
