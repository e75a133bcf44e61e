"""Errors anupalan raises, grouped by cause under one base class.

Third-party exceptions are translated into these at the adapter boundary so
that the services and the command line deal with one family only.
"""

from __future__ import annotations

from dataclasses import dataclass


class AnupalanError(Exception):
    """Base class of every error anupalan raises on purpose."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a configuration file: where it is and what is wrong."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"


class ConfigError(AnupalanError):
    """The configuration file is missing, malformed or inconsistent."""

    def __init__(self, file: str, issues: list[ConfigIssue]) -> None:
        self.file = file
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{file}: {len(issues)} problem(s)\n{lines}")


class UnreadableFile(AnupalanError):
    """An attachment cannot be read as a report; `reason` says why in a clerk's words."""

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")


class StorageError(AnupalanError):
    """The database or the archive could not be read or written."""


class MailboxError(AnupalanError):
    """The mailbox could not be reached or read."""


class MailboxLoginError(MailboxError):
    """The mail server refused the login: wrong password, expired token, account locked."""


class UsageError(AnupalanError):
    """The command was given arguments it cannot act on."""


class SendError(AnupalanError):
    """A mail could not be delivered."""


class TransientSendError(SendError):
    """Delivery failed for now (server busy, network down); it is tried again later."""


class PermanentSendError(SendError):
    """Delivery can never succeed as it stands (recipient refused, message rejected)."""


class TemplateError(AnupalanError):
    """A mail template is missing or does not render."""


class AlreadyRunning(AnupalanError):
    """Another anupalan process holds the lock on this database."""
