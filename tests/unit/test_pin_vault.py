"""The PIN vault (video_bank/core_banking/pin_vault.py), its key file and its settings."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from video_bank.config import load_settings
from video_bank.core_banking.models import Secret
from video_bank.core_banking.pin_keyring import KEY_FILE, load_keyring, read_key_file, write_key_file
from video_bank.core_banking.pin_vault import (
    FORMAT,
    LocalKeyVault,
    PinVaultError,
    ScryptCost,
    UnknownKeyError,
    account_subject,
    card_subject,
    key_id,
    needs_rewrap,
    parse,
)
from video_bank.errors import ConfigError
from video_bank.passwords import hash_password, verify_password

FAST = ScryptCost(log2_n=4, r=1, p=1)
"""Cheap inner hashing for tests; the construction is the same."""
PIN = "385921"
CARD = card_subject("ssc_1")


def vault(*previous: bytes, current: bytes | None = None) -> LocalKeyVault:
    return LocalKeyVault.from_keys(current or LocalKeyVault.generate_key(), *previous, cost=FAST)


def test_a_sealed_pin_verifies_only_with_that_pin_on_that_record() -> None:
    v = vault()
    stored = v.seal(Secret(PIN), CARD)
    assert stored.startswith(f"{FORMAT}${v.current_key_id}$4$1$1$")
    assert PIN not in stored
    assert v.verify(Secret(PIN), stored, CARD)
    assert not v.verify(Secret("385922"), stored, CARD)
    # Copied onto another card or an account, it no longer verifies (the subject is authenticated).
    assert not v.verify(Secret(PIN), stored, card_subject("ssc_2"))
    assert not v.verify(Secret(PIN), stored, account_subject("ssc_1"))
    assert v.seal(Secret(PIN), CARD) != stored  # fresh salt and nonce each time


def test_changing_any_part_of_a_sealed_value_makes_it_fail() -> None:
    v = vault()
    stored = v.seal(Secret(PIN), CARD)
    parts = stored.split("$")
    for index, replacement in ((2, "5"), (3, "2"), (5, "AAAAAAAAAAAAAAAAAAAAAA=="), (6, "AAAAAAAAAAAAAAAA")):
        altered = "$".join([*parts[:index], replacement, *parts[index + 1 :]])
        assert not v.verify(Secret(PIN), altered, CARD), index
    body = parts[7]
    flipped = ("B" if body[0] == "A" else "A") + body[1:]
    assert not v.verify(Secret(PIN), "$".join([*parts[:7], flipped]), CARD)


def test_the_production_cost_is_the_one_used_for_staff_passwords() -> None:
    stored = LocalKeyVault.from_keys(LocalKeyVault.generate_key()).seal(Secret(PIN), CARD)
    assert parse(stored).cost == ScryptCost(14, 8, 1)


def test_rotation_rewraps_without_the_pin_and_keeps_verification_working() -> None:
    old_key, new_key = LocalKeyVault.generate_key(), LocalKeyVault.generate_key()
    before = vault(current=old_key).seal(Secret(PIN), CARD)
    during = vault(old_key, current=new_key)
    assert needs_rewrap(during, before)
    assert during.verify(Secret(PIN), before, CARD)  # the old key is still opened
    after = during.rewrap(before, CARD)
    assert parse(after).key_id == key_id(new_key) and not needs_rewrap(during, after)
    assert parse(after).salt == parse(before).salt  # the same inner digest, sealed anew
    retired = vault(current=new_key)  # the old key destroyed
    assert retired.verify(Secret(PIN), after, CARD)
    assert not retired.verify(Secret("000001"), after, CARD)
    with pytest.raises(UnknownKeyError) as caught:
        retired.verify(Secret(PIN), before, CARD)
    assert caught.value.key_id == key_id(old_key)
    with pytest.raises(PinVaultError, match="does not open"):
        during.rewrap(before, card_subject("ssc_other"))


def test_a_hash_from_before_the_vault_still_verifies_and_is_migrated_without_the_pin() -> None:
    legacy = hash_password(PIN)
    assert verify_password(PIN, legacy)  # checkable with the database alone: what the vault ends
    v = vault()
    assert parse(legacy).legacy and needs_rewrap(v, legacy)
    assert v.verify(Secret(PIN), legacy, CARD)
    migrated = v.rewrap(legacy, CARD)
    assert not parse(migrated).legacy
    assert not verify_password(PIN, migrated)  # no longer a plain scrypt hash
    assert v.verify(Secret(PIN), migrated, CARD)
    assert not v.verify(Secret("385922"), migrated, CARD)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "scrypt$x",
        "scrypt$14$8$1$c2FsdA==$aGFzaA==",  # a 4-byte digest: too short to mean anything
        f"{FORMAT}$0123456789abcdef$4$1$1$c2FsdA==$AAAA$AAAA",
        f"{FORMAT}$NOT-HEX-KEY-ID!!$4$1$1$c2FsdA==$AAAAAAAAAAAAAAAA$" + "A" * 64,
        f"{FORMAT}$0123456789abcdef$40$1$1$c2FsdA==$AAAAAAAAAAAAAAAA$" + "A" * 64,
    ],
)
def test_malformed_stored_values_are_refused_plainly(stored: str) -> None:
    with pytest.raises(PinVaultError):
        vault().verify(Secret(PIN), stored, CARD)


def test_keys_are_32_bytes_named_by_their_check_value_and_never_shown() -> None:
    key = LocalKeyVault.generate_key()
    assert len(key) == 32 and key_id(key) == key_id(key) and len(key_id(key)) == 16
    assert key_id(key) not in key.hex()
    v = vault(current=key)
    assert key.hex() not in repr(v) and v.known_key_ids() == {key_id(key)}
    with pytest.raises(PinVaultError):
        LocalKeyVault({"0" * 16: key}, "0" * 16)  # an id that is not the key's
    with pytest.raises(PinVaultError):
        LocalKeyVault({key_id(key): key}, "ffffffffffffffff")


# --- the key file and the settings ----------------------------------------------------------------------


def test_the_key_file_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path)
    ring = load_keyring(settings)
    path = tmp_path / KEY_FILE
    assert ring.source == "file" and ring.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(settings).keys == ring.keys  # read back, not regenerated
    assert ring.keys[0].hex() not in repr(ring)
    assert ring.vault().current_key_id == key_id(ring.keys[-1])


def test_a_key_file_others_may_read_or_that_is_damaged_is_refused(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path)
    path = load_keyring(settings).path
    assert path is not None
    os.chmod(path, 0o644)
    with pytest.raises(PinVaultError, match="chmod 600"):
        load_keyring(settings)
    os.chmod(path, 0o600)
    *head, last = path.read_text().splitlines()
    kid, key_hex = last.split()
    wrong = "0" * 16 if kid != "0" * 16 else "1" * 16  # a key id that is not this key's
    path.write_text("\n".join([*head, f"{wrong} {key_hex}"]) + "\n")
    with pytest.raises(PinVaultError, match="line 3"):
        read_key_file(path)
    with pytest.raises(PinVaultError, match="no PIN-vault key file"):
        load_keyring(load_settings({}, data_dir=tmp_path / "empty"), create=False)


def test_the_key_file_keeps_its_order_and_the_last_key_is_current(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ring.keys"
    keys = [LocalKeyVault.generate_key() for _ in range(3)]
    write_key_file(path, keys, new=True)
    assert read_key_file(path) == keys
    with pytest.raises(FileExistsError):
        write_key_file(path, keys[:1], new=True)
    write_key_file(path, keys[1:])
    assert read_key_file(path) == keys[1:] and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.with_name("ring.keys.tmp").exists()


def test_keys_from_the_environment_replace_the_key_file_and_are_masked(tmp_path: Path) -> None:
    current, previous = LocalKeyVault.generate_key(), LocalKeyVault.generate_key()
    env = {"VIDEO_BANK_PIN_KEY": current.hex(), "VIDEO_BANK_PIN_PREVIOUS_KEYS": f" {previous.hex()} ,"}
    settings = load_settings(env, data_dir=tmp_path)
    assert current.hex() not in repr(settings) and previous.hex() not in repr(settings)
    ring = load_keyring(settings)
    assert (ring.source, ring.keys) == ("environment", (previous, current))
    assert not (tmp_path / KEY_FILE).exists()
    assert ring.vault().known_key_ids() == {key_id(current), key_id(previous)}


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"VIDEO_BANK_PIN_KEY": "ab" * 16}, "pin_key"),
        ({"VIDEO_BANK_PIN_KEY": "not a key"}, "pin_key"),
        ({"VIDEO_BANK_PIN_KEY": "ab" * 32, "VIDEO_BANK_PIN_PREVIOUS_KEYS": "ab" * 31}, "pin_previous_keys"),
        ({"VIDEO_BANK_PIN_PREVIOUS_KEYS": "ab" * 32}, "pin_previous_keys"),
    ],
)
def test_bad_pin_keys_stop_the_start_naming_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.setting == setting
    assert "ab" * 16 not in str(caught.value)
