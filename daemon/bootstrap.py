"""The one place that builds adapters from configuration. Nothing connects until used."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from daemon.adapters.archive import Archive
from daemon.adapters.lock import InstanceLock
from daemon.adapters.mailbox_maildir import MaildirMailSource
from daemon.adapters.sender_directory import DirectorySender
from daemon.adapters.store_sql import SqlStore
from daemon.adapters.templates import MailTemplates
from daemon.config import (
    Config,
    DirectoryOutgoing,
    ExchangeMailbox,
    ExchangeOutgoing,
    ImapMailbox,
    MaildirMailbox,
)
from daemon.ports import MailSender, MailSource


class MailWatcher(Protocol):
    """Something that can tell, between polls, that new mail has arrived (IMAP IDLE)."""

    def watch(self, stop: threading.Event, on_mail: Callable[[], None]) -> None: ...


@dataclass
class App:
    """The configured service: its settings and its adapters."""

    config: Config
    store: SqlStore
    archive: Archive
    source: MailSource
    sender: MailSender
    templates: MailTemplates
    watcher: MailWatcher | None = None

    def lock(self) -> InstanceLock:
        """The lock that keeps a second sending process off this database."""
        database = self.config.storage.database
        return InstanceLock(Path(f"{database}.lock"))

    def close(self) -> None:
        self.source.close()
        self.store.close()


def build_app(config: Config) -> App:
    source, watcher = _mailbox(config)
    return App(
        config=config,
        store=SqlStore.open_sqlite(config.storage.database),
        archive=Archive(config.storage.archive),
        source=source,
        sender=_sender(config),
        templates=MailTemplates(config.outgoing.templates),
        watcher=watcher,
    )


def _mailbox(config: Config) -> tuple[MailSource, MailWatcher | None]:
    mailbox = config.mailbox
    if isinstance(mailbox, MaildirMailbox):
        return MaildirMailSource(mailbox.path, mailbox.identity), None
    if isinstance(mailbox, ExchangeMailbox):
        from daemon.adapters.mailbox_exchange import ExchangeMailSource

        return ExchangeMailSource(mailbox), None
    from daemon.adapters.mailbox_imap import ImapIdleWatcher, ImapMailSource

    start = min(c.opens for c in config.campaigns)
    return ImapMailSource(mailbox, start), ImapIdleWatcher(mailbox) if mailbox.idle else None


def _sender(config: Config) -> MailSender:
    outgoing = config.outgoing
    if isinstance(outgoing, DirectoryOutgoing):
        return DirectorySender(outgoing.path)
    if isinstance(outgoing, ExchangeOutgoing):
        from daemon.adapters.sender_exchange import ExchangeSender

        return ExchangeSender(outgoing)
    from daemon.adapters.sender_smtp import SmtpSender

    copy_to_sent = None
    if outgoing.save_to_sent and isinstance(config.mailbox, ImapMailbox):
        from daemon.adapters.mailbox_imap import ImapSentFolder

        copy_to_sent = ImapSentFolder(config.mailbox, outgoing.sent_folder).append
    return SmtpSender(outgoing, copy_to_sent=copy_to_sent)
