"""Start-up recovery: seal, marked ``recovered``, every record whose writer died before sealing it.

Only what the signed journal proves is sealed: a chunk file past the journal or a torn journal
entry (the crash came in between) is discarded, at most the last fragment. A record whose journal
or chunks do not check out is *not* sealed: signing it would launder tampering, so it is left as it
is and reported. A record some live process still writes (its writer lock is held) is left alone.
Blocking I/O: run it on a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from video_bank.records.builder import RECOVERY_CRASH, seal_manifest
from video_bank.records.errors import RecordIntegrityError
from video_bank.records.signing import Signer, TrustedKeys
from video_bank.records.store import RecordState, RecordStore
from video_bank.records.verify import scan_unsealed

logger = logging.getLogger(__name__)

RecoveryResult = Literal["sealed", "busy", "tampered", "incomplete"]


@dataclass(frozen=True, slots=True)
class RecoveryOutcome:
    """What recovery did with one unsealed record."""

    record_id: str
    """The record."""
    result: RecoveryResult
    """``sealed`` (as recovered), ``busy`` (someone writes it), ``tampered`` (left unsealed, see
    ``problems``) or ``incomplete`` (no header: it never held data)."""
    chunks: int = 0
    """Chunks in the sealed record."""
    discarded: int = 0
    """Chunk files and torn journal entries dropped because the journal did not prove them."""
    problems: tuple[str, ...] = ()
    """Why a record was not sealed."""


def recover_record(
    store: RecordStore, record_id: str, signer: Signer, trusted: TrustedKeys, now_us: int
) -> RecoveryOutcome:
    """Seal one unsealed record as recovered, if its writer is gone and its journal checks out."""
    handle = store.claim_unsealed(record_id)
    if handle is None:
        return RecoveryOutcome(record_id, "busy")
    try:
        try:
            scan = scan_unsealed(store.source(record_id), trusted)
        except RecordIntegrityError as error:
            logger.error("record %s not recovered: %s", record_id, error)
            return RecoveryOutcome(record_id, "tampered", problems=error.problems)
        if scan is None:
            return RecoveryOutcome(record_id, "incomplete")
        if scan.problems:
            logger.error("record %s not recovered: %s", record_id, scan.problems[0])
            return RecoveryOutcome(record_id, "tampered", chunks=len(scan.entries), problems=scan.problems)
        handle.truncate(len(scan.entries))
        sealed = seal_manifest(
            header=scan.header,
            header_bytes=scan.header_bytes,
            entries=scan.entries,
            chain_head=scan.chain_head,
            signer=signer,
            sealed_at_us=now_us,
            end_us=None,
            summary={},
            recovery_reason=RECOVERY_CRASH,
        )
        handle.write_seal(sealed.manifest_bytes, sealed.signature)
    finally:
        handle.close()
    discarded = len(scan.discard_chunks) + (1 if scan.torn_journal_bytes else 0)
    logger.warning(
        "record %s sealed as recovered with %d chunks (%d discarded)", record_id, len(scan.entries), discarded
    )
    return RecoveryOutcome(record_id, "sealed", chunks=len(scan.entries), discarded=discarded)


def recover_all(
    store: RecordStore, signer: Signer, trusted: TrustedKeys, now_us: int
) -> list[RecoveryOutcome]:
    """Recover every unsealed record of ``store``."""
    return [
        recover_record(store, record_id, signer, trusted, now_us)
        for record_id in store.record_ids()
        if store.state(record_id) is RecordState.UNSEALED
    ]
