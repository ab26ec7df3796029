"""Verification inside a real call: an aiortc customer streams a synthetic face through the hub.

The customer's client reads ``verification_prompt`` from its socket and its synthetic face performs
the asked action, as a person in front of a phone would (``tests/support/reacting_face.py``, which
the browser tests' camera shares); the server alone decides, from the frames its hub decoded. A
photo held up to the camera, moved to mimic each prompt, fails.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import DEMO_PASSWORD, PartyFactory
from tests.support.faces import face_path
from tests.support.media_party import Party, start_call, wait_until
from tests.support.reacting_face import Prompt, Reacting, ReactingFace
from verification.analysis import DlibAnalyzer
from verification.policy import VerificationPolicy
from verification.reference_store import ReferenceStore, parse_key
from verification.synth.attacks import PhotoAttack
from verification.synth.catalog import Cast
from verification.synth.performer import Performer
from verification.synth.track import SyntheticCameraTrack
from verification.testing import shared_analyzer
from video_bank.config import Settings
from video_bank.records.export import export_record
from video_bank.records.keyring import KeyRing
from video_bank.records.store import LocalRecordStore
from video_bank.verification_setup import reference_key_text

CUSTOMER = "cus_obama"
TELLER_SENDER = 12
FPS = 15
VERDICT_TIMEOUT = 120.0


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Client, server and face rendering share one event loop here: allow it some lag before a party
    counts as lost (the default suite uses 0.5 s heartbeats). ``@pytest.mark.settings(**kw)`` sets
    more (``verification_fps``, ``match_accept``, ``review_four_eyes``…)."""
    marker = request.node.get_closest_marker("settings")
    extra = dict(marker.kwargs) if marker else {}
    return Settings(data_dir=tmp_path / "data", heartbeat_seconds=10.0, **extra)


@pytest.fixture(scope="module")
def cast() -> Cast:
    face_path("obama.jpg")
    return Cast(face_path("obama.jpg").parent, shared_analyzer())


def enroll(settings: Settings, customer_id: str, photo: str) -> None:
    store = ReferenceStore(
        settings.data_dir / "references", parse_key(reference_key_text(settings)), time.time
    )
    store.enroll(customer_id, face_path(photo).read_bytes(), DlibAnalyzer())


class Face:
    """A synthetic customer in front of the camera who reacts to the server's prompts."""

    def __init__(self, scene: Reacting) -> None:
        self.reacting = ReactingFace(scene)
        self.track = SyntheticCameraTrack(self.reacting.frame, fps=FPS)

    async def follow(self, customer: Party, until: asyncio.Event) -> list[dict[str, Any]]:
        """Read the customer's socket; perform each prompt; return every message seen."""
        seen: list[dict[str, Any]] = []
        while not until.is_set():
            try:
                message = await asyncio.wait_for(customer.inbox.get(), 1.0)
            except TimeoutError:
                continue
            seen.append(message)
            if message["type"] == "verification_prompt":
                self.reacting.see(Prompt.from_message(message), self.track.elapsed(time.time()))
            if message["type"] == "verification_result":
                until.set()
        return seen


async def verify(
    party: PartyFactory, settings: Settings, face: Face, *, busy_refusal: bool = False
) -> tuple[dict[str, Any], list[Any], Party, Party]:
    customer, teller = await start_call(party)
    await customer.connect_media(0, 440.0, camera=face.track)
    await teller.connect_media(TELLER_SENDER, 880.0)
    await wait_until(lambda: len(teller.received.video) >= 15, timeout=60, what="the customer's video")
    result, customer_messages = await run_check(customer, teller, face, customer_id=CUSTOMER, tries=1)
    assert busy_refusal or "refused" not in result, result
    return result, customer_messages, customer, teller


