"""The fixture photos: the shared copy when present, else the same bytes from public packages."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

from tests.support import faces
from tests.support.faces import (
    CACHE_DIR_ENV,
    DEFAULT_SHARED_DIR,
    PHOTOS,
    SHARED_DIR_ENV,
    PackageSource,
    PhotoDownloadError,
    UnknownPhotoError,
    face_path,
)

needs_shared = pytest.mark.skipif(
    not DEFAULT_SHARED_DIR.is_dir(), reason=f"no shared fixtures at {DEFAULT_SHARED_DIR} (a plain clone)"
)


@pytest.fixture(autouse=True)
def _no_location_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SHARED_DIR_ENV, raising=False)
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)


@pytest.fixture(scope="module")
def fetched_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache filled from the public packages, with the shared folder hidden (one fetch per run)."""
    cache = tmp_path_factory.mktemp("faces-cache")
    hidden_shared = cache.parent / "no-shared-here"
    try:
        for name in PHOTOS:
            face_path(name, shared_dir=hidden_shared, cache_dir=cache)
    except PhotoDownloadError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"cannot fetch the fixture packages with pip (no network?): {exc}")
    return cache


@needs_shared
def test_shared_photos_are_used_when_present() -> None:
    for name in PHOTOS:
        assert face_path(name) == DEFAULT_SHARED_DIR / name


def test_fetched_photos_have_the_expected_bytes(fetched_cache: Path) -> None:
    for name, photo in PHOTOS.items():
        data = (fetched_cache / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == photo.sha256, name


@needs_shared
def test_fetched_photos_equal_the_shared_ones_byte_for_byte(fetched_cache: Path) -> None:
    for name in PHOTOS:
        assert (fetched_cache / name).read_bytes() == (DEFAULT_SHARED_DIR / name).read_bytes(), name


def test_cached_photos_are_not_fetched_again(
    fetched_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(source: PackageSource, dest: Path) -> Path:
        raise AssertionError(f"fetched {source.requirement} although it is cached")

    monkeypatch.setattr(faces, "_pip_download", no_network)
    monkeypatch.setenv(SHARED_DIR_ENV, str(tmp_path / "no-shared-here"))
    monkeypatch.setenv(CACHE_DIR_ENV, str(fetched_cache))
    assert face_path("biden.jpg") == fetched_cache / "biden.jpg"


def test_environment_points_at_another_shared_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "t1.jpg").write_bytes(b"any bytes: the shared folder is trusted as is")
    monkeypatch.setenv(SHARED_DIR_ENV, str(tmp_path))
    assert face_path("t1.jpg") == tmp_path / "t1.jpg"


def test_unknown_photo_is_refused() -> None:
    with pytest.raises(UnknownPhotoError, match="unknown fixture photo"):
        face_path("nobody.jpg")


def test_package_holding_different_bytes_is_refused_and_nothing_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tampered_sdist(source: PackageSource, dest: Path) -> Path:
        archive = dest / "face_recognition-1.3.0.tar.gz"
        with tarfile.open(archive, "w:gz") as tf:
            for name in ("obama.jpg", "obama2.jpg", "biden.jpg"):
                data = b"not the photo"
                info = tarfile.TarInfo(f"face_recognition-1.3.0/tests/test_images/{name}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return archive

    monkeypatch.setattr(faces, "_pip_download", tampered_sdist)
    cache = tmp_path / "cache"
    with pytest.raises(PhotoDownloadError, match="SHA-256"):
        face_path("obama.jpg", shared_dir=tmp_path / "no-shared-here", cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_package_without_the_photo_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def empty_sdist(source: PackageSource, dest: Path) -> Path:
        archive = dest / "insightface-2.1.tar.gz"
        with tarfile.open(archive, "w:gz"):
            pass
        return archive

    monkeypatch.setattr(faces, "_pip_download", empty_sdist)
    with pytest.raises(PhotoDownloadError, match="holds no insightface/data/images/t1\\.jpg"):
        face_path("t1.jpg", shared_dir=tmp_path / "no-shared-here", cache_dir=tmp_path / "cache")
