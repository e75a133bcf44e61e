"""Maildir as a mail source: for offline use, the demo and tests. Read only."""

from __future__ import annotations

import contextlib
import mailbox
from collections.abc import Container, Iterator
from datetime import UTC, datetime
from pathlib import Path

from daemon.errors import MailboxError
from daemon.ports import IncomingMessage, SyncState


class MaildirMailSource:
    """Reads a Maildir (new/ and cur/) without moving, flagging or deleting anything."""

    def __init__(self, path: Path, identity: str | None = None) -> None:
        self.path = path
        self._identity = identity or f"maildir:{path}"

    @property
    def identity(self) -> str:
        return self._identity

    def new_messages(self, seen: Container[str], state: SyncState) -> Iterator[IncomingMessage]:
        if not (self.path / "new").is_dir() or not (self.path / "cur").is_dir():
            raise MailboxError(f"{self.path} is not a Maildir (it needs new/ and cur/ folders)")
        box = mailbox.Maildir(self.path, factory=None, create=False)
        # Maildir keys begin with the delivery time, so their order is arrival order.
        for key in sorted(box.keys()):
            if key in seen:
                continue
            try:
                raw = box.get_bytes(key)
            except (KeyError, FileNotFoundError):
                continue  # moved or deleted by a mail client since the listing: seen next time
            except OSError as exc:
                raise MailboxError(f"cannot read message {key} in {self.path}: {exc}") from exc
            yield IncomingMessage(item=key, raw=raw)

    def processed(self, item: str) -> None:
        """A Maildir is never modified."""

    def close(self) -> None:
        """There is no connection to close."""

    def waiting(self, seen: Container[str], state: SyncState) -> list[datetime] | None:
        """Delivery times (file times) of the messages not ingested yet."""
        if not (self.path / "new").is_dir() or not (self.path / "cur").is_dir():
            raise MailboxError(f"{self.path} is not a Maildir (it needs new/ and cur/ folders)")
        times = []
        for folder in ("new", "cur"):
            for entry in (self.path / folder).iterdir():
                if entry.name.startswith(".") or entry.name.split(":")[0] in seen:
                    continue
                with contextlib.suppress(FileNotFoundError):  # taken away meanwhile
                    times.append(datetime.fromtimestamp(entry.stat().st_mtime, UTC))
        return times
