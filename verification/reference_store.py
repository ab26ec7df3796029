"""Reference photos: enrolled per customer, kept only encrypted at rest.

:meth:`ReferenceStore.enroll` accepts a photo when it shows exactly one clear, large enough, roughly
frontal face (:func:`validate`), and stores one file per customer in the store's directory:

    file name   HMAC-SHA256(name key, customer id), hex, + ".ref"   (no id on disk in the clear)
    contents    b"VBREF1" | 12-byte nonce | AES-256-GCM(data key, nonce, payload, aad=b"VBREF1" + name)
    payload     4-byte big-endian header length | header JSON | the photo's original bytes
    header      {"customer_id", "enrolled_at", "embedding": [128 floats], "box", "eye_distance", "sha256"}

The data key and the name key are derived from the one 32-byte key given to the store (HKDF-SHA256),
so a stolen directory reveals neither faces, embeddings nor whom they belong to; a file moved to
another customer's name fails authentication. Loading returns the embedding (what the decision
needs); the photo itself is decrypted only on request (:meth:`ReferenceStore.photo`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import struct
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from verification.analysis import PhotoFace, Rgb, as_u8
from verification.errors import (
    ConfigurationError,
    ReferenceIntegrityError,
    ReferencePhotoError,
    UnknownReferenceError,
)

MAGIC = b"VBREF1"
KEY_BYTES = 32
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class PhotoAnalyser(Protocol):
    """Finds faces in a still photo (``DlibAnalyzer`` does)."""

    def analyse_photo(self, rgb: Rgb) -> list[PhotoFace]:
        """Every face in the photo."""
        ...


@dataclass(frozen=True, slots=True)
class PhotoRules:
    """What makes a reference photo acceptable."""

    min_score: float = 0.5
    """HOG score for a detection to count as a face (lower ones are things like badges and prints)."""
    min_eye_distance: float = 40.0
    """Smallest distance between the eye centres, photo pixels."""
    min_sharpness: float = 20.0
    """Smallest Laplacian variance of the face scaled to 128 px."""
    brightness: tuple[float, float] = (40.0, 230.0)
    """Accepted mean luma of the face."""
    max_parallax: float = 0.25
    """Largest |nose offset| across the eye line (a face turned more than about 30° is refused)."""


@dataclass(frozen=True, slots=True, eq=False)
class Reference:
    """One customer's enrolled reference."""

    customer_id: str = field(repr=False)
    """Whose reference it is (never logged)."""
    embedding: npt.NDArray[np.float64] = field(repr=False)
    """128-d embedding of the reference face."""
    enrolled_at: float
    """When it was enrolled (clock seconds)."""
    eye_distance: float
    """Size of the face in the photo (eye-centre distance, pixels)."""


def validate(faces: list[PhotoFace], rules: PhotoRules) -> PhotoFace:
    """The one acceptable face, or :class:`~verification.errors.ReferencePhotoError` saying what is wrong."""
    counted = [f for f in faces if f.detection_score >= rules.min_score]
    if not counted:
        raise ReferencePhotoError("no clear face was found in the photo")
    if len(counted) > 1:
        raise ReferencePhotoError(f"the photo shows {len(counted)} faces; it must show exactly one")
    face = counted[0]
    m = face.measures
    if m.eye_distance < rules.min_eye_distance:
        raise ReferencePhotoError("the face is too small; use a photo where the face is larger")
    if face.sharpness < rules.min_sharpness:
        raise ReferencePhotoError("the face is blurry; use a sharper photo")
    low, high = rules.brightness
    if not low <= face.brightness <= high:
        raise ReferencePhotoError("the face is too dark or too bright; use a better-lit photo")
    if abs(m.parallax_u) > rules.max_parallax:
        raise ReferencePhotoError("the face is turned away; use a photo looking at the camera")
    return face


