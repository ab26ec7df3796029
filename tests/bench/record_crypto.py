"""Record encryption throughput against raw AES-256-GCM on this machine.

    .venv/bin/python tests/bench/record_crypto.py [--fragment-kib 256] [--megabytes 256]

(a) raw: ``AESGCM.encrypt`` of fragment-sized buffers, nothing else.
(b) record format: ``RecordBuilder.prepare_media`` + ``commit`` — AES-256-GCM with the chunk header
    as associated data, SHA-256 of the chunk file, the chain link and the Ed25519-signed journal
    entry; pure CPU, no I/O.
(c) record writer: ``RecordWriter.append_media`` awaited chunk by chunk into a local store in a
    temporary directory — (b) plus the chunk file, its fsync, the directory fsync and the journal
    fdatasync, on the writer's thread. Disk-bound: compare chunks/s with what sessions need.
(d) verification without a key (hashes, chain, signatures) and decryption by an auditor (hashes + tags).

CPU figures are process CPU time (all threads), so they do not depend on other load on the machine;
wall-clock MB/s for (c) does. Prints MB/s (10^6 bytes) per row and the ratios to (a).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from video_bank.records import Recorder, SessionInfo  # noqa: E402
from video_bank.records.builder import RecordBuilder  # noqa: E402
from video_bank.records.keyring import KeyRing  # noqa: E402
from video_bank.records.keywrap import AuditorKey, generate_auditor_key  # noqa: E402
from video_bank.records.memory import start_in_memory, write_in_memory  # noqa: E402
from video_bank.records.model import Retention  # noqa: E402
from video_bank.records.reader import open_record  # noqa: E402
from video_bank.records.retention import RetentionPeriod  # noqa: E402
from video_bank.records.signing import Signer  # noqa: E402
from video_bank.records.verify import verify_record  # noqa: E402

WEBM = 'video/webm; codecs="vp8, opus"'
SESSION_BYTES_PER_SECOND = 2 * (1_500_000 + 32_000) / 8
"""A recorded 1:1 session: two legs of ~1.5 Mbit/s video plus 32 kbit/s audio."""


def cpu_timed(fn: Callable[[], int]) -> tuple[float, int]:
    """(CPU seconds of this process, bytes processed) for one call of ``fn``."""
    start = time.process_time()
    processed = fn()
    return time.process_time() - start, processed


def raw_gcm(fragments: list[bytes]) -> int:
    aead = AESGCM(os.urandom(32))
    for n, fragment in enumerate(fragments):
        aead.encrypt(n.to_bytes(12, "big"), fragment, b"associated data of a similar size ...........")
    return sum(map(len, fragments))


def builder_for(signer: Signer, auditor: AuditorKey, record_id: str) -> RecordBuilder:
    return RecordBuilder.open(
        SessionInfo.of(record_id, "activation", time.time()),
        opened_at_us=int(time.time() * 1e6),
        retention=Retention("standard", RetentionPeriod(years=5)),
        auditors=[auditor],
        signer=signer,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fragment-kib", type=int, default=256, help="fragment size (default 256 KiB ≈ 1 s)")
    parser.add_argument("--megabytes", type=int, default=256, help="data per measurement (default 256)")
    args = parser.parse_args()
    size = args.fragment_kib * 1024
    count = max(4, args.megabytes * 1_000_000 // size)
    fragments = [os.urandom(size) for _ in range(min(count, 16))]
    fragments = [fragments[n % len(fragments)] for n in range(count)]
    signer = Signer(Ed25519PrivateKey.generate())
    private_key = generate_auditor_key()
    auditor = AuditorKey("bench", private_key.public_key())

    rows: list[tuple[str, float, int, str]] = []

    cpu, processed = cpu_timed(lambda: raw_gcm(fragments))
    rows.append(("(a) raw AES-256-GCM", cpu, processed, "CPU"))

    builder = builder_for(signer, auditor, "bench-pure")
    memory = start_in_memory(builder)

    def record_format() -> int:
        for n, fragment in enumerate(fragments):
            write_in_memory(builder, builder.prepare_media("customer", WEBM, fragment, n, n + 1), memory)
        return sum(map(len, fragments))

    cpu, processed = cpu_timed(record_format)
    rows.append(("(b) record format (GCM+SHA-256+chain+Ed25519)", cpu, processed, "CPU"))
    memory.seal(builder.seal(sealed_at_us=int(time.time() * 1e6)))

    with tempfile.TemporaryDirectory(prefix="record-bench-") as tmp:
        data_dir = Path(tmp)
        KeyRing(data_dir / "keys").add_auditor("bench", private_key.public_key())
        disk_count = min(count, 200)

        async def write() -> tuple[float, float]:
            writer = await Recorder.local(data_dir).open(
                SessionInfo.of("bench-disk", "activation", time.time())
            )
            wall, cpu = time.perf_counter(), time.process_time()
            for n, fragment in enumerate(fragments[:disk_count]):
                await writer.append_media("customer", fragment, n, n + 1, content_type=WEBM)
            result = time.perf_counter() - wall, time.process_time() - cpu
            await writer.seal()
            return result

        wall, cpu = asyncio.run(write())
        processed = disk_count * size
        rows.append(("(c) record writer, local store with fsyncs", cpu, processed, "CPU"))
        rows.append(
            (
                "(c) record writer, local store with fsyncs",
                wall,
                processed,
                f"wall, {disk_count / wall:.0f} chunks/s",
            )
        )

        trusted = {signer.key_id: signer.public_key}
        cpu, _ = cpu_timed(lambda: int(verify_record(memory, trusted).intact))
        rows.append(("(d) verify without key (hashes, chain, signatures)", cpu, count * size, "CPU"))

        def decrypt() -> int:
            with open_record(memory, trusted, private_key) as reader:
                return sum(len(p) for _, p in reader.media("customer"))

        cpu, processed = cpu_timed(decrypt)
        rows.append(("(d) verify + decrypt with auditor key", cpu, processed, "CPU"))

    raw_rate = rows[0][2] / rows[0][1]
    print(f"record crypto benchmark: {count} fragments of {args.fragment_kib} KiB")
    print(f"{'measurement':<52} {'MB/s':>9} {'ratio to (a)':>13}  basis")
    for name, seconds, processed, basis in rows:
        rate = processed / seconds
        print(f"{name:<52} {rate / 1e6:>9.0f} {rate / raw_rate:>13.2f}  {basis}")
    per_core = rows[1][2] / rows[1][1] / SESSION_BYTES_PER_SECOND
    print(
        f"a recorded 1:1 session writes ≈{SESSION_BYTES_PER_SECOND / 1e6:.2f} MB/s: the record format costs "
        f"≈{100 / per_core:.3f} % of a core per session (≈{per_core:,.0f} sessions per core)"
    )


if __name__ == "__main__":
    main()
