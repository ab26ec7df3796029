"""Command line: ``python -m video_bank serve | seed-demo | records | keys | access-log | reference | pins``
and their subcommands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from aiohttp import web

from verification import reference_cli
from video_bank.accounts import DEMO_ACCOUNTS, seed_demo_accounts
from video_bank.app import create_app
from video_bank.auditing import cli as access_log_cli
from video_bank.config import Settings, configure_logging, load_settings
from video_bank.core_banking import demo as core_banking_demo
from video_bank.core_banking import pins_cli
from video_bank.core_banking.pin_keyring import load_keyring
from video_bank.core_banking.store import CoreBankingStore
from video_bank.data_dir import UMASK, secure_data_dir
from video_bank.errors import ServeError, VideoBankError
from video_bank.records import cli as records_cli
from video_bank.storage import SqliteStorage
from video_bank.tls import ensure_self_signed, local_addresses, server_context
from video_bank.verification_setup import reference_key_text

logger = logging.getLogger("video_bank")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the flag (like every other bad setting)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"video_bank: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m video_bank", description="Video remote-banking counter.")
    common = _Parser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, help="data directory (env VIDEO_BANK_DATA_DIR, default ./var)"
    )
    common.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (env VIDEO_BANK_LOG_LEVEL)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[common], help="run the service")
    serve.add_argument("--host", help="bind address (env VIDEO_BANK_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (env VIDEO_BANK_PORT, default 8080; 0 = any free)")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate chain for HTTPS")
    serve.add_argument("--tls-key", type=Path, help="PEM private key for HTTPS")
    serve.add_argument(
        "--self-signed", action="store_true", default=None, help="serve HTTPS with a generated certificate"
    )

    seed = commands.add_parser("seed-demo", parents=[common], help="create or reset the demo accounts")
    seed.add_argument("--password", help="password for every demo account (random and printed when omitted)")
    records_cli.register(commands, common)
    access_log_cli.register(commands, common)
    reference_cli.register(commands, common)
    pins_cli.register(commands, common)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {"data_dir": args.data_dir, "log_level": args.log_level}
    if args.command == "serve":
        overrides |= {
            "host": args.host,
            "port": args.port,
            "tls_cert": args.tls_cert,
            "tls_key": args.tls_key,
            "self_signed": args.self_signed,
        }
    if overrides["log_level"]:
        overrides["log_level"] = overrides["log_level"].upper()
    return load_settings(**overrides)


def _print_accounts(password: str, generated: bool) -> None:
    names = ", ".join(f"{a.username} ({a.role.value})" for a in DEMO_ACCOUNTS)
    print(f"Demo accounts: {names}")
    if generated:
        print(f"Demo password (shown only now): {password}")


async def _seed(settings: Settings, password: str | None, *, only_if_empty: bool) -> None:
    storage = await SqliteStorage.open(settings.sqlite_path)
    try:
        if only_if_empty and await storage.count_accounts() > 0:
            return
        generated = not password
        password = password or secrets.token_urlsafe(12)
        await seed_demo_accounts(storage, password)
        _print_accounts(password, generated)
        vault = (await asyncio.to_thread(load_keyring, settings)).vault()
        customers = await core_banking_demo.seed_demo_customers(
            await CoreBankingStore.open(storage), vault, time.time()
        )
        print("\n".join(core_banking_demo.describe(customers)))
        key_path = await asyncio.to_thread(records_cli.seed_demo_auditor, settings.data_dir)
        print(f"Demo auditor private key (demo only; real auditor keys stay off the server): {key_path}")
    finally:
        await storage.close()


async def _serve(settings: Settings) -> None:
    secure_data_dir(settings.data_dir)
    await _seed(settings, settings.demo_password, only_if_empty=True)
    ssl_context = None
    if settings.self_signed:
        ssl_context = server_context(*ensure_self_signed(settings.data_dir / "tls"))
    elif settings.tls_cert is not None and settings.tls_key is not None:
        ssl_context = server_context(settings.tls_cert, settings.tls_key)
    runner = web.AppRunner(
        create_app(settings, preload_verification=settings.verification_preload), shutdown_timeout=5.0
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=ssl_context)
    # Handlers go in before "listening" is printed: whoever reads that line may signal at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        reason = error.strerror or error
        raise ServeError(f"cannot listen on {settings.host}:{settings.port}: {reason}") from error
    port = runner.addresses[0][1] if runner.addresses else settings.port
    scheme = "https" if ssl_context else "http"
    hosts = local_addresses() if settings.host in ("0.0.0.0", "") else [settings.host]  # noqa: S104
    for host in hosts:
        print(f"video_bank listening on {scheme}://{host}:{port}/  (customer: /customer/  teller: /teller/)")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        logger.info("shutting down")
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    os.umask(UMASK)  # everything written under the data dir: files 0600, directories 0700
    try:
        settings = _settings(args)
    except VideoBankError as error:
        print(f"video_bank: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.command in records_cli.COMMANDS:
        return records_cli.run(args, settings)
    if args.command in access_log_cli.COMMANDS:
        return access_log_cli.run(args, settings)
    if args.command in reference_cli.COMMANDS:
        return reference_cli.run(args, settings.data_dir, reference_key_text(settings))
    if args.command in pins_cli.COMMANDS:
        return pins_cli.run(args, settings)
    try:
        if args.command == "serve":
            asyncio.run(_serve(settings))
        else:
            asyncio.run(_seed(settings, args.password, only_if_empty=False))
    except VideoBankError as error:
        print(f"video_bank: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
