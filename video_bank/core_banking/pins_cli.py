"""``python -m video_bank pins ...``: the PIN vault's keys and the stored values (docs/pin-vault.md).

::

    pins status [--json]        current key, known keys, stored values per key (legacy: before the vault)
    pins rewrap                 re-seal legacy hashes and values under older keys with the current key
    pins rotate-key [--retire]  key file: a new current key, then rewrap (--retire: then retire-keys)
    pins retire-keys            key file: drop the keys no stored value uses

With ``VIDEO_BANK_PIN_KEY`` the keys live in the environment: rotate by setting the new key there and
the old one in ``VIDEO_BANK_PIN_PREVIOUS_KEYS``, restart, run ``pins rewrap``, then drop the old key.
Running servers read the keys at start: restart them after ``rotate-key``, before ``retire-keys``.

Exit status: 0 done; 1 ``retire-keys`` kept keys that stored values still use (or ``status`` found
values under keys the vault does not hold); 2 anything else (bad configuration, unreadable key file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from video_bank.config import Settings
from video_bank.core_banking.pin_keyring import KeyRing, load_keyring, write_key_file
from video_bank.core_banking.pin_rotation import LEGACY, MALFORMED, rewrap_stored, vault_status
from video_bank.core_banking.pin_vault import LocalKeyVault, key_id
from video_bank.core_banking.store import ChangeContext, CoreBankingStore
from video_bank.errors import VideoBankError
from video_bank.storage import SqliteStorage

COMMANDS = ("pins",)
"""Top-level commands this module adds."""
EXIT_OK = 0
EXIT_KEYS_IN_USE = 1
EXIT_ERROR = 2

Out = Callable[[str], None]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``pins`` to the top-level subcommands (``common`` holds ``--data-dir``)."""
    pins = commands.add_parser("pins", help="PIN vault: key status, rotation and re-wrapping")
    sub = pins.add_subparsers(dest="pins_command", required=True, metavar="COMMAND")
    p = sub.add_parser("status", parents=[common], help="keys and stored values per key")
    p.add_argument("--json", action="store_true", help="print JSON")
    sub.add_parser(
        "rewrap", parents=[common], help="re-seal legacy and older-key values under the current key"
    )
    p = sub.add_parser("rotate-key", parents=[common], help="key file: new current key, then rewrap")
    p.add_argument("--retire", action="store_true", help="then drop the keys no stored value uses")
    sub.add_parser("retire-keys", parents=[common], help="key file: drop keys no stored value uses")


def run(args: argparse.Namespace, settings: Settings, out: Out = print) -> int:
    """Run a ``pins`` command; returns the exit status."""
    try:
        return asyncio.run(_run(args, settings, out))
    except VideoBankError as error:
        _fail(str(error))
        return EXIT_ERROR


def _fail(message: str) -> None:
    print(f"video_bank: {message}", file=sys.stderr)


async def _run(args: argparse.Namespace, settings: Settings, out: Out) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    storage = await SqliteStorage.open(settings.sqlite_path)
    try:
        store = await CoreBankingStore.open(storage)
        command = args.pins_command
        if command == "status":
            keyring = load_keyring(settings, create=False)
            return await _status(store, keyring, as_json=args.json, out=out)
        if command == "rewrap":
            return await _rewrap(store, load_keyring(settings), out)
        keyring = load_keyring(settings)
        if keyring.source != "file":
            _fail(
                "the PIN-vault keys come from VIDEO_BANK_PIN_KEY: set the new key there and the old one in "
                "VIDEO_BANK_PIN_PREVIOUS_KEYS, run `pins rewrap`, then remove the old key"
            )
            return EXIT_ERROR
        if command == "rotate-key":
            assert keyring.path is not None
            new = LocalKeyVault.generate_key()
            write_key_file(keyring.path, [*keyring.keys, new])
            out(f"new current PIN-vault key {key_id(new)} written to {keyring.path}")
            status = await _rewrap(store, load_keyring(settings), out)
            if status != EXIT_OK or not args.retire:
                return status
        return await _retire(store, load_keyring(settings), out)
    finally:
        await storage.close()


async def _status(store: CoreBankingStore, keyring: KeyRing, *, as_json: bool, out: Out) -> int:
    status = await vault_status(store, keyring.vault())
    known = [key_id(k) for k in keyring.keys]
    if as_json:
        out(
            json.dumps(
                {
                    "source": keyring.source,
                    "current_key_id": status.current_key_id,
                    "key_ids": known,
                    "stored": dict(status.counts),
                    "unknown_key_ids": sorted(status.unknown),
                },
                sort_keys=True,
            )
        )
    else:
        where = keyring.path if keyring.path is not None else "VIDEO_BANK_PIN_KEY"
        out(f"keys from {where}; current {status.current_key_id}")
        for kid in known:
            label = "current" if kid == status.current_key_id else "previous"
            out(f"  {kid}  {label:8}  {status.counts.get(kid, 0)} stored value(s)")
        for kid, count in sorted(status.counts.items()):
            if kid not in known:
                label = kid if kid in (LEGACY, MALFORMED) else "MISSING"
                out(f"  {kid}  {label:8}  {count} stored value(s)")
    return EXIT_KEYS_IN_USE if status.unknown else EXIT_OK


async def _rewrap(store: CoreBankingStore, keyring: KeyRing, out: Out) -> int:
    vault = keyring.vault()
    before = await vault_status(store, vault)
    if before.unknown:
        _fail(f"stored values use keys that are not configured: {', '.join(sorted(before.unknown))}")
        return EXIT_ERROR
    context = ChangeContext(time.time(), None, "pins rewrap")
    report = await rewrap_stored(store, vault, context)
    out(
        f"re-sealed {report.replaced} stored value(s) under key {vault.current_key_id}"
        f" ({report.current} already were, {report.changed_meanwhile} set anew meanwhile)"
    )
    return EXIT_OK


async def _retire(store: CoreBankingStore, keyring: KeyRing, out: Out) -> int:
    status = await vault_status(store, keyring.vault())
    current = keyring.keys[-1]
    keep = [k for k in keyring.keys[:-1] if status.counts.get(key_id(k), 0) > 0] + [current]
    dropped = [key_id(k) for k in keyring.keys if k not in keep]
    if dropped:
        assert keyring.path is not None
        write_key_file(keyring.path, keep)
        out(f"retired PIN-vault key(s) {', '.join(dropped)}")
    in_use = [key_id(k) for k in keep[:-1]]
    if in_use:
        out(f"kept key(s) {', '.join(in_use)}: stored values still use them (run `pins rewrap` first)")
        return EXIT_KEYS_IN_USE
    if not dropped:
        out(f"nothing to retire: the only key is the current one, {key_id(current)}")
    return EXIT_OK
