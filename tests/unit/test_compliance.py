"""Compliance per unit and in total, and which submission is current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from daemon.core.compliance import (
    completed_officers,
    current_submissions,
    percent,
    summarise,
    totals,
    unit_compliance,
)
from daemon.core.models import OfficerRow, Problem, Submission

T0 = datetime(2023, 4, 21, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class U:
    id: str
    name: str
    strength: int


def row(
    code: str | None, completed: bool = True, email: str | None = None, name: str = "A. Kumar"
) -> OfficerRow:
    return OfficerRow(code, name, "Inspector", None, email, completed, "Sheet1", 5)


def sub(
    key: str, unit: str, sent: datetime, rows: list[OfficerRow], problems: int = 0
) -> Submission:
    return Submission(
        key=key,
        unit_id=unit,
        campaign_id="c",
        sent_at=sent,
        received_at=sent + timedelta(minutes=5),
        files=("Format.xlsx",),
        rows=tuple(rows),
        problems=tuple(Problem("bad") for _ in range(problems)),
    )


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (150, 180, 83.3),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 8, 12.5),
        (1, 16, 6.3),
        (0, 10, 0.0),
        (10, 10, 100.0),
        (12, 10, 120.0),
        (5, 0, 0.0),
    ],
)
def test_percent_has_one_decimal_rounded_half_up(part: int, whole: int, expected: float) -> None:
    assert percent(part, whole) == expected


def test_the_newest_submission_of_a_unit_is_current_whatever_the_order_it_arrived_in() -> None:
    old = sub("m1", "north", T0, [row("1")])
    new = sub("m2", "north", T0 + timedelta(days=2), [row("1"), row("2")])
    other = sub("m3", "south", T0, [row("9")])
    for order in ([old, new, other], [new, old, other], [other, new, old]):
        current = current_submissions(order)
        assert current["north"].key == "m2"
        assert current["south"].key == "m3"


def test_only_completed_officers_count_and_a_repeated_officer_counts_once() -> None:
    s = sub(
        "m",
        "north",
        T0,
        [
            row("1"),
            row("1"),
            row("2", completed=False),
            row(None, email="x@example.nic.in"),
            row(None, name="B. Devi"),
            row(None, name="b.  devi"),
        ],
    )
    # "B. Devi" and "b.  devi" are the same officer: same name and designation once normalised
    assert completed_officers(s) == 3


def test_unit_compliance_and_totals() -> None:
    units = [
        U("north", "Chennai North", 10),
        U("south", "Chennai South", 8),
        U("cbe", "Coimbatore", 6),
    ]
    current = current_submissions(
        [
            summarise(sub("m1", "north", T0, [row(str(i)) for i in range(7)], problems=2)),
            summarise(sub("m2", "south", T0 + timedelta(hours=1), [row(str(i)) for i in range(8)])),
        ]
    )
    result = unit_compliance(units, current)
    assert [(u.unit_id, u.reported, u.completed, u.compliance_pct, u.problems) for u in result] == [
        ("north", True, 7, 70.0, 2),
        ("south", True, 8, 100.0, 0),
        ("cbe", False, 0, 0.0, 0),
    ]
    assert [u.behind for u in result] == [True, False, True]
    assert result[0].last_report_at == T0
    t = totals(result)
    assert (t.strength, t.completed, t.compliance_pct) == (24, 15, 62.5)
