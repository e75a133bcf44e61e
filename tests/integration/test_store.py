"""The SQLite store on real files: migrations, one-transaction ingest, round trips."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon.adapters.migrations import LATEST
from daemon.adapters.store_sql import AttachmentRecord, MessageRecord, SqlStore
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
    assert {"submissions_by_campaign", "mails_by_state"} <= indexes
    # opening again changes nothing
    assert SqlStore.open_sqlite(path).schema_version() == LATEST


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
