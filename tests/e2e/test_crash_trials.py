"""Crash safety over a whole drive: SIGKILL at seeded random points, then the promises checked.

A simulated calendar runs from ten days before the 30 April 2023 unit deadline
to the day after the 4 May upstream send, as `anupalan once --now T` cycles
(the cron mode) against a real Dovecot and a real SMTP server, with the
fourteen units of the sample configuration (tests/drive.py). Units' replies
arrive between cycles and while a cycle runs: reports, a partial report and
its correction, an unreadable file, a report with a bad mobile number, a
late report, and a report from an address no unit lists.

The same calendar runs twice, each in a world of its own: once uninterrupted
(the reference), and once with the process killed (SIGKILL) at least
ANUPALAN_KILL_TRIALS times (default 30) at points drawn from ANUPALAN_SEED:
paused at a named outbox checkpoint (after-queue, before-send, after-send) or
at a random moment of the cycle (mid-ingest, mid-SMTP, anywhere). After each
kill the same `once --now T` is started again until it completes. The seed
fixes when replies land during cycles, how many kills each cycle takes and
the sequence of kill draws; where exactly a timed kill lands also depends on
the machine's speed, so the kill list is printed (pytest -s) with each run.

At the end: every reply is stored exactly once; every planned mail is marked
sent and sits in each recipient's mailbox exactly once, or more often only
where a kill fell between the SMTP server accepting it and the ledger
marking it sent (an outcome the service could not know), then always with
the same Message-ID; and `status --json` equals the reference run's.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from drive import (
    SENT,
    ZONE,
    Attempt,
    DriveWorld,
    at,
    message_id_of,
    reply,
    require_dovecot,
    unit,
)
from figures import record

SEED = int(os.environ.get("ANUPALAN_SEED", "20230430"))
KILL_TRIALS = int(os.environ.get("ANUPALAN_KILL_TRIALS", "30"))
CHECKPOINTS = ("after-queue", "before-send", "after-send")
PAUSE_ENV = "ANUPALAN_TEST_PAUSE_AT"  # daemon/services/outbox.py checkpoint()
GROUP = "crash safety"
CYCLE_TIMEOUT = 60.0  # seconds one `once` may take before the test gives up on it

# Several cycles a day, and one at or just after every step that sends something:
# reminder steps (10:00 on -7d, -3d, -1d, +1d, +3d), digests (09:00 Monday to
# Saturday), the upstream report (4 May 11:00).
CALENDAR: tuple[datetime, ...] = (
    at(20, 9, 30),
    at(20, 16),
    at(21, 9, 30),
    at(21, 16),
    at(22, 9, 30),
    at(23, 10, 30),  # -7d, a Sunday
    at(24, 9, 30),
    at(24, 16),
    at(25, 9, 30),
    at(25, 16),
    at(26, 9, 30),
    at(26, 16),
    at(27, 10, 30),  # -3d
    at(27, 16),
    at(28, 9, 30),
    at(28, 16),
    at(29, 10, 30),  # -1d
    at(29, 16),
    at(30, 12),  # the unit deadline, a Sunday
    at(1, 10, 30, month=5),  # +1d
    at(1, 16, month=5),
    at(2, 9, 30, month=5),
    at(3, 10, 30, month=5),  # +3d
    at(4, 9, 30, month=5),
    at(4, 11, 30, month=5),  # the upstream report
    at(5, 9, 30, month=5),
)
END = CALENDAR[-1]
UNKNOWN_SENDER = "salem.cgst.office@gmail.example.com"

# A planned mail as compared between runs: key, kind, unit, Message-ID, recipients, state.
LedgerRow = tuple[str, str, str | None, str, tuple[str, ...], str]


@dataclass(frozen=True)
class Arrival:
    """A message that reaches the zone's INBOX before cycle `cycle`, or while it runs."""

    label: str
    cycle: datetime
    raw: bytes
    received: datetime
    during: bool = False

    @property
    def message_id(self) -> str:
        return message_id_of(self.raw)


