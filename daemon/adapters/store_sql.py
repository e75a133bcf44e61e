"""The durable state of the service, in SQLite by default and PostgreSQL where it must scale.

Every statement is plain SQL both engines accept (through SQLAlchemy Core), every
write is keyed so that repeating it changes nothing, and each ingested message
is stored in one short transaction.

On SQLite a statement waits up to 10 seconds for a lock another process holds
on the file; the environment variable ANUPALAN_DB_BUSY_TIMEOUT (seconds) sets
another limit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from daemon.adapters.migrations import LATEST, MIGRATIONS
from daemon.core.compliance import summarise
from daemon.core.models import Completion, OfficerRow, Problem, Submission, SubmissionSummary
from daemon.core.reconcile import Kind
from daemon.errors import StorageError


@dataclass(frozen=True)
class MessageRecord:
    """A message as the ledger of ingested mail remembers it."""

    key: str
    sha256: str
    archive_path: str
    message_id: str | None
    from_address: str | None
    subject: str
    sent_at: datetime | None
    received_at: datetime
    outcome: str  # "accepted" | "needs_review" | "ignored"
    unit_id: str | None = None
    campaign_id: str | None = None
    reason: str | None = None
    suggested_unit: str | None = None
    attribution: str | None = None  # "sender" | "forwarded" | "assigned"
    review: str | None = None  # why it is held: "unknown_sender", "unreadable", ...


@dataclass(frozen=True)
class AttachmentRecord:
    """What became of one attachment of a message."""

    file_name: str
    sha256: str
    readable: bool
    reason: str | None
    sheets_used: tuple[str, ...]
    completion: Completion | None = None  # what said who completed (`ParsedReport.completion`)


@dataclass(frozen=True)
class NewMessage:
    """A message to store with all it yielded, and the mailbox item it was read from."""

    message: MessageRecord
    attachments: Sequence[AttachmentRecord] = ()
    submission: Submission | None = None
    item: tuple[str, str] | None = None


@dataclass(frozen=True)
class MailRecord:
    """One entry of the ledger of planned mails."""

    key: str
    campaign_id: str | None
    kind: str
    unit_id: str | None
    step: str | None
    message_id: str
    state: str  # "planned" | "sent" | "failed"
    planned_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    message_key: str | None = None
    subject: str | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    next_attempt_at: datetime | None = None


# The kinds of mail that are not the answer to a message, as SQL: the ledger of a
# tick reads these whole.
_NOT_ANSWERS = ", ".join(f"'{kind}'" for kind in get_args(Kind) if kind not in ("ack", "rejection"))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _dt_required(value: str) -> datetime:
    return datetime.fromisoformat(value)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


BUSY_TIMEOUT_ENV = "ANUPALAN_DB_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 10.0


def busy_timeout() -> float:
    """Seconds a statement waits for another process's lock on a SQLite database."""
    text = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    try:
        seconds = float(text) if text else DEFAULT_BUSY_TIMEOUT
    except ValueError:
        raise StorageError(
            f"{BUSY_TIMEOUT_ENV}={text!r} is not a number of seconds, such as 10"
        ) from None
    return max(seconds, 0.0)


