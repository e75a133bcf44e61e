"""A poll that finds many replies reads them in worker processes, with the same outcome.

The same Maildir is ingested twice, each time into a zone of its own: once with
`service.readers: 1` (every reply read in the process itself) and once with two
worker processes. Everything stored, every result and its order must agree.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import ZONE_CONFIG, Zone, at

from daemon.adapters.store_sql import SqlStore
from daemon.bootstrap import App, build_app
from daemon.config import load_config
from daemon.ports import OutgoingMail
from daemon.services import ingest
from daemon.services.cycle import run_once
from daemon.testing import FakeSender, make_maildir, officers, reply_message, report_xlsx

OWN_DIGEST = "<0f3a.anupalan@example.gov.in>"  # a digest of ours, landed in the mailbox
SUBJECT = "Report reg Level-1 Course on Emerging Technologies"
UNITS = ("chennai-north", "chennai-south", "coimbatore", "coimbatore-audit")
SENDERS = {
    "chennai-north": "ccu-chennai-north@example.gov.in",
    "chennai-south": "ccu-chennai-south@example.gov.in",
    "coimbatore": "ccu-coimbatore@example.gov.in",
    "coimbatore-audit": "ccu-cbe-audit@example.gov.in",
}


def replies() -> list[bytes]:
    """Reports from every unit, corrections, a stranger, a PDF, our own mail and a repeat."""
    out = []
    for n in range(ingest.PARALLEL_AFTER + 24):
        unit = UNITS[n % len(UNITS)]
        rows = officers(3 + n % 5, first_code=40101 + 100 * n)
        out.append(
            reply_message(
                SENDERS[unit],
                SUBJECT,
                [("Format.xlsx", report_xlsx(rows))],
                date=at(21, 9 + n % 10),
                message_id=f"<r{n}@example.gov.in>",
            )
        )
    stranger = [("a.xlsx", report_xlsx(officers(2)))]
    out.insert(25, reply_message("someone@gmail.example.com", SUBJECT, stranger))
    out.insert(30, reply_message(SENDERS["coimbatore"], SUBJECT, [("scan.pdf", b"%PDF-1.4")]))
    own = reply_message("compliance-cell@example.gov.in", SUBJECT, message_id=OWN_DIGEST)
    out.insert(33, own)
    out.append(out[27])  # the same message delivered twice
    return out


def zone(root: Path, readers: int, mailbox: Path) -> Path:
    root.mkdir()
    shutil.copytree(mailbox, root / "mailbox")
    config = root / "config.yaml"
    config.write_text(ZONE_CONFIG + f"service: {{readers: {readers}}}\n", encoding="utf-8")
    return config


class CountedReaders(ingest.Readers):  # type: ignore[type-arg]
    """The real worker pool, counting the messages handed to it."""

    handed = 0

    def read(self, raw: bytes) -> Any:
        CountedReaders.handed += 1
        return super().read(raw)


def test_many_replies_read_by_workers_are_stored_as_if_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "Readers", CountedReaders)
    mailbox = make_maildir(tmp_path / "delivered", replies())
    outcomes = {}
    stored = {}
    for readers in (1, 2):
        app = build_app(load_config(zone(tmp_path / f"readers-{readers}", readers, mailbox)))
        try:
            cycle = run_once(app, at(22))
            outcomes[readers] = [
                (r.key, r.outcome, r.unit_id, r.rows, r.problems, r.reason) for r in cycle.ingested
            ]
            stored[readers] = (
                app.store.table_counts(),
                [m.__dict__ | {"archive_path": None} for m in app.store.messages()],
                app.store.submissions("emerging-tech-l1"),
                [(m.kind, m.unit_id, m.message_key, m.recipients) for m in app.store.mails()],
            )
            assert run_once(app, at(22)).ingested == []  # each stored once, and remembered
        finally:
            app.close()
    assert len(outcomes[2]) == len(replies())
    # the first messages of the poll are read in the process, the rest by the workers
    assert CountedReaders.handed == len(replies()) - ingest.PARALLEL_AFTER
    assert {o[1] for o in outcomes[2]} == {"accepted", "needs_review", "ignored", "duplicate"}
    assert outcomes[2] == outcomes[1]
    assert stored[2] == stored[1]


class CountingSender(FakeSender):
    """Records how many messages were stored when each mail went out."""

    def __init__(self, store: SqlStore) -> None:
        super().__init__()
        self.store, self.stored_then = store, []

    def send(self, mail: OutgoingMail) -> None:
        self.stored_then.append(self.store.table_counts()["messages"])
        super().send(mail)


def test_a_long_poll_answers_the_replies_stored_so_far_as_it_goes(zone: Zone, app: App) -> None:
    total = 2 * ingest.ANSWER_EVERY + 120  # room for a batch stored past each answer
    report = report_xlsx(officers(3))
    zone.deliver(
        *(
            reply_message(
                SENDERS[UNITS[n % len(UNITS)]],
                SUBJECT,
                [("Format.xlsx", report)],
                message_id=f"<long{n}@example.gov.in>",
            )
            for n in range(total)
        )
    )
    sender = CountingSender(app.store)
    app.sender = sender
    cycle = run_once(app, at(22))
    assert len(cycle.ingested) == total
    acks = [m for m in sender.sent if m.key.startswith("ack:")]
    assert len(acks) == total == len({m.key for m in acks})
    # the first acks went out while much of the mailbox was still to be stored,
    # and more twice again: once more during the poll, once at its end
    assert ingest.ANSWER_EVERY <= sender.stored_then[0] < total - ingest.ANSWER_EVERY
    assert len(set(sender.stored_then)) == 3


def test_workers_that_cannot_be_started_leave_the_reading_to_the_service(
    zone: Zone, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_fork(*args: Any, **kwargs: Any) -> Any:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(ProcessPoolExecutor, "submit", cannot_fork)
    with zone.config_path.open("a", encoding="utf-8") as config:
        config.write("service: {readers: 2}\n")  # workers wanted, whatever this machine has
    app = build_app(zone.config)
    try:
        total = ingest.PARALLEL_AFTER + 10
        zone.deliver(
            *(
                reply_message(
                    SENDERS["chennai-north"],
                    SUBJECT,
                    [("Format.xlsx", report_xlsx(officers(2)))],
                    message_id=f"<nofork{n}@example.gov.in>",
                )
                for n in range(total)
            )
        )
        first = run_once(app, at(22))
        outcomes = [r.outcome for r in first.ingested]
        # the one handed to the workers fails and stays unseen; the rest are read here
        assert outcomes.count("failed") == 1 and outcomes.count("accepted") == total - 1
        assert "Resource temporarily unavailable" in (first.poll_error or "")
        again = run_once(app, at(22))
        assert [r.outcome for r in again.ingested] == ["accepted"]
        assert app.store.table_counts()["messages"] == total
    finally:
        app.close()
