"""Building the verification service from settings: the reference key, the analysis pool, the verifier.

The face-analysis pool is started on first use (each worker loads dlib's models, a few seconds) unless
the application preloads it at start-up, as ``serve`` does. A fixed challenge seed exists only in
the explicit test mode (``Settings`` refuses test mode with production settings).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from verification.analysis import AnalysisRequest, FrameAnalysis, PhotoFace, Rgb
from verification.lockout import Lockout
from verification.nonce import NonceBook
from verification.policy import LockoutPolicy, VerificationPolicy
from verification.pool import AnalysisPool
from verification.reference_store import ReferenceStore, parse_key
from verification.service import Verifier
from video_bank.config import Settings

logger = logging.getLogger(__name__)

KEY_FILE = Path("keys") / "reference.key"


def reference_key_text(settings: Settings) -> str:
    """The reference-store key: from settings, or generated once into the data dir (embedded default)."""
    if settings.reference_key is not None:
        return settings.reference_key
    path = settings.data_dir / KEY_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
    logger.warning("generated a reference-photo key in the data dir; a bank sets VIDEO_BANK_REFERENCE_KEY")
    return text


class LazyAnalysisPool:
    """An :class:`AnalysisPool` started the first time it is needed (or by :meth:`ready`)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: AnalysisPool | None = None
        self._starting: asyncio.Task[AnalysisPool] | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        """Whether the workers are up."""
        return self._pool is not None

    async def ready(self) -> AnalysisPool:
        """The running pool; starts it once (concurrent callers wait for the same start)."""
        if self._pool is not None:
            return self._pool
        if self._closed:
            raise RuntimeError("the analysis pool is closed")
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        return await asyncio.shield(self._starting)

    async def _start(self) -> AnalysisPool:
        began = time.perf_counter()
        pool = AnalysisPool(workers=self.workers)
        try:
            await pool.start()
        except BaseException:
            pool.close()
            self._starting = None
            raise
        logger.info("face analysis: %d worker(s) ready in %.1f s", self.workers, time.perf_counter() - began)
        self._pool = pool
        return pool

    def expected_fps(self, running: int) -> float | None:
        """Frames per second one more check could expect (``None``: not known yet)."""
        return self._pool.expected_fps(running) if self._pool is not None else None

    def estimate_lapses_in(self) -> float | None:
        """Seconds until the analysis speed measurement lapses (``None``: none holds)."""
        return self._pool.estimate_lapses_in() if self._pool is not None else None

    async def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        """Analyse one frame in a worker."""
        return await (await self.ready()).analyse(request)

    async def analyse_photo(self, rgb: Rgb) -> list[PhotoFace]:
        """Every face of a still photo, in a worker."""
        return await (await self.ready()).analyse_photo(rgb)

    async def close(self) -> None:
        """Stop the workers (waits for a start in progress)."""
        self._closed = True
        if self._starting is not None and self._pool is None:
            with contextlib.suppress(Exception):  # a failed start leaves nothing to close
                await self._starting
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.close)


def challenge_rng(settings: Settings) -> Callable[[], random.Random]:
    """Unpredictable challenges; a fixed sequence only in test mode with a seed."""
    seed = settings.verification_seed
    if seed is None:
        return random.SystemRandom
    if not settings.test_mode:  # Settings refuses this already; never rely on one check for this
        raise RuntimeError("a fixed verification seed needs test mode")
    logger.warning("TEST MODE: liveness challenges use a fixed seed; never run this way in production")
    return lambda: random.Random(seed)


def verification_policy(settings: Settings) -> VerificationPolicy:
    """The default policy with the bank's face-match operating point, if it set one."""
    policy = VerificationPolicy()
    if settings.match_accept is None and settings.match_review is None:
        return policy
    match = policy.match
    accept = settings.match_accept if settings.match_accept is not None else match.accept
    review = settings.match_review if settings.match_review is not None else max(match.review, accept)
    return replace(
        policy,
        match=replace(match, accept=accept, review=review, early_reject=max(match.early_reject, review)),
    )


def build_verifier(
    settings: Settings, pool: LazyAnalysisPool, clock: Callable[[], float] = time.time
) -> tuple[Verifier, ReferenceStore]:
    """The verifier and the reference store it matches against."""
    references = ReferenceStore(
        settings.data_dir / "references", parse_key(reference_key_text(settings)), clock
    )
    verifier = Verifier(
        analyser=pool,
        references=references,
        lockout=Lockout(LockoutPolicy(), clock),
        nonces=NonceBook(clock),
        policy=verification_policy(settings),
        rng=challenge_rng(settings),
        sample_fps=settings.verification_fps,
    )
    return verifier, references
