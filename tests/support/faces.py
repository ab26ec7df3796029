"""Fixture face photographs for tests and benchmarks.

``face_path(name)`` returns a local path to one of the photos listed in ``PHOTOS``.

Where the photos come from, in order:

1. the shared fixtures folder beside the repository (``../shared/fixtures/faces``), present on our
   own machines and in CI; ``VIDEO_BANK_FACES_DIR`` (or the ``shared_dir`` argument) points elsewhere;
2. a cache inside the repository (``.cache/faces``, git-ignored; ``VIDEO_BANK_FACES_CACHE`` or the
   ``cache_dir`` argument point elsewhere);
3. the public package that ships the photo, fetched with ``pip download`` (or ``npm pack`` for the
   one npm package) into a temporary folder; the photo is checked against its known SHA-256 before it
   enters the cache.

``python -m tests.support.faces`` fetches every photo into the cache (the face-match calibration,
``python -m verification.match_calibration``, reads them from there).

Errors::

    FixturePhotoError
    ├── UnknownPhotoError     the name is not one of PHOTOS
    └── PhotoDownloadError    pip could not fetch the package (no network?) or the archive lacks
                              the photo or holds different bytes
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (this file lives in ``tests/support/``)."""

DEFAULT_SHARED_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "faces"
DEFAULT_CACHE_DIR = REPO_ROOT / ".cache" / "faces"
SHARED_DIR_ENV = "VIDEO_BANK_FACES_DIR"
CACHE_DIR_ENV = "VIDEO_BANK_FACES_CACHE"

PIP_TIMEOUT_SECONDS = 300


class FixturePhotoError(Exception):
    """Root of the errors raised by this module."""


class UnknownPhotoError(FixturePhotoError, LookupError):
    """The requested photo is not one we know how to obtain."""


class PhotoDownloadError(FixturePhotoError):
    """The package holding a photo could not be fetched, or did not hold the expected bytes."""


@dataclass(frozen=True, slots=True)
class PackageSource:
    """A public package that ships some of the photos."""

    requirement: str
    """What ``pip download`` is asked for, e.g. ``face-recognition==1.3.0``."""
    binary: bool
    """True to fetch a wheel (a zip), False to fetch the source distribution (a tar.gz)."""
    npm: bool = False
    """Fetched from the npm registry with ``npm pack`` (a .tgz) instead of PyPI."""


@dataclass(frozen=True, slots=True)
class Photo:
    """One fixture photo and where it lives inside its package."""

    source: PackageSource
    """The package that ships the photo."""
    member_suffix: str
    """The end of the photo's path inside the archive (sdists prefix it with ``name-version/``)."""
    sha256: str
    """Hex digest of the expected bytes (the same as the shared copy)."""


FACE_RECOGNITION = PackageSource("face-recognition==1.3.0", binary=False)
SCIKIT_IMAGE = PackageSource("scikit-image", binary=True)
INSIGHTFACE = PackageSource("insightface==2.1", binary=False)
FACE_API = PackageSource("@vladmandic/face-api@1.7.15", binary=True, npm=True)

