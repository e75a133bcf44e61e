"""Turn the reconciler's answer into rendered mails in the durable outbox.

At every tick: ask the core which mails should exist by `now`, render those the
ledger lacks, and store each (rendered, with its deterministic Message-ID)
before anything is delivered. Delivery is the outbox's business.
"""

from __future__ import annotations

import email.policy
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from daemon.adapters.spreadsheet_write import consolidation_bytes
from daemon.adapters.store_sql import MailRecord, MessageRecord
from daemon.bootstrap import App
from daemon.config import Campaign, Config
from daemon.core import reconcile
from daemon.core.corrections import Correction, corrections_since
from daemon.core.models import Submission
from daemon.core.reconcile import (
    CampaignPlan,
    Kind,
    LedgerEntry,
    PlannedMail,
    Step,
    StoredMessage,
    UnitContact,
)
from daemon.errors import UsageError
from daemon.services import mail_content as content
from daemon.services.report import consolidation
from daemon.services.status import CampaignStatus, campaign_status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Draft:
    """A rendered mail and its ledger entry, not yet (or never, in a dry run) stored."""

    mail: MailRecord
    content: bytes
    text: str
    html: str
    cc: tuple[str, ...] = ()


def campaign_plan(config: Config, campaign: Campaign) -> CampaignPlan:
    tz = config.zone.tzinfo
    return CampaignPlan(
        id=campaign.id,
        unit_deadline=campaign.unit_deadline,
        steps=tuple(Step(s.spec, s.offset_days, s.at) for s in campaign.reminders.at),
        escalate_after=campaign.reminders.escalate_after,
        upstream_send_at=campaign.upstream.send_at.replace(tzinfo=tz),
        digest_cron=campaign.digest.cron,
        tz=tz,
        resend_until=campaign.upstream.resend_corrections,
    )


def ledger_entries(mails: tuple[MailRecord, ...] | list[MailRecord]) -> list[LedgerEntry]:
    return [LedgerEntry(m.key, m.kind, m.campaign_id, m.unit_id, m.state) for m in mails]


