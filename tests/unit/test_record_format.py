"""The record format in pure code: write → seal → verify → decrypt, and every way a record can be altered.

Records are built in memory with :class:`RecordBuilder` and checked with :func:`verify_record` and
:func:`open_record`; no file, thread or event loop is involved.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from video_bank.records.builder import RecordBuilder, seal_manifest
from video_bank.records.chain import ENTRY_BYTES, genesis, journal_entry, link
from video_bank.records.chunk import (
    TAG_BYTES,
    ChunkHeader,
    ChunkType,
    encrypt_chunk,
    nonce_for,
    parse_chunk,
    sha256,
)
from video_bank.records.errors import (
    KeyStoreError,
    RecordInputError,
    RecordIntegrityError,
    RecordStateError,
    WrongKeyError,
)
from video_bank.records.keywrap import AuditorKey, generate_auditor_key
from video_bank.records.memory import MemoryRecord, start_in_memory, write_in_memory
from video_bank.records.model import ChunkEntry, Manifest, RecordHeader, Retention, SessionInfo, TimelineEvent
from video_bank.records.reader import open_record
from video_bank.records.retention import RetentionPeriod
from video_bank.records.signing import Signer
from video_bank.records.verify import scan_unsealed, verify_record

T0 = 1_780_000_000_000_000  # microseconds since the epoch (2026)
WEBM = 'video/webm; codecs="vp8, opus"'
RETENTION = Retention(name="standard", period=RetentionPeriod(years=5))

MEDIA: list[tuple[str, bytes, int, int, bool]] = [
    ("customer", b"customer-init-segment", 0, 0, True),
    ("customer", b"customer cluster one " * 3, 0, 2_000_000, False),
    ("teller", b"teller-init-segment", 0, 0, True),
    ("teller", b"teller cluster one " * 3, 0, 2_000_000, False),
    ("customer", b"customer cluster two " * 3, 2_000_000, 4_000_000, False),
]
EVENTS = [
    [TimelineEvent(T0 + 100, "session_started", "server", {"business": "activation"})],
    [
        TimelineEvent(T0 + 1_500_000, "challenge", "server", {"prompt": "turn_left", "n": 1}),
        TimelineEvent(T0 + 3_000_000, "verification_decision", "server", {"live": True, "score": 0.93}),
    ],
]


@pytest.fixture(scope="module")
def auditor_key() -> rsa.RSAPrivateKey:
    return generate_auditor_key()


@pytest.fixture(scope="module")
def second_auditor_key() -> rsa.RSAPrivateKey:
    return generate_auditor_key()


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


def trusted_for(signer: Signer) -> dict[str, object]:
    return {signer.key_id: signer.public_key}


def session(record_id: str = "sess-1") -> SessionInfo:
    return SessionInfo(
        session_id=record_id,
        business="activation",
        started_at_us=T0,
        teller="teller1",
        customer_id="C-1001",
        labels={"channel": "mobile"},
    )


def open_builder(
    signer: Signer, auditors: list[rsa.RSAPrivateKey], record_id: str = "sess-1"
) -> RecordBuilder:
    return RecordBuilder.open(
        session(record_id),
        opened_at_us=T0,
        retention=RETENTION,
        auditors=[AuditorKey(name=f"audit{n}", public_key=k.public_key()) for n, k in enumerate(auditors, 1)],
        signer=signer,
    )


def build_record(
    signer: Signer, auditors: list[rsa.RSAPrivateKey], record_id: str = "sess-1"
) -> tuple[MemoryRecord, Manifest]:
    """A sealed record with two media streams (init segment + clusters) and two timeline batches."""
    builder = open_builder(signer, auditors, record_id)
    record = start_in_memory(builder)
    for stream, payload, t0, t1, init in MEDIA[:3]:
        prepared = builder.prepare_media(stream, WEBM, payload, T0 + t0, T0 + t1, init=init)
        write_in_memory(builder, prepared, record)
    write_in_memory(builder, builder.prepare_timeline(EVENTS[0]), record)
    for stream, payload, t0, t1, init in MEDIA[3:]:
        prepared = builder.prepare_media(stream, WEBM, payload, T0 + t0, T0 + t1, init=init)
        write_in_memory(builder, prepared, record)
    write_in_memory(builder, builder.prepare_timeline(EVENTS[1]), record)
    sealed = builder.seal(
        sealed_at_us=T0 + 5_000_000, end_us=T0 + 4_500_000, summary={"outcome": "completed"}
    )
    record.seal(sealed)
    return record, sealed.manifest


def reseal(record: MemoryRecord, signer: Signer) -> None:
    """Rebuild journal, manifest and signature from the chunk files as they are now: what someone
    holding the server's signing key (but no data key) could do after altering chunks."""
    header_bytes = record.header_file
    assert header_bytes is not None
    running = genesis(record.record_id, header_bytes)
    entries, journal = [], b""
    for index in sorted(record.chunks):
        data = record.chunks[index]
        digest = sha256(data)
        running = link(running, index, digest)
        journal += journal_entry(signer, record.record_id, index, digest, running).encode()
        entries.append(ChunkEntry.of(parse_chunk(data).header, len(data), digest))
    sealed = seal_manifest(
        header=RecordHeader.parse(header_bytes),
        header_bytes=header_bytes,
        entries=entries,
        chain_head=running,
        signer=signer,
        sealed_at_us=T0 + 9_000_000,
        end_us=None,
        summary={},
        recovery_reason=None,
    )
    record.journal_file = journal
    record.seal(sealed)


