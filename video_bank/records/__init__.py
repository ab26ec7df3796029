"""Encrypted, tamper-evident session records that only auditors can open.

The format (see ``docs/record-format.md``) is pure code: :mod:`.chunk` (encrypted chunk files),
:mod:`.chain` (hash chain and signed journal), :mod:`.model` (header, manifest, timeline),
:mod:`.keywrap` (data key wrapped to auditors' RSA keys), :mod:`.signing` (Ed25519),
:mod:`.builder` (writing), :mod:`.verify` (checking), :mod:`.reader` (decrypting),
:mod:`.retention` (policy and decisions). The adapters do the I/O: :mod:`.store` (record
directories), :mod:`.keyring` (key files), :mod:`.writer` (asyncio API for the media hub and
signaling), :mod:`.recovery`, :mod:`.sweep`, :mod:`.export` and :mod:`.cli`.

The application uses :class:`Recorder` and :class:`RecordWriter`::

    recorder = Recorder.local(settings.data_dir)
    await recorder.recover()                                   # once, at start-up
    writer = await recorder.open(SessionInfo.of(session_id, business, time.time(), teller=...))
    writer.append_media("customer", init_segment, t, t, content_type=WEBM_VP8_OPUS, init=True)
    writer.append_media("customer", cluster, t0, t1, content_type=WEBM_VP8_OPUS)
    writer.append_events([TimelineEvent.of(time.time(), "verification_decision", "server", {...})])
    manifest = await writer.seal(ended_at=time.time(), summary={"outcome": "completed"})
    await recorder.close()                                     # at shutdown
"""

from video_bank.records.errors import (
    KeyStoreError,
    RecordError,
    RecordExistsError,
    RecordInputError,
    RecordIntegrityError,
    RecordNotFoundError,
    RecordStateError,
    RecordWriteError,
    WrongKeyError,
)
from video_bank.records.model import ChunkEntry, Manifest, SessionInfo, TimelineEvent
from video_bank.records.writer import Recorder, RecordWriter

__all__ = [
    "ChunkEntry",
    "KeyStoreError",
    "Manifest",
    "RecordError",
    "RecordExistsError",
    "RecordInputError",
    "RecordIntegrityError",
    "RecordNotFoundError",
    "RecordStateError",
    "RecordWriteError",
    "RecordWriter",
    "Recorder",
    "SessionInfo",
    "TimelineEvent",
    "WrongKeyError",
]
