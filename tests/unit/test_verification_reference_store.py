"""Reference photos: validated on enrollment, encrypted at rest, bound to their customer."""

from __future__ import annotations

import asyncio
import base64
import secrets
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.faces import face_path
from verification.analysis import DlibAnalyzer, PhotoFace, Rgb
from verification.errors import (
    ConfigurationError,
    ReferenceIntegrityError,
    ReferencePhotoError,
    UnknownReferenceError,
)
from verification.reference_store import ReferenceStore, parse_key
from verification.testing import shared_analyzer
from video_bank.cli import main

KEY = secrets.token_bytes(32)


@pytest.fixture
def analyzer() -> DlibAnalyzer:
    return shared_analyzer()


@pytest.fixture
def store(tmp_path: Path) -> ReferenceStore:
    return ReferenceStore(tmp_path / "references", KEY, lambda: 1234.5)


def photo(name: str) -> bytes:
    return face_path(name).read_bytes()


def test_an_enrolled_reference_is_stored_encrypted_and_loads_its_embedding(
    store: ReferenceStore, analyzer: DlibAnalyzer
) -> None:
    data = photo("obama.jpg")
    enrolled = store.enroll("customer-42", data, analyzer)
    assert enrolled.embedding.shape == (128,)
    assert enrolled.eye_distance > 60
    loaded = store.load("customer-42")
    assert np.allclose(loaded.embedding, enrolled.embedding)
    assert loaded.enrolled_at == 1234.5
    assert store.photo("customer-42") == data
    (stored,) = store.directory.iterdir()
    raw = stored.read_bytes()
    assert "customer-42" not in stored.name
    assert b"customer-42" not in raw and b"JFIF" not in raw and data[100:200] not in raw
    assert "customer" not in repr(loaded) and "embedding" not in repr(loaded)


def test_the_same_person_on_another_photo_is_close_to_the_reference(
    store: ReferenceStore, analyzer: DlibAnalyzer
) -> None:
    store.enroll("obama", photo("obama2.jpg"), analyzer)
    live = analyzer.analyse_photo(cv2.cvtColor(cv2.imread(str(face_path("obama.jpg"))), cv2.COLOR_BGR2RGB))
    distance = float(np.linalg.norm(live[0].embedding - store.load("obama").embedding))
    assert 0.25 < distance < 0.45  # the fixture README: 0.33-0.43 across the two Obama photos


def test_a_photo_with_several_faces_is_refused(store: ReferenceStore, analyzer: DlibAnalyzer) -> None:
    with pytest.raises(ReferencePhotoError, match="exactly one"):
        store.enroll("group", photo("t1.jpg"), analyzer)
    assert not store.exists("group")


def test_a_badge_that_looks_like_a_face_does_not_count_as_a_second_face(
    store: ReferenceStore, analyzer: DlibAnalyzer
) -> None:
    """HOG also reports the astronaut's mission patch; its low score keeps it out."""
    store.enroll("collins", photo("astronaut.png"), analyzer)
    assert store.exists("collins")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"", "empty"),
        (lambda: b"not an image at all", "not an image"),
        (lambda: cv2.imencode(".png", np.full((300, 300, 3), 128, np.uint8))[1].tobytes(), "no clear face"),
        (
            lambda: cv2.imencode(
                ".jpg", cv2.resize(cv2.imread(str(face_path("obama.jpg"))), None, fx=0.3, fy=0.3)
            )[1].tobytes(),
            "too small",
        ),
    ],
    ids=["empty", "not-an-image", "no-face", "small-face"],
)
def test_unusable_photos_are_refused_with_a_reason(
    store: ReferenceStore, analyzer: DlibAnalyzer, make: object, message: str
) -> None:
    with pytest.raises(ReferencePhotoError, match=message):
        store.enroll("c", make(), analyzer)  # type: ignore[operator]


