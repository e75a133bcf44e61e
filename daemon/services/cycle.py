"""One full cycle of the service: poll and ingest, queue what is due, deliver."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import structlog

from daemon.bootstrap import App
from daemon.errors import MailboxError, StorageError
from daemon.services.health import record_poll_failure, record_poll_ok
from daemon.services.ingest import IngestResult, ingest_new
from daemon.services.notify import Draft, queue_due
from daemon.services.outbox import Delivery, checkpoint, deliver_due

log = structlog.get_logger("anupalan.cycle")


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did."""

    ingested: list[IngestResult] = field(default_factory=list)
    queued: list[Draft] = field(default_factory=list)
    delivered: list[Delivery] = field(default_factory=list)
    poll_error: str | None = None
    next_tick: datetime | None = None  # when something is next due to be sent


def run_once(app: App, now: datetime) -> CycleReport:
    """Ingest every new message, queue every mail due at `now`, deliver what is queued.

    A mailbox that cannot be read does not stop the rest: what is already stored
    is still answered, reminders still go, and the failure is recorded for the
    digest and `status`.
    """
    poll_error = None
    queued: list[Draft] = []
    delivered: list[Delivery] = []

    def answer() -> datetime | None:
        """Queue and send what is due: during a long poll, the replies stored so far."""
        tick = queue_due(app, now)
        queued.extend(tick.drafts)
        checkpoint("after-queue")
        delivered.extend(deliver_due(app.store, app.sender, now))
        return tick.next_at

    try:
        ingested = ingest_new(app.config, app.source, app.store, app.archive, now, answer)
    except (MailboxError, StorageError) as exc:
        poll_error = str(exc)
        ingested = []
        log.error("poll_failed", error=poll_error)
        record_poll_failure(app.store, now, poll_error)
    else:
        failed = [r for r in ingested if r.outcome == "failed"]
        if failed:
            poll_error = f"{len(failed)} message(s) could not be ingested: " + "; ".join(
                f"{r.key}: {r.reason}" for r in failed
            )
            record_poll_failure(app.store, now, poll_error)
        else:
            record_poll_ok(app.store, now)
    finally:
        app.source.close()
    next_tick = answer()
    return CycleReport(ingested, queued, delivered, poll_error, next_tick)
