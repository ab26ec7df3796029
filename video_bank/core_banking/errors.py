"""Errors of the simulated core-banking system.

    CoreBankingError               root (a :class:`~video_bank.errors.VideoBankError`)
    ├── InvalidDataError           a value is malformed: ID number, credit code, phone, PIN… (caller's
    │   │                          fault, 422); ``code`` names the rule, the message says what to fix
    │   └── PinRuleError           a new PIN or password breaks a rule (format, repeated, run, personal)
    ├── NotFoundError              no customer, card, account or application with that id (404)
    └── ConflictError              the record's state does not allow the change: card not ``issued``,
                                   account frozen, application already decided (409)

Database failures are :class:`~video_bank.errors.StorageError` (our fault). No message carries a
PIN, a password, a hash, a full card or account number or a full resident ID number.
"""

from __future__ import annotations

from video_bank.errors import VideoBankError


class CoreBankingError(VideoBankError):
    """Root of the core-banking errors; ``code`` is a stable machine-readable name."""

    http_status = 500
    """The HTTP status a boundary maps this error to."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        """Stable snake_case name of the problem (``invalid_credit_code``, ``card_not_issued``…)."""
        self.message = message
        """Plain-language reason, safe to show to staff and customers."""


class InvalidDataError(CoreBankingError, ValueError):
    """A value does not pass validation."""

    http_status = 422


class PinRuleError(InvalidDataError):
    """A new PIN or password is refused; ``code`` is ``pin_format``, ``pin_repeated``, ``pin_sequence``
    or ``pin_personal`` (``pin_mismatch`` when the two entries differ)."""


class NotFoundError(CoreBankingError, LookupError):
    """The record does not exist."""

    http_status = 404


class ConflictError(CoreBankingError):
    """The record exists but its state does not allow the change."""

    http_status = 409
