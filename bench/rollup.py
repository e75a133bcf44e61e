"""A national roll-up's stored state, built through the store's own API, and one reconciler tick.

The roll-up is one instance with every zone's units in it: 40 zones x 15 units
is 600 units, each taking part in 5 campaigns. Four units in five have
reported to each campaign (a report of `officers_per_unit` rows); the rest are
behind, and are reminded.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import ZONE
from daemon.adapters.store_sql import MessageRecord
from daemon.bootstrap import App, build_app
from daemon.config import load_config
from daemon.core.models import OfficerRow, Submission
from daemon.services.notify import queue_due
from daemon.testing import officers


def _config(root: Path, zones: int, per_zone: int, campaigns: int) -> Path:
    lines = [
        "zone: {name: National Roll-up, timezone: Asia/Kolkata, admins: [" + ZONE + "]}",
        f"mailbox: {{backend: maildir, path: {root}/mailbox}}",
        f"outgoing: {{backend: directory, path: {root}/outbox, from: Cell <{ZONE}>}}",
        f"storage: {{database: {root}/var/anupalan.db, archive: {root}/var/archive}}",
        "units:",
    ]
    for zone in range(1, zones + 1):
        for unit in range(1, per_zone + 1):
            uid = f"z{zone:02d}-u{unit:02d}"
            lines.append(
                f"  - {{id: {uid}, name: Zone {zone} Unit {unit}, strength: 30,"
                f" emails: [ccu-{uid}@units.example.gov.in]}}"
            )
    lines.append("campaigns:")
    for n in range(campaigns):
        lines += [
            f"  - id: drive-{n + 1}",
            f"    title: National drive {n + 1}",
            "    format: unit-completion-report",
            f"    keywords: [national drive {n + 1}]",
            "    unit_deadline: 2023-04-30",
            "    upstream:",
            "      to: [nacin-igot@example.nic.in]",
            "      format: zonal-completion-report",
            "      send_at: 2023-05-04 11:00",
        ]
    (root / "mailbox" / "new").mkdir(parents=True, exist_ok=True)
    (root / "mailbox" / "cur").mkdir(parents=True, exist_ok=True)
    (root / "mailbox" / "tmp").mkdir(parents=True, exist_ok=True)
    path = root / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_rollup(root: Path, sizes: Any) -> tuple[App, dict[str, int]]:
    """The stored state of the roll-up, and the app over it."""
    config = load_config(_config(root, sizes.zones, sizes.units_per_zone, sizes.campaigns))
    app = build_app(config)
    rows = officers(sizes.officers_per_unit)
    received = datetime(2023, 4, 20, 5, 0, tzinfo=UTC)
    started = time.perf_counter()
    for c, campaign in enumerate(config.campaigns):
        for u, unit in enumerate(config.units):
            if u % 5 == 4:
                continue  # behind: never reported
            key = f"<{campaign.id}-{unit.id}@units.example.gov.in>"
            when = received + timedelta(minutes=u, seconds=c)
            app.store.record_message(
                MessageRecord(
                    key=key,
                    sha256="0" * 64,
                    archive_path="",
                    message_id=key,
                    from_address=unit.emails[0],
                    subject=campaign.title,
                    sent_at=when,
                    received_at=when,
                    outcome="accepted",
                    unit_id=unit.id,
                    campaign_id=campaign.id,
                    attribution="sender",
                ),
                submission=Submission(
                    key=key,
                    unit_id=unit.id,
                    campaign_id=campaign.id,
                    sent_at=when,
                    received_at=when,
                    files=("report.xlsx",),
                    problems=(),
                    rows=tuple(
                        OfficerRow(
                            str(code), str(name), str(post), str(mobile), str(mail), True, "S", n
                        )
                        for n, (code, name, post, mobile, mail) in enumerate(rows, start=4)
                    ),
                ),
            )
    stats = app.store.table_counts()
    stats["build_seconds"] = round(time.perf_counter() - started)
    return app, stats


def tick(app: App, now: datetime) -> int:
    """One reconciler tick over every campaign: how many mails it queued."""
    return len(queue_due(app, now).drafts)


def floor_read(root: Path) -> float:
    """Seconds to read every row of the state a tick reads, with the bare sqlite3 module."""
    started = time.perf_counter()
    connection = sqlite3.connect(root / "var" / "anupalan.db")
    try:
        for table in ("messages", "submissions", "mails"):
            connection.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        connection.close()
    return time.perf_counter() - started