def mid(name: str) -> str:
    return f"<{name}@drive.example.gov.in>"


def arrivals() -> list[Arrival]:
    """The units' replies over the drive.

    A reply arriving while a cycle runs is stored by that cycle or the next,
    whichever reads the mailbox after it lands. None makes a unit fall behind,
    and those that bring a unit up to its strength do not come during a cycle
    that reaches a new reminder step, so which cycle stores a reply changes
    nothing that `status` shows (it may change what the upstream workbook or a
    digest says, which is not compared).
    """
    u = unit
    return [
        Arrival(
            "coimbatore reports in full",
            at(20, 9, 30),
            reply(u("coimbatore"), 24, at(20, 9, 20), mid("cbe-1")),
            at(20, 9, 20),
            during=True,
        ),
        Arrival(
            "chennai-appeals-1 reports in full",
            at(20, 16),
            reply(u("chennai-appeals-1"), 4, at(20, 14, 10), mid("appeals-1")),
            at(20, 14, 10),
        ),
        Arrival(
            "chennai-north reports in full",
            at(21, 9, 30),
            reply(u("chennai-north"), 18, at(20, 18, 40), mid("north-1")),
            at(20, 18, 40),
        ),
        Arrival(
            "chennai-audit-1 reports in full",
            at(21, 16),
            reply(u("chennai-audit-1"), 10, at(21, 15, 50), mid("audit-1")),
            at(21, 15, 50),
            during=True,
        ),
        Arrival(
            "chennai-south reports 15 of 21",
            at(22, 9, 30),
            reply(u("chennai-south"), 15, at(21, 17, 5), mid("south-1")),
            at(21, 17, 5),
        ),
        Arrival(
            "chennai-north sends its report again while the -7d reminders go",
            at(23, 10, 30),
            reply(u("chennai-north"), 18, at(23, 10, 25), mid("north-2")),
            at(23, 10, 25),
            during=True,
        ),
        Arrival(
            "chennai-audit-2 reports 5 of 9 over the weekend",
            at(24, 9, 30),
            reply(u("chennai-audit-2"), 5, at(22, 17, 30), mid("audit-2")),
            at(22, 17, 30),
        ),
        Arrival(
            "coimbatore-appeals reports on Sunday, with a bad mobile number",
            at(24, 9, 30),
            reply(u("coimbatore-appeals"), 3, at(23, 18), mid("cbe-appeals"), bad_mobile=True),
            at(23, 18),
        ),
        Arrival(
            "an unknown address sends Salem's report",
            at(24, 9, 30),
            reply(
                UNKNOWN_SENDER,
                15,
                at(23, 20),
                mid("salem-gmail"),
                subject="Salem Commissionerate - " + "Report reg Level-1 Course on Emerging Tech",
                body="Sir,\n\nThe report of Salem Commissionerate is attached.\n",
            ),
            at(23, 20),
        ),
        Arrival(
            "puducherry sends an unreadable file",
            at(24, 16),
            reply(
                u("puducherry"),
                0,
                at(24, 11, 45),
                mid("puducherry-1"),
                content=b"PK\x03\x04 not a workbook at all",
            ),
            at(24, 11, 45),
        ),
        Arrival(
            "chennai-south resubmits in full",
            at(25, 16),
            reply(u("chennai-south"), 21, at(25, 15, 55), mid("south-2")),
            at(25, 15, 55),
            during=True,
        ),
        Arrival(
            "puducherry sends a readable report",
            at(26, 16),
            reply(u("puducherry"), 12, at(26, 15, 58), mid("puducherry-2")),
            at(26, 15, 58),
            during=True,
        ),
        Arrival(
            "chennai-appeals-2 reports in full",
            at(27, 16),
            reply(u("chennai-appeals-2"), 4, at(27, 12, 5), mid("appeals-2")),
            at(27, 12, 5),
        ),
        Arrival(
            "trichy reports in full",
            at(28, 16),
            reply(u("trichy"), 17, at(28, 15, 57), mid("trichy")),
            at(28, 15, 57),
            during=True,
        ),
        Arrival(
            "madurai reports in full before the -1d step",
            at(29, 10, 30),
            reply(u("madurai"), 19, at(29, 8, 15), mid("madurai")),
            at(29, 8, 15),
        ),
        Arrival(
            "coimbatore-audit reports late",
            at(2, 9, 30, month=5),
            reply(u("coimbatore-audit"), 7, at(2, 9, 25, month=5), mid("cbe-audit")),
            at(2, 9, 25, month=5),
            during=True,
        ),
        Arrival(
            "chennai-audit-2 completes its report while the upstream report goes",
            at(4, 11, 30, month=5),
            reply(u("chennai-audit-2"), 9, at(4, 11, 20, month=5), mid("audit-2-full")),
            at(4, 11, 20, month=5),
            during=True,
        ),
    ]


