"""Compliance per unit and in total, from the units and their current submissions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar

from daemon.core.models import OfficerRow, Submission, SubmissionSummary


class UnitLike(Protocol):
    """What compliance needs to know of a unit."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def strength(self) -> int: ...


@dataclass(frozen=True)
class UnitCompliance:
    """One unit's standing in a campaign."""

    unit_id: str
    name: str
    strength: int
    reported: bool
    completed: int
    compliance_pct: float
    last_report_at: datetime | None
    problems: int

    @property
    def behind(self) -> bool:
        """Not reported, or fewer officers completed than the unit's strength."""
        return not self.reported or self.completed < self.strength


@dataclass(frozen=True)
class Totals:
    """The zone's standing in a campaign."""

    strength: int
    completed: int
    compliance_pct: float


def percent(part: int, whole: int) -> float:
    """part ÷ whole as a percentage with one decimal, rounded half up as offices do."""
    if whole <= 0:
        return 0.0
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(value)


def officer_identity(row: OfficerRow) -> str:
    """Who a row is about: employee code, else e-mail, else name with designation."""
    if row.employee_code:
        return f"code:{row.employee_code.strip().lower()}"
    if row.email:
        return f"email:{row.email}"
    name = " ".join((row.name or "").lower().split())
    designation = " ".join((row.designation or "").lower().split())
    return f"name:{name}|{designation}"


class _Dated(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def unit_id(self) -> str: ...
    @property
    def sent_at(self) -> datetime: ...
    @property
    def received_at(self) -> datetime: ...


S = TypeVar("S", bound=_Dated)


def current_submissions(submissions: Iterable[S]) -> dict[str, S]:
    """Each unit's current submission: its newest by sending time (arrival breaks ties).

    A newer submission replaces the older one whole; nothing is merged.
    """
    current: dict[str, S] = {}
    for sub in submissions:
        held = current.get(sub.unit_id)
        if held is None or (sub.sent_at, sub.received_at, sub.key) > (
            held.sent_at,
            held.received_at,
            held.key,
        ):
            current[sub.unit_id] = sub
    return current


def completed_officers(submission: Submission) -> int:
    """Distinct officers a submission reports as completed (a repeated row counts once)."""
    return len({officer_identity(r) for r in submission.rows if r.completed})


def summarise(submission: Submission) -> SubmissionSummary:
    """The submission without its rows: its dates and its counts."""
    return SubmissionSummary(
        key=submission.key,
        unit_id=submission.unit_id,
        campaign_id=submission.campaign_id,
        sent_at=submission.sent_at,
        received_at=submission.received_at,
        completed=completed_officers(submission),
        problems=len(submission.problems),
    )


def unit_compliance(
    units: Sequence[UnitLike], current: Mapping[str, SubmissionSummary]
) -> tuple[UnitCompliance, ...]:
    """Compliance of each unit, in the order the units are given."""
    result = []
    for unit in units:
        sub = current.get(unit.id)
        completed = sub.completed if sub else 0
        result.append(
            UnitCompliance(
                unit_id=unit.id,
                name=unit.name,
                strength=unit.strength,
                reported=sub is not None,
                completed=completed,
                compliance_pct=percent(completed, unit.strength),
                last_report_at=sub.sent_at if sub else None,
                problems=sub.problems if sub else 0,
            )
        )
    return tuple(result)


def totals(units: Sequence[UnitCompliance]) -> Totals:
    """The sum over units; the percentage is of the summed strength, not a mean of percentages."""
    strength = sum(u.strength for u in units)
    completed = sum(u.completed for u in units)
    return Totals(
        strength=strength, completed=completed, compliance_pct=percent(completed, strength)
    )
