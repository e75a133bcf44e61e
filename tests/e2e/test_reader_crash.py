"""Processes killed while many replies are read lose none of them and answer none twice.

`anupalan once` over a Maildir of many replies, with two reader processes that
stop at the "reading" checkpoint and are killed there (as the kernel's
out-of-memory killer would). The replies they held are reported as not
ingested and left unseen, and the next poll stores them. Every reply ends up stored exactly once
and acknowledged exactly once. The same holds when the whole command, workers
and all, is killed half-way through a poll that answers as it goes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from conftest import ZONE_CONFIG
from service_process import WAIT, anupalan, command

from daemon.adapters.store_sql import SqlStore
from daemon.services.ingest import ANSWER_EVERY, PARALLEL_AFTER
from daemon.testing import make_maildir, officers, reply_message, report_xlsx

SUBJECT = "Report reg Level-1 Course on Emerging Technologies"
NOW = "2023-04-22T10:00:00+05:30"
REPLIES = PARALLEL_AFTER + 15


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            # the fields after the command name, which is in parentheses and may hold spaces
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def many_replies(root: Path, count: int) -> Path:
    config = root / "config.yaml"
    config.write_text(ZONE_CONFIG + "service: {readers: 2}\n", encoding="utf-8")
    make_maildir(
        root / "mailbox",
        (
            reply_message(
                "ccu-chennai-north@example.gov.in",
                SUBJECT,
                [("Format.xlsx", report_xlsx(officers(4, first_code=40101 + 10 * n)))],
                message_id=f"<k{n}@example.gov.in>",
            )
            for n in range(count)
        ),
    )
    return config


def test_replies_held_by_a_killed_reader_are_stored_at_the_next_poll(tmp_path: Path) -> None:
    config = many_replies(tmp_path, REPLIES)
    once = subprocess.Popen(
        command("--config", config, "once", "--now", NOW),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ANUPALAN_TEST_PAUSE_AT": "reading"},
    )
    try:
        assert once.stderr is not None
        for line in once.stderr:
            if "paused at reading" in line:
                break
        # The workers are forked by the fork server, a child of the command.
        deadline = time.monotonic() + WAIT
        while not (workers := [w for c in children(once.pid) for w in children(c)]):
            assert time.monotonic() < deadline, "no reader process appeared"
            time.sleep(0.05)
        for worker in workers:
            os.kill(worker, signal.SIGKILL)
        out, err = once.communicate(timeout=120)
    finally:
        once.kill()
    assert once.returncode == 1, out + err
    assert "could not be ingested" in err

    store = SqlStore.open_sqlite(tmp_path / "var" / "anupalan.db")
    try:
        missed = REPLIES - store.table_counts()["messages"]
        # the readers held at least one reply; the first ones were read here and stored
        assert 0 < missed <= REPLIES - PARALLEL_AFTER
        again = anupalan("--config", config, "once", "--now", NOW)
        assert again.returncode == 0, again.stderr
        assert f"ingested {missed} message(s): {missed} accepted" in again.stdout
        counts = store.table_counts()
        assert (counts["messages"], counts["submissions"]) == (REPLIES, REPLIES)
        acks = [m.message_key for m in store.mails() if m.kind == "ack"]
        assert sorted(acks) == sorted(f"<k{n}@example.gov.in>" for n in range(REPLIES))
    finally:
        store.close()
    assert len(list((tmp_path / "outbox").glob("ack-*.eml"))) == REPLIES


def stored(root: Path) -> int:
    database = root / "var" / "anupalan.db"
    if not database.exists():
        return 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as raw:
        try:
            return int(raw.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # the schema is still being made


def test_a_command_killed_mid_poll_loses_nothing_and_answers_nothing_twice(
    tmp_path: Path,
) -> None:
    count = ANSWER_EVERY + 150
    config = many_replies(tmp_path, count)
    once = subprocess.Popen(
        command("--config", config, "once", "--now", NOW),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers die with it
    )
    try:
        deadline = time.monotonic() + 120
        # past the first answers, before the end
        while stored(tmp_path) < ANSWER_EVERY + 20 and once.poll() is None:
            assert time.monotonic() < deadline, "the poll never got that far"
            time.sleep(0.02)
        os.killpg(once.pid, signal.SIGKILL)
        once.wait(30)
    finally:
        if once.poll() is None:
            os.killpg(once.pid, signal.SIGKILL)
    assert stored(tmp_path) < count, "the poll ended before it was killed"
    again = anupalan("--config", config, "once", "--now", NOW)
    assert again.returncode == 0, again.stderr
    store = SqlStore.open_sqlite(tmp_path / "var" / "anupalan.db")
    try:
        assert store.table_counts()["messages"] == count
        acks = [m for m in store.mails() if m.kind == "ack"]
        assert sorted(m.message_key for m in acks) == sorted(
            f"<k{n}@example.gov.in>" for n in range(count)
        )
        assert {m.state for m in acks} == {"sent"}
    finally:
        store.close()
    # every acknowledgement was delivered (a file named for its mail)
    delivered = [p.read_bytes() for p in (tmp_path / "outbox").glob("ack-*.eml")]
    assert len(delivered) == count
