"""`anupalan run`: the cycle on a schedule until told to stop.

APScheduler only decides *when* a cycle runs: on the poll interval, and at the
next time the reconciler says something falls due. Missed runs are coalesced
into one, so a laptop waking from sleep or a restart does not flood anyone.
"""

from __future__ import annotations

import threading
from datetime import datetime

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from daemon.bootstrap import App
from daemon.errors import AnupalanError
from daemon.services.cycle import run_once

log = structlog.get_logger("anupalan.service")

MISFIRE_GRACE_SECONDS = 6 * 3600


def run_forever(app: App, stop: threading.Event) -> None:
    """Run cycles until `stop` is set; the cycle in progress is finished first."""
    tz = app.config.zone.tzinfo
    scheduler = BackgroundScheduler(
        timezone=tz,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    one_at_a_time = threading.Lock()
    wanted = threading.Event()  # a cycle has been asked for since the last one began

    def cycle() -> None:
        wanted.set()
        if not one_at_a_time.acquire(blocking=False):
            return  # the cycle running now sees `wanted` and goes round again
        try:
            while wanted.is_set() and not stop.is_set():
                wanted.clear()
                _one_cycle()
        finally:
            one_at_a_time.release()

    def _one_cycle() -> None:
        now = datetime.now(tz)
        try:
            report = run_once(app, now)
            log.info(
                "cycle_done",
                ingested=len(report.ingested),
                queued=len(report.queued),
                delivered=sum(d.outcome == "sent" for d in report.delivered),
            )
            upcoming = report.next_tick
        except AnupalanError as exc:
            # The mailbox or the disk may recover by the next poll; keep running.
            log.error("cycle_failed", error=str(exc))
            return
        if upcoming is not None:
            scheduler.add_job(
                cycle, DateTrigger(upcoming, timezone=tz), id="tick", replace_existing=True
            )
            log.info("next_tick", at=upcoming.isoformat())

    interval = app.config.service.poll_interval
    scheduler.add_job(
        cycle,
        IntervalTrigger(seconds=interval, timezone=tz),
        id="poll",
        next_run_time=datetime.now(tz),
    )
    scheduler.start()
    log.info("service_started", poll_interval=interval)
    if app.watcher is not None:
        # New mail (IMAP IDLE) runs a cycle at once instead of waiting for the next poll.
        watcher = threading.Thread(
            target=app.watcher.watch,
            args=(stop, lambda: scheduler.add_job(cycle, id="new-mail", replace_existing=True)),
            name="mail-watcher",
            daemon=True,
        )
        watcher.start()
    stop.wait()
    scheduler.shutdown(wait=True)
    log.info("service_stopped")
