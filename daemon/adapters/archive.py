"""The raw-message archive: every message, byte for byte, filed under its SHA-256.

A message is archived before anything else is done with it, so whatever
happens later it can be read again. Writing the same message twice is a no-op.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from daemon.adapters.files import write_atomically
from daemon.errors import StorageError


class Archive:
    """Content-addressed files: `<root>/ab/abcd....eml`.

    Archives once had a second level of folders (`<root>/ab/cd/abcd....eml`):
    in a young archive nearly every message made a new folder, a flush to disk
    of its own. Messages filed that way are still found where they are.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.eml"

    def _filed(self, sha256: str) -> Path:
        """Where the message is, in either layout (the current one if it is in neither)."""
        path = self.path_for(sha256)
        if not path.exists():
            earlier = self.root / sha256[:2] / sha256[2:4] / f"{sha256}.eml"
            if earlier.exists():
                return earlier
        return path

    def store(self, raw: bytes) -> tuple[str, Path]:
        """Write the message durably unless it is already there; return its hash and path."""
        sha256 = hashlib.sha256(raw).hexdigest()
        path = self._filed(sha256)
        if path.exists() and path.stat().st_size == len(raw):
            return sha256, path
        path = self.path_for(sha256)
        try:
            write_atomically(path, raw)
        except OSError as exc:
            raise StorageError(
                f"cannot archive message in {self.root}: {exc.strerror or exc}"
            ) from exc
        return sha256, path

    def load(self, sha256: str) -> bytes:
        try:
            return self._filed(sha256).read_bytes()
        except OSError as exc:
            raise StorageError(f"archived message {sha256} cannot be read: {exc}") from exc