class _Drafter:
    """Renders the mails of one campaign from one consistent reading of the state."""

    def __init__(self, app: App, campaign: Campaign, now: datetime) -> None:
        self.app, self.config, self.campaign, self.now = app, app.config, campaign, now
        self.status: CampaignStatus = campaign_status(app.config, app.store, campaign, now)
        self.plan = campaign_plan(app.config, campaign)
        # Only the messages still to be answered: the rest are settled by the ledger.
        self.messages = {m.key: m for m in app.store.unanswered(campaign.id)}
        self.answered: dict[str, Submission] = {}  # the submissions acks are written for

    @functools.cached_property
    def submissions(self) -> list[Submission]:
        """Every submission of the campaign, with its rows: read once, and only for the
        mails that need them (the upstream report and the digest)."""
        return self.app.store.submissions(self.campaign.id)

    def due(self) -> list[PlannedMail]:
        units = self.config.campaign_units(self.campaign)
        return reconcile.due_mails(
            self.plan,
            self.status.units,
            [UnitContact(u.id, bool(u.emails)) for u in units],
            [
                StoredMessage(
                    m.key,
                    m.campaign_id,
                    m.unit_id,
                    m.outcome,
                    m.review,
                    m.attribution,
                    m.received_at,
                )
                for m in self.messages.values()
            ],
            ledger_entries(self.status.mails),
            self.now,
            self._late_reports() if self.plan.resend_until else (),
        )

    def _late_reports(self) -> list[reconcile.LateReport]:
        """The units' current reports that arrived after the upstream report last went."""
        sent = self.status.upstream_sent_at
        if sent is None:
            return []
        return [
            reconcile.LateReport(s.key, s.received_at)
            for s in self.app.store.current_summaries(self.campaign.id)
            if s.received_at > sent
        ]

    def _corrections(self) -> list[Correction]:
        """What units changed since the upstream report last went, with their rows."""
        sent = self.status.upstream_sent_at
        if sent is None:
            return []
        units = [u.id for u in self.config.campaign_units(self.campaign)]
        return corrections_since(sent, self.submissions, units)

    def next_tick(self) -> datetime | None:
        """The earliest time after `now` at which this campaign has something to send."""
        ledger = ledger_entries(self.status.mails)
        return reconcile.next_tick(self.plan, self.status.units, ledger, self.now)

    def draft(self, planned: PlannedMail) -> Draft:
        config, campaign, status = self.config, self.campaign, self.status
        in_reply_to = None
        cc: tuple[str, ...] = ()
        attachments: list[tuple[str, bytes, str]] = []
        unit = config.unit(planned.unit_id) if planned.unit_id else None
        if planned.kind in ("ack", "rejection"):
            assert unit is not None and planned.message_key is not None
            message = self.messages.get(planned.message_key) or self.app.store.message(
                planned.message_key
            )
            assert message is not None, "an answer is planned for a stored message"
            to = _reply_to(message, unit.emails)
            in_reply_to = message.message_id
            if planned.kind == "ack":
                context = content.ack_context(
                    config, campaign, unit, message, self._submission(message)
                )
            else:
                context = content.rejection_context(config, campaign, unit, message)
        elif planned.kind in ("reminder", "escalation"):
            assert unit is not None
            to = unit.emails
            sent = reconcile.reminders_sent(ledger_entries(status.mails), campaign.id, unit.id)
            context = content.reminder_context(config, campaign, status, unit, self.now, sent)
            if planned.kind == "escalation":
                cc = unit.escalation_cc
        elif planned.kind == "upstream":
            to, cc = campaign.upstream.to, campaign.upstream.cc
            name = f"{campaign.id}-zonal-report.xlsx"
            report = consolidation(config, campaign, self.submissions)
            attachments.append((name, consolidation_bytes(report, config.zone.tzinfo), XLSX))
            replaces = None
            corrected_by: list[str] = []
            if planned.step == "revised":
                # The revised report answers the one it replaces, so mail programs
                # and the upstream office's anupalan see the two together.
                earlier = [m for m in status.mails if m.kind == "upstream" and m.sent_at]
                replaces = max(earlier, key=lambda m: m.sent_at or m.planned_at, default=None)
                in_reply_to = replaces.message_id if replaces else None
                names = {u.id: u.name for u in config.units}
                corrected_by = [names[c.unit_id] for c in self._corrections()]
            context = content.upstream_context(
                config, campaign, status, name, replaces, corrected_by
            )
        else:
            to = campaign.digest.to or config.zone.admins
            upcoming = reconcile.upcoming(
                self.plan, status.units, ledger_entries(status.mails), self.now
            )
            context = content.digest_context(
                config,
                campaign,
                status,
                upcoming,
                self.now,
                consolidation(config, campaign, self.submissions),
                self._corrections(),
            )
        rendered = self.app.templates.render(planned.kind, context)
        message_id = content.message_id_for(planned.key, config.outgoing.from_, config.zone.name)
        msg = content.compose(
            rendered,
            sender=config.outgoing.from_,
            to=to,
            cc=cc,
            message_id=message_id,
            date_sent=self.now,
            in_reply_to=in_reply_to,
            attachments=attachments,
        )
        record = MailRecord(
            key=planned.key,
            campaign_id=campaign.id,
            kind=planned.kind,
            unit_id=planned.unit_id,
            step=planned.step,
            message_id=message_id,
            state="planned",
            planned_at=self.now,
            sent_at=None,
            attempts=0,
            last_error=None,
            message_key=planned.message_key,
            subject=rendered.subject,
            sender=config.outgoing.from_address,
            recipients=(*to, *cc),
        )
        # CRLF line ends, as SMTP and IMAP APPEND require on the wire
        wire = msg.as_bytes(policy=email.policy.SMTP)
        return Draft(record, wire, rendered.text, rendered.html, cc)

    def draft_all(self, planned: list[PlannedMail]) -> list[Draft]:
        """Each planned mail rendered; the submissions acks speak of are read at once."""
        acks = [p.message_key for p in planned if p.kind == "ack" and p.message_key]
        self.answered.update(self.app.store.submissions_of(acks))
        return [self.draft(p) for p in planned]

    def _submission(self, message: MessageRecord) -> Submission:
        if message.key not in self.answered:
            self.answered.update(self.app.store.submissions_of([message.key]))
        return self.answered[message.key]