class SqlStore:
    """anupalan's database: messages, submissions, rows, problems, mails, mailbox sync state."""

    def __init__(self, url: str) -> None:
        try:
            self.engine: Engine = sa.create_engine(url)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise StorageError(f"cannot use database {url!r}: {exc}") from exc
        self.busy_timeout = busy_timeout()
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(
                self.engine, "connect", partial(_sqlite_pragmas, busy_timeout=self.busy_timeout)
            )

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> SqlStore:
        """Open the database and bring its schema up to date."""
        store = cls(url)
        if migrate:
            store.migrate()
        return store

    @classmethod
    def open_sqlite(cls, path: Path, migrate: bool = True) -> SqlStore:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder for database {path}: {exc}") from exc
        return cls.open(sqlite_url(path), migrate=migrate)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            if getattr(reason, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise StorageError(
                    f"the database {self.engine.url.database} is locked by another process"
                    f" (waited {self.busy_timeout:g} s): {reason}"
                ) from exc
            raise StorageError(f"database error: {reason}") from exc

    # -- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        with self._tx() as conn:
            if not sa.inspect(conn).has_table("schema_version"):
                return 0
            return int(conn.execute(sa.text("SELECT version FROM schema_version")).scalar_one())

    def migrate(self, target: int = LATEST) -> int:
        """Apply the migrations between the database's version and `target`; return the version."""
        with self._tx() as conn:
            if not sa.inspect(conn).has_table("schema_version"):
                conn.execute(sa.text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
                conn.execute(sa.text("INSERT INTO schema_version (version) VALUES (0)"))
            current = int(conn.execute(sa.text("SELECT version FROM schema_version")).scalar_one())
            if current > LATEST:
                raise StorageError(
                    f"the database is at schema version {current}, newer than this anupalan "
                    f"knows ({LATEST}); upgrade anupalan"
                )
            for version in range(current + 1, target + 1):
                for step in MIGRATIONS[version - 1]:
                    if isinstance(step, str):
                        conn.execute(sa.text(step))
                    else:
                        step(conn)
                conn.execute(sa.text("UPDATE schema_version SET version = :v"), {"v": version})
            return max(current, target)

    # -- mailbox sync -------------------------------------------------------

    def seen_items(self, mailbox: str) -> SeenItems:
        """Items of a mailbox already ingested (or recognised as duplicates).

        Read from the database when first asked about: a poll that finds no new
        mail never asks, and so never reads a list as long as the mailbox.
        """
        return SeenItems(self, mailbox)

    def _seen_items(self, mailbox: str) -> frozenset[str]:
        with self._tx() as conn:
            rows = conn.execute(
                sa.text("SELECT item FROM mailbox_items WHERE mailbox = :m"), {"m": mailbox}
            )
            return frozenset(r.item for r in rows)

    def has_message(self, key: str) -> bool:
        with self._tx() as conn:
            found = conn.execute(sa.text("SELECT 1 FROM messages WHERE key = :k"), {"k": key})
            return found.first() is not None

    def record_item(self, mailbox: str, item: str, message_key: str, now: datetime) -> None:
        """Remember a mailbox item whose message is already stored (a copy or a re-delivery)."""
        with self._tx() as conn:
            _insert_item(conn, mailbox, item, message_key, now)

    def sync_state(self, mailbox: str) -> StoredSyncState:
        """The sync state of one mailbox, as its source reads and writes it."""
        return StoredSyncState(self, mailbox)

    def set_sync_value(self, mailbox: str, name: str, value: str) -> None:
        with self._tx() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO sync_state (mailbox, name, value) VALUES (:m, :n, :v)"
                    " ON CONFLICT (mailbox, name) DO UPDATE SET value = excluded.value"
                ),
                {"m": mailbox, "n": name, "v": value},
            )

    def sync_value(self, mailbox: str, name: str) -> str | None:
        with self._tx() as conn:
            return conn.execute(
                sa.text("SELECT value FROM sync_state WHERE mailbox = :m AND name = :n"),
                {"m": mailbox, "n": name},
            ).scalar_one_or_none()

    # -- ingest ---------------------------------------------------------------

    def record_message(
        self,
        message: MessageRecord,
        attachments: Sequence[AttachmentRecord] = (),
        submission: Submission | None = None,
        item: tuple[str, str] | None = None,
    ) -> None:
        """Store a message and all it yielded in one transaction, replacing an earlier verdict.

        `item` is the (mailbox, item id) it was read from; it is remembered in
        the same transaction, so a crash can never leave it half-ingested.
        """
        with self._tx() as conn:
            key = {"k": message.key}
            for table in ("officer_rows", "row_problems", "attachments", "submissions", "messages"):
                column = "key" if table == "messages" else "message_key"
                conn.execute(sa.text(f"DELETE FROM {table} WHERE {column} = :k"), key)
            _insert_message(conn, NewMessage(message, attachments, submission, item))

    def record_new_messages(self, entries: Sequence[NewMessage]) -> list[bool]:
        """Store each message not stored before, all in one transaction; True for each stored.

        A message stored before (the same mail read twice) keeps its verdict;
        only the mailbox item it was read from is remembered.
        """
        stored = []
        with self._tx() as conn:
            for entry in entries:
                message = entry.message
                known = conn.execute(
                    sa.text("SELECT 1 FROM messages WHERE key = :k"), {"k": message.key}
                ).first()
                if known is None:
                    _insert_message(conn, entry)
                elif entry.item is not None:
                    _insert_item(conn, *entry.item, message.key, message.received_at)
                stored.append(known is None)
        return stored

    # -- queries --------------------------------------------------------------

    def sender_of(self, key: str) -> tuple[bool, str | None]:
        """Whether a message is stored under `key`, and its sender's address."""
        with self._tx() as conn:
            row = conn.execute(
                sa.text("SELECT from_address FROM messages WHERE key = :k"), {"k": key}
            ).first()
            return (row is not None, row.from_address if row is not None else None)

    def message(self, key: str) -> MessageRecord | None:
        with self._tx() as conn:
            row = conn.execute(sa.text("SELECT * FROM messages WHERE key = :k"), {"k": key}).first()
            return _message(row._mapping) if row else None

    def messages(self, outcome: str | None = None) -> list[MessageRecord]:
        """Messages in the order they arrived, optionally only those with one outcome."""
        query = "SELECT * FROM messages"
        params: dict[str, Any] = {}
        if outcome is not None:
            query += " WHERE outcome = :o"
            params["o"] = outcome
        with self._tx() as conn:
            rows = conn.execute(sa.text(query + " ORDER BY received_at, key"), params)
            return [_message(r._mapping) for r in rows]

    def unanswered(self, campaign_id: str) -> list[MessageRecord]:
        """A campaign's messages from a unit that have no answer in the ledger yet.

        An accepted report's answer is its ack, a held one's its rejection (the
        ledger gives each the message's key). Held messages that are never
        answered (a stranger's, say) stay in this list; they are few.
        """
        with self._tx() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT * FROM messages m WHERE m.campaign_id = :c"
                    " AND m.unit_id IS NOT NULL AND m.outcome IN ('accepted', 'needs_review')"
                    " AND NOT EXISTS (SELECT 1 FROM mails a WHERE a.message_key = m.key"
                    " AND a.kind = CASE m.outcome WHEN 'accepted' THEN 'ack' ELSE 'rejection' END)"
                    " ORDER BY m.received_at, m.key"
                ),
                {"c": campaign_id},
            )
            return [_message(r._mapping) for r in rows]

    def attachments(self, message_key: str) -> list[AttachmentRecord]:
        with self._tx() as conn:
            rows = conn.execute(
                sa.text("SELECT * FROM attachments WHERE message_key = :k ORDER BY seq"),
                {"k": message_key},
            )
            return [
                AttachmentRecord(
                    file_name=r.file_name,
                    sha256=r.sha256,
                    readable=bool(r.readable),
                    reason=r.reason,
                    sheets_used=tuple(json.loads(r.sheets_used)),
                    completion=r.completion,
                )
                for r in rows
            ]

    def current_summaries(self, campaign_id: str) -> list[SubmissionSummary]:
        """Each unit's newest submission to a campaign, without its rows: one row per unit.

        Newest as `current_submissions` has it: by sending time, then arrival,
        then key. Times are stored as UTC ISO text, which sorts as time does.
        """
        with self._tx() as conn:
            found = conn.execute(
                # One look-up in the index submissions_newest for each unit that reported.
                sa.text(
                    "SELECT message_key, unit_id, campaign_id, sent_at, received_at, completed,"
                    " problems FROM submissions WHERE message_key IN (SELECT (SELECT"
                    " t.message_key FROM submissions t WHERE t.campaign_id = :c"
                    " AND t.unit_id = u.unit_id ORDER BY t.sent_at DESC, t.received_at DESC,"
                    " t.message_key DESC LIMIT 1) FROM (SELECT DISTINCT unit_id FROM"
                    " submissions WHERE campaign_id = :c) u) ORDER BY unit_id"
                ),
                {"c": campaign_id},
            )
            return [
                SubmissionSummary(k, u, c, _dt_required(s), _dt_required(r), done, problems)
                for k, u, c, s, r, done, problems in found
            ]

    def submissions(self, campaign_id: str) -> list[Submission]:
        """Every submission stored for a campaign, with its rows and problems."""
        return self._submissions("s.campaign_id = :c", {"c": campaign_id})

    def submissions_of(self, keys: Sequence[str]) -> dict[str, Submission]:
        """The submissions the given messages made, by message key, with rows and problems."""
        found: dict[str, Submission] = {}
        for start in range(0, len(keys), 500):  # within every database's limit on parameters
            chunk = {"k": list(keys[start : start + 500])}
            found.update((s.key, s) for s in self._submissions("s.message_key IN :k", chunk))
        return found

    def _submissions(self, where: str, params: dict[str, Any]) -> list[Submission]:
        def query(sql: str) -> sa.TextClause:
            text = sa.text(sql)
            return text.bindparams(sa.bindparam("k", expanding=True)) if ":k" in where else text

        with self._tx() as conn:
            subs = conn.execute(
                query(f"SELECT * FROM submissions s WHERE {where} ORDER BY s.message_key"),
                params,
            ).all()
            rows: dict[str, list[OfficerRow]] = {}
            for r in conn.execute(
                query(
                    "SELECT o.* FROM officer_rows o JOIN submissions s"
                    f" ON s.message_key = o.message_key WHERE {where}"
                    " ORDER BY o.message_key, o.seq"
                ),
                params,
            ):
                rows.setdefault(r.message_key, []).append(
                    OfficerRow(
                        employee_code=r.employee_code,
                        name=r.name,
                        designation=r.designation,
                        mobile=r.mobile,
                        email=r.email,
                        completed=bool(r.completed),
                        sheet=r.sheet,
                        row=r.row_number,
                        file=r.file_name,
                    )
                )
            problems: dict[str, list[Problem]] = {}
            for p in conn.execute(
                query(
                    "SELECT p.* FROM row_problems p JOIN submissions s"
                    f" ON s.message_key = p.message_key WHERE {where}"
                    " ORDER BY p.message_key, p.seq"
                ),
                params,
            ):
                problems.setdefault(p.message_key, []).append(
                    Problem(
                        message=p.message,
                        file=p.file_name,
                        sheet=p.sheet,
                        row=p.row_number,
                        column=p.column_name,
                        value=p.value,
                    )
                )
            files: dict[str, list[str]] = {}
            listed: dict[str, list[str]] = {}
            for a in conn.execute(
                query(
                    "SELECT a.message_key, a.file_name, a.completion FROM attachments a"
                    " JOIN submissions s ON s.message_key = a.message_key"
                    f" WHERE {where} AND a.readable = 1 ORDER BY a.message_key, a.seq"
                ),
                params,
            ):
                files.setdefault(a.message_key, []).append(a.file_name)
                if a.completion == "listed":
                    listed.setdefault(a.message_key, []).append(a.file_name)
        return [
            Submission(
                key=s.message_key,
                unit_id=s.unit_id,
                campaign_id=s.campaign_id,
                sent_at=_dt_required(s.sent_at),
                received_at=_dt_required(s.received_at),
                files=tuple(files.get(s.message_key, ())),
                rows=tuple(rows.get(s.message_key, ())),
                problems=tuple(problems.get(s.message_key, ())),
                listed_files=tuple(listed.get(s.message_key, ())),
            )
            for s in subs
        ]

    def ledger(self, campaign_id: str) -> list[MailRecord]:
        """A campaign's planned mails, oldest first, except answers already sent.

        A sent ack or rejection settles its message for good: a tick never needs
        it again, and there is one for every report the campaign ever received.
        """
        with self._tx() as conn:
            rows = conn.execute(
                # Two look-ups an index serves, rather than a scan of every answer sent.
                sa.text(
                    "SELECT * FROM mails WHERE campaign_id = :c"
                    f" AND kind IN ({_NOT_ANSWERS})"
                    " UNION ALL SELECT * FROM mails WHERE state IN ('planned', 'failed')"
                    " AND campaign_id = :c AND kind IN ('ack', 'rejection')"
                    " ORDER BY planned_at, key"
                ),
                {"c": campaign_id},
            )
            return [_mail(r._mapping) for r in rows]

    def unsent_mails(self) -> list[MailRecord]:
        """Planned mails not sent: waiting, being retried, or given up as failed."""
        with self._tx() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT * FROM mails WHERE state IN ('planned', 'failed')"
                    " ORDER BY planned_at, key"
                )
            )
            return [_mail(r._mapping) for r in rows]

    def mails(self, campaign_id: str | None = None) -> list[MailRecord]:
        """The ledger of planned mails, oldest first, optionally for one campaign."""
        query = "SELECT * FROM mails"
        params: dict[str, Any] = {}
        if campaign_id is not None:
            query += " WHERE campaign_id = :c"
            params["c"] = campaign_id
        with self._tx() as conn:
            rows = conn.execute(sa.text(query + " ORDER BY planned_at, key"), params)
            return [_mail(r._mapping) for r in rows]

    # -- the outbox ---------------------------------------------------------------

    def plan_mail(self, mail: MailRecord, content: bytes) -> bool:
        """Put a rendered mail in the ledger unless its key is there; True if it was added."""
        return self.plan_mails([(mail, content)])[0]

    def plan_mails(self, mails: Sequence[tuple[MailRecord, bytes]]) -> list[bool]:
        """`plan_mail` for each, in one transaction."""
        with self._tx() as conn:
            return [_plan_mail(conn, mail, content) for mail, content in mails]

    def deliverable(self, now: datetime) -> list[MailRecord]:
        """Planned mails whose next attempt is due, oldest first."""
        with self._tx() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT * FROM mails WHERE state = 'planned'"
                    " AND (next_attempt_at IS NULL OR next_attempt_at <= :now)"
                    " ORDER BY planned_at, key"
                ),
                {"now": _iso(now)},
            )
            return [_mail(r._mapping) for r in rows]

    def mail_content(self, key: str) -> bytes:
        with self._tx() as conn:
            text = conn.execute(
                sa.text("SELECT content FROM mails WHERE key = :k"), {"k": key}
            ).scalar_one()
            return str(text).encode("ascii")

    def mark_sent(self, key: str, now: datetime) -> None:
        self._set_state(key, "sent", sent_at=_iso(now), last_error=None, next_attempt_at=None)

    def mark_retry(self, key: str, error: str, next_attempt_at: datetime) -> None:
        self._set_state(key, "planned", last_error=error, next_attempt_at=_iso(next_attempt_at))

    def mark_failed(self, key: str, error: str) -> None:
        self._set_state(key, "failed", last_error=error, next_attempt_at=None)

    def _set_state(self, key: str, state: str, **values: str | None) -> None:
        assignments = "".join(f", {name} = :{name}" for name in values)
        with self._tx() as conn:
            conn.execute(
                sa.text(
                    f"UPDATE mails SET state = :state, attempts = attempts + 1{assignments}"
                    " WHERE key = :key"
                ),
                {"key": key, "state": state, **values},
            )

    def counts(self) -> dict[str, dict[tuple[str, ...], int]]:
        """Messages by outcome, submissions by campaign, problems, mails by kind and state."""
        queries = {
            "messages": "SELECT outcome, COUNT(*) FROM messages GROUP BY outcome",
            "submissions": "SELECT campaign_id, COUNT(*) FROM submissions GROUP BY campaign_id",
            "problems": "SELECT 'all', COUNT(*) FROM row_problems",
            "mails": "SELECT kind, state, COUNT(*) FROM mails GROUP BY kind, state",
        }
        with self._tx() as conn:
            return {
                name: {tuple(row[:-1]): int(row[-1]) for row in conn.execute(sa.text(query))}
                for name, query in queries.items()
            }

    def table_counts(self) -> dict[str, int]:
        """How many rows each table holds (for tests and diagnostics)."""
        tables = (
            "messages",
            "mailbox_items",
            "submissions",
            "attachments",
            "officer_rows",
            "row_problems",
            "mails",
        )
        with self._tx() as conn:
            return {
                t: int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                for t in tables
            }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_timeout: float) -> None:
    cursor = dbapi_connection.cursor()
    # First, so that even switching to WAL waits for another process's lock.
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    # WAL lets status and report commands read while the service writes; FULL
    # sync because a stored report must survive a power cut, not only a crash.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _insert_item(conn: Connection, mailbox: str, item: str, key: str, now: datetime) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO mailbox_items (mailbox, item, message_key, seen_at)"
            " VALUES (:m, :i, :k, :t) ON CONFLICT (mailbox, item) DO NOTHING"
        ),
        {"m": mailbox, "i": item, "k": key, "t": _iso(now)},
    )


