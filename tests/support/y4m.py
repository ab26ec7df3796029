"""Camera clips for Chromium's fake capture device, generated from a still photo.

Chromium plays a YUV4MPEG2 file as its camera with
``--use-fake-device-for-media-stream --use-file-for-fake-video-capture=clip.y4m`` and loops it.
``write_y4m`` turns a photo into such a clip: each frame is the photo, cover-fitted to the frame
(a tall portrait keeps its top part, where the face is), with a slow periodic zoom and drift so that
consecutive frames differ and the loop has no jump.
``read_y4m`` parses a clip back (for tests, and to compare what a browser shows with its source).

The clip format: one header line ``YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg``, then per frame
``FRAME\\n`` followed by the I420 planes (Y at full size, then U and V at half width and height).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

MAGIC = "YUV4MPEG2"
FRAME_MARKER = b"FRAME\n"

Image = npt.NDArray[np.uint8]


class Y4mError(ValueError):
    """A clip cannot be written from the given input, or a file is not a clip we understand."""


@dataclass(frozen=True, slots=True)
class Y4mHeader:
    """The stream parameters of a 4:2:0 progressive YUV4MPEG2 clip."""

    width: int
    """Frame width in pixels (even)."""
    height: int
    """Frame height in pixels (even)."""
    fps: int
    """Frames per second (the ``F`` parameter is written as ``fps:1``)."""

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise Y4mError(f"frame size must be positive and even, got {self.width}x{self.height}")
        if self.fps <= 0:
            raise Y4mError(f"fps must be positive, got {self.fps}")

    @property
    def frame_bytes(self) -> int:
        """Size of one frame's I420 planes."""
        return self.width * self.height * 3 // 2

    def encode(self) -> bytes:
        """The header line, newline included."""
        return f"{MAGIC} W{self.width} H{self.height} F{self.fps}:1 Ip A1:1 C420jpeg\n".encode()


@dataclass(frozen=True, slots=True)
class Y4mClip:
    """A parsed clip."""

    header: Y4mHeader
    """The stream parameters."""
    frames: list[bytes]
    """Each frame's I420 planes."""

    def frame_bgr(self, index: int) -> Image:
        """Frame ``index`` converted to an OpenCV BGR image."""
        h = self.header
        planes = np.frombuffer(self.frames[index], dtype=np.uint8).reshape(h.height * 3 // 2, h.width)
        return cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420)


def write_y4m(
    photo: Path,
    out: Path,
    *,
    seconds: float = 2.0,
    fps: int = 30,
    width: int = 640,
    height: int = 480,
    zoom: float = 0.03,
    drift_pixels: float = 6.0,
    anchor_y: float = 0.05,
) -> Path:
    """Write a clip of ``photo`` with gentle motion to ``out`` and return ``out``.

    ``zoom`` is the peak extra magnification and ``drift_pixels`` the peak horizontal shift (the
    vertical shift is half of it); both follow one period over the clip so that it loops smoothly.
    ``anchor_y`` places the visible window within the part of the photo that does not fit
    vertically: 0 keeps the top, 0.5 the middle.
    """
    header = Y4mHeader(width, height, fps)
    count = round(seconds * fps)
    if count < 2:
        raise Y4mError(f"a clip needs at least 2 frames, got {seconds} s at {fps} fps")
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    if image is None:
        raise Y4mError(f"cannot read an image from {photo}")

    # Cover-fit with a margin, so that zoom and drift never reveal the border.
    photo_h, photo_w = image.shape[:2]
    margin = 1.0 + 2.0 * drift_pixels / min(width, height)
    base_scale = max(width / photo_w, height / photo_h) * margin
    window_h = height / base_scale
    focus = (photo_w / 2.0, (photo_h - window_h) * anchor_y + window_h / 2.0)

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        f.write(header.encode())
        for index in range(count):
            phase = 2.0 * math.pi * index / count
            scale = base_scale * (1.0 + zoom * (1.0 - math.cos(phase)) / 2.0)
            centre = (
                width / 2.0 + drift_pixels * math.sin(phase),
                height / 2.0 + drift_pixels / 2.0 * math.sin(2.0 * phase),
            )
            frame = _place(image, scale, focus, centre, (width, height))
            f.write(FRAME_MARKER)
            f.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return out


def _place(
    image: Image,
    scale: float,
    focus: tuple[float, float],
    centre: tuple[float, float],
    size: tuple[int, int],
) -> Image:
    """Scale ``image`` by ``scale`` onto a frame of ``size``, with its point ``focus`` at ``centre``."""
    matrix = np.array(
        [
            [scale, 0.0, centre[0] - scale * focus[0]],
            [0.0, scale, centre[1] - scale * focus[1]],
        ]
    )
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)


def read_y4m(path: Path) -> Y4mClip:
    """Parse a clip written by ``write_y4m`` (or any 4:2:0 progressive clip with an integer rate)."""
    data = path.read_bytes()
    line_end = data.find(b"\n")
    if line_end < 0:
        raise Y4mError(f"{path}: no header line")
    header = _parse_header(data[:line_end].decode("ascii", errors="replace"), path)
    frames: list[bytes] = []
    offset = line_end + 1
    while offset < len(data):
        marker_end = data.find(b"\n", offset)
        if marker_end < 0 or not data[offset:marker_end].startswith(b"FRAME"):
            raise Y4mError(f"{path}: expected FRAME at byte {offset}")
        start = marker_end + 1
        end = start + header.frame_bytes
        if end > len(data):
            raise Y4mError(f"{path}: frame {len(frames)} is truncated")
        frames.append(data[start:end])
        offset = end
    return Y4mClip(header, frames)


def _parse_header(line: str, path: Path) -> Y4mHeader:
    magic, *params = line.split(" ")
    if magic != MAGIC:
        raise Y4mError(f"{path}: not a YUV4MPEG2 file")
    fields = {p[0]: p[1:] for p in params if p}
    if fields.get("I", "p") != "p":
        raise Y4mError(f"{path}: only progressive clips are supported")
    if not fields.get("C", "420").startswith("420"):
        raise Y4mError(f"{path}: only 4:2:0 clips are supported, got C{fields['C']}")
    try:
        numerator, denominator = (int(x) for x in fields["F"].split(":"))
        width, height = int(fields["W"]), int(fields["H"])
    except (KeyError, ValueError) as exc:
        raise Y4mError(f"{path}: bad or missing W, H or F in {line!r}") from exc
    if denominator != 1:
        raise Y4mError(f"{path}: only integer frame rates are supported, got F{fields['F']}")
    return Y4mHeader(width, height, numerator)
