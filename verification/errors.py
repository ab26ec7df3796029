"""Errors of the verification package.

    VerificationError              root of everything raised on purpose here
    ├── ConfigurationError         a policy or threshold value is invalid (our fault)
    ├── AnalysisError              the face analyser failed or its worker pool is gone (our fault)
    ├── ReferenceStoreError        the reference store cannot do what was asked
    │   ├── UnknownReferenceError  no reference photo is enrolled for this customer
    │   ├── ReferencePhotoError    the photo is unusable: unreadable, no face, several faces, too small
    │   │                          (the caller's fault; the message says what to fix)
    │   └── ReferenceIntegrityError the stored reference fails to decrypt or is corrupt (key or disk)
    ├── AttemptError               an attempt was used against its protocol (our caller's fault)
    │   └── NonceError             a nonce is unknown, expired, for another session or already used
    └── LockedOutError             the customer failed too often; new attempts are refused until a time

Every error has a short message that may be shown to staff; none carries images, embeddings or ids.
``http_status`` is a hint for an HTTP or WebSocket boundary that maps these errors once.
"""

from __future__ import annotations


class VerificationError(Exception):
    """Root of the verification package's own errors."""

    http_status = 500
    """Status an HTTP boundary should answer with."""


class ConfigurationError(VerificationError, ValueError):
    """A policy value is out of range; the message names it."""


class AnalysisError(VerificationError):
    """Face analysis could not run (worker crashed, pool shut down, model files missing)."""


class ReferenceStoreError(VerificationError):
    """The reference store could not do what was asked."""

    http_status = 400


class UnknownReferenceError(ReferenceStoreError, LookupError):
    """No reference is enrolled for the customer."""

    http_status = 404


class ReferencePhotoError(ReferenceStoreError):
    """The photo offered for enrollment is unusable; the message says why in plain words."""

    http_status = 422


class ReferenceIntegrityError(ReferenceStoreError):
    """A stored reference cannot be decrypted or parsed (wrong key, tampering, disk damage)."""

    http_status = 500


class AttemptError(VerificationError):
    """A verification attempt was driven against its protocol."""

    http_status = 409


class NonceError(AttemptError):
    """The attempt nonce is unknown, expired, bound to another session, or already used."""


class LockedOutError(VerificationError):
    """Too many failed attempts: new attempts are refused until ``until`` (server epoch seconds)."""

    http_status = 429

    def __init__(self, until: float) -> None:
        super().__init__("too many failed verifications; try again later")
        self.until = until
