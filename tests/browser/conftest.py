"""Browser test fixtures: the real server in a subprocess, and one Chromium per party.

Each party (customer, teller, supervisor) gets its own Chromium process with a fresh profile, because
each needs a different fake camera: Chromium reads its camera from the y4m clip named on its command
line. The clips are generated at test time from the fixture photos (tests/support/y4m.py). A party
whose camera must answer liveness prompts gets a reacting camera instead (``reacting_camera``
fixture, tests/browser/camera.py).

A test marked ``@pytest.mark.routing(key=value, ...)`` runs against a server whose routing policy is
``signaling/routing.toml`` with those ``[defaults]`` replaced (``VIDEO_BANK_ROUTING_FILE``), e.g.
``callback_offer_seconds=0`` so that the call-back offer comes at once.

Without Chromium (``/usr/bin/chromium``, or ``VIDEO_BANK_CHROMIUM``) or the playwright package the
tests are skipped with the reason, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.camera import DEFAULT_FPS, CameraError, ReactingCamera, StartCamera
from tests.browser.harness import ARTIFACTS_DIR, CameraClips, LaunchParty, LiveServer, Party, save_screenshot
from tests.support.faces import REPO_ROOT, face_path
from tests.support.reacting_face import Scene
from tests.support.y4m import write_y4m

if TYPE_CHECKING:
    from playwright.async_api import ConsoleMessage

ROUTING_TOML = REPO_ROOT / "signaling" / "routing.toml"
CHROMIUM_ENV = "VIDEO_BANK_CHROMIUM"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
SERVER_START_SECONDS = 30.0

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
)

CUSTOMER_VIEWPORT = {"width": 390, "height": 844}
TELLER_VIEWPORT = {"width": 1440, "height": 900}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian's Chromium against the real server")
    config.addinivalue_line(
        "markers", "routing(**defaults): run the server with these [defaults] in its routing file"
    )
    config.addinivalue_line(
        "markers", "server_env(**settings): run the server with these VIDEO_BANK_* settings, e.g. test_mode=1"
    )


def _unavailable(reason: str) -> None:
    """Skip, or fail in CI where every test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Chromium to drive; skips (fails in CI) when it or playwright is missing."""
    if importlib.util.find_spec("playwright") is None:
        _unavailable("the playwright Python package is not installed")
    path = Path(os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM))
    if not (path.is_file() and os.access(path, os.X_OK)):
        _unavailable(f"no Chromium at {path} (apt-get install chromium, or set {CHROMIUM_ENV})")
    return path


@pytest.fixture(scope="session")
def camera_clips(tmp_path_factory: pytest.TempPathFactory) -> CameraClips:
    folder = tmp_path_factory.mktemp("cameras")
    return CameraClips(
        customer=write_y4m(face_path("obama.jpg"), folder / "customer.y4m"),
        teller=write_y4m(face_path("biden.jpg"), folder / "teller.y4m"),
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def write_routing_file(path: Path, defaults: dict[str, float]) -> Path:
    """Copy the shipped routing policy to ``path`` with some ``[defaults]`` values replaced."""
    text = ROUTING_TOML.read_text()
    for key, value in defaults.items():
        text, count = re.subn(rf"(?m)^({re.escape(key)}\s*=\s*)\S+", rf"\g<1>{value}", text)
        if count != 1:
            raise ValueError(f"{key} is not a [defaults] key of {ROUTING_TOML}")
    path.write_text(text)
    return path


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll ``/healthz`` until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{_log_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)  # polling interval of the readiness probe
    pytest.fail(f"{url} not healthy after {SERVER_START_SECONDS} s:\n{_log_tail(log_path)}")


@pytest.fixture
def live_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The real service on a free port, with its own empty data directory.

    Its log is copied to ``tests/artifacts/<test>-server.log`` at teardown.
    """
    port = _free_port()
    password = secrets.token_urlsafe(12)
    log_path = tmp_path / "server.log"
    data_dir = tmp_path / "data"
    command = [
        sys.executable,
        "-m",
        "video_bank",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    # Face-analysis workers load only for tests that verify (``@pytest.mark.server_env(...)`` overrides).
    # Round-the-clock service hours: what a test sees must not depend on the time of day it runs at.
    env = {
        **os.environ,
        "VIDEO_BANK_DEMO_PASSWORD": password,
        "VIDEO_BANK_VERIFICATION_PRELOAD": "false",
        "VIDEO_BANK_SERVICE_HOURS": "00:00-24:00",
    }
    env_marker = request.node.get_closest_marker("server_env")
    if env_marker is not None:
        env |= {f"VIDEO_BANK_{key.upper()}": str(value) for key, value in env_marker.kwargs.items()}
    marker = request.node.get_closest_marker("routing")
    if marker is not None:
        routing_file = write_routing_file(tmp_path / "routing.toml", dict(marker.kwargs))
        env["VIDEO_BANK_ROUTING_FILE"] = str(routing_file)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(f"{base_url}/healthz", process, log_path)
        yield LiveServer(base_url, password, log_path, data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, ARTIFACTS_DIR / f"{request.node.name}-server.log")


@pytest.fixture
async def reacting_camera(request: pytest.FixtureRequest) -> AsyncIterator[StartCamera]:
    """A factory: ``await reacting_camera(LiveFace("obama"))`` starts a camera that reacts to prompts.

    Pass it to ``launch_party`` instead of a clip (see tests/browser/camera.py). The renderers' logs
    go to ``tests/artifacts/<test>-camera-<n>.log``; they are stopped at teardown, after the browsers.
    """
    cameras: list[ReactingCamera] = []

    async def start(scene: Scene, *, fps: int = DEFAULT_FPS, hold_resolution: bool = True) -> ReactingCamera:
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        log = ARTIFACTS_DIR / f"{request.node.name}-camera-{len(cameras) + 1}.log"
        log.unlink(missing_ok=True)
        camera = await ReactingCamera.start(scene, fps, hold_resolution=hold_resolution, log=log)
        cameras.append(camera)
        return camera

    try:
        yield start
    finally:
        for camera in cameras:
            await camera.close()


@pytest.fixture
async def launch_party(
    chromium_executable: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    reacting_camera: StartCamera,  # set up first, so that cameras outlive the browsers using them
) -> AsyncIterator[LaunchParty]:
    """A factory: ``await launch_party("customer", camera)`` starts a Chromium whose camera plays a y4m
    clip (a ``Path``) or is a :class:`~tests.browser.camera.ReactingCamera`.

    Parties whose name starts with ``customer`` get a phone viewport, anyone else a desktop one. At
    teardown every page is screenshotted to ``tests/artifacts/<test>-<party>-final.png``, what each
    reacting camera delivered goes to ``tests/artifacts/<test>-<party>-camera.json``, and every
    browser is closed.
    """
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    parties: list[Party] = []
    async with async_playwright() as playwright:

        async def launch(name: str, camera: Path | ReactingCamera) -> Party:
            mobile = name.startswith("customer")
            clip = camera if isinstance(camera, Path) else None
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / f"profile-{name}"),
                executable_path=str(chromium_executable),
                headless=True,
                args=[*CHROMIUM_ARGS, *([f"--use-file-for-fake-video-capture={clip}"] if clip else [])],
                viewport=CUSTOMER_VIEWPORT if mobile else TELLER_VIEWPORT,
                device_scale_factor=3 if mobile else 1,
                is_mobile=mobile,
                has_touch=mobile,
                permissions=["camera", "microphone"],
            )
            reacting = None if isinstance(camera, Path) else camera
            if reacting is not None:
                await reacting.attach(context)
            page = context.pages[0] if context.pages else await context.new_page()
            party = Party(name, clip, context, page, camera=reacting)
            page.on("console", lambda message: _record_console(party, message))
            page.on("pageerror", lambda error: party.problems.append(f"uncaught: {error}"))
            parties.append(party)
            return party

        try:
            yield launch
        finally:
            for party in parties:
                try:
                    if party.camera is not None:
                        stem = f"{request.node.name}-{party.name}-camera.json"
                        await party.camera.save_report(party.page, ARTIFACTS_DIR / stem)
                    await save_screenshot(party, f"{request.node.name}-{party.name}-final")
                except (PlaywrightError, CameraError) as exc:  # must not hide the test's own failure
                    warnings.warn(f"no final screenshot of the {party.name}: {exc}", stacklevel=1)
                finally:
                    await party.context.close()


def _record_console(party: Party, message: ConsoleMessage) -> None:
    party.console.append(f"{message.type}: {message.text}")
    if message.type == "error":
        party.problems.append(f"console error: {message.text}")
