"""The auditors' HTTP API under ``/api/`` (aiohttp handlers; the logic lives in the pure modules).

Sign-in (any staff account; see :mod:`.staff_sessions`)::

    POST   /api/session            {"username", "password"} -> who, expires_in; sets the session cookie
    GET    /api/session            who is signed in (``signed_in: false`` when nobody)
    DELETE /api/session            sign out

Records and the access log (role ``auditor`` only: everyone else gets 401 or 403)::

    GET  /api/records?from&to&teller&customer_id&business&verification&limit   search (plus every
                                                   sealed record whose signature fails, apart)
    GET  /api/records/signing-keys                 trusted Ed25519 public keys (raw, base64)
    GET  /api/records/{id}                         one record's search view
    POST /api/records/{id}/open    {"reason"}      log the opening (access log) and allow the reads below
    GET  /api/records/{id}/manifest                manifest.json, byte-exact
    GET  /api/records/{id}/signature               manifest.sig (key id ‖ Ed25519 signature)
    GET  /api/records/{id}/header                  header.json, byte-exact (its hash is in the manifest)
    GET  /api/records/{id}/keys/{key id}           the data key wrapped to that auditor key
    GET  /api/records/{id}/chunks/{index}          one encrypted chunk file, byte-exact
    POST /api/records/{id}/redecide  {"events"}    re-run the decision code on an opened record's
                                                   verification evidence (decrypted by the auditor's
                                                   browser); the comparison, nothing kept or logged
    GET  /api/access-log                           every entry with its stored line
    GET  /api/access-log/verify                    the chain check

Errors are JSON ``{"error": code, "message": text}`` with the status of the error class; responses
are never cached (``Cache-Control: no-store``). The server never decrypts anything here: the
browser verifies and decrypts (``web_client/auditor/``). The one exception in the other direction:
``redecide`` receives, from an auditor who opened the record, the verification evidence the browser
decrypted, runs the pure decision code on it and answers; like the live check it processes biometric
data only to decide, and keeps or logs none of it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from signaling import strict_json
from signaling.identity import Identity, Role, SignInThrottled
from verification.evidence import EvidenceError
from verification.policy import VerificationPolicy
from verification.redecide import from_timeline
from video_bank import appkeys
from video_bank.auditing.access_log import AccessEntry, check_reason
from video_bank.auditing.errors import (
    AuditError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    NotOpenedError,
    NotSignedInError,
)
from video_bank.auditing.search import RecordSummary, parse_query, search, summarize
from video_bank.auditing.staff_sessions import StaffSession
from video_bank.records.catalog import list_records
from video_bank.records.encoding import b64encode, check_record_id
from video_bank.records.errors import RecordError, RecordIntegrityError, RecordNotFoundError
from video_bank.records.model import RecordHeader
from video_bank.records.signing import raw_public
from video_bank.records.store import RecordState, RecordStore
from video_bank.records.verify import signed_manifest
from video_bank.records.writer import Recorder

logger = logging.getLogger(__name__)

COOKIE = "vb_staff"
COOKIE_PATH = "/api/"
MAX_BODY = 4096
MAX_EVIDENCE_BODY = 64 * 1024 * 1024
"""Largest ``redecide`` body (a 75-second attempt's evidence is a few MB)."""
_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "tampered"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    response = web.json_response(data, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, code: str, message: str) -> web.Response:
    return _json({"error": code, "message": message}, status)


def _bytes(data: bytes, content_type: str) -> web.Response:
    response = web.Response(body=data, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def _errors_as_json(handler: Handler) -> Handler:
    """Map our errors to JSON once, here; anything else is a 500 without details."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AuditError as error:
            return _error(error.http_status, error.code, str(error))
        except RecordError as error:
            status = error.http_status
            return _error(
                status, _ERROR_CODES.get(status, "internal"), str(error) if status < 500 else "server error"
            )
        except web.HTTPException:
            raise
        except Exception:
            logger.exception("auditing API failed on %s", request.path)
            return _error(500, "internal", "server error")

    return wrapped


# --- sign-in ------------------------------------------------------------------------------------------


def _session(request: web.Request) -> StaffSession:
    session = request.app[appkeys.STAFF_SESSIONS].find(request.cookies.get(COOKIE))
    if session is None:
        raise NotSignedInError("sign in first")
    return session


def _auditor(request: web.Request) -> StaffSession:
    """The caller's session if the caller is a signed-in auditor."""
    session = _session(request)
    if session.identity.role is not Role.AUDITOR:
        raise ForbiddenError("only auditors may use records and the access log")
    return session


async def _body(request: web.Request, limit: int = MAX_BODY) -> dict[str, Any]:
    """A JSON object body of at most ``limit`` bytes, read as strict JSON; refuses other content types
    and other origins (with SameSite=Strict, this blocks CSRF)."""
    if request.content_type != "application/json":
        raise BadRequestError("send a JSON body (Content-Type: application/json)")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise ForbiddenError("cross-origin requests are refused")
    if request.content_length is not None and request.content_length > limit:
        raise BadRequestError("the body is too large")
    parts: list[bytes] = []
    size = 0
    while piece := await request.content.read(min(limit + 1, 1 << 20)):  # a large body comes in pieces
        size += len(piece)
        if size > limit:
            raise BadRequestError("the body is too large")
        parts.append(piece)
    try:
        value = strict_json.loads(b"".join(parts))
    except strict_json.StrictJsonError as error:
        where = f" (field {error.where})" if error.where else ""
        raise BadRequestError(f"the body is not valid JSON: {error.message}{where}") from None
    if not isinstance(value, dict):
        raise BadRequestError("the body must be a JSON object")
    return value


def _who(identity: Identity, seconds_left: float) -> dict[str, Any]:
    return {
        "username": identity.username,
        "role": identity.role.value,
        "display_name": identity.display_name,
        "expires_in": round(seconds_left),
    }


@_errors_as_json
async def sign_in(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise BadRequestError("give a username and a password")
    if len(username) > 64 or len(password) > 256:
        return _error(401, "auth_failed", "wrong username or password")
    identity = await request.app[appkeys.ACCOUNTS].sign_in(username, password, request.remote or "")
    if isinstance(identity, SignInThrottled):
        response = _error(429, "too_many_attempts", "too many failed sign-ins; try again later")
        response.headers["Retry-After"] = str(math.ceil(identity.retry_after))
        return response
    if identity is None:
        return _error(401, "auth_failed", "wrong username or password")
    sessions = request.app[appkeys.STAFF_SESSIONS]
    token = sessions.issue(identity)
    session = sessions.find(token)
    assert session is not None
    response = _json(_who(identity, sessions.seconds_left(session)))
    response.set_cookie(
        COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=request.secure
    )
    logger.info("staff signed in over HTTP with role %s", identity.role.value)
    return response


@_errors_as_json
async def who_am_i(request: web.Request) -> web.StreamResponse:
    """Who is signed in; ``{"signed_in": false}`` (200, so a page's first look is not an error) if nobody."""
    sessions = request.app[appkeys.STAFF_SESSIONS]
    session = sessions.find(request.cookies.get(COOKIE))
    if session is None:
        return _json({"signed_in": False})
    return _json({"signed_in": True} | _who(session.identity, sessions.seconds_left(session)))


@_errors_as_json
async def sign_out(request: web.Request) -> web.StreamResponse:
    request.app[appkeys.STAFF_SESSIONS].end(request.cookies.get(COOKIE))
    response = _json({"signed_out": True})
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


# --- records ------------------------------------------------------------------------------------------


def _recorder(request: web.Request) -> Recorder:
    return request.app[appkeys.RECORDER]


def _record_id(request: web.Request) -> str:
    record_id = request.match_info["record_id"]
    try:
        return check_record_id(record_id)
    except RecordError:
        raise NotFoundError("no record with this id") from None


def _sealed_state(store: RecordStore, record_id: str) -> None:
    try:
        state = store.state(record_id)
    except RecordNotFoundError:
        raise NotFoundError(f"no record {record_id}") from None
    if state is RecordState.SHREDDED:
        raise NotFoundError(f"record {record_id} was shredded (its retention period ended)")
    if state is not RecordState.SEALED:
        raise NotFoundError(f"record {record_id} is not sealed yet (state {state.value})")


def _granted(request: web.Request) -> tuple[StaffSession, str]:
    session = _auditor(request)
    record_id = _record_id(request)
    if record_id not in session.grants:
        raise NotOpenedError("open the record with a reason first")
    return session, record_id


def _summaries(recorder: Recorder) -> tuple[list[RecordSummary], list[dict[str, str]]]:
    """Sealed records with a valid signature, and sealed records whose signature fails."""
    trusted = recorder.keyring.trusted_signing_keys()
    valid, invalid = [], []
    for listing in list_records(recorder.store, trusted):
        if listing.manifest is not None:
            valid.append(summarize(listing.manifest, legal_hold=listing.legal_hold is not None))
        elif listing.state is RecordState.SEALED:
            invalid.append({"record_id": listing.record_id, "status": listing.status})
    return valid, invalid


@_errors_as_json
async def search_records(request: web.Request) -> web.StreamResponse:
    """Matching records; sealed records whose manifest signature fails are listed apart, always:
    their metadata cannot be trusted for filtering, and an auditor must see that they exist."""
    _auditor(request)
    query = parse_query(dict(request.query))
    valid, invalid = await asyncio.to_thread(_summaries, _recorder(request))
    found = search(valid, query)
    return _json({"records": [r.to_json() for r in found], "invalid": invalid, "limit": query.limit})


@_errors_as_json
async def signing_keys(request: web.Request) -> web.StreamResponse:
    _auditor(request)
    keyring = _recorder(request).keyring
    entries = await asyncio.to_thread(keyring.signing_keys)
    trusted = await asyncio.to_thread(keyring.trusted_signing_keys)
    return _json(
        {
            "keys": [
                {
                    "key_id": e.key_id,
                    "status": e.status.value,
                    "public_key": b64encode(raw_public(trusted[e.key_id])),
                }
                for e in entries
                if e.key_id in trusted
            ]
        }
    )


def _one_summary(recorder: Recorder, record_id: str) -> dict[str, Any]:
    _sealed_state(recorder.store, record_id)
    trusted = recorder.keyring.trusted_signing_keys()
    try:
        manifest = signed_manifest(recorder.store.source(record_id), trusted)
    except RecordIntegrityError as error:
        return {"record_id": record_id, "status": "invalid-signature", "problem": str(error)}
    hold = recorder.store.legal_hold(record_id)
    return summarize(manifest, legal_hold=hold is not None).to_json() | {"status": "sealed"}


@_errors_as_json
async def record_summary(request: web.Request) -> web.StreamResponse:
    _auditor(request)
    record_id = _record_id(request)
    return _json(await asyncio.to_thread(_one_summary, _recorder(request), record_id))


@_errors_as_json
async def open_record(request: web.Request) -> web.StreamResponse:
    session = _auditor(request)
    record_id = _record_id(request)
    body = await _body(request)
    reason = check_reason(body.get("reason"))
    recorder = _recorder(request)
    summary = await asyncio.to_thread(_one_summary, recorder, record_id)  # 404 before anything is logged
    username = session.identity.username
    assert username is not None
    entry: AccessEntry = await request.app[appkeys.ACCESS_LOG].append(
        at_us=time.time_ns() // 1000, auditor=username, record_id=record_id, reason=reason
    )
    session.grants.add(record_id)
    logger.info("record %s opened by an auditor (access log entry %d)", record_id, entry.seq)
    return _json({"record": summary, "access": entry.to_json()})


def _read(recorder: Recorder, record_id: str, what: str) -> bytes:
    _sealed_state(recorder.store, record_id)
    source = recorder.store.source(record_id)
    data = {"manifest": source.manifest, "signature": source.signature, "header": source.header}[what]()
    if data is None:
        raise NotFoundError(f"record {record_id} has no {what}")
    return data


@_errors_as_json
async def record_file(request: web.Request) -> web.StreamResponse:
    _, record_id = _granted(request)
    what = request.match_info["what"]
    data = await asyncio.to_thread(_read, _recorder(request), record_id, what)
    return _bytes(data, "application/octet-stream" if what == "signature" else "application/json")


def _wrap(recorder: Recorder, record_id: str, key_id: str) -> dict[str, Any]:
    header = RecordHeader.parse(_read(recorder, record_id, "header"))
    for wrap in header.wraps:
        if wrap.key_id == key_id:
            return {
                "auditor": wrap.auditor,
                "key_id": wrap.key_id,
                "algorithm": wrap.algorithm,
                "wrapped": b64encode(wrap.wrapped),
            }
    raise NotFoundError(f"record {record_id} is not wrapped to key {key_id[:16]}")


@_errors_as_json
async def wrapped_key(request: web.Request) -> web.StreamResponse:
    _, record_id = _granted(request)
    key_id = request.match_info["key_id"]
    if len(key_id) != 64 or any(c not in "0123456789abcdef" for c in key_id):
        raise BadRequestError("a key id is 64 lowercase hex digits")
    return _json(await asyncio.to_thread(_wrap, _recorder(request), record_id, key_id))


def _chunk(recorder: Recorder, record_id: str, index: int) -> bytes:
    _sealed_state(recorder.store, record_id)
    data = recorder.store.source(record_id).chunk(index)
    if data is None:
        raise NotFoundError(f"record {record_id} has no chunk {index}")
    return data


@_errors_as_json
async def chunk(request: web.Request) -> web.StreamResponse:
    _, record_id = _granted(request)
    raw = request.match_info["index"]
    if not raw.isdigit() or len(raw) > 10:
        raise NotFoundError("a chunk index is a whole number")
    data = await asyncio.to_thread(_chunk, _recorder(request), record_id, int(raw))
    return _bytes(data, "application/octet-stream")


# --- access log ---------------------------------------------------------------------------------------


async def _evidence_body(request: web.Request) -> list[tuple[str, dict[str, Any]]]:
    """The ``events`` of a ``redecide`` body: ``[{"kind", "data"}]`` of verification events only."""
    body = await _body(request, MAX_EVIDENCE_BODY)
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        raise BadRequestError('send {"events": [{"kind", "data"}, ...]}')
    out = []
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise BadRequestError("each event needs a kind and a data object")
        kind = event.get("kind")
        if kind in ("verification_decided", "verification_evidence"):
            out.append((kind, event["data"]))
    return out


@_errors_as_json
async def redecide(request: web.Request) -> web.StreamResponse:
    """Re-derive the record's decisions from the evidence its opener decrypted."""
    _granted(request)  # only an auditor who opened this record, with a logged reason
    events = await _evidence_body(request)
    current = request.query.get("policy") == "current"
    try:
        results = await asyncio.to_thread(
            from_timeline, events, policy=VerificationPolicy() if current else None
        )
    except EvidenceError as error:
        raise BadRequestError(str(error)) from None
    return _json({"decisions": [r.to_json() for r in results]})


@_errors_as_json
async def access_log(request: web.Request) -> web.StreamResponse:
    _auditor(request)
    store = request.app[appkeys.ACCESS_LOG]
    lines = await store.lines()
    check = await store.check()
    return _json({"lines": [line.decode("ascii") for line in lines], "check": check.to_json()})


@_errors_as_json
async def verify_access_log(request: web.Request) -> web.StreamResponse:
    _auditor(request)
    check = await request.app[appkeys.ACCESS_LOG].check()
    return _json(check.to_json())


@_errors_as_json
async def unknown(request: web.Request) -> web.StreamResponse:
    raise NotFoundError("no such API endpoint")


def add_routes(app: web.Application) -> None:
    """Register every ``/api/`` route (the catch-all last)."""
    r = app.router
    r.add_post("/api/session", sign_in)
    r.add_get("/api/session", who_am_i)
    r.add_delete("/api/session", sign_out)
    r.add_get("/api/records", search_records)
    r.add_get("/api/records/signing-keys", signing_keys)
    r.add_get("/api/records/{record_id}", record_summary)
    r.add_post("/api/records/{record_id}/open", open_record)
    r.add_get("/api/records/{record_id}/{what:manifest|signature|header}", record_file)
    r.add_get("/api/records/{record_id}/keys/{key_id}", wrapped_key)
    r.add_get("/api/records/{record_id}/chunks/{index}", chunk)
    r.add_post("/api/records/{record_id}/redecide", redecide)
    r.add_get("/api/access-log", access_log)
    r.add_get("/api/access-log/verify", verify_access_log)
    r.add_route("*", "/api/{tail:.*}", unknown)
