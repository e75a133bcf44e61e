"""Deliver what the ledger holds: each planned mail is sent, then marked sent.

A crash between sending and marking leaves the mail planned, and it is sent
again with the same bytes and Message-ID: the one case where a recipient may
see a mail twice is an outcome that was genuinely unknown. Transient failures
are retried with exponential back-off; permanent ones are marked failed and
reported in the digest and in `status`.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from daemon.adapters.store_sql import SqlStore
from daemon.errors import PermanentSendError, TransientSendError
from daemon.ports import MailSender, OutgoingMail

log = structlog.get_logger("anupalan.outbox")

FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
MAX_ATTEMPTS = 12  # about six hours of trying before a mail is given up as failed

# Crash tests name a checkpoint here to have the process stop there and wait to be killed.
PAUSE_ENV = "ANUPALAN_TEST_PAUSE_AT"


def checkpoint(name: str) -> None:
    """Pause forever at `name` if a crash test asked for it (does nothing otherwise)."""
    if os.environ.get(PAUSE_ENV) == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)


@dataclass(frozen=True)
class Delivery:
    """What became of one delivery attempt."""

    key: str
    kind: str
    outcome: str  # "sent" | "retry" | "failed"
    error: str | None = None


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 1, 2, 4 ... minutes, at most an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_WAIT)


def deliver_due(store: SqlStore, sender: MailSender, now: datetime) -> list[Delivery]:
    """Try every planned mail whose time has come, oldest first."""
    results = []
    for mail in store.deliverable(now):
        outgoing = OutgoingMail(
            key=mail.key,
            message_id=mail.message_id,
            sender=mail.sender or "",
            recipients=mail.recipients,
            content=store.mail_content(mail.key),
        )
        try:
            checkpoint("before-send")
            sender.send(outgoing)
        except PermanentSendError as exc:
            store.mark_failed(mail.key, str(exc))
            results.append(Delivery(mail.key, mail.kind, "failed", str(exc)))
        except TransientSendError as exc:
            attempts = mail.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                store.mark_failed(mail.key, f"gave up after {attempts} attempts: {exc}")
                results.append(Delivery(mail.key, mail.kind, "failed", str(exc)))
            else:
                store.mark_retry(mail.key, str(exc), now + retry_delay(attempts))
                results.append(Delivery(mail.key, mail.kind, "retry", str(exc)))
        else:
            checkpoint("after-send")
            store.mark_sent(mail.key, now)
            results.append(Delivery(mail.key, mail.kind, "sent"))
        last = results[-1]
        log.info(
            "mail_delivery", mail=last.key, kind=last.kind, outcome=last.outcome, error=last.error
        )
    return results
