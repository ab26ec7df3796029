"""``python -m video_bank records ...`` and ``keys ...`` as real processes over a real data dir.

Records are written in the test process with the library's :class:`Recorder` (as the server will),
then listed, verified, exported, rotated and swept by the command line.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from video_bank.records import Recorder, SessionInfo, TimelineEvent
from video_bank.records.keyring import KeyRing
from video_bank.records.store import LocalRecordStore
from video_bank.records.sweep import place_legal_hold

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0
WEBM = 'video/webm; codecs="vp8, opus"'
CUSTOMER = [b"customer-init", os.urandom(30_000), os.urandom(25_000)]
TELLER = [b"teller-init", os.urandom(20_000)]


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_BANK_")}
    return subprocess.run(
        [sys.executable, "-m", "video_bank", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def record(data_dir: Path, session_id: str, business: str = "activation") -> None:
    """Write and seal one session's record with two media streams and a timeline."""

    async def run() -> None:
        t = time.time() - 60  # a session that ended before the test goes on (retention counts from its end)
        writer = await Recorder.local(data_dir).open(SessionInfo.of(session_id, business, t))
        for stream, fragments in (("customer", CUSTOMER), ("teller", TELLER)):
            for n, fragment in enumerate(fragments):
                writer.append_media(
                    stream, fragment, t + max(n - 1, 0), t + n, content_type=WEBM, init=n == 0
                )
        writer.append_events([TimelineEvent.of(t, "session_started", "server", {"business": business})])
        writer.append_events([TimelineEvent.of(t + 1, "verification_decision", "server", {"live": True})])
        await writer.seal(ended_at=t + 5, summary={"outcome": "completed"})

    asyncio.run(run())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def auditor_pem(data_dir: Path, tmp_path: Path) -> Path:
    """An auditor key pair made with the library (the command itself is tested on its own)."""
    out = tmp_path / "auditor.pem"
    KeyRing(data_dir / "keys").generate_auditor("audit1", out)
    return out


def chunk_file(data_dir: Path, session_id: str, index: int) -> Path:
    return data_dir / "records" / session_id / "chunks" / f"{index:010d}.chunk"


# --- keys ------------------------------------------------------------------------------------------------


def test_seed_demo_creates_a_demo_auditor_key_inside_the_data_dir_that_opens_records(
    data_dir: Path, tmp_path: Path
) -> None:
    out = ok(cli(data_dir, "seed-demo", "--password", "demo-pw"))

    line = next(line for line in out.splitlines() if line.startswith("Demo auditor private key"))
    path = Path(line.rsplit(": ", 1)[1])
    assert path.is_file() and path.resolve().is_relative_to(data_dir.resolve())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = json.loads(ok(cli(data_dir, "keys", "list", "--json")))
    assert [(a["name"], a["status"]) for a in keys["auditors"]] == [("audit1", "active")]
    assert len(keys["signing"]) == 1

    again = ok(cli(data_dir, "seed-demo", "--password", "demo-pw"))
    assert f"Demo auditor private key (demo only; real auditor keys stay off the server): {path}" in again
    assert len(KeyRing(data_dir / "keys").auditor_keys()) == 1  # the same key, not a second one

    record(data_dir, "demo-1")
    ok(cli(data_dir, "records", "export", "demo-1", "--key", str(path), "--out", str(tmp_path / "x")))
    assert (tmp_path / "x" / "customer.webm").read_bytes() == b"".join(CUSTOMER)


def test_auditor_generate_writes_a_private_key_file_and_registers_the_public_key(
    data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "keys" / "a1.pem"

    text = ok(cli(data_dir, "keys", "auditor-generate", "--name", "audit1", "--out", str(out)))

    assert "registered" in text and str(out) in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    again = cli(data_dir, "keys", "auditor-generate", "--name", "audit2", "--out", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr
    same_name = cli(
        data_dir, "keys", "auditor-generate", "--name", "audit1", "--out", str(tmp_path / "b.pem")
    )
    assert same_name.returncode == 2 and "keys rotate --auditor audit1" in same_name.stderr


def test_auditor_register_accepts_a_public_key_generated_elsewhere(data_dir: Path, tmp_path: Path) -> None:
    # As an auditor would on their own machine: only the public key is handed over.
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    (tmp_path / "k").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "k.pub").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )

    ok(
        cli(
            data_dir,
            "keys",
            "auditor-register",
            "--name",
            "external",
            "--public-key",
            str(tmp_path / "k.pub"),
        )
    )
    record(data_dir, "sess-1")

    ok(
        cli(
            data_dir,
            "records",
            "export",
            "sess-1",
            "--key",
            str(tmp_path / "k"),
            "--out",
            str(tmp_path / "x"),
        )
    )


