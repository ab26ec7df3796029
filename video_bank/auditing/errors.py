"""Errors of the auditing API, each carrying the HTTP status and a short code for the JSON body.

    AuditError                 root (a :class:`~video_bank.errors.VideoBankError`)
    ├── BadRequestError        malformed query, body or reason (caller's fault, 400)
    ├── NotSignedInError       no valid staff session (caller's fault, 401)
    ├── ForbiddenError         signed in, but the role may not do this (caller's fault, 403)
    ├── NotOpenedError         the record was not opened with a reason in this session (caller's fault, 403)
    ├── NotFoundError          no such record, chunk or key (caller's fault, 404)
    └── AccessLogError         the access log could not be written or read (our fault, 500)

Messages are safe to show: they never contain tokens, passwords, keys or record content.
"""

from __future__ import annotations

from video_bank.errors import VideoBankError


class AuditError(VideoBankError):
    """Root of the auditing API's errors."""

    http_status = 500
    code = "internal"


class BadRequestError(AuditError):
    """The request is malformed."""

    http_status = 400
    code = "bad_request"


class NotSignedInError(AuditError):
    """No valid staff session: sign in first."""

    http_status = 401
    code = "not_signed_in"


class ForbiddenError(AuditError):
    """The caller's role may not use this endpoint."""

    http_status = 403
    code = "forbidden"


class NotOpenedError(AuditError):
    """Record data is served only after the record was opened with a stated reason."""

    http_status = 403
    code = "not_opened"


class NotFoundError(AuditError):
    """No such record, chunk or wrapped key."""

    http_status = 404
    code = "not_found"


class AccessLogError(AuditError):
    """The access log could not be written or read."""

    http_status = 500
    code = "access_log"
