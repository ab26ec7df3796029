"""WebM fragments keep one time order across tracks inside each Cluster, as Chromium's MSE requires.

Chromium refuses a Cluster in which a block's timecode is before the previous block's, whatever its
track ("Got a block with a timecode before the previous block"). Two sources of disorder are
covered: the taps deliver audio and video separately (audio here comes in late bursts), and
libavformat shifts Opus blocks by the codec delay.
"""

from __future__ import annotations

from tests.unit.test_record_webm import ORIGIN, Frame, _encode, feed
from video_bank.records.webm import (
    _CLUSTER,
    _SIMPLE_BLOCK,
    _TIMECODE,
    WebmFragmenter,
    _children,
    _read_size,
)


def cluster_blocks(fragment: bytes) -> list[list[tuple[int, int]]]:
    """(track, absolute ms) of every block, per Cluster, in file order."""
    clusters = []
    for element, body in _children(fragment):
        assert element == _CLUSTER
        base, blocks = 0, []
        for child, content in _children(body):
            if child == _TIMECODE:
                base = int.from_bytes(content, "big")
            elif child == _SIMPLE_BLOCK:
                track = _read_size(content, 0)
                assert track is not None
                relative = int.from_bytes(content[track[1] : track[1] + 2], "big", signed=True)
                blocks.append((track[0] or 0, base + relative))
        clusters.append(blocks)
    return clusters


def late_audio(frames: list[Frame], burst: int = 10) -> list[Frame]:
    """Delivery order when audio reaches the recorder in bursts of ``burst`` packets, after the video."""
    video = [f for f in frames if f.kind == "video"]
    audio = [f for f in frames if f.kind == "audio"]
    out: list[Frame] = []
    for start in range(0, len(audio), burst):
        chunk = audio[start : start + burst]
        out += [v for v in video if v.arrival <= chunk[-1].arrival and v not in out]
        out += chunk
    return out + [v for v in video if v not in out]


def test_blocks_never_go_back_in_time_within_a_cluster_even_when_audio_comes_late() -> None:
    frames = _encode()
    fragments = feed(WebmFragmenter(ORIGIN), late_audio(frames))
    media = [f for f in fragments if not f.init]
    assert len(media) >= 2
    tracks_seen: set[int] = set()
    for fragment in media:
        for blocks in cluster_blocks(fragment.data):
            times = [t for _, t in blocks]
            assert times == sorted(times), blocks
            tracks_seen |= {track for track, _ in blocks}
    assert tracks_seen == {1, 2}
    total = sum(len(b) for f in media for b in cluster_blocks(f.data))
    assert total == len(frames)  # nothing dropped by reordering
