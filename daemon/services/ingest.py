"""Ingest: archive each new message, decide whose report it is, read it, store the outcome.

The order is the promise "nothing lost": the raw bytes are archived first;
then the verdict and everything it yielded are stored in one transaction,
together with the mailbox item, so a crash at any point leaves either nothing
(the message is read again next time) or everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from daemon.adapters.archive import Archive
from daemon.adapters.spreadsheet_xlsx import parse_report
from daemon.adapters.store_sql import AttachmentRecord, MessageRecord, SqlStore
from daemon.config import Campaign, Config
from daemon.core.identify import campaigns_by_keywords, suggest_unit, unit_by_sender
from daemon.core.mime import Attachment, MailMessage, parse_message
from daemon.core.models import ParsedReport, Problem, Submission
from daemon.ports import MailSource

log = structlog.get_logger("anupalan.ingest")

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Verdict:
    """What anupalan decided about one message."""

    outcome: str  # "accepted" | "needs_review"
    unit_id: str | None
    campaign_id: str | None
    reason: str | None = None
    review: str | None = None
    suggested_unit: str | None = None
    attribution: str | None = None
    attachments: tuple[AttachmentRecord, ...] = ()
    reports: tuple[ParsedReport, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class IngestResult:
    """The outcome of ingesting one message, as logged and shown to the user."""

    key: str
    outcome: str  # "accepted" | "needs_review" | "duplicate"
    from_address: str | None
    subject: str
    unit_id: str | None = None
    campaign_id: str | None = None
    reason: str | None = None
    rows: int = 0
    problems: int = 0


def ingest_new(
    config: Config, source: MailSource, store: SqlStore, archive: Archive, now: datetime
) -> list[IngestResult]:
    """Ingest every message of the mailbox not ingested before."""
    results = recheck_held(config, store, archive, now)
    seen = store.seen_items(source.identity)
    for incoming in source.new_messages(seen):
        results.append(
            ingest_raw(
                config, store, archive, incoming.raw, now, item=(source.identity, incoming.item)
            )
        )
    return results


def ingest_raw(
    config: Config,
    store: SqlStore,
    archive: Archive,
    raw: bytes,
    now: datetime,
    item: tuple[str, str] | None = None,
    assign_to: str | None = None,
    again: bool = False,
) -> IngestResult:
    """Archive, evaluate and store one message; a message already stored is only remembered.

    `assign_to` attributes the message to a unit on an administrator's word;
    `again` evaluates a stored message anew (both replace the earlier verdict).
    """
    sha256, path = archive.store(raw)
    mail = parse_message(raw)
    if not again and assign_to is None and store.has_message(mail.key):
        if item is not None:
            store.record_item(item[0], item[1], mail.key, now)
        result = IngestResult(mail.key, "duplicate", mail.from_address, mail.subject)
        _log(result)
        return result
    verdict = evaluate(config, mail, assign_to)
    record = MessageRecord(
        key=mail.key,
        sha256=sha256,
        archive_path=str(path),
        message_id=mail.message_id,
        from_address=mail.from_address,
        subject=mail.subject,
        sent_at=mail.date,
        received_at=now,
        outcome=verdict.outcome,
        unit_id=verdict.unit_id,
        campaign_id=verdict.campaign_id,
        reason=verdict.reason,
        suggested_unit=verdict.suggested_unit,
        attribution=verdict.attribution,
        review=verdict.review,
    )
    submission = _submission(mail, verdict, now)
    store.record_message(record, verdict.attachments, submission, item)
    result = IngestResult(
        key=mail.key,
        outcome=verdict.outcome,
        from_address=mail.from_address,
        subject=mail.subject,
        unit_id=verdict.unit_id,
        campaign_id=verdict.campaign_id,
        reason=verdict.reason,
        rows=len(submission.rows) if submission else 0,
        problems=len(submission.problems) if submission else 0,
    )
    _log(result)
    return result


def recheck_held(
    config: Config, store: SqlStore, archive: Archive, now: datetime
) -> list[IngestResult]:
    """Evaluate again the held messages whose sender an administrator has since added to a unit."""
    results = []
    for held in store.messages("needs_review"):
        if held.attribution is None and unit_by_sender(config.units, held.from_address):
            raw = archive.load(held.sha256)
            results.append(ingest_raw(config, store, archive, raw, held.received_at, again=True))
    return results


def evaluate(config: Config, mail: MailMessage, assign_to: str | None = None) -> Verdict:
    """Decide whose report a message is, for which campaign, and read its spreadsheets."""
    unit_id, attribution = _attribute(config, mail, assign_to)
    every = tuple(_all_attachments(mail))
    sheets = [a for a in every if a.file_name.lower().endswith(SPREADSHEET_SUFFIXES)]
    texts = _texts(mail)
    campaign, reports = _campaign_and_reports(config, texts, sheets)
    attachments = tuple(
        AttachmentRecord(
            file_name=r.file,
            sha256=hashlib.sha256(a.data).hexdigest(),
            readable=r.readable,
            reason=r.reason,
            sheets_used=r.sheets_used,
        )
        for a, r in zip(sheets, reports, strict=True)
    )
    campaign_id = campaign.id if campaign else None

    def held(review: str, reason: str, suggestion: str | None = None) -> Verdict:
        return Verdict(
            "needs_review",
            unit_id,
            campaign_id,
            reason=reason,
            review=review,
            suggested_unit=suggestion,
            attribution=attribution,
            attachments=attachments,
            reports=reports,
        )

    if unit_id is None:
        sheet_names = [s for r in reports for s in r.sheets_used]
        suggestion = suggest_unit(config.units, [*texts, *sheet_names])
        sender = mail.from_address or "(no address)"
        return held("unknown_sender", f"sender {sender} matches no unit", suggestion)
    if campaign is None:
        return held("no_campaign", "cannot tell which campaign this report is for")
    if unit_id not in {u.id for u in config.campaign_units(campaign)}:
        return held(
            "not_in_campaign", f"unit {unit_id} does not take part in campaign {campaign.id}"
        )
    if not every:
        return held("no_attachment", "no report was attached")
    if not sheets:
        names = ", ".join(a.file_name for a in every)
        return held(
            "no_spreadsheet",
            f"no spreadsheet was attached (received: {names}); the report must be an Excel file",
        )
    if not any(r.readable for r in reports):
        return held("unreadable", "; ".join(f"{r.file}: {r.reason}" for r in reports))
    return Verdict(
        "accepted",
        unit_id,
        campaign_id,
        attribution=attribution,
        attachments=attachments,
        reports=reports,
    )


def _attribute(
    config: Config, mail: MailMessage, assign_to: str | None
) -> tuple[str | None, str | None]:
    if assign_to is not None:
        return assign_to, "assigned"
    unit = unit_by_sender(config.units, mail.from_address)
    if unit is not None:
        return unit, "sender"
    # An administrator forwarding a unit's mail: the forwarded message's sender decides.
    if mail.from_address in config.zone.admins:
        for inner in mail.forwarded:
            unit = unit_by_sender(config.units, inner.from_address)
            if unit is not None:
                return unit, "forwarded"
    return None, None


def _all_attachments(mail: MailMessage) -> Iterable[Attachment]:
    yield from mail.attachments
    for inner in mail.forwarded:
        yield from _all_attachments(inner)


def _texts(mail: MailMessage) -> list[str]:
    texts = [mail.subject, mail.body_text, *(a.file_name for a in mail.attachments)]
    for inner in mail.forwarded:
        texts.extend(_texts(inner))
    return texts


def _campaign_and_reports(
    config: Config, texts: list[str], sheets: list[Attachment]
) -> tuple[Campaign | None, tuple[ParsedReport, ...]]:
    """The campaign named by keywords; where several fit, the one whose format the files match."""
    candidates = [config.campaign(cid) for cid in campaigns_by_keywords(config.campaigns, texts)]
    parsed: list[tuple[Campaign, tuple[ParsedReport, ...]]] = []
    for campaign in candidates:
        fmt = config.report_format(campaign.format)
        parsed.append((campaign, tuple(parse_report(a.data, a.file_name, fmt) for a in sheets)))
        if len(candidates) == 1:
            return parsed[0]
    fitting = [(c, r) for c, r in parsed if any(x.readable for x in r)]
    if len(fitting) == 1:
        return fitting[0]
    return None, parsed[0][1] if parsed else ()


def _submission(mail: MailMessage, verdict: Verdict, now: datetime) -> Submission | None:
    if verdict.outcome != "accepted" or verdict.unit_id is None or verdict.campaign_id is None:
        return None
    problems: list[Problem] = []
    for report in verdict.reports:
        if report.readable:
            problems.extend(report.problems)
        else:
            problems.append(Problem(message=report.reason or "could not be read", file=report.file))
    return Submission(
        key=mail.key,
        unit_id=verdict.unit_id,
        campaign_id=verdict.campaign_id,
        sent_at=mail.date or now,
        received_at=now,
        files=tuple(r.file for r in verdict.reports if r.readable),
        rows=tuple(row for r in verdict.reports if r.readable for row in r.rows),
        problems=tuple(problems),
    )


def _log(result: IngestResult) -> None:
    log.info(
        "message_ingested",
        outcome=result.outcome,
        message=result.key,
        sender=result.from_address,
        unit=result.unit_id,
        campaign=result.campaign_id,
        rows=result.rows,
        problems=result.problems,
        reason=result.reason,
    )
