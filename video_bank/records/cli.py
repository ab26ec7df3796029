"""``python -m video_bank records ...`` and ``python -m video_bank keys ...``.

::

    records list [--json]                       every record with its state (manifest signatures checked)
    records verify ID [--key PEM] [--json]      signature, header, chain, journal (and tags with --key)
    records export ID --key PEM --out DIR       decrypted media per stream + timeline.json
    records redecide ID --key PEM [--current-policy] [--json]   re-run the decision code on the
                                                recorded evidence; exit 0 only when every decision
                                                is reproduced
    records recover                             seal unsealed records whose writer died (as at start-up)
    records sweep [--dry-run] [--json]          retention: crypto-shred expired records not on hold
    records hold ID --reason TEXT [--by NAME]   place a legal hold
    records release ID --reason TEXT [--by NAME]
    keys list [--json]
    keys auditor-generate --name NAME --out FILE    new pair: private key to FILE (0600), public registered
    keys auditor-register --name NAME --public-key FILE
    keys auditor-retire --name NAME
    keys rotate                                 new server signing key (old records stay verifiable)
    keys rotate --auditor NAME (--out FILE | --public-key FILE)   replace an auditor's key

Exit status: 0 success (for ``verify``: the record is intact), 1 the record is not intact
(tampered, truncated, unsealed, or export refused for that reason), 2 anything else (unknown record,
wrong key, bad arguments, key store problems).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verification.evidence import EvidenceError
from verification.policy import VerificationPolicy
from verification.redecide import from_timeline, render
from video_bank.config import Settings
from video_bank.records.catalog import list_records
from video_bank.records.encoding import from_us, iso_utc, to_us
from video_bank.records.errors import KeyStoreError, RecordError, RecordIntegrityError
from video_bank.records.export import export_record
from video_bank.records.keyring import KeyRing, KeyStatus, load_private_key_file
from video_bank.records.keywrap import auditor_key_id, load_auditor_public_key
from video_bank.records.model import RecordHeader
from video_bank.records.reader import open_record, unwrap_data_key
from video_bank.records.recovery import recover_all
from video_bank.records.store import LocalRecordStore, RecordState
from video_bank.records.sweep import place_legal_hold, release_legal_hold, sweep
from video_bank.records.verify import verify_record
from video_bank.records.writer import KEYS_DIR, RECORDS_DIR
from video_bank.storage import LOST_OUTCOME, SqliteStorage

COMMANDS = ("records", "keys")
"""Top-level commands this module adds."""
DEMO_AUDITOR = "audit1"
"""The demo auditor account; ``seed-demo`` registers a key pair for it."""
DEMO_KEY_FILE = "demo-auditor.pem"

EXIT_OK = 0
EXIT_NOT_INTACT = 1
EXIT_ERROR = 2

Out = Callable[[str], None]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``records`` and ``keys`` to the top-level subcommands (``common`` holds ``--data-dir``)."""
    records = commands.add_parser("records", help="list, verify, export and retain session records")
    sub = records.add_subparsers(dest="records_command", required=True, metavar="COMMAND")
    p = sub.add_parser("list", parents=[common], help="list records")
    p.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    p = sub.add_parser("verify", parents=[common], help="check a record (exit 0 only when intact)")
    p.add_argument("id", help="record (session) id")
    p.add_argument("--key", type=Path, help="auditor private key: also check every chunk's tag")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p = sub.add_parser("export", parents=[common], help="decrypt a record into a directory")
    p.add_argument("id", help="record (session) id")
    p.add_argument("--key", type=Path, required=True, help="auditor private key (PEM)")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p = sub.add_parser(
        "redecide", parents=[common], help="re-derive the identity-check decisions of a record"
    )
    p.add_argument("id", help="record (session) id")
    p.add_argument("--key", type=Path, required=True, help="auditor private key (PEM)")
    p.add_argument(
        "--current-policy",
        action="store_true",
        help="use this version's default thresholds instead of the recorded ones",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    sub.add_parser("recover", parents=[common], help="seal unsealed records whose writer died")
    p = sub.add_parser("sweep", parents=[common], help="apply retention (crypto-shred expired records)")
    p.add_argument("--dry-run", action="store_true", help="only report what would be shredded")
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    for name, text in (("hold", "place a legal hold"), ("release", "release a legal hold")):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("id", help="record (session) id")
        p.add_argument("--reason", required=True, help="why (logged)")
        p.add_argument("--by", help="who (logged; default: the OS user)")

    keys = commands.add_parser("keys", help="manage the record signing key and auditor keys")
    sub = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    p = sub.add_parser("list", parents=[common], help="list signing and auditor keys")
    p.add_argument("--json", action="store_true", help="print JSON (with the public keys)")
    p = sub.add_parser("auditor-generate", parents=[common], help="generate and register an auditor key pair")
    p.add_argument("--name", required=True, help="auditor name (usually the account name)")
    p.add_argument("--out", type=Path, required=True, help="file for the private key (created, mode 0600)")
    p = sub.add_parser("auditor-register", parents=[common], help="register an auditor's public key")
    p.add_argument("--name", required=True, help="auditor name")
    p.add_argument("--public-key", type=Path, required=True, help="PEM public key (RSA, >= 3072 bits)")
    p = sub.add_parser("auditor-retire", parents=[common], help="stop wrapping new records to an auditor")
    p.add_argument("--name", required=True, help="auditor name")
    p = sub.add_parser(
        "rotate", parents=[common], help="rotate the signing key, or with --auditor an auditor key"
    )
    p.add_argument("--auditor", metavar="NAME", help="rotate this auditor's key instead of the signing key")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--out", type=Path, help="with --auditor: generate the new pair, private key to this file"
    )
    group.add_argument("--public-key", type=Path, help="with --auditor: the new public key (PEM)")


