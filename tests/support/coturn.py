"""A private coturn for tests and benchmarks: Debian's ``turnserver`` on 127.0.0.1, unprivileged.

:func:`running_coturn` starts one instance with its own directory (configuration with the shared
secret, log, pid file, user database) on a free port, as user ``nobody`` when the tests run as
root, waits until it answers a STUN binding request on UDP and accepts TCP, and stops it by its PID.
The secret is in the configuration file (mode 0600), not on the command line where ``ps`` shows it.

``scripts/setup.sh --dev`` installs the ``coturn`` package where it can (root with apt-get). Without
``turnserver`` the tests that need it skip with the reason, except under ``CI=true``, where that is a
failure (:func:`turnserver_or_skip`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aioice import stun

REALM = "video-bank.test"
START_SECONDS = 15.0
"""How long an instance may take to answer its first probe (a busy machine is slow)."""
PORT_ATTEMPTS = 4
"""Free ports tried in turn, in case another process takes the one we picked before coturn binds it."""


def turnserver_path() -> str | None:
    """Debian's ``turnserver`` when installed."""
    return shutil.which("turnserver") or next(
        (p for p in ("/usr/bin/turnserver", "/usr/sbin/turnserver") if os.access(p, os.X_OK)), None
    )


def turnserver_or_skip() -> str:
    """The ``turnserver`` executable; skips the test without it (fails it under ``CI=true``)."""
    path = turnserver_path()
    if path is None:
        reason = "no turnserver (Debian's coturn package; scripts/setup.sh --dev installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: TURN tests must run)")
        pytest.skip(reason)
    return path


@dataclass(slots=True)
class Coturn:
    """One running coturn on 127.0.0.1 that takes TURN REST credentials made with :attr:`secret`."""

    port: int
    """UDP and TCP listening port."""
    secret: str
    """``static-auth-secret`` (what ``VIDEO_BANK_TURN_SECRET`` must be)."""
    process: subprocess.Popen[bytes]
    """The ``turnserver`` process (its own PID: coturn does not fork)."""
    directory: Path
    """Configuration, log, pid file and user database."""

    @property
    def udp_url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    @property
    def tcp_url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=tcp"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def log_path(self) -> Path:
        return self.directory / "turnserver.log"

    def log(self) -> str:
        """Everything coturn logged so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the instance by its PID (idempotent)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


def _configuration(directory: Path, port: int, secret: str) -> str:
    """A turnserver.conf like docs/turn.md's, reduced to loopback, plain UDP/TCP and a test realm."""
    lines = [
        "listening-ip=127.0.0.1",
        "relay-ip=127.0.0.1",
        f"listening-port={port}",
        f"realm={REALM}",
        "use-auth-secret",
        f"static-auth-secret={secret}",
        "fingerprint",
        "allow-loopback-peers",  # the hub and both browsers are on loopback here; never in production
        "no-multicast-peers",
        "no-tls",
        "no-dtls",
        "no-cli",
        "no-rfc5780",
        "no-software-attribute",
        "verbose",  # allocations and their usage per username in the log (tests read it)
        f"pidfile={directory / 'turnserver.pid'}",
        f"log-file={directory / 'turnserver.log'}",
        "simple-log",
        "no-stdout-log",
        f"userdb={directory / 'turndb'}",
    ]
    return "\n".join(lines) + "\n"


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) of ``nobody`` when we are root; ``None`` when we already run unprivileged."""
    if os.geteuid() != 0:
        return None
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _answers(port: int) -> bool:
    """The instance answers a STUN binding request on UDP and accepts a TCP connection."""
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.2)
        try:
            udp.sendto(bytes(request), ("127.0.0.1", port))
            data = udp.recv(2048)
        except OSError:  # timeout, or "connection refused" while nothing listens yet
            return False
    try:
        response = stun.parse_message(data)
    except ValueError:
        return False
    if response.transaction_id != request.transaction_id or response.message_class != stun.Class.RESPONSE:
        return False
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _start(executable: str, secret: str, user: tuple[int, int] | None) -> Coturn:
    directory = Path(tempfile.mkdtemp(prefix="vb-coturn-"))
    port = _free_port()
    conf = directory / "turnserver.conf"
    conf.write_text(_configuration(directory, port, secret))
    conf.chmod(0o600)
    if user is not None:
        for path in (directory, conf):
            os.chown(path, *user)
    process = subprocess.Popen(
        [executable, "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        user=user[0] if user else None,
        group=user[1] if user else None,
        extra_groups=[] if user else None,
        cwd=directory,
    )
    return Coturn(port, secret, process, directory)


def _wait_ready(server: Coturn) -> bool:
    """Probe until the instance answers (True) or exits (False); fail the test after START_SECONDS."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if not server.running:
            return False
        if _answers(server.port):
            return True
        time.sleep(0.05)  # polling interval of the readiness probe
    log = server.log()
    server.stop()
    pytest.fail(f"turnserver did not answer within {START_SECONDS} s:\n{log[-3000:]}")


@contextlib.contextmanager
def running_coturn(secret: str | None = None) -> Iterator[Coturn]:
    """A coturn on 127.0.0.1 for the duration of the block; skips (fails in CI) without ``turnserver``."""
    executable = turnserver_or_skip()
    secret = secret or secrets.token_urlsafe(24)
    user = _unprivileged()
    log = ""
    for _ in range(PORT_ATTEMPTS):
        server = _start(executable, secret, user)
        try:
            if _wait_ready(server):
                break
            log = server.log()
        except BaseException:
            shutil.rmtree(server.directory, ignore_errors=True)
            raise
        shutil.rmtree(server.directory, ignore_errors=True)
    else:
        pytest.fail(f"turnserver exited at start {PORT_ATTEMPTS} times; last log:\n{log[-3000:]}")
    try:
        pid = (server.directory / "turnserver.pid").read_text().strip()
        assert pid == str(server.process.pid), "coturn runs as the process we started"
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)