def _plan_mail(conn: Connection, mail: MailRecord, content: bytes) -> bool:
    inserted = conn.execute(
        sa.text(
            "INSERT INTO mails (key, campaign_id, kind, unit_id, step, message_id, state,"
            " planned_at, attempts, message_key, subject, sender, recipients, content)"
            " VALUES (:key, :campaign_id, :kind, :unit_id, :step, :message_id, 'planned',"
            " :planned_at, 0, :message_key, :subject, :sender, :recipients, :content)"
            " ON CONFLICT (key) DO NOTHING"
        ),
        {
            "key": mail.key,
            "campaign_id": mail.campaign_id,
            "kind": mail.kind,
            "unit_id": mail.unit_id,
            "step": mail.step,
            "message_id": mail.message_id,
            "planned_at": _iso(mail.planned_at),
            "message_key": mail.message_key,
            "subject": mail.subject,
            "sender": mail.sender,
            "recipients": json.dumps(list(mail.recipients)),
            # Rendered mail is 7-bit ASCII (MIME encodes the rest), so TEXT holds it
            # on every database.
            "content": content.decode("ascii"),
        },
    )
    return bool(inserted.rowcount)


def _insert_message(conn: Connection, entry: NewMessage) -> None:
    message = entry.message
    conn.execute(
        sa.text(
            "INSERT INTO messages (key, sha256, archive_path, message_id, from_address,"
            " subject, sent_at, received_at, unit_id, campaign_id, outcome, reason,"
            " suggested_unit, attribution, review) VALUES (:key, :sha256, :archive_path,"
            " :message_id, :from_address, :subject, :sent_at, :received_at, :unit_id,"
            " :campaign_id, :outcome, :reason, :suggested_unit, :attribution, :review)"
        ),
        {
            **message.__dict__,
            "sent_at": _iso(message.sent_at),
            "received_at": _iso(message.received_at),
        },
    )
    if entry.attachments:
        conn.execute(
            sa.text(
                "INSERT INTO attachments (message_key, seq, file_name, sha256, readable,"
                " reason, sheets_used, completion) VALUES (:k, :seq, :file_name, :sha256,"
                " :readable, :reason, :sheets_used, :completion)"
            ),
            [
                {
                    "k": message.key,
                    "seq": seq,
                    "file_name": a.file_name,
                    "sha256": a.sha256,
                    "readable": int(a.readable),
                    "reason": a.reason,
                    "sheets_used": json.dumps(list(a.sheets_used)),
                    "completion": a.completion,
                }
                for seq, a in enumerate(entry.attachments)
            ],
        )
    if entry.submission is not None:
        _insert_submission(conn, entry.submission)
    if entry.item is not None:
        _insert_item(conn, entry.item[0], entry.item[1], message.key, message.received_at)


