"""PINs at rest (docs/pin-vault.md): an activation through the flow stores a vaulted value that the
database alone cannot confirm any PIN against; the key rotation and the migration of older hashes,
through ``python -m video_bank pins``; and the start-up checks."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from video_bank.config import load_settings
from video_bank.core_banking import demo
from video_bank.core_banking.models import CardStatus, Secret
from video_bank.core_banking.pin_keyring import KEY_FILE, load_keyring, read_key_file
from video_bank.core_banking.pin_rotation import LEGACY, prepare_vault, vault_status
from video_bank.core_banking.pin_vault import (
    LocalKeyVault,
    PinVaultError,
    ScryptCost,
    Sealed,
    UnknownKeyError,
    authenticated_data,
    card_subject,
    key_id,
    parse,
)
from video_bank.core_banking.store import ChangeContext, CoreBankingStore
from video_bank.flows import FlowExecutor, create_flow
from video_bank.flows.inputs import (
    CardConfirmed,
    ConsentGiven,
    FlowInput,
    IdentityClaimed,
    SecretEntered,
    VerificationDecided,
)
from video_bank.flows.steps import Actor, FlowStatus
from video_bank.passwords import hash_password, verify_password
from video_bank.storage import SqliteStorage

ROOT = Path(__file__).resolve().parents[2]
PIN = "730915"
SESSION = "sess_vault_1"
T0 = 1_800_000_000.0
CHEAP = ScryptCost(log2_n=1, r=1, p=1)
"""The real construction with the cheapest inner scrypt, so that a test can try all 10^6 PINs: what
keeps them apart without the key is the key, not scrypt's cost."""


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(tmp_path / "video_bank.sqlite3")
    yield opened
    await opened.close()


async def activate_through_the_flow(
    store: CoreBankingStore, storage: SqliteStorage, vault: LocalKeyVault
) -> None:
    """The pensioner activates their card with :data:`PIN`, through the real flow and executor."""
    clock = itertools.count(T0 + 100)
    executor = FlowExecutor(
        create_flow("activation", SESSION), store, storage, vault=vault, clock=lambda: float(next(clock))
    )

    async def send(cls: type[FlowInput], actor: Actor, **fields: Any) -> None:
        name = "teller1" if actor is Actor.TELLER else None
        report = await executor.submit(cls(at=float(next(clock)), actor=actor, actor_name=name, **fields))
        assert report.refusal is None, report.refusal

    await executor.start()
    await send(ConsentGiven, Actor.CUSTOMER, recording=True, biometric=True)
    await send(IdentityClaimed, Actor.CUSTOMER, resident_id=demo.PENSIONER.resident_id.number)
    await send(
        VerificationDecided, Actor.SYSTEM, session_id=SESSION, customer_id=demo.PENSIONER.id, decision="pass"
    )
    await send(CardConfirmed, Actor.TELLER, card_id=demo.PENSIONER_CARD.id)
    await send(SecretEntered, Actor.CUSTOMER, secret=Secret(PIN), confirmation=Secret(PIN))
    assert executor.flow.status is FlowStatus.COMPLETED


def stolen(data_dir: Path) -> tuple[bytes, str]:
    """What a stolen copy of the database holds: all its files' bytes, and the card's stored value."""
    files = sorted(data_dir.glob("video_bank.sqlite3*"))
    with closing(sqlite3.connect(files[0])) as db:
        (stored,) = db.execute(
            "SELECT pin_hash FROM core_social_security_cards WHERE id=?", (demo.PENSIONER_CARD.id,)
        ).fetchone()
    return b"".join(path.read_bytes() for path in files), str(stored)


def windows(data: bytes, length: int) -> set[bytes]:
    """Every ``length``-byte run of ``data``."""
    return {data[i : i + length] for i in range(len(data) - length + 1)}


def brute_force(sealed: Sealed, targets: Mapping[str, set[bytes]]) -> dict[str, list[str]]:
    """Try all 10^6 PINs: each one's inner digest (scrypt with the value's salt and parameters) against
    each named set of digests an attacker could compare it with. One pass, threads (scrypt releases
    the GIL)."""
    length = max(len(t) for found in targets.values() for t in found)

    def part(start: int) -> list[tuple[str, str]]:
        hits = []
        for number in range(start, start + 10_000):
            pin = f"{number:06d}"
            digest = hashlib.scrypt(
                pin.encode(),
                salt=sealed.salt,
                n=2**sealed.cost.log2_n,
                r=sealed.cost.r,
                p=sealed.cost.p,
                dklen=length,
            )
            hits += [(name, pin) for name, found in targets.items() if digest in found]
        return hits

    found: dict[str, list[str]] = {name: [] for name in targets}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for hits in pool.map(part, range(0, 10**6, 10_000)):
            for name, pin in hits:
                found[name].append(pin)
    return found