def _reply_to(message: MessageRecord, unit_emails: tuple[str, ...]) -> tuple[str, ...]:
    """The unit address that wrote; for a forwarded or assigned report, all the unit's addresses."""
    if message.from_address and message.from_address in unit_emails:
        return (message.from_address,)
    return unit_emails


@dataclass(frozen=True)
class Tick:
    """What one tick of the reconciler found: the mails due now, and when to ask again."""

    drafts: list[Draft]
    next_at: datetime | None


def drafts_due(app: App, now: datetime) -> Tick:
    """Every mail due by `now` that the ledger does not hold, rendered."""
    drafts: list[Draft] = []
    times: list[datetime] = []
    for campaign in app.config.campaigns:
        drafter = _Drafter(app, campaign, now)
        drafts.extend(drafter.draft_all(drafter.due()))
        # Mails queued now are all due by `now`, so the state read before they
        # are queued gives the same next tick as a fresh reading after.
        at = drafter.next_tick()
        if at is not None:
            times.append(at)
    return Tick(drafts, min(times, default=None))


def queue_due(app: App, now: datetime) -> Tick:
    """Render and store every mail now due; the drafts are those newly added to the ledger."""
    tick = drafts_due(app, now)
    added = app.store.plan_mails([(d.mail, d.content) for d in tick.drafts])
    queued = [d for d, new in zip(tick.drafts, added, strict=True) if new]
    return Tick(queued, tick.next_at)


def queue_upstream(
    app: App, campaign: Campaign, now: datetime, force: bool = False
) -> Draft | None:
    """Queue the upstream report now: once, or with `force` a new copy (None if queued before)."""
    existing = [m for m in app.store.mails(campaign.id) if m.kind == "upstream"]
    key = reconcile.upstream_key(campaign.id, copy=len(existing) if force and existing else 0)
    if not force and any(m.key == key for m in existing):
        return None
    planned = PlannedMail(key, "upstream", campaign.id, None, now)
    draft = _Drafter(app, campaign, now).draft(planned)
    return draft if app.store.plan_mail(draft.mail, draft.content) else None


def preview(app: App, campaign: Campaign, kind: str, unit_id: str | None, now: datetime) -> Draft:
    """Render one mail of a kind with the real data, without storing it."""
    drafter = _Drafter(app, campaign, now)
    unit_kinds = ("ack", "rejection", "reminder", "escalation")
    if kind in unit_kinds and unit_id is None:
        raise UsageError(f"a {kind} is written to a unit: give --unit")
    if unit_id is not None and unit_id not in {u.id for u in app.config.units}:
        raise UsageError(f"unknown unit {unit_id!r}")
    message_key = None
    if kind in ("ack", "rejection"):
        wanted = "accepted" if kind == "ack" else "needs_review"
        candidates = [
            m
            for m in app.store.messages(wanted)
            if m.campaign_id == campaign.id and m.unit_id == unit_id
        ]
        if not candidates:
            what = "report" if kind == "ack" else "unreadable report"
            raise UsageError(f"no {what} from {unit_id} has been received to answer")
        message_key = max(candidates, key=lambda m: m.received_at).key
    planned = PlannedMail(
        f"preview:{kind}:{unit_id}",
        cast(Kind, kind),
        campaign.id,
        unit_id,
        now,
        message_key=message_key,
    )
    return drafter.draft(planned)
