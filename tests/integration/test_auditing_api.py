"""The auditors' HTTP API on the real app: sign-in, roles on every endpoint, open-with-reason, access log."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import DEMO_PASSWORD
from video_bank.config import Settings
from video_bank.records import Recorder, SessionInfo, TimelineEvent
from video_bank.records.webm import WEBM_VP8_OPUS
from video_bank.storage import SqliteStorage

RECORD = "rec-audit-1"
OTHER = "rec-audit-2"
REASON = "complaint 2026-117: customer disputes the activation"


async def _write_record(data_dir: Path, record_id: str, *, teller: str, verification: str | None) -> None:
    recorder = Recorder.local(data_dir)
    now = time.time()
    writer = await recorder.open(
        SessionInfo.of(record_id, "activation", now, teller=teller, customer_id="C-9")
    )
    writer.append_media("customer", b"init-bytes", now, now, content_type=WEBM_VP8_OPUS, init=True)
    writer.append_media("customer", b"cluster-bytes", now, now + 1, content_type=WEBM_VP8_OPUS)
    writer.append_events([TimelineEvent.of(now, "session_started", None, {})])
    await writer.seal(ended_at=now + 2, summary={"outcome": "completed", "verification": verification})
    await recorder.close()


@pytest.fixture
async def records(settings: Settings, client: TestClient) -> Path:
    """Two sealed records next to the running app; returns the records directory."""
    await _write_record(settings.data_dir, RECORD, teller="teller1", verification="pass")
    await _write_record(settings.data_dir, OTHER, teller="teller2", verification=None)
    return settings.data_dir / "records"


async def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in and return the session token (taken out of the client's jar so roles do not mix)."""
    response = await client.post("/api/session", json={"username": username, "password": password})
    assert response.status == 200, await response.text()
    morsel = response.cookies["vb_staff"]
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/api/"
    client.session.cookie_jar.clear()
    return morsel.value


def cookie(token: str | None) -> dict[str, str]:
    return {"Cookie": f"vb_staff={token}"} if token else {}


ENDPOINTS = [
    ("GET", "/api/records", None),
    ("GET", "/api/records/signing-keys", None),
    ("GET", f"/api/records/{RECORD}", None),
    ("POST", f"/api/records/{RECORD}/open", {"reason": REASON}),
    ("GET", f"/api/records/{RECORD}/manifest", None),
    ("GET", f"/api/records/{RECORD}/signature", None),
    ("GET", f"/api/records/{RECORD}/header", None),
    ("GET", f"/api/records/{RECORD}/keys/{'0' * 64}", None),
    ("GET", f"/api/records/{RECORD}/chunks/0", None),
    ("POST", f"/api/records/{RECORD}/redecide", {"events": []}),
    ("GET", "/api/access-log", None),
    ("GET", "/api/access-log/verify", None),
]


async def _access_lines(settings: Settings) -> int:
    with sqlite3.connect(settings.sqlite_path) as db:
        return int(db.execute("SELECT count(*) FROM access_log").fetchone()[0])


@pytest.mark.parametrize("role", ["anonymous", "customer", "teller", "supervisor"])
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_every_endpoint_refuses_everyone_but_auditors(
    client: TestClient, records: Path, settings: Settings, role: str, method: str, path: str, body: object
) -> None:
    token: str | None = None
    if role == "teller":
        token = await sign_in(client, "teller1")
    elif role == "supervisor":
        token = await sign_in(client, "super1")
    elif role == "customer":
        # Customers have no staff account: whatever they try, they get no session.
        refused = await client.post("/api/session", json={"username": "customer", "password": "x" * 8})
        assert refused.status == 401
        assert "vb_staff" not in refused.cookies
        token = "forged-" + "a" * 40
    response = await client.request(method, path, json=body, headers=cookie(token))
    expected = 401 if token is None or role == "customer" else 403
    assert response.status == expected
    answer = await response.json()
    assert answer["error"] == ("not_signed_in" if expected == 401 else "forbidden")
    assert RECORD not in await response.text() or RECORD in path  # nothing about the record leaks
    assert "C-9" not in await response.text()
    assert await _access_lines(settings) == 0


