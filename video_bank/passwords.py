"""Password hashing with scrypt (RFC 7914), self-describing so parameters can be raised later.

Format: ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``. Hashing costs ~50 ms and 16 MiB by design:
call it off the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_LOG2_N = 14
_R = 8
_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
# Stored hashes outside these bounds are treated as malformed: a truncated digest would let a wrong
# password match by chance (scrypt output with a short dklen is a prefix of the long one), and a huge
# ``p`` would pin a CPU for minutes.
_MIN_HASH_BYTES = 16
_MAX_P = 16


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``."""
    if not password:
        raise ValueError("empty password")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**_LOG2_N, r=_R, p=_P, maxmem=64 * 2**20, dklen=_HASH_BYTES
    )
    return f"scrypt${_LOG2_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded``; False for malformed hashes (never raises on bad input)."""
    if not isinstance(password, str) or not isinstance(encoded, str):
        return False
    try:
        scheme, log2_n, r, p, salt_b64, digest_b64 = encoded.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        if len(expected) < _MIN_HASH_BYTES or not 1 <= int(p) <= _MAX_P:
            return False
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=2 ** int(log2_n),
            r=int(r),
            p=int(p),
            maxmem=64 * 2**20,
            dklen=len(expected),
        )
    except (ValueError, TypeError, OverflowError):
        return False
    return hmac.compare_digest(actual, expected)
