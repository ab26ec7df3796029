"""``python -m video_bank access-log list|verify``: the auditors' access log from the command line.

``verify`` exits 0 only when the hash chain is intact (1 when broken, 2 on error) and prints the
chain head, which can be noted out of band to detect a cut-off tail later.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any

from video_bank.auditing.access_log import AccessEntry, check_chain
from video_bank.auditing.access_store import AccessLogStore
from video_bank.auditing.errors import AuditError
from video_bank.config import Settings
from video_bank.errors import StorageError
from video_bank.storage import SqliteStorage

COMMANDS = ("access-log",)
"""Top-level commands this module adds."""

Out = Callable[[str], None]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``access-log`` to the top-level subcommands."""
    log = commands.add_parser("access-log", help="list or verify the auditors' access log")
    sub = log.add_subparsers(dest="access_log_command", required=True, metavar="COMMAND")
    p = sub.add_parser("list", parents=[common], help="every opening of a record: who, when, which, why")
    p.add_argument("--json", action="store_true", help="the stored lines, one JSON object each")
    p = sub.add_parser("verify", parents=[common], help="check the hash chain (exit 0 only when intact)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


async def _lines(settings: Settings) -> list[bytes]:
    storage = await SqliteStorage.open(settings.sqlite_path)
    try:
        return await AccessLogStore(storage).lines()
    finally:
        await storage.close()


def run(args: argparse.Namespace, settings: Settings, out: Out = print) -> int:
    """Run an ``access-log`` command; returns the exit status."""
    try:
        lines = asyncio.run(_lines(settings))
    except (AuditError, StorageError) as error:
        print(f"video_bank: {error}", file=sys.stderr)
        return 2
    check = check_chain(lines)
    if args.access_log_command == "list":
        for line in lines:
            if args.json:
                out(line.decode("ascii"))
                continue
            try:
                e = AccessEntry.parse(line)
            except ValueError:
                out(f"(malformed entry) {line.decode('ascii', 'replace')}")
                continue
            out(f"{e.seq:>6}  {e.at_us // 1_000_000:>10}  {e.auditor:<16} {e.record_id:<24} {e.reason}")
        return 0 if check.intact else 1
    if args.json:
        out(json.dumps(check.to_json()))
    elif check.intact:
        out(f"access log intact: {check.entries} entries, head {check.head}")
    else:
        out(f"access log BROKEN ({check.entries} entries):")
        for problem in check.problems:
            out(f"  {problem}")
    return 0 if check.intact else 1
