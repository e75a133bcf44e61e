"""Corrections units sent after the consolidated report went upstream.

Once the report has gone, a unit's revised report changes the zone's figures
but not the upstream office's copy. `corrections_since` says which units
changed what since a given sending, so the digest can say the upstream copy
is stale, and a campaign that opts in can send a superseding report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from daemon.core.compliance import current_submissions, officer_identity
from daemon.core.models import OfficerRow, Submission


@dataclass(frozen=True)
class Correction:
    """A unit's report newer than the upstream copy, and how many officers it changed."""

    unit_id: str
    received_at: datetime
    changed_rows: int
    message_key: str


def corrections_since(
    sent_at: datetime, submissions: Iterable[Submission], unit_ids: Iterable[str]
) -> list[Correction]:
    """Each unit (in `unit_ids` order) whose current report arrived after `sent_at`.

    The report current then is the newest that had arrived by `sent_at` (by
    the unit's sending time, as ever); a unit that had sent none then changed
    every officer it lists now.
    """
    subs = list(submissions)
    now = current_submissions(subs)
    then = current_submissions(s for s in subs if s.received_at <= sent_at)
    found = []
    for unit_id in unit_ids:
        current = now.get(unit_id)
        if current is None or current.received_at <= sent_at:
            continue
        earlier = then.get(unit_id)
        before = _officers(earlier.rows) if earlier else {}
        after = _officers(current.rows)
        changed = sum(
            1 for who in before.keys() | after.keys() if before.get(who) != after.get(who)
        )
        if changed:
            found.append(Correction(unit_id, current.received_at, changed, current.key))
    return found


def _officers(rows: Iterable[OfficerRow]) -> Mapping[str, tuple[object, ...]]:
    """What a report says of each officer it lists."""
    return {
        officer_identity(r): (r.name, r.designation, r.mobile, r.email, r.completed) for r in rows
    }
