"""The evidence of one attempt: every input of its state machine, so that an auditor re-derives the
decision from the record (:mod:`verification.redecide`).

An :class:`~verification.attempt.Attempt` is a pure function of its inputs: the policy, the reference
embedding, the challenge sequence, the random pauses before its prompts, and the ``(server time,
FrameAnalysis)`` pairs it was fed (plus the time of an abort). :class:`Evidence` holds exactly these;
:func:`encode` turns them into JSON for the encrypted session record and :func:`decode` back, bit for
bit: times, measures and scores are JSON floats (shortest round-trip repr), landmarks and embeddings
raw IEEE arrays in base64, thumbnails — integer luma averages — as 8-bit deltas between frames,
deflated. No JPEG image is part of it (the keyframe images are recorded beside it for the eyes).

The evidence is biometric data (embeddings, the reference, low-resolution thumbnails): it goes into
the encrypted record only, never into a log.

``CODE_VERSION`` fingerprints the source of the decision core; a re-derivation with the same version
must reproduce the recorded decision exactly.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from verification.challenges import Action
from verification.errors import VerificationError
from verification.frame_analysis import THUMBNAIL_SIZE, Box, FaceObservation, FrameAnalysis
from verification.measures import FaceMeasures, HeadPose
from verification.policy import (
    BaselinePolicy,
    ChallengePolicy,
    MatchPolicy,
    PacePolicy,
    PassivePolicy,
    QualityPolicy,
    VerificationPolicy,
)
from verification.reasons import Reason

FORMAT = 1
"""Version of the JSON layout written by :func:`encode`."""

CORE_MODULES = (
    "attempt",
    "baseline",
    "challenges",
    "decision",
    "evidence",
    "frame_analysis",
    "matching",
    "measures",
    "passive",
    "policy",
    "quality",
    "reasons",
)
"""The modules whose source decides (their fingerprint is :data:`CODE_VERSION`)."""


def _code_version() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in CORE_MODULES:
        digest.update(name.encode() + b"\0" + (here / f"{name}.py").read_bytes() + b"\0")
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()
"""Fingerprint (16 hex digits of SHA-256) of the decision core's source."""


class EvidenceError(VerificationError):
    """Recorded evidence that cannot be read (wrong layout, damaged arrays)."""

    http_status = 400


@dataclass(frozen=True, slots=True)
class Evidence:
    """Every input of one attempt."""

    nonce: str
    """The attempt's id."""
    policy: VerificationPolicy
    """The thresholds it ran with."""
    sequence: tuple[Action, ...]
    """The challenge sequence drawn."""
    draws: tuple[float, ...]
    """The random pauses before each prompt, in the order drawn."""
    reference: npt.NDArray[np.float64] | None = field(repr=False)
    """The reference embedding (``None``: no reference enrolled)."""
    frames: tuple[tuple[float, FrameAnalysis], ...] = field(repr=False)
    """Each frame fed, with its server time, in order."""
    aborted: tuple[float, Reason] | None = None
    """When and why the attempt was ended from outside, if it was."""
    code_version: str = CODE_VERSION
    """Fingerprint of the decision code that ran."""
    policy_notes: tuple[str, ...] = ()
    """Recorded policy fields this code does not know, or knows but were not recorded (decode only)."""


class ReplayRandom:
    """Gives back recorded pauses, so a replayed attempt prompts at the recorded times."""

    def __init__(self, draws: Sequence[float]) -> None:
        self._draws = list(draws)
        self._next = 0

    def uniform(self, a: float, b: float) -> float:
        """The next recorded draw (``a`` and ``b`` are the bounds it was drawn within)."""
        if self._next >= len(self._draws):
            raise EvidenceError("the replay asked for more random pauses than were recorded")
        value = self._draws[self._next]
        self._next += 1
        return value

    def randrange(self, n: int) -> int:  # pragma: no cover - the sequence is always given on replay
        raise EvidenceError("a replay never draws a new challenge sequence")


# --- encoding -----------------------------------------------------------------------------------------


