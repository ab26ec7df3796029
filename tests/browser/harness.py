"""What the browser tests share with their fixtures: the parties, the server handle, artifacts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.faces import REPO_ROOT

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
"""Screenshots land here (git-ignored)."""
DEMO_TELLER = "teller1"
"""A demo teller account seeded by ``serve`` on an empty data dir."""


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A ``python -m video_bank serve`` process ready to take requests."""

    base_url: str
    """E.g. ``http://127.0.0.1:41234``."""
    demo_password: str
    """The password of the seeded demo accounts."""
    log_path: Path
    """The server's combined stdout and stderr."""


@dataclass(frozen=True, slots=True)
class CameraClips:
    """The fake camera clip of each party."""

    customer: Path
    """Generated from obama.jpg."""
    teller: Path
    """Generated from biden.jpg."""


@dataclass(slots=True)
class Party:
    """One person's browser: its own Chromium process, profile and fake camera."""

    name: str
    """``customer`` or ``teller``; used in messages and artifact names."""
    clip: Path
    """The y4m clip this party's camera plays."""
    context: BrowserContext
    """The persistent context (one Chromium process)."""
    page: Page
    """The party's tab."""
    problems: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions seen on the page."""


LaunchParty = Callable[[str, Path], Awaitable[Party]]
"""``await launch_party(name, clip)``: a new browser for ``name`` whose camera plays ``clip``."""


async def save_screenshot(party: Party, stem: str) -> Path:
    """Save the party's whole page to ``tests/artifacts/<stem>.png``."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{stem}.png"
    await party.page.screenshot(path=str(path), full_page=True)
    return path
