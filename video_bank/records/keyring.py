"""The server's record keys under ``<data dir>/keys/``: its Ed25519 signing keys and the auditors'
RSA public keys.

::

    keys/
        keyring.json              every signing public key and auditor public key, with its status
        signing-<key id>.pem      the active signing key's private key (PKCS#8, mode 0600)

The server never holds an auditor's private key (``keys auditor-generate`` writes it to the file the
operator names and keeps only the public half). Rotation adds a new key and retires the old one:
new records use the new key, sealed records keep the wrapped keys and signatures they have, and
retired signing public keys stay trusted for verifying them. The retired signing private key is
deleted. Changes take an exclusive lock and replace ``keyring.json`` atomically, so the CLI can
change keys while the server runs; the server reads the keyring when each record opens.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from video_bank.records.encoding import canonical_json, check_auditor_name, parse_json_object, to_us
from video_bank.records.errors import KeyStoreError, RecordInputError, RecordIntegrityError
from video_bank.records.keywrap import (
    AuditorKey,
    auditor_key_id,
    generate_auditor_key,
    load_auditor_private_key,
    load_auditor_public_key,
    private_pem,
    public_pem,
)
from video_bank.records.signing import Signer, signing_key_id

KEYRING_FILE = "keyring.json"
KEYRING_FORMAT = "video_bank.keyring/1"
LOCK_FILE = ".lock"


class KeyStatus(enum.Enum):
    """Whether new records use a key."""

    ACTIVE = "active"
    """Used for new records."""
    RETIRED = "retired"
    """Kept for old records only."""


@dataclass(frozen=True, slots=True)
class SigningKeyEntry:
    """One server signing key in the keyring."""

    key_id: str
    """SHA-256 of the raw public key, hex."""
    created_at_us: int
    """When it was created."""
    status: KeyStatus
    """Active (one at most) or retired."""
    public_pem: str
    """The public key (PEM SubjectPublicKeyInfo)."""


@dataclass(frozen=True, slots=True)
class AuditorKeyEntry:
    """One auditor public key in the keyring."""

    name: str
    """The auditor (one active key per name)."""
    key_id: str
    """SHA-256 of the DER SubjectPublicKeyInfo, hex."""
    created_at_us: int
    """When it was registered."""
    status: KeyStatus
    """Active or retired."""
    public_pem: str
    """The public key (PEM SubjectPublicKeyInfo)."""


@dataclass(frozen=True, slots=True)
class _Ring:
    signing: tuple[SigningKeyEntry, ...] = ()
    auditors: tuple[AuditorKeyEntry, ...] = ()

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "format": KEYRING_FORMAT,
                "signing": [
                    {
                        "key_id": e.key_id,
                        "created_at_us": e.created_at_us,
                        "status": e.status.value,
                        "public_key": e.public_pem,
                    }
                    for e in self.signing
                ],
                "auditors": [
                    {
                        "name": e.name,
                        "key_id": e.key_id,
                        "created_at_us": e.created_at_us,
                        "status": e.status.value,
                        "public_key": e.public_pem,
                    }
                    for e in self.auditors
                ],
            }
        )

    @classmethod
    def parse(cls, data: bytes) -> _Ring:
        try:
            obj = parse_json_object(data, "keyring")
            if obj.get("format") != KEYRING_FORMAT:
                raise KeyStoreError(f"keyring is not {KEYRING_FORMAT}")
            signing = tuple(
                SigningKeyEntry(
                    key_id=_field(e, "key_id", str),
                    created_at_us=_field(e, "created_at_us", int),
                    status=KeyStatus(_field(e, "status", str)),
                    public_pem=_field(e, "public_key", str),
                )
                for e in _field(obj, "signing", list)
            )
            auditors = tuple(
                AuditorKeyEntry(
                    name=_field(e, "name", str),
                    key_id=_field(e, "key_id", str),
                    created_at_us=_field(e, "created_at_us", int),
                    status=KeyStatus(_field(e, "status", str)),
                    public_pem=_field(e, "public_key", str),
                )
                for e in _field(obj, "auditors", list)
            )
        except (RecordIntegrityError, KeyStoreError, ValueError) as error:
            raise KeyStoreError(f"keyring file is malformed: {error}") from None
        return cls(signing=signing, auditors=auditors)


def _field(obj: Any, name: str, kind: type) -> Any:
    if not isinstance(obj, dict) or not isinstance(obj.get(name), kind):
        raise KeyStoreError(f"keyring entry has no valid {name!r}")
    return obj[name]


class KeyRing:
    """The signing keys and auditor public keys in one directory."""

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        """Usually ``<data dir>/keys``."""
        self._clock = clock

    # --- reading -------------------------------------------------------------------------------------

    def _read(self) -> _Ring:
        try:
            data = (self.directory / KEYRING_FILE).read_bytes()
        except FileNotFoundError:
            return _Ring()
        except OSError as error:
            raise KeyStoreError(f"cannot read the keyring: {error.strerror}") from None
        return _Ring.parse(data)

    def signing_keys(self) -> list[SigningKeyEntry]:
        """Every signing key, oldest first."""
        return list(self._read().signing)

    def auditor_keys(self) -> list[AuditorKeyEntry]:
        """Every auditor key, oldest first."""
        return list(self._read().auditors)

    def trusted_signing_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every signing public key ever used here (active and retired), by key id."""
        trusted: dict[str, Ed25519PublicKey] = {}
        for entry in self._read().signing:
            key = serialization.load_pem_public_key(entry.public_pem.encode("ascii"))
            if not isinstance(key, Ed25519PublicKey) or signing_key_id(key) != entry.key_id:
                raise KeyStoreError(f"keyring signing key {entry.key_id[:16]} is invalid")
            trusted[entry.key_id] = key
        return trusted

    def active_auditors(self) -> list[AuditorKey]:
        """The auditor keys new records are wrapped to."""
        out = []
        for entry in self._read().auditors:
            if entry.status is KeyStatus.ACTIVE:
                key = load_auditor_public_key(entry.public_pem.encode("ascii"))
                if auditor_key_id(key) != entry.key_id:
                    raise KeyStoreError(f"keyring auditor key {entry.key_id[:16]} does not match its id")
                out.append(AuditorKey(name=entry.name, public_key=key))
        return out

    def signer(self) -> Signer:
        """The active signing key, created (once) when there is none."""
        ring = self._read()
        active = [e for e in ring.signing if e.status is KeyStatus.ACTIVE]
        if not active:
            with self._locked():
                ring = self._read()
                active = [e for e in ring.signing if e.status is KeyStatus.ACTIVE]
                if not active:
                    return self._new_signing_key(ring)
        return self._load_signer(active[-1].key_id)

    def _private_path(self, key_id: str) -> Path:
        return self.directory / f"signing-{key_id}.pem"

    def _load_signer(self, key_id: str) -> Signer:
        path = self._private_path(key_id)
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise KeyStoreError(f"the active signing key's private key file {path} is missing") from None
        except (OSError, ValueError, TypeError) as error:
            raise KeyStoreError(f"cannot load the signing key {path}: {error}") from None
        if not isinstance(key, Ed25519PrivateKey) or signing_key_id(key.public_key()) != key_id:
            raise KeyStoreError(f"{path} does not hold the signing key {key_id[:16]}")
        return Signer(key)

    # --- changing ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise KeyStoreError(f"cannot open the keyring in {self.directory}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write(self, ring: _Ring) -> None:
        _write_private(self.directory / f".{KEYRING_FILE}.tmp", ring.to_bytes(), replace_existing=True)
        os.replace(self.directory / f".{KEYRING_FILE}.tmp", self.directory / KEYRING_FILE)
        _fsync_dir(self.directory)

    def _now(self) -> int:
        return to_us(self._clock())

    def _new_signing_key(self, ring: _Ring) -> Signer:
        signer = Signer(Ed25519PrivateKey.generate())
        pem = signer.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(self._private_path(signer.key_id), pem)
        public = signer.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        retired = tuple(replace(e, status=KeyStatus.RETIRED) for e in ring.signing)
        entry = SigningKeyEntry(signer.key_id, self._now(), KeyStatus.ACTIVE, public)
        self._write(replace(ring, signing=(*retired, entry)))
        for old in ring.signing:
            if old.status is KeyStatus.ACTIVE:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._private_path(old.key_id))
        return signer

    def rotate_signing(self) -> SigningKeyEntry:
        """Create a new active signing key; the old one is retired (its public key stays trusted)."""
        with self._locked():
            signer = self._new_signing_key(self._read())
        return next(e for e in self.signing_keys() if e.key_id == signer.key_id)

    def add_auditor(
        self, name: str, public_key: rsa.RSAPublicKey, *, replace_active: bool = False
    ) -> AuditorKeyEntry:
        """Register an auditor's public key.

        Without ``replace_active`` the name must not have an active key yet (``auditor-register``);
        with it, the name's active key is retired (``rotate``). Registering a key that is already in
        the keyring is an error either way.
        """
        try:
            check_auditor_name(name)
        except RecordInputError as error:
            raise KeyStoreError(str(error)) from None
        key = load_auditor_public_key(public_pem(public_key).encode("ascii"))
        key_id = auditor_key_id(key)
        with self._locked():
            ring = self._read()
            if any(e.key_id == key_id for e in ring.auditors):
                raise KeyStoreError(f"auditor key {key_id[:16]} is already registered")
            current = [e for e in ring.auditors if e.name == name and e.status is KeyStatus.ACTIVE]
            if current and not replace_active:
                raise KeyStoreError(
                    f"auditor {name!r} already has an active key; use 'keys rotate --auditor {name}'"
                )
            if not current and replace_active:
                raise KeyStoreError(f"auditor {name!r} has no active key to rotate")
            auditors = tuple(
                replace(e, status=KeyStatus.RETIRED) if e.name == name else e for e in ring.auditors
            )
            entry = AuditorKeyEntry(name, key_id, self._now(), KeyStatus.ACTIVE, public_pem(key))
            self._write(replace(ring, auditors=(*auditors, entry)))
        return entry

    def check_can_add(self, name: str, *, replace_active: bool = False) -> None:
        """Raise what :meth:`add_auditor` would raise for ``name`` (before generating a key)."""
        try:
            check_auditor_name(name)
        except RecordInputError as error:
            raise KeyStoreError(str(error)) from None
        current = [e for e in self._read().auditors if e.name == name and e.status is KeyStatus.ACTIVE]
        if current and not replace_active:
            raise KeyStoreError(
                f"auditor {name!r} already has an active key; use 'keys rotate --auditor {name}'"
            )
        if not current and replace_active:
            raise KeyStoreError(f"auditor {name!r} has no active key to rotate")

    def generate_auditor(self, name: str, out: Path, *, replace_active: bool = False) -> AuditorKeyEntry:
        """Generate an auditor key pair, write the private key to ``out`` (mode 0600, never over an
        existing file) and register the public key."""
        self.check_can_add(name, replace_active=replace_active)
        if out.exists():
            raise KeyStoreError(f"{out} already exists; not overwriting a key file")
        private_key = generate_auditor_key()
        _write_private(out, private_pem(private_key))
        try:
            return self.add_auditor(name, private_key.public_key(), replace_active=replace_active)
        except BaseException:
            out.unlink(missing_ok=True)
            raise

    def retire_auditor(self, name: str) -> AuditorKeyEntry:
        """Stop wrapping new records to ``name``'s active key."""
        with self._locked():
            ring = self._read()
            current = [e for e in ring.auditors if e.name == name and e.status is KeyStatus.ACTIVE]
            if not current:
                raise KeyStoreError(f"auditor {name!r} has no active key")
            auditors = tuple(
                replace(e, status=KeyStatus.RETIRED) if e in current else e for e in ring.auditors
            )
            self._write(replace(ring, auditors=auditors))
        return replace(current[-1], status=KeyStatus.RETIRED)


def _write_private(path: Path, data: bytes, *, replace_existing: bool = False) -> None:
    """Write ``data`` to a new file readable by the owner only, and fsync it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if replace_existing else os.O_EXCL)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyStoreError(f"{path} already exists; not overwriting a key file") from None
    except OSError as error:
        raise KeyStoreError(f"cannot create {path}: {error.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_private_key_file(path: Path, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Read an auditor's private key file (for ``records export``)."""
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise KeyStoreError(f"cannot read {path}: {error.strerror}") from None
    return load_auditor_private_key(pem, password)
