"""What each mail says: the template context for each kind, and the MIME message around it.

Contexts are plain dictionaries of display-ready values (dates as an office
writes them, percentages with one decimal) so that templates stay simple and a
zone's own templates need no code.
"""

from __future__ import annotations

import email.policy
import functools
import hashlib
import shlex
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from daemon.adapters.store_sql import MailRecord, MessageRecord
from daemon.adapters.templates import RenderedMail
from daemon.config import Campaign, Config, Unit
from daemon.core.clock import day, local_day, moment
from daemon.core.compliance import completed_officers, percent
from daemon.core.consolidate import Consolidation, ExceptionRow
from daemon.core.corrections import Correction
from daemon.core.models import PRESCRIBED_FIELDS, Submission
from daemon.core.reconcile import Upcoming
from daemon.services.status import CampaignStatus

MAX_PROBLEMS_LISTED = 50
BAR_WIDTH = 200  # pixels of a full compliance bar in the digest


def base_context(config: Config, campaign: Campaign) -> dict[str, Any]:
    """What every template can use: the zone, the sender, the campaign."""
    upstream = campaign.upstream
    return {
        "zone": {
            "name": config.zone.name,
            "sender": parseaddr(config.outgoing.from_)[0] or config.zone.name,
        },
        "campaign": {
            "id": campaign.id,
            "title": campaign.title,
            "unit_deadline": day(campaign.unit_deadline),
            "upstream_deadline": day(upstream.deadline or upstream.send_at),
        },
    }


def format_headers(config: Config, campaign: Campaign) -> list[str]:
    """The headers of the columns a unit's report must have, as the circular prints them."""
    fmt = config.report_format(campaign.format)
    return [c.header for c in fmt.columns if c.field in PRESCRIBED_FIELDS]


def ack_context(
    config: Config, campaign: Campaign, unit: Unit, message: MessageRecord, submission: Submission
) -> dict[str, Any]:
    """What the unit is told about the report it sent: what was recorded, what to correct."""
    completed = completed_officers(submission)
    problems = submission.problems
    return {
        **base_context(config, campaign),
        "unit": {"id": unit.id, "name": unit.name},
        **_when_sent(config, campaign, message),
        "subject": message.subject,
        "files": list(submission.files),
        "completed": completed,
        "strength": unit.strength,
        "pct": percent(completed, unit.strength),
        "problem_count": len(problems),
        "problems": [p.describe() for p in problems[:MAX_PROBLEMS_LISTED]],
        "listed_files": list(submission.listed_files),
    }


def _when_sent(config: Config, campaign: Campaign, message: MessageRecord) -> dict[str, Any]:
    tz = config.zone.tzinfo
    return {
        "sent_on": moment(message.sent_at or message.received_at, tz),
        "overdue": local_day(message.received_at, tz) > campaign.unit_deadline,
    }


def rejection_context(
    config: Config, campaign: Campaign, unit: Unit, message: MessageRecord
) -> dict[str, Any]:
    return {
        **base_context(config, campaign),
        "unit": {"id": unit.id, "name": unit.name},
        **_when_sent(config, campaign, message),
        "subject": message.subject,
        "reason": message.reason or "the attachment could not be read",
        "format_headers": format_headers(config, campaign),
    }


def reminder_context(
    config: Config,
    campaign: Campaign,
    status: CampaignStatus,
    unit: Unit,
    now: datetime,
    reminders_sent: int,
) -> dict[str, Any]:
    tz = config.zone.tzinfo
    standing = status.unit(unit.id)
    return {
        **base_context(config, campaign),
        "unit": {"id": unit.id, "name": unit.name},
        "days_left": (campaign.unit_deadline - local_day(now, tz)).days,
        "reported": standing.reported,
        "completed": standing.completed,
        "strength": standing.strength,
        "pct": standing.compliance_pct,
        "last_report_on": day(standing.last_report_at, tz) if standing.last_report_at else None,
        "reminders_sent": reminders_sent,
        "format_headers": format_headers(config, campaign),
    }


def _units_table(status: CampaignStatus) -> str:
    head = ("Commissionerate", "Strength", "Completed", "%")
    rows = [
        (u.name, str(u.strength), str(u.completed), f"{u.compliance_pct:.1f}") for u in status.units
    ]
    t = status.totals
    rows.append(("Total", str(t.strength), str(t.completed), f"{t.compliance_pct:.1f}"))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]

    def line(r: Sequence[str]) -> str:
        return "  ".join(
            [r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))]
        )

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _totals(status: CampaignStatus) -> dict[str, Any]:
    t = status.totals
    return {"strength": t.strength, "completed": t.completed, "pct": t.compliance_pct}


def upstream_context(
    config: Config,
    campaign: Campaign,
    status: CampaignStatus,
    attachment: str,
    replaces: MailRecord | None = None,
    corrected_by: Sequence[str] = (),
) -> dict[str, Any]:
    """What the upstream office is told; `replaces` is the report a revised one replaces,
    `corrected_by` the units whose corrections called for it."""
    tz = config.zone.tzinfo
    replacing = None
    if replaces is not None:
        replacing = {
            "sent_on": moment(replaces.sent_at or replaces.planned_at, tz),
            "subject": replaces.subject or "",
            "units": ", ".join(corrected_by) or "units",
        }
    return {
        **base_context(config, campaign),
        "replaces": replacing,
        "attachment": attachment,
        "totals": _totals(status),
        "units": [
            {
                "name": u.name,
                "strength": u.strength,
                "completed": u.completed,
                "pct": u.compliance_pct,
            }
            for u in status.units
        ],
        "table": _units_table(status),
    }


