"""Evaluation harness: APCER per attack species and BPCER on synthetic clips, with the real pipeline.

    python -m verification.evaluate [--attempts 300] [--workers 2] [--fps 15 8 5 3] [--faces-dir DIR]
                                    [--json FILE]

For every attempt the harness plays the server: it creates a real :class:`~verification.attempt.Attempt`
(random challenge sequence, random pauses), samples the synthetic camera at 15 frames per second,
analyses every frame with the real :class:`~verification.analysis.DlibAnalyzer` as the attempt plans
it, feeds the attempt, and passes each prompt to the synthetic customer, who reacts after a human
delay. Server time is capture time plus a random uplink delay.

``--fps`` caps the analysis rate, as a busy server does: frames reach the attempt at that rate (with
±15 % jitter below the policy's ``sample_fps``) while the attempt's policy is unchanged, so the figures
show how the decision degrades — BPCER and APCER per species at each rate.

Attack species are described in :mod:`verification.synth.attacks`. Recordings (replay, loop, static
injection) come from a pool of recorded clips per identity; a frame of such a clip analysed with the
same request (detector, scan, embedding, predicted face box) is analysed once per worker and reused —
the analysis is real, only not repeated. Interactive scenarios (genuine, face swap, printed photo,
screen replay) are analysed frame by frame.

APCER counts attacks *accepted* (outcome ``pass``); attacks sent to review are listed apart. BPCER
counts genuine attempts that *failed*; reviews are listed apart. Every figure is on synthetic clips.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from verification.analysis import AnalysisRequest, DlibAnalyzer, FrameAnalysis, FrameInput, Track
from verification.attempt import AnalysisPlan, Attempt, Prompt
from verification.challenges import Action, draw_sequence
from verification.decision import Decision
from verification.policy import VerificationPolicy
from verification.synth.attacks import (
    GenuineScenario,
    LoopAttack,
    PhotoAttack,
    RecordedClip,
    ReplayAttack,
    Scenario,
    ScreenReplay,
    StaticInjection,
    script_for,
)
from verification.synth.catalog import IDENTITIES, Cast, default_faces_dir
from verification.synth.performer import Performer

SPECIES = ("genuine", "photo", "replay", "static", "loop", "face_swap", "screen")
"""Genuine first, then the six attack species of issue 4."""
RECORDINGS_PER_IDENTITY = 12
"""Recorded clips per identity that replay, loop and static attacks draw from."""
MAX_SECONDS = 90.0
"""Safety stop for one simulated attempt (the attempt's own limit is lower)."""

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Spec:
    """One simulated attempt."""

    species: str
    """``genuine`` or an attack species."""
    index: int
    """Number within its species."""
    seed: int
    """Seed of everything random in this attempt."""
    identity: str
    """The customer claimed (whose reference is used)."""
    performer: str
    """Whose face is in front of the camera (another identity for face swap)."""
    clip: int = 0
    """Recording number for replay, loop and static attacks."""


@dataclass(slots=True)
class Result:
    """What happened in one simulated attempt."""

    species: str
    """``genuine`` or the attack species."""
    identity: str
    """The customer claimed."""
    performer: str
    """Whose face was in front of the camera."""
    outcome: str
    """``pass``, ``review`` or ``fail``."""
    reasons: list[str]
    """The decision's reasons, most important first."""
    seconds: float
    """Time to verdict (server time)."""
    match: float | None
    """Median keyframe distance to the reference, if computed."""
    frames: int
    """Frames sampled."""
    analysed: int
    """Frames analysed (the rest came from the clip cache)."""
    cost: float
    """Analysis CPU seconds of the analysed frames."""
    cost_by_kind: dict[str, list[float]] = field(default_factory=dict)
    """Analysis CPU seconds per frame, by kind (track, detect, scan, keyframe)."""
    tries: list[str] = field(default_factory=list)
    """``action:result/result`` per challenge reached."""
    fps: float = 15.0
    """The analysis rate the attempt was fed at."""
    paused: float = 0.0
    """Seconds the attempt spent paused for lack of analysed frames."""
    decision: Decision | None = field(default=None, repr=False)
    """The decision itself (dropped when results leave a worker process)."""

    def to_json(self) -> dict[str, Any]:
        """The result without the decision's images and embeddings."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "decision"}


# --- simulation ------------------------------------------------------------------------------------------


def _stable_seed(*parts: object) -> int:
    text = "/".join(str(p) for p in parts)
    value = 1469598103934665603
    for byte in text.encode():
        value = ((value ^ byte) * 1099511628211) % (1 << 63)
    return value


def _kind(plan: AnalysisPlan, track: Track | None) -> str:
    if plan.encode:
        return "keyframe"
    if plan.full_scan or track is None:
        return "scan"
    return "detect" if plan.detect else "track"


class Simulation:
    """Plays the server for simulated attempts, with the real analyser (one per process)."""

    def __init__(
        self,
        faces_dir: Path,
        policy: VerificationPolicy | None = None,
        analyzer: DlibAnalyzer | None = None,
        fps: float | None = None,
    ) -> None:
        self.policy = policy or VerificationPolicy()
        self.fps = fps or self.policy.sample_fps
        """Frames analysed per second (the cap of a busy server)."""
        self.analyzer = analyzer or DlibAnalyzer()
        self.cast = Cast(faces_dir, self.analyzer)
        self._clips: OrderedDict[tuple[str, int], RecordedClip] = OrderedDict()
        self._cache: OrderedDict[Any, FrameAnalysis] = OrderedDict()

    def recording(self, identity: str, number: int) -> RecordedClip:
        """Recorded clip ``number`` of ``identity`` (a genuine session answering its own prompts)."""
        key = (identity, number)
        if key not in self._clips:
            rng = np.random.default_rng(_stable_seed("recording", identity, number))
            sequence = draw_sequence(random.Random(int(rng.integers(1 << 31))))
            self._clips[key] = RecordedClip(
                self.cast.rig(identity),
                int(rng.integers(1 << 31)),
                script_for(sequence, rng),
                key=f"{identity}:{number}",
            )
            if len(self._clips) > 8:
                self._clips.popitem(last=False)
        return self._clips[key]

    def scenario(self, spec: Spec, asked: Sequence[Action]) -> Scenario:
        """The synthetic camera of ``spec``; recordings never perform the ``asked`` sequence."""
        rng = np.random.default_rng(_stable_seed("scenario", spec.species, spec.seed))
        if spec.species in ("genuine", "face_swap"):
            return GenuineScenario(Performer(self.cast.rig(spec.performer), spec.seed), spec.species)
        if spec.species == "photo":
            return PhotoAttack(self.cast.rig(spec.performer), spec.seed)
        if spec.species in ("replay", "screen"):
            # A recording of the customer answering a *different* sequence (issue 4, species 2 and 6).
            for step in range(RECORDINGS_PER_IDENTITY):
                clip = self.recording(spec.performer, (spec.clip + step) % RECORDINGS_PER_IDENTITY)
                if clip.sequence != tuple(asked):
                    break
            if spec.species == "replay":
                return ReplayAttack(clip)
            return ScreenReplay(clip, self.cast.rig(spec.performer), spec.seed)
        clip = self.recording(spec.performer, spec.clip)
        if spec.species == "static":
            return StaticInjection(clip, int(rng.integers(0, 8 * 30)))
        if spec.species == "loop":
            return LoopAttack(clip, start=float(rng.uniform(0.5, 9.0)), length=float(rng.uniform(1.0, 3.0)))
        raise ValueError(f"unknown species {spec.species}")

    def _analyse(
        self, scenario: Scenario, t: float, plan: AnalysisPlan, track: Track | None
    ) -> tuple[FrameAnalysis, bool]:
        """The frame at capture time ``t`` analysed as planned; True when served from the cache."""
        source = scenario.source(t)
        key = None
        if source is not None:
            box = track.predicted_box(640, 480) if track is not None else None
            box_key = None if box is None else (box.left, box.top, box.right, box.bottom)
            key = (source, plan.detect, plan.full_scan, plan.encode, box_key)
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit, True
        frame = FrameInput.from_bgr(scenario.frame(t), color=plan.encode)
        request = AnalysisRequest(
            frame, track=track, detect=plan.detect, full_scan=plan.full_scan, encode=plan.encode
        )
        analysis = self.analyzer.analyse(request)
        if key is not None:
            self._cache[key] = analysis
            if len(self._cache) > 4000:
                self._cache.popitem(last=False)
        return analysis, False

    def run(
        self,
        spec: Spec,
        scenario_for: Callable[[tuple[Action, ...]], Scenario] | None = None,
        sequence: tuple[Action, ...] | None = None,
    ) -> Result:
        """Simulate one attempt; ``scenario_for`` (given the asked sequence) overrides the spec's camera,
        ``sequence`` the randomly drawn challenge sequence."""
        policy = self.policy
        rng = random.Random(spec.seed)
        attempt = Attempt(
            nonce=f"eval-{spec.seed}",
            policy=policy,
            rng=rng,
            reference=self.cast.reference(spec.identity),
            sequence=sequence,
        )
        scenario = scenario_for(attempt.sequence) if scenario_for else self.scenario(spec, attempt.sequence)
        uplink = rng.uniform(0.04, 0.15)
        step = 1.0 / self.fps
        jitter = 0.15 if self.fps < policy.sample_fps else 0.0
        pace = random.Random(spec.seed ^ 0x5A5A)
        track: Track | None = None
        costs: dict[str, list[float]] = defaultdict(list)
        frames = analysed = 0
        k = 0
        capture_t = 0.0
        server_t = uplink
        while attempt.decision is None and server_t < MAX_SECONDS:
            server_t = uplink + capture_t
            plan = attempt.plan(server_t)
            kind = _kind(plan, track)
            analysis, cached = self._analyse(scenario, capture_t, plan, track)
            frames += 1
            if not cached:
                analysed += 1
                costs[kind].append(analysis.cost_seconds)
            track = analysis.track
            for output in attempt.feed(server_t, analysis):
                if isinstance(output, Prompt):
                    scenario.prompt(output.action, output.at)
            k += 1
            capture_t = capture_t + step * (1.0 + pace.uniform(-jitter, jitter)) if jitter else k * step
        if attempt.decision is None:
            attempt.abort(server_t)
        decision = attempt.decision
        assert decision is not None
        return Result(
            species=spec.species,
            identity=spec.identity,
            performer=spec.performer,
            outcome=decision.outcome.value,
            reasons=[r.value for r in decision.reasons],
            seconds=decision.seconds,
            match=decision.scores.match.median if decision.scores.match else None,
            frames=frames,
            analysed=analysed,
            cost=sum(sum(v) for v in costs.values()),
            cost_by_kind=dict(costs),
            tries=[
                f"{c.action.value}:{'/'.join(t.result.value for t in c.tries)}" for c in decision.challenges
            ],
            fps=self.fps,
            paused=decision.scores.paused_seconds,
            decision=decision,
        )

    def photo_pairs(self) -> list[tuple[str, str, float]]:
        """Embedding distances between the fixture photos (no animation)."""
        cast = self.cast
        faces = {i.name: cast.face(i.reference) for i in IDENTITIES}
        other = cast.face(cast.by_name["obama"].source)
        pairs = [
            (
                "obama (obama.jpg)",
                "obama (obama2.jpg)",
                float(np.linalg.norm(other.embedding - faces["obama"].embedding)),
            )
        ]
        names = list(faces)
        for a_index, a in enumerate(names):
            for b in names[a_index + 1 :]:
                pairs.append((a, b, float(np.linalg.norm(faces[a].embedding - faces[b].embedding))))
        return pairs


_SIMULATION: Simulation | None = None
"""This worker process's simulation (set by the pool initializer)."""


def _init_worker(faces_dir: str, fps: float | None = None) -> None:
    global _SIMULATION
    _SIMULATION = Simulation(Path(faces_dir), fps=fps)


def _simulation() -> Simulation:
    assert _SIMULATION is not None, "worker used before its initializer"
    return _SIMULATION


def _run_chunk(specs: list[Spec], fps: float | None = None) -> list[Result]:
    simulation = _simulation()
    if fps is not None:
        simulation.fps = fps
    results = [simulation.run(spec) for spec in specs]
    for r in results:
        r.decision = None  # keyframe images and embeddings stay in the worker
    return results


def _photo_pairs() -> list[tuple[str, str, float]]:
    return _simulation().photo_pairs()


# --- main side ------------------------------------------------------------------------------------------


def make_specs(attempts: int, seed: int, species: Iterable[str] = SPECIES) -> list[Spec]:
    """``attempts`` specs per species, deterministic from ``seed``."""
    names = [i.name for i in IDENTITIES]
    specs = []
    for kind in species:
        for index in range(attempts):
            s = _stable_seed(seed, kind, index) % (1 << 31)
            identity = names[index % len(names)]
            performer = identity
            if kind == "face_swap":
                others = [n for n in names if n != identity]
                performer = others[(index // len(names)) % len(others)]
            clip = (index // len(names)) % RECORDINGS_PER_IDENTITY
            specs.append(Spec(kind, index, s, identity, performer, clip))
    return specs


def _chunks(specs: list[Spec], size: int) -> list[list[Spec]]:
    groups: dict[tuple[str, str, int], list[Spec]] = defaultdict(list)
    for spec in specs:
        groups[(spec.species, spec.performer, spec.clip)].append(spec)
    ordered = [s for group in groups.values() for s in group]
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(results: list[Result]) -> dict[str, Any]:
    """Figures per species (APCER/BPCER, reasons, times, costs)."""
    by_species: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_species[r.species].append(r)
    table: dict[str, Any] = {}
    for kind in SPECIES:
        rs = by_species.get(kind, [])
        if not rs:
            continue
        n = len(rs)
        outcomes = Counter(r.outcome for r in rs)
        reasons = Counter(r.reasons[0] if r.reasons else "-" for r in rs if r.outcome != "pass")
        times = [r.seconds for r in rs]
        table[kind] = {
            "attempts": n,
            "pass": outcomes["pass"],
            "review": outcomes["review"],
            "fail": outcomes["fail"],
            "busy": outcomes["busy"],
            "rate": (outcomes["fail"] if kind == "genuine" else outcomes["pass"]) / n,
            "first_reasons": dict(reasons.most_common()),
            "seconds_p50": _percentile(times, 50),
            "seconds_p95": _percentile(times, 95),
            "analysed_frames": sum(r.analysed for r in rs),
            "frames": sum(r.frames for r in rs),
        }
    return table


def _costs(results: list[Result]) -> dict[str, dict[str, float]]:
    merged: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for kind, values in r.cost_by_kind.items():
            merged[kind].extend(values)
    return {
        kind: {"frames": len(v), "mean_ms": 1000 * statistics.fmean(v), "p95_ms": 1000 * _percentile(v, 95)}
        for kind, v in sorted(merged.items())
        if v
    }


def _match_distances(results: list[Result]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    cross = {i.name for i in IDENTITIES if i.cross_photo}
    for r in results:
        if r.match is None:
            continue
        if r.species == "genuine":
            groups["same person, other photo" if r.identity in cross else "same person, same photo"].append(
                r.match
            )
        elif r.species == "face_swap":
            groups["different person (face swap)"].append(r.match)
    return {
        name: {"n": len(v), "min": min(v), "p50": _percentile(v, 50), "max": max(v)}
        for name, v in groups.items()
    }


def report(
    results: list[Result],
    pairs: list[tuple[str, str, float]],
    wall: float,
    cpu: float,
    policy: VerificationPolicy,
) -> str:
    """The printed report."""
    table = summarise(results)
    lines = ["Verification evaluation on SYNTHETIC clips (real decision code, real dlib analysis)", ""]
    lines.append(
        f"{'species':<10} {'n':>5} {'pass':>5} {'review':>6} {'fail':>5} {'busy':>5}  {'rate':<16} "
        "first reasons (non-pass)"
    )
    for kind, row in table.items():
        label = "BPCER" if kind == "genuine" else "APCER"
        rate = f"{label} {100 * row['rate']:.1f} %"
        reasons = ", ".join(f"{k} {v}" for k, v in row["first_reasons"].items())
        lines.append(
            f"{kind:<10} {row['attempts']:>5} {row['pass']:>5} {row['review']:>6} {row['fail']:>5} "
            f"{row['busy']:>5}  {rate:<16} {reasons}"
        )
    if "genuine" in table:
        g = table["genuine"]
        lines += [
            "",
            f"genuine time to verdict: p50 {g['seconds_p50']:.2f} s, p95 {g['seconds_p95']:.2f} s",
            f"genuine review rate: {100 * g['review'] / g['attempts']:.1f} %",
        ]
    attacks = [k for k in table if k != "genuine"]
    if attacks:
        lines.append(
            "attack time to verdict: "
            + ", ".join(
                f"{k} p50 {table[k]['seconds_p50']:.1f} s / p95 {table[k]['seconds_p95']:.1f} s"
                for k in attacks
            )
        )
    lines += ["", "face-match distance (median over keyframes) on synthetic attempts:"]
    for name, row in _match_distances(results).items():
        lines.append(
            f"  {name:<30} n={row['n']:<4} min {row['min']:.3f}  p50 {row['p50']:.3f}  max {row['max']:.3f}"
        )
    lines.append(f"  thresholds: accept <= {policy.match.accept:.2f}, review <= {policy.match.review:.2f}")
    lines += ["", "fixture photo pairs (reference photos, no animation):"]
    for a, b, d in pairs:
        lines.append(f"  {a:<20} {b:<20} {d:.3f}")
    lines += ["", "analysis cost per frame (CPU of the analysing thread, frames not served from the cache):"]
    for kind, row in _costs(results).items():
        lines.append(
            f"  {kind:<9} {row['frames']:>7} frames  mean {row['mean_ms']:6.1f} ms  "
            f"p95 {row['p95_ms']:6.1f} ms"
        )
    total_frames = sum(r.frames for r in results)
    analysed = sum(r.analysed for r in results)
    lines.append(
        f"  frames sampled {total_frames}, analysed {analysed}, "
        f"reused from the clip cache {total_frames - analysed}"
    )
    used = "n/a" if math.isnan(cpu) else f"{cpu / 60:.1f} min"
    lines += ["", f"wall {wall / 60:.1f} min, CPU {used} (all processes)"]
    return "\n".join(lines)


def rates_table(results: list[Result]) -> str:
    """BPCER and APCER per species at each analysis rate (the figure of a busy server)."""
    rates = sorted({r.fps for r in results}, reverse=True)
    kinds = [k for k in SPECIES if any(r.species == k for r in results)]
    lines = [
        "By analysis rate (SYNTHETIC): genuine BPCER (fail) / busy; attacks APCER (pass); n per cell",
        f"{'fps':>5}  " + "  ".join(f"{k:>14}" for k in kinds),
    ]
    for fps in rates:
        cells = []
        for kind in kinds:
            rs = [r for r in results if r.fps == fps and r.species == kind]
            n = len(rs)
            if kind == "genuine":
                fails = sum(r.outcome == "fail" for r in rs)
                busy = sum(r.outcome == "busy" for r in rs)
                cells.append(f"{100 * fails / n:4.1f}%/{busy:>2} n{n}")
            else:
                cells.append(f"{100 * sum(r.outcome == 'pass' for r in rs) / n:4.1f}% n{n}")
        lines.append(f"{fps:>5g}  " + "  ".join(f"{c:>14}" for c in cells))
    paused = [r for r in results if r.paused > 0 and r.species == "genuine"]
    lines.append(
        f"genuine attempts that paused: {len(paused)} of {sum(r.species == 'genuine' for r in results)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m verification.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--attempts", type=int, default=300, help="attempts per species (default 300)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="worker processes")
    parser.add_argument("--faces-dir", type=Path, help="directory with the fixture photos")
    parser.add_argument("--seed", type=int, default=1, help="master seed")
    parser.add_argument("--species", nargs="*", choices=SPECIES, default=list(SPECIES))
    parser.add_argument("--json", type=Path, help="also write every attempt's result here")
    parser.add_argument(
        "--fps",
        type=float,
        nargs="*",
        default=[VerificationPolicy().sample_fps],
        help="analysis rates to evaluate at, frames/s (a busy server's cap; default: the policy's 15)",
    )
    args = parser.parse_args(argv)
    faces_dir = args.faces_dir or default_faces_dir(REPO_ROOT)
    if faces_dir is None:
        print(
            "no fixture photos found: pass --faces-dir, set VIDEO_BANK_FACES_DIR, or run the test suite once "
            "(it caches them in .cache/faces)",
            file=sys.stderr,
        )
        return 2
    specs = make_specs(args.attempts, args.seed, args.species)
    started, cpu_started = time.perf_counter(), _cpu()
    context = multiprocessing.get_context("spawn")
    results: list[Result] = []
    with ProcessPoolExecutor(
        args.workers, mp_context=context, initializer=_init_worker, initargs=(str(faces_dir),)
    ) as pool:
        pairs = pool.submit(_photo_pairs).result()
        for fps in args.fps:
            began = time.perf_counter()
            chunks = _chunks(specs, 10)
            rate_results: list[Result] = []
            for chunk_results in pool.map(_run_chunk, chunks, [fps] * len(chunks)):
                rate_results.extend(chunk_results)
                done = len(rate_results)
                if done % 100 < 10:
                    print(f"  {fps:g} fps: {done}/{len(specs)} attempts", file=sys.stderr, flush=True)
            results.extend(rate_results)
            print(f"=== analysis rate {fps:g} frames/s ===")
            print(
                report(
                    rate_results,
                    pairs,
                    time.perf_counter() - began,
                    math.nan,
                    VerificationPolicy(),  # CPU: at the end
                )
            )
            print(flush=True)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu_started
    if len(args.fps) > 1:
        print(rates_table(results))
    print(f"all rates: wall {wall / 60:.1f} min, CPU {cpu / 60:.1f} min")
    if args.json:
        args.json.write_text(json.dumps([r.to_json() for r in results]))
    return 0


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system + usage.children_user + usage.children_system


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    raise SystemExit(main())
