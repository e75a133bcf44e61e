"""The SQLite store on real files: migrations, one-transaction ingest, round trips."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from daemon.adapters.migrations import LATEST
from daemon.adapters.store_sql import (
    AttachmentRecord,
    MailRecord,
    MessageRecord,
    NewMessage,
    SqlStore,
)
from daemon.core.compliance import current_submissions, summarise
from daemon.core.models import OfficerRow, Problem, Submission
from daemon.errors import StorageError

T0 = datetime(2023, 4, 21, 9, 30, tzinfo=UTC)


def message(key: str = "<m1@example.gov.in>", outcome: str = "accepted") -> MessageRecord:
    return MessageRecord(
        key=key,
        sha256="ab" * 32,
        archive_path="/a/b.eml",
        message_id=key,
        from_address="ccu-chennai-north@example.gov.in",
        subject="Report",
        sent_at=T0,
        received_at=T0,
        outcome=outcome,
        unit_id="chennai-north",
        campaign_id="c1",
        attribution="sender",
    )


def submission(key: str = "<m1@example.gov.in>", rows: int = 3) -> Submission:
    return Submission(
        key=key,
        unit_id="chennai-north",
        campaign_id="c1",
        sent_at=T0,
        received_at=T0,
        files=("Format.xlsx",),
        rows=tuple(
            OfficerRow(
                str(40100 + i),
                f"Officer {i}",
                "Inspector",
                "9876543210",
                f"o{i}@example.gov.in",
                i != 1,
                "Sheet1",
                5 + i,
                "Format.xlsx",
            )
            for i in range(rows)
        ),
        problems=(
            Problem(
                "a mobile number has 10 digits", "Format.xlsx", "Sheet1", 6, "Contact No", "98765"
            ),
        ),
    )


def test_a_fresh_database_comes_up_at_the_latest_schema(tmp_path: Path) -> None:
    store = SqlStore.open_sqlite(tmp_path / "new" / "anupalan.db")
    assert store.schema_version() == LATEST
    assert set(store.table_counts().values()) == {0}


def test_an_older_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "anupalan.db"
    old = SqlStore.open_sqlite(path, migrate=False)
    old.migrate(target=1)
    old.close()
    # what a version-1 anupalan wrote
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO messages (key, sha256, archive_path, subject, received_at, outcome)"
            " VALUES ('<m1@example.gov.in>', 'ab', '/a.eml', 'Report', '2023-04-21T09:30:00+00:00',"
            " 'accepted')"
        )
        raw.execute(
            "INSERT INTO submissions VALUES ('<m1@example.gov.in>', 'c1', 'chennai-north',"
            " '2023-04-21T09:30:00+00:00', '2023-04-21T09:30:00+00:00')"
        )
        assert raw.execute("SELECT version FROM schema_version").fetchone() == (1,)

    store = SqlStore.open_sqlite(path)
    assert store.schema_version() == LATEST
    assert [s.key for s in store.submissions("c1")] == ["<m1@example.gov.in>"]
    held = store.message("<m1@example.gov.in>")
    assert held is not None and held.review is None and held.outcome == "accepted"
    with sqlite3.connect(path) as raw:
        indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"submissions_newest", "mails_by_state", "mails_by_message"} <= indexes
    # opening again changes nothing
    assert SqlStore.open_sqlite(path).schema_version() == LATEST


def test_submissions_stored_before_version_4_get_their_counts(tmp_path: Path) -> None:
    path = tmp_path / "anupalan.db"
    old = SqlStore.open_sqlite(path, migrate=False)
    old.migrate(target=3)
    old.close()
    # what a version-3 anupalan wrote: one officer twice (same code), one by e-mail only,
    # one not completed, and two problems
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO submissions VALUES ('<m1@example.gov.in>', 'c1', 'chennai-north',"
            " '2023-04-21T09:30:00+00:00', '2023-04-21T09:30:00+00:00')"
        )
        raw.execute(
            "INSERT INTO submissions VALUES ('<m2@example.gov.in>', 'c1', 'salem',"
            " '2023-04-21T09:30:00+00:00', '2023-04-21T09:30:00+00:00')"
        )
        raw.executemany(
            "INSERT INTO officer_rows (message_key, seq, employee_code, name, designation, email,"
            " completed, file_name, sheet, row_number) VALUES (?, ?, ?, ?, ?, ?, ?, 'F.xlsx',"
            " 'Sheet1', ?)",
            [
                ("<m1@example.gov.in>", 0, "40101", "A. Kumar", "Inspector", None, 1, 5),
                ("<m1@example.gov.in>", 1, " 40101 ", "A Kumar", "Inspector", None, 1, 6),
                ("<m1@example.gov.in>", 2, None, "B. Devi", "Clerk", "bd@example.gov.in", 1, 7),
                ("<m1@example.gov.in>", 3, "40104", "C. Rao", "Inspector", None, 0, 8),
            ],
        )
        raw.executemany(
            "INSERT INTO row_problems (message_key, seq, message) VALUES (?, ?, ?)",
            [("<m1@example.gov.in>", 0, "bad mobile"), ("<m1@example.gov.in>", 1, "bad mail")],
        )
    store = SqlStore.open_sqlite(path)
    counts = {s.unit_id: (s.completed, s.problems) for s in store.current_summaries("c1")}
    assert counts == {"chennai-north": (2, 2), "salem": (0, 0)}


def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "anupalan.db"
    SqlStore.open_sqlite(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StorageError, match="newer than this anupalan knows"):
        SqlStore.open_sqlite(path)


def test_a_submission_round_trips_with_its_rows_problems_and_files(tmp_path: Path) -> None:
    store = SqlStore.open_sqlite(tmp_path / "a.db")
    attachment = AttachmentRecord(
        "Format.xlsx", "cd" * 32, True, None, ("Division I", "Division II")
    )
    store.record_message(message(), [attachment], submission(), item=("maildir:x", "k1"))
    [loaded] = store.submissions("c1")
    assert loaded == submission()
    assert store.submissions_of(["<m1@example.gov.in>", "<other@example.gov.in>"]) == {
        "<m1@example.gov.in>": submission()
    }
    [summary] = store.current_summaries("c1")
    # three rows, the second not completed; one problem
    assert (summary.key, summary.unit_id, summary.sent_at) == (
        "<m1@example.gov.in>",
        "chennai-north",
        T0,
    )
    assert (summary.completed, summary.problems) == (2, 1)
    assert store.attachments("<m1@example.gov.in>") == [attachment]
    assert store.seen_items("maildir:x") == {"k1"}
    assert store.message("<m1@example.gov.in>") == message()


def test_recording_a_message_again_replaces_its_verdict_and_nothing_doubles(tmp_path: Path) -> None:
    store = SqlStore.open_sqlite(tmp_path / "a.db")
    store.record_message(message(outcome="needs_review"), [], None, item=("maildir:x", "k1"))
    store.record_message(message(), [], submission(rows=4), item=("maildir:x", "k1"))
    store.record_message(message(), [], submission(rows=4), item=("maildir:x", "k1"))
    counts = store.table_counts()
    assert (
        counts["messages"],
        counts["mailbox_items"],
        counts["submissions"],
        counts["officer_rows"],
    ) == (1, 1, 1, 4)
    assert store.messages("needs_review") == []


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    store = SqlStore.open_sqlite(tmp_path / "a.db")
    broken = submission()
    # a constraint the second copy of a row breaks half-way: the whole message must roll back
    with sqlite3.connect(tmp_path / "a.db") as raw:
        raw.execute("CREATE UNIQUE INDEX one_code ON officer_rows (employee_code)")
    dup = Submission(**{**broken.__dict__, "rows": broken.rows + broken.rows[:1]})
    with pytest.raises(StorageError):
        store.record_message(message(), [], dup, item=("maildir:x", "k1"))
    assert set(store.table_counts().values()) == {0}


def test_each_units_current_summary_is_the_submission_current_submissions_picks(
    tmp_path: Path,
) -> None:
    store = SqlStore.open_sqlite(tmp_path / "a.db")
    chance = random.Random(20230430)
    base = datetime(2023, 4, 21, 9, 30, tzinfo=UTC)
    # Close times on purpose: equal sending times, a microsecond apart, other time zones.
    moments = [base + timedelta(microseconds=m) for m in (0, 1, 500_000)] + [
        base.astimezone(timezone(timedelta(hours=5, minutes=30))) + timedelta(seconds=1),
        base - timedelta(days=1),
    ]
    for n in range(120):
        unit = f"unit-{chance.randrange(8)}"
        sub = Submission(
            key=f"<m{chance.randrange(10**6)}-{n}@example.gov.in>",
            unit_id=unit,
            campaign_id="c1",
            sent_at=chance.choice(moments),
            received_at=chance.choice(moments),
            files=(),
            rows=submission(rows=chance.randrange(4)).rows,
            problems=(),
        )
        store.record_message(
            MessageRecord(**{**message(sub.key).__dict__, "unit_id": unit}), submission=sub
        )
    everything = [summarise(s) for s in store.submissions("c1")]
    expected = current_submissions(everything)
    assert {s.unit_id: s for s in store.current_summaries("c1")} == expected
    assert len(expected) == 8


def answer(kind: str, message_key: str, state: str = "sent") -> MailRecord:
    return MailRecord(
        key=f"{kind}:{message_key}",
        campaign_id="c1",
        kind=kind,
        unit_id="chennai-north",
        step=None,
        message_id=f"<{kind}.{message_key.strip('<>')}>",
        state=state,
        planned_at=T0,
        sent_at=None,
        attempts=0,
        last_error=None,
        message_key=message_key,
    )


def test_a_tick_reads_only_messages_without_their_answer(tmp_path: Path) -> None:
    store = SqlStore.open_sqlite(tmp_path / "a.db")
    for key, outcome, review in [
        ("<acked@example.gov.in>", "accepted", None),
        ("<new@example.gov.in>", "accepted", None),
        ("<rejected@example.gov.in>", "needs_review", "unreadable"),
        ("<unreadable@example.gov.in>", "needs_review", "unreadable"),
        # held with a rejection, then assigned by an administrator: its ack is still owed
        ("<assigned@example.gov.in>", "accepted", None),
    ]:
        store.record_message(
            MessageRecord(**{**message(key).__dict__, "outcome": outcome, "review": review})
        )
    store.record_message(
        MessageRecord(
            **{
                **message("<stranger@example.gov.in>").__dict__,
                "outcome": "needs_review",
                "unit_id": None,
            }
        )
    )
    for kind, key in [
        ("ack", "<acked@example.gov.in>"),
        ("rejection", "<rejected@example.gov.in>"),
        ("rejection", "<assigned@example.gov.in>"),
    ]:
        store.plan_mail(answer(kind, key), b"")
    assert [m.key for m in store.unanswered("c1")] == [
        "<assigned@example.gov.in>",
        "<new@example.gov.in>",
        "<unreadable@example.gov.in>",
    ]
    # the ledger a tick reads keeps answers until they are sent, and everything else
    store.plan_mail(answer("reminder", "<x>"), b"")
    store.mark_sent("ack:<acked@example.gov.in>", T0)
    store.mark_failed("rejection:<rejected@example.gov.in>", "mailbox full")
    assert {m.key for m in store.ledger("c1")} == {
        "rejection:<rejected@example.gov.in>",
        "rejection:<assigned@example.gov.in>",
        "reminder:<x>",
    }
    assert {m.key for m in store.unsent_mails()} == {m.key for m in store.ledger("c1")}


def test_answers_planned_before_version_3_are_found_by_their_message(tmp_path: Path) -> None:
    path = tmp_path / "anupalan.db"
    old = SqlStore.open_sqlite(path, migrate=False)
    old.migrate(target=2)
    old.close()
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO messages (key, sha256, archive_path, subject, received_at, outcome,"
            " unit_id, campaign_id) VALUES ('<m1@example.gov.in>', 'ab', '/a.eml', 'Report',"
            " '2023-04-21T09:30:00+00:00', 'accepted', 'chennai-north', 'c1')"
        )
        raw.execute(
            "INSERT INTO mails (key, campaign_id, kind, unit_id, message_id, state, planned_at)"
            " VALUES ('ack:<m1@example.gov.in>', 'c1', 'ack', 'chennai-north', '<a1>', 'sent',"
            " '2023-04-21T09:31:00+00:00')"
        )
    store = SqlStore.open_sqlite(path)
    assert store.unanswered("c1") == []
    [ack] = store.mails("c1")
    assert ack.message_key == "<m1@example.gov.in>"


def test_new_messages_are_stored_at_once_and_one_stored_before_keeps_its_verdict(
    tmp_path: Path,
) -> None:
    store = SqlStore.open_sqlite(tmp_path / "a.db")
    store.record_message(message("<old@example.gov.in>"), [], submission("<old@example.gov.in>"))
    held_again = MessageRecord(**{**message("<old@example.gov.in>").__dict__, "outcome": "ignored"})
    stored = store.record_new_messages(
        [
            NewMessage(
                message("<a@example.gov.in>"), (), submission("<a@example.gov.in>"), ("box", "1")
            ),
            NewMessage(held_again, (), None, ("box", "2")),
            NewMessage(message("<b@example.gov.in>"), (), None, ("box", "3")),
            # the same mail twice in one batch: stored once
            NewMessage(message("<b@example.gov.in>"), (), None, ("box", "4")),
        ]
    )
    assert stored == [True, False, True, False]
    old = store.message("<old@example.gov.in>")
    assert old is not None and old.outcome == "accepted"
    assert store.seen_items("box") == {"1", "2", "3", "4"}
    assert store.table_counts()["messages"] == 3
    assert sorted(store.submissions_of(["<a@example.gov.in>", "<old@example.gov.in>"])) == [
        "<a@example.gov.in>",
        "<old@example.gov.in>",
    ]


def test_many_mails_are_planned_at_once_and_a_planned_key_is_never_planned_again(
    tmp_path: Path,
) -> None:
    store = SqlStore.open_sqlite(tmp_path / "a.db")
    first = answer("ack", "<a@example.gov.in>", state="planned")
    assert store.plan_mail(first, b"one") is True
    added = store.plan_mails(
        [(first, b"two"), (answer("ack", "<b@example.gov.in>", "planned"), b"three")]
    )
    assert added == [False, True]
    assert store.mail_content(first.key) == b"one"
