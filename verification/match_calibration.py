"""Face-match calibration on real photos: reference (an ID photo, degraded) against live (a video frame).

    python -m verification.match_calibration [--faces-dir DIR] [--json FILE]

Every real face photo the project can obtain from public packages (``python -m tests.support.faces``
caches them in ``.cache/faces``): the face_recognition test photos (three different photos of Obama,
one of Biden), scikit-image's astronaut (Eileen Collins), insightface's group photo, and the six demo
photos of @vladmandic/face-api (about twenty people). Faces with an eye distance under 40 px or a
detector score under 0.5 are left out (enrolment refuses such faces).

Reference side — a bank's reference is an ID-card photo: years old, small, printed and rescanned. Each
face is cut to the Chinese resident-ID framing (358×441) and degraded four ways: colour JPEG q70;
grayscale JPEG q50; half size (179×220) JPEG q40; printed and rescanned (blur, squeezed contrast,
gamma, grain, 1.5° skew, JPEG q60). Its embedding is computed as enrolment computes it.

Live side — the face scaled to the live pipeline's size (eye distance 80 px) in a 640×480 frame, with
slight blur, sensor noise and JPEG q75 (standing in for VP8), embedded by the live analyser exactly as
a keyframe is (full scan, 5-point alignment, ResNet).

Pairs: *genuine, other photo* — the reference from one photo, the live face from a different photo of
the same person (the age of the ID photo simulated by a different photo); *genuine, same photo* — only
the degradations apart; *impostor* — every reference against every other identity's live face. The
report prints both distributions, the operating point of the policy, its FNMR and FMR with exact
(Clopper–Pearson) 95 % bounds, and how few identities stand behind them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from verification.analysis import AnalysisRequest, DlibAnalyzer, FrameInput, PhotoFace, as_u8
from verification.policy import MatchPolicy

REPO_ROOT = Path(__file__).resolve().parents[1]
MIN_EYE_DISTANCE = 40.0
MIN_SCORE = 0.5
ID_SIZE = (358, 441)
"""Width × height of the Chinese resident-ID photo."""
LIVE_EYE_DISTANCE = 80.0


@dataclass(frozen=True, slots=True)
class Source:
    """One photo and whose faces it shows."""

    photo: str
    """File name in the faces directory."""
    identity: str | None
    """The one person shown (largest good face), or ``None``: every good face is a different person."""
    package: str
    """Where it comes from."""


SOURCES: tuple[Source, ...] = (
    Source("obama.jpg", "obama", "face_recognition 1.3.0 sdist"),
    Source("obama2.jpg", "obama", "face_recognition 1.3.0 sdist"),
    Source("obama3.jpg", "obama", "face_recognition 1.3.0 sdist"),
    Source("biden.jpg", "biden", "face_recognition 1.3.0 sdist"),
    Source("astronaut.png", "collins", "scikit-image (skimage.data.astronaut)"),
    Source("Tom_Hanks_54745.png", "hanks", "insightface 2.1 sdist"),
    Source("t1.jpg", None, "insightface 2.1 sdist"),
    *(Source(f"face-api-sample{n}.jpg", None, "@vladmandic/face-api 1.7.15 (npm)") for n in range(1, 7)),
)
"""Every photo used. (face_recognition's obama_partial_face*.jpg are crops of obama.jpg and 32bit.png
is obama2.jpg: left out as duplicates.)"""

POSSIBLY_SAME = frozenset({frozenset({"face-api-sample1.jpg#2", "face-api-sample3.jpg#0"})})
"""Faces of different demo photos that may show the same person (0.41 apart; they look alike): this
pair is left out of the impostor set rather than guessed."""


@dataclass(frozen=True, slots=True)
class Face:
    """One usable face."""

    key: str
    """``photo#index``."""
    identity: str
    """Who (a name, or the key for unnamed people in group photos)."""
    photo: str
    """File name."""
    face: PhotoFace
    """As found in the original photo."""


# --- degradations ----------------------------------------------------------------------------------------


