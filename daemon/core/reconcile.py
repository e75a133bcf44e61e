"""The reconciler: given the stored state and `now`, which mails should exist?

The service asks this at every tick and queues only what the ledger of planned
mails does not hold yet, so a crash, a restart or `once --now T` all lead to
the same mails for the same state. Every mail has a deterministic key; the key
is what makes it go out at most once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from daemon.core.compliance import UnitCompliance

Kind = Literal["ack", "rejection", "reminder", "escalation", "upstream", "digest"]

# Review reasons that the unit itself must put right, and so are answered with a rejection.
UNIT_FIXABLE = frozenset({"unreadable", "no_attachment", "no_spreadsheet"})
# A digest whose time passed longer ago than this is skipped rather than sent late.
DIGEST_GRACE = timedelta(hours=12)
# Digests go on this long after the upstream report, so the administrators see the close.
DIGEST_AFTER_UPSTREAM = timedelta(days=7)


@dataclass(frozen=True)
class Step:
    """A reminder step: days from the unit deadline and a time of day."""

    spec: str
    offset_days: int
    at: time


@dataclass(frozen=True)
class CampaignPlan:
    """What the reconciler needs to know of a campaign's calendar."""

    id: str
    unit_deadline: date
    steps: tuple[Step, ...]
    escalate_after: int
    upstream_send_at: datetime  # aware
    digest_cron: str
    tz: ZoneInfo
    resend_until: date | None = None  # a correction re-sends the upstream report until then

    def step_due(self, step: Step) -> datetime:
        day = self.unit_deadline + timedelta(days=step.offset_days)
        return datetime.combine(day, step.at, tzinfo=self.tz)

    @property
    def digest_until(self) -> datetime:
        return self.upstream_send_at + DIGEST_AFTER_UPSTREAM


@dataclass(frozen=True)
class UnitContact:
    """Whether a unit can be written to."""

    unit_id: str
    has_address: bool


@dataclass(frozen=True)
class StoredMessage:
    """A stored message, as far as answering it is concerned."""

    key: str
    campaign_id: str | None
    unit_id: str | None
    outcome: str  # "accepted" | "needs_review"
    review: str | None  # why it is held, for needs_review
    attribution: str | None
    received_at: datetime


@dataclass(frozen=True)
class LedgerEntry:
    """A mail already planned (whatever became of it)."""

    key: str
    kind: str
    campaign_id: str | None
    unit_id: str | None
    state: str  # "planned" | "sent" | "failed"


@dataclass(frozen=True)
class PlannedMail:
    """A mail that should exist: what it is, about whom, and from when it is due."""

    key: str
    kind: Kind
    campaign_id: str
    unit_id: str | None
    due_at: datetime
    step: str | None = None
    message_key: str | None = None


def ack_key(message_key: str) -> str:
    return f"ack:{message_key}"


def rejection_key(message_key: str) -> str:
    return f"rejection:{message_key}"


def reminder_key(campaign_id: str, unit_id: str, step: str) -> str:
    return f"reminder:{campaign_id}:{unit_id}:{step}"


def upstream_key(campaign_id: str, copy: int = 0) -> str:
    return f"upstream:{campaign_id}" + (f":copy-{copy}" if copy else "")


def revision_key(campaign_id: str, correction: str) -> str:
    """The revised upstream report a unit's correction (its message key) calls for."""
    return f"upstream:{campaign_id}:revised-for:{correction}"


@dataclass(frozen=True)
class LateReport:
    """A unit's report that arrived after the upstream report last went."""

    message_key: str
    received_at: datetime


def digest_key(campaign_id: str, fire: datetime) -> str:
    return f"digest:{campaign_id}:{fire.isoformat()}"


def due_mails(
    plan: CampaignPlan,
    units: Sequence[UnitCompliance],
    contacts: Sequence[UnitContact],
    messages: Sequence[StoredMessage],
    ledger: Sequence[LedgerEntry],
    now: datetime,
    late_reports: Sequence[LateReport] = (),
) -> list[PlannedMail]:
    """Every mail of this campaign that is due by `now` and not in the ledger yet.

    `late_reports` are the units' reports that arrived after the upstream report
    last went; with `plan.resend_until` set, the newest calls for one revised report.
    """
    planned = {e.key for e in ledger}
    wanted = [
        *_answers(plan, messages, now),
        *_reminders(plan, units, contacts, ledger, now),
        *_upstream(plan, now),
        *_revision(plan, late_reports, now),
        *_digest(plan, now),
    ]
    return [m for m in wanted if m.key not in planned]


def _answers(
    plan: CampaignPlan, messages: Sequence[StoredMessage], now: datetime
) -> list[PlannedMail]:
    out: list[PlannedMail] = []
    for m in messages:
        if m.campaign_id != plan.id or m.unit_id is None or m.received_at > now:
            continue
        if m.outcome == "accepted":
            out.append(
                PlannedMail(
                    ack_key(m.key), "ack", plan.id, m.unit_id, m.received_at, message_key=m.key
                )
            )
        elif m.review in UNIT_FIXABLE and m.attribution in ("sender", "forwarded"):
            out.append(
                PlannedMail(
                    rejection_key(m.key),
                    "rejection",
                    plan.id,
                    m.unit_id,
                    m.received_at,
                    message_key=m.key,
                )
            )
    return out


