"""The aiohttp application factory: routes, security headers, and the lifecycle of every resource."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from signaling.endpoint import handle_websocket
from signaling.routing_config import load_routing
from signaling.service import SignalingService
from signaling.switchboard import Switchboard
from video_bank import appkeys
from video_bank.accounts import AccountService
from video_bank.auditing import api as auditing_api
from video_bank.auditing.access_store import AccessLogStore
from video_bank.auditing.staff_sessions import StaffSessions
from video_bank.config import Settings
from video_bank.core_banking.pin_keyring import load_keyring
from video_bank.core_banking.pin_rotation import prepare_vault
from video_bank.core_banking.store import ChangeContext, CoreBankingStore
from video_bank.data_dir import secure_data_dir
from video_bank.desks.cobrowse_desk import CobrowseDesk
from video_bank.desks.flow_desk import FlowDesk
from video_bank.desks.recording_desk import RecordingDesk
from video_bank.desks.verification_desk import VerificationDesk
from video_bank.http_security import (
    Handler,
    allowed_hosts,
    host_check,
    metrics_authorized,
    security_headers,
    server_headers,
)
from video_bank.media.hub import MediaHub
from video_bank.media.ice import IcePlan, leg_id
from video_bank.metrics import Metrics
from video_bank.notifications import CallbackDesk, OutboxNotifier
from video_bank.records import Recorder
from video_bank.session_log import SessionLog
from video_bank.storage import LOST_OUTCOME, SqliteStorage
from video_bank.verification_setup import LazyAnalysisPool, build_verifier

logger = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parent.parent / "web_client"
PAGES = ("customer", "teller", "supervisor", "auditor", "field")


async def metrics(request: web.Request) -> web.StreamResponse:
    """Prometheus metrics (behind the bearer token when one is configured)."""
    if not metrics_authorized(request, request.app[appkeys.SETTINGS].metrics_token):
        raise web.HTTPUnauthorized(text="metrics need a bearer token", headers={"WWW-Authenticate": "Bearer"})
    return request.app[appkeys.METRICS].handler()


async def healthz(request: web.Request) -> web.Response:
    """Liveness probe."""
    return web.json_response({"status": "ok"})


async def service_hours(request: web.Request) -> web.Response:
    """The service hours and the bank's time zone, for the customer page (public, like the help page)."""
    return web.json_response(request.app[appkeys.SETTINGS].hours.public())


def _page(name: str) -> Handler:
    index = WEB_ROOT / name / "index.html"

    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(index)

    return serve


def _redirect(target: str) -> Handler:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(target)

    return redirect


