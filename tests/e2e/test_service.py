"""The service as a process: crashes between outbox steps, the scheduler, signals, the lock."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import time

import pytest
from conftest import Zone, at
from service_process import anupalan, command

from daemon.adapters.store_sql import SqlStore
from daemon.testing import officers, reply_message, report_xlsx

SUBJECT = "Emerging Technologies Level-1 report"
NOW = "2023-04-29T11:00"  # after the -1d reminder step and Saturday's digest


def deliver_replies(zone: Zone) -> None:
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(4)))],
            date=at(24),
            message_id="<north@example.gov.in>",
        ),
        reply_message(
            "ccu-chennai-south@example.gov.in",
            SUBJECT,
            [("Format.xlsx", b"garbage")],
            date=at(25),
            message_id="<south@example.gov.in>",
        ),
        reply_message(
            "stranger@gmail.example.com",
            SUBJECT,
            [("Format.xlsx", report_xlsx(officers(1)))],
            message_id="<stranger@gmail.example.com>",
        ),
    )


def outbox_message_ids(zone: Zone) -> list[str]:
    ids = []
    for path in sorted((zone.root / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        ids.append(str(msg["Message-ID"]))
    return ids


def ledger(zone: Zone) -> dict[str, str]:
    store = SqlStore.open_sqlite(zone.root / "var" / "anupalan.db")
    try:
        return {m.message_id: m.state for m in store.mails()}
    finally:
        store.close()


def kill_at(zone: Zone, checkpoint: str) -> None:
    """Run one cycle, let it reach the checkpoint, and kill it there with SIGKILL."""
    env = {**os.environ, "ANUPALAN_TEST_PAUSE_AT": checkpoint}
    proc = subprocess.Popen(
        command("--config", zone.config_path, "once", "--now", NOW),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    for line in proc.stderr:
        if line.startswith(f"paused at {checkpoint}"):
            break
        assert time.monotonic() < deadline, "the cycle never reached the checkpoint"
    else:
        pytest.fail(f"process ended without reaching {checkpoint}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The mails an uninterrupted run sends, by Message-ID."""
    from conftest import ZONE_CONFIG

    from daemon.testing import make_maildir

    root = tmp_path_factory.mktemp("reference")
    (root / "config.yaml").write_text(ZONE_CONFIG)
    make_maildir(root / "mailbox")
    zone = Zone(root, root / "config.yaml")
    deliver_replies(zone)
    assert anupalan("--config", zone.config_path, "once", "--now", NOW).returncode == 0
    return outbox_message_ids(zone)


@pytest.mark.parametrize("checkpoint", ["after-queue", "before-send", "after-send"])
def test_a_crash_between_outbox_steps_loses_nothing_and_sends_nothing_twice(
    zone: Zone, reference: list[str], checkpoint: str
) -> None:
    deliver_replies(zone)
    kill_at(zone, checkpoint)
    assert anupalan("--config", zone.config_path, "once", "--now", NOW).returncode == 0
    assert anupalan("--config", zone.config_path, "once", "--now", NOW).returncode == 0

    sent = outbox_message_ids(zone)
    assert len(sent) == len(set(sent)), "a mail is in the outbox twice"
    assert sorted(sent) == sorted(reference)
    assert ledger(zone) == {message_id: "sent" for message_id in reference}
    kinds = json.loads(anupalan("--config", zone.config_path, "status", "--json").stdout)
    assert kinds["units"][0]["completed"] == 4


def test_a_dry_run_prints_what_would_go_and_changes_nothing(zone: Zone) -> None:
    deliver_replies(zone)
    assert (
        anupalan("--config", zone.config_path, "once", "--now", "2023-04-24T12:00").returncode == 0
    )
    before = sorted(p.name for p in (zone.root / "outbox").iterdir())
    db = (zone.root / "var" / "anupalan.db").read_bytes()
    result = anupalan(
        "--config", zone.config_path, "once", "--now", "2023-05-04T11:30", "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert "upstream   to nacin-igot@example.nic.in" in result.stdout
    assert "reminder   to ccu-chennai-south@example.gov.in" in result.stdout
    assert sorted(p.name for p in (zone.root / "outbox").iterdir()) == before
    assert ledger(zone) and (zone.root / "var" / "anupalan.db").read_bytes() == db


def test_report_send_goes_once_and_force_sends_a_new_copy(zone: Zone) -> None:
    deliver_replies(zone)
    assert (
        anupalan("--config", zone.config_path, "once", "--now", "2023-04-24T12:00").returncode == 0
    )
    first = anupalan("--config", zone.config_path, "report", "send")
    assert first.returncode == 0 and "queued:" in first.stdout and "sent" in first.stdout
    again = anupalan("--config", zone.config_path, "report", "send")
    assert "already queued or sent" in again.stdout
    forced = anupalan("--config", zone.config_path, "report", "send", "--force")
    assert "queued:" in forced.stdout
    upstream = list((zone.root / "outbox").glob("upstream-*.eml"))
    assert len(upstream) == 2
    # the scheduled send at 4 May finds it already sent
    later = anupalan("--config", zone.config_path, "once", "--now", "2023-05-04T11:30")
    assert len(list((zone.root / "outbox").glob("upstream-*.eml"))) == 2, later.stdout
    status = json.loads(anupalan("--config", zone.config_path, "status", "--json").stdout)
    assert status["upstream"]["sent_at"] is not None


def test_preview_renders_one_mail_with_real_data(zone: Zone) -> None:
    deliver_replies(zone)
    assert (
        anupalan("--config", zone.config_path, "once", "--now", "2023-04-24T12:00").returncode == 0
    )
    ack = anupalan("--config", zone.config_path, "preview", "ack", "--unit", "chennai-north")
    assert ack.returncode == 0, ack.stderr
    assert (
        "To: ccu-chennai-north@example.gov.in" in ack.stdout
        and "Recorded: 4 officer(s)" in ack.stdout
    )
    esc = anupalan(
        "--config",
        zone.config_path,
        "preview",
        "escalation",
        "--unit",
        "coimbatore",
        "--now",
        "2023-05-01T10:00",
        "--html",
    )
    assert esc.returncode == 0 and "<b>has not been received</b>" in esc.stdout
    assert (
        anupalan("--config", zone.config_path, "preview", "ack", "--unit", "coimbatore").returncode
        == 2
    )
    assert anupalan("--config", zone.config_path, "preview", "reminder").returncode == 2


def test_the_service_runs_on_schedule_stops_on_sigterm_and_keeps_a_second_one_out(
    zone: Zone,
) -> None:
    deliver_replies(zone)
    text = zone.config_path.read_text() + "service: {poll_interval: 10}\n"
    zone.config_path.write_text(text)
    proc = subprocess.Popen(
        command("--config", zone.config_path, "run"),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    try:
        events = []
        deadline = time.monotonic() + 60
        for line in proc.stderr:
            events.append(json.loads(line))
            if events[-1]["event"] == "cycle_done" or time.monotonic() > deadline:
                break
        assert events[-1]["event"] == "cycle_done", events
        assert events[-1]["ingested"] == 3

        second = anupalan("--config", zone.config_path, "once")
        assert second.returncode == 1
        assert "another anupalan process" in second.stderr and "already running" in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        _, remaining = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert any(
        json.loads(line)["event"] == "service_stopped" for line in remaining.splitlines() if line
    )
    # the lock went with the process
    assert anupalan("--config", zone.config_path, "once", "--now", NOW).returncode == 0
