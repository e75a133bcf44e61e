"""Render every template with sample data, so a typo fails in `check-config`, not in a live send."""

from __future__ import annotations

from datetime import datetime, timedelta

from daemon.adapters.store_sql import MessageRecord, SqlStore
from daemon.adapters.templates import KINDS, MailTemplates
from daemon.config import Config
from daemon.core.models import OfficerRow, Problem, Submission
from daemon.core.reconcile import upcoming
from daemon.errors import AnupalanError
from daemon.services import mail_content as content
from daemon.services.notify import campaign_plan
from daemon.services.status import campaign_status


def check_templates(config: Config) -> list[str]:
    """Problems found rendering each kind of mail for each campaign; empty when all render."""
    templates = MailTemplates(config.outgoing.templates)
    store = SqlStore.open("sqlite://")  # an empty, in-memory state
    problems: list[str] = []
    try:
        for campaign in config.campaigns:
            tz = config.zone.tzinfo
            now = datetime.combine(
                campaign.unit_deadline, datetime.min.time(), tzinfo=tz
            ) - timedelta(days=3)
            status = campaign_status(config, store, campaign, now)
            unit = config.campaign_units(campaign)[0]
            message = MessageRecord(
                key="<sample@example.gov.in>",
                sha256="0" * 64,
                archive_path="",
                message_id="<sample@example.gov.in>",
                from_address=unit.emails[0] if unit.emails else None,
                subject="Report {{ sample }} <b>",
                sent_at=now,
                received_at=now,
                outcome="accepted",
                unit_id=unit.id,
                campaign_id=campaign.id,
                reason="Format.xlsx: the file is damaged and could not be opened",
                review="unreadable",
            )
            row = OfficerRow(
                "40101",
                "R. Selvam",
                "Superintendent",
                "9876543210",
                "r.selvam@example.gov.in",
                True,
                "Sheet1",
                4,
            )
            submission = Submission(
                message.key,
                unit.id,
                campaign.id,
                now,
                now,
                ("Format.xlsx",),
                (row,),
                (
                    Problem(
                        "a mobile number has 10 digits",
                        "Format.xlsx",
                        "Sheet1",
                        5,
                        "Contact No",
                        "98765",
                    ),
                ),
            )
            plan = campaign_plan(config, campaign)
            contexts = {
                "ack": content.ack_context(config, campaign, unit, message, submission),
                "rejection": content.rejection_context(config, campaign, unit, message),
                "reminder": content.reminder_context(config, campaign, status, unit, now, 1),
                "escalation": content.reminder_context(config, campaign, status, unit, now, 3),
                "upstream": content.upstream_context(config, campaign, status, "report.xlsx"),
                "digest": content.digest_context(
                    config, campaign, status, upcoming(plan, status.units, [], now), now
                ),
            }
            for kind in KINDS:
                try:
                    templates.render(kind, contexts[kind])
                except AnupalanError as exc:
                    problems.append(f"campaign {campaign.id}: {exc}")
    finally:
        store.close()
    return problems
