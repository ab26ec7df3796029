"""What the browser tests share with their fixtures: the parties, the server handle, artifacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.faces import REPO_ROOT

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

    from tests.browser.camera import ReactingCamera

ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
"""Screenshots land here (git-ignored)."""
DEMO_TELLER = "teller1"
"""A demo teller account seeded by ``serve`` on an empty data dir (elder-care, skilled in everything)."""
DEMO_SUPERVISOR = "super1"
"""The demo supervisor account."""

_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_ID_CHECK = "10X98765432"


def resident_id(birth: dt.date, *, area: str = "110101", sequence: str = "123") -> str:
    """A Chinese resident ID number (GB 11643) for someone born on ``birth``.

    The 18th character is the ISO 7064 MOD 11-2 check character: the weighted sum of the first 17
    digits (weights 2^(17-i) mod 11) modulo 11 indexes ``10X98765432``.
    """
    first17 = f"{area}{birth:%Y%m%d}{sequence}"
    assert len(first17) == 17 and first17.isdigit(), first17
    return first17 + _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def with_wrong_check_character(number: str) -> str:
    """``number`` with its check character replaced by another one (so it no longer validates)."""
    wrong = "1" if number[-1] != "1" else "2"
    return number[:-1] + wrong


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A ``python -m video_bank serve`` process ready to take requests."""

    base_url: str
    """E.g. ``http://127.0.0.1:41234``."""
    demo_password: str
    """The password of the seeded demo accounts."""
    log_path: Path
    """The server's combined stdout and stderr."""
    data_dir: Path
    """The server's data directory (its SQLite database holds the notification outbox)."""


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
    """``customer…``, ``teller`` or ``supervisor``; used in messages and artifact names."""
    clip: Path | None
    """The y4m clip this party's camera plays (``None`` with a reacting camera)."""
    context: BrowserContext
    """The persistent context (one Chromium process)."""
    page: Page
    """The party's tab."""
    problems: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions seen on the page."""
    console: list[str] = field(default_factory=list)
    """Every console message of the page, as ``type: text``."""
    camera: ReactingCamera | None = None
    """The party's reacting camera (tests/browser/camera.py), if it has one instead of a clip."""


LaunchParty = Callable[[str, "Path | ReactingCamera"], Awaitable[Party]]
"""``await launch_party(name, camera)``: a new browser for ``name`` whose camera plays a y4m clip
(a ``Path``) or is a reacting camera (``tests/browser/camera.py``)."""


async def save_screenshot(party: Party, stem: str) -> Path:
    """Save the party's whole page to ``tests/artifacts/<stem>.png``."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{stem}.png"
    await party.page.screenshot(path=str(path), full_page=True)
    return path