async def test_an_auditor_opens_a_record_with_a_reason_and_reads_it_byte_exact(
    client: TestClient, records: Path, settings: Settings
) -> None:
    token = await sign_in(client, "audit1")
    headers = cookie(token)
    me = await (await client.get("/api/session", headers=headers)).json()
    assert me["role"] == "auditor" and me["username"] == "audit1"

    # Before opening: metadata yes, content no.
    summary = await (await client.get(f"/api/records/{RECORD}", headers=headers)).json()
    assert summary["verification"] == "pass" and summary["customer_id"] == "C-9"
    for path in ("manifest", "signature", "header", "chunks/0", f"keys/{'0' * 64}"):
        response = await client.get(f"/api/records/{RECORD}/{path}", headers=headers)
        assert response.status == 403
        assert (await response.json())["error"] == "not_opened"

    no_reason = await client.post(f"/api/records/{RECORD}/open", json={"reason": " "}, headers=headers)
    assert no_reason.status == 400 and "reason" in (await no_reason.json())["message"]
    assert await _access_lines(settings) == 0

    opened = await client.post(f"/api/records/{RECORD}/open", json={"reason": REASON}, headers=headers)
    assert opened.status == 200
    access = (await opened.json())["access"]
    assert (access["auditor"], access["record_id"], access["reason"], access["seq"]) == (
        "audit1",
        RECORD,
        REASON,
        1,
    )
    assert await _access_lines(settings) == 1

    directory = records / RECORD
    for path, name in (
        ("manifest", "manifest.json"),
        ("signature", "manifest.sig"),
        ("header", "header.json"),
    ):
        response = await client.get(f"/api/records/{RECORD}/{path}", headers=headers)
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
        assert await response.read() == (directory / name).read_bytes()
    for index in range(3):
        response = await client.get(f"/api/records/{RECORD}/chunks/{index}", headers=headers)
        assert await response.read() == (directory / "chunks" / f"{index:010d}.chunk").read_bytes()

    from video_bank.records.model import RecordHeader

    wrap = RecordHeader.parse((directory / "header.json").read_bytes()).wraps[0]
    key = await (await client.get(f"/api/records/{RECORD}/keys/{wrap.key_id}", headers=headers)).json()
    assert key["key_id"] == wrap.key_id and key["algorithm"] == "RSA-OAEP-256"
    keys = await (await client.get("/api/records/signing-keys", headers=headers)).json()
    assert len(keys["keys"]) == 1 and keys["keys"][0]["status"] == "active"

    # The other record was not opened: its content stays closed.
    other = await client.get(f"/api/records/{OTHER}/manifest", headers=headers)
    assert other.status == 403

    log = await (await client.get("/api/access-log", headers=headers)).json()
    assert log["check"]["intact"] and log["check"]["entries"] == 1
    assert REASON.split(":")[0] in log["lines"][0]
    verify = await (await client.get("/api/access-log/verify", headers=headers)).json()
    assert verify["intact"] and verify["head"] == log["check"]["head"]


async def test_unknown_ids_get_a_clear_404_and_are_not_logged(
    client: TestClient, records: Path, settings: Settings
) -> None:
    headers = cookie(await sign_in(client, "audit1"))
    for method, path, body in (
        ("GET", "/api/records/no-such-record", None),
        ("POST", "/api/records/no-such-record/open", {"reason": REASON}),
        ("GET", "/api/records/bad%20id!", None),
        ("GET", "/api/nothing-here", None),
    ):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status == 404, path
        answer = await response.json()
        assert answer["error"] == "not_found" and answer["message"]
    await client.post(f"/api/records/{RECORD}/open", json={"reason": REASON}, headers=headers)
    missing = await client.get(f"/api/records/{RECORD}/chunks/99", headers=headers)
    assert missing.status == 404 and "no chunk 99" in (await missing.json())["message"]
    assert await _access_lines(settings) == 1


