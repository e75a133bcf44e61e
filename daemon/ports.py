"""The ports: what the services need from the world, named for their role."""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class IncomingMessage:
    """One message as a mailbox holds it: the mailbox's own id for it, and its bytes."""

    item: str
    raw: bytes


class SyncState(Protocol):
    """Named values a mail source keeps between polls (UIDVALIDITY, where its first run began)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


class MailSource(Protocol):
    """A mailbox that unit replies arrive in."""

    @property
    def identity(self) -> str:
        """A stable name for this mailbox, under which its sync state is kept."""
        ...

    def new_messages(self, seen: Container[str], state: SyncState) -> Iterator[IncomingMessage]:
        """Messages whose item id is not in `seen`, oldest first.

        Reading marks nothing: a message counts as ingested only once it is
        stored, and one that fails is offered again at the next poll.
        """
        ...

    def processed(self, item: str) -> None:
        """Called once the message is durably stored: flag or move it, if so configured."""
        ...

    def waiting(self, seen: Container[str], state: SyncState) -> list[datetime] | None:
        """When each message not yet ingested arrived, for the health check; None if unknown."""
        ...

    def close(self) -> None:
        """Let go of any connection."""
        ...


@dataclass(frozen=True)
class OutgoingMail:
    """A rendered mail ready for delivery: its envelope and its bytes."""

    key: str
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    content: bytes


class MailSender(Protocol):
    """Delivers mail: raises TransientSendError to be retried, PermanentSendError to give up.

    Delivering the same mail again (same key and Message-ID) must be safe: after a
    crash the outcome of the last attempt may be unknown, and it is repeated.
    """

    def send(self, mail: OutgoingMail) -> None: ...
