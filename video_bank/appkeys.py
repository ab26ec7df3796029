"""Every ``web.AppKey`` of the application, in one place (no module-level singletons)."""

from __future__ import annotations

from aiohttp import web

from signaling.service import SignalingService
from video_bank.accounts import AccountService
from video_bank.auditing.access_store import AccessLogStore
from video_bank.auditing.staff_sessions import StaffSessions
from video_bank.config import Settings
from video_bank.desks.verification_desk import VerificationDesk
from video_bank.media.hub import MediaHub
from video_bank.metrics import Metrics
from video_bank.records import Recorder
from video_bank.storage import SqliteStorage

SETTINGS = web.AppKey("settings", Settings)
STORAGE = web.AppKey("storage", SqliteStorage)
HUB = web.AppKey("hub", MediaHub)
SIGNALING = web.AppKey("signaling", SignalingService)
METRICS = web.AppKey("metrics", Metrics)
VERIFICATION = web.AppKey("verification", VerificationDesk)
ACCOUNTS = web.AppKey("accounts", AccountService)
RECORDER = web.AppKey("recorder", Recorder)
ACCESS_LOG = web.AppKey("access_log", AccessLogStore)
STAFF_SESSIONS = web.AppKey("staff_sessions", StaffSessions)
