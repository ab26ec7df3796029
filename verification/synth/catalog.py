"""The synthetic people: which fixture photo (and which face in it) each identity is made from.

Photos are looked up in a faces directory (the project's fixture photos; see ``docs/verification.md``
for where they come from). A :class:`Cast` builds each identity's :class:`~verification.synth.rig.FaceRig`
and reference embedding with the real analyser, once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from verification.analysis import DlibAnalyzer, PhotoFace, as_u8
from verification.synth.rig import FaceRig

FACES_DIR_ENV = "VIDEO_BANK_FACES_DIR"
"""Environment variable naming the directory with the fixture photos."""


@dataclass(frozen=True, slots=True)
class FacePick:
    """One face in one photo."""

    photo: str
    """File name in the faces directory."""
    near: tuple[float, float] | None = None
    """Take the face whose centre is nearest this point (photo pixels); ``None``: the best-scored face."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A synthetic person."""

    name: str
    """Short name used in reports."""
    source: FacePick
    """The photo animated into live clips, prints and screens."""
    reference: FacePick
    """The photo enrolled as the reference (another photo of the person where we have one)."""

    @property
    def cross_photo(self) -> bool:
        """Whether the reference is a different photo than the animated one."""
        return self.reference.photo != self.source.photo


IDENTITIES: tuple[Identity, ...] = (
    Identity("obama", FacePick("obama.jpg"), FacePick("obama2.jpg")),
    Identity("biden", FacePick("biden.jpg"), FacePick("biden.jpg")),
    Identity("collins", FacePick("astronaut.png"), FacePick("astronaut.png")),
    Identity("t1-a", FacePick("t1.jpg", (504, 349)), FacePick("t1.jpg", (504, 349))),
    Identity("t1-b", FacePick("t1.jpg", (121, 337)), FacePick("t1.jpg", (121, 337))),
)
"""Everyone the evaluation animates. Only Obama has two photos; the others are compared with the same
photo they are animated from, which makes their genuine match distances optimistic (reported apart)."""


def default_faces_dir(repo_root: Path) -> Path | None:
    """Where the fixture photos are: ``$VIDEO_BANK_FACES_DIR``, ``../shared/fixtures/faces`` or the
    test cache ``.cache/faces``; ``None`` if none of them has the photos."""
    candidates = []
    if os.environ.get(FACES_DIR_ENV):
        candidates.append(Path(os.environ[FACES_DIR_ENV]))
    candidates += [repo_root.parent / "shared" / "fixtures" / "faces", repo_root / ".cache" / "faces"]
    for candidate in candidates:
        if all((candidate / i.source.photo).is_file() for i in IDENTITIES):
            return candidate
    return None


def pick_face(faces: list[PhotoFace], pick: FacePick) -> PhotoFace:
    """The face ``pick`` designates among ``faces``."""
    if not faces:
        raise ValueError(f"no face found in {pick.photo}")
    if pick.near is None:
        return max(faces, key=lambda f: f.detection_score)
    nx, ny = pick.near

    def dist(f: PhotoFace) -> float:
        return float(np.hypot((f.box.left + f.box.right) / 2 - nx, (f.box.top + f.box.bottom) / 2 - ny))

    return min(faces, key=dist)


class Cast:
    """Rigs and reference embeddings of the identities, built on demand with the real analyser."""

    def __init__(self, faces_dir: Path, analyzer: DlibAnalyzer, eye_distance: float = 80.0) -> None:
        self._dir = faces_dir
        self._analyzer = analyzer
        self._eye_distance = eye_distance
        self._photos: dict[str, tuple[npt.NDArray[np.uint8], list[PhotoFace]]] = {}
        self._rigs: dict[str, FaceRig] = {}
        self._references: dict[str, npt.NDArray[np.float64]] = {}
        self.by_name = {i.name: i for i in IDENTITIES}

    def _photo(self, name: str) -> tuple[npt.NDArray[np.uint8], list[PhotoFace]]:
        if name not in self._photos:
            read = cv2.imread(str(self._dir / name), cv2.IMREAD_COLOR)
            if read is None:
                raise FileNotFoundError(self._dir / name)
            image = as_u8(read)
            faces = self._analyzer.analyse_photo(as_u8(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)), max_side=1600)
            self._photos[name] = (image, faces)
        return self._photos[name]

    def face(self, pick: FacePick) -> PhotoFace:
        """The analysed face ``pick`` designates."""
        return pick_face(self._photo(pick.photo)[1], pick)

    def rig(self, name: str) -> FaceRig:
        """The rig of identity ``name``."""
        if name not in self._rigs:
            identity = self.by_name[name]
            image, _ = self._photo(identity.source.photo)
            face = self.face(identity.source)
            self._rigs[name] = FaceRig(image, face.landmarks, eye_distance=self._eye_distance)
        return self._rigs[name]

    def reference(self, name: str) -> npt.NDArray[np.float64]:
        """The reference embedding of identity ``name``."""
        if name not in self._references:
            self._references[name] = self.face(self.by_name[name].reference).embedding
        return self._references[name]
