"""The retention sweep on a local store: crypto-shredding of expired records, legal holds, and the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from video_bank.records import Recorder, RecordIntegrityError, RecordStateError, SessionInfo, TimelineEvent
from video_bank.records.keyring import KeyRing
from video_bank.records.keywrap import generate_auditor_key
from video_bank.records.reader import open_record
from video_bank.records.retention import RetentionPeriod, RetentionPolicy, check_log
from video_bank.records.store import LocalRecordStore, RecordState
from video_bank.records.sweep import place_legal_hold, release_legal_hold, sweep

NOW = 1_780_000_000.0
DAY_US = 86_400 * 1_000_000
POLICY = RetentionPolicy(
    classes={"standard": RetentionPeriod(days=30), "extended": RetentionPeriod(days=90)},
    business={"corporate_willingness": "extended"},
)


@pytest.fixture(scope="module")
def auditor() -> rsa.RSAPrivateKey:
    return generate_auditor_key()


@pytest.fixture
def data_dir(tmp_path: Path, auditor: rsa.RSAPrivateKey) -> Path:
    data = tmp_path / "data"
    KeyRing(data / "keys").add_auditor("audit1", auditor.public_key())
    return data


@pytest.fixture
def store(data_dir: Path) -> LocalRecordStore:
    return LocalRecordStore(data_dir / "records")


def trusted(data_dir: Path) -> dict[str, object]:
    return KeyRing(data_dir / "keys").trusted_signing_keys()  # type: ignore[return-value]


async def record(data_dir: Path, session_id: str, business: str = "activation") -> int:
    """Record and seal a session that ends at NOW; returns its retain_until."""
    recorder = Recorder(
        LocalRecordStore(data_dir / "records"), KeyRing(data_dir / "keys"), POLICY, clock=lambda: NOW
    )
    writer = await recorder.open(SessionInfo.of(session_id, business, NOW - 60))
    writer.append_media("customer", b"media", NOW - 60, NOW, content_type="video/webm")
    writer.append_events([TimelineEvent.of(NOW - 30, "hello")])
    manifest = await writer.seal(ended_at=NOW)
    return manifest.retain_until_us


def log_actions(store: LocalRecordStore) -> list[tuple[str, str]]:
    return [(e["action"], e["record_id"]) for e in map(json.loads, store.read_log().splitlines())]


async def test_records_expire_by_the_class_of_their_business_type(data_dir: Path) -> None:
    standard = await record(data_dir, "std", "activation")
    extended = await record(data_dir, "ext", "corporate_willingness")

    assert standard == int(NOW * 1e6) + 30 * DAY_US
    assert extended == int(NOW * 1e6) + 90 * DAY_US


async def test_an_expired_record_is_crypto_shredded_and_logged(
    data_dir: Path, store: LocalRecordStore, auditor: rsa.RSAPrivateKey
) -> None:
    until = await record(data_dir, "old")
    record_dir = data_dir / "records" / "old"
    manifest_bytes = (record_dir / "manifest.json").read_bytes()

    outcomes = sweep(store, trusted(data_dir), until)

    assert [(o.record_id, o.action) for o in outcomes] == [("old", "shredded")]
    assert store.state("old") is RecordState.SHREDDED
    assert sorted(p.name for p in record_dir.iterdir()) == ["shredded.json"]
    tombstone = json.loads((record_dir / "shredded.json").read_bytes())
    assert tombstone["record_id"] == "old" and tombstone["retain_until_us"] == until
    assert tombstone["chunk_count"] == 2
    assert (
        len(tombstone["manifest_sha256"]) == 64
        and manifest_bytes not in (record_dir / "shredded.json").read_bytes()
    )
    assert log_actions(store) == [("shredded", "old")]
    assert check_log(store.read_log()) == []
    with pytest.raises(RecordIntegrityError, match="not sealed"):
        open_record(store.source("old"), trusted(data_dir), auditor)


async def test_records_before_their_end_of_retention_are_kept(
    data_dir: Path, store: LocalRecordStore
) -> None:
    until = await record(data_dir, "young")

    outcomes = sweep(store, trusted(data_dir), until - 1)

    assert [(o.record_id, o.action, o.retain_until_us) for o in outcomes] == [("young", "kept", until)]
    assert store.state("young") is RecordState.SEALED
    assert store.read_log() == b""


async def test_a_record_on_legal_hold_is_kept_past_retention_until_released(
    data_dir: Path, store: LocalRecordStore
) -> None:
    until = await record(data_dir, "case")
    place_legal_hold(store, "case", "court order 2026/17", "compliance1", until - DAY_US)

    held = sweep(store, trusted(data_dir), until + DAY_US)
    assert [(o.action, o.reason) for o in held] == [("held", "court order 2026/17")]
    assert store.state("case") is RecordState.SEALED

    release_legal_hold(store, "case", "case closed", "compliance1", until + 2 * DAY_US)
    released = sweep(store, trusted(data_dir), until + 3 * DAY_US)

    assert [o.action for o in released] == ["shredded"]
    assert log_actions(store) == [
        ("legal_hold", "case"),
        ("kept_on_hold", "case"),
        ("legal_hold_released", "case"),
        ("shredded", "case"),
    ]
    assert check_log(store.read_log()) == []


async def test_a_dry_run_changes_nothing(data_dir: Path, store: LocalRecordStore) -> None:
    until = await record(data_dir, "old")

    outcomes = sweep(store, trusted(data_dir), until, dry_run=True)

    assert [o.action for o in outcomes] == ["would_shred"]
    assert store.state("old") is RecordState.SEALED and store.read_log() == b""


async def test_a_record_whose_manifest_was_edited_to_expire_early_is_never_shredded(
    data_dir: Path, store: LocalRecordStore
) -> None:
    until = await record(data_dir, "victim")
    manifest_path = data_dir / "records" / "victim" / "manifest.json"
    manifest_path.write_bytes(manifest_path.read_bytes().replace(str(until).encode(), b"1"))

    outcomes = sweep(store, trusted(data_dir), int(NOW * 1e6))

    assert [o.action for o in outcomes] == ["refused"]
    assert store.state("victim") is RecordState.SEALED
    assert (data_dir / "records" / "victim" / "header.json").exists()
    assert log_actions(store) == [("refused", "victim")]


async def test_unsealed_records_are_left_to_recovery(data_dir: Path, store: LocalRecordStore) -> None:
    recorder = Recorder.local(data_dir)
    writer = await recorder.open(SessionInfo.of("live", "activation", NOW))

    assert sweep(store, trusted(data_dir), 2**62) == []
    assert store.state("live") is RecordState.WRITING
    await writer.seal()


async def test_a_shred_cut_short_by_a_crash_is_finished_by_the_next_sweep(
    data_dir: Path, store: LocalRecordStore
) -> None:
    until = await record(data_dir, "old")
    record_dir = data_dir / "records" / "old"
    (record_dir / "shredded.json").write_bytes(b'{"record_id": "old"}')  # the crash came right after this

    assert store.state("old") is RecordState.SHREDDED
    sweep(store, trusted(data_dir), until)

    assert sorted(p.name for p in record_dir.iterdir()) == ["shredded.json"]


async def test_legal_holds_need_a_reason_and_a_live_record(data_dir: Path, store: LocalRecordStore) -> None:
    until = await record(data_dir, "old")

    with pytest.raises(ValueError, match="reason"):
        place_legal_hold(store, "old", " ", "compliance1", 0)
    with pytest.raises(RecordStateError, match="not on legal hold"):
        release_legal_hold(store, "old", "why", "compliance1", 0)
    sweep(store, trusted(data_dir), until)
    with pytest.raises(RecordStateError, match="already shredded"):
        place_legal_hold(store, "old", "too late", "compliance1", until)