def _insert_submission(conn: Connection, sub: Submission) -> None:
    summary = summarise(sub)
    conn.execute(
        sa.text(
            "INSERT INTO submissions (message_key, campaign_id, unit_id, sent_at, received_at,"
            " completed, problems) VALUES (:k, :c, :u, :s, :r, :completed, :problems)"
        ),
        {
            "k": sub.key,
            "c": sub.campaign_id,
            "u": sub.unit_id,
            "s": _iso(sub.sent_at),
            "r": _iso(sub.received_at),
            "completed": summary.completed,
            "problems": summary.problems,
        },
    )
    if sub.rows:
        conn.execute(
            sa.text(
                "INSERT INTO officer_rows (message_key, seq, employee_code, name, designation,"
                " mobile, email, completed, file_name, sheet, row_number) VALUES (:k, :seq,"
                " :employee_code, :name, :designation, :mobile, :email, :completed, :file,"
                " :sheet, :row)"
            ),
            [
                {**_values(r), "k": sub.key, "seq": seq, "completed": int(r.completed)}
                for seq, r in enumerate(sub.rows)
            ],
        )
    if sub.problems:
        conn.execute(
            sa.text(
                "INSERT INTO row_problems (message_key, seq, file_name, sheet, row_number,"
                " column_name, value, message) VALUES (:k, :seq, :file, :sheet, :row, :column,"
                " :value, :message)"
            ),
            [{**p.__dict__, "k": sub.key, "seq": seq} for seq, p in enumerate(sub.problems)],
        )