def copy(record: MemoryRecord) -> MemoryRecord:
    return dataclasses.replace(record, chunks=dict(record.chunks), strays=list(record.strays))


# --- round trip -----------------------------------------------------------------------------------------


def test_a_sealed_record_verifies_and_decrypts_to_exactly_what_was_written(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])

    report = verify_record(record, trusted_for(signer))
    assert report.intact, report.problems
    assert report.chunks_checked == len(MEDIA) + len(EVENTS)

    with open_record(record, trusted_for(signer), auditor_key) as reader:
        customer = [payload for _, payload in reader.media("customer")]
        teller = [payload for _, payload in reader.media("teller")]
        events = reader.timeline()
    assert customer == [p for s, p, *_ in MEDIA if s == "customer"]
    assert teller == [p for s, p, *_ in MEDIA if s == "teller"]
    assert events == [e for batch in EVENTS for e in batch]


def test_the_manifest_holds_session_chunk_list_chain_head_time_range_and_retention(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, manifest = build_record(signer, [auditor_key])

    assert manifest.record_id == "sess-1"
    assert manifest.session == session()
    assert dict(manifest.summary) == {"outcome": "completed"}
    assert [c.index for c in manifest.chunks] == list(range(len(MEDIA) + len(EVENTS)))
    assert manifest.streams == {"customer": WEBM, "teller": WEBM}
    assert [c.init for c in manifest.chunks if c.stream == "customer"] == [True, False, False]
    assert (manifest.start_us, manifest.end_us) == (T0, T0 + 4_500_000)
    assert manifest.retention == RETENTION
    assert manifest.retain_until_us == RetentionPeriod(years=5).until(T0 + 4_500_000)
    assert manifest.recovered is False and manifest.recovery_reason is None
    assert manifest.signing_key_id == signer.key_id
    assert manifest.auditors == (("audit1", AuditorKey("audit1", auditor_key.public_key()).key_id),)
    assert Manifest.parse(record.manifest_file or b"") == manifest


def test_a_record_wrapped_to_two_auditors_opens_with_either_key(
    signer: Signer, auditor_key: rsa.RSAPrivateKey, second_auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key, second_auditor_key])

    for key in (auditor_key, second_auditor_key):
        with open_record(record, trusted_for(signer), key) as reader:
            assert reader.timeline() == [e for batch in EVENTS for e in batch]


# --- keys -----------------------------------------------------------------------------------------------


def test_a_key_the_record_was_not_wrapped_to_is_refused_naming_who_can_open_it(
    signer: Signer, auditor_key: rsa.RSAPrivateKey, second_auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])

    with pytest.raises(
        WrongKeyError, match=r"cannot open the record; it is wrapped to audit1 \(key [0-9a-f]{16}\)"
    ):
        open_record(record, trusted_for(signer), second_auditor_key)