async def _resources(app: web.Application, *, preload_verification: bool) -> AsyncIterator[None]:
    """Open storage, the media hub and signaling; close them in reverse order at shutdown."""
    settings = app[appkeys.SETTINGS]
    secure_data_dir(settings.data_dir)
    storage = await SqliteStorage.open(settings.sqlite_path)
    ice = IcePlan.from_settings(settings)
    hub = MediaHub(ice)
    recorder = Recorder.local(settings.data_dir)
    recovered = await recorder.recover()
    if recovered:
        logger.warning("sealed %d record(s) left open by an earlier run, marked recovered", len(recovered))
    dangling = await storage.close_dangling_sessions(LOST_OUTCOME)
    if dangling:
        logger.warning(
            "closed %d session(s) an earlier run left open, outcome %s", len(dangling), LOST_OUTCOME
        )
    recording = RecordingDesk(recorder, hub)
    log = SessionLog(storage)
    log.subscribe(recording)
    switchboard = Switchboard(
        new_id=lambda: secrets.token_urlsafe(12),
        ice_servers=[s.to_browser() for s in settings.ice_servers],
        routing=load_routing(settings.routing_file),
        leg_ice=lambda session_id, party, now: ice.for_browser(leg_id(session_id, party), now),
        default_handle_seconds=settings.default_handle_seconds,
        queue_update_seconds=settings.queue_update_seconds,
        hours=settings.hours,
        resume_grace_seconds=settings.resume_grace_seconds,
    )
    pool = LazyAnalysisPool(settings.verification_workers)
    verifier, references = build_verifier(settings, pool)
    accounts = AccountService(storage)
    verification = VerificationDesk(
        verifier,
        lambda session_id: hub.subscribe(session_id, "customer", "video", maxsize=2),
        has_reference=references.exists,
        ready=pool.ready,
        expected_fps=pool.expected_fps,
        busy_retry_after=pool.estimate_lapses_in,
        reference_photo=references.photo,
        check_staff=accounts.sign_in,
        four_eyes=settings.review_four_eyes,
    )
    core_banking = await CoreBankingStore.open(storage, log)
    vault = (await asyncio.to_thread(load_keyring, settings)).vault()
    await prepare_vault(core_banking, vault, ChangeContext(time.time(), None, "start-up"))
    flows = FlowDesk(core_banking, verification, vault, zone=settings.zone)
    preload = asyncio.create_task(pool.ready(), name="verification-preload") if preload_verification else None
    if preload is not None:
        preload.add_done_callback(_preload_done)
    metrics = Metrics()
    service = SignalingService(
        switchboard,
        observer=metrics,
        media=hub,
        store=log,
        recorder=recording,
        authenticator=accounts,
        callbacks=CallbackDesk(storage, OutboxNotifier(storage), settings.public_url),
        feedback=core_banking,
        desks=[verification, CobrowseDesk(), flows],
        max_connections=settings.max_connections,
        max_connections_per_address=settings.max_connections_per_address,
        refuse_unrecorded=settings.unrecorded_calls == "refuse",
    )
    app[appkeys.STORAGE] = storage
    app[appkeys.HUB] = hub
    app[appkeys.VERIFICATION] = verification
    app[appkeys.SIGNALING] = service
    app[appkeys.ACCOUNTS] = accounts
    app[appkeys.RECORDER] = recorder
    app[appkeys.ACCESS_LOG] = AccessLogStore(storage)
    app[appkeys.STAFF_SESSIONS] = StaffSessions(time.monotonic)
    metrics.watch(switchboard, time.time)
    app[appkeys.METRICS] = metrics
    await service.start()
    try:
        yield
    finally:
        await service.stop()  # no-op when on_shutdown already stopped it
        await verification.close()
        if preload is not None:
            preload.remove_done_callback(_preload_done)  # shutting down during start-up is not an error
        await pool.close()
        await hub.close()
        await recording.close()
        await recorder.close()
        await storage.close()


def _preload_done(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("face analysis workers failed to start (%s)", type(task.exception()).__name__)


async def _close_sockets(app: web.Application) -> None:
    """Tell every client and close every socket before aiohttp waits for handlers to finish."""
    await app[appkeys.SIGNALING].stop()


def create_app(settings: Settings, *, preload_verification: bool = False) -> web.Application:
    """The whole service for ``settings``; ``preload_verification`` starts the face-analysis workers at
    start-up (``serve``) rather than at the first verification."""
    app = web.Application(
        middlewares=[host_check(allowed_hosts(settings)), security_headers],
        client_max_size=settings.max_message_bytes,
    )
    app[appkeys.SETTINGS] = settings
    app.on_response_prepare.append(server_headers)
    app.cleanup_ctx.append(functools.partial(_resources, preload_verification=preload_verification))
    app.on_shutdown.append(_close_sockets)

    async def websocket(request: web.Request) -> web.StreamResponse:
        return await handle_websocket(
            request,
            app[appkeys.SIGNALING],
            allowed_origins=settings.allowed_origins,
            heartbeat_seconds=settings.heartbeat_seconds,
            max_message_bytes=settings.max_message_bytes,
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/service-hours", service_hours)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/ws", websocket)
    auditing_api.add_routes(app)
    app.router.add_get("/", _page("."))
    for name in PAGES:
        app.router.add_get(f"/{name}", _redirect(f"/{name}/"))
        app.router.add_get(f"/{name}/", _page(name))
        app.router.add_static(f"/{name}/", WEB_ROOT / name)
    app.router.add_static("/shared/", WEB_ROOT / "shared")
    return app
