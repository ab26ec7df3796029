"""The asyncio runner between the hub's frame subscription and the attempt, with the real process pool.

No aiortc peer here: decoded frames (``av.VideoFrame``, yuv420p as the VP8 decoder gives them) are
pushed into a real hub :class:`~video_bank.media.fanout.Subscription` with server receive times. The
synthetic customer renders each frame after the runner has analysed the previous one (it waits for
the runner's ``on_analysed`` signal), so the run is deterministic whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import av
import numpy as np
import pytest

from tests.support.faces import face_path
from verification.analysis import AnalysisRequest, FrameAnalysis
from verification.attempt import Attempt, Decided, Output, Prompt
from verification.decision import Outcome
from verification.policy import VerificationPolicy
from verification.pool import AnalysisPool
from verification.reasons import Reason
from verification.runner import VerificationRunner, frame_input
from verification.synth.catalog import Cast
from verification.synth.performer import Performer
from verification.testing import face_measures, frame, shared_analyzer
from video_bank.media.fanout import Delivery, Fanout

UPLINK = 0.08


@pytest.fixture(scope="module")
def cast() -> Cast:
    for name in ("obama.jpg", "obama2.jpg"):
        face_path(name)
    return Cast(face_path("obama.jpg").parent, shared_analyzer())


@pytest.fixture
async def pool() -> AsyncIterator[AnalysisPool]:
    analysis = AnalysisPool(workers=1)
    await analysis.start()
    yield analysis
    analysis.close()


def video_frame(image: object) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")


async def test_a_live_customer_is_verified_from_hub_frames_with_the_real_pool(
    cast: Cast, pool: AnalysisPool
) -> None:
    performer = Performer(cast.rig("obama"), seed=3)
    attempt = Attempt(
        nonce="n-1", policy=VerificationPolicy(), rng=random.Random(5), reference=cast.reference("obama")
    )
    subscription = Fanout("video").subscribe(maxsize=2)
    analysed = asyncio.Event()
    outputs: list[Output] = []

    def on_output(output: Output) -> None:
        outputs.append(output)
        if isinstance(output, Prompt):
            performer.prompt(output.action, output.at)

    runner = VerificationRunner(
        attempt, subscription, pool, on_output, on_analysed=lambda t, a: analysed.set()
    )
    task = asyncio.create_task(runner.run())
    k = 0
    while not task.done() and k < 60 * 15:
        t = k / 15
        subscription.push(Delivery(video_frame(performer.frame(t)), t + UPLINK))
        waiter = asyncio.ensure_future(analysed.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        analysed.clear()
        k += 1
    decision = await task
    assert decision.outcome is Outcome.PASS, (decision.reasons, decision.challenges)
    prompts = [o for o in outputs if isinstance(o, Prompt)]
    assert [p.action for p in prompts] == list(decision.sequence)
    assert next(o for o in outputs if isinstance(o, Decided)).decision is decision
    assert (
        runner.stats.dropped == 0 and runner.stats.analysed >= k - 1
    )  # the last push may come after the verdict
    assert runner.stats.analysis_seconds > 0
    assert all(kf.jpeg and kf.jpeg.startswith(b"\xff\xd8") for kf in decision.keyframes)
    assert decision.scores.match is not None and decision.scores.match.median <= 0.40


class SlowAnalyser:
    """Answers only when released, to show what the runner does while analysis lags."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
        self.started.set()
        await self.release.wait()
        self.release.clear()
        return frame(face_measures())


class Source:
    """Frames the test puts in; ``drained`` is set whenever the runner asks for more than there is."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Delivery | None] = asyncio.Queue()
        self.drained = asyncio.Event()

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Delivery]:
        while True:
            if self.queue.empty():
                self.drained.set()
            item = await self.queue.get()
            if item is None:
                return
            yield item


def grey_frame() -> av.VideoFrame:
    return video_frame(np.full((480, 640, 3), 90, np.uint8))


async def test_frames_arriving_while_analysis_lags_are_dropped_except_the_newest() -> None:
    attempt = Attempt(nonce="n", policy=VerificationPolicy(), rng=random.Random(1), reference=None)
    analyser = SlowAnalyser()
    source = Source()
    fed: list[float] = []
    runner = VerificationRunner(
        attempt, source, analyser, lambda o: None, on_analysed=lambda t, a: fed.append(t)
    )
    task = asyncio.create_task(runner.run())
    image = grey_frame()
    source.queue.put_nowait(Delivery(image, 0.0))
    await analyser.started.wait()
    analyser.started.clear()
    source.drained.clear()
    for k in range(1, 6):  # five more frames at 15 fps while the first is still being analysed
        source.queue.put_nowait(Delivery(image, k / 15))
    await source.drained.wait()
    analyser.release.set()  # the first analysis ends; the newest waiting frame goes next
    await analyser.started.wait()
    analyser.release.set()
    source.queue.put_nowait(None)  # the stream ends
    decision = await task
    assert fed == [0.0, 5 / 15]
    assert runner.stats.dropped == 4
    assert decision.reasons[0] is Reason.ABORTED  # the stream ended before a decision


async def test_frames_beyond_the_sampling_rate_are_skipped_and_the_end_of_the_stream_aborts() -> None:
    attempt = Attempt(nonce="n", policy=VerificationPolicy(), rng=random.Random(1), reference=None)

    class Instant:
        async def analyse(self, request: AnalysisRequest) -> FrameAnalysis:
            return frame(face_measures())

    subscription = Fanout("video").subscribe(maxsize=100)
    image = grey_frame()
    for k in range(30):  # one second at 30 fps
        subscription.push(Delivery(image, k / 30))
    subscription.end()
    runner = VerificationRunner(attempt, subscription, Instant(), lambda o: None)
    decision = await runner.run()
    assert runner.stats.received == 30
    assert runner.stats.analysed == 15 and runner.stats.skipped == 15
    assert decision.outcome is Outcome.FAIL and decision.reasons[0] is Reason.ABORTED


def test_decoded_frames_are_split_into_planes_without_conversion() -> None:
    image = np.zeros((480, 640, 3), np.uint8)
    image[:, 320:] = 255
    planes = frame_input(video_frame(image), color=True)
    assert planes.gray.shape == (480, 640) and planes.chroma is not None
    assert planes.gray[:, :300].mean() < 30 and planes.gray[:, 340:].mean() > 220
    assert frame_input(video_frame(image), color=False).chroma is None
    odd = av.VideoFrame.from_ndarray(np.zeros((241, 321, 3), np.uint8), format="bgr24")
    assert frame_input(odd, color=True).gray.shape == (240, 320)