async def test_search_filters_over_http(client: TestClient, records: Path) -> None:
    headers = cookie(await sign_in(client, "audit1"))

    async def found(**params: str) -> list[str]:
        response = await client.get("/api/records", params=params, headers=headers)
        assert response.status == 200, await response.text()
        return [r["record_id"] for r in (await response.json())["records"]]

    assert sorted(await found()) == sorted([RECORD, OTHER])
    assert await found(verification="pass") == [RECORD]
    assert await found(verification="none") == [OTHER]
    assert await found(teller="teller2") == [OTHER]
    assert sorted(await found(customer_id="C-9", business="activation")) == sorted([RECORD, OTHER])
    assert await found(**{"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"}) == []
    bad = await client.get("/api/records", params={"verification": "maybe"}, headers=headers)
    assert bad.status == 400 and "verification" in (await bad.json())["message"]


async def test_sign_in_refusals_and_sign_out(client: TestClient) -> None:
    wrong = await client.post("/api/session", json={"username": "audit1", "password": "wrong-password"})
    assert wrong.status == 401 and (await wrong.json())["error"] == "auth_failed"
    assert "vb_staff" not in wrong.cookies
    form = await client.post("/api/session", data={"username": "audit1", "password": DEMO_PASSWORD})
    assert form.status == 400  # a cross-site form cannot sign anyone in
    cross = await client.post(
        "/api/session",
        json={"username": "audit1", "password": DEMO_PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status == 403
    token = await sign_in(client, "audit1")
    assert (await client.delete("/api/session", headers=cookie(token))).status == 200
    after = await client.get("/api/records", headers=cookie(token))
    assert after.status == 401


async def test_the_access_log_table_refuses_updates_and_deletes(
    client: TestClient, records: Path, settings: Settings
) -> None:
    headers = cookie(await sign_in(client, "audit1"))
    await client.post(f"/api/records/{RECORD}/open", json={"reason": REASON}, headers=headers)
    storage = await SqliteStorage.open(settings.sqlite_path)
    try:
        for sql in (
            "UPDATE access_log SET line = 'x'",
            "DELETE FROM access_log",
            "INSERT INTO access_log (seq, at_us, auditor, record_id, line) VALUES (5, 0, 'a', 'b', 'c')",
            "INSERT OR REPLACE INTO access_log (seq, at_us, auditor, record_id, line)"
            " VALUES (1, 0, 'a', 'b', 'c')",
        ):
            with pytest.raises(Exception, match="append-only"):
                await storage.run(lambda db, sql=sql: db.execute(sql))
    finally:
        await storage.close()
    verify = await (await client.get("/api/access-log/verify", headers=headers)).json()
    assert verify["intact"] and verify["entries"] == 1


async def test_the_access_log_cli_verifies_the_chain_and_finds_an_edit(
    client: TestClient, records: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from video_bank.cli import main

    headers = cookie(await sign_in(client, "audit1"))
    for _ in range(2):
        await client.post(f"/api/records/{RECORD}/open", json={"reason": REASON}, headers=headers)
    args = ["access-log", "verify", "--data-dir", str(settings.data_dir)]
    assert await asyncio.to_thread(main, args) == 0
    assert "access log intact: 2 entries" in capsys.readouterr().out

    # Someone with raw database access drops the guard and edits a reason: the chain shows it.
    with sqlite3.connect(settings.sqlite_path) as db:
        db.execute("DROP TRIGGER access_log_append_only_update")
        db.execute("UPDATE access_log SET line = replace(line, 'disputes', 'confirms') WHERE seq = 1")
    assert await asyncio.to_thread(main, args) == 1
    assert "entry 2: does not follow entry 1" in capsys.readouterr().out
    verify = await (await client.get("/api/access-log/verify", headers=headers)).json()
    assert not verify["intact"]


async def test_a_record_whose_manifest_was_altered_is_still_listed_as_invalid(
    client: TestClient, records: Path
) -> None:
    headers = cookie(await sign_in(client, "audit1"))
    manifest = records / RECORD / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"verification":"pass"', b'"verification":"fail"'))
    answer = await (await client.get("/api/records", params={"teller": "nobody"}, headers=headers)).json()
    assert answer["records"] == []
    assert answer["invalid"] == [{"record_id": RECORD, "status": "invalid-signature"}]
    one = await (await client.get(f"/api/records/{RECORD}", headers=headers)).json()
    assert one["status"] == "invalid-signature"
    # It can still be opened (and the opening is logged), so the console can show why it is tampered.
    opened = await client.post(f"/api/records/{RECORD}/open", json={"reason": REASON}, headers=headers)
    assert opened.status == 200
    served = await client.get(f"/api/records/{RECORD}/manifest", headers=headers)
    assert await served.read() == manifest.read_bytes()


async def test_repeated_wrong_passwords_pause_sign_in_for_that_name(client: TestClient) -> None:
    for _ in range(5):
        wrong = await client.post("/api/session", json={"username": "audit1", "password": "guess-123"})
        assert wrong.status == 401
    paused = await client.post("/api/session", json={"username": "audit1", "password": DEMO_PASSWORD})
    assert paused.status == 429 and int(paused.headers["Retry-After"]) > 0
    assert (await paused.json())["error"] == "too_many_attempts"
    assert (
        await client.post("/api/session", json={"username": "teller1", "password": DEMO_PASSWORD})
    ).status == 200


def _verification_events(review: bool) -> list[dict[str, object]]:
    """The decided/evidence pair an attempt leaves in a record (a fake-analysis attempt, as decrypted)."""
    from tests.unit.test_verification_attempt import REFERENCE, attempt, drive
    from verification.evidence import encode
    from verification.testing import person

    a = attempt()
    live = person(REFERENCE, 0.50 if review else 0.2)
    drive(a, live=lambda t, k: live(k))
    assert a.decision is not None
    view = {"attempt": a.nonce, **a.decision.teller_view()}
    return [
        {"kind": "verification_decided", "data": view},
        {"kind": "verification_evidence", "data": {"attempt": a.nonce, **encode(a.evidence())}},
        {"kind": "session_started", "data": {}},
    ]


async def test_an_auditor_re_derives_the_decisions_of_an_opened_record(
    client: TestClient, records: Path, settings: Settings
) -> None:
    headers = cookie(await sign_in(client, "audit1"))
    path = f"/api/records/{RECORD}/redecide"
    events = _verification_events(review=True)
    closed = await client.post(path, json={"events": events}, headers=headers)
    assert closed.status == 403 and (await closed.json())["error"] == "not_opened"
    await client.post(f"/api/records/{RECORD}/open", json={"reason": REASON}, headers=headers)

    answer = await client.post(path, json={"events": events}, headers=headers)
    assert answer.status == 200, await answer.text()
    [decision] = (await answer.json())["decisions"]
    assert decision["verdict"] == "identical" and decision["rederived_outcome"] == "review"

    today = await client.post(path + "?policy=current", json={"events": events}, headers=headers)
    [later] = (await today.json())["decisions"]
    assert later["policy"] == "current"  # the defaults decide this 0.50 distance as they do now

    events[1]["data"]["frames"]["t"].pop()  # type: ignore[index]
    damaged = await client.post(path, json={"events": events}, headers=headers)
    assert damaged.status == 400 and "frames" in (await damaged.json())["message"]
    assert await _access_lines(settings) == 1  # only the opening; re-deriving logs nothing more
