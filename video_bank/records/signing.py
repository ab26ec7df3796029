"""The server's Ed25519 signatures: over the manifest at seal and over each chain link as it is written.

Each signature covers a domain-separation prefix and the signed bytes, so a signature made for one
purpose can never be presented as one for another. A key is named by its *key id*: the lowercase hex
SHA-256 of its 32-byte raw public key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST_DOMAIN = b"video_bank.record.manifest/1\x00"
JOURNAL_DOMAIN = b"video_bank.record.journal/1\x00"
SIGNATURE_BYTES = 64
KEY_ID_BYTES = 32

TrustedKeys = Mapping[str, Ed25519PublicKey]
"""Signing public keys a verifier trusts, by key id."""


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32-byte raw public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signing_key_id(key: Ed25519PublicKey) -> str:
    """Lowercase hex SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public(key)).hexdigest()


@dataclass(frozen=True, slots=True)
class Signer:
    """The server's current signing key."""

    private_key: Ed25519PrivateKey = field(repr=False)
    """The Ed25519 private key; never shown in ``repr`` or logs."""

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        """The key id of the public key."""
        return signing_key_id(self.public_key)

    def sign(self, domain: bytes, message: bytes) -> bytes:
        """A 64-byte signature over ``domain || message``."""
        return self.private_key.sign(domain + message)


def signature_valid(key: Ed25519PublicKey, domain: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s signature over ``domain || message``."""
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        key.verify(signature, domain + message)
    except InvalidSignature:
        return False
    return True


def encode_manifest_signature(signer: Signer, manifest_bytes: bytes) -> bytes:
    """The signature file: the signer's key id (32 raw bytes), then the 64-byte signature."""
    return bytes.fromhex(signer.key_id) + signer.sign(MANIFEST_DOMAIN, manifest_bytes)


def split_manifest_signature(data: bytes) -> tuple[str, bytes] | None:
    """(key id, signature) from a signature file, or ``None`` when it has the wrong length."""
    if len(data) != KEY_ID_BYTES + SIGNATURE_BYTES:
        return None
    return data[:KEY_ID_BYTES].hex(), data[KEY_ID_BYTES:]