# --------------------------------------------------------------------------- the drive


@dataclass(frozen=True)
class Kill:
    """One SIGKILL the crash run dealt."""

    cycle: datetime
    kind: str  # a checkpoint name, or "timed"
    after: float  # seconds after the process started
    phase: str  # where the process was: a key of PHASES
    unknown: int  # mails the server had accepted that the ledger did not call sent


@dataclass
class Drive:
    """What one run of the calendar did."""

    world: DriveWorld
    durations: list[float] = field(default_factory=list)  # of each cycle's last attempt
    ingested: list[int] = field(default_factory=list)  # messages each cycle read
    sent: list[int] = field(default_factory=list)  # mails each cycle delivered
    first_event: list[float | None] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    normal_ends_while_aiming: int = 0  # attempts that ended before the kill could land
    # How long undisturbed cycles took here, relative to the reference run (the machine
    # may be busier or idler now than then): timed kills are drawn on this clock.
    pace: list[float] = field(default_factory=list)
    rerun_kills: int = 0  # kills dealt by running the last cycle again
    unknown_outcomes: dict[str, int] = field(default_factory=dict)  # Message-ID -> deliveries

    def kill(self, attempt: Attempt, now: datetime, kind: str, before: Progress) -> None:
        """SIGKILL the attempt, and note what the SMTP server took that the ledger does not know.

        Such a mail is sent again by the next attempt, with the same Message-ID: each of
        its deliveries so far had an outcome the killed process never learnt.
        """
        attempt.kill()
        after = attempt.duration
        self.world.settle()
        accepted = self.world.smtp_transactions()
        with self.world.store() as store:
            pending = [m.message_id for m in store.mails() if m.state != "sent"]
        unknown = 0
        for message_id in pending:
            if accepted[message_id] > self.unknown_outcomes.get(message_id, 0):
                unknown += accepted[message_id] - self.unknown_outcomes.get(message_id, 0)
                self.unknown_outcomes[message_id] = accepted[message_id]
        phase = phase_of(attempt, before, progress(self.world), unknown)
        self.kills.append(Kill(now, kind, after, phase, unknown))


@dataclass(frozen=True)
class Progress:
    """How far the database has come: messages stored, mails planned, mails marked sent."""

    messages: int
    planned: int
    sent: int


def progress(world: DriveWorld) -> Progress:
    if not world.database.exists():  # not opened yet: nothing stored, and left for anupalan
        return Progress(0, 0, 0)
    with world.store() as store:
        mails = store.mails()
        return Progress(
            len(store.messages()), len(mails), sum(1 for m in mails if m.state == "sent")
        )


def deliver_during(world: DriveWorld, items: list[tuple[float, Arrival]]) -> threading.Thread:
    """A thread that lets the given replies land at their delays (seconds) from now."""

    def land() -> None:
        started = time.monotonic()
        for delay, arrival in sorted(items, key=lambda pair: pair[0]):
            time.sleep(max(0.0, started + delay - time.monotonic()))
            world.arrive(arrival.raw, arrival.received)

    thread = threading.Thread(target=land, daemon=True)
    return thread


