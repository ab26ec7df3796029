"""Reading a session's sealed record in tests, as an auditor would (with the auditor's private key)."""

from __future__ import annotations

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.waiting import eventually
from video_bank import appkeys
from video_bank.records import TimelineEvent
from video_bank.records.reader import open_record
from video_bank.records.store import RecordState


async def sealed_timeline(
    app: web.Application, session_id: str, key: rsa.RSAPrivateKey
) -> list[TimelineEvent]:
    """The decrypted timeline of ``session_id``'s record, once it is sealed."""
    recorder = app[appkeys.RECORDER]
    store = recorder.store
    await eventually(
        lambda: session_id in store.record_ids() and store.state(session_id) is RecordState.SEALED
    )
    with open_record(store.source(session_id), recorder.keyring.trusted_signing_keys(), key) as reader:
        return list(reader.timeline())
