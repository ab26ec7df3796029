"""PIN vault: card PINs and six-digit account passwords at rest, safe from a stolen database.

A six-digit PIN has a million values, so any hash of it that the database alone can check is found
offline by trying them all. The vault therefore makes every stored value depend on a key the
database never holds (docs/pin-vault.md has the reasoning):

    inner  = scrypt(PIN, salt)                                   (slow, salted: as before)
    stored = AES-256-GCM(key, nonce, inner, aad = header ‖ subject)

The header (format, key id, scrypt parameters, salt) and the subject (which card or account the
value belongs to) are authenticated, so a value copied onto another record, or with its parameters
changed, no longer verifies. Without the key the stored bytes are indistinguishable from random: no
PIN can be tested against them. With the key an attacker is back to one scrypt per guess and record.
Rotating the key needs no PIN: :meth:`PinVault.rewrap` decrypts with the old key and encrypts the
same inner value with the current one, and the old key can then be destroyed.

Stored format (one ASCII string)::

    pinvault1$<key id>$<log2 n>$<r>$<p>$<salt b64>$<nonce b64>$<ciphertext+tag b64>

Values written before the vault (``scrypt$...``, :mod:`video_bank.passwords`) still verify and are
re-sealed by :meth:`PinVault.rewrap` from their scrypt digest alone (the migration).

:class:`PinVault` is the interface the flows, seeding and the rotation command use;
:class:`LocalKeyVault` keeps its keys in memory (from ``VIDEO_BANK_PIN_KEY`` or the key file, see
:mod:`video_bank.core_banking.pin_keyring`). A bank's HSM implements the same interface: the AES-GCM
wrap and unwrap (or the whole comparison) run inside the HSM and the key never leaves it.

Errors::

    PinVaultError            root (a CoreBankingError): our configuration's fault, not the customer's
    └── UnknownKeyError      a stored value names a key the vault does not hold
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from video_bank.core_banking.errors import CoreBankingError
from video_bank.core_banking.models import Secret
from video_bank.passwords import verify_password

FORMAT = "pinvault1"
LEGACY_FORMAT = "scrypt"
KEY_BYTES = 32
_SALT_BYTES = 16
_NONCE_BYTES = 12
_INNER_BYTES = 32
_MIN_INNER_BYTES = 16  # shorter digests (a legacy value cut short) would match by chance
_MAX_LOG2_N = 20
_MAX_R = 32
_MAX_P = 16
_KEY_ID_LABEL = b"video_bank pin-vault key id v1"
_AAD_LABEL = b"video_bank pin-vault v1\x00"


class PinVaultError(CoreBankingError):
    """The vault cannot do what was asked (configuration or stored data; never the customer's fault)."""

    http_status = 500

    def __init__(self, message: str, code: str = "pin_vault") -> None:
        super().__init__(code, message)


class UnknownKeyError(PinVaultError):
    """A stored value was sealed with a key this vault does not hold (retired too early, wrong key)."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no PIN-vault key with id {key_id} is configured", "pin_vault_unknown_key")
        self.key_id = key_id


def key_id(key: bytes) -> str:
    """The public name of a vault key: 16 hex digits of HMAC-SHA256(key, label) — a key check value.

    It identifies the key in stored values and in ``pins status`` and reveals nothing useful about it.
    """
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def card_subject(card_id: str) -> str:
    """Subject of a social-security card's PIN."""
    return f"social_security_card:{card_id}"


def account_subject(account_id: str) -> str:
    """Subject of a debit account's password."""
    return f"debit_account:{account_id}"


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt parameters of the inner hash (RFC 7914)."""

    log2_n: int = 14
    """CPU/memory cost: n = 2**log2_n (16 MiB and ~50 ms with r = 8)."""
    r: int = 8
    """Block size."""
    p: int = 1
    """Parallelism."""

    def __post_init__(self) -> None:
        if not 1 <= self.log2_n <= _MAX_LOG2_N or not 1 <= self.r <= _MAX_R or not 1 <= self.p <= _MAX_P:
            raise ValueError("scrypt parameters out of range")


@dataclass(frozen=True, slots=True)
class Sealed:
    """A stored value taken apart (:func:`parse`)."""

    key_id: str | None
    """Vault key it is sealed with; ``None`` for a legacy (unsealed) scrypt hash."""
    cost: ScryptCost
    salt: bytes = field(repr=False)
    nonce: bytes = field(repr=False)
    """Empty for a legacy hash."""
    body: bytes = field(repr=False)
    """Ciphertext and tag; for a legacy hash the scrypt digest itself."""

    @property
    def legacy(self) -> bool:
        """A hash stored before the vault: checkable with the database alone."""
        return self.key_id is None

    def header(self) -> str:
        """The authenticated part of a sealed value (everything before the nonce)."""
        return "$".join(
            (
                FORMAT,
                self.key_id or "",
                str(self.cost.log2_n),
                str(self.cost.r),
                str(self.cost.p),
                _b64(self.salt),
            )
        )

    def encode(self) -> str:
        """The stored string."""
        return f"{self.header()}${_b64(self.nonce)}${_b64(self.body)}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def parse(stored: str) -> Sealed:
    """Take a stored value apart; :class:`PinVaultError` when it is neither format."""
    try:
        parts = stored.split("$")
        if parts[0] == FORMAT and len(parts) == 8:
            _, kid, log2_n, r, p, salt, nonce, body = parts
            if len(kid) != 16 or any(c not in "0123456789abcdef" for c in kid):
                raise ValueError("key id")
            sealed = Sealed(
                kid, ScryptCost(int(log2_n), int(r), int(p)), _unb64(salt), _unb64(nonce), _unb64(body)
            )
            if len(sealed.nonce) != _NONCE_BYTES or len(sealed.body) < _MIN_INNER_BYTES + 16:
                raise ValueError("lengths")
            return sealed
        if parts[0] == LEGACY_FORMAT and len(parts) == 6:
            _, log2_n, r, p, salt, digest = parts
            sealed = Sealed(None, ScryptCost(int(log2_n), int(r), int(p)), _unb64(salt), b"", _unb64(digest))
            if len(sealed.body) < _MIN_INNER_BYTES:
                raise ValueError("digest")
            return sealed
    except (ValueError, binascii.Error, AttributeError):
        pass
    raise PinVaultError("a stored PIN value is malformed", "pin_vault_malformed")


def _inner(secret: Secret, salt: bytes, cost: ScryptCost, length: int) -> bytes:
    return hashlib.scrypt(
        secret.reveal().encode("utf-8"),
        salt=salt,
        n=2**cost.log2_n,
        r=cost.r,
        p=cost.p,
        maxmem=128 * 2**20,
        dklen=length,
    )


class PinVault(Protocol):
    """Seals and checks PINs and six-digit passwords; re-seals stored values under the current key.

    Every method costs one scrypt at most (``seal``, ``verify``) or none (``rewrap``): call them off the
    event loop.
    """

    @property
    def current_key_id(self) -> str:
        """Key that :meth:`seal` and :meth:`rewrap` use."""
        ...

    def known_key_ids(self) -> frozenset[str]:
        """Every key this vault can open (the current one and those kept for rotation)."""
        ...

    def seal(self, secret: Secret, subject: str) -> str:
        """The value to store for ``secret`` on ``subject`` (:func:`card_subject`, :func:`account_subject`
        name it)."""
        ...

    def verify(self, secret: Secret, stored: str, subject: str) -> bool:
        """Whether ``secret`` is the one sealed in ``stored`` for ``subject`` (legacy hashes too)."""
        ...

    def rewrap(self, stored: str, subject: str) -> str:
        """``stored`` sealed under the current key, without knowing the secret (legacy: migrated)."""
        ...


class LocalKeyVault:
    """:class:`PinVault` with its keys in this process's memory."""

    def __init__(self, keys: Mapping[str, bytes], current: str, cost: ScryptCost | None = None) -> None:
        if current not in keys:
            raise PinVaultError("the current PIN-vault key is not among the keys")
        for kid, key in keys.items():
            if len(key) != KEY_BYTES or key_id(key) != kid:
                raise PinVaultError("a PIN-vault key is not 32 bytes or does not match its id")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self._current = current
        self._cost = cost or ScryptCost()

    @classmethod
    def from_keys(cls, current: bytes, *previous: bytes, cost: ScryptCost | None = None) -> LocalKeyVault:
        """A vault sealing with ``current`` and also opening ``previous`` keys."""
        keys = {key_id(k): k for k in (*previous, current)}
        return cls(keys, key_id(current), cost)

    @staticmethod
    def generate_key() -> bytes:
        """A fresh random key."""
        return secrets.token_bytes(KEY_BYTES)

    @property
    def current_key_id(self) -> str:
        return self._current

    def known_key_ids(self) -> frozenset[str]:
        return frozenset(self._aead)

    def __repr__(self) -> str:
        return f"LocalKeyVault(current={self._current}, keys={len(self._aead)})"

    def seal(self, secret: Secret, subject: str) -> str:
        salt = secrets.token_bytes(_SALT_BYTES)
        return self._seal(_inner(secret, salt, self._cost, _INNER_BYTES), salt, self._cost, subject)

    def verify(self, secret: Secret, stored: str, subject: str) -> bool:
        sealed = parse(stored)
        if sealed.legacy:
            return verify_password(secret.reveal(), stored)
        expected = self._open(sealed, subject)
        if expected is None:
            return False
        return hmac.compare_digest(_inner(secret, sealed.salt, sealed.cost, len(expected)), expected)

    def rewrap(self, stored: str, subject: str) -> str:
        sealed = parse(stored)
        inner = sealed.body if sealed.legacy else self._open(sealed, subject)
        if inner is None:
            raise PinVaultError("a stored PIN value does not open for its record", "pin_vault_tampered")
        return self._seal(inner, sealed.salt, sealed.cost, subject)

    def _seal(self, inner: bytes, salt: bytes, cost: ScryptCost, subject: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = Sealed(self._current, cost, salt, nonce, b"")
        body = self._aead[self._current].encrypt(nonce, inner, authenticated_data(sealed, subject))
        return Sealed(self._current, cost, salt, nonce, body).encode()

    def _open(self, sealed: Sealed, subject: str) -> bytes | None:
        """The inner digest, or ``None`` when the value was not sealed for ``subject`` (or altered)."""
        assert sealed.key_id is not None
        aead = self._aead.get(sealed.key_id)
        if aead is None:
            raise UnknownKeyError(sealed.key_id)
        try:
            return aead.decrypt(sealed.nonce, sealed.body, authenticated_data(sealed, subject))
        except InvalidTag:
            return None


def needs_rewrap(vault: PinVault, stored: str) -> bool:
    """Whether ``stored`` is a legacy hash or sealed under a key other than ``vault``'s current one."""
    return parse(stored).key_id != vault.current_key_id


def authenticated_data(sealed: Sealed, subject: str) -> bytes:
    """The AES-GCM associated data of a sealed value: a label, its header and its subject."""
    return _AAD_LABEL + sealed.header().encode("ascii") + b"\x00" + subject.encode("utf-8")
