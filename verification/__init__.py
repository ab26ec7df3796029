"""Verification: quality gate, liveness and face match on frames the server itself received.

The media hub hands decoded customer frames to a subscription (``MediaHub.subscribe(session_id,
"customer", "video", maxsize)``); :class:`verification.service.Verifier` runs an attempt on it. The
method, thresholds, measured figures and the API are documented in ``docs/verification.md``.
"""
