"""The retention sweep and legal holds, over a :class:`~video_bank.records.store.RecordStore`.

The sweep crypto-shreds every sealed record whose ``retain_until`` (from its *signed* manifest) has
passed, unless it is on legal hold: the header with the wrapped data keys is overwritten and
deleted first, then the chunks and the rest, leaving a tombstone. Shredding, keeping an expired
record because of a hold, placing and releasing holds all go to the hash-chained retention log and
to the application log. Records that are not sealed, or whose manifest signature fails, are never
shredded. Blocking I/O: run it from the CLI or on a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from video_bank.records.chunk import sha256
from video_bank.records.encoding import canonical_json
from video_bank.records.errors import RecordInputError, RecordIntegrityError, RecordStateError
from video_bank.records.retention import RetentionAction, decide
from video_bank.records.signing import TrustedKeys
from video_bank.records.store import LegalHold, RecordState, RecordStore
from video_bank.records.verify import signed_manifest

logger = logging.getLogger(__name__)

TOMBSTONE_FORMAT = "video_bank.record-tombstone/1"
SweepAction = Literal["shredded", "would_shred", "held", "kept", "refused"]


@dataclass(frozen=True, slots=True)
class SweepOutcome:
    """What the sweep did with one sealed record."""

    record_id: str
    """The record."""
    action: SweepAction
    """``shredded`` (``would_shred`` in a dry run), ``held`` (expired, on legal hold), ``kept`` (not
    expired) or ``refused`` (its manifest signature fails: never shredded, see ``reason``)."""
    retain_until_us: int | None
    """End of retention from the signed manifest."""
    reason: str | None = None
    """The hold's reason, or why the record was refused."""


def sweep(
    store: RecordStore, trusted: TrustedKeys, now_us: int, *, dry_run: bool = False
) -> list[SweepOutcome]:
    """Apply retention to every sealed record of ``store`` at time ``now_us``."""
    outcomes = []
    for record_id in store.record_ids():
        state = store.state(record_id)
        if state is RecordState.SHREDDED:
            tombstone = store.tombstone(record_id)
            if tombstone is not None and not dry_run and store.source(record_id).header() is not None:
                store.shred(record_id, tombstone)  # finish a shred that a crash interrupted
            continue
        if state is not RecordState.SEALED:
            continue
        outcomes.append(_sweep_one(store, record_id, trusted, now_us, dry_run))
    return outcomes


def _sweep_one(
    store: RecordStore, record_id: str, trusted: TrustedKeys, now_us: int, dry_run: bool
) -> SweepOutcome:
    source = store.source(record_id)
    try:
        manifest = signed_manifest(source, trusted)
    except RecordIntegrityError as error:
        logger.error("retention: record %s not swept: %s", record_id, error)
        if not dry_run:
            store.append_log(
                {"action": "refused", "record_id": record_id, "at_us": now_us, "reason": str(error)}
            )
        return SweepOutcome(record_id, "refused", None, str(error))
    hold = store.legal_hold(record_id)
    action = decide(manifest.retain_until_us, hold is not None, now_us)
    if action is RetentionAction.KEEP:
        return SweepOutcome(record_id, "kept", manifest.retain_until_us)
    if action is RetentionAction.HOLD:
        assert hold is not None
        logger.info("retention: record %s expired but kept on legal hold", record_id)
        if not dry_run:
            store.append_log(
                {
                    "action": "kept_on_hold",
                    "record_id": record_id,
                    "at_us": now_us,
                    "retain_until_us": manifest.retain_until_us,
                    "reason": hold.reason,
                }
            )
        return SweepOutcome(record_id, "held", manifest.retain_until_us, hold.reason)
    if dry_run:
        return SweepOutcome(record_id, "would_shred", manifest.retain_until_us)
    manifest_bytes = source.manifest() or b""
    tombstone = canonical_json(
        {
            "format": TOMBSTONE_FORMAT,
            "record_id": record_id,
            "shredded_at_us": now_us,
            "sealed_at_us": manifest.sealed_at_us,
            "retention_class": manifest.retention.name,
            "retain_until_us": manifest.retain_until_us,
            "chunk_count": len(manifest.chunks),
            "manifest_sha256": sha256(manifest_bytes).hex(),
        }
    )
    store.shred(record_id, tombstone)
    store.append_log(
        {
            "action": "shredded",
            "record_id": record_id,
            "at_us": now_us,
            "retain_until_us": manifest.retain_until_us,
            "retention_class": manifest.retention.name,
        }
    )
    logger.info("retention: record %s crypto-shredded (retention ended)", record_id)
    return SweepOutcome(record_id, "shredded", manifest.retain_until_us)


def place_legal_hold(store: RecordStore, record_id: str, reason: str, by: str, now_us: int) -> LegalHold:
    """Put a record on legal hold (replacing an existing hold's reason), and log it."""
    if not reason.strip() or not by.strip():
        raise RecordInputError("a legal hold needs a reason and who places it")
    if store.state(record_id) is RecordState.SHREDDED:
        raise RecordStateError(f"record {record_id} is already shredded")
    hold = LegalHold(reason=reason, by=by, at_us=now_us)
    store.set_legal_hold(record_id, hold)
    store.append_log(
        {"action": "legal_hold", "record_id": record_id, "at_us": now_us, "by": by, "reason": reason}
    )
    logger.info("retention: legal hold placed on record %s", record_id)
    return hold


def release_legal_hold(store: RecordStore, record_id: str, reason: str, by: str, now_us: int) -> None:
    """Release a record's legal hold, and log it."""
    if not reason.strip() or not by.strip():
        raise RecordInputError("releasing a legal hold needs a reason and who releases it")
    if store.legal_hold(record_id) is None:
        raise RecordStateError(f"record {record_id} is not on legal hold")
    store.set_legal_hold(record_id, None)
    store.append_log(
        {"action": "legal_hold_released", "record_id": record_id, "at_us": now_us, "by": by, "reason": reason}
    )
    logger.info("retention: legal hold released on record %s", record_id)
