"""A real call is recorded: both parties' media and the timeline, sealed, then opened by an auditor."""

from __future__ import annotations

import json
from pathlib import Path

import av
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PartyFactory
from tests.support.media_party import read_bars, start_call, wait_until
from video_bank.config import Settings
from video_bank.records.export import export_record
from video_bank.records.keyring import KeyRing
from video_bank.records.store import LocalRecordStore

CUSTOMER_ID, TELLER_ID = 3, 12


async def test_a_call_is_recorded_encrypted_and_an_auditor_can_replay_it(
    party: PartyFactory, settings: Settings, auditor_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    customer, teller = await start_call(party)
    await customer.connect_media(CUSTOMER_ID, 440.0)
    await teller.connect_media(TELLER_ID, 880.0)
    await wait_until(
        lambda: len(teller.received.video) >= 60, timeout=30, what="two seconds of customer video"
    )
    await wait_until(
        lambda: len(customer.received.video) >= 60, timeout=30, what="two seconds of teller video"
    )
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    await customer.close_media()
    await teller.close_media()
    session_id = customer.session_id
    assert session_id is not None

    records = LocalRecordStore(settings.data_dir / "records")
    ring = KeyRing(settings.data_dir / "keys")
    out = tmp_path / "export"
    await wait_until(
        lambda: records.state(session_id).value == "sealed", timeout=20, what="the record sealed"
    )
    result = export_record(records, session_id, ring.trusted_signing_keys(), auditor_key, out)

    # What lies on disk is ciphertext: no WebM header, no timeline text.
    stored = [p for p in (settings.data_dir / "records").rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        raw = path.read_bytes()
        assert b"\x1a\x45\xdf\xa3" not in raw and b"session_active" not in raw, path.name
    manifest = json.loads((out / "manifest.json").read_text())
    recorded_seconds = (manifest["time_range"]["end_us"] - manifest["opened_at_us"]) / 1e6
    for name, expected_sender in (("customer", CUSTOMER_ID), ("teller", TELLER_ID)):
        media = next(p for p in result.files if p.name.startswith(name) and p.suffix == ".webm")
        with av.open(str(media)) as container:
            video = [frame for frame in container.decode(video=0)]
        assert len(video) >= 45, f"{name}: {len(video)} frames recorded"
        # WebM time is server time since the record opened: the frames lie inside the record's time
        # range, span the call, and their count matches their duration at the senders' 30 fps.
        first, last = video[0].time, video[-1].time
        assert first is not None and last is not None
        assert 0 <= first < last <= recorded_seconds + 0.1, (name, first, last, recorded_seconds)
        assert last - first >= 1.5, f"{name}: only {last - first:.2f} s of video"
        fps = (len(video) - 1) / (last - first)
        assert 20 <= fps <= 33, f"{name}: {len(video)} frames over {last - first:.2f} s = {fps:.1f} fps"
        senders = {read_bars(frame)[1] for frame in video}
        assert senders == {expected_sender}, f"{name} stream shows {senders}"
        counters = [read_bars(frame)[0] for frame in video]
        assert counters == sorted(counters)
        with av.open(str(media)) as container:
            assert sum(1 for _ in container.decode(audio=0)) >= 50, f"{name}: no audio recorded"

    timeline = json.loads((out / "timeline.json").read_text())
    kinds = [event["kind"] for event in timeline["events"]]
    assert kinds[0] == "session_started" and kinds[-2:] == [
        "session_ended",
        "flow_finished",
    ]  # flow abandoned
    assert "session_active" in kinds
    times = [event["at_us"] for event in timeline["events"]]
    assert times == sorted(times)
