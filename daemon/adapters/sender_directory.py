"""The directory sender: each mail becomes an .eml file in a folder (the embedded default).

The file is named after the mail's ledger key, so delivering a mail again after
a crash replaces the file with the same bytes: the folder holds it exactly once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from daemon.adapters.files import write_atomically
from daemon.errors import TransientSendError
from daemon.ports import OutgoingMail


def file_name(key: str) -> str:
    """A readable, safe, unique file name for a ledger key."""
    readable = re.sub(r"[^A-Za-z0-9.-]+", "-", key.split("<")[0]).strip("-")[:80]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{readable}-{digest}.eml"


class DirectorySender:
    """Writes each mail atomically to `<path>/<key-derived name>.eml`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, mail: OutgoingMail) -> None:
        target = self.path / file_name(mail.key)
        try:
            write_atomically(target, mail.content)
        except OSError as exc:
            # A full or read-only disk may be put right; try again later.
            raise TransientSendError(f"cannot write {target}: {exc.strerror or exc}") from exc
