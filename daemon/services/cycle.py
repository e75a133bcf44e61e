"""One full cycle of the service: poll and ingest everything new (sending comes later)."""

from __future__ import annotations

from datetime import datetime

from daemon.bootstrap import App
from daemon.services.ingest import IngestResult, ingest_new


def run_once(app: App, now: datetime) -> list[IngestResult]:
    """Poll the mailbox and ingest every new message, as of `now`."""
    return ingest_new(app.config, app.source, app.store, app.archive, now)
