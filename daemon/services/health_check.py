"""`anupalan health`: is the service doing its job? One answer, with the reasons when not.

Unhealthy when the mailbox has not been read for several poll intervals, when
mails cannot be delivered, or when mail in the mailbox has waited longer than
a poll or two without being ingested. The same answer backs the container's
HEALTHCHECK and the optional /healthz endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from daemon.adapters.http_status import ServiceFigures
from daemon.bootstrap import App
from daemon.core.clock import moment
from daemon.errors import AnupalanError
from daemon.services.health import poll_health

# A mail that failed this recently still makes the service unhealthy.
FAILED_MAIL_WINDOW = timedelta(hours=24)
# A mail still being retried after this many attempts means delivery is failing.
RETRYING_ATTEMPTS = 3


@dataclass(frozen=True)
class HealthReport:
    """The verdict, the reasons for it, and the figures behind it."""

    reasons: list[str] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.reasons


def check_health(app: App, now: datetime, look_in_mailbox: bool = True) -> HealthReport:
    config = app.config
    interval = timedelta(seconds=config.service.poll_interval)
    limit = interval * config.service.health_poll_intervals
    reasons: list[str] = []
    facts: dict[str, object] = {}

    poll = poll_health(app.store)
    facts["last_read_at"] = poll.last_ok_at.isoformat() if poll.last_ok_at else None
    if poll.failing:
        reasons.append(
            f"the mailbox cannot be read ({poll.failures} failed poll(s)): {poll.last_error}"
        )
    if poll.last_ok_at is None:
        reasons.append("the mailbox has never been read")
    elif now - poll.last_ok_at > limit:
        last_read = moment(poll.last_ok_at, config.zone.tzinfo)
        reasons.append(
            f"the mailbox was last read at {last_read}, more than "
            f"{config.service.health_poll_intervals} poll intervals ago: is the service running?"
        )

    mails = app.store.unsent_mails()
    failed = [
        m
        for m in mails
        if m.state == "failed" and (m.sent_at or m.planned_at) > now - FAILED_MAIL_WINDOW
    ]
    retrying = [m for m in mails if m.state == "planned" and m.attempts >= RETRYING_ATTEMPTS]
    facts["mails_failed_recently"] = len(failed)
    facts["mails_retrying"] = len(retrying)
    if failed:
        reasons.append(f"{len(failed)} mail(s) could not be delivered: {failed[-1].last_error}")
    if retrying:
        reasons.append(
            f"{len(retrying)} mail(s) are still being retried: {retrying[-1].last_error}"
        )

    if look_in_mailbox and not poll.failing:
        try:
            waiting = app.source.waiting(
                app.store.seen_items(app.source.identity), app.store.sync_state(app.source.identity)
            )
        except AnupalanError as exc:
            reasons.append(f"the mailbox cannot be read: {exc}")
        else:
            if waiting is not None:
                overdue = [t for t in waiting if now - t > 2 * interval]
                facts["messages_waiting"] = len(waiting)
                if overdue:
                    reasons.append(
                        f"{len(overdue)} message(s) in the mailbox have waited more than two poll"
                        " intervals without being ingested"
                    )
        finally:
            app.source.close()
    return HealthReport(reasons, facts)


def service_figures(app: App, now: datetime) -> ServiceFigures:
    """The figures /metrics serves, read from the database."""
    counts = app.store.counts()
    last = poll_health(app.store).last_ok_at
    return ServiceFigures(
        messages={k[0]: v for k, v in counts["messages"].items()},
        submissions={k[0]: v for k, v in counts["submissions"].items()},
        problems=sum(counts["problems"].values()),
        mails={(k[0], k[1]): v for k, v in counts["mails"].items()},
        seconds_since_last_poll=(now - last).total_seconds() if last else None,
    )
