"""Wrapping a record's data key to auditors' RSA public keys (RSA-OAEP, SHA-256, MGF1-SHA-256).

The wrapped key is ``RSAES-OAEP-ENCRYPT(auditor public key, data key, label = "")`` with SHA-256 as
both the OAEP hash and the MGF1 hash: what WebCrypto calls ``{name: "RSA-OAEP", hash: "SHA-256"}``
and JOSE calls ``RSA-OAEP-256``. Auditor keys are RSA with a modulus of at least 3072 bits and public
exponent 65537. A key is named by its *key id*: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo
(the bytes WebCrypto exports as ``"spki"``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from video_bank.records.encoding import check_auditor_name
from video_bank.records.errors import KeyStoreError, WrongKeyError

WRAP_ALGORITHM = "RSA-OAEP-256"
"""JOSE name of the wrapping algorithm; stored with every wrapped key."""
AUDITOR_KEY_BITS = 3072
"""Size of the auditor keys we generate, and the smallest we accept."""
PUBLIC_EXPONENT = 65537


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def spki_der(key: rsa.RSAPublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of ``key``."""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def auditor_key_id(key: rsa.RSAPublicKey) -> str:
    """Lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(key)).hexdigest()


def check_auditor_public_key(key: object) -> rsa.RSAPublicKey:
    """``key`` if it is an acceptable auditor key, else :class:`KeyStoreError` saying why."""
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyStoreError("an auditor key must be an RSA key (RSA-OAEP works in every browser)")
    if key.key_size < AUDITOR_KEY_BITS:
        raise KeyStoreError(f"an auditor key must have at least {AUDITOR_KEY_BITS} bits, not {key.key_size}")
    if key.public_numbers().e != PUBLIC_EXPONENT:
        raise KeyStoreError(f"an auditor key must use public exponent {PUBLIC_EXPONENT}")
    return key


def load_auditor_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """Parse and check a PEM public key (SubjectPublicKeyInfo or PKCS#1)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise KeyStoreError("not a PEM public key") from None
    return check_auditor_public_key(key)


def public_pem(key: rsa.RSAPublicKey) -> str:
    """``key`` as a PEM SubjectPublicKeyInfo."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def generate_auditor_key() -> rsa.RSAPrivateKey:
    """A new 3072-bit auditor key pair (CPU-heavy: run it off the event loop)."""
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=AUDITOR_KEY_BITS)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    """``key`` as unencrypted PKCS#8 PEM (what WebCrypto imports as ``"pkcs8"`` once de-armoured)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_auditor_private_key(pem: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Parse an auditor's PEM private key; a clear :class:`WrongKeyError` when it is not usable."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except TypeError:
        raise WrongKeyError(
            "the private key file is encrypted and no password was given"
            if password is None
            else "the private key file is not encrypted, but a password was given"
        ) from None
    except ValueError:
        raise WrongKeyError("not a PEM private key, or the password is wrong") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise WrongKeyError("the private key is not an RSA key, so it cannot be an auditor key")
    return key


@dataclass(frozen=True, slots=True)
class AuditorKey:
    """An auditor public key that new records are wrapped to."""

    name: str
    """Who holds the private key (usually their account name)."""
    public_key: rsa.RSAPublicKey
    """The RSA public key."""

    def __post_init__(self) -> None:
        check_auditor_name(self.name)
        check_auditor_public_key(self.public_key)

    @property
    def key_id(self) -> str:
        """Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo."""
        return auditor_key_id(self.public_key)


@dataclass(frozen=True, slots=True)
class KeyWrap:
    """A record's data key encrypted to one auditor key."""

    auditor: str
    """The auditor's name."""
    key_id: str
    """Key id of the auditor public key."""
    algorithm: str
    """Always :data:`WRAP_ALGORITHM` in this format version."""
    wrapped: bytes
    """The RSA-OAEP ciphertext (as long as the modulus)."""


def wrap_key(data_key: bytes | bytearray, auditor: AuditorKey) -> KeyWrap:
    """Encrypt ``data_key`` to ``auditor``."""
    # cryptography wants ``bytes`` here: the transient copy is dropped at once (see the format doc).
    wrapped = auditor.public_key.encrypt(bytes(data_key), _oaep())
    return KeyWrap(auditor=auditor.name, key_id=auditor.key_id, algorithm=WRAP_ALGORITHM, wrapped=wrapped)


def unwrap_key(wraps: tuple[KeyWrap, ...], private_key: rsa.RSAPrivateKey, key_bytes: int) -> bytearray:
    """The data key from the wrap made for ``private_key``; :class:`WrongKeyError` when there is none."""
    key_id = auditor_key_id(private_key.public_key())
    wrap = next((w for w in wraps if w.key_id == key_id), None)
    if wrap is None:
        holders = ", ".join(f"{w.auditor} (key {w.key_id[:16]})" for w in wraps) or "nobody"
        raise WrongKeyError(
            f"this key (key {key_id[:16]}) cannot open the record; it is wrapped to {holders}"
        )
    if wrap.algorithm != WRAP_ALGORITHM:
        raise WrongKeyError(f"the record's key is wrapped with {wrap.algorithm!r}, which is not supported")
    try:
        data_key = bytearray(private_key.decrypt(wrap.wrapped, _oaep()))
    except ValueError:
        raise WrongKeyError("the wrapped data key does not decrypt with this key (altered wrap?)") from None
    if len(data_key) != key_bytes:
        raise WrongKeyError("the unwrapped data key has the wrong length")
    return data_key