def sent_at(world: DriveWorld, now: datetime) -> int:
    """How many mails the ledger marks as sent at `now`."""
    if not world.database.exists():
        return 0
    with world.store() as store:
        return sum(1 for m in store.mails() if m.sent_at == now)


PHASES = {
    "checkpoint": "paused at the checkpoint",
    "unknown outcome": "between the SMTP server accepting a mail and the ledger marking it",
    "sending": "sending, after at least one mail was marked sent",
    "queued": "mails queued, none marked sent yet",
    "ingesting": "ingesting or queueing, after at least one message was stored",
    "nothing stored": "starting, reading the mailbox, or on a first message or mail",
}


def phase_of(attempt: Attempt, before: Progress, after: Progress, unknown: int) -> str:
    """Where a killed process was (a key of PHASES), told by what it had stored and sent."""
    if "paused at" in attempt.errors:
        return "checkpoint"
    if unknown:
        return "unknown outcome"
    if after.sent > before.sent:
        return "sending"
    if after.planned > before.planned:
        return "queued"
    if after.messages > before.messages:
        return "ingesting"
    return "nothing stored"


def seconds_to_first_event(attempt: Attempt) -> float | None:
    """When (after the start) the process logged its first event, from the log's timestamps."""
    stamps = [e["timestamp"] for e in attempt.events() if "timestamp" in e]
    if not stamps:
        return None
    first = datetime.fromisoformat(stamps[0].replace("Z", "+00:00")).timestamp()
    return max(0.0, first - attempt.started_wall)


def logged(attempt: Attempt, event: str) -> int:
    """How many times the process logged this event."""
    return sum(1 for e in attempt.events() if e.get("event") == event)


def run_drive(
    world: DriveWorld,
    inputs: list[Arrival],
    delays: dict[str, float],
    draws: Iterator[Draw] | None = None,
    quotas: list[int] | None = None,
    reference: Drive | None = None,
) -> Drive:
    """Run the calendar; with `draws`, kill cycles as `quotas` says (kills per cycle)."""
    drive = Drive(world)
    carry = 0
    for index, now in enumerate(CALENDAR):
        for arrival in inputs:
            if arrival.cycle == now and not arrival.during:
                world.arrive(arrival.raw, arrival.received)
        during = [(delays[a.label], a) for a in inputs if a.cycle == now and a.during]
        lander = deliver_during(world, during)
        to_kill = carry + (quotas[index] if quotas else 0)
        kills = len(drive.kills)
        try:
            attempt, to_kill = run_cycle(drive, index, now, lander, to_kill, draws, reference)
        finally:
            if lander.ident is not None:
                lander.join(timeout=30)
        carry = to_kill
        drive.durations.append(attempt.duration)
        if reference is not None and len(drive.kills) == kills:  # a whole cycle, undisturbed
            drive.pace.append(drive.durations[-1] / reference.durations[index])
        drive.ingested.append(logged(attempt, "message_ingested"))
        drive.sent.append(logged(attempt, "mail_delivery"))
        drive.first_event.append(seconds_to_first_event(attempt))
    # A kill aimed at a cycle that ended first is dealt at the last cycle, run again:
    # after-queue is reached by every cycle.
    while draws is not None and carry > 0:
        before = progress(world)
        attempt = world.start_command(
            "once", "--now", END.isoformat(), env={PAUSE_ENV: "after-queue"}
        )
        try:
            assert attempt.wait_for("paused at after-queue", CYCLE_TIMEOUT), attempt.errors
            drive.kill(attempt, END, "after-queue", before)
        finally:
            attempt.kill()
        drive.rerun_kills += 1
        carry -= 1
        finish(world, END)
    return drive


