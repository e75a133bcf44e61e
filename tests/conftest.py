"""Shared fixtures: a small zone on disk with a real config file, Maildir and database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from daemon.bootstrap import App, build_app
from daemon.config import Config, load_config
from daemon.testing import make_maildir

# Servers for the integration tests: a real Dovecot (servers.py), a real SMTP server
# (smtp_server.py), and an EWS endpoint serving recorded responses (ews_server.py).
pytest_plugins = ["servers", "smtp_server", "ews_server"]

IST = ZoneInfo("Asia/Kolkata")

ZONE_CONFIG = """\
zone:
  name: Test Zone
  timezone: Asia/Kolkata
  admins: [compliance-cell@example.gov.in]
mailbox: {backend: maildir, path: mailbox}
outgoing: {backend: directory, path: outbox, from: Cell <compliance-cell@example.gov.in>}
storage: {database: var/anupalan.db, archive: var/archive}
units:
  - {id: chennai-north, name: Chennai North, emails: [ccu-chennai-north@example.gov.in],
     strength: 10, aliases: [CHN North]}
  - {id: chennai-south, name: Chennai South, emails: [ccu-chennai-south@example.gov.in],
     strength: 8}
  - {id: coimbatore, name: Coimbatore, emails: [ccu-coimbatore@example.gov.in], strength: 6}
  - {id: coimbatore-audit, name: Coimbatore Audit, emails: [ccu-cbe-audit@example.gov.in],
     strength: 4, aliases: [CBE Audit]}
campaigns:
  - id: emerging-tech-l1
    title: Level-1 Online Course on Emerging Technologies
    format: unit-completion-report
    keywords: [emerging technologies, level-1]
    unit_deadline: 2023-04-30
    upstream:
      to: [nacin-igot@example.nic.in]
      format: zonal-completion-report
      send_at: 2023-05-04 11:00
"""


def at(day: int, hour: int = 10, month: int = 4) -> datetime:
    """A time in April 2023, Indian Standard Time."""
    return datetime(2023, month, day, hour, 0, tzinfo=IST)


@dataclass
class Zone:
    """A zone set up on disk: its config file and where its mail arrives."""

    root: Path
    config_path: Path

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    @property
    def mailbox(self) -> Path:
        return self.root / "mailbox"

    def deliver(self, *messages: bytes) -> None:
        make_maildir(self.mailbox, messages)


@pytest.fixture
def zone(tmp_path: Path) -> Zone:
    config_path = tmp_path / "config.yaml"
    config_path.write_text(ZONE_CONFIG, encoding="utf-8")
    make_maildir(tmp_path / "mailbox")
    return Zone(tmp_path, config_path)


@pytest.fixture
def app(zone: Zone) -> Iterator[App]:
    application = build_app(zone.config)
    yield application
    application.close()
