"""The consolidated report of a campaign, built from the units' current submissions."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from daemon.adapters.spreadsheet_write import write_consolidation
from daemon.adapters.store_sql import SqlStore
from daemon.config import Campaign, Config
from daemon.core.compliance import current_submissions
from daemon.core.consolidate import Consolidation, consolidate
from daemon.core.models import Submission


def consolidation(
    config: Config, campaign: Campaign, submissions: Iterable[Submission]
) -> Consolidation:
    """The consolidated report of the campaign's submissions (every one stored)."""
    return consolidate(
        config.report_format(campaign.upstream.format),
        config.campaign_units(campaign),
        current_submissions(submissions),
    )


def build_report(config: Config, store: SqlStore, campaign: Campaign, out: Path) -> Consolidation:
    """Write the consolidated workbook to `out` and return what it holds."""
    report = consolidation(config, campaign, store.submissions(campaign.id))
    write_consolidation(report, out, config.zone.tzinfo)
    return report
