"""Password hashing: scrypt hashes verify their password only, and bad stored hashes never raise."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest

from video_bank.passwords import hash_password, verify_password

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stored() -> str:
    """One hash of PASSWORD (hashing costs ~50 ms, so it is shared)."""
    return hash_password(PASSWORD)


def _fields(encoded: str) -> list[str]:
    return encoded.split("$")


def test_a_hash_verifies_its_own_password(stored: str) -> None:
    assert verify_password(PASSWORD, stored)


@pytest.mark.parametrize(
    "wrong",
    ["", "correct horse battery stapl", "Correct horse battery staple", PASSWORD + " ", "x"],
)
def test_a_wrong_password_does_not_verify(stored: str, wrong: str) -> None:
    assert not verify_password(wrong, stored)


def test_the_hash_is_self_describing_scrypt_and_does_not_contain_the_password(stored: str) -> None:
    scheme, log2_n, r, p, salt, digest = _fields(stored)

    assert (scheme, log2_n, r, p) == ("scrypt", "14", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32
    assert PASSWORD not in stored


def test_the_digest_is_scrypt_of_the_password_with_the_stored_salt(stored: str) -> None:
    _, log2_n, r, p, salt, digest = _fields(stored)

    expected = hashlib.scrypt(
        PASSWORD.encode(), salt=base64.b64decode(salt), n=2 ** int(log2_n), r=int(r), p=int(p), dklen=32
    )

    assert base64.b64decode(digest) == expected


def test_hashing_the_same_password_twice_uses_different_salts(stored: str) -> None:
    again = hash_password(PASSWORD)

    assert _fields(again)[4] != _fields(stored)[4]
    assert again != stored
    assert verify_password(PASSWORD, again)


def test_non_ascii_passwords_round_trip() -> None:
    password = "Kennwort-ä-密码-🔑"

    encoded = hash_password(password)

    assert verify_password(password, encoded)
    assert not verify_password("Kennwort-a-密码-🔑", encoded)


def test_an_empty_password_cannot_be_hashed() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


def _replace(encoded: str, index: int, value: str) -> str:
    parts = _fields(encoded)
    parts[index] = value
    return "$".join(parts)


MALFORMED: dict[str, Callable[[str], str]] = {
    "empty": lambda h: "",
    "plain text": lambda h: PASSWORD,
    "other scheme": lambda h: "argon2id" + h.removeprefix("scrypt"),
    "too few fields": lambda h: h.rsplit("$", 1)[0],
    "too many fields": lambda h: h + "$extra",
    "salt not base64": lambda h: _replace(h, 4, "not base64!"),
    "digest not base64": lambda h: _replace(h, 5, "***"),
    "empty digest": lambda h: _replace(h, 5, ""),
    "log2 n not a number": lambda h: _replace(h, 1, "fourteen"),
    "log2 n zero": lambda h: _replace(h, 1, "0"),
    "log2 n negative": lambda h: _replace(h, 1, "-3"),
    "log2 n huge": lambda h: _replace(h, 1, "99999"),
    "memory above limit": lambda h: _replace(h, 1, "24"),
    "r zero": lambda h: _replace(h, 2, "0"),
    "r huge": lambda h: _replace(h, 2, "9" * 30),
    "p zero": lambda h: _replace(h, 3, "0"),
    "p negative": lambda h: _replace(h, 3, "-1"),
}


@pytest.mark.parametrize("damage", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_hash_returns_false_instead_of_raising(stored: str, damage: Callable[[str], str]) -> None:
    assert verify_password(PASSWORD, damage(stored)) is False


def test_a_hash_with_a_truncated_digest_does_not_verify(stored: str) -> None:
    # scrypt with a shorter output length yields a prefix of the full digest, so a truncated stored
    # digest would match the right password -- and, at one byte, one wrong password in 256.
    digest = base64.b64decode(_fields(stored)[5])

    truncated = _replace(stored, 5, base64.b64encode(digest[:4]).decode())

    assert verify_password(PASSWORD, truncated) is False


def test_a_hash_demanding_more_parallelism_than_allowed_is_refused_even_when_it_matches(stored: str) -> None:
    # Each unit of p is another full scrypt run; a stored p in the tens of thousands would pin a CPU
    # for most of an hour (OpenSSL's memory limit alone allows that), so p above 16 is malformed.
    salt = base64.b64decode(_fields(stored)[4])
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=17, dklen=32)

    costly = _replace(_replace(stored, 3, "17"), 5, base64.b64encode(digest).decode())

    assert verify_password(PASSWORD, costly) is False


def test_inputs_of_the_wrong_type_return_false(stored: str) -> None:
    assert verify_password(PASSWORD, None) is False  # type: ignore[arg-type]
    assert verify_password(None, stored) is False  # type: ignore[arg-type]


def test_a_password_that_cannot_be_encoded_returns_false(stored: str) -> None:
    # A lone surrogate can arrive through JSON ("\ud800") and has no UTF-8 encoding.
    assert verify_password("\ud800", stored) is False