def latest_step(plan: CampaignPlan, now: datetime) -> Step | None:
    """The last reminder step whose time has come; earlier missed ones are never sent late."""
    passed = [s for s in plan.steps if plan.step_due(s) <= now]
    return max(passed, key=plan.step_due, default=None)


def reminders_sent(ledger: Sequence[LedgerEntry], campaign_id: str, unit_id: str) -> int:
    """Reminders and escalations planned for a unit, not counting those that failed."""
    return sum(
        1
        for e in ledger
        if e.campaign_id == campaign_id
        and e.unit_id == unit_id
        and e.kind in ("reminder", "escalation")
        and e.state != "failed"
    )


def _reminders(
    plan: CampaignPlan,
    units: Sequence[UnitCompliance],
    contacts: Sequence[UnitContact],
    ledger: Sequence[LedgerEntry],
    now: datetime,
) -> list[PlannedMail]:
    step = latest_step(plan, now)
    if step is None:
        return []
    reachable = {c.unit_id for c in contacts if c.has_address}
    out: list[PlannedMail] = []
    for unit in units:
        if not unit.behind or unit.unit_id not in reachable:
            continue
        sent = reminders_sent(ledger, plan.id, unit.unit_id)
        kind: Kind = "escalation" if sent >= plan.escalate_after else "reminder"
        key = reminder_key(plan.id, unit.unit_id, step.spec)
        out.append(
            PlannedMail(key, kind, plan.id, unit.unit_id, plan.step_due(step), step=step.spec)
        )
    return out


def _revision(
    plan: CampaignPlan, late_reports: Sequence[LateReport], now: datetime
) -> list[PlannedMail]:
    if plan.resend_until is None or not late_reports:
        return []
    if now.astimezone(plan.tz).date() > plan.resend_until:
        return []
    newest = max(late_reports, key=lambda r: (r.received_at, r.message_key))
    return [
        PlannedMail(
            revision_key(plan.id, newest.message_key),
            "upstream",
            plan.id,
            None,
            max(newest.received_at, plan.upstream_send_at),
            step="revised",
        )
    ]


def _upstream(plan: CampaignPlan, now: datetime) -> list[PlannedMail]:
    if now < plan.upstream_send_at:
        return []
    return [PlannedMail(upstream_key(plan.id), "upstream", plan.id, None, plan.upstream_send_at)]


def _cron(plan: CampaignPlan) -> CronTrigger:
    return CronTrigger.from_crontab(plan.digest_cron, timezone=plan.tz)


def latest_digest_time(plan: CampaignPlan, now: datetime) -> datetime | None:
    """The last time the digest cron fired, if within the grace period and the campaign's span."""
    trigger = _cron(plan)
    fire: datetime | None = trigger.get_next_fire_time(None, now - DIGEST_GRACE)
    latest: datetime | None = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if latest is None or latest > plan.digest_until:
        return None
    return latest


def _digest(plan: CampaignPlan, now: datetime) -> list[PlannedMail]:
    fire = latest_digest_time(plan, now)
    if fire is None:
        return []
    return [PlannedMail(digest_key(plan.id, fire), "digest", plan.id, None, fire)]


@dataclass(frozen=True)
class Upcoming:
    """Something that will go out later, and when."""

    what: str
    at: datetime


def upcoming(
    plan: CampaignPlan,
    units: Sequence[UnitCompliance],
    ledger: Sequence[LedgerEntry],
    now: datetime,
) -> list[Upcoming]:
    """What goes out next and when: the next reminder step, the upstream report, the next digest."""
    out: list[Upcoming] = []
    behind = sum(1 for u in units if u.behind)
    future = sorted((plan.step_due(s), s) for s in plan.steps if plan.step_due(s) > now)
    if future and behind:
        at, step = future[0]
        out.append(Upcoming(f"reminder ({step.spec}) to the {behind} unit(s) still behind", at))
    if upstream_key(plan.id) not in {e.key for e in ledger} and plan.upstream_send_at > now:
        out.append(
            Upcoming("the consolidated report to the upstream office", plan.upstream_send_at)
        )
    fire: datetime | None = _cron(plan).get_next_fire_time(None, now + timedelta(seconds=1))
    if fire is not None and fire <= plan.digest_until:
        out.append(Upcoming("the administrators' digest", fire))
    return sorted(out, key=lambda u: u.at)


def next_tick(
    plan: CampaignPlan,
    units: Sequence[UnitCompliance],
    ledger: Sequence[LedgerEntry],
    now: datetime,
) -> datetime | None:
    """When the reconciler should next be asked: the earliest upcoming time, if any."""
    times = [u.at for u in upcoming(plan, units, ledger, now)]
    return min(times, default=None)
