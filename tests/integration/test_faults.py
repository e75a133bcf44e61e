"""Faults of the world around the service, injected into real servers.

The mailbox is a real Dovecot (tests/servers.py), outgoing mail goes to a real
SMTP server (tests/smtp_server.py), the state is a real SQLite file. Each test
breaks one thing, checks what a user would see (the `status --json` "mailbox"
section, the digest, the log, the command's output), that the service carries
on, and that once the fault is gone everything is read and answered: nothing
lost, nothing sent twice. Faults that need a process of their own (a service
that must stay alive, a limit on file sizes) run `anupalan` in one.

Each fault is noted in the figures (group "faults"): whether the service
recovered, and at the end how many messages were lost and mails sent twice.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import os
import resource
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from figures import record
from service_process import anupalan, service
from smtp_server import SmtpServer
from structlog.testing import capture_logs

from daemon.adapters.store_sql import SqlStore
from daemon.bootstrap import App, build_app
from daemon.config import load_config
from daemon.ports import IncomingMessage, MailSource, SyncState
from daemon.services.cycle import run_once
from daemon.services.ingest import ingest_new
from daemon.services.notify import queue_due
from daemon.services.status import campaign_status, status_json
from daemon.testing import officers, reply_message, report_xlsx

if TYPE_CHECKING:
    from servers import Dovecot

IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2023, 4, 24, 12, 0, tzinfo=IST)  # a Monday: the 09:00 digest and a reminder due
ZONE = "compliance-cell@example.gov.in"
UNITS = {
    "chennai-north": "ccu-chennai-north@example.gov.in",
    "chennai-south": "ccu-chennai-south@example.gov.in",
    "coimbatore": "ccu-coimbatore@example.gov.in",
}
PASSWORD = "imap-zone-secret-3"
SUBJECT = "Report reg Level-1 Course on Emerging Technologies"


# --------------------------------------------------------------------------- the tally


@dataclasses.dataclass
class Outcome:
    """What one injected fault cost: messages never stored, mails that went more than once."""

    name: str
    lost: int | None = None
    duplicated: int | None = None


_OUTCOMES: list[Outcome] = []


@pytest.fixture(scope="module", autouse=True)
def _totals() -> Iterator[None]:
    yield
    if _OUTCOMES:
        record("faults injected", len(_OUTCOMES), group="faults")
        record("messages lost", sum(o.lost or 0 for o in _OUTCOMES), group="faults")
        record("mails duplicated", sum(o.duplicated or 0 for o in _OUTCOMES), group="faults")


@contextmanager
def fault(name: str) -> Iterator[Outcome]:
    """Note the fault in the figures: recovered if the block got to its end with nothing
    lost and nothing sent twice."""
    outcome = Outcome(name)
    try:
        yield outcome
    except BaseException:
        record(f"recovered: {name}", "no", group="faults")
        raise
    assert outcome.lost is not None and outcome.duplicated is not None, "tally not taken"
    _OUTCOMES.append(outcome)
    whole = (outcome.lost, outcome.duplicated) == (0, 0)
    record(f"recovered: {name}", "yes" if whole else "no", group="faults")
    assert whole, outcome


# --------------------------------------------------------------------------- the office


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclasses.dataclass
class Office:
    """A zone's mailbox on Dovecot, its outgoing mail through an SMTP server, its files."""

    dovecot: Dovecot
    smtp: SmtpServer
    root: Path
    sent_by_units: list[str] = dataclasses.field(default_factory=list)  # Message-IDs

    @property
    def database(self) -> Path:
        return self.root / "var" / "anupalan.db"

    @property
    def archive(self) -> Path:
        return self.root / "var" / "archive"

    def write_config(
        self,
        *,
        imap_port: int | None = None,
        smtp_port: int | None = None,
        timeout: float = 5,
        batch_size: int = 50,
        idle: bool = False,
        today: date | None = None,
    ) -> Path:
        """The zone's configuration; `today` puts the drive's deadline ahead of that day."""
        deadline = (today + timedelta(days=30)) if today else date(2023, 4, 30)
        send_at = deadline + timedelta(days=4)
        text = f"""\
zone: {{name: Test Zone, timezone: Asia/Kolkata, admins: [{ZONE}]}}
mailbox:
  backend: imap
  host: 127.0.0.1
  port: {imap_port or self.dovecot.imap_port}
  security: none
  username: {ZONE}
  password: {PASSWORD}
  timeout: {timeout}
  batch_size: {batch_size}
  idle: {"true" if idle else "false"}
  first_run: all
outgoing:
  backend: smtp
  host: 127.0.0.1
  port: {smtp_port or self.smtp.port}
  security: none
  timeout: 5
  from: Compliance Cell <{ZONE}>
storage: {{database: {self.database}, archive: {self.archive}}}
units:
  - {{id: chennai-north, name: Chennai North, emails: [{UNITS["chennai-north"]}], strength: 10}}
  - {{id: chennai-south, name: Chennai South, emails: [{UNITS["chennai-south"]}], strength: 8}}
  - {{id: coimbatore, name: Coimbatore, emails: [{UNITS["coimbatore"]}], strength: 6}}
campaigns:
  - id: emerging-tech-l1
    title: Level-1 Online Course on Emerging Technologies
    format: unit-completion-report
    unit_deadline: {deadline.isoformat()}
    upstream:
      to: [nacin-igot@example.nic.in]
      format: zonal-completion-report
      send_at: {send_at.isoformat()} 11:00
service: {{poll_interval: 10}}
"""
        path = self.root / "config.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def unit_sends(self, unit: str, rows: int, extra: bytes = b"") -> str:
        """A unit's report arrives in the zone's mailbox; returns its Message-ID."""
        message_id = f"<{unit}-{len(self.sent_by_units)}@units.example.gov.in>"
        files = [("Format.xlsx", report_xlsx(officers(rows)))]
        if extra:
            files.append(("Annexure.pdf", extra))
        raw = reply_message(UNITS[unit], SUBJECT, files, message_id=message_id)
        self.dovecot.append(ZONE, "INBOX", raw.replace(b"\n", b"\r\n"))
        self.sent_by_units.append(message_id)
        return message_id

    def mails_out(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(r.content, policy=email.policy.default)  # type: ignore[misc]
            for r in self.smtp.received
        ]

    def acks_for(self, message_id: str) -> int:
        return sum(m["In-Reply-To"] == message_id for m in self.mails_out())

    def digest_text(self) -> str:
        digests = [m for m in self.mails_out() if str(m["Subject"]).startswith("Digest")]
        assert digests, [str(m["Subject"]) for m in self.mails_out()]
        body = digests[-1].get_body(("plain",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]

    def tally(self, outcome: Outcome) -> None:
        """Count the unit reports never stored and the mails the SMTP server got twice."""
        store = SqlStore.open_sqlite(self.database)
        try:
            stored = {m.message_id for m in store.messages()}
        finally:
            store.close()
        outcome.lost = len(set(self.sent_by_units) - stored)
        counts = Counter(str(m["Message-ID"]) for m in self.mails_out())
        outcome.duplicated = sum(n - 1 for n in counts.values())


@pytest.fixture
def office(dovecot: Dovecot, tmp_path: Path) -> Iterator[Office]:
    dovecot.add_user(ZONE, PASSWORD)
    with SmtpServer("none") as smtp:
        yield Office(dovecot, smtp, tmp_path)


def status_of(app: App, now: datetime) -> dict[str, Any]:
    """`status --json` as the command prints it."""
    config = app.config
    status = campaign_status(config, app.store, config.campaign(), now)
    return status_json(status, config.zone.tzinfo)


class Relay:
    """A TCP relay on a loopback port of its own, in front of a server.

    It passes bytes both ways; `stall()` makes it accept connections and never
    answer, like a server that hangs; `down()` stops listening (connection
    refused) and `up()` listens again on the same port.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.stalled = False
        self._sockets: list[socket.socket] = []
        self._listening: threading.Event | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(0.1)
        listening = threading.Event()
        listening.set()
        self._listening = listening
        threading.Thread(target=self._accept, args=(listener, listening), daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut every connection."""
        if self._listening is not None:
            self._listening.clear()
            self._listening = None
        for sock in self._sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()
        time.sleep(0.2)  # the accept loop notices within its timeout and closes the port

    def stall(self, stalled: bool = True) -> None:
        self.stalled = stalled

    def _accept(self, listener: socket.socket, listening: threading.Event) -> None:
        with listener:
            while listening.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                self._sockets.append(client)
                if self.stalled:
                    continue  # accepted, and never a word
                server = socket.create_connection(("127.0.0.1", self.target_port))
                self._sockets.append(server)
                for a, b in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


# --------------------------------------------------------------------------- processes


def status_command(config: Path) -> dict[str, Any]:
    done = anupalan("--config", config, "status", "--json")
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


# --------------------------------------------------------------------------- the mailbox


def test_a_mailbox_down_at_start_is_reported_and_read_once_it_is_back(office: Office) -> None:
    with fault("IMAP server down when the service starts") as outcome:
        north = office.unit_sends("chennai-north", 3)
        office.dovecot.stop()
        config = office.write_config(idle=True, today=date.today())
        with service(config) as running:
            failed = running.wait_for("poll_failed")
            refused = (
                f"cannot connect to the IMAP server 127.0.0.1:{office.dovecot.imap_port}:"
                " connection refused"
            )
            assert failed["error"] == refused
            running.wait_for("cycle_done")  # the rest of the cycle still ran
            mailbox = status_command(config)["mailbox"]
            assert mailbox["error"] == refused and mailbox["failing_since"] is not None
            assert running.alive

            office.dovecot.start()
            running.wait_for("cycle_done", lambda e: e["ingested"] == 1)
            status = status_command(config)
            assert status["mailbox"]["error"] is None and status["mailbox"]["last_read_at"]
            assert status["units"][0]["completed"] == 3
            assert running.alive
        assert office.acks_for(north) == 1
        office.tally(outcome)


class DropAfterFirst:
    """The zone's mail source, with the server going away once the first message is stored."""

    def __init__(self, source: MailSource, drop: Callable[[], None]) -> None:
        self.source = source
        self.drop = drop
        self.stored = 0

    @property
    def identity(self) -> str:
        return self.source.identity

    def new_messages(self, seen: Container[str], state: SyncState) -> Iterator[IncomingMessage]:
        return self.source.new_messages(seen, state)

    def processed(self, item: str) -> None:
        self.source.processed(item)
        self.stored += 1
        if self.stored == 1:
            self.drop()

    def close(self) -> None:
        self.source.close()


@pytest.mark.parametrize("how", ["kicked", "stopped"])
def test_a_connection_dropped_between_batches_loses_nothing(office: Office, how: str) -> None:
    with fault(f"IMAP connection {how} between fetch batches") as outcome:
        sent = [office.unit_sends(unit, 2 + n) for n, unit in enumerate(UNITS)]
        app = build_app(load_config(office.write_config(batch_size=1)))
        try:
            drop = (lambda: office.dovecot.kick(ZONE)) if how == "kicked" else office.dovecot.stop
            dropping = dataclasses.replace(app, source=DropAfterFirst(app.source, drop))
            with capture_logs() as logs:
                first = run_once(dropping, NOW)
            stored = [e["message"] for e in logs if e["event"] == "message_ingested"]
            assert stored == [sent[0]]
            assert [m.message_id for m in app.store.messages()] == [sent[0]]
            where = f"the IMAP server 127.0.0.1:{office.dovecot.imap_port}"
            assert first.poll_error is not None and where in first.poll_error
            assert status_of(app, NOW)["mailbox"]["error"] == first.poll_error
            assert office.acks_for(sent[0]) == 1  # what was stored is answered all the same
            assert "The mailbox could not be read" in office.digest_text()

            office.dovecot.start()
            second = run_once(app, NOW + timedelta(minutes=5))
            assert [r.outcome for r in second.ingested] == ["accepted", "accepted"]
            assert second.poll_error is None
            assert status_of(app, NOW)["mailbox"]["error"] is None
            assert [u["completed"] for u in status_of(app, NOW)["units"]] == [2, 3, 4]
            assert [office.acks_for(m) for m in sent] == [1, 1, 1]
        finally:
            app.close()
        office.tally(outcome)


def test_a_server_that_never_answers_times_out_and_the_cycle_goes_on(office: Office) -> None:
    with fault("IMAP server accepts and never answers") as outcome:
        relay = Relay(office.dovecot.imap_port)
        relay.stall()
        north = office.unit_sends("chennai-north", 4)
        app = build_app(load_config(office.write_config(imap_port=relay.port, timeout=1)))
        try:
            began = time.monotonic()
            stalled = run_once(app, NOW)
            assert time.monotonic() - began < 10
            error = f"the IMAP server 127.0.0.1:{relay.port} did not answer within 1 s"
            assert stalled.poll_error is not None and stalled.poll_error.startswith(error)
            assert status_of(app, NOW)["mailbox"]["error"] == stalled.poll_error
            digest = office.digest_text()  # the cycle went on: the digest went out, and says so
            assert "The mailbox could not be read" in digest and error in " ".join(digest.split())

            relay.stall(False)
            answered = run_once(app, NOW + timedelta(minutes=5))
            assert [r.outcome for r in answered.ingested] == ["accepted"]
            assert status_of(app, NOW)["mailbox"]["error"] is None
            assert office.acks_for(north) == 1
        finally:
            app.close()
            relay.down()
        office.tally(outcome)


# --------------------------------------------------------------------------- sending


def test_mail_waits_while_the_smtp_server_is_down_and_goes_once_it_is_back(
    office: Office,
) -> None:
    with fault("SMTP server down") as outcome:
        relay = Relay(office.smtp.port)
        relay.down()
        north = office.unit_sends("chennai-north", 5)
        app = build_app(load_config(office.write_config(smtp_port=relay.port)))
        try:
            with capture_logs() as logs:
                down = run_once(app, NOW)
            assert [r.outcome for r in down.ingested] == ["accepted"]
            refused = f"cannot reach 127.0.0.1:{relay.port}: Connection refused"
            assert down.delivered and {(d.outcome, d.error) for d in down.delivered} == {
                ("retry", refused)
            }
            deliveries = [e for e in logs if e["event"] == "mail_delivery"]
            assert len(deliveries) == len(down.delivered)
            assert all(e["outcome"] == "retry" and e["error"] == refused for e in deliveries)
            assert {m.state for m in app.store.mails()} == {"planned"}

            waiting = run_once(app, NOW + timedelta(seconds=30))
            assert waiting.delivered == []  # not before the back-off is over

            relay.up()
            back = run_once(app, NOW + timedelta(minutes=2))
            assert [d.outcome for d in back.delivered] == ["sent"] * len(down.delivered)
            assert {m.state for m in app.store.mails()} == {"sent"}
            assert office.acks_for(north) == 1
        finally:
            app.close()
            relay.down()
        office.tally(outcome)


def test_a_storm_of_451_replies_backs_off_further_each_time_and_loses_nothing(
    office: Office,
) -> None:
    with fault("SMTP server answers 451 again and again") as outcome:
        north = office.unit_sends("chennai-north", 5)
        app = build_app(load_config(office.write_config()))
        rounds = 6
        try:
            ingest_new(app.config, app.source, app.store, app.archive, NOW)
            queue_due(app, NOW)
            planned = {m.key for m in app.store.deliverable(NOW)}
            assert len(planned) >= 3  # the acknowledgement, a reminder, the digest
            office.smtp.fail_next(
                451, "4.3.2 try again later", times=len(planned) * rounds, at="MAIL"
            )

            waits: dict[str, list[timedelta]] = {key: [] for key in planned}
            now = NOW
            for _ in range(rounds):
                report = run_once(app, now)
                assert {d.key for d in report.delivered} == planned
                assert {d.outcome for d in report.delivered} == {"retry"}
                assert all("451 4.3.2 try again later" in (d.error or "") for d in report.delivered)
                mails = {m.key: m for m in app.store.mails() if m.key in planned}
                for key, mail in mails.items():
                    assert mail.next_attempt_at is not None
                    waits[key].append(mail.next_attempt_at - now)
                now = min(m.next_attempt_at for m in mails.values() if m.next_attempt_at)
                assert run_once(app, now - timedelta(seconds=1)).delivered == []
            minutes = [timedelta(minutes=2**n) for n in range(rounds)]
            assert all(w == minutes for w in waits.values()), waits
            assert office.smtp.received == []

            relented = run_once(app, now)
            assert [d.outcome for d in relented.delivered] == ["sent"] * len(planned)
            assert {m.state for m in app.store.mails()} == {"sent"}
            assert office.acks_for(north) == 1
            assert len(office.smtp.received) == len(planned)
        finally:
            app.close()
        office.tally(outcome)


# --------------------------------------------------------------------------- the disk


def test_a_full_archive_stores_nothing_of_the_message_and_it_is_offered_again(
    office: Office,
) -> None:
    limit = 1024 * 1024  # bytes any one file may grow to: the big message is larger

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with fault("archive disk full") as outcome:
        config = office.write_config()
        assert anupalan("--config", config, "once", "--now", NOW.isoformat()).returncode == 0
        south = office.unit_sends("chennai-south", 3)
        north = office.unit_sends("chennai-north", 4, extra=os.urandom(2 * limit))

        later = (NOW + timedelta(minutes=5)).isoformat()
        full = anupalan("--config", config, "once", "--now", later, preexec_fn=small_files)
        assert full.returncode == 1
        error = f"cannot archive message in {office.archive}: File too large"
        assert f"anupalan: the mailbox could not be read: {error}" in full.stderr
        logged = [json.loads(line) for line in full.stderr.splitlines() if line.startswith("{")]
        assert [
            (e["message"], e["outcome"]) for e in logged if e["event"] == "message_ingested"
        ] == [
            (south, "accepted")  # the one that fitted
        ]
        assert status_command(config)["mailbox"]["error"] == error
        store = SqlStore.open_sqlite(office.database)
        try:
            assert [m.message_id for m in store.messages()] == [south]
            counts = store.table_counts()
            assert counts["mailbox_items"] == counts["submissions"] == 1
            assert counts["officer_rows"] == 3  # the small report's; none of the big one's
        finally:
            store.close()
        leftovers = [p for p in office.archive.rglob("*") if p.is_file()]
        assert len(leftovers) == 1, leftovers  # the small message; no half-written file

        back = anupalan(
            "--config", config, "once", "--now", (NOW + timedelta(minutes=10)).isoformat()
        )
        assert back.returncode == 0, back.stderr
        assert "ingested 1 message(s): 1 accepted" in back.stdout
        status = status_command(config)
        assert status["mailbox"]["error"] is None
        assert [u["completed"] for u in status["units"]] == [4, 3, 0]
        assert office.acks_for(north) == office.acks_for(south) == 1
        office.tally(outcome)


def test_a_database_locked_by_another_process_is_waited_out(office: Office) -> None:
    with fault("database locked by another process") as outcome:
        config = office.write_config(idle=True, today=date.today())
        busy = {"ANUPALAN_DB_BUSY_TIMEOUT": "1"}
        with service(config, busy) as running:
            running.wait_for("cycle_done")
            holder = sqlite3.connect(office.database, isolation_level=None, timeout=5)
            try:
                holder.execute("BEGIN EXCLUSIVE")
                north = office.unit_sends("chennai-north", 3)  # IDLE: a cycle at once
                failed = running.wait_for("cycle_failed")
                assert failed["error"] == (
                    f"the database {office.database} is locked by another process"
                    " (waited 1 s): database is locked"
                )
                time.sleep(1)
                assert running.alive
            finally:
                holder.close()
            south = office.unit_sends("chennai-south", 2)
            ingested = 0
            while ingested < 2:  # by the next poll or at once by IDLE, in one cycle or two
                ingested += running.wait_for("cycle_done")["ingested"]
            status = status_command(config)
            assert [u["completed"] for u in status["units"]] == [3, 2, 0]
            assert status["mailbox"]["error"] is None
            assert running.alive
        assert office.acks_for(north) == office.acks_for(south) == 1
        office.tally(outcome)
