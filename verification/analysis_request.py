"""What the decision side asks of face analysis: one frame's planes and what to compute on them.

:class:`AnalysisRequest` (with its :class:`FrameInput`) crosses the process boundary to the analysis
workers, as :class:`~verification.frame_analysis.FrameAnalysis` crosses it back. Plain values (numpy
only): the runner that drives an attempt builds them without importing the dlib and OpenCV adapter,
:mod:`verification.analysis`. The two colour conversions below import OpenCV when called; the
decision side never calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from verification.frame_analysis import Track

Gray = npt.NDArray[np.uint8]
"""A single-channel 8-bit image (the luma plane of a frame)."""
Rgb = npt.NDArray[np.uint8]
"""An ``(H, W, 3)`` 8-bit RGB image."""


@dataclass(frozen=True, slots=True, eq=False)
class FrameInput:
    """One video frame as planes: always the luma, the chroma only when colour is needed."""

    gray: Gray
    """Luma plane ``(H, W)`` (the Y of I420); detection and landmarks use only this."""
    chroma: tuple[Gray, Gray] | None = None
    """U and V planes ``(H/2, W/2)``; needed to compute an embedding or keep a keyframe image."""

    def __post_init__(self) -> None:
        if self.gray.ndim != 2 or self.gray.dtype != np.uint8:
            raise ValueError("gray must be a 2-D uint8 array")
        h, w = self.gray.shape
        if h < 16 or w < 16 or h % 2 or w % 2:
            raise ValueError(f"frame size must be even and at least 16x16, got {w}x{h}")
        if self.chroma is not None:
            for plane in self.chroma:
                if plane.shape != (h // 2, w // 2) or plane.dtype != np.uint8:
                    raise ValueError("chroma planes must be uint8 arrays of half the frame size")

    @property
    def width(self) -> int:
        """Frame width in pixels."""
        return int(self.gray.shape[1])

    @property
    def height(self) -> int:
        """Frame height in pixels."""
        return int(self.gray.shape[0])

    @classmethod
    def from_bgr(cls, image: npt.NDArray[np.uint8], *, color: bool = True) -> FrameInput:
        """Planes of an OpenCV BGR image (through I420, as a decoded video frame would be).

        For the tools and tests that render frames; OpenCV is imported here, on use."""
        import cv2

        h, w = image.shape[:2]
        planes = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
        gray = np.ascontiguousarray(planes[:h])
        if not color:
            return cls(gray)
        chroma = planes[h:].reshape(2, h // 2, w // 2)
        return cls(gray, (np.ascontiguousarray(chroma[0]), np.ascontiguousarray(chroma[1])))

    def without_color(self) -> FrameInput:
        """The same frame with only the luma plane (cheaper to send to a worker)."""
        return self if self.chroma is None else FrameInput(self.gray)

    def rgb(self) -> Rgb:
        """The frame as RGB; raises ``ValueError`` when the chroma planes were not kept.

        For the analysis workers (embeddings, keyframe images); OpenCV is imported here, on use."""
        import cv2

        if self.chroma is None:
            raise ValueError("this frame carries no colour planes")
        h, w = self.gray.shape
        i420 = np.concatenate(
            [self.gray, self.chroma[0].reshape(h // 4, w), self.chroma[1].reshape(h // 4, w)]
        )
        return np.asarray(cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420), dtype=np.uint8)


@dataclass(frozen=True, slots=True, eq=False)
class AnalysisRequest:
    """One frame and what to compute on it."""

    frame: FrameInput
    """The frame's planes."""
    track: Track | None = None
    """The previous frame's track; ``None`` forces a full scan."""
    detect: bool = False
    """Run the detector in the region around the track (confirms a face is still there)."""
    full_scan: bool = False
    """Run the detector over the whole frame and count faces."""
    encode: bool = False
    """Compute the 128-d embedding and a JPEG of the frame (needs ``frame.chroma``)."""
    priority: int = 1
    """Order in the pool's queue when every worker is busy, lowest first: 0 while a prompt's window
    runs or the verdict waits, 1 during the baseline or before a prompt, 2 while looking for a face."""

    def __post_init__(self) -> None:
        if self.encode and self.frame.chroma is None:
            raise ValueError("an embedding needs the frame's colour planes")
