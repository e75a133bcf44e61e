"""Who sent a report, and for which drive.

The sender address decides the unit. Names found in the subject, body, file
names or sheet names only *suggest* a unit for an administrator to confirm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol


class UnitLike(Protocol):
    """What identification needs to know of a unit."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def emails(self) -> tuple[str, ...]: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


class CampaignLike(Protocol):
    """What identification needs to know of a campaign."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> tuple[str, ...]:
    """Lower-case alphanumeric tokens: punctuation and spacing never decide a match."""
    return tuple(_WORD.findall(text.lower()))


def unit_by_sender(units: Sequence[UnitLike], address: str | None) -> str | None:
    """The unit that lists this address, if any."""
    if not address:
        return None
    address = address.strip().lower()
    return next((u.id for u in units if address in (e.lower() for e in u.emails)), None)


def _find(haystack: tuple[str, ...], needle: tuple[str, ...]) -> list[int]:
    n = len(needle)
    if n == 0:
        return []
    return [i for i in range(len(haystack) - n + 1) if haystack[i : i + n] == needle]


def units_named(units: Sequence[UnitLike], texts: Iterable[str]) -> list[str]:
    """Units whose name or alias appears, as whole words, in any of the texts.

    A name inside a longer name found at the same place does not count, so
    "Coimbatore Audit" names Coimbatore Audit only, not Coimbatore as well.
    """
    found: set[str] = set()
    for text in texts:
        tokens = words(text)
        spans: list[tuple[int, int, str]] = []
        for unit in units:
            for label in (unit.name, *unit.aliases):
                needle = words(label)
                spans.extend((i, i + len(needle), unit.id) for i in _find(tokens, needle))
        for start, end, unit_id in spans:
            covered = any(
                s <= start and end <= e and (e - s) > (end - start) and uid != unit_id
                for s, e, uid in spans
            )
            if not covered:
                found.add(unit_id)
    return sorted(found, key=[u.id for u in units].index)


def suggest_unit(units: Sequence[UnitLike], texts: Iterable[str]) -> str | None:
    """The one unit the texts name, or None when they name none or several."""
    named = units_named(units, texts)
    return named[0] if len(named) == 1 else None


def campaign_keywords(campaign: CampaignLike) -> tuple[tuple[str, ...], ...]:
    """The phrases that point to a campaign: its keywords, else its title."""
    phrases = campaign.keywords or (campaign.title,)
    return tuple(w for w in (words(p) for p in phrases) if w)


def campaigns_by_keywords(campaigns: Sequence[CampaignLike], texts: Iterable[str]) -> list[str]:
    """Campaigns whose keywords appear most often in the texts; all of them when none appear."""
    tokens = tuple(t for text in texts for t in words(text))
    scores = {
        c.id: sum(len(_find(tokens, phrase)) for phrase in campaign_keywords(c)) for c in campaigns
    }
    best = max(scores.values(), default=0)
    if best == 0:
        return [c.id for c in campaigns]
    return [cid for cid, score in scores.items() if score == best]
