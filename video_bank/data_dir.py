"""The data directory holds personal data at rest (the database and its WAL, records, keys, reference
photos): only the service's own user may read it.

:func:`secure_data_dir` creates it with mode 0700 (or narrows an existing one to 0700, which alone
keeps every other user out of everything inside) and narrows the database files to 0600; the
command line also sets the process umask to 0077 (:data:`UMASK`) so that every file the service
creates later is 0600 and every directory 0700, whoever creates it (SQLite's WAL and shared-memory
files take the database file's mode).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
UMASK = 0o077


def secure_data_dir(path: Path, private_files: tuple[Path, ...] = ()) -> None:
    """Create ``path`` (mode 0700) or narrow it to 0700; narrow ``private_files`` that exist to 0600."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    for file in private_files:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(file, FILE_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty file with mode 0600 if it does not exist yet (before a library opens it)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
