"""What records a store holds, for listing and searching (the CLI's ``records list``, the auditor console).

Reads headers and manifests only, never chunks, and checks each manifest's signature, so a listing is
fast and never shows metadata from a manifest that was altered. Blocking I/O: run it on a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from video_bank.records.errors import RecordIntegrityError
from video_bank.records.model import Manifest, RecordHeader
from video_bank.records.signing import TrustedKeys
from video_bank.records.store import LegalHold, RecordState, RecordStore
from video_bank.records.verify import signed_manifest


@dataclass(frozen=True, slots=True)
class RecordListing:
    """One record as a listing shows it."""

    record_id: str
    """The record (session) id."""
    state: RecordState
    """Its state in the store."""
    manifest: Manifest | None
    """For a sealed record whose manifest signature is valid."""
    header: RecordHeader | None
    """For a record being written or unsealed, when its header parses."""
    legal_hold: LegalHold | None
    """Its legal hold, if any."""
    problem: str | None = None
    """Why a sealed record has no manifest here (invalid signature) or a header did not parse."""

    @property
    def status(self) -> str:
        """``state``, or ``invalid-signature`` / ``<state>-malformed`` when something is wrong."""
        if self.problem is None:
            return self.state.value
        return "invalid-signature" if self.state is RecordState.SEALED else f"{self.state.value}-malformed"


def list_records(store: RecordStore, trusted: TrustedKeys) -> list[RecordListing]:
    """Every record of ``store``, by id."""
    listings = []
    for record_id in store.record_ids():
        state = store.state(record_id)
        manifest: Manifest | None = None
        header: RecordHeader | None = None
        problem: str | None = None
        if state is RecordState.SEALED:
            try:
                manifest = signed_manifest(store.source(record_id), trusted)
            except RecordIntegrityError as error:
                problem = str(error)
        elif state in (RecordState.WRITING, RecordState.UNSEALED):
            raw = store.source(record_id).header()
            if raw is not None:
                try:
                    header = RecordHeader.parse(raw)
                except RecordIntegrityError as error:
                    problem = str(error)
        hold = store.legal_hold(record_id) if state is not RecordState.SHREDDED else None
        listings.append(RecordListing(record_id, state, manifest, header, hold, problem))
    return listings