def decode_photo(data: bytes) -> Rgb:
    """An RGB image from JPEG/PNG/… bytes, or :class:`~verification.errors.ReferencePhotoError`."""
    if not data:
        raise ReferencePhotoError("the photo is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise ReferencePhotoError("the photo is larger than 10 MB")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ReferencePhotoError("the file is not an image that can be read")
    return as_u8(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def parse_key(text: str) -> bytes:
    """A store key from its text form: 64 hex digits or URL-safe base64 of 32 bytes."""
    import base64
    import binascii

    text = text.strip()
    try:
        key = (
            bytes.fromhex(text)
            if len(text) == 2 * KEY_BYTES
            else base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        )
    except (ValueError, binascii.Error):
        raise ConfigurationError("the reference key must be 32 bytes as hex or URL-safe base64") from None
    if len(key) != KEY_BYTES:
        raise ConfigurationError("the reference key must be 32 bytes as hex or URL-safe base64")
    return key


class ReferenceStore:
    """Encrypted reference files under one directory (see the module docstring)."""

    def __init__(
        self, directory: Path, key: bytes, clock: Callable[[], float], rules: PhotoRules | None = None
    ) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError("the reference key must be 32 bytes")
        self.directory = directory
        self.rules = rules or PhotoRules()
        self._clock = clock
        derived = HKDF(
            algorithm=hashes.SHA256(), length=64, salt=None, info=b"video_bank reference store v1"
        ).derive(key)
        self._aead = AESGCM(derived[:32])
        self._name_key = derived[32:]

    # --- paths ---------------------------------------------------------------------------------------

    def _name(self, customer_id: str) -> str:
        if not customer_id:
            raise UnknownReferenceError("a customer id is required")
        return hmac.new(self._name_key, customer_id.encode(), hashlib.sha256).hexdigest()

    def _path(self, customer_id: str) -> Path:
        return self.directory / f"{self._name(customer_id)}.ref"

    # --- writing ------------------------------------------------------------------------------------------

    def enroll(self, customer_id: str, photo: bytes, analyser: PhotoAnalyser) -> Reference:
        """Validate ``photo`` and store it as ``customer_id``'s reference (replacing an older one)."""
        face = validate(analyser.analyse_photo(decode_photo(photo)), self.rules)
        return self.save(customer_id, photo, face)

    async def enroll_async(
        self, customer_id: str, photo: bytes, analyse_photo: Callable[[Rgb], Awaitable[list[PhotoFace]]]
    ) -> Reference:
        """:meth:`enroll` for the event loop: ``analyse_photo`` is e.g. ``AnalysisPool.analyse_photo``."""
        rgb = await asyncio.to_thread(decode_photo, photo)
        faces = await analyse_photo(rgb)
        face = validate(faces, self.rules)
        return await asyncio.to_thread(self.save, customer_id, photo, face)

    def save(self, customer_id: str, photo: bytes, face: PhotoFace) -> Reference:
        """Store an already validated face of ``photo`` (atomically replacing an older reference)."""
        name = self._name(customer_id)
        enrolled_at = self._clock()
        header = {
            "customer_id": customer_id,
            "enrolled_at": enrolled_at,
            "embedding": [float(x) for x in face.embedding],
            "box": [face.box.left, face.box.top, face.box.right, face.box.bottom],
            "eye_distance": face.measures.eye_distance,
            "sha256": hashlib.sha256(photo).hexdigest(),
        }
        encoded = json.dumps(header, separators=(",", ":")).encode()
        payload = struct.pack(">I", len(encoded)) + encoded + photo
        nonce = os.urandom(12)
        sealed = MAGIC + nonce + self._aead.encrypt(nonce, payload, MAGIC + name.encode())
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".ref-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(sealed)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.directory / f"{name}.ref")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Reference(
            customer_id, np.asarray(face.embedding, np.float64), enrolled_at, face.measures.eye_distance
        )

    def delete(self, customer_id: str) -> bool:
        """Remove a customer's reference; whether there was one."""
        path = self._path(customer_id)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    # --- reading ------------------------------------------------------------------------------------------

    def _open(self, customer_id: str) -> tuple[dict[str, Any], bytes]:
        name = self._name(customer_id)
        path = self.directory / f"{name}.ref"
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise UnknownReferenceError("no reference photo is enrolled for this customer") from None
        if len(sealed) < len(MAGIC) + 12 + 16 or not sealed.startswith(MAGIC):
            raise ReferenceIntegrityError("a reference file is damaged")
        nonce = sealed[len(MAGIC) : len(MAGIC) + 12]
        try:
            payload = self._aead.decrypt(nonce, sealed[len(MAGIC) + 12 :], MAGIC + name.encode())
        except InvalidTag:
            raise ReferenceIntegrityError(
                "a reference file fails authentication (wrong key or tampered)"
            ) from None
        (length,) = struct.unpack(">I", payload[:4])
        header = json.loads(payload[4 : 4 + length])
        if header.get("customer_id") != customer_id:
            raise ReferenceIntegrityError("a reference file belongs to another customer")
        return header, payload[4 + length :]

    def load(self, customer_id: str) -> Reference:
        """The customer's reference (embedding only; the photo stays encrypted)."""
        header, _photo = self._open(customer_id)
        embedding = np.asarray(header["embedding"], np.float64)
        if embedding.shape != (128,):
            raise ReferenceIntegrityError("a reference file holds a malformed embedding")
        return Reference(customer_id, embedding, float(header["enrolled_at"]), float(header["eye_distance"]))

    def photo(self, customer_id: str) -> bytes:
        """The enrolled photo's original bytes (for the teller's or auditor's view only)."""
        header, photo = self._open(customer_id)
        if hashlib.sha256(photo).hexdigest() != header.get("sha256"):
            raise ReferenceIntegrityError("a reference photo does not match its checksum")
        return photo

    def exists(self, customer_id: str) -> bool:
        """Whether the customer has a reference."""
        return self._path(customer_id).exists()
