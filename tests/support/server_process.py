"""Real ``python -m video_bank`` processes for tests: ``serve`` on a free port, and one-shot commands.

Servers are started with ``--port 0``; :func:`serve_fixture` reads their stdout line by line until the
"listening on" line gives the port. Every process is killed at teardown if a test left it running.
The timeouts only bound waiting for a hung process; no assertion depends on timing.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0
REPLY_TIMEOUT = 30.0
EXIT_TIMEOUT = 30.0

LISTENING = re.compile(r"listening on (https?)://127\.0\.0\.1:(\d+)/")
GENERATED_PASSWORD = re.compile(r"^Demo password \(shown only now\): (\S+)$")


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without any VIDEO_BANK_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_BANK_")}
    # These tests never verify faces: skip loading the face-analysis workers at start-up.
    return env | {"VIDEO_BANK_VERIFICATION_PRELOAD": "false"} | extra


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command that is expected to finish by itself."""
    return subprocess.run(
        [sys.executable, "-m", "video_bank", *args],
        cwd=ROOT,
        env=child_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
        check=False,
    )


def generated_passwords(lines: list[str]) -> list[str]:
    return [m.group(1) for line in lines if (m := GENERATED_PASSWORD.match(line))]


@dataclass
class Server:
    """A running ``serve`` process."""

    process: asyncio.subprocess.Process
    url: str
    """Base URL from the "listening on" line, without the trailing slash."""
    port: int
    stdout: list[str]
    """Lines printed up to and including "listening on"."""
    stderr: list[str] = field(default_factory=list)
    """Lines of stderr so far (complete once the process has exited)."""
    stderr_reader: asyncio.Task[None] | None = None

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` and return the exit status."""
        self.process.send_signal(sig)
        return await self.wait()

    async def wait(self) -> int:
        async with asyncio.timeout(EXIT_TIMEOUT):
            code = await self.process.wait()
            if self.stderr_reader is not None:
                await self.stderr_reader
        return code


async def _collect(stream: asyncio.StreamReader, into: list[str]) -> None:
    while line := await stream.readline():
        into.append(line.decode(errors="replace").rstrip("\n"))


Serve = Callable[..., Awaitable[Server]]


async def serve_fixture() -> AsyncIterator[Serve]:
    """Start ``python -m video_bank serve ARGS`` and wait for its "listening on" line."""
    started: list[Server] = []

    async def start(*args: str, env: dict[str, str] | None = None) -> Server:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "video_bank",
            "serve",
            *args,
            cwd=ROOT,
            env=child_env(**(env or {})),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        server = Server(process, url="", port=0, stdout=[])
        server.stderr_reader = asyncio.create_task(_collect(process.stderr, server.stderr))
        started.append(server)
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT):
                while True:
                    raw = await process.stdout.readline()
                    if not raw:
                        code = await server.wait()
                        pytest.fail(
                            f"serve exited with {code} before listening:\n" + "\n".join(server.stderr)
                        )
                    line = raw.decode().rstrip("\n")
                    server.stdout.append(line)
                    if match := LISTENING.search(line):
                        break
        except TimeoutError:
            pytest.fail("serve printed no 'listening on' line:\n" + "\n".join(server.stdout + server.stderr))
        server.port = int(match.group(2))
        server.url = f"{match.group(1)}://127.0.0.1:{server.port}"
        return server

    yield start
    for server in started:
        if server.process.returncode is None:
            server.process.kill()
            await server.process.wait()
        if server.stderr_reader is not None:
            server.stderr_reader.cancel()
            await asyncio.gather(server.stderr_reader, return_exceptions=True)