def _eyes(face: PhotoFace) -> tuple[npt.NDArray[np.float64], float, float]:
    points = np.asarray(face.landmarks, np.float64)
    right = points[36:42].mean(axis=0)
    left = points[42:48].mean(axis=0)
    centre = (right + left) / 2.0
    d = float(np.hypot(*(left - right)))
    angle = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
    return centre, d, angle


def _aligned(
    image: npt.NDArray[np.uint8], face: PhotoFace, eye_distance: float, size: tuple[int, int], eyes_at: float
) -> npt.NDArray[np.uint8]:
    """``image`` rotated level and scaled so the eyes are ``eye_distance`` apart, centred, ``eyes_at``
    of the height from the top, cut to ``size`` (edges replicated)."""
    centre, d, angle = _eyes(face)
    scale = eye_distance / d
    w, h = size
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    matrix[0, 2] += w / 2.0 - centre[0]
    matrix[1, 2] += h * eyes_at - centre[1]
    return as_u8(cv2.warpAffine(image, matrix, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE))


def _jpeg(image: npt.NDArray[np.uint8], quality: int) -> npt.NDArray[np.uint8]:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return as_u8(cv2.imdecode(data, cv2.IMREAD_COLOR))


def _id_photo(image: npt.NDArray[np.uint8], face: PhotoFace) -> npt.NDArray[np.uint8]:
    # On a 358×441 ID photo the eyes are about 0.28 of the width apart and 45 % down.
    return _aligned(image, face, 0.28 * ID_SIZE[0], ID_SIZE, 0.45)


