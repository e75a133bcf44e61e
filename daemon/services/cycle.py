"""One full cycle of the service: poll and ingest, queue what is due, deliver."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from daemon.bootstrap import App
from daemon.services.ingest import IngestResult, ingest_new
from daemon.services.notify import Draft, queue_due
from daemon.services.outbox import Delivery, checkpoint, deliver_due


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did."""

    ingested: list[IngestResult] = field(default_factory=list)
    queued: list[Draft] = field(default_factory=list)
    delivered: list[Delivery] = field(default_factory=list)


def run_once(app: App, now: datetime) -> CycleReport:
    """Ingest every new message, queue every mail due at `now`, deliver what is queued."""
    ingested = ingest_new(app.config, app.source, app.store, app.archive, now)
    queued = queue_due(app, now)
    checkpoint("after-queue")
    delivered = deliver_due(app.store, app.sender, now)
    return CycleReport(ingested, queued, delivered)