def _b64(array: npt.NDArray[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _array(text: object, dtype: type, shape: tuple[int, ...]) -> npt.NDArray[Any]:
    if not isinstance(text, str):
        raise EvidenceError("an array must be base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    except ValueError as error:
        raise EvidenceError(f"a recorded array is damaged ({error})") from None


def _landmarks(points: npt.NDArray[Any]) -> dict[str, str]:
    """The analyser's landmarks are float32; keep whatever precision they have, exactly."""
    if points.dtype == np.float32:
        return {"f32": _b64(points)}
    return {"f64": _b64(np.asarray(points, np.float64))}


def _num(value: float) -> float | str:
    """A float for JSON: finite as a number (exact repr), NaN and infinities as text (``float()``
    reads both back; a degenerate pose can give NaN, and the decision code saw exactly that)."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def _face(face: FaceObservation) -> dict[str, Any]:
    m = face.measures
    return {
        "box": [int(face.box.left), int(face.box.top), int(face.box.right), int(face.box.bottom)],
        "landmarks": _landmarks(face.landmarks),
        "measures": {
            "eye_ratio": _num(m.eye_ratio),
            "mouth_opening": _num(m.mouth_opening),
            "yaw": _num(m.pose.yaw),
            "pitch": _num(m.pose.pitch),
            "roll": _num(m.pose.roll),
            "parallax_u": _num(m.parallax_u),
            "parallax_v": _num(m.parallax_v),
            "aspect": _num(m.aspect),
            "eye_distance": _num(m.eye_distance),
            "center_x": _num(m.center_x),
            "center_y": _num(m.center_y),
        },
        "detection_score": None if face.detection_score is None else _num(face.detection_score),
        "brightness": _num(face.brightness),
        "contrast": _num(face.contrast),
        "sharpness": _num(face.sharpness),
    }


def _deflated(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def _thumbnails(frames: Sequence[FrameAnalysis]) -> dict[str, Any]:
    if not frames:
        return {"encoding": "none"}
    stack = np.stack([np.asarray(f.thumbnail, np.float32) for f in frames])
    as_bytes = np.rint(stack)
    if np.array_equal(as_bytes, stack) and stack.min() >= 0 and stack.max() <= 255:
        # Area-averaged 8-bit luma: whole numbers; consecutive frames differ little, so deltas deflate.
        u8 = as_bytes.astype(np.uint8)
        deltas = np.diff(u8.astype(np.int16), axis=0, prepend=0).astype(np.uint8)  # modulo 256
        return {"encoding": "u8-delta-deflate", "data": _deflated(deltas.tobytes())}
    return {"encoding": "f32-deflate", "data": _deflated(stack.tobytes())}


def encode(evidence: Evidence) -> dict[str, Any]:
    """The evidence as a JSON-ready dict (biometric: for the encrypted record only)."""
    analyses = [a for _, a in evidence.frames]
    thumbs = _thumbnails(analyses)
    return {
        "format": FORMAT,
        "code_version": evidence.code_version,
        "nonce": evidence.nonce,
        "policy": dataclasses.asdict(evidence.policy),
        "sequence": [a.value for a in evidence.sequence],
        "draws": [float(d) for d in evidence.draws],
        "reference": None if evidence.reference is None else _b64(np.asarray(evidence.reference, np.float64)),
        "frames": {
            "t": [float(t) for t, _ in evidence.frames],
            "size": [[a.width, a.height] for a in analyses],
            "face": [None if a.face is None else _face(a.face) for a in analyses],
            "face_count": [None if a.face_count is None else int(a.face_count) for a in analyses],
            "detected": [bool(a.detected) for a in analyses],
            "embeddings": {
                str(i): _b64(np.asarray(a.embedding, np.float64))
                for i, a in enumerate(analyses)
                if a.embedding is not None
            },
            "thumbnails": thumbs,
        },
        "aborted": None
        if evidence.aborted is None
        else {"t": evidence.aborted[0], "reason": evidence.aborted[1].value},
    }


# --- decoding -----------------------------------------------------------------------------------------

_SUBPOLICIES: dict[str, type] = {
    "quality": QualityPolicy,
    "baseline": BaselinePolicy,
    "challenges": ChallengePolicy,
    "passive": PassivePolicy,
    "match": MatchPolicy,
    "pace": PacePolicy,
}


def _build(cls: type, data: Mapping[str, Any], path: str, notes: list[str]) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            notes.append(f"{path}{name}: recorded, unknown to this code (ignored)")
        elif name in _SUBPOLICIES and isinstance(value, Mapping):
            values[name] = _build(_SUBPOLICIES[name], value, f"{path}{name}.", notes)
        else:
            values[name] = tuple(value) if isinstance(value, list) else value
    for name in known:
        if name not in data:
            notes.append(f"{path}{name}: not recorded, this code's default used")
    try:
        return cls(**values)
    except (TypeError, ValueError, VerificationError) as error:
        raise EvidenceError(f"the recorded policy is not valid here ({error})") from None


def decode_policy(data: object) -> tuple[VerificationPolicy, tuple[str, ...]]:
    """A recorded policy, and notes on fields this code version does not share with it."""
    if not isinstance(data, Mapping):
        raise EvidenceError("the recorded policy must be an object")
    notes: list[str] = []
    policy = _build(VerificationPolicy, data, "", notes)
    return policy, tuple(notes)


def _face_from(data: Mapping[str, Any]) -> FaceObservation:
    m = data["measures"]
    measures = FaceMeasures(
        eye_ratio=float(m["eye_ratio"]),
        mouth_opening=float(m["mouth_opening"]),
        pose=HeadPose(float(m["yaw"]), float(m["pitch"]), float(m["roll"])),
        parallax_u=float(m["parallax_u"]),
        parallax_v=float(m["parallax_v"]),
        aspect=float(m["aspect"]),
        eye_distance=float(m["eye_distance"]),
        center_x=float(m["center_x"]),
        center_y=float(m["center_y"]),
    )
    score = data["detection_score"]
    return FaceObservation(
        box=Box(*(int(v) for v in data["box"])),
        landmarks=(
            _array(data["landmarks"]["f32"], np.float32, (68, 2))
            if "f32" in data["landmarks"]
            else _array(data["landmarks"]["f64"], np.float64, (68, 2))
        ),
        measures=measures,
        detection_score=None if score is None else float(score),
        brightness=float(data["brightness"]),
        contrast=float(data["contrast"]),
        sharpness=float(data["sharpness"]),
    )


def _thumbs_from(data: Mapping[str, Any], count: int) -> npt.NDArray[np.float32]:
    w, h = THUMBNAIL_SIZE
    encoding = data.get("encoding")
    if count == 0:
        return np.zeros((0, h, w), np.float32)
    try:
        raw = zlib.decompress(base64.b64decode(data["data"], validate=True))
    except (KeyError, ValueError, zlib.error) as error:
        raise EvidenceError(f"the recorded thumbnails are damaged ({error})") from None
    if encoding == "u8-delta-deflate":
        deltas = np.frombuffer(raw, np.uint8)
        if deltas.size != count * h * w:
            raise EvidenceError("the recorded thumbnails do not match the frames")
        return np.cumsum(deltas.reshape(count, h, w), axis=0, dtype=np.uint8).astype(np.float32)
    if encoding == "f32-deflate":
        values = np.frombuffer(raw, np.float32)
        if values.size != count * h * w:
            raise EvidenceError("the recorded thumbnails do not match the frames")
        return values.reshape(count, h, w).copy()
    raise EvidenceError(f"unknown thumbnail encoding {encoding!r}")


def decode(data: object) -> Evidence:
    """Evidence from its recorded JSON (raises :class:`EvidenceError` when it cannot be read)."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise EvidenceError("not verification evidence of a known format")
    try:
        policy, notes = decode_policy(data["policy"])
        frames = data["frames"]
        times = [float(t) for t in frames["t"]]
        count = len(times)
        for name in ("size", "face", "face_count", "detected"):
            if len(frames[name]) != count:
                raise EvidenceError(f"the recorded frames have {len(frames[name])} {name} for {count} times")
        thumbs = _thumbs_from(frames["thumbnails"], count)
        embeddings = {int(i): _array(v, np.float64, (128,)) for i, v in dict(frames["embeddings"]).items()}
        fed: list[tuple[float, FrameAnalysis]] = []
        for i, t in enumerate(times):
            width, height = frames["size"][i]
            face = frames["face"][i]
            fed.append(
                (
                    t,
                    FrameAnalysis(
                        width=int(width),
                        height=int(height),
                        face=None if face is None else _face_from(face),
                        face_count=frames["face_count"][i],
                        detected=bool(frames["detected"][i]),
                        thumbnail=thumbs[i],
                        embedding=embeddings.get(i),
                    ),
                )
            )
        reference = data.get("reference")
        aborted = data.get("aborted")
        return Evidence(
            nonce=str(data["nonce"]),
            policy=policy,
            sequence=tuple(Action(a) for a in data["sequence"]),
            draws=tuple(float(d) for d in data["draws"]),
            reference=None if reference is None else _array(reference, np.float64, (128,)),
            frames=tuple(fed),
            aborted=None if aborted is None else (float(aborted["t"]), Reason(aborted["reason"])),
            code_version=str(data["code_version"]),
            policy_notes=notes,
        )
    except EvidenceError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise EvidenceError(
            f"the recorded evidence is incomplete or damaged ({type(error).__name__}: {error})"
        ) from None