# --- list, verify, export --------------------------------------------------------------------------------


def test_list_verify_and_export_a_sealed_record(data_dir: Path, auditor_pem: Path, tmp_path: Path) -> None:
    record(data_dir, "sess-1")

    rows = json.loads(ok(cli(data_dir, "records", "list", "--json")))
    assert [(r["id"], r["state"], r["business"], r["chunks"], r["recovered"]) for r in rows] == [
        ("sess-1", "sealed", "activation", 7, False)
    ]
    assert rows[0]["summary"] == {"outcome": "completed"} and rows[0]["streams"] == ["customer", "teller"]
    assert "sess-1" in ok(cli(data_dir, "records", "list"))

    assert "intact" in ok(cli(data_dir, "records", "verify", "sess-1"))
    with_tags = json.loads(
        ok(cli(data_dir, "records", "verify", "sess-1", "--key", str(auditor_pem), "--json"))
    )
    assert with_tags["intact"] and with_tags["tags_checked"] and with_tags["chunks_checked"] == 7

    out_dir = tmp_path / "export"
    ok(cli(data_dir, "records", "export", "sess-1", "--key", str(auditor_pem), "--out", str(out_dir)))

    assert (out_dir / "customer.webm").read_bytes() == b"".join(CUSTOMER)
    assert (out_dir / "teller.webm").read_bytes() == b"".join(TELLER)
    timeline = json.loads((out_dir / "timeline.json").read_text())
    assert [e["kind"] for e in timeline["events"]] == ["session_started", "verification_decision"]
    assert timeline["events"][1]["data"] == {"live": True}
    assert (out_dir / "manifest.json").read_bytes() == (
        data_dir / "records/sess-1/manifest.json"
    ).read_bytes()
    for path in out_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_verify_exits_1_and_export_writes_nothing_when_a_chunk_was_altered(
    data_dir: Path, auditor_pem: Path, tmp_path: Path
) -> None:
    record(data_dir, "sess-1")
    path = chunk_file(data_dir, "sess-1", 2)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))

    verify = cli(data_dir, "records", "verify", "sess-1")
    assert verify.returncode == 1
    assert "NOT INTACT" in verify.stdout and "chunk 2 was altered" in verify.stdout
    report = json.loads(cli(data_dir, "records", "verify", "sess-1", "--json").stdout)
    assert report["intact"] is False and report["problems"]

    export = cli(
        data_dir, "records", "export", "sess-1", "--key", str(auditor_pem), "--out", str(tmp_path / "x")
    )
    assert export.returncode == 1 and "not intact" in export.stderr
    assert not (tmp_path / "x").exists() or list((tmp_path / "x").iterdir()) == []


@pytest.mark.parametrize("part", ["manifest.json", "manifest.sig", "chain", "header.json"])
def test_verify_detects_an_altered_manifest_signature_chain_or_header(
    data_dir: Path, auditor_pem: Path, part: str
) -> None:
    record(data_dir, "sess-1")
    path = data_dir / "records" / "sess-1" / part
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    path.write_bytes(bytes(data))

    result = cli(data_dir, "records", "verify", "sess-1")

    assert result.returncode == 1, result.stdout


def test_a_deleted_chunk_or_a_truncated_chunk_fails_verification(data_dir: Path, auditor_pem: Path) -> None:
    record(data_dir, "sess-1")
    record(data_dir, "sess-2")
    chunk_file(data_dir, "sess-1", 6).unlink()
    path = chunk_file(data_dir, "sess-2", 1)
    path.write_bytes(path.read_bytes()[:-100])

    deleted, truncated = (
        cli(data_dir, "records", "verify", "sess-1"),
        cli(data_dir, "records", "verify", "sess-2"),
    )

    assert deleted.returncode == 1 and "chunk 6 is missing" in deleted.stdout
    assert truncated.returncode == 1 and "truncated" in truncated.stdout


def test_export_with_a_key_the_record_is_not_wrapped_to_is_refused(
    data_dir: Path, auditor_pem: Path, tmp_path: Path
) -> None:
    record(data_dir, "sess-1")
    stranger = tmp_path / "stranger.pem"
    ok(cli(tmp_path / "other-data", "keys", "auditor-generate", "--name", "x", "--out", str(stranger)))

    result = cli(
        data_dir, "records", "export", "sess-1", "--key", str(stranger), "--out", str(tmp_path / "x")
    )

    assert result.returncode == 2
    assert "cannot open the record; it is wrapped to audit1" in result.stderr
    assert not (tmp_path / "x").exists() or list((tmp_path / "x").iterdir()) == []


