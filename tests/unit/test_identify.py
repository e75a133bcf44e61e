"""Who sent a report and for which drive: sender first, names only as a suggestion."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from daemon.core.identify import campaigns_by_keywords, suggest_unit, unit_by_sender, units_named


@dataclass(frozen=True)
class U:
    id: str
    name: str
    emails: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class C:
    id: str
    title: str
    keywords: tuple[str, ...] = ()


UNITS = (
    U("chennai-north", "Chennai North", ("ccu-chennai-north@example.gov.in",), ("CHN North",)),
    U("coimbatore", "Coimbatore", ("ccu-cbe@example.gov.in",)),
    U("coimbatore-audit", "Coimbatore Audit", (), ("CBE Audit",)),
    U("chennai-audit-1", "Chennai Audit-I", (), ("Ch. Audit-I",)),
    U("chennai-audit-2", "Chennai Audit-II", (), ("Ch. Audit-II",)),
    U("puducherry", "Puducherry", (), ("Pondicherry",)),
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("ccu-chennai-north@example.gov.in", "chennai-north"),
        ("  CCU-Chennai-North@Example.GOV.in ", "chennai-north"),
        ("chennai.north@gmail.example.com", None),
        (None, None),
        ("", None),
    ],
)
def test_the_sender_address_decides_the_unit(address: str | None, expected: str | None) -> None:
    assert unit_by_sender(UNITS, address) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Report - Chennai North Commissionerate", ["chennai-north"]),
        ("report from chn-north", ["chennai-north"]),
        ("Coimbatore Audit Commissionerate report", ["coimbatore-audit"]),
        ("CBE Audit", ["coimbatore-audit"]),
        ("Coimbatore report", ["coimbatore"]),
        ("Chennai Audit-II", ["chennai-audit-2"]),
        ("Ch. Audit-I", ["chennai-audit-1"]),
        ("CHENNAI AUDIT - I", ["chennai-audit-1"]),
        ("Pondicherry", ["puducherry"]),
        ("Chennai North and Coimbatore", ["chennai-north", "coimbatore"]),
        ("Northern Chennai", []),
        ("", []),
    ],
)
def test_units_are_named_by_whole_words_longest_name_first(text: str, expected: list[str]) -> None:
    assert units_named(UNITS, [text]) == expected


def test_a_suggestion_needs_exactly_one_unit() -> None:
    assert suggest_unit(UNITS, ["Puducherry report", "Format.xlsx"]) == "puducherry"
    assert suggest_unit(UNITS, ["Puducherry", "Coimbatore"]) is None
    assert suggest_unit(UNITS, ["Please find the report"]) is None


CAMPAIGNS = (
    C(
        "emerging-tech-l1",
        "Level-1 Online Course on Emerging Technologies",
        ("emerging technologies", "level-1"),
    ),
    C("igot-onboarding", "iGOT onboarding of officers", ("onboarding", "user creation")),
)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Report on Emerging Technologies course"], ["emerging-tech-l1"]),
        (["Onboarding list", "annexure"], ["igot-onboarding"]),
        (["Report", "Format.xlsx"], ["emerging-tech-l1", "igot-onboarding"]),
        (["Emerging technologies", "user creation"], ["emerging-tech-l1", "igot-onboarding"]),
    ],
)
def test_campaign_keywords_pick_the_drive(texts: list[str], expected: list[str]) -> None:
    assert campaigns_by_keywords(CAMPAIGNS, texts) == expected


def test_a_campaign_without_keywords_is_found_by_its_title() -> None:
    campaigns = (C("a", "Annual Property Returns"), C("b", "Vigilance Clearance"))
    assert campaigns_by_keywords(campaigns, ["annual property returns 2023"]) == ["a"]