def id_color(
    image: npt.NDArray[np.uint8], face: PhotoFace, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """The ID photo, colour, JPEG q70."""
    return _jpeg(_id_photo(image, face), 70)


def id_gray(image: npt.NDArray[np.uint8], face: PhotoFace, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Grayscale, JPEG q50."""
    gray = cv2.cvtColor(_id_photo(image, face), cv2.COLOR_BGR2GRAY)
    return _jpeg(as_u8(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)), 50)


def id_small(
    image: npt.NDArray[np.uint8], face: PhotoFace, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """Half size (179×220), JPEG q40."""
    small = cv2.resize(
        _id_photo(image, face), (ID_SIZE[0] // 2, ID_SIZE[1] // 2), interpolation=cv2.INTER_AREA
    )
    return _jpeg(as_u8(small), 40)


def id_rescan(
    image: npt.NDArray[np.uint8], face: PhotoFace, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """Printed and rescanned: blur, squeezed contrast, gamma, grain, a slight skew, JPEG q60."""
    photo: npt.NDArray[np.float32] = _id_photo(image, face).astype(np.float32)
    photo = np.asarray(cv2.GaussianBlur(photo, (0, 0), 1.0), np.float32)
    photo = 30.0 + photo * 0.75
    photo = 255.0 * (photo / 255.0) ** 1.2
    photo += rng.normal(0.0, 4.0, photo.shape).astype(np.float32)
    w, h = ID_SIZE
    skew = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), 1.5, 1.0)
    photo = np.asarray(cv2.warpAffine(photo, skew, (w, h), borderMode=cv2.BORDER_REPLICATE), np.float32)
    return _jpeg(np.clip(photo, 0, 255).astype(np.uint8), 60)


DEGRADATIONS: dict[
    str, Callable[[npt.NDArray[np.uint8], PhotoFace, np.random.Generator], npt.NDArray[np.uint8]]
] = {
    "id_color": id_color,
    "id_gray": id_gray,
    "id_small": id_small,
    "id_rescan": id_rescan,
}


def live_frame(
    image: npt.NDArray[np.uint8], face: PhotoFace, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """The face as the live pipeline sees it: eye distance 80 px in 640×480, soft, noisy, compressed."""
    frame = _aligned(image, face, LIVE_EYE_DISTANCE, (640, 480), 0.42).astype(np.float32)
    frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), 0.7), np.float32)
    frame += rng.normal(0.0, 2.5, frame.shape).astype(np.float32)
    return _jpeg(np.clip(frame, 0, 255).astype(np.uint8), 75)


# --- measuring -------------------------------------------------------------------------------------------


def find_faces(
    analyzer: DlibAnalyzer, faces_dir: Path
) -> tuple[list[Face], list[str], dict[str, npt.NDArray[np.uint8]]]:
    """Usable faces of every source photo, notes on what was left out, and the images."""
    faces: list[Face] = []
    notes: list[str] = []
    images: dict[str, npt.NDArray[np.uint8]] = {}
    for source in SOURCES:
        path = faces_dir / source.photo
        if not path.is_file():
            notes.append(f"{source.photo}: missing (run python -m tests.support.faces)")
            continue
        image = as_u8(cv2.imread(str(path), cv2.IMREAD_COLOR))
        images[source.photo] = image
        found = analyzer.analyse_photo(as_u8(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)), max_side=2400)
        good = [
            f for f in found if f.measures.eye_distance >= MIN_EYE_DISTANCE and f.detection_score >= MIN_SCORE
        ]
        left_out = len(found) - len(good)
        if left_out:
            notes.append(f"{source.photo}: {left_out} face(s) too small or unclear for enrolment, left out")
        if source.identity is not None:
            good = good[:1]  # the largest
        for index, f in enumerate(good):
            key = f"{source.photo}#{index}"
            faces.append(Face(key, source.identity or key, source.photo, f))
    return faces, notes, images


def _live_embedding(analyzer: DlibAnalyzer, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64] | None:
    analysis = analyzer.analyse(AnalysisRequest(FrameInput.from_bgr(frame), full_scan=True, encode=True))
    return analysis.embedding


def _reference_embedding(
    analyzer: DlibAnalyzer, photo: npt.NDArray[np.uint8]
) -> npt.NDArray[np.float64] | None:
    found = analyzer.analyse_photo(as_u8(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB)))
    good = [f for f in found if f.detection_score >= MIN_SCORE]
    if not good:
        return None
    # The ID framing may take in part of a neighbour's face: the reference is the face in the middle.
    h, w = photo.shape[:2]
    centre = np.array([w / 2.0, h * 0.45])
    return min(good, key=lambda f: float(np.hypot(*(_eyes(f)[0] - centre)))).embedding


@dataclass(frozen=True, slots=True)
class Comparison:
    """One reference against one live face."""

    kind: str
    """``genuine_other_photo``, ``genuine_same_photo`` or ``impostor``."""
    reference: str
    """Face key of the reference."""
    degradation: str
    """How the reference was degraded."""
    live: str
    """Face key of the live face."""
    distance: float
    """Embedding distance."""


def measure(
    analyzer: DlibAnalyzer, faces_dir: Path, seed: int = 1
) -> tuple[list[Comparison], list[Face], list[str]]:
    """Every comparison of the evaluation set."""
    faces, notes, images = find_faces(analyzer, faces_dir)
    rng = np.random.default_rng(seed)
    live: dict[str, npt.NDArray[np.float64]] = {}
    references: dict[tuple[str, str], npt.NDArray[np.float64]] = {}
    for face in faces:
        image = images[face.photo]
        embedding = _live_embedding(analyzer, live_frame(image, face.face, rng))
        if embedding is None:
            notes.append(f"{face.key}: no face found in its live frame, left out as live")
        elif float(np.linalg.norm(embedding - face.face.embedding)) > 0.3:
            notes.append(f"{face.key}: its live frame shows another face (a neighbour), left out as live")
        else:
            live[face.key] = embedding
        for name, degrade in DEGRADATIONS.items():
            ref = _reference_embedding(analyzer, degrade(image, face.face, rng))
            if ref is None:
                notes.append(f"{face.key}: enrolment found no face in its {name} reference")
            else:
                references[(face.key, name)] = ref
    by_key = {f.key: f for f in faces}
    comparisons = []
    for (ref_key, degradation), ref in references.items():
        for live_key, embedding in live.items():
            a, b = by_key[ref_key], by_key[live_key]
            if frozenset({ref_key, live_key}) in POSSIBLY_SAME:
                continue
            if a.identity == b.identity:
                kind = "genuine_same_photo" if a.photo == b.photo else "genuine_other_photo"
            else:
                kind = "impostor"
            distance = float(np.linalg.norm(ref - embedding))
            comparisons.append(Comparison(kind, ref_key, degradation, live_key, distance))
    return comparisons, faces, notes


# --- statistics ------------------------------------------------------------------------------------------


def _binomial_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided confidence interval of a proportion ``k``/``n``."""
    if n == 0:
        return 0.0, 1.0
    alpha = 1.0 - confidence

    def solve(f: Callable[[float], float]) -> float:
        low, high = 0.0, 1.0
        for _ in range(100):
            mid = (low + high) / 2
            if f(mid) > 0:
                low = mid
            else:
                high = mid
        return (low + high) / 2

    lower = 0.0 if k == 0 else solve(lambda p: alpha / 2 - (1 - _binomial_cdf(k - 1, n, p)))
    upper = 1.0 if k == n else solve(lambda p: _binomial_cdf(k, n, p) - alpha / 2)
    return lower, upper


def _summary(values: Sequence[float]) -> str:
    if not values:
        return "n=0"
    v = np.sort(np.asarray(values))
    return (
        f"n={len(v):<5} min {v[0]:.3f}  p5 {np.percentile(v, 5):.3f}  p50 {np.median(v):.3f}  "
        f"p95 {np.percentile(v, 95):.3f}  max {v[-1]:.3f}"
    )


def _histogram(values: Sequence[float], width: float = 0.05) -> list[str]:
    lines = []
    for start in np.arange(0.0, 1.2, width):
        count = sum(start <= v < start + width for v in values)
        if count:
            bar = "#" * max(1, round(60 * count / len(values)))
            lines.append(f"    {start:.2f}-{start + width:.2f} {count:>5} {bar}")
    return lines


def report(comparisons: list[Comparison], faces: list[Face], notes: list[str], policy: MatchPolicy) -> str:
    """The printed report."""
    kinds: dict[str, list[Comparison]] = {
        k: [] for k in ("genuine_other_photo", "genuine_same_photo", "impostor")
    }
    for c in comparisons:
        kinds[c.kind].append(c)
    identities = sorted({f.identity for f in faces})
    multi = sorted({f.identity for f in faces if sum(g.identity == f.identity for g in faces) > 1})
    lines = [
        "Face-match calibration on REAL photos (reference: ID photo degraded; live: a video frame)",
        f"faces {len(faces)}, identities {len(identities)}; identities with more than one photo: "
        f"{', '.join(multi) or 'none'}",
    ]
    lines += [f"  note: {n}" for n in notes]
    lines.append("")
    genuine = [c.distance for c in kinds["genuine_other_photo"]]
    lines.append("GENUINE, other photo (the age of an ID photo), every comparison:")
    for c in sorted(kinds["genuine_other_photo"], key=lambda c: c.distance):
        lines.append(f"    {c.distance:.3f}  reference {c.reference} ({c.degradation})  live {c.live}")
    lines.append(f"  {_summary(genuine)}")
    lines.append("GENUINE, same photo (degradation only), by reference degradation:")
    for name in DEGRADATIONS:
        same = [c.distance for c in kinds["genuine_same_photo"] if c.degradation == name]
        lines.append(f"  {name:<10} {_summary(same)}")
    impostor = [c.distance for c in kinds["impostor"]]
    lines.append("IMPOSTOR (every reference against every other identity's live face), by degradation:")
    for name in DEGRADATIONS:
        lines.append(
            f"  {name:<10} {_summary([c.distance for c in kinds['impostor'] if c.degradation == name])}"
        )
    lines.append(f"  all        {_summary(impostor)}")
    lines.append("  histogram:")
    lines += _histogram(impostor)
    lines.append("  closest impostor comparisons:")
    for c in sorted(kinds["impostor"], key=lambda c: c.distance)[:8]:
        lines.append(f"    {c.distance:.3f}  reference {c.reference} ({c.degradation})  live {c.live}")

    accept, review = policy.accept, policy.review
    lines += ["", f"OPERATING POINT: accept <= {accept:.2f}, review <= {review:.2f}, reject above"]
    pair_ids = {
        frozenset({_identity(faces, c.reference), _identity(faces, c.live)}) for c in kinds["impostor"]
    }
    for label, values, note in (
        ("genuine, other photo", genuine, f"{len(multi)} identit{'y' if len(multi) == 1 else 'ies'}"),
        (
            "genuine, same photo",
            [c.distance for c in kinds["genuine_same_photo"]],
            f"{len(identities)} identities",
        ),
    ):
        n = len(values)
        not_accepted = sum(v > accept for v in values)
        rejected = sum(v > review for v in values)
        lo, hi = clopper_pearson(not_accepted, n)
        lines.append(
            f"  {label}: FNMR (not accepted: review or reject) {not_accepted}/{n} = {_pct(not_accepted, n)} "
            f"[95 % CI {100 * lo:.1f}-{100 * hi:.1f} %]; rejected {rejected}/{n}; behind it: {note}"
        )
    n = len(impostor)
    accepted = sum(v <= accept for v in impostor)
    reviewed = sum(accept < v <= review for v in impostor)
    lo, hi = clopper_pearson(accepted, n)
    pairs_accepted = len(
        {
            frozenset({_identity(faces, c.reference), _identity(faces, c.live)})
            for c in kinds["impostor"]
            if c.distance <= accept
        }
    )
    plo, phi = clopper_pearson(pairs_accepted, len(pair_ids))
    lines.append(
        f"  impostor: FMR (accepted) {accepted}/{n} comparisons = {_pct(accepted, n)} [95 % CI "
        f"{100 * lo:.2f}-{100 * hi:.2f} %]; sent to review {reviewed}/{n}"
    )
    lines.append(
        f"  impostor identity pairs accepted: {pairs_accepted}/{len(pair_ids)} [95 % CI {100 * plo:.1f}-"
        f"{100 * phi:.1f} %] — {len(identities)} identities stand behind the FMR; comparisons of one pair "
        "are not independent, so this is the honest bound"
    )
    lines += ["", "candidate accept thresholds (genuine other photo not accepted / impostors accepted):"]
    for t in np.arange(0.36, 0.56, 0.02):
        lines.append(
            f"  {t:.2f}: genuine {sum(v > t for v in genuine)}/{len(genuine)}, "
            f"impostor {sum(v <= t for v in impostor)}/{len(impostor)}"
        )
    return "\n".join(lines)


def _identity(faces: list[Face], key: str) -> str:
    return next(f.identity for f in faces if f.key == key)


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} %" if n else "n/a"


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m verification.match_calibration", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--faces-dir", type=Path, default=REPO_ROOT / ".cache" / "faces", help="photos (default .cache/faces)"
    )
    parser.add_argument("--shared-dir", type=Path, default=REPO_ROOT.parent / "shared" / "fixtures" / "faces")
    parser.add_argument("--json", type=Path, help="also write every comparison here")
    args = parser.parse_args(argv)
    merged = _merged_dir(args.faces_dir, args.shared_dir)
    analyzer = DlibAnalyzer()
    comparisons, faces, notes = measure(analyzer, merged)
    if not comparisons:
        print("no photos found: run python -m tests.support.faces first", file=sys.stderr)
        return 2
    print(report(comparisons, faces, notes, MatchPolicy()))
    if args.json:
        rows: list[dict[str, Any]] = [
            {
                "kind": c.kind,
                "reference": c.reference,
                "degradation": c.degradation,
                "live": c.live,
                "distance": c.distance,
            }
            for c in comparisons
        ]
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def _merged_dir(cache: Path, shared: Path) -> Path:
    """The cache, with the fixture photos taken from the shared folder when the cache lacks them."""
    import tempfile

    merged = Path(tempfile.mkdtemp(prefix="vb-calibration-"))
    for source in SOURCES:
        for folder in (cache, shared):
            if (folder / source.photo).is_file():
                (merged / source.photo).symlink_to((folder / source.photo).resolve())
                break
    return merged


if __name__ == "__main__":
    raise SystemExit(main())
