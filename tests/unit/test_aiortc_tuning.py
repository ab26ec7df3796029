"""The numpy audio level gives exactly aiortc's values, so swapping it in changes nothing but speed."""

from __future__ import annotations

import numpy as np
import pytest
from aiortc import rtp
from av import AudioFrame

from video_bank.media import aiortc_tuning
from video_bank.media.hub import MediaHub


def frame(samples: np.ndarray, layout: str) -> AudioFrame:
    audio = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout=layout)
    audio.sample_rate = 48000
    return audio


@pytest.mark.parametrize("layout", ["mono", "stereo"])
@pytest.mark.parametrize("amplitude", [0, 1, 3, 100, 3000, 20000, 32767])
def test_numpy_level_equals_aiortcs_for_every_loudness(layout: str, amplitude: int) -> None:
    rng = np.random.default_rng(amplitude)
    channels = 2 if layout == "stereo" else 1
    samples = rng.integers(-amplitude, amplitude + 1, 960 * channels).astype(np.int16)
    audio = frame(samples, layout)
    assert aiortc_tuning.audio_level_dbov(audio) == aiortc_tuning.original_audio_level_dbov(audio)


def test_full_scale_square_wave_is_zero_dbov_and_silence_is_minus_127() -> None:
    loud = frame(np.tile(np.array([32767, -32767], dtype=np.int16), 480), "mono")
    quiet = frame(np.zeros(960, dtype=np.int16), "mono")
    assert aiortc_tuning.audio_level_dbov(loud) == 0
    assert aiortc_tuning.audio_level_dbov(quiet) == -127


def test_the_hub_installs_the_fast_level_in_aiortcs_sender() -> None:
    MediaHub()
    assert rtp.compute_audio_level_dbov is aiortc_tuning.audio_level_dbov