def run(args: argparse.Namespace, settings: Settings, out: Out = print) -> int:
    """Run a ``records``/``keys`` command; returns the exit status."""
    data_dir = settings.data_dir
    store = LocalRecordStore(data_dir / RECORDS_DIR)
    keyring = KeyRing(data_dir / KEYS_DIR)
    try:
        if args.command == "records" and args.records_command == "recover":
            return _recover(args, store, keyring, out, settings)
        if args.command == "records":
            return _RECORDS[args.records_command](args, store, keyring, out)
        return _KEYS[args.keys_command](args, keyring, out)
    except RecordIntegrityError as error:
        _error(str(error))
        return EXIT_NOT_INTACT
    except RecordError as error:
        _error(str(error))
        return EXIT_ERROR


def _error(message: str) -> None:
    print(f"video_bank: {message}", file=sys.stderr)


def _now_us() -> int:
    return to_us(time.time())


# --- records ---------------------------------------------------------------------------------------------


def _list(args: argparse.Namespace, store: LocalRecordStore, keyring: KeyRing, out: Out) -> int:
    rows: list[dict[str, Any]] = []
    for listing in list_records(store, keyring.trusted_signing_keys()):
        row: dict[str, Any] = {"id": listing.record_id, "state": listing.status}
        if listing.header is not None:
            session = listing.header.session
            row |= {"business": session.business, "teller": session.teller}
            row |= {"started": iso_utc(session.started_at_us)}
        manifest = listing.manifest
        if manifest is not None:
            row |= {
                "business": manifest.session.business,
                "teller": manifest.session.teller,
                "customer_id": manifest.session.customer_id,
                "started": iso_utc(manifest.start_us),
                "ended": iso_utc(manifest.end_us),
                "duration_s": round(from_us(manifest.end_us - manifest.start_us), 3),
                "chunks": len(manifest.chunks),
                "streams": sorted(manifest.streams),
                "recovered": manifest.recovered,
                "retention_class": manifest.retention.name,
                "retain_until": iso_utc(manifest.retain_until_us),
                "summary": dict(manifest.summary),
            }
        if listing.state is not RecordState.SHREDDED:
            row["legal_hold"] = listing.legal_hold is not None
        rows.append(row)
    if args.json:
        out(json.dumps(rows, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        out("no records")
        return EXIT_OK
    out(f"{'ID':<24} {'STATE':<17} {'BUSINESS':<22} {'STARTED':<29} {'SECONDS':>8} {'CHUNKS':>6}  FLAGS")
    for row in rows:
        flags = ",".join(f for f in ("recovered", "legal_hold") if row.get(f))
        out(
            f"{row['id']:<24} {row['state']:<17} {row.get('business') or '-':<22} "
            f"{row.get('started', '-'):<29} {row.get('duration_s', '-'):>8} "
            f"{row.get('chunks', '-'):>6}  {flags}"
        )
    return EXIT_OK


def _verify(args: argparse.Namespace, store: LocalRecordStore, keyring: KeyRing, out: Out) -> int:
    source = store.source(args.id)
    trusted = keyring.trusted_signing_keys()
    data_key = None
    if args.key is not None:
        header = RecordHeader.parse(source.header() or b"")
        data_key = unwrap_data_key(header, load_private_key_file(args.key, _password(args.key)))
    try:
        report = verify_record(source, trusted, data_key=data_key)
    finally:
        if data_key is not None:
            data_key[:] = bytes(len(data_key))
    if args.json:
        out(
            json.dumps(
                {
                    "id": report.record_id,
                    "intact": report.intact,
                    "sealed": report.sealed,
                    "chunks_checked": report.chunks_checked,
                    "tags_checked": report.tags_checked,
                    "recovered": report.manifest.recovered if report.manifest else None,
                    "signing_key_id": report.manifest.signing_key_id if report.manifest else None,
                    "problems": list(report.problems),
                }
            )
        )
    elif report.intact and report.manifest is not None:
        what = "signature, chain, journal" + (" and every chunk's tag" if report.tags_checked else "")
        recovered = " (sealed by recovery)" if report.manifest.recovered else ""
        out(f"record {report.record_id}: intact{recovered}: {what} verified ({report.chunks_checked} chunks)")
        out(f"signed by key {report.manifest.signing_key_id}")
    else:
        out(f"record {report.record_id}: NOT INTACT")
        for problem in report.problems:
            out(f"  - {problem}")
    return EXIT_OK if report.intact else EXIT_NOT_INTACT


def _password(path: Path) -> bytes | None:
    """Ask for the key file's password on the terminal, if it is encrypted and we have a terminal."""
    try:
        encrypted = b"ENCRYPTED" in path.read_bytes()[:200]
    except OSError:
        return None
    if encrypted and sys.stdin.isatty():
        return getpass.getpass(f"password for {path}: ").encode("utf-8")
    return None


def _export(args: argparse.Namespace, store: LocalRecordStore, keyring: KeyRing, out: Out) -> int:
    key = load_private_key_file(args.key, _password(args.key))
    result = export_record(store, args.id, keyring.trusted_signing_keys(), key, args.out)
    for path in result.files:
        out(str(path))
    streams = ", ".join(f"{s} {n} bytes" for s, n in result.media_bytes.items()) or "no media"
    out(f"record {result.record_id}: verified and exported ({streams}; {result.events} timeline events)")
    return EXIT_OK


def _redecide(args: argparse.Namespace, store: LocalRecordStore, keyring: KeyRing, out: Out) -> int:
    key = load_private_key_file(args.key, _password(args.key))
    if store.state(args.id) is not RecordState.SEALED:
        _error(f"record {args.id} is not sealed")
        return EXIT_ERROR
    with open_record(store.source(args.id), keyring.trusted_signing_keys(), key) as reader:
        events = [(e.kind, e.data) for e in reader.timeline()]
    try:
        results = from_timeline(events, policy=VerificationPolicy() if args.current_policy else None)
    except EvidenceError as error:
        _error(f"record {args.id}: {error}")
        return EXIT_ERROR
    if args.json:
        out(json.dumps([r.to_json() for r in results], indent=2))
    elif not results:
        out(f"record {args.id}: no identity-check decision recorded")
    for result in [] if args.json else results:
        out(render(result))
    return EXIT_OK if all(r.reproduced for r in results) else EXIT_NOT_INTACT


def _recover(
    args: argparse.Namespace, store: LocalRecordStore, keyring: KeyRing, out: Out, settings: Settings
) -> int:
    outcomes = recover_all(store, keyring.signer(), keyring.trusted_signing_keys(), _now_us())
    for o in outcomes:
        detail = (
            f"{o.chunks} chunks, {o.discarded} discarded" if o.result == "sealed" else "; ".join(o.problems)
        )
        out(f"record {o.record_id}: {o.result}" + (f" ({detail})" if detail else ""))
    if not outcomes:
        out("no unsealed records")
    sealed = [o.record_id for o in outcomes if o.result == "sealed"]
    if sealed and settings.sqlite_path.exists():
        closed = asyncio.run(_close_sessions(settings, sealed))
        for session_id in closed:
            out(f"session {session_id}: closed as {LOST_OUTCOME}")
    return EXIT_NOT_INTACT if any(o.result == "tampered" for o in outcomes) else EXIT_OK


async def _close_sessions(settings: Settings, session_ids: list[str]) -> list[str]:
    """Close the database rows of sessions whose records were just recovered (their process died)."""
    storage = await SqliteStorage.open(settings.sqlite_path)
    try:
        return await storage.close_dangling_sessions(LOST_OUTCOME, session_ids)
    finally:
        await storage.close()


def _sweep(args: argparse.Namespace, store: LocalRecordStore, keyring: KeyRing, out: Out) -> int:
    outcomes = sweep(store, keyring.trusted_signing_keys(), _now_us(), dry_run=args.dry_run)
    if args.json:
        out(
            json.dumps(
                [
                    {
                        "id": o.record_id,
                        "action": o.action,
                        "retain_until": iso_utc(o.retain_until_us) if o.retain_until_us is not None else None,
                        "reason": o.reason,
                    }
                    for o in outcomes
                ]
            )
        )
    else:
        for o in outcomes:
            if o.action != "kept":
                out(f"record {o.record_id}: {o.action}" + (f" ({o.reason})" if o.reason else ""))
        counts = {
            a: sum(1 for o in outcomes if o.action == a) for a in ("shredded", "would_shred", "held", "kept")
        }
        out(", ".join(f"{n} {a.replace('_', ' ')}" for a, n in counts.items() if n) or "no sealed records")
    return EXIT_NOT_INTACT if any(o.action == "refused" for o in outcomes) else EXIT_OK


def _hold(args: argparse.Namespace, store: LocalRecordStore, keyring: KeyRing, out: Out) -> int:
    by = args.by or getpass.getuser()
    if args.records_command == "hold":
        place_legal_hold(store, args.id, args.reason, by, _now_us())
        out(f"record {args.id}: on legal hold")
    else:
        release_legal_hold(store, args.id, args.reason, by, _now_us())
        out(f"record {args.id}: legal hold released")
    return EXIT_OK


_RECORDS: dict[str, Callable[[argparse.Namespace, LocalRecordStore, KeyRing, Out], int]] = {
    "list": _list,
    "verify": _verify,
    "export": _export,
    "redecide": _redecide,
    "sweep": _sweep,
    "hold": _hold,
    "release": _hold,
}


# --- keys ------------------------------------------------------------------------------------------------


def _keys_list(args: argparse.Namespace, keyring: KeyRing, out: Out) -> int:
    signing, auditors = keyring.signing_keys(), keyring.auditor_keys()
    if args.json:
        out(
            json.dumps(
                {
                    "signing": [
                        {
                            "key_id": e.key_id,
                            "status": e.status.value,
                            "created": iso_utc(e.created_at_us),
                            "public_key": e.public_pem,
                        }
                        for e in signing
                    ],
                    "auditors": [
                        {
                            "name": e.name,
                            "key_id": e.key_id,
                            "status": e.status.value,
                            "created": iso_utc(e.created_at_us),
                            "public_key": e.public_pem,
                        }
                        for e in auditors
                    ],
                }
            )
        )
        return EXIT_OK
    out("signing keys (Ed25519):")
    for s in signing:
        out(f"  {s.key_id}  {s.status.value:<8} {iso_utc(s.created_at_us)}")
    if not signing:
        out("  none yet (created when the first record opens)")
    out("auditor keys (RSA-OAEP-256):")
    for a in auditors:
        out(f"  {a.key_id}  {a.status.value:<8} {iso_utc(a.created_at_us)}  {a.name}")
    if not auditors:
        out("  none: records cannot be opened until an auditor key is registered")
    return EXIT_OK


def _auditor_generate(args: argparse.Namespace, keyring: KeyRing, out: Out) -> int:
    entry = keyring.generate_auditor(args.name, args.out)
    out(f"auditor {entry.name}: key {entry.key_id} registered; private key written to {args.out} (mode 0600)")
    out("keep the private key off the server; new records are wrapped to this key")
    return EXIT_OK


def _auditor_register(args: argparse.Namespace, keyring: KeyRing, out: Out) -> int:
    entry = keyring.add_auditor(args.name, _read_public(args.public_key))
    out(f"auditor {entry.name}: key {entry.key_id} registered; new records are wrapped to it")
    return EXIT_OK


def _read_public(path: Path) -> Any:
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise KeyStoreError(f"cannot read {path}: {error.strerror}") from None
    return load_auditor_public_key(pem)


def _auditor_retire(args: argparse.Namespace, keyring: KeyRing, out: Out) -> int:
    entry = keyring.retire_auditor(args.name)
    out(f"auditor {entry.name}: key {entry.key_id} retired; new records are no longer wrapped to it")
    return EXIT_OK


def _rotate(args: argparse.Namespace, keyring: KeyRing, out: Out) -> int:
    if args.auditor is None:
        if args.out is not None or args.public_key is not None:
            _error("--out and --public-key go with --auditor NAME")
            return EXIT_ERROR
        signing = keyring.rotate_signing()
        out(f"signing key rotated: new key {signing.key_id}; older keys stay trusted for old records")
        return EXIT_OK
    if args.out is not None:
        entry = keyring.generate_auditor(args.auditor, args.out, replace_active=True)
        out(f"auditor {entry.name}: new key {entry.key_id}; private key written to {args.out} (mode 0600)")
    elif args.public_key is not None:
        entry = keyring.add_auditor(args.auditor, _read_public(args.public_key), replace_active=True)
        out(f"auditor {entry.name}: new key {entry.key_id} registered")
    else:
        _error("keys rotate --auditor NAME needs --out FILE (generate) or --public-key FILE")
        return EXIT_ERROR
    out("new records use the new key; records sealed before keep the old one (keep its private key)")
    return EXIT_OK


_KEYS: dict[str, Callable[[argparse.Namespace, KeyRing, Out], int]] = {
    "list": _keys_list,
    "auditor-generate": _auditor_generate,
    "auditor-register": _auditor_register,
    "auditor-retire": _auditor_retire,
    "rotate": _rotate,
}


# --- seed-demo ---------------------------------------------------------------------------------------------


def seed_demo_auditor(data_dir: Path) -> Path:
    """Make sure the demo auditor (``audit1``) has a registered key pair; returns the private key's path.

    Blocking (RSA key generation): call it on a worker thread from async code. The private key
    stays in the data dir, which is for the demo only: a real auditor's key never stays on the server.
    """
    keyring = KeyRing(data_dir / KEYS_DIR)
    path = data_dir / KEYS_DIR / DEMO_KEY_FILE
    has_active = any(e.name == DEMO_AUDITOR and e.status is KeyStatus.ACTIVE for e in keyring.auditor_keys())
    if path.exists():
        key = load_private_key_file(path)
        if not any(e.key_id == auditor_key_id(key.public_key()) for e in keyring.auditor_keys()):
            keyring.add_auditor(DEMO_AUDITOR, key.public_key(), replace_active=has_active)
    else:
        keyring.generate_auditor(DEMO_AUDITOR, path, replace_active=has_active)
    keyring.signer()
    return path.resolve()