async def run_check(
    customer: Party, teller: Party, face: Face, *, customer_id: str | None = None, tries: int = 3
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The teller starts the check until it is decided; the verdict and what the customer was sent.

    A server too busy to analyse says so (a ``busy`` verdict, or a ``busy`` refusal with the seconds
    after which it judges afresh), which says nothing about the customer: the teller starts again,
    as on the console, up to ``tries`` in all. The last try's answer is returned whatever it is (a
    refusal as ``{"outcome": "busy", "refused": ...}``).
    """
    start: dict[str, Any] = {"type": "verification_start", "session_id": teller.session_id}
    if customer_id is not None:
        start["customer_id"] = customer_id
    for attempt in range(1, tries + 1):
        last = attempt == tries
        await teller.send(**start)
        done = asyncio.Event()
        follower = asyncio.create_task(face.follow(customer, done))
        started = await first_of(teller, ("verification_started", "verification_refused"), 60)
        if started["type"] == "verification_refused":
            assert started["reason"] == "busy", started
            done.set()
            await follower
            if last:
                return {"outcome": "busy", "refused": started}, []
            await asyncio.sleep(started.get("retry_after", 0))  # the protocol's Retry-After, not a guess
            continue
        result = await teller.until("verification_result", timeout=VERDICT_TIMEOUT)
        customer_messages = await asyncio.wait_for(follower, 30)
        assert result["attempt"] == started["attempt"]
        if result["outcome"] != "busy" or last:
            return result, customer_messages
    raise AssertionError("unreachable: the last try returns")


async def first_of(p: Party, types: tuple[str, ...], timeout: float) -> dict[str, Any]:
    """The next message of one of ``types`` (errors fail the test at once)."""
    deadline = time.monotonic() + timeout
    while True:
        message = await p.next(max(0.01, deadline - time.monotonic()))
        assert message["type"] not in ("error", "session_ended"), message
        if message["type"] in types:
            return message


async def hang_up(customer: Party, teller: Party) -> None:
    await teller.send(type="hangup", session_id=teller.session_id)
    await customer.until("session_ended")
    await customer.close_media()
    await teller.close_media()


async def redecide(
    settings: Settings, session_id: str, key: rsa.RSAPrivateKey, tmp_path: Path, *options: str
) -> tuple[int, list[dict[str, Any]]]:
    """``python -m video_bank records redecide`` on the sealed record: exit status and its JSON."""
    records = LocalRecordStore(settings.data_dir / "records")
    await wait_until(
        lambda: records.state(session_id).value == "sealed", timeout=20, what="the record sealed"
    )
    pem = tmp_path / "auditor.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    argv = [
        "records",
        "redecide",
        "--key",
        str(pem),
        "--data-dir",
        str(settings.data_dir),
        "--json",
        *options,
    ]
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "video_bank", *argv, "--", session_id],  # ids may start with "-"
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
async def enrolled(client: Any, settings: Settings) -> None:
    await asyncio.to_thread(enroll, settings, CUSTOMER, "obama.jpg")


async def test_a_live_customer_passes_and_only_the_teller_sees_the_scores(
    enrolled: None,
    party: PartyFactory,
    settings: Settings,
    cast: Cast,
    auditor_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    face = Face(Performer(cast.rig("obama"), seed=11))
    result, to_customer, customer, teller = await verify(party, settings, face)

    assert result["outcome"] == "pass", result["detail"]["reasons"]
    detail = result["detail"]
    assert detail["scores"]["match_distance"] <= VerificationPolicy().match.accept
    assert [c["passed"] for c in detail["challenges"]] == [True] * 3
    prompts = face.reacting.prompts
    assert [p.action.value for p in prompts[:3]] == detail["sequence"] or len(prompts) > 3
    kinds = [m["type"] for m in to_customer]
    assert "verification_prompt" in kinds
    assert "verification_progress" not in kinds and "verification_phase" not in kinds
    [verdict] = [m for m in to_customer if m["type"] == "verification_result"]
    assert verdict["status"] == "passed" and "outcome" not in verdict and "detail" not in verdict
    session_id = teller.session_id
    await hang_up(customer, teller)

    # The plaintext event log has the decision and scores, never an image.
    with sqlite3.connect(settings.sqlite_path) as db:
        rows = db.execute(
            "SELECT kind, data FROM events WHERE session_id = ? ORDER BY seq", (session_id,)
        ).fetchall()
    logged = [kind for kind, _ in rows]
    assert logged.index("verification_started") < logged.index("verification_decided")
    assert "verification_keyframes" not in logged
    decided = json.loads(next(data for kind, data in rows if kind == "verification_decided"))
    assert decided["outcome"] == "pass" and decided["customer_id"] == CUSTOMER
    assert all("jpeg" not in data for _, data in rows)

    # The encrypted record keeps the keyframes the decision used.
    records = LocalRecordStore(settings.data_dir / "records")
    await wait_until(
        lambda: records.state(session_id).value == "sealed", timeout=20, what="the record sealed"
    )
    ring = KeyRing(settings.data_dir / "keys")
    export_record(records, session_id, ring.trusted_signing_keys(), auditor_key, tmp_path / "export")
    timeline = json.loads((tmp_path / "export" / "timeline.json").read_text())["events"]
    keyframes = next(e for e in timeline if e["kind"] == "verification_keyframes")["data"]["keyframes"]
    assert len(keyframes) == detail["keyframes"] >= 5
    assert all(k["jpeg_base64"].startswith("/9j/") for k in keyframes)  # JPEG magic, base64
    # Auditors find the record by the customer and the verification outcome (signed manifest summary).
    summary = json.loads((tmp_path / "export" / "manifest.json").read_text())["summary"]
    assert summary["verification"] == "pass" and summary["customer_id"] == CUSTOMER
    assert any(e["kind"] == "verification_evidence" for e in timeline)
    assert "verification_evidence" not in logged  # biometric: the encrypted record only

    # The auditor re-runs the decision code on the recorded evidence: the same verdict, exactly.
    status, [again] = await redecide(settings, session_id, auditor_key, tmp_path)
    assert status == 0 and again["verdict"] == "identical", again["differences"]
    assert again["recorded_outcome"] == again["rederived_outcome"] == "pass"
    assert again["rederived"]["scores"] == detail["scores"]


async def test_a_photo_held_up_to_the_camera_fails(
    enrolled: None,
    party: PartyFactory,
    settings: Settings,
    cast: Cast,
    auditor_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    face = Face(PhotoAttack(cast.rig("obama"), seed=5))
    result, to_customer, customer, teller = await verify(party, settings, face)

    assert result["outcome"] == "fail"
    assert result["detail"]["reasons"]
    [verdict] = [m for m in to_customer if m["type"] == "verification_result"]
    assert verdict["status"] == "failed" and verdict["message"]
    session_id = teller.session_id
    await hang_up(customer, teller)

    status, [again] = await redecide(settings, session_id, auditor_key, tmp_path)
    assert status == 0 and again["verdict"] == "identical", again["differences"]
    assert again["rederived"]["reasons"] == result["detail"]["reasons"]


@pytest.mark.settings(match_accept=0.02, match_review=0.5, review_four_eyes=True)
async def test_a_review_is_resolved_with_four_eyes_re_derived_and_compared_with_a_later_policy(
    enrolled: None,
    party: PartyFactory,
    settings: Settings,
    cast: Cast,
    auditor_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    # A bank whose accept threshold sits below this (same-photo) customer's distance: review.
    face = Face(Performer(cast.rig("obama"), seed=12))
    result, to_customer, customer, teller = await verify(party, settings, face)
    assert result["outcome"] == "review", result["detail"]["reasons"]
    assert [m["status"] for m in to_customer if m["type"] == "verification_result"] == ["teller_check"]
    review = await teller.until("verification_review")
    assert review["attempt"] == result["attempt"] and review["four_eyes"] is True
    assert review["distance"] == result["detail"]["scores"]["match_distance"]
    assert review["reference_image"].startswith("data:image/jpeg;base64,/9j/")
    assert review["keyframe_image"].startswith("data:image/jpeg;base64,/9j/")
    assert "verification_review" not in [m["type"] for m in to_customer]
    session_id = teller.session_id

    async def resolve(**fields: Any) -> dict[str, Any]:
        await teller.send(
            type="verification_resolve", session_id=session_id, attempt=review["attempt"], **fields
        )
        return await first_of(teller, ("verification_resolved", "verification_refused"), 30)

    alone = await resolve(accept=True, reason="matches_reference")
    assert alone["type"] == "verification_refused" and alone["reason"] == "second_staff_required"
    wrong = await resolve(
        accept=True, reason="matches_reference", second_username="teller2", second_password="wrong-password"
    )
    assert wrong["reason"] == "second_staff_invalid"
    done = await resolve(
        accept=True,
        reason="matches_reference",
        comment="same person, older photo",
        second_username="teller2",
        second_password=DEMO_PASSWORD,
    )
    assert done["type"] == "verification_resolved", done
    assert (done["accept"], done["by"], done["second"]) == (True, "teller1", "teller2")
    assert (await customer.until("verification_result"))["status"] == "passed"
    again = await resolve(accept=True, reason="matches_reference")
    assert again["reason"] == "no_review"  # resolved once
    await hang_up(customer, teller)
    with sqlite3.connect(settings.sqlite_path) as db:
        rows = db.execute(
            "SELECT kind, actor, data FROM events WHERE session_id = ? AND kind = 'verification_reviewed'",
            (session_id,),
        ).fetchall()
    [(_, actor, data)] = rows
    logged = json.loads(data)
    assert actor == "teller1" and logged["second"] == "teller2" and logged["reason"] == "matches_reference"
    assert "password" not in data and "image" not in data

    status, [again] = await redecide(settings, session_id, auditor_key, tmp_path)
    assert status == 0 and again["verdict"] == "identical", again["differences"]
    assert again["rederived_outcome"] == "review"
    # With the default thresholds the same evidence passes: the report says so, reason by reason.
    status, [today] = await redecide(settings, session_id, auditor_key, tmp_path, "--current-policy")
    assert status == 1 and today["verdict"] == "differs"
    changes = {(d["what"], d["recorded"], d["rederived"]) for d in today["differences"]}
    assert ("outcome", "review", "pass") in changes
    assert ("reason", "match_uncertain", None) in changes


@pytest.mark.settings(verification_fps=4.0)
async def test_a_live_customer_on_a_server_analysing_4_frames_a_second_passes_or_hears_busy(
    enrolled: None, party: PartyFactory, settings: Settings, cast: Cast
) -> None:
    """The analysis throttled to 4 frames/s (``VIDEO_BANK_VERIFICATION_FPS``): a live person passes,
    or — if this machine is slower still — is told the server is busy; never failed."""
    assert settings.verification_fps == 4.0
    face = Face(Performer(cast.rig("obama"), seed=13))
    result, to_customer, customer, teller = await verify(party, settings, face, busy_refusal=True)
    if "refused" not in result:  # refused before starting: the server said busy, nobody was failed
        assert result["outcome"] in ("pass", "busy"), result["detail"]["reasons"]
        assert result["detail"]["scores"]["effective_fps"] <= 5.0  # judged on the few frames analysed
        [verdict] = [m for m in to_customer if m["type"] == "verification_result"]
        assert verdict["status"] in ("passed", "busy")
    await hang_up(customer, teller)


async def test_refusals_reach_the_teller_and_customers_cannot_start_or_claim_anything(
    client: Any, party: PartyFactory
) -> None:
    customer, teller = await start_call(party)
    await teller.send(type="verification_start", session_id=teller.session_id, customer_id="nobody-enrolled")
    refused = await teller.until("verification_refused")
    assert refused["reason"] == "no_reference"
    await teller.send(type="verification_start", session_id=teller.session_id)
    error = await teller.until("error")
    assert error["code"] == "invalid_message"
    await customer.send(type="verification_start", session_id=customer.session_id, customer_id=CUSTOMER)
    assert (await customer.until("error"))["code"] == "not_allowed"
    # A client's word that verification passed is not even a message.
    await customer.send(
        type="verification_result", session_id=customer.session_id, attempt="x" * 12, status="passed"
    )
    assert (await customer.until("error"))["code"] == "unknown_type"
    await hang_up(customer, teller)
