"""Where a campaign stands: per-unit compliance, totals, what needs a human, what goes out next."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from daemon.adapters.store_sql import MailRecord, MessageRecord, SqlStore
from daemon.config import Campaign, Config
from daemon.core.clock import day, moment_or, stamp
from daemon.core.compliance import (
    Totals,
    UnitCompliance,
    current_submissions,
    totals,
    unit_compliance,
)
from daemon.core.models import SubmissionSummary
from daemon.services.health import PollHealth, poll_health

NOT_YET = "-"  # written in `status` where a moment has not come


@dataclass(frozen=True)
class CampaignStatus:
    """A campaign's standing at one moment."""

    campaign: Campaign
    as_of: datetime
    units: tuple[UnitCompliance, ...]
    totals: Totals
    reminders_sent: dict[str, int]
    needs_review: tuple[MessageRecord, ...]
    upstream_sent_at: datetime | None
    upstream_due_at: datetime
    current: dict[str, SubmissionSummary]
    mails: tuple[MailRecord, ...]  # the ledger, less the answers already sent
    health: PollHealth

    def unit(self, unit_id: str) -> UnitCompliance:
        return next(u for u in self.units if u.unit_id == unit_id)

    @property
    def failed_mails(self) -> tuple[MailRecord, ...]:
        return tuple(m for m in self.mails if m.state == "failed")


def campaign_status(
    config: Config, store: SqlStore, campaign: Campaign, now: datetime
) -> CampaignStatus:
    tz = config.zone.tzinfo
    current = current_submissions(store.current_summaries(campaign.id))
    units = unit_compliance(config.campaign_units(campaign), current)
    mails = tuple(store.ledger(campaign.id))
    sent = [m for m in mails if m.state == "sent"]
    reminders = Counter(
        m.unit_id for m in sent if m.kind in ("reminder", "escalation") and m.unit_id
    )
    upstream = [m.sent_at for m in sent if m.kind == "upstream" and m.sent_at]
    held = tuple(m for m in store.messages("needs_review") if m.campaign_id in (campaign.id, None))
    return CampaignStatus(
        campaign=campaign,
        as_of=now.astimezone(tz),
        units=units,
        totals=totals(units),
        reminders_sent=dict(reminders),
        needs_review=held,
        upstream_sent_at=max(upstream) if upstream else None,
        upstream_due_at=campaign.upstream.send_at.replace(tzinfo=tz),
        current=current,
        mails=mails,
        health=poll_health(store),
    )


def status_json(status: CampaignStatus, tz: ZoneInfo) -> dict[str, Any]:
    """The `status --json` document, exactly as PRODUCT.md fixes it."""
    return {
        "campaign": status.campaign.id,
        "as_of": stamp(status.as_of, tz),
        "units": [
            {
                "id": u.unit_id,
                "name": u.name,
                "strength": u.strength,
                "reported": u.reported,
                "completed": u.completed,
                "compliance_pct": u.compliance_pct,
                "last_report_at": stamp(u.last_report_at, tz),
                "reminders_sent": status.reminders_sent.get(u.unit_id, 0),
                "problems": u.problems,
            }
            for u in status.units
        ],
        "totals": {
            "strength": status.totals.strength,
            "completed": status.totals.completed,
            "compliance_pct": status.totals.compliance_pct,
        },
        "needs_review": [
            {
                "message_id": m.message_id or m.key,
                "from": m.from_address,
                "subject": m.subject,
                "reason": m.reason,
                "suggested_unit": m.suggested_unit,
            }
            for m in status.needs_review
        ],
        "upstream": {
            "sent_at": stamp(status.upstream_sent_at, tz),
            "due_at": stamp(status.upstream_due_at, tz),
        },
        "mailbox": {
            "last_read_at": stamp(status.health.last_ok_at, tz),
            "failing_since": stamp(status.health.failing_since, tz)
            if status.health.failing
            else None,
            "error": status.health.last_error,
        },
        "failed_mails": [
            {
                "kind": m.kind,
                "unit": m.unit_id,
                "to": list(m.recipients),
                "subject": m.subject,
                "error": m.last_error,
            }
            for m in status.failed_mails
        ],
    }


def status_table(status: CampaignStatus, tz: ZoneInfo) -> str:
    """The status as an aligned table for a terminal."""
    c = status.campaign
    head = ["Unit", "Strength", "Completed", "%", "Reported on", "Reminders", "Problems"]
    body = [
        [
            u.name,
            str(u.strength),
            str(u.completed),
            f"{u.compliance_pct:.1f}",
            moment_or(u.last_report_at, tz, NOT_YET) if u.reported else "not reported",
            str(status.reminders_sent.get(u.unit_id, 0)),
            str(u.problems),
        ]
        for u in status.units
    ]
    t = status.totals
    foot = ["Total", str(t.strength), str(t.completed), f"{t.compliance_pct:.1f}", "", "", ""]
    table = [head, *body, foot]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    numeric = {1, 2, 3, 5, 6}

    def line(cells: list[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    out = [
        f"{c.title} ({c.id})",
        f"As of {moment_or(status.as_of, tz, NOT_YET)}; units report by {day(c.unit_deadline)}",
        "",
        line(head),
        line(["-" * w for w in widths]),
        *(line(r) for r in body),
        line(["-" * w for w in widths]),
        line(foot),
        "",
    ]
    if status.needs_review:
        out.append(f"Needs review ({len(status.needs_review)}):")
        for m in status.needs_review:
            hint = f" (looks like {m.suggested_unit})" if m.suggested_unit else ""
            out.append(f"  {m.message_id or m.key}  from {m.from_address or '-'}")
            out.append(f'      "{m.subject}": {m.reason}{hint}')
    else:
        out.append("Needs review: nothing")
    if status.health.failing:
        out.append(
            f"THE MAILBOX CANNOT BE READ ({status.health.failures} failed poll(s), last at "
            f"{moment_or(status.health.last_error_at, tz, NOT_YET)}): {status.health.last_error}"
        )
    if status.failed_mails:
        out.append(f"Mails that could not be delivered ({len(status.failed_mails)}):")
        for mail in status.failed_mails:
            out.append(f"  {mail.kind} to {', '.join(mail.recipients)}: {mail.last_error}")
    sent = status.upstream_sent_at
    due = moment_or(status.upstream_due_at, tz, NOT_YET)
    out.append(
        f"Upstream report: sent {moment_or(sent, tz, NOT_YET)}"
        if sent
        else f"Upstream report: due {due}, not sent yet"
    )
    return "\n".join(out)
