"""Where the PIN vault's keys come from: ``VIDEO_BANK_PIN_KEY`` or the local key file.

- **Environment** (a bank's choice: the key comes from its secret store): ``VIDEO_BANK_PIN_KEY`` is the
  current key, ``VIDEO_BANK_PIN_PREVIOUS_KEYS`` (comma-separated) older keys still opened while stored
  values are re-wrapped. The key file is then not used.
- **Key file** (the embedded default): ``<data dir>/keys/pin-vault.keys``, created at first use with mode
  0600, refused when group or others may read it. One ``<key id> <64 hex digits>`` per line; the last
  line is the current key. ``pins rotate-key`` appends a new key, ``pins retire-keys`` drops keys no
  stored value uses. Every rewrite goes through a temporary file and an atomic rename.

A key file on the same disk as the database protects against a leaked database file or backup, not
against someone who can read the whole data directory; that is what ``VIDEO_BANK_PIN_KEY`` (or an
HSM behind :class:`~video_bank.core_banking.pin_vault.PinVault`) is for (docs/pin-vault.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from video_bank.config import Settings, key_bytes
from video_bank.core_banking.pin_vault import KEY_BYTES, LocalKeyVault, PinVaultError, key_id

logger = logging.getLogger(__name__)

KEY_FILE = Path("keys") / "pin-vault.keys"
"""The key file, relative to the data directory."""
_HEADER = (
    "# video_bank PIN-vault keys (docs/pin-vault.md). Secret: keep this file 0600 and out of backups of\n"
    "# the database. One '<key id> <key as 64 hex digits>' per line; the last line is the current key.\n"
)


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The vault's keys and where they came from."""

    keys: tuple[bytes, ...]
    """Oldest first; the last is the current key."""
    source: Literal["environment", "file"]
    path: Path | None
    """The key file (``source == "file"``)."""

    def __repr__(self) -> str:
        return f"KeyRing(source={self.source}, ids={[key_id(k) for k in self.keys]})"

    def vault(self) -> LocalKeyVault:
        """A vault sealing with the current key and opening all of them."""
        return LocalKeyVault.from_keys(self.keys[-1], *self.keys[:-1])


def key_file(settings: Settings) -> Path:
    """Path of the local key file for these settings."""
    return settings.data_dir / KEY_FILE


def load_keyring(settings: Settings, *, create: bool = True) -> KeyRing:
    """The key ring for ``settings``: from the environment, else the key file (generated when missing
    and ``create``)."""
    path = key_file(settings)
    if settings.pin_key is not None:
        if path.exists():
            logger.warning("VIDEO_BANK_PIN_KEY is set: the PIN-vault key file %s is ignored", path)
        previous = tuple(key_bytes(k) for k in settings.pin_previous_keys)
        return KeyRing((*previous, key_bytes(settings.pin_key)), "environment", None)
    if not path.exists():
        if not create:
            raise PinVaultError(f"no PIN-vault key file at {path} and VIDEO_BANK_PIN_KEY is not set")
        write_key_file(path, [LocalKeyVault.generate_key()], new=True)
        logger.warning("generated a PIN-vault key file in the data dir; a bank sets VIDEO_BANK_PIN_KEY")
    return KeyRing(tuple(read_key_file(path)), "file", path)


def read_key_file(path: Path) -> list[bytes]:
    """The keys of a key file, oldest first; refuses a file group or others may read."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PinVaultError(f"{path} may be read by others (mode {stat.S_IMODE(mode):o}): chmod 600 it")
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise PinVaultError(f"cannot read the PIN-vault key file {path}: {error}") from None
    keys = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kid, _, text = line.partition(" ")
        key = key_bytes(text.strip())
        if len(key) != KEY_BYTES or key_id(key) != kid:
            raise PinVaultError(f"{path} line {number}: not '<key id> <64 hex digits>' of a matching key")
        keys.append(key)
    if not keys:
        raise PinVaultError(f"{path} holds no key")
    return keys


def write_key_file(path: Path, keys: Sequence[bytes], *, new: bool = False) -> None:
    """Write ``keys`` (oldest first, current last) atomically with mode 0600; ``new``: the file must not
    exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = _HEADER + "".join(f"{key_id(k)} {k.hex()}\n" for k in keys)
    temporary = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if new:
            os.link(temporary, path)  # fails if another process created the file meanwhile
            temporary.unlink()
        else:
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
