"""Camera clips for Chromium's fake capture device: exact YUV4MPEG2 layout, motion, parsing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.y4m import FRAME_MARKER, Y4mError, read_y4m, write_y4m


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A tall synthetic photo with structure everywhere (so that motion shows)."""
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, size=(60, 40, 3), dtype=np.uint8)
    image = cv2.resize(noise, (400, 600), interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), image)
    return path


def test_clip_has_the_chromium_header_and_i420_frames(photo: Path, tmp_path: Path) -> None:
    clip = write_y4m(photo, tmp_path / "clip.y4m", seconds=0.2)
    data = clip.read_bytes()
    header = b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n"
    frame_size = 640 * 480 * 3 // 2
    assert data.startswith(header)
    assert len(data) == len(header) + 6 * (len(FRAME_MARKER) + frame_size)
    for index in range(6):
        offset = len(header) + index * (len(FRAME_MARKER) + frame_size)
        assert data[offset : offset + len(FRAME_MARKER)] == b"FRAME\n"


def test_clip_reads_back_with_its_parameters(photo: Path, tmp_path: Path) -> None:
    clip = read_y4m(write_y4m(photo, tmp_path / "clip.y4m", seconds=1, fps=10, width=64, height=48))
    assert (clip.header.width, clip.header.height, clip.header.fps) == (64, 48, 10)
    assert len(clip.frames) == 10
    assert clip.frame_bgr(0).shape == (48, 64, 3)


def test_consecutive_frames_differ_and_the_loop_closes_smoothly(photo: Path, tmp_path: Path) -> None:
    clip = read_y4m(write_y4m(photo, tmp_path / "clip.y4m", seconds=1, fps=10, width=160, height=120))
    frames = [clip.frame_bgr(i).astype(np.int16) for i in range(len(clip.frames))]
    steps = [np.abs(b - a).mean() for a, b in zip(frames, [*frames[1:], frames[0]], strict=True)]
    assert min(steps) > 1.0, f"some frames do not move: {steps}"
    # The jump from the last frame back to the first is no bigger than an ordinary step.
    assert steps[-1] <= 1.5 * max(steps[:-1])


def test_a_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("hello")
    with pytest.raises(Y4mError, match="cannot read an image"):
        write_y4m(not_an_image, tmp_path / "clip.y4m")


def test_odd_frame_sizes_are_refused(photo: Path, tmp_path: Path) -> None:
    with pytest.raises(Y4mError, match="even"):
        write_y4m(photo, tmp_path / "clip.y4m", width=641)


def test_reading_refuses_other_files_and_truncated_clips(photo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.y4m"
    other.write_bytes(b"RIFF....\n")
    with pytest.raises(Y4mError, match="not a YUV4MPEG2"):
        read_y4m(other)
    clip = write_y4m(photo, tmp_path / "clip.y4m", seconds=0.1, fps=20, width=64, height=48)
    truncated = tmp_path / "truncated.y4m"
    truncated.write_bytes(clip.read_bytes()[:-10])
    with pytest.raises(Y4mError, match="truncated"):
        read_y4m(truncated)
