"""Key management: auditor key pairs, registration, rotation (new records use the new key, old records keep
theirs), retirement, and the server's signing key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from video_bank.records import KeyStoreError, Recorder, SessionInfo, TimelineEvent, WrongKeyError
from video_bank.records.keyring import KeyRing, KeyStatus, load_private_key_file
from video_bank.records.keywrap import auditor_key_id, generate_auditor_key, load_auditor_public_key
from video_bank.records.reader import open_record
from video_bank.records.store import LocalRecordStore
from video_bank.records.verify import verify_record

NOW = 1_780_000_000.0


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def keyring(data_dir: Path) -> KeyRing:
    return KeyRing(data_dir / "keys")


async def record(data_dir: Path, session_id: str) -> None:
    writer = await Recorder.local(data_dir).open(SessionInfo.of(session_id, "activation", NOW))
    writer.append_events([TimelineEvent.of(NOW, "hello")])
    await writer.seal()


def opens(data_dir: Path, session_id: str, key: rsa.RSAPrivateKey) -> bool:
    keyring = KeyRing(data_dir / "keys")
    try:
        with open_record(
            LocalRecordStore(data_dir / "records").source(session_id), keyring.trusted_signing_keys(), key
        ) as reader:
            return reader.timeline()[0].kind == "hello"
    except WrongKeyError:
        return False


# --- auditor keys -------------------------------------------------------------------------------------


def test_generating_an_auditor_key_writes_only_the_private_half_to_the_named_file(
    keyring: KeyRing, tmp_path: Path
) -> None:
    out = tmp_path / "elsewhere" / "audit1.pem"

    entry = keyring.generate_auditor("audit1", out)

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    private = load_private_key_file(out)
    assert private.key_size == 3072
    assert entry.key_id == auditor_key_id(private.public_key())
    assert [(a.name, a.key_id, a.status) for a in keyring.auditor_keys()] == [
        ("audit1", entry.key_id, KeyStatus.ACTIVE)
    ]
    assert not any(
        b"PRIVATE KEY" in p.read_bytes() and "signing" not in p.name for p in keyring.directory.iterdir()
    )


def test_an_existing_key_file_is_never_overwritten(keyring: KeyRing, tmp_path: Path) -> None:
    out = tmp_path / "audit1.pem"
    out.write_text("precious")

    with pytest.raises(KeyStoreError, match="already exists"):
        keyring.generate_auditor("audit1", out)

    assert out.read_text() == "precious"
    assert keyring.auditor_keys() == []


def test_a_second_key_for_the_same_auditor_needs_rotate(keyring: KeyRing, tmp_path: Path) -> None:
    keyring.generate_auditor("audit1", tmp_path / "one.pem")

    with pytest.raises(KeyStoreError, match="already has an active key; use 'keys rotate --auditor audit1'"):
        keyring.generate_auditor("audit1", tmp_path / "two.pem")
    assert not (tmp_path / "two.pem").exists()


def test_registering_a_public_key_the_auditor_generated_elsewhere(keyring: KeyRing) -> None:
    private = generate_auditor_key()

    entry = keyring.add_auditor("audit2", private.public_key())

    assert [a.key_id for a in keyring.active_auditors()] == [entry.key_id]
    with pytest.raises(KeyStoreError, match="already registered"):
        keyring.add_auditor("audit3", private.public_key())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: rsa.generate_private_key(65537, 2048).public_key(), "at least 3072 bits"),
        (lambda: rsa.generate_private_key(3, 3072).public_key(), "public exponent 65537"),
        (lambda: ec.generate_private_key(ec.SECP256R1()).public_key(), "must be an RSA key"),
    ],
    ids=["rsa-2048", "exponent-3", "ec"],
)
def test_weak_or_unsuitable_auditor_keys_are_refused(keyring: KeyRing, make: object, message: str) -> None:
    key = make()  # type: ignore[operator]
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    with pytest.raises(KeyStoreError, match=message):
        load_auditor_public_key(pem)


def test_bad_auditor_names_are_refused(keyring: KeyRing) -> None:
    with pytest.raises(KeyStoreError, match="auditor name"):
        keyring.add_auditor("../x", generate_auditor_key().public_key())


# --- rotation -------------------------------------------------------------------------------------------


async def test_after_rotating_an_auditor_key_new_records_use_the_new_key_and_old_ones_keep_theirs(
    data_dir: Path, keyring: KeyRing, tmp_path: Path
) -> None:
    keyring.generate_auditor("audit1", tmp_path / "old.pem")
    await record(data_dir, "before")

    keyring.generate_auditor("audit1", tmp_path / "new.pem", replace_active=True)
    await record(data_dir, "after")

    old, new = load_private_key_file(tmp_path / "old.pem"), load_private_key_file(tmp_path / "new.pem")
    assert opens(data_dir, "before", old) and not opens(data_dir, "before", new)
    assert opens(data_dir, "after", new) and not opens(data_dir, "after", old)
    assert [(a.status, a.key_id) for a in keyring.auditor_keys()] == [
        (KeyStatus.RETIRED, auditor_key_id(old.public_key())),
        (KeyStatus.ACTIVE, auditor_key_id(new.public_key())),
    ]


async def test_records_are_wrapped_to_every_active_auditor(
    data_dir: Path, keyring: KeyRing, tmp_path: Path
) -> None:
    keyring.generate_auditor("audit1", tmp_path / "a.pem")
    keyring.generate_auditor("audit2", tmp_path / "b.pem")

    await record(data_dir, "sess-1")

    assert opens(data_dir, "sess-1", load_private_key_file(tmp_path / "a.pem"))
    assert opens(data_dir, "sess-1", load_private_key_file(tmp_path / "b.pem"))


async def test_a_retired_auditor_no_longer_receives_new_records(
    data_dir: Path, keyring: KeyRing, tmp_path: Path
) -> None:
    keyring.generate_auditor("audit1", tmp_path / "a.pem")
    keyring.generate_auditor("audit2", tmp_path / "b.pem")
    keyring.retire_auditor("audit2")

    await record(data_dir, "sess-1")

    assert not opens(data_dir, "sess-1", load_private_key_file(tmp_path / "b.pem"))
    keyring.retire_auditor("audit1")
    with pytest.raises(KeyStoreError, match="no auditor key"):
        await record(data_dir, "sess-2")


async def test_rotating_the_signing_key_keeps_old_records_verifiable(
    data_dir: Path, keyring: KeyRing, tmp_path: Path
) -> None:
    keyring.generate_auditor("audit1", tmp_path / "a.pem")
    await record(data_dir, "before")
    old_id = keyring.signer().key_id

    new = keyring.rotate_signing()
    await record(data_dir, "after")

    store, trusted = LocalRecordStore(data_dir / "records"), keyring.trusted_signing_keys()
    before = verify_record(store.source("before"), trusted).raise_for_problems()
    after = verify_record(store.source("after"), trusted).raise_for_problems()
    assert (before.signing_key_id, after.signing_key_id) == (old_id, new.key_id)
    assert [(s.key_id, s.status) for s in keyring.signing_keys()] == [
        (old_id, KeyStatus.RETIRED),
        (new.key_id, KeyStatus.ACTIVE),
    ]
    assert not (keyring.directory / f"signing-{old_id}.pem").exists()  # the retired private key is gone
    assert stat.S_IMODE((keyring.directory / f"signing-{new.key_id}.pem").stat().st_mode) == 0o600


def test_the_signing_key_is_created_once_and_reused(keyring: KeyRing) -> None:
    first = keyring.signer()

    assert KeyRing(keyring.directory).signer().key_id == first.key_id
    assert len(keyring.signing_keys()) == 1


def test_a_damaged_keyring_is_a_clear_error(keyring: KeyRing) -> None:
    keyring.signer()
    (keyring.directory / "keyring.json").write_text('{"format": "video_bank.keyring/1", "signing": 3}')

    with pytest.raises(KeyStoreError, match="keyring file is malformed"):
        keyring.signer()


def test_a_missing_signing_private_key_is_a_clear_error(keyring: KeyRing) -> None:
    signer = keyring.signer()
    (keyring.directory / f"signing-{signer.key_id}.pem").unlink()

    with pytest.raises(KeyStoreError, match=r"private key file .* is missing"):
        keyring.signer()


def test_encrypted_or_foreign_private_key_files_give_clear_errors(tmp_path: Path) -> None:
    key = generate_auditor_key()
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")

    with pytest.raises(WrongKeyError, match="encrypted and no password"):
        load_private_key_file(encrypted)
    assert load_private_key_file(encrypted, b"secret").key_size == 3072
    with pytest.raises(WrongKeyError, match="not a PEM private key"):
        load_private_key_file(garbage)
    with pytest.raises(KeyStoreError, match="cannot read"):
        load_private_key_file(tmp_path / "missing.pem")
