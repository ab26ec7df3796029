"""Errors of the session-record package.

    RecordError                    root (a :class:`~video_bank.errors.VideoBankError`)
    ├── RecordInputError           a caller passed a value the format cannot hold (caller's fault, 400)
    ├── RecordNotFoundError        no record with that id (caller's fault, 404)
    ├── RecordExistsError          a record with that id already exists (caller's fault, 409)
    ├── RecordStateError           not possible in the record's state: append after seal, export an
    │                              unsealed record, shred one on legal hold (caller's fault, 409)
    ├── RecordIntegrityError       the stored record is altered, truncated or malformed; carries the
    │                              problems found (the record's fault, never silently ignored, 422)
    ├── WrongKeyError              the private key given cannot open this record (auditor's fault, 403)
    ├── KeyStoreError              key files missing, unreadable or invalid; no auditor key configured
    │                              (operator's fault, 500)
    └── RecordWriteError           the disk refused a write (our fault, 500)

Every message is safe to show to an operator: it names the record (session id) and the problem,
never key material or plaintext.
"""

from __future__ import annotations

from collections.abc import Sequence

from video_bank.errors import VideoBankError


class RecordError(VideoBankError):
    """Root of the record package's errors."""

    http_status = 500
    """The HTTP status an endpoint maps this error to."""


class RecordInputError(RecordError, ValueError):
    """An argument cannot be stored in a record (bad stream name, time range, size, metadata)."""

    http_status = 400


class RecordNotFoundError(RecordError):
    """No record has this id."""

    http_status = 404


class RecordExistsError(RecordError):
    """A record with this id already exists; ids are never reused."""

    http_status = 409


class RecordStateError(RecordError):
    """The operation is not possible in the record's current state."""

    http_status = 409


class RecordIntegrityError(RecordError):
    """The stored record does not match its signature, chain or authentication tags."""

    http_status = 422

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)
        """Every problem found, one line each."""


class WrongKeyError(RecordError):
    """The private key is not one the record's data key was wrapped to, or it cannot unwrap it."""

    http_status = 403


class KeyStoreError(RecordError):
    """A key file is missing, unreadable or invalid, or no auditor key is configured."""

    http_status = 500


class RecordWriteError(RecordError):
    """Writing the record to its store failed (disk full, permissions, I/O error)."""

    http_status = 500
