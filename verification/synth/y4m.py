"""YUV4MPEG2 clips (Chromium's fake camera plays them: ``--use-file-for-fake-video-capture=clip.y4m``).

The format: one header line ``YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg``, then per frame ``FRAME\\n``
and the I420 planes (Y at full size, U and V at half width and height). Chromium loops the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import cv2
import numpy as np

from verification.synth.rig import Image

FRAME_MARKER = b"FRAME\n"


class Y4mWriter:
    """Writes BGR frames of one even size to a ``.y4m`` file."""

    def __init__(self, path: Path, width: int, height: int, fps: int = 30) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"frame size must be positive and even, got {width}x{height}")
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.path = path
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = path.open("wb")
        self._file.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())

    def write(self, frame: Image) -> None:
        """Append one BGR frame."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"expected a {self.width}x{self.height} BGR uint8 frame, got {frame.shape}")
        self._file.write(FRAME_MARKER)
        self._file.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
        self.frames += 1

    def close(self) -> None:
        """Finish the file."""
        self._file.close()

    def __enter__(self) -> Y4mWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def write_y4m(frames: Iterable[Image], path: Path, fps: int = 30) -> Path:
    """Write ``frames`` (BGR, all one even size) as a clip; returns ``path``."""
    writer: Y4mWriter | None = None
    try:
        for frame in frames:
            if writer is None:
                writer = Y4mWriter(path, frame.shape[1], frame.shape[0], fps)
            writer.write(frame)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValueError("a clip needs at least one frame")
    return path


def write_scenario(frame_at: Callable[[float], Image], seconds: float, path: Path, fps: int = 30) -> Path:
    """Write ``seconds`` of a synthetic camera (``scenario.frame``) as a clip."""
    count = max(1, round(seconds * fps))
    return write_y4m((frame_at(i / fps) for i in range(count)), path, fps)
