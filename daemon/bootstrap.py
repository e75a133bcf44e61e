"""The one place that builds adapters from configuration. Nothing connects until used."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.adapters.archive import Archive
from daemon.adapters.mailbox_maildir import MaildirMailSource
from daemon.adapters.store_sql import SqlStore
from daemon.config import Config
from daemon.ports import MailSource


@dataclass
class App:
    """The configured service: its settings and its adapters."""

    config: Config
    store: SqlStore
    archive: Archive
    source: MailSource

    def close(self) -> None:
        self.store.close()


def build_app(config: Config) -> App:
    mailbox = config.mailbox
    return App(
        config=config,
        store=SqlStore.open_sqlite(config.storage.database),
        archive=Archive(config.storage.archive),
        source=MaildirMailSource(mailbox.path, mailbox.identity),
    )
