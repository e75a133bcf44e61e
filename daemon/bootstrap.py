"""The one place that builds adapters from configuration. Nothing connects until used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daemon.adapters.archive import Archive
from daemon.adapters.lock import InstanceLock
from daemon.adapters.mailbox_maildir import MaildirMailSource
from daemon.adapters.sender_directory import DirectorySender
from daemon.adapters.store_sql import SqlStore
from daemon.adapters.templates import MailTemplates
from daemon.config import Config
from daemon.ports import MailSender, MailSource


@dataclass
class App:
    """The configured service: its settings and its adapters."""

    config: Config
    store: SqlStore
    archive: Archive
    source: MailSource
    sender: MailSender
    templates: MailTemplates

    def lock(self) -> InstanceLock:
        """The lock that keeps a second sending process off this database."""
        database = self.config.storage.database
        return InstanceLock(Path(f"{database}.lock"))

    def close(self) -> None:
        self.store.close()


def build_app(config: Config) -> App:
    mailbox = config.mailbox
    return App(
        config=config,
        store=SqlStore.open_sqlite(config.storage.database),
        archive=Archive(config.storage.archive),
        source=MaildirMailSource(mailbox.path, mailbox.identity),
        sender=DirectorySender(config.outgoing.path),
        templates=MailTemplates(config.outgoing.templates),
    )
