"""``python -m video_bank reference enroll|delete``: manage customers' reference photos.

    python -m video_bank reference enroll --customer-id ID --photo FILE [--data-dir D]
    python -m video_bank reference delete --customer-id ID [--data-dir D]

References live encrypted in ``<data dir>/references`` under the key in ``VIDEO_BANK_REFERENCE_KEY``
(see :mod:`verification.reference_store`). Nothing printed names the customer.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verification.errors import VerificationError

COMMANDS = ("reference",)
"""Top-level commands this module handles."""

KEY_HINT = (
    "set VIDEO_BANK_REFERENCE_KEY to 32 random bytes, for example the output of "
    'python -c "import secrets; print(secrets.token_hex(32))"'
)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``reference`` command to an argparse sub-parser set."""
    reference = commands.add_parser("reference", help="enroll or delete customers' reference photos")
    actions = reference.add_subparsers(dest="reference_command", required=True)
    enroll = actions.add_parser("enroll", parents=[common], help="enroll a reference photo for a customer")
    enroll.add_argument("--customer-id", required=True, help="the customer's id")
    enroll.add_argument("--photo", required=True, type=Path, help="JPEG or PNG showing exactly one face")
    delete = actions.add_parser("delete", parents=[common], help="delete a customer's reference")
    delete.add_argument("--customer-id", required=True, help="the customer's id")


def references_dir(data_dir: Path) -> Path:
    """Where references are stored inside a data directory."""
    return data_dir / "references"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def run(
    args: argparse.Namespace,
    data_dir: Path,
    key_text: str | None,
    out: Callable[[str], None] = print,
    err: Callable[[str], None] = _stderr,
) -> int:
    """Run a ``reference`` command; the exit status (messages to ``out``, errors to ``err``)."""
    if key_text is None:
        err(f"video_bank: {KEY_HINT}")
        return 2
    # Imported here: the face stack (OpenCV, dlib) loads only for this command, not for ``serve``.
    from verification.reference_store import ReferenceStore, parse_key

    try:
        store = ReferenceStore(references_dir(data_dir), parse_key(key_text), time.time)
        if args.reference_command == "enroll":
            try:
                photo = args.photo.read_bytes()
            except OSError as exc:
                err(f"video_bank: cannot read the photo ({exc.strerror or exc})")
                return 1
            from verification.analysis import DlibAnalyzer

            reference = store.enroll(args.customer_id, photo, DlibAnalyzer())
            out(f"Reference enrolled (face {reference.eye_distance:.0f} px between the eyes).")
            return 0
        if store.delete(args.customer_id):
            out("Reference deleted.")
            return 0
        err("video_bank: no reference is enrolled for this customer")
        return 1
    except VerificationError as error:
        err(f"video_bank: {error}")
        return 1