async def test_with_the_database_alone_no_pin_can_be_found_with_the_key_it_can(
    tmp_path: Path, storage: SqliteStorage
) -> None:
    key = LocalKeyVault.generate_key()
    vault = LocalKeyVault.from_keys(key, cost=CHEAP)
    store = await CoreBankingStore.open(storage)
    await demo.seed_demo_customers(store, vault, T0)
    await activate_through_the_flow(store, storage, vault)
    await storage.close()  # everything on disk: the attacker copies the files

    database, stored = stolen(tmp_path)
    sealed = parse(stored)
    assert sealed.key_id == key_id(key) and sealed.cost == CHEAP  # a vaulted value, cheap to test
    assert vault.verify(Secret(PIN), stored, card_subject(demo.PENSIONER_CARD.id))
    for form in (key, key.hex().encode(), base64.b64encode(key), base64.urlsafe_b64encode(key)):
        assert form not in database  # the key is not in the database

    # What the database holds about this PIN: the file's bytes and the value's decoded fields.
    in_database = windows(database, 32) | windows(sealed.salt + sealed.nonce + sealed.body, 32)
    # What the key adds: the value decrypted (the inner scrypt digest).
    inner = AESGCM(key).decrypt(
        sealed.nonce, sealed.body, authenticated_data(sealed, card_subject(demo.PENSIONER_CARD.id))
    )
    # A control for the method: the same digest stored as before the vault would be in the database.
    unsealed_before = windows(base64.b64decode(hash_password_with(sealed, inner).split("$")[-1]), 32)

    found = brute_force(
        sealed, {"database alone": in_database, "with the key": {inner}, "stored as before": unsealed_before}
    )

    assert found == {"database alone": [], "with the key": [PIN], "stored as before": [PIN]}


def hash_password_with(sealed: Sealed, inner: bytes) -> str:
    """The pre-vault format (video_bank/passwords.py) of an inner digest: salt and digest in the clear."""
    c = sealed.cost
    salt, digest = base64.b64encode(sealed.salt).decode(), base64.b64encode(inner).decode()
    encoded = f"scrypt${c.log2_n}${c.r}${c.p}${salt}${digest}"
    assert verify_password(PIN, encoded)  # checkable with the database alone
    return encoded


# --- start-up ------------------------------------------------------------------------------------------


async def test_start_up_seals_hashes_from_before_the_vault_and_refuses_a_missing_key(
    storage: SqliteStorage,
) -> None:
    store = await CoreBankingStore.open(storage)
    old, new = LocalKeyVault.from_keys(LocalKeyVault.generate_key(), cost=CHEAP), LocalKeyVault.generate_key()
    await demo.seed_demo_customers(store, old, T0)  # the account's password, under the old key
    await store.activate_card(demo.PENSIONER_CARD.id, hash_password(PIN), ChangeContext(T0, None, "test"))
    assert (await vault_status(store, old)).counts == {old.current_key_id: 1, LEGACY: 1}

    status = await prepare_vault(store, old, ChangeContext(T0 + 1, None, "start-up"))
    assert status.counts == {old.current_key_id: 2}
    card = await store.card(demo.PENSIONER_CARD.id)
    assert card is not None and card.status is CardStatus.ACTIVE and card.pin_hash is not None
    assert not verify_password(PIN, card.pin_hash)
    assert old.verify(Secret(PIN), card.pin_hash, card_subject(card.id))
    events = [e for e in await storage.events() if e.kind == "pin_vault_rewrapped"]
    assert [(e.actor, e.data["replaced"], e.data["key_id"]) for e in events] == [
        ("start-up", 1, old.current_key_id)
    ]

    with pytest.raises(PinVaultError, match=old.current_key_id):
        await prepare_vault(store, LocalKeyVault.from_keys(new), ChangeContext(T0 + 2, None, "start-up"))


