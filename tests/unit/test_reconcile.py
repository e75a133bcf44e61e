"""The reconciler over a simulated calendar: which mails exist on which day, for which unit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from daemon.core.compliance import current_submissions, summarise, unit_compliance
from daemon.core.models import OfficerRow, Submission, SubmissionSummary
from daemon.core.reconcile import (
    CampaignPlan,
    LateReport,
    LedgerEntry,
    PlannedMail,
    Step,
    StoredMessage,
    UnitContact,
    due_mails,
    latest_digest_time,
    next_tick,
)

IST = ZoneInfo("Asia/Kolkata")
STEPS = tuple(
    Step(spec, days, time(10, 0))
    for spec, days in (
        ("-7d 10:00", -7),
        ("-3d 10:00", -3),
        ("-1d 10:00", -1),
        ("+1d 10:00", 1),
        ("+3d 10:00", 3),
    )
)
PLAN = CampaignPlan(
    id="et",
    unit_deadline=date(2023, 4, 30),
    steps=STEPS,
    escalate_after=2,
    upstream_send_at=datetime(2023, 5, 4, 11, 0, tzinfo=IST),
    digest_cron="0 9 * * mon-sat",
    tz=IST,
)


@dataclass(frozen=True)
class U:
    id: str
    name: str
    strength: int


UNITS = [U("north", "Chennai North", 3), U("south", "Chennai South", 2), U("salem", "Salem", 2)]
CONTACTS = [UnitContact(u.id, True) for u in UNITS]


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2023, month, day, hour, minute, tzinfo=IST)


def report(key: str, unit: str, when: datetime, officers: int) -> SubmissionSummary:
    rows = tuple(
        OfficerRow(f"{unit}-{i}", f"Officer {i}", "Inspector", None, None, True, "Sheet1", 4 + i)
        for i in range(officers)
    )
    return summarise(Submission(key, unit, "et", when, when, ("Format.xlsx",), rows, ()))


# North reports in full early; South reports half, then all after escalation; Salem never.
REPORTS = [
    report("m-north", "north", at(4, 22, 15), 3),
    report("m-south-1", "south", at(4, 25, 12), 1),
    report("m-south-2", "south", at(5, 2, 12), 2),
]
UNREADABLE = StoredMessage(
    "m-salem-pdf", "et", "salem", "needs_review", "unreadable", "sender", at(4, 28, 16)
)
STRANGER = StoredMessage(
    "m-stranger", "et", None, "needs_review", "unknown_sender", None, at(4, 26, 9)
)


def state_at(now: datetime) -> tuple[list, list[StoredMessage]]:
    arrived = [s for s in REPORTS if s.received_at <= now]
    units = unit_compliance(UNITS, current_submissions(arrived))
    messages = [
        StoredMessage(s.key, "et", s.unit_id, "accepted", None, "sender", s.received_at)
        for s in arrived
    ] + [m for m in (UNREADABLE, STRANGER) if m.received_at <= now]
    return list(units), messages


def simulate(start: datetime, end: datetime, every: timedelta) -> dict[date, list[str]]:
    """Tick from start to end, 'sending' whatever is due; what went out, day by day."""
    ledger: list[LedgerEntry] = []
    days: dict[date, list[str]] = defaultdict(list)
    now = start
    while now <= end:
        units, messages = state_at(now)
        for mail in due_mails(PLAN, units, CONTACTS, messages, ledger, now):
            ledger.append(LedgerEntry(mail.key, mail.kind, mail.campaign_id, mail.unit_id, "sent"))
            days[now.date()].append(f"{mail.kind} {mail.unit_id}" if mail.unit_id else mail.kind)
        now += every
    return {d: sorted(v) for d, v in days.items()}


D = date
EXPECTED = {
    D(2023, 4, 20): ["digest"],
    D(2023, 4, 21): ["digest"],
    D(2023, 4, 22): ["ack north", "digest"],
    # Sunday: no digest; the -7d step reminds the two units that have not reported
    D(2023, 4, 23): ["reminder salem", "reminder south"],
    D(2023, 4, 24): ["digest"],
    D(2023, 4, 25): ["ack south", "digest"],
    D(2023, 4, 26): ["digest"],
    # -3d: South reported 1 of 2, still behind; second reminder to both
    D(2023, 4, 27): ["digest", "reminder salem", "reminder south"],
    # Salem's PDF is answered with a rejection
    D(2023, 4, 28): ["digest", "rejection salem"],
    # -1d: two reminders already sent, so these escalate
    D(2023, 4, 29): ["digest", "escalation salem", "escalation south"],
    D(2023, 5, 1): ["digest", "escalation salem", "escalation south"],
    D(2023, 5, 2): ["ack south", "digest"],
    # +3d: South is complete now; only Salem
    D(2023, 5, 3): ["digest", "escalation salem"],
    D(2023, 5, 4): ["digest", "upstream"],
    D(2023, 5, 5): ["digest"],
    D(2023, 5, 6): ["digest"],
}


@pytest.mark.parametrize(
    "every", [timedelta(minutes=30), timedelta(hours=1), timedelta(minutes=47)]
)
def test_a_drive_from_ten_days_before_the_deadline_to_after_the_upstream_send(
    every: timedelta,
) -> None:
    assert simulate(at(4, 20, 0), at(5, 6, 23), every) == EXPECTED


def test_a_service_that_was_down_sends_only_the_latest_missed_reminder_step() -> None:
    units, _ = state_at(at(4, 21, 0))  # before anyone has reported
    # the service comes back on 29 April at noon: -7d, -3d and -1d have all passed
    due = due_mails(PLAN, units, CONTACTS, [], [], at(4, 29, 12))
    reminders = sorted(
        (m.kind, m.unit_id, m.step) for m in due if m.kind in ("reminder", "escalation")
    )
    assert reminders == [
        ("reminder", "north", "-1d 10:00"),
        ("reminder", "salem", "-1d 10:00"),
        ("reminder", "south", "-1d 10:00"),
    ]


def test_what_is_in_the_ledger_is_never_due_again_and_a_failed_reminder_does_not_count() -> None:
    units, _ = state_at(at(4, 23, 11))
    first = due_mails(PLAN, units, CONTACTS, [], [], at(4, 23, 11))
    ledger = [LedgerEntry(m.key, m.kind, m.campaign_id, m.unit_id, "sent") for m in first]
    assert due_mails(PLAN, units, CONTACTS, [], ledger, at(4, 23, 11)) == []
    # -3d and -1d with only failed reminders before: still plain reminders, not escalations
    failed = [replace(e, state="failed") for e in ledger]
    units, _ = state_at(at(4, 29, 11))
    due = due_mails(PLAN, units, CONTACTS, [], failed, at(4, 29, 11))
    assert {m.kind for m in due if m.unit_id} == {"reminder"}


def test_a_unit_with_no_address_is_not_reminded() -> None:
    units, _ = state_at(at(4, 23, 11))
    contacts = [UnitContact("south", False), UnitContact("salem", True), UnitContact("north", True)]
    due = due_mails(PLAN, units, contacts, [], [], at(4, 23, 11))
    assert sorted(m.unit_id for m in due if m.kind == "reminder") == ["salem"]


def test_the_upstream_report_is_due_once_from_its_time() -> None:
    units, _ = state_at(at(5, 4, 10, 59))
    assert not [
        m
        for m in due_mails(PLAN, units, CONTACTS, [], [], at(5, 4, 10, 59))
        if m.kind == "upstream"
    ]
    [upstream] = [
        m for m in due_mails(PLAN, units, CONTACTS, [], [], at(5, 9, 8)) if m.kind == "upstream"
    ]
    assert upstream == PlannedMail("upstream:et", "upstream", "et", None, PLAN.upstream_send_at)


def test_a_correction_after_the_upstream_report_plans_one_revised_report_when_opted_in() -> None:
    units, _ = state_at(at(5, 9, 8))
    late = [LateReport("m-south-2", at(5, 5, 9)), LateReport("m-north-2", at(5, 6, 9))]
    sent = [LedgerEntry("upstream:et", "upstream", "et", None, "sent")]

    def revisions(plan: CampaignPlan, now: datetime) -> list[PlannedMail]:
        due = due_mails(plan, units, CONTACTS, [], sent, now, late)
        return [m for m in due if m.key != "upstream:et" and m.kind == "upstream"]

    assert revisions(PLAN, at(5, 7, 9)) == [], "not opted in: the digest says so, no more"
    opted = replace(PLAN, resend_until=date(2023, 5, 10))
    assert revisions(opted, at(5, 7, 9)) == [
        PlannedMail(
            "upstream:et:revised-for:m-north-2", "upstream", "et", None, at(5, 6, 9), "revised"
        )
    ]  # the newest correction: one revised report for both
    assert revisions(opted, at(5, 11, 9)) == [], "after the day given, nothing more"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(4, 24, 9, 0), at(4, 24, 9, 0)),
        (at(4, 24, 20, 59), at(4, 24, 9, 0)),
        (at(4, 24, 21, 1), None),  # twelve hours late: skipped, not sent late
        (at(4, 23, 12, 0), None),  # Sunday, and Saturday's is too old
        (at(4, 24, 8, 59), None),
        (at(5, 11, 9, 30), at(5, 11, 9, 0)),
        (at(5, 12, 9, 30), None),  # a week after the upstream report, digests stop
    ],
)
def test_the_digest_follows_its_cron_with_a_grace_period(
    now: datetime, expected: datetime | None
) -> None:
    assert latest_digest_time(PLAN, now) == expected


def test_the_next_tick_is_the_earliest_thing_to_come() -> None:
    units, _ = state_at(at(4, 22, 16))
    assert next_tick(PLAN, units, [], at(4, 22, 16)) == at(4, 23, 10)  # Sunday's -7d step
    units, _ = state_at(at(5, 3, 12))
    assert next_tick(PLAN, units, [], at(5, 3, 12)) == at(5, 4, 9)  # Thursday's digest