def test_unknown_records_and_unsealed_records(data_dir: Path, auditor_pem: Path) -> None:
    unknown = cli(data_dir, "records", "verify", "no-such-record")
    assert unknown.returncode == 2 and "no record no-such-record" in unknown.stderr
    bad_id = cli(data_dir, "records", "verify", "../../etc")
    assert bad_id.returncode == 2 and "record id" in bad_id.stderr

    (data_dir / "records" / "open-1" / "chunks").mkdir(parents=True)
    (data_dir / "records" / "open-1" / "header.json").write_text("{}")
    unsealed = cli(data_dir, "records", "verify", "open-1")
    assert unsealed.returncode == 1 and "not sealed" in unsealed.stdout


# --- rotation --------------------------------------------------------------------------------------------


def test_rotating_keys_keeps_old_records_verifiable_and_openable_with_their_key(
    data_dir: Path, auditor_pem: Path, tmp_path: Path
) -> None:
    record(data_dir, "before")
    new_pem = tmp_path / "auditor-2.pem"

    ok(cli(data_dir, "keys", "rotate"))
    ok(cli(data_dir, "keys", "rotate", "--auditor", "audit1", "--out", str(new_pem)))
    record(data_dir, "after")

    keys = json.loads(ok(cli(data_dir, "keys", "list", "--json")))
    assert [s["status"] for s in keys["signing"]] == ["retired", "active"]
    assert [a["status"] for a in keys["auditors"]] == ["retired", "active"]
    for session_id in ("before", "after"):
        ok(cli(data_dir, "records", "verify", session_id))
    ok(cli(data_dir, "records", "export", "before", "--key", str(auditor_pem), "--out", str(tmp_path / "b")))
    ok(cli(data_dir, "records", "export", "after", "--key", str(new_pem), "--out", str(tmp_path / "a")))
    old_on_new = cli(
        data_dir, "records", "export", "after", "--key", str(auditor_pem), "--out", str(tmp_path / "c")
    )
    assert old_on_new.returncode == 2

    missing = cli(data_dir, "keys", "rotate", "--auditor", "audit1")
    assert missing.returncode == 2 and "--out FILE" in missing.stderr


# --- retention -------------------------------------------------------------------------------------------


def test_sweep_shreds_expired_records_except_those_on_legal_hold(data_dir: Path, auditor_pem: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "retention.json").write_text(
        json.dumps(
            {"classes": {"standard": {"years": 5}, "none": {"days": 0}}, "business": {"card_review": "none"}}
        )
    )
    record(data_dir, "kept-5y", "activation")
    record(data_dir, "expired", "card_review")
    record(data_dir, "held", "card_review")
    ok(cli(data_dir, "records", "hold", "held", "--reason", "dispute 42", "--by", "compliance1"))

    swept = json.loads(ok(cli(data_dir, "records", "sweep", "--json")))
    assert {r["id"]: r["action"] for r in swept} == {"kept-5y": "kept", "expired": "shredded", "held": "held"}
    states = {r["id"]: r["state"] for r in json.loads(ok(cli(data_dir, "records", "list", "--json")))}
    assert states == {"kept-5y": "sealed", "expired": "shredded", "held": "sealed"}
    assert not (data_dir / "records" / "expired" / "header.json").exists()
    assert not (data_dir / "records" / "expired" / "chunks").exists()

    ok(cli(data_dir, "records", "release", "held", "--reason", "dispute settled", "--by", "compliance1"))
    assert "1 shredded" in ok(cli(data_dir, "records", "sweep"))
    log = [json.loads(line) for line in (data_dir / "records" / "retention.log").read_text().splitlines()]
    assert [(e["action"], e["record_id"]) for e in log] == [
        ("legal_hold", "held"),
        ("shredded", "expired"),
        ("kept_on_hold", "held"),
        ("legal_hold_released", "held"),
        ("shredded", "held"),
    ]


def test_a_dry_run_sweep_only_reports(data_dir: Path, auditor_pem: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "retention.json").write_text(json.dumps({"classes": {"standard": {"days": 0}}}))
    record(data_dir, "expired")
    record(data_dir, "held")
    place_legal_hold(LocalRecordStore(data_dir / "records"), "held", "audit 7", "compliance1", 0)

    dry = json.loads(ok(cli(data_dir, "records", "sweep", "--dry-run", "--json")))

    assert {r["id"]: r["action"] for r in dry} == {"expired": "would_shred", "held": "held"}
    assert (data_dir / "records" / "expired" / "header.json").exists()


def test_the_record_list_is_empty_on_a_fresh_data_dir(data_dir: Path) -> None:
    assert ok(cli(data_dir, "records", "list")).strip() == "no records"