# --- the command line ------------------------------------------------------------------------------------


def run(data_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_BANK_")}
    return subprocess.run(
        [sys.executable, "-m", "video_bank", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def status(data_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    done = run(data_dir, "pins", "status", "--json", env=env)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def card_pin(data_dir: Path) -> str:
    with closing(sqlite3.connect(data_dir / "video_bank.sqlite3")) as db:
        (value,) = db.execute(
            "SELECT pin_hash FROM core_social_security_cards WHERE id=?", (demo.PENSIONER_CARD.id,)
        ).fetchone()
    return str(value)


def test_migration_and_key_rotation_through_the_command_line_keep_the_pin_working(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "seed-demo", "--password", "pw-for-tests").returncode == 0
    # A card activated before the vault existed: a plain salted scrypt hash.
    with closing(sqlite3.connect(data / "video_bank.sqlite3")) as db:
        db.execute(
            "UPDATE core_social_security_cards SET status='active', pin_hash=?, pin_set_at=1 WHERE id=?",
            (hash_password(PIN), demo.PENSIONER_CARD.id),
        )
        db.commit()
    settings = load_settings({}, data_dir=data)
    first = load_keyring(settings, create=False).vault()
    assert status(data)["stored"] == {first.current_key_id: 1, "legacy": 1}

    done = run(data, "pins", "rewrap")
    assert done.returncode == 0, done.stderr
    assert "re-sealed 1 stored value(s)" in done.stdout
    assert status(data)["stored"] == {first.current_key_id: 2}
    migrated = card_pin(data)
    assert not verify_password(PIN, migrated)
    assert first.verify(Secret(PIN), migrated, card_subject(demo.PENSIONER_CARD.id))

    done = run(data, "pins", "rotate-key", "--retire")
    assert done.returncode == 0, done.stderr
    after = load_keyring(settings, create=False)
    assert len(after.keys) == 1 and after.vault().current_key_id != first.current_key_id
    assert f"retired PIN-vault key(s) {first.current_key_id}" in done.stdout
    rotated = card_pin(data)
    assert after.vault().verify(Secret(PIN), rotated, card_subject(demo.PENSIONER_CARD.id))
    assert not after.vault().verify(Secret("730916"), rotated, card_subject(demo.PENSIONER_CARD.id))
    with pytest.raises(UnknownKeyError):
        first.verify(Secret(PIN), rotated, card_subject(demo.PENSIONER_CARD.id))  # the old key opens nothing
    assert status(data)["stored"] == {after.vault().current_key_id: 2}
    done = run(data, "pins", "retire-keys")
    assert (done.returncode, "nothing to retire" in done.stdout) == (0, True)

    # The same rotation with the keys in the environment: new key current, the file's key previous.
    (file_key,) = read_key_file(data / KEY_FILE)
    new_key = LocalKeyVault.generate_key()
    env = {"VIDEO_BANK_PIN_KEY": new_key.hex(), "VIDEO_BANK_PIN_PREVIOUS_KEYS": file_key.hex()}
    refused = run(data, "pins", "rotate-key", env=env)
    assert refused.returncode == 2 and "VIDEO_BANK_PIN_PREVIOUS_KEYS" in refused.stderr
    done = run(data, "pins", "rewrap", env=env)
    assert done.returncode == 0, done.stderr
    assert status(data, env)["stored"] == {key_id(new_key): 2}
    assert LocalKeyVault.from_keys(new_key).verify(
        Secret(PIN), card_pin(data), card_subject(demo.PENSIONER_CARD.id)
    )
    for shown in (done.stdout, done.stderr, refused.stdout, refused.stderr):
        assert new_key.hex() not in shown and file_key.hex() not in shown


def test_serve_refuses_to_start_when_stored_pins_need_a_key_it_does_not_have(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "seed-demo", "--password", "pw-for-tests").returncode == 0
    (file_key,) = read_key_file(data / KEY_FILE)
    other = LocalKeyVault.generate_key()
    done = run(
        data,
        "serve",
        "--port",
        "0",
        env={"VIDEO_BANK_PIN_KEY": other.hex(), "VIDEO_BANK_VERIFICATION_PRELOAD": "false"},
    )
    assert done.returncode == 1
    assert key_id(file_key) in done.stderr and "not configured" in done.stderr
    assert "listening" not in done.stdout