def finish(world: DriveWorld, now: datetime) -> Attempt:
    """Run `once --now` to its normal end."""
    attempt = world.run("once", "--now", now.isoformat(), timeout=CYCLE_TIMEOUT)
    assert attempt.process.returncode == 0, f"once --now {now}: {attempt.errors[-3000:]}"
    return attempt


def run_cycle(
    drive: Drive,
    index: int,
    now: datetime,
    lander: threading.Thread,
    to_kill: int,
    draws: Iterator[Draw] | None,
    reference: Drive | None,
) -> tuple[Attempt, int]:
    """Run one cycle, killing it `to_kill` times first; the kills left if it ended sooner."""
    world = drive.world
    while True:
        kind, draw = None, None
        if draws is not None and reference is not None and to_kill > 0:
            draw = next(draws)
            kind = choose_kill(draw, sends=reference.sent[index] > sent_at(world, now))
        env = {PAUSE_ENV: kind} if kind in CHECKPOINTS else {}
        delay = 0.0
        if kind == "timed" and draw is not None and reference is not None:
            delay = timed_delay(draw, reference, index, drive.pace)
        before = progress(world) if kind else Progress(0, 0, 0)
        attempt = world.start_command("once", "--now", now.isoformat(), env=env)
        if lander.ident is None:
            lander.start()
        try:
            if kind is None:
                attempt.wait(CYCLE_TIMEOUT)
                ended = True
            elif kind in CHECKPOINTS:
                ended = not attempt.wait_for(f"paused at {kind}", CYCLE_TIMEOUT)
            else:
                try:
                    attempt.wait(delay)
                    ended = True
                except subprocess.TimeoutExpired:  # still running: the moment has come
                    ended = False
            if not ended:
                drive.kill(attempt, now, kind or "", before)
        finally:
            attempt.kill()
        if ended:
            if attempt.process.returncode != 0:
                pytest.fail(f"once --now {now} failed: {attempt.errors[-3000:]}")
            if kind is not None:
                drive.normal_ends_while_aiming += 1
            return attempt, to_kill
        to_kill -= 1


@dataclass(frozen=True)
class Draw:
    """The random numbers of one kill, four from the seed each, so that a seed always
    gives the same sequence whatever becomes of each kill."""

    timed: bool  # a kill at a moment, else at a checkpoint
    checkpoint: float  # which checkpoint, among those the cycle can reach
    early: bool  # a moment anywhere from the start, else in the cycle's work
    moment: float  # where in that span


def kill_draws(rng: random.Random) -> Iterator[Draw]:
    while True:
        yield Draw(rng.random() < 0.5, rng.random(), rng.random() < 0.2, rng.random())


def choose_kill(draw: Draw, sends: bool) -> str:
    """A checkpoint or a timed kill; the send checkpoints only where mail is left to send."""
    if draw.timed:
        return "timed"
    reachable = CHECKPOINTS if sends else CHECKPOINTS[:1]
    return reachable[int(draw.checkpoint * len(reachable))]


