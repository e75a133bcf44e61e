"""Ingest: archive each new message, decide whose report it is, read it, store the outcome.

The order is the promise "nothing lost": the raw bytes are archived first;
then the verdict and everything it yielded are stored in one transaction,
together with the mailbox item, so a crash at any point leaves either nothing
(the message is read again next time) or everything.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import structlog

from daemon.adapters.archive import Archive
from daemon.adapters.spreadsheets import parse_attachment
from daemon.adapters.store_sql import AttachmentRecord, MessageRecord, NewMessage, SqlStore
from daemon.config import Campaign, Config
from daemon.core.html_table import tables_in_html
from daemon.core.identify import campaigns_by_keywords, suggest_unit, unit_by_sender
from daemon.core.mime import Attachment, MailMessage, parse_message
from daemon.core.models import ParsedReport, Problem, ReportFormat, Submission
from daemon.core.report_mapper import map_report
from daemon.errors import MailboxError, StorageError
from daemon.ports import IncomingMessage, MailSource
from daemon.services.outbox import checkpoint
from daemon.services.readers import Readers, cores

log = structlog.get_logger("anupalan.ingest")

Archived = tuple[str, Path]  # where the archive keeps a message: its SHA-256 and its file


@dataclass(frozen=True)
class Verdict:
    """What anupalan decided about one message."""

    outcome: str  # "accepted" | "needs_review" | "ignored"
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
    outcome: str  # "accepted" | "needs_review" | "ignored" | "duplicate" | "failed"
    from_address: str | None
    subject: str
    unit_id: str | None = None
    campaign_id: str | None = None
    reason: str | None = None
    rows: int = 0
    problems: int = 0


PARALLEL_AFTER = 20
"""A poll reads its first messages itself; when more are waiting (the morning of a
deadline, a first run over a full mailbox) the rest are read by worker processes."""

STORE_AT_ONCE = 50  # messages read by workers are stored this many to a transaction at most

ANSWER_EVERY = 200
"""A long poll lets the replies stored so far be answered after this many, while the
workers read on."""

READ_AHEAD = (2 * ANSWER_EVERY, 64 * 1024 * 1024)
"""At most this many messages, and bytes of them, are handed to the workers ahead of
being stored."""


def ingest_new(
    config: Config,
    source: MailSource,
    store: SqlStore,
    archive: Archive,
    now: datetime,
    answer: Callable[[], object] | None = None,
) -> list[IngestResult]:
    """Ingest every message of the mailbox not ingested before, in the mailbox's order.

    `answer` is called after every ANSWER_EVERY messages stored.
    """
    poll = _Poll(config, source, store, archive, now, answer)
    poll.results.extend(recheck_held(config, store, archive, now))
    try:
        for count, incoming in enumerate(
            source.new_messages(store.seen_items(poll.identity), store.sync_state(poll.identity))
        ):
            if count < PARALLEL_AFTER or not poll.fan_out():
                poll.ingest_here(incoming)
            else:
                poll.hand_out(incoming)
        poll.store_all_read()
    finally:
        poll.close()
    return poll.results


ReadMessage = tuple[Archived, MailMessage, Verdict]  # what a worker gives back


class _Poll:
    """One pass over the new messages: read here, or by workers and stored in batches."""

    def __init__(
        self,
        config: Config,
        source: MailSource,
        store: SqlStore,
        archive: Archive,
        now: datetime,
        answer: Callable[[], object] | None,
    ) -> None:
        self.config, self.source, self.store, self.archive = config, source, store, archive
        self.now, self.answer = now, answer
        self.identity = source.identity
        self.results: list[IngestResult] = []
        self.unanswered = 0  # stored since `answer` was last called
        self.workers = config.service.readers or cores()
        self.readers: Readers[ReadMessage] | None = None
        # Messages handed to a worker to archive and read, oldest first, and their size.
        self.reading: deque[tuple[IncomingMessage, Future[ReadMessage]]] = deque()
        self.reading_bytes = 0

    def fan_out(self) -> bool:
        """Whether workers read from here on (started on first use)."""
        if self.readers is None and self.workers > 1:
            self.readers = Readers(self.config, read_message, self.workers)
        return self.readers is not None

    def ingest_here(self, incoming: IncomingMessage) -> None:
        item = (self.identity, incoming.item)
        try:
            result = ingest_raw(self.config, self.store, self.archive, incoming.raw, self.now, item)
        except StorageError:
            raise  # the disk or the database: every message would fail alike
        except Exception as exc:
            self._failed(incoming, exc)
        else:
            self._done(incoming, result)
            self._answer_so_far()

    def hand_out(self, incoming: IncomingMessage) -> None:
        assert self.readers is not None
        self.reading.append((incoming, self.readers.read(incoming.raw)))
        self.reading_bytes += len(incoming.raw)
        # Store what is read; wait for the workers only when far enough ahead.
        count, size = READ_AHEAD
        while self.reading and (
            self.reading[0][1].done() or len(self.reading) >= count or self.reading_bytes >= size
        ):
            self._store_read()

    def store_all_read(self) -> None:
        while self.reading:
            self._store_read()

    def close(self) -> None:
        if self.readers is not None:
            self.readers.close()
            self.readers = None

    def _store_read(self) -> None:
        """Store the oldest message read, and those after it already read, in one transaction."""
        batch = [self.reading.popleft()]
        while self.reading and self.reading[0][1].done() and len(batch) < STORE_AT_ONCE:
            batch.append(self.reading.popleft())
        ready: list[tuple[IncomingMessage, NewMessage, IngestResult]] = []
        senders: dict[str, str | None] = {}  # what this batch stores, by key
        for incoming, future in batch:
            self.reading_bytes -= len(incoming.raw)
            try:
                archived, mail, verdict = future.result()
                if senders.get(mail.key, mail.from_address) != mail.from_address:
                    mail = replace(mail, keyed_by_sender=True)  # another sender, this batch
                mail = keyed_apart(self.store, mail)
                senders.setdefault(mail.key, mail.from_address)
                item = (self.identity, incoming.item)
                entry, result = _prepare(mail, verdict, archived, self.now, item)
            except StorageError:
                raise
            except Exception as exc:
                self._failed(incoming, exc)
                continue
            ready.append((incoming, entry, result))
        stored = self.store.record_new_messages([entry for _, entry, _ in ready])
        for (incoming, entry, result), new in zip(ready, stored, strict=True):
            if not new:
                result = _duplicate_result(entry.message)
            _log(result)
            self._done(incoming, result)
        self._answer_so_far()

    def _failed(self, incoming: IncomingMessage, exc: Exception) -> None:
        # One message that cannot be ingested must not hold up the others. It is
        # not remembered as seen, so it is tried again at every poll, and reported.
        if isinstance(exc, BrokenProcessPool):
            self.workers = 1  # a worker died: the rest of this poll is read here
            self.close()
        log.exception("ingest_failed", item=incoming.item, exc_info=exc)
        self.results.append(IngestResult(incoming.item, "failed", None, "", reason=repr(exc)))

    def _done(self, incoming: IncomingMessage, result: IngestResult) -> None:
        self.results.append(result)
        self.unanswered += 1
        try:
            self.source.processed(incoming.item)
        except MailboxError as exc:
            # The message is stored; only the flag or move is missing. It is not worth
            # stopping the poll for, and the next poll's errors, if any, are reported.
            log.warning("mark_processed_failed", item=incoming.item, error=str(exc))

    def _answer_so_far(self) -> None:
        if self.answer is not None and self.unanswered >= ANSWER_EVERY:
            self.unanswered = 0
            self.answer()


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
    archived = archive.store(raw)
    mail = keyed_apart(store, parse_message(raw))
    if not again and assign_to is None and store.has_message(mail.key):
        return _duplicate(store, mail, now, item)
    return _store(store, mail, evaluate(config, mail, assign_to), archived, now, item)


def keyed_apart(store: SqlStore, mail: MailMessage) -> MailMessage:
    """The message keyed by its sender too where another sender's holds its Message-ID.

    The same mail read again (the same sender) keeps its key and is a duplicate.
    """
    if mail.message_id is None:
        return mail
    stored, sender = store.sender_of(mail.key)
    if stored and sender != mail.from_address:
        return replace(mail, keyed_by_sender=True)
    return mail


def read_message(config: Config, raw: bytes) -> ReadMessage:
    """What a worker does with a new message: archive it, parse it, decide on it.

    The worker archives it (an fsync'd write) so that the service's own
    process is left with only the database to write.
    """
    archived = Archive(config.storage.archive).store(raw)
    checkpoint("reading")
    mail = parse_message(raw)
    return archived, mail, evaluate(config, mail)


def _duplicate(
    store: SqlStore, mail: MailMessage, now: datetime, item: tuple[str, str] | None
) -> IngestResult:
    if item is not None:
        store.record_item(item[0], item[1], mail.key, now)
    result = _duplicate_result(mail)
    _log(result)
    return result


def _duplicate_result(message: MailMessage | MessageRecord) -> IngestResult:
    """What is said of a message stored before: it is only remembered as read again."""
    return IngestResult(message.key, "duplicate", message.from_address, message.subject)


def _store(
    store: SqlStore,
    mail: MailMessage,
    verdict: Verdict,
    archived: Archived,
    now: datetime,
    item: tuple[str, str] | None,
) -> IngestResult:
    entry, result = _prepare(mail, verdict, archived, now, item)
    store.record_message(entry.message, entry.attachments, entry.submission, entry.item)
    _log(result)
    return result


def _prepare(
    mail: MailMessage,
    verdict: Verdict,
    archived: Archived,
    now: datetime,
    item: tuple[str, str] | None,
) -> tuple[NewMessage, IngestResult]:
    """What to store for a message, and what to say of it once stored."""
    sha256, path = archived
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
    return NewMessage(record, verdict.attachments, submission, item), result


def recheck_held(
    config: Config, store: SqlStore, archive: Archive, now: datetime
) -> list[IngestResult]:
    """Evaluate again the held messages whose sender an administrator has since added to a unit."""
    results = []
    for held in store.messages("needs_review"):
        if (
            held.attribution is None
            and held.review != DOUBTFUL_SENDER  # the address is a unit's already; it is in doubt
            and unit_by_sender(config.units, held.from_address)
        ):
            raw = archive.load(held.sha256)
            results.append(ingest_raw(config, store, archive, raw, held.received_at, again=True))
    return results


def evaluate(config: Config, mail: MailMessage, assign_to: str | None = None) -> Verdict:
    """Decide whose report a message is, for which campaign, and read its spreadsheets."""
    if _is_own(config, mail):
        return Verdict("ignored", None, None, reason="a mail anupalan sent itself")
    unit_id, attribution = _attribute(config, mail, assign_to)
    doubt = _sender_doubt(config, mail, unit_id, attribution)
    claimed = unit_id
    if doubt is not None:
        # Never counted on a sender's word alone when the mail itself casts doubt on it.
        unit_id, attribution = None, None
    texts = _texts(mail)
    campaign, read = _campaign_and_reports(config, texts, _reader(config, mail))
    reports = tuple(report for _, report in read)
    attachments = tuple(
        AttachmentRecord(
            file_name=report.file,
            sha256=hashlib.sha256(source).hexdigest(),
            readable=report.readable,
            reason=report.reason,
            sheets_used=report.sheets_used,
            completion=report.completion,
        )
        for source, report in read
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

    if mail.automatic and assign_to is None and not any(r.readable for r in reports):
        # An out-of-office reply or a bounce: nothing to count, and never to be answered.
        return Verdict("ignored", unit_id, campaign_id, reason="an automatic reply")
    if doubt is not None:
        return held(DOUBTFUL_SENDER, doubt, claimed)
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
    if not reports and mail.damaged:
        return held("unreadable", DAMAGED_MAIL)
    if not reports:
        return held("no_attachment", "no report was attached, nor pasted as a table in the mail")
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


DOUBTFUL_SENDER = "doubtful_sender"
DAMAGED_MAIL = (
    "the mail could not be read (its parts are nested too deeply or are malformed);"
    " please send the report again, attached to a new mail"
)


def _sender_doubt(
    config: Config, mail: MailMessage, unit_id: str | None, attribution: str | None
) -> str | None:
    """Why the mail may not be from whom its From header says, or None.

    Only a mail that would be counted on its sender's word is checked: a unit's,
    or an administrator's forwarding one. Its From header must name one address
    plainly, and where it asks for replies elsewhere (Reply-To) or the delivering
    server recorded another sender (Return-Path), that address must be the same
    unit's, the zone's own, or on the sender's domain.
    """
    if attribution == "sender" and unit_id is not None:
        who = config.unit(unit_id).name
        own = {e.lower() for e in config.unit(unit_id).emails}
    elif attribution == "forwarded":
        who = "the administrator"
        own = set()
    else:
        return None
    own |= {a.lower() for a in config.zone.admins} | {config.outgoing.from_address.lower()}
    check = f"; check that it really comes from {who}, then assign it to the unit"
    if mail.sender_doubt is not None:
        return mail.sender_doubt + check
    sender = _domain(mail.from_address or "")
    for address in mail.reply_to:
        if address not in own and not _same_domain(_domain(address), sender):
            return f"the mail from {mail.from_address} asks for replies to go to {address}" + check
    envelope = mail.return_path
    if envelope and envelope not in own and not _same_domain(_domain(envelope), sender):
        return f"the mail says it is from {mail.from_address} but was sent by {envelope}" + check
    return None


# A forwarding server rewrites the envelope sender by the Sender Rewriting Scheme:
# SRS0=hash=time=example.gov.in=clerk@forwarder.example.org keeps the original domain.
_SRS = re.compile(r"^srs[01][=+-]", re.IGNORECASE)


def _domain(address: str) -> str:
    """The domain of an address; for an SRS-rewritten one, the domain it was rewritten from."""
    local, _, domain = address.lower().rpartition("@")
    if _SRS.match(local):
        parts = local.split("=")
        return parts[-2] if len(parts) >= 3 else domain
    return domain.rstrip(".")


def _same_domain(first: str, second: str) -> bool:
    """Whether two domains are one, or one a subdomain of the other."""
    return bool(first and second) and (
        first == second or first.endswith("." + second) or second.endswith("." + first)
    )


# What a report may come as; other attachments (a signature logo, a covering
# letter) are read only when nothing else was sent, to say why they will not do.
REPORT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".zip")
REPORT_TYPES = ("spreadsheet", "excel", "csv", "zip")

Read = list[tuple[bytes, ParsedReport]]


def _is_report_file(attachment: Attachment) -> bool:
    name, ctype = attachment.file_name.lower(), attachment.content_type.lower()
    return name.endswith(REPORT_SUFFIXES) or any(word in ctype for word in REPORT_TYPES)


def _reader(config: Config, mail: MailMessage) -> Callable[[ReportFormat], Read]:
    """How to read the message's report in a given format: its files, else a table in its body."""
    every = list(_all_attachments(mail))
    candidates = [a for a in every if _is_report_file(a)]
    bodies = [html for html in _html_bodies(mail) if "<table" in html.lower()]
    limits = config.limits.read_limits()

    def files(fmt: ReportFormat, attachments: list[Attachment]) -> Read:
        return [
            (a.data, report)
            for a in attachments
            for report in parse_attachment(a.data, a.file_name, fmt, limits)
        ]

    def read(fmt: ReportFormat) -> Read:
        if candidates:
            return files(fmt, candidates)
        pasted = [(html.encode("utf-8"), map_report(tables_in_html(html), fmt)) for html in bodies]
        if any(report.readable for _, report in pasted):
            return pasted
        return files(fmt, every)

    return read


def _html_bodies(mail: MailMessage) -> Iterable[str]:
    if mail.body_html:
        yield mail.body_html
    for inner in mail.forwarded:
        yield from _html_bodies(inner)


def _is_own(config: Config, mail: MailMessage) -> bool:
    """One of anupalan's own mails (a digest to the admins lands in the mailbox it reads)."""
    own_id = mail.message_id is not None and ".anupalan@" in mail.message_id
    return own_id and mail.from_address == config.outgoing.from_address


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


MAX_TEXT_CHARS = 32 * 1024
MAX_TEXTS_CHARS = 128 * 1024
"""How much of a mail's text is searched for unit names and campaign keywords: far
more than any covering letter, and little enough that a mail padded with names
cannot stall the service (the search takes time that grows faster than the text)."""


def _texts(mail: MailMessage) -> list[str]:
    texts: list[str] = []
    left = MAX_TEXTS_CHARS
    for text in _all_texts(mail):
        if left <= 0:
            break
        texts.append(text[: min(left, MAX_TEXT_CHARS)])
        left -= len(texts[-1])
    return texts


def _all_texts(mail: MailMessage) -> Iterable[str]:
    yield mail.subject
    yield mail.body_text
    yield from (a.file_name for a in mail.attachments)
    for inner in mail.forwarded:
        yield from _all_texts(inner)


def _campaign_and_reports(
    config: Config, texts: list[str], read: Callable[[ReportFormat], Read]
) -> tuple[Campaign | None, Read]:
    """The campaign named by keywords; where several fit, the one whose format the files match."""
    candidates = [config.campaign(cid) for cid in campaigns_by_keywords(config.campaigns, texts)]
    parsed = [(c, read(config.report_format(c.format))) for c in candidates]
    if len(parsed) == 1:
        return parsed[0]
    fitting = [(c, r) for c, r in parsed if any(report.readable for _, report in r)]
    if len(fitting) == 1:
        return fitting[0]
    return None, parsed[0][1] if parsed else []


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
        listed_files=tuple(r.file for r in verdict.reports if r.completion == "listed"),
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
