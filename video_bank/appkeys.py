"""Every ``web.AppKey`` of the application, in one place (no module-level singletons)."""

from __future__ import annotations

from aiohttp import web

from signaling.service import SignalingService
from video_bank.config import Settings
from video_bank.desks.verification_desk import VerificationDesk
from video_bank.media.hub import MediaHub
from video_bank.metrics import Metrics
from video_bank.storage import SqliteStorage

SETTINGS = web.AppKey("settings", Settings)
STORAGE = web.AppKey("storage", SqliteStorage)
HUB = web.AppKey("hub", MediaHub)
SIGNALING = web.AppKey("signaling", SignalingService)
METRICS = web.AppKey("metrics", Metrics)
VERIFICATION = web.AppKey("verification", VerificationDesk)