def test_an_altered_wrapped_key_is_caught_before_anyone_tries_to_unwrap_it(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])
    header = json.loads(record.header_file or b"")
    wrapped = bytearray(base64.b64decode(header["key_wraps"][0]["wrapped"]))
    wrapped[10] ^= 0x01
    header["key_wraps"][0]["wrapped"] = base64.b64encode(bytes(wrapped)).decode()
    record.header_file = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()

    with pytest.raises(RecordIntegrityError, match="header was altered"):
        open_record(record, trusted_for(signer), auditor_key)


def test_a_record_cannot_be_opened_without_any_auditor_key(signer: Signer) -> None:
    with pytest.raises(KeyStoreError, match="no auditor key"):
        open_builder(signer, [])


def test_the_data_key_is_erased_at_seal_and_nothing_more_can_be_encrypted(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    builder = open_builder(signer, [auditor_key])
    key_buffer = builder._key  # the one long-lived copy of the key
    assert any(key_buffer)

    builder.seal(sealed_at_us=T0 + 1)

    assert builder.key_erased
    assert key_buffer == bytearray(32)
    with pytest.raises(RecordStateError, match="sealed"):
        builder.prepare_media("customer", WEBM, b"late", T0, T0)


def test_identical_fragments_encrypt_differently_within_and_across_records(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    first, second = open_builder(signer, [auditor_key], "a"), open_builder(signer, [auditor_key], "b")
    a0 = first.prepare_media("customer", WEBM, b"same bytes", T0, T0)
    first.commit(a0)
    a1 = first.prepare_media("customer", WEBM, b"same bytes", T0, T0)
    b0 = second.prepare_media("customer", WEBM, b"same bytes", T0, T0)

    ciphertexts = {parse_chunk(c.data).ciphertext for c in (a0, a1, b0)}
    assert len(ciphertexts) == 3
    assert nonce_for(0) != nonce_for(1) and len(nonce_for(1)) == 12


# --- tampering: every byte of every file ----------------------------------------------------------------


def _flips(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    for position in range(len(data)):
        for mask in (0x01, 0x20):  # lowest bit, and ASCII case (hex digits, JSON keys)
            altered = bytearray(data)
            altered[position] ^= mask
            out.append((position, bytes(altered)))
    return out


FILES: dict[str, Callable[[MemoryRecord], bytes]] = {
    "header": lambda r: r.header_file or b"",
    "journal": lambda r: r.journal_file,
    "manifest": lambda r: r.manifest_file or b"",
    "signature": lambda r: r.signature_file or b"",
    **{f"chunk {i}": (lambda r, i=i: r.chunks[i]) for i in range(len(MEDIA) + len(EVENTS))},  # type: ignore[misc]
}


def _replace(record: MemoryRecord, name: str, data: bytes) -> MemoryRecord:
    altered = copy(record)
    if name.startswith("chunk "):
        altered.chunks[int(name.split()[1])] = data
    else:
        setattr(altered, f"{name}_file", data)
    return altered


@pytest.mark.parametrize("name", list(FILES))
def test_flipping_any_byte_of_any_file_is_detected_without_a_key(
    name: str, signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])
    trusted = trusted_for(signer)

    undetected = [
        position
        for position, altered in _flips(FILES[name](record))
        if verify_record(_replace(record, name, altered), trusted).intact
    ]

    assert undetected == []


def test_flipped_chunk_bytes_are_never_returned_by_the_reader(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])
    altered = bytearray(record.chunks[1])
    altered[-TAG_BYTES - 3] ^= 0x01
    record.chunks[1] = bytes(altered)

    with pytest.raises(RecordIntegrityError, match="chunk 1 was altered") as caught:
        open_record(record, trusted_for(signer), auditor_key)
    assert "chunk 1 was altered (its hash differs from the manifest's)" in caught.value.problems


# --- tampering: structure ---------------------------------------------------------------------------------


def test_a_truncated_chunk_is_detected(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    record, _ = build_record(signer, [auditor_key])
    record.chunks[4] = record.chunks[4][:-10]

    report = verify_record(record, trusted_for(signer))

    assert not report.intact
    assert any("truncated" in p for p in report.problems)


def test_a_padded_chunk_is_detected(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    record, _ = build_record(signer, [auditor_key])
    record.chunks[4] += b"\x00"

    with pytest.raises(RecordIntegrityError, match="bytes after its ciphertext"):
        parse_chunk(record.chunks[4])
    assert not verify_record(record, trusted_for(signer)).intact


def test_swapped_chunks_are_detected(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    record, _ = build_record(signer, [auditor_key])
    record.chunks[1], record.chunks[4] = record.chunks[4], record.chunks[1]

    report = verify_record(record, trusted_for(signer))

    assert not report.intact
    assert {"chunk 1 was altered (its hash differs from the manifest's)"} <= set(report.problems)
    assert any("chunk 4" in p for p in report.problems)


def test_a_removed_last_chunk_is_detected_even_with_its_journal_entry_removed(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, manifest = build_record(signer, [auditor_key])
    last = len(manifest.chunks) - 1
    del record.chunks[last]
    record.journal_file = record.journal_file[:-ENTRY_BYTES]

    problems = verify_record(record, trusted_for(signer)).problems

    assert f"chunk {last} is missing" in problems


def test_an_added_chunk_file_is_detected(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    record, manifest = build_record(signer, [auditor_key])
    record.chunks[len(manifest.chunks)] = record.chunks[1]

    problems = verify_record(record, trusted_for(signer)).problems

    assert any("not in the manifest" in p for p in problems)


def test_a_stray_file_in_the_record_is_reported(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    record, _ = build_record(signer, [auditor_key])
    record.strays.append("chunks/notes.txt")

    assert (
        "unexpected file 'chunks/notes.txt' in the record"
        in verify_record(record, trusted_for(signer)).problems
    )


def test_a_manifest_re_signed_with_a_key_the_server_never_had_is_rejected(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])
    forger = Signer(Ed25519PrivateKey.generate())
    reseal(record, forger)

    report = verify_record(record, trusted_for(signer))

    assert not report.intact
    assert any("signed by an unknown key" in p for p in report.problems)


def test_another_records_signature_does_not_fit(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    record, _ = build_record(signer, [auditor_key], "sess-1")
    other, _ = build_record(signer, [auditor_key], "sess-2")
    record.signature_file = other.signature_file

    problems = verify_record(record, trusted_for(signer)).problems

    assert problems == ("the manifest signature is invalid (manifest or signature altered)",)


def test_a_whole_record_copied_under_another_id_is_detected(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key], "sess-1")
    moved = dataclasses.replace(copy(record), record_id="sess-9")

    assert (
        "the manifest belongs to record 'sess-1', not this one"
        in verify_record(moved, trusted_for(signer)).problems
    )


def test_an_unsealed_record_is_not_intact(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    builder = open_builder(signer, [auditor_key])
    record = start_in_memory(builder)
    write_in_memory(builder, builder.prepare_timeline(EVENTS[0]), record)

    report = verify_record(record, trusted_for(signer))

    assert not report.sealed and not report.intact
    with pytest.raises(RecordIntegrityError, match="not sealed"):
        report.raise_for_problems()


# --- with a stolen signing key, the data key still protects content ----------------------------------------


def test_altered_media_re_signed_with_the_servers_key_still_fails_its_tag(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])
    altered = bytearray(record.chunks[1])
    altered[-TAG_BYTES - 1] ^= 0x01
    record.chunks[1] = bytes(altered)
    reseal(record, signer)

    assert verify_record(record, trusted_for(signer)).intact  # signature and chain alone cannot tell
    with (
        open_record(record, trusted_for(signer), auditor_key) as reader,
        pytest.raises(RecordIntegrityError, match="chunk 1 fails its authentication tag"),
    ):
        list(reader.media("customer"))


def test_a_chunk_moved_to_another_record_fails_authentication(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    target, _ = build_record(signer, [auditor_key], "sess-1")
    donor, _ = build_record(signer, [auditor_key], "sess-2")
    target.chunks[1] = donor.chunks[1]
    reseal(target, signer)

    with (
        open_record(target, trusted_for(signer), auditor_key) as reader,
        pytest.raises(RecordIntegrityError, match="chunk 1 fails its authentication tag"),
    ):
        list(reader.media("customer"))


@pytest.mark.parametrize(
    "relabel",
    [
        {"stream": "teller"},
        {"t0_us": T0 + 1, "t1_us": T0 + 2_000_000},
        {"init": True},
    ],
    ids=["stream", "time", "init-flag"],
)
def test_a_relabelled_chunk_header_fails_authentication(
    relabel: dict[str, object], signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    record, _ = build_record(signer, [auditor_key])
    parsed = parse_chunk(record.chunks[1])
    header = dataclasses.replace(parsed.header, **relabel)  # type: ignore[arg-type]
    record.chunks[1] = header.encode(len(parsed.ciphertext)) + parsed.ciphertext
    reseal(record, signer)

    with open_record(record, trusted_for(signer), auditor_key) as reader:
        entry = reader.manifest.chunks[1]
        with pytest.raises(RecordIntegrityError, match="chunk 1 fails its authentication tag"):
            reader.decrypt(entry)


def test_swapped_chunks_re_signed_fail_authentication(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    record, _ = build_record(signer, [auditor_key])
    one, four = parse_chunk(record.chunks[1]), parse_chunk(record.chunks[4])
    # Keep each position's index in the header, swap the encrypted payloads (what reordering means).
    record.chunks[1] = (
        dataclasses.replace(four.header, index=1).encode(len(four.ciphertext)) + four.ciphertext
    )
    record.chunks[4] = dataclasses.replace(one.header, index=4).encode(len(one.ciphertext)) + one.ciphertext
    reseal(record, signer)

    with open_record(record, trusted_for(signer), auditor_key) as reader:
        for position in (1, 4):
            with pytest.raises(RecordIntegrityError, match=f"chunk {position} fails its authentication tag"):
                reader.decrypt(reader.manifest.chunks[position])


# --- input validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "payload", "t0", "t1", "message"),
    [
        ("timeline", b"x", T0, T0, "reserved"),
        ("Customer", b"x", T0, T0, "stream name"),
        ("", b"x", T0, T0, "stream name"),
        ("customer", b"x", T0 + 1, T0, "t0 <= t1"),
        ("customer", b"x", -1, T0, "t0 <= t1"),
    ],
)
def test_invalid_media_arguments_are_refused_before_anything_is_encrypted(
    stream: str,
    payload: bytes,
    t0: int,
    t1: int,
    message: str,
    signer: Signer,
    auditor_key: rsa.RSAPrivateKey,
) -> None:
    builder = open_builder(signer, [auditor_key])

    with pytest.raises(RecordInputError, match=message):
        builder.prepare_media(stream, WEBM, payload, t0, t1)
    assert builder.prepare_media("customer", WEBM, b"ok", T0, T0).index == 0  # nothing was spent


def test_an_empty_timeline_batch_is_refused(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(RecordInputError, match="at least one event"):
        open_builder(signer, [auditor_key]).prepare_timeline([])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": {"x": float("nan")}}, "JSON"),
        ({"kind": ""}, "event kind"),
        ({"at_us": -5}, "out of range"),
    ],
)
def test_timeline_events_must_be_storable(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"at_us": T0, "kind": "chat", "actor": "teller1", "data": {}} | kwargs
    with pytest.raises(RecordInputError, match=message):
        TimelineEvent(**fields)  # type: ignore[arg-type]


def test_session_metadata_is_validated() -> None:
    with pytest.raises(RecordInputError, match="record id"):
        SessionInfo(session_id="../etc", business="activation", started_at_us=T0)
    with pytest.raises(RecordInputError, match="labels"):
        SessionInfo(session_id="s", business="activation", started_at_us=T0, labels={"Bad Key": "x"})


def test_a_chunk_that_could_not_be_stored_stops_the_record_without_reusing_its_index(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    builder = open_builder(signer, [auditor_key])
    builder.commit(builder.prepare_media("customer", WEBM, b"one", T0, T0))
    lost = builder.prepare_media("customer", WEBM, b"two", T0, T0)

    builder.drop(lost)

    assert builder.broken
    with pytest.raises(RecordStateError, match="write error"):
        builder.prepare_media("customer", WEBM, b"three", T0, T0)
    sealed = builder.seal(sealed_at_us=T0 + 1)
    assert [c.index for c in sealed.manifest.chunks] == [0]
    assert sealed.manifest.recovered and sealed.manifest.recovery_reason == "write_error"


def test_chunk_layout_is_as_documented() -> None:
    header = ChunkHeader(
        index=7, chunk_type=ChunkType.MEDIA, stream="customer", content_type="video/webm", t0_us=5, t1_us=9
    )
    data = encrypt_chunk(AESGCM(bytes(32)), "sess-1", header, b"plain")

    assert data[:4] == b"VBRC" and data[4] == 1 and data[5] == 1 and data[6] == 0 and data[7] == 0
    assert int.from_bytes(data[8:16], "big") == 7
    assert int.from_bytes(data[16:24], "big") == 5 and int.from_bytes(data[24:32], "big") == 9
    assert data[32] == len("customer") and data[33:41] == b"customer"
    assert data[41] == len("video/webm") and data[42:52] == b"video/webm"
    assert int.from_bytes(data[52:56], "big") == len(b"plain") + TAG_BYTES == len(data) - 56
    assert parse_chunk(data).header == header


# --- unsealed records (what start-up recovery relies on) ---------------------------------------------------


def unsealed(
    signer: Signer, auditor_key: rsa.RSAPrivateKey, chunks: int
) -> tuple[RecordBuilder, MemoryRecord]:
    builder = open_builder(signer, [auditor_key])
    record = start_in_memory(builder)
    for n in range(chunks):
        write_in_memory(
            builder, builder.prepare_media("customer", WEBM, b"f%d" % n, T0 + n, T0 + n + 1), record
        )
    return builder, record


def test_scanning_an_unsealed_record_proves_every_journaled_chunk(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    builder, record = unsealed(signer, auditor_key, 3)

    scan = scan_unsealed(record, trusted_for(signer))

    assert scan is not None and scan.problems == ()
    assert scan.entries == builder.entries and scan.chain_head == builder.chain_head
    assert scan.discard_chunks == () and scan.torn_journal_bytes == 0


def test_a_crash_between_chunk_and_journal_or_inside_the_journal_loses_only_the_last_chunk(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    builder, record = unsealed(signer, auditor_key, 3)
    last = builder.prepare_media("customer", WEBM, b"never journaled", T0 + 9, T0 + 10)
    record.chunks[last.index] = last.data[: len(last.data) // 2]  # torn chunk write
    record.journal_file += last.journal[:50]  # torn journal write

    scan = scan_unsealed(record, trusted_for(signer))

    assert scan is not None and scan.problems == ()
    assert len(scan.entries) == 3
    assert scan.discard_chunks == (3,) and scan.torn_journal_bytes == 50


def test_a_chunk_altered_before_the_seal_is_caught_by_its_signed_journal_entry(
    signer: Signer, auditor_key: rsa.RSAPrivateKey
) -> None:
    _, record = unsealed(signer, auditor_key, 3)
    altered = bytearray(record.chunks[1])
    altered[-1] ^= 0x01
    record.chunks[1] = bytes(altered)

    scan = scan_unsealed(record, trusted_for(signer))

    assert scan is not None
    assert scan.problems == ("chunk 1 is altered since it was written",)


def test_a_forged_journal_entry_is_caught(signer: Signer, auditor_key: rsa.RSAPrivateKey) -> None:
    _, record = unsealed(signer, auditor_key, 2)
    forger = Signer(Ed25519PrivateKey.generate())
    forged = bytearray(record.journal_file)
    entry = journal_entry(
        forger, record.record_id, 1, forged[ENTRY_BYTES + 8 : ENTRY_BYTES + 40], b"\x00" * 32
    )
    forged[ENTRY_BYTES:] = entry.encode()
    record.journal_file = bytes(forged)

    scan = scan_unsealed(record, trusted_for(signer))

    assert scan is not None and scan.problems == ("chain journal entry 1 is not signed by the server",)