_OFFICER_FIELDS = tuple(f.name for f in fields(OfficerRow))


def _values(row: OfficerRow) -> dict[str, Any]:
    """An officer row's fields by name (the row keeps no `__dict__`: a report has many)."""
    return {name: getattr(row, name) for name in _OFFICER_FIELDS}


def _message(m: Any) -> MessageRecord:
    return MessageRecord(
        key=m["key"],
        sha256=m["sha256"],
        archive_path=m["archive_path"],
        message_id=m["message_id"],
        from_address=m["from_address"],
        subject=m["subject"],
        sent_at=_dt(m["sent_at"]),
        received_at=_dt_required(m["received_at"]),
        outcome=m["outcome"],
        unit_id=m["unit_id"],
        campaign_id=m["campaign_id"],
        reason=m["reason"],
        suggested_unit=m["suggested_unit"],
        attribution=m["attribution"],
        review=m["review"],
    )


def _mail(m: Any) -> MailRecord:
    return MailRecord(
        key=m["key"],
        campaign_id=m["campaign_id"],
        kind=m["kind"],
        unit_id=m["unit_id"],
        step=m["step"],
        message_id=m["message_id"],
        state=m["state"],
        planned_at=_dt_required(m["planned_at"]),
        sent_at=_dt(m["sent_at"]),
        attempts=int(m["attempts"]),
        last_error=m["last_error"],
        message_key=m["message_key"],
        subject=m["subject"],
        sender=m["sender"],
        recipients=tuple(json.loads(m["recipients"] or "[]")),
        next_attempt_at=_dt(m["next_attempt_at"]),
    )


class SeenItems(AbstractSet[str]):
    """The items of one mailbox already ingested, read when first asked about."""

    def __init__(self, store: SqlStore, mailbox: str) -> None:
        self._store, self._mailbox = store, mailbox
        self._items: frozenset[str] | None = None

    @property
    def items(self) -> frozenset[str]:
        if self._items is None:
            self._items = self._store._seen_items(self._mailbox)
        return self._items

    def __contains__(self, item: object) -> bool:
        return item in self.items

    def __iter__(self) -> Iterator[str]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class StoredSyncState:
    """One mailbox's sync state in the database (the SyncState port)."""

    store: SqlStore
    mailbox: str

    def get(self, name: str) -> str | None:
        return self.store.sync_value(self.mailbox, name)

    def set(self, name: str, value: str) -> None:
        self.store.set_sync_value(self.mailbox, name, value)
