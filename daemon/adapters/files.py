"""Atomic file writes: readers see the old file or all of the new one, even after a power cut."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename it over.

    Raises OSError; callers say what it means for them.
    """
    make_directory(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)  # the rename itself must reach the disk


def make_directory(directory: Path) -> None:
    """Create `directory` and any missing parents, each new entry flushed to disk."""
    if directory.is_dir():
        return
    make_directory(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:
        return  # made meanwhile by another process
    _sync_directory(directory.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