def _colour(pct: float) -> str:
    return (
        "#15803d" if pct >= 100 else "#2563eb" if pct >= 50 else "#b45309" if pct > 0 else "#991b1b"
    )


def digest_context(
    config: Config,
    campaign: Campaign,
    status: CampaignStatus,
    upcoming: Sequence[Upcoming],
    now: datetime,
    report: Consolidation | None = None,
    corrections: Sequence[Correction] = (),
) -> dict[str, Any]:
    """The administrators' digest; `report` is what would go upstream now, and
    `corrections` what units changed since it last went."""
    tz = config.zone.tzinfo
    names = {u.id: u.name for u in config.units}
    stale = None
    if corrections:
        resend = campaign.upstream.resend_corrections
        stale = {
            "since": moment(min(c.received_at for c in corrections), tz),
            "changes": [
                {"unit": names.get(c.unit_id, c.unit_id), "rows": c.changed_rows,
                 "at": moment(c.received_at, tz)}
                for c in corrections
            ],
            "resend_until": day(resend) if resend and local_day(now, tz) <= resend
            else None,
        }  # fmt: skip
    return {
        **base_context(config, campaign),
        "stale": stale,
        "duplicates": _exception_lines(report.duplicates if report else ()),
        "withheld": _exception_lines(report.withheld if report else ()),
        "as_of": moment(now, tz),
        "as_of_day": day(now, tz),
        "upstream_due": moment(status.upstream_due_at, tz),
        "upstream_sent": moment(status.upstream_sent_at, tz) if status.upstream_sent_at else None,
        "totals": _totals(status),
        "reported": sum(1 for u in status.units if u.reported),
        "units": [
            {
                "name": u.name,
                "reported": u.reported,
                "completed": u.completed,
                "strength": u.strength,
                "pct": u.compliance_pct,
                "reminders": status.reminders_sent.get(u.unit_id, 0),
                "bar": round(min(u.compliance_pct, 100.0) * BAR_WIDTH / 100),
                "colour": _colour(u.compliance_pct),
            }
            for u in status.units
        ],
        "table": _units_table(status),
        "needs_review": [
            {
                "message_id": m.message_id or m.key,
                "sender": m.from_address or "(no address)",
                "subject": m.subject,
                "reason": m.reason,
                "suggestion": m.suggested_unit,
                # quoted: a Message-ID is whatever the sender wrote, and admins copy this
                "assign_command": (
                    f"anupalan assign {shlex.quote(m.message_id or m.key)} {m.suggested_unit}"
                    if m.suggested_unit
                    else None
                ),
            }
            for m in status.needs_review
        ],
        "failed": [
            {
                "what": f"{m.kind}"
                + (f" for {names.get(m.unit_id, m.unit_id)}" if m.unit_id else ""),
                "to": ", ".join(m.recipients),
                "error": m.last_error or "unknown error",
            }
            for m in status.failed_mails
        ],
        "upcoming": [{"at": moment(u.at, tz), "what": u.what} for u in upcoming],
        "mailbox_trouble": _mailbox_trouble(status, tz),
    }


def _exception_lines(rows: Sequence[ExceptionRow]) -> list[str]:
    return [
        f"{e.unit}: {e.name or e.employee_code or '(no name)'}, {e.file} sheet '{e.sheet}'"
        f" row {e.row} – {e.issue}"
        for e in rows
    ]


def _mailbox_trouble(status: CampaignStatus, tz: ZoneInfo) -> str | None:
    health = status.health
    if not health.failing or health.last_error_at is None:
        return None
    since = f"; last read {moment(health.last_ok_at, tz)}" if health.last_ok_at else ""
    return (
        f"The mailbox could not be read at the last {health.failures} attempt(s)"
        f" (latest {moment(health.last_error_at, tz)}{since}): {health.last_error}."
        " Replies from units are not being collected until this is put right."
    )


def message_id_for(key: str, sender: str, office: str) -> str:
    """The same Message-ID for the same planned mail, every time it is composed.

    Two offices on one mail domain plan mails with the same keys ("upstream:
    <campaign>"); the office's name and its sending address are part of the
    identity, so their Message-IDs never meet.
    """
    address = parseaddr(sender)[1].lower()
    domain = address.rpartition("@")[2] or "anupalan.invalid"
    identity = "\n".join((office, address, key)).encode("utf-8")
    return f"<{hashlib.sha256(identity).hexdigest()[:32]}.anupalan@{domain}>"


class _ComposingPolicy(email.policy.EmailPolicy):
    """The default policy, except that a header line written before is not parsed again.

    Most lines of a mail repeat from one to the next (the sender, a unit's
    address, the MIME headers of each part), and parsing them was a third of
    the time to write an acknowledgement. Header objects are never changed
    once made, so one can serve every mail that has the line.
    """

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, str) and not hasattr(value, "name") and len(value.splitlines()) <= 1:
            return (name, _header(name, value))
        return super().header_store_parse(name, value)  # refuses line breaks, as ever


_COMPOSING = _ComposingPolicy()


@functools.lru_cache(maxsize=1024)
def _header(name: str, value: str) -> Any:
    return _COMPOSING.header_factory(name, value)


def compose(
    rendered: RenderedMail,
    *,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    message_id: str,
    date_sent: datetime,
    in_reply_to: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> EmailMessage:
    """A MIME message with text and HTML alternatives and any attachments."""
    msg = EmailMessage(policy=_COMPOSING)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(date_sent)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    for name, data, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg
