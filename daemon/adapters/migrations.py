"""Versioned schema migrations, written in SQL that SQLite and PostgreSQL both accept.

Each entry moves the schema from version N-1 to N. A database at any older
version, or an empty one, is brought up to date when the store opens it.
A step is a statement, or a function for data that SQL alone cannot compute.
Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from daemon.core.compliance import officer_identity
from daemon.core.models import OfficerRow


def _count_submissions(conn: Connection) -> None:
    """Fill each stored submission's counts of completed officers and of problems."""
    identities: dict[str, set[str]] = {}
    for r in conn.execute(
        sa.text(
            "SELECT message_key, employee_code, name, designation, email FROM officer_rows"
            " WHERE completed = 1"
        )
    ):
        row = OfficerRow(r.employee_code, r.name, r.designation, None, r.email, True, "", 0)
        identities.setdefault(r.message_key, set()).add(officer_identity(row))
    problems: dict[str, int] = {
        key: count
        for key, count in conn.execute(
            sa.text("SELECT message_key, COUNT(*) FROM row_problems GROUP BY message_key")
        )
    }
    keys = conn.execute(sa.text("SELECT message_key FROM submissions")).scalars().all()
    if keys:
        conn.execute(
            sa.text("UPDATE submissions SET completed = :c, problems = :p WHERE message_key = :k"),
            [{"k": k, "c": len(identities.get(k, ())), "p": problems.get(k, 0)} for k in keys],
        )


Step = str | Callable[[Connection], None]

MIGRATIONS: tuple[tuple[Step, ...], ...] = (
    # 1: the first schema
    (
        """CREATE TABLE messages (
            key TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            archive_path TEXT NOT NULL,
            message_id TEXT,
            from_address TEXT,
            subject TEXT NOT NULL,
            sent_at TEXT,
            received_at TEXT NOT NULL,
            unit_id TEXT,
            campaign_id TEXT,
            outcome TEXT NOT NULL,
            reason TEXT,
            suggested_unit TEXT,
            attribution TEXT
        )""",
        """CREATE TABLE mailbox_items (
            mailbox TEXT NOT NULL,
            item TEXT NOT NULL,
            message_key TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (mailbox, item)
        )""",
        """CREATE TABLE sync_state (
            mailbox TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (mailbox, name)
        )""",
        """CREATE TABLE submissions (
            message_key TEXT PRIMARY KEY,
            campaign_id TEXT NOT NULL,
            unit_id TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""",
        """CREATE TABLE attachments (
            message_key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            readable INTEGER NOT NULL,
            reason TEXT,
            sheets_used TEXT NOT NULL,
            PRIMARY KEY (message_key, seq)
        )""",
        """CREATE TABLE officer_rows (
            message_key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            employee_code TEXT,
            name TEXT,
            designation TEXT,
            mobile TEXT,
            email TEXT,
            completed INTEGER NOT NULL,
            file_name TEXT NOT NULL,
            sheet TEXT NOT NULL,
            row_number INTEGER NOT NULL,
            PRIMARY KEY (message_key, seq)
        )""",
        """CREATE TABLE row_problems (
            message_key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            file_name TEXT,
            sheet TEXT,
            row_number INTEGER,
            column_name TEXT,
            value TEXT,
            message TEXT NOT NULL,
            PRIMARY KEY (message_key, seq)
        )""",
        """CREATE TABLE mails (
            key TEXT PRIMARY KEY,
            campaign_id TEXT,
            kind TEXT NOT NULL,
            unit_id TEXT,
            step TEXT,
            message_id TEXT NOT NULL,
            state TEXT NOT NULL,
            planned_at TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        )""",
    ),
    # 2: the look-ups status and the reconciler make on every tick
    (
        "CREATE INDEX submissions_by_campaign ON submissions (campaign_id, unit_id)",
        "CREATE INDEX messages_by_outcome ON messages (outcome)",
        "CREATE INDEX mails_by_campaign ON mails (campaign_id, kind, unit_id)",
    ),
    # 3: the durable outbox (a mail is rendered and stored before it is delivered)
    # and a code for why a message is held, which decides whether the unit is answered
    (
        "ALTER TABLE messages ADD COLUMN review TEXT",
        "ALTER TABLE mails ADD COLUMN message_key TEXT",
        "ALTER TABLE mails ADD COLUMN subject TEXT",
        "ALTER TABLE mails ADD COLUMN sender TEXT",
        "ALTER TABLE mails ADD COLUMN recipients TEXT",
        "ALTER TABLE mails ADD COLUMN content TEXT",
        "ALTER TABLE mails ADD COLUMN next_attempt_at TEXT",
        "CREATE INDEX mails_by_state ON mails (state, next_attempt_at)",
    ),
    # 4: what a tick reads grows with the units and the open work, not with every
    # report ever received: each submission keeps its counts (no officer rows
    # read), and answers are found by the message they answer
    (
        "ALTER TABLE submissions ADD COLUMN completed INTEGER",
        "ALTER TABLE submissions ADD COLUMN problems INTEGER",
        _count_submissions,
        # answers planned before version 3 named their message only in their key
        "UPDATE mails SET message_key = substr(key, 5) WHERE kind = 'ack' AND message_key IS NULL",
        "UPDATE mails SET message_key = substr(key, 11)"
        " WHERE kind = 'rejection' AND message_key IS NULL",
        "CREATE INDEX mails_by_message ON mails (message_key, kind)",
        "DROP INDEX mails_by_campaign",
        "CREATE INDEX mails_by_kind ON mails (campaign_id, kind, state)",
        # each unit's newest submission is the last entry of its run in this index
        "DROP INDEX submissions_by_campaign",
        "CREATE INDEX submissions_newest ON submissions"
        " (campaign_id, unit_id, sent_at, received_at, message_key)",
    ),
    # 5: what said who completed in each file (a status column, a date, or only being
    # listed), which the acknowledgement tells the unit
    ("ALTER TABLE attachments ADD COLUMN completion TEXT",),
)

LATEST = len(MIGRATIONS)