def test_a_wrong_key_a_tampered_file_or_a_file_moved_to_another_customer_is_detected(
    tmp_path: Path, store: ReferenceStore, analyzer: DlibAnalyzer
) -> None:
    store.enroll("alice", photo("biden.jpg"), analyzer)
    (path,) = store.directory.iterdir()
    other_key = ReferenceStore(store.directory, secrets.token_bytes(32), lambda: 0.0)
    with pytest.raises(UnknownReferenceError):
        other_key.load("alice")  # another key does not even find the file ...
    (store.directory / f"{other_key._name('alice')}.ref").write_bytes(path.read_bytes())
    with pytest.raises(ReferenceIntegrityError):
        other_key.load("alice")  # ... nor decrypt it
    moved = store.directory / path.name.replace(path.stem, store._name("bob"))
    moved.write_bytes(path.read_bytes())
    with pytest.raises(ReferenceIntegrityError):
        store.load("bob")
    raw = bytearray(path.read_bytes())
    raw[40] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(ReferenceIntegrityError):
        store.load("alice")


def test_unknown_customers_and_deletion(store: ReferenceStore, analyzer: DlibAnalyzer) -> None:
    with pytest.raises(UnknownReferenceError):
        store.load("nobody")
    store.enroll("c", photo("biden.jpg"), analyzer)
    assert store.delete("c") is True
    assert store.delete("c") is False
    assert not store.exists("c")


def test_enrollment_from_the_event_loop_analyses_in_the_given_function(store: ReferenceStore) -> None:
    seen: list[tuple[int, ...]] = []
    analyzer = shared_analyzer()

    async def analyse(rgb: Rgb) -> list[PhotoFace]:
        seen.append(rgb.shape)
        return analyzer.analyse_photo(rgb)

    reference = asyncio.run(store.enroll_async("c", photo("biden.jpg"), analyse))
    assert seen and seen[0][2] == 3
    assert np.allclose(store.load("c").embedding, reference.embedding)


def test_keys_are_32_bytes_as_hex_or_base64() -> None:
    key = secrets.token_bytes(32)
    assert parse_key(key.hex()) == key
    assert parse_key(base64.urlsafe_b64encode(key).decode().rstrip("=")) == key
    for bad in ("", "abcd", "zz" * 32, base64.b64encode(b"short").decode()):
        with pytest.raises(ConfigurationError):
            parse_key(bad)
    with pytest.raises(ConfigurationError):
        ReferenceStore(Path("."), b"short", lambda: 0.0)


def test_the_command_line_enrolls_and_deletes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VIDEO_BANK_REFERENCE_KEY", KEY.hex())
    monkeypatch.setattr("verification.analysis.DlibAnalyzer", shared_analyzer)  # models already loaded
    data_dir = tmp_path / "data"
    args = ["reference", "enroll", "--customer-id", "cust-7", "--photo", str(face_path("obama.jpg"))]
    assert main([*args, "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr()
    assert "Reference enrolled" in out.out and "cust-7" not in out.out + out.err
    store = ReferenceStore(data_dir / "references", KEY, lambda: 0.0)
    assert store.exists("cust-7")
    assert main(["reference", "delete", "--customer-id", "cust-7", "--data-dir", str(data_dir)]) == 0
    assert not store.exists("cust-7")
    missing = ["reference", "enroll", "--customer-id", "g", "--photo", str(tmp_path / "missing.jpg")]
    assert main([*missing, "--data-dir", str(data_dir)]) == 1
    assert "cannot read the photo" in capsys.readouterr().err


def test_without_a_configured_key_the_command_line_uses_the_servers_key_file_and_bad_keys_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VIDEO_BANK_REFERENCE_KEY", raising=False)
    args = ["reference", "delete", "--customer-id", "x", "--data-dir", str(tmp_path)]
    assert main(args) == 1
    assert "no reference is enrolled" in capsys.readouterr().err
    key_file = tmp_path / "keys" / "reference.key"
    assert key_file.stat().st_mode & 0o077 == 0  # the embedded default key is readable by its owner only
    monkeypatch.setenv("VIDEO_BANK_REFERENCE_KEY", "not-a-key")
    assert main(args) == 2
    assert "reference_key" in capsys.readouterr().err