def timed_delay(draw: Draw, reference: Drive, index: int, pace: list[float]) -> float:
    """A moment of the cycle's work, from the reference run's timing of the same cycle."""
    recent = sorted(pace[-5:])
    scale = recent[len(recent) // 2] if recent else 1.0
    duration = reference.durations[index] * scale
    first = reference.first_event[index]
    # Until its first log line the process starts Python, opens the database and reads
    # the mailbox; the draw favours what comes after: ingesting, queueing, sending.
    start = (first * scale - 0.25) if first is not None else duration * 0.4
    low = 0.05 if draw.early else min(max(start, 0.05), duration * 0.8)
    high = duration * 0.95
    return low + draw.moment * (high - low)


def kill_quotas(rng: random.Random, reference: Drive, trials: int) -> list[int]:
    """How many kills each cycle takes: `trials` in all, busier cycles more likely."""
    weights = [
        1 + read + sent for read, sent in zip(reference.ingested, reference.sent, strict=True)
    ]
    quotas = [0] * len(CALENDAR)
    for index in rng.choices(range(len(CALENDAR)), weights=weights, k=trials):
        quotas[index] += 1
    return quotas


# --------------------------------------------------------------------------- reading the result


def ledger(world: DriveWorld) -> list[LedgerRow]:
    with world.store() as store:
        return sorted(
            (m.key, m.kind, m.unit_id, m.message_id, m.recipients, m.state) for m in store.mails()
        )


def stored_messages(world: DriveWorld) -> list[tuple[str, str | None, str, str | None, str | None]]:
    with world.store() as store:
        return sorted(
            (m.key, m.message_id, m.outcome, m.unit_id, m.review) for m in store.messages()
        )


def timestamps(value: Any) -> Iterator[str]:
    """Every string in a JSON document that reads as a date and time."""
    if isinstance(value, dict):
        for item in value.values():
            yield from timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from timestamps(item)
    elif isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return
        yield value


def assert_delivered(
    mails: list[LedgerRow],
    accepted: Counter[str],
    boxes: dict[str, Counter[str]],
    unknown: dict[str, int],
    where: str,
) -> None:
    """Each planned mail was accepted once more than its outcome was unknown, and each
    recipient's mailbox holds it as often as that; no mailbox holds a mail not planned
    for it."""
    for key, _kind, _unit, message_id, recipients, _state in mails:
        assert accepted[message_id] == 1 + unknown.get(message_id, 0), (key, where)
        for recipient in recipients:
            assert boxes[recipient][message_id] == accepted[message_id], (key, recipient, where)
    for address, held in boxes.items():
        ours = {m for m in held if m.endswith(".anupalan@example.gov.in>")}
        expected = {m for *_, m, recipients, _ in mails if address in recipients}
        assert ours == expected, (address, where)


@pytest.fixture
def worlds(tmp_path: Path) -> Iterator[tuple[DriveWorld, DriveWorld]]:
    require_dovecot()
    made: list[DriveWorld] = []
    try:
        for name in ("reference", "crashed"):
            made.append(DriveWorld(tmp_path / name))
            made[-1].start()
        yield made[0], made[1]
    finally:
        for world in made:
            world.close()


def test_sigkill_at_random_points_loses_nothing_and_repeats_only_unknown_outcomes(
    worlds: tuple[DriveWorld, DriveWorld],
) -> None:
    reference_world, world = worlds
    started = time.monotonic()
    inputs = arrivals()
    assert len({a.message_id for a in inputs}) == len(inputs)
    input_rng = random.Random(f"{SEED}:inputs")
    delays = {a.label: input_rng.uniform(0.05, 0.7) for a in inputs if a.during}

    reference = run_drive(reference_world, inputs, delays)
    quotas = kill_quotas(random.Random(f"{SEED}:cycles"), reference, KILL_TRIALS)
    draws = kill_draws(random.Random(f"{SEED}:kills"))
    crashed = run_drive(world, inputs, delays, draws, quotas, reference)

    # -- what the two runs hold ------------------------------------------------------
    replies = {a.message_id for a in inputs}
    messages = stored_messages(world)
    stored = Counter(message_id for _, message_id, *_ in messages)
    lost = sorted(replies - set(stored))
    twice = sorted(m for m in replies if stored[m] > 1)
    mails = ledger(world)
    accepted = world.smtp_transactions()
    boxes = world.mailboxes()
    sent_copies = world.received(ZONE, (SENT,))
    repeats = {m: accepted[m] - 1 for *_, m, _, _ in mails if accepted[m] > 1}
    delivered = sum(1 for *_, m, _, _ in mails if accepted[m] >= 1)
    status = world.status(END)
    reference_status = reference_world.status(END)
    kinds = Counter(k.kind for k in crashed.kills)

    record("seed", SEED, GROUP)
    record("kill trials", len(crashed.kills), GROUP)
    record("kills at a checkpoint", sum(n for k, n in kinds.items() if k != "timed"), GROUP)
    for checkpoint in CHECKPOINTS:
        record(f"kills at {checkpoint}", kinds[checkpoint], GROUP)
    record("kills at a random moment", kinds["timed"], GROUP)
    landed = Counter(k.phase for k in crashed.kills if k.kind == "timed")
    for phase in PHASES:
        if phase != "checkpoint":
            record(f"kills at a random moment: {phase}", landed[phase], GROUP)
    record("messages sent in", len(replies), GROUP)
    record("messages ingested", sum(1 for m in replies if stored[m] == 1), GROUP)
    record("messages lost", len(lost), GROUP)
    record("messages stored twice", len(twice), GROUP)
    record("mails planned", len(mails), GROUP)
    record("mails delivered", delivered, GROUP)
    record("duplicates (ambiguous repeats)", sum(repeats.values()), GROUP)
    record(
        "status equal to uninterrupted run", "yes" if status == reference_status else "no", GROUP
    )
    record("drive runtime (s)", round(time.monotonic() - started, 1), GROUP)

    # Stored, yet still in the INBOX (the reference's holds only what no cycle read yet).
    left_in_inbox = sorted(
        (set(world.received(ZONE)) & set(stored)) - set(reference_world.received(ZONE))
    )
    print(f"crash trials: seed {SEED}, {len(crashed.kills)} kills {dict(kinds)}")
    for k in crashed.kills:
        print(
            f"  {k.cycle:%d %b %H:%M}  {k.kind:<11} at {k.after:5.2f} s  {PHASES[k.phase]}"
            + (f"; {k.unknown} mail(s) accepted, not marked sent" if k.unknown else "")
        )
    print(f"  aimed at a cycle that ended first: {crashed.normal_ends_while_aiming}")
    print(f"  dealt by running the last cycle again: {crashed.rerun_kills}")
    print(f"  repeated mails (unknown outcome): {repeats}")
    print(f"  stored but left in the zone INBOX by a kill before the move: {left_in_inbox}")
    print(f"  reference cycle durations (s): {[round(d, 2) for d in reference.durations]}")
    where = f"(seed {SEED}; the kills are in the test's output)"

    # -- the kills -------------------------------------------------------------------
    assert len(crashed.kills) >= KILL_TRIALS, where

    # -- nothing lost, nothing stored twice ---------------------------------------------
    assert not lost, f"replies never stored: {lost} {where}"
    assert not twice, f"replies stored twice: {twice} {where}"
    # The digests reach the zone's own mailbox and are stored too, as anupalan's own.
    # Stored or not depends on whether a later cycle read them (a kill dealt by running
    # the last cycle again reads the last one), so only their verdict is compared.
    own = [m for m in messages if m[1] not in replies]
    planned_ids = {message_id for *_, message_id, _, _ in mails}
    assert all(outcome == "ignored" and m in planned_ids for _, m, outcome, *_ in own), own
    assert [m for m in messages if m[1] in replies] == [
        m for m in stored_messages(reference_world) if m[1] in replies
    ], where

    # -- every planned mail sent, the same mails as the uninterrupted run -----------------
    assert mails == ledger(reference_world), where
    assert all(state == "sent" for *_, state in mails), where

    # -- each mail in each recipient's mailbox once, or as often as its outcome was unknown
    assert_delivered(mails, accepted, boxes, crashed.unknown_outcomes, where)
    assert_delivered(
        mails, reference_world.smtp_transactions(), reference_world.mailboxes(), {}, where
    )
    assert all(1 <= sent_copies[m] <= accepted[m] for *_, m, _, _ in mails), where

    # -- the same standing as the uninterrupted run, and no wall-clock time in it ---------
    assert status == reference_status, where
    assert all(t.startswith("2023-") for t in timestamps(status)), status