PHOTOS: dict[str, Photo] = {
    "obama.jpg": Photo(
        FACE_RECOGNITION,
        "tests/test_images/obama.jpg",
        "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
    ),
    "obama2.jpg": Photo(
        FACE_RECOGNITION,
        "tests/test_images/obama2.jpg",
        "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
    ),
    "biden.jpg": Photo(
        FACE_RECOGNITION,
        "tests/test_images/biden.jpg",
        "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
    ),
    "astronaut.png": Photo(
        SCIKIT_IMAGE,
        "skimage/data/astronaut.png",
        "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    ),
    "t1.jpg": Photo(
        INSIGHTFACE,
        "insightface/data/images/t1.jpg",
        "47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489",
    ),
}
"""The fixture photos (the same as in ``../shared/fixtures/faces``), by file name."""

CALIBRATION_PHOTOS: dict[str, Photo] = {
    "obama3.jpg": Photo(
        FACE_RECOGNITION,
        "tests/test_images/obama3.jpg",
        "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
    ),
    "Tom_Hanks_54745.png": Photo(
        INSIGHTFACE,
        "insightface/data/images/Tom_Hanks_54745.png",
        "8545da294e8c7c79911169c3915fed8528f1960cd0ed99b92453788ca4275083",
    ),
    **{
        f"face-api-sample{n}.jpg": Photo(FACE_API, f"package/demo/sample{n}.jpg", digest)
        for n, digest in enumerate(
            (
                "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
                "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691",
                "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
                "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
                "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
                "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
            ),
            start=1,
        )
    },
}
"""More real faces from public packages, for the face-match calibration only (not in ``../shared``):
a third photo of Obama, Tom Hanks, and the six demo photos of @vladmandic/face-api (about twenty
people)."""

ALL_PHOTOS: dict[str, Photo] = {**PHOTOS, **CALIBRATION_PHOTOS}
"""Every photo ``face_path`` can return, by file name."""


def face_path(
    name: str,
    *,
    shared_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Return a local path to the fixture photo ``name``, fetching it once if needed."""
    try:
        photo = ALL_PHOTOS[name]
    except KeyError:
        raise UnknownPhotoError(f"unknown fixture photo {name!r}; known: {sorted(ALL_PHOTOS)}") from None

    shared = shared_dir if shared_dir is not None else _dir_from_env(SHARED_DIR_ENV, DEFAULT_SHARED_DIR)
    if (shared / name).is_file():
        return shared / name

    cache = cache_dir if cache_dir is not None else _dir_from_env(CACHE_DIR_ENV, DEFAULT_CACHE_DIR)
    cached = cache / name
    if not cached.is_file():
        _fill_cache(photo.source, cache)
    return cached


def _dir_from_env(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else default


def _fill_cache(source: PackageSource, cache: Path) -> None:
    """Fetch ``source`` once and cache every photo it ships."""
    wanted = {name: photo for name, photo in ALL_PHOTOS.items() if photo.source == source}
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vb-faces-") as tmp:
        archive = _pip_download(source, Path(tmp))
        for name, photo in wanted.items():
            data = _read_member(archive, photo.member_suffix)
            digest = hashlib.sha256(data).hexdigest()
            if digest != photo.sha256:
                raise PhotoDownloadError(
                    f"{photo.member_suffix} in {archive.name} has SHA-256 {digest}, expected {photo.sha256}"
                )
            _write_atomically(cache / name, data)


def _pip_download(source: PackageSource, dest: Path) -> Path:
    """Download the one archive of ``source`` into ``dest`` and return its path."""
    kind = ["--only-binary", ":all:"] if source.binary else ["--no-binary", ":all:"]
    if source.npm:
        command = ["npm", "pack", source.requirement, "--pack-destination", str(dest), "--silent"]
    else:
        command = _pip_command(source, kind, dest)
    try:
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise PhotoDownloadError(f"{command[0]} is not installed: cannot fetch {source.requirement}") from exc
    except subprocess.CalledProcessError as exc:
        last_lines = " | ".join(exc.stderr.strip().splitlines()[-3:])
        raise PhotoDownloadError(f"{command[0]} could not fetch {source.requirement}: {last_lines}") from exc
    except subprocess.TimeoutExpired as exc:
        raise PhotoDownloadError(f"fetching {source.requirement} took over {PIP_TIMEOUT_SECONDS} s") from exc
    archives = [p for p in dest.iterdir() if p.suffix in {".whl", ".gz", ".tgz"}]
    if len(archives) != 1:
        raise PhotoDownloadError(f"fetching {source.requirement} left {[p.name for p in archives]} in {dest}")
    return archives[0]


def _pip_command(source: PackageSource, kind: list[str], dest: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        *kind,
        "--dest",
        str(dest),
        source.requirement,
    ]
    return command


def _read_member(archive: Path, suffix: str) -> bytes:
    """Return the bytes of the one archive member whose path ends with ``/suffix`` (or is it)."""

    def matches(member: str) -> bool:
        return member == suffix or member.endswith("/" + suffix)

    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if matches(member):
                    return zf.read(member)
    else:
        with tarfile.open(archive, "r:gz") as tf:
            for info in tf:
                if info.isfile() and matches(info.name):
                    extracted = tf.extractfile(info)
                    if extracted is not None:
                        return extracted.read()
    raise PhotoDownloadError(f"{archive.name} holds no {suffix}")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` so that concurrent readers see either no file or the whole file."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


if __name__ == "__main__":
    for photo_name in ALL_PHOTOS:
        print(face_path(photo_name))
