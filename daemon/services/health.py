"""Whether the service itself is well: when the mailbox was last read, and what went wrong since.

A service that cannot read its mailbox must say so loudly (in the digest and in
`status`), or a wrong password would look like a quiet week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.adapters.store_sql import SqlStore

_KEY = "service"  # the sync-state namespace of the service's own health


@dataclass(frozen=True)
class PollHealth:
    """The outcome of the recent polls of the mailbox."""

    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int  # consecutive failed polls
    failing_since: datetime | None = None  # the first of them

    @property
    def failing(self) -> bool:
        return self.failures > 0


def record_poll_ok(store: SqlStore, now: datetime) -> None:
    store.set_sync_value(_KEY, "poll_ok_at", now.isoformat())
    store.set_sync_value(_KEY, "poll_failures", "0")


def record_poll_failure(store: SqlStore, now: datetime, error: str) -> None:
    failures = int(store.sync_value(_KEY, "poll_failures") or 0) + 1
    store.set_sync_value(_KEY, "poll_failures", str(failures))
    if failures == 1:
        store.set_sync_value(_KEY, "poll_failing_since", now.isoformat())
    store.set_sync_value(_KEY, "poll_error", error)
    store.set_sync_value(_KEY, "poll_error_at", now.isoformat())


def poll_health(store: SqlStore) -> PollHealth:
    def when(name: str) -> datetime | None:
        value = store.sync_value(_KEY, name)
        return datetime.fromisoformat(value) if value else None

    failures = int(store.sync_value(_KEY, "poll_failures") or 0)
    return PollHealth(
        last_ok_at=when("poll_ok_at"),
        last_error=store.sync_value(_KEY, "poll_error") if failures else None,
        last_error_at=when("poll_error_at") if failures else None,
        failures=failures,
        # a run of failures begun before the first was recorded: its latest is what is known
        failing_since=(when("poll_failing_since") or when("poll_error_at")) if failures else None,
    )
