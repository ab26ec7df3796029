"""Verification cost benchmark: analysis CPU per session, verdict latency, and pool capacity.

    .venv/bin/python tests/bench/verification_cost.py [--attempts 3] [--sessions 1 2 4 6 8] [--seconds 12]

(a) Analysis cost per session at 15 fps, as a fraction of one core: synthetic genuine attempts driven
    by the real Attempt with the real DlibAnalyzer in this process; CPU of the analysis (thread time)
    divided by the seconds of video. The same sampled frames are also analysed naively — full-frame
    HOG at upsample 1 (``face_recognition.face_locations``' default) and 68 landmarks on every frame,
    plus the same keyframe embeddings — and the ratio is printed.
(b) Verdict latency after the last challenge: genuine attempts streamed in real time (30 fps) through a
    hub Subscription, VerificationRunner and an AnalysisPool of 2 workers; wall time from the arrival of
    the frame on which the last challenge was completed to the decision callback.
(c) Capacity: N sessions streaming 30 fps at once through one pool (2 workers); per session, frames
    analysed per second (the target is 15), frames dropped because analysis lagged, and the time from a
    frame's arrival to its analysis being fed (p95). A session is sustained while it keeps >= 14 fps.

All frames are synthetic. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402

from tests.support.faces import face_path  # noqa: E402
from verification.analysis import AnalysisRequest, DlibAnalyzer, FrameInput, Track  # noqa: E402
from verification.attempt import Attempt, ChallengeProgress, Decided, Output, Prompt  # noqa: E402
from verification.policy import VerificationPolicy  # noqa: E402
from verification.pool import AnalysisPool  # noqa: E402
from verification.runner import VerificationRunner  # noqa: E402
from verification.synth.catalog import Cast  # noqa: E402
from verification.synth.performer import Performer  # noqa: E402
from video_bank.media.fanout import Delivery, Fanout  # noqa: E402

FPS_IN = 30
IDENTITIES = ("obama", "biden", "collins")


def faces_dir() -> Path:
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg", "astronaut.png", "t1.jpg"):
        face_path(name)
    return face_path("obama.jpg").parent


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q / 100))]


# --- (a) cost per session ---------------------------------------------------------------------------------


def cost_per_session(cast: Cast, analyzer: DlibAnalyzer, attempts: int) -> None:
    import dlib  # type: ignore[import-untyped]
    import face_recognition_models as models  # type: ignore[import-untyped]

    detector = dlib.get_frontal_face_detector()
    landmarks68 = dlib.shape_predictor(models.pose_predictor_model_location())
    ours = naive = video = 0.0
    frames = keyframes = 0
    for n in range(attempts):
        identity = IDENTITIES[n % len(IDENTITIES)]
        performer = Performer(cast.rig(identity), 100 + n)
        policy = VerificationPolicy()
        attempt = Attempt(
            nonce="bench", policy=policy, rng=random.Random(n), reference=cast.reference(identity)
        )
        track: Track | None = None
        k = 0
        while attempt.decision is None:
            t = k / policy.sample_fps
            plan = attempt.plan(t)
            frame = FrameInput.from_bgr(performer.frame(t), color=plan.encode)
            analysis = analyzer.analyse(
                AnalysisRequest(
                    frame, track=track, detect=plan.detect, full_scan=plan.full_scan, encode=plan.encode
                )
            )
            ours += analysis.cost_seconds
            started = time.thread_time()
            rects = detector(frame.gray, 1)
            for rect in rects:
                landmarks68(frame.gray, rect)
            naive += time.thread_time() - started
            if analysis.embedding is not None:
                naive += analysis.cost_seconds  # the same embeddings, for a fair ratio
                keyframes += 1
            track = analysis.track
            for output in attempt.feed(t, analysis):
                if isinstance(output, Prompt):
                    performer.prompt(output.action, output.at)
            k += 1
        decision = attempt.decision
        frames += k
        video += decision.seconds
        print(f"  attempt {n + 1}: {decision.outcome.value}, {decision.seconds:.1f} s of video, {k} frames")
    print(
        f"(a) analysis cost at 15 fps: {ours / video:.3f} of one core per session "
        f"({1000 * ours / frames:.1f} ms per analysed frame, {keyframes} embeddings)"
    )
    print(
        f"    naive full-frame detection every frame: {naive / video:.3f} of one core; "
        f"ratio ours/naive = {ours / naive:.2f}"
    )


# --- (b) verdict latency ----------------------------------------------------------------------------------


class Customer:
    """A synthetic customer in real time: renders frames, obeys prompts, notes when things happened."""

    def __init__(self, performer: Performer, start: float) -> None:
        self.performer = performer
        self.start = start
        self.last_pass: float | None = None
        self.decided_at: float | None = None

    def on_output(self, output: Output) -> None:
        if isinstance(output, Prompt):
            self.performer.prompt(output.action, output.at - self.start)
        elif isinstance(output, ChallengeProgress) and output.status == "passed":
            self.last_pass = output.at  # arrival time of the frame that completed the challenge
        elif isinstance(output, Decided):
            self.decided_at = time.time()


async def verdict_latency(cast: Cast, pool: AnalysisPool, attempts: int) -> None:
    latencies: list[float] = []
    for n in range(attempts):
        identity = IDENTITIES[n % len(IDENTITIES)]
        reference = cast.reference(identity)
        attempt = Attempt(
            nonce="bench", policy=VerificationPolicy(), rng=random.Random(10 + n), reference=reference
        )
        subscription = Fanout("video").subscribe(maxsize=2)
        customer = Customer(Performer(cast.rig(identity), 200 + n), time.time())
        runner = VerificationRunner(attempt, subscription, pool, customer.on_output)
        task = asyncio.create_task(runner.run())
        k = 0
        while not task.done():
            await asyncio.sleep(max(0.0, customer.start + k / FPS_IN - time.time()))
            image = customer.performer.frame(k / FPS_IN)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
            subscription.push(Delivery(frame, time.time()))
            k += 1
        decision = await task
        if decision.outcome.value == "pass" and customer.decided_at and customer.last_pass:
            latency = customer.decided_at - customer.last_pass
            latencies.append(latency)
            print(
                f"  attempt {n + 1}: pass, verdict {1000 * latency:.0f} ms after the arrival of the frame "
                "that completed the last challenge"
            )
        else:
            reasons = [r.value for r in decision.reasons]
            print(f"  attempt {n + 1}: {decision.outcome.value} {reasons} (no latency)")
    if latencies:
        print(
            "(b) verdict latency after the last challenge: "
            f"p50 {1000 * statistics.median(latencies):.0f} ms, "
            f"max {1000 * max(latencies):.0f} ms over {len(latencies)} passes (goal <= 1000 ms)"
        )


# --- (c) capacity -----------------------------------------------------------------------------------------


def prerender(cast: Cast, seconds: float) -> list[av.VideoFrame]:
    performer = Performer(cast.rig("biden"), 7)
    return [
        av.VideoFrame.from_ndarray(performer.frame(k / FPS_IN), format="bgr24").reformat(format="yuv420p")
        for k in range(round(seconds * FPS_IN))
    ]


async def session(
    frames: list[av.VideoFrame],
    pool: AnalysisPool,
    seconds: float,
    offset: int,
    stats: dict[str, list[float]],
) -> None:
    subscription = Fanout("video").subscribe(maxsize=2)
    delays: list[float] = []
    analysed = dropped = 0
    start = time.time()
    stop = start + seconds

    def on_analysed(t: float, _analysis: object) -> None:
        delays.append(time.time() - t)

    runner: VerificationRunner | None = None
    task: asyncio.Task[object] | None = None
    k = 0
    while time.time() < stop:
        if task is None or task.done():
            if runner is not None:
                analysed += runner.stats.analysed
                dropped += runner.stats.dropped
            attempt = Attempt(
                nonce="bench", policy=VerificationPolicy(), rng=random.Random(k), reference=None
            )
            subscription = Fanout("video").subscribe(maxsize=2)
            runner = VerificationRunner(attempt, subscription, pool, lambda o: None, on_analysed=on_analysed)
            task = asyncio.create_task(runner.run())
        due = start + k / FPS_IN
        await asyncio.sleep(max(0.0, due - time.time()))
        subscription.push(Delivery(frames[(offset + k) % len(frames)], time.time()))
        k += 1
    subscription.end()
    if task is not None:
        await task
    if runner is not None:
        analysed += runner.stats.analysed
        dropped += runner.stats.dropped
    elapsed = time.time() - start
    stats["fps"].append(analysed / elapsed)
    stats["dropped"].append(dropped / max(1, analysed + dropped))
    stats["delay"].extend(delays)


async def capacity(cast: Cast, pool: AnalysisPool, counts: list[int], seconds: float) -> None:
    frames = prerender(cast, 20.0)
    print(
        f"(c) capacity of one pool ({pool.workers} workers), {seconds:.0f} s per step, "
        "30 fps in, 15 fps sampled:"
    )
    for n in counts:
        stats: dict[str, list[float]] = {"fps": [], "dropped": [], "delay": []}
        cpu_before = time.process_time()
        await asyncio.gather(*(session(frames, pool, seconds, 37 * i, stats) for i in range(n)))
        loop_cpu = (time.process_time() - cpu_before) / seconds
        worst = min(stats["fps"])
        mean = statistics.fmean(stats["fps"])
        dropped = 100 * statistics.fmean(stats["dropped"])
        delay = 1000 * percentile(stats["delay"], 95)
        print(
            f"  {n:>2} sessions: analysed fps per session min {worst:5.1f} mean {mean:5.1f}, "
            f"dropped {dropped:4.1f} %, arrival->fed p95 {delay:5.0f} ms, this process {loop_cpu:.2f} core"
            f"{'' if worst >= 14 else '  <- not sustained'}"
        )


async def main_async(args: argparse.Namespace, cast: Cast) -> None:
    pool = AnalysisPool(workers=2)
    await pool.start()
    try:
        if "b" in args.parts:
            await verdict_latency(cast, pool, args.attempts)
        if "c" in args.parts:
            await capacity(cast, pool, args.sessions, args.seconds)
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 6, 8])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--parts", default="abc", help="which parts to run, e.g. c")
    args = parser.parse_args()
    analyzer = DlibAnalyzer()
    cast = Cast(faces_dir(), analyzer)
    print("Verification cost on SYNTHETIC clips")
    if "a" in args.parts:
        cost_per_session(cast, analyzer, args.attempts)
    asyncio.run(main_async(args, cast))


if __name__ == "__main__":
    main()
