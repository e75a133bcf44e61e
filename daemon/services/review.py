"""An administrator's word on a held message: which unit it is from."""

from __future__ import annotations

from daemon.bootstrap import App
from daemon.errors import UsageError
from daemon.services.ingest import IngestResult, ingest_raw


def assign(app: App, message_id: str, unit_id: str) -> IngestResult:
    """Count a stored message as `unit_id`'s report, reading it again from the archive."""
    known = {u.id for u in app.config.units}
    if unit_id not in known:
        raise UsageError(f"unknown unit {unit_id!r}; known units: {', '.join(sorted(known))}")
    wanted = message_id.strip()
    bare = wanted.strip("<>")
    record = next(
        (
            m
            for m in app.store.messages()
            if m.key == wanted or (m.message_id or "").strip("<>") == bare
        ),
        None,
    )
    if record is None:
        raise UsageError(f"no stored message has the id {message_id!r}; `status` lists held ones")
    raw = app.archive.load(record.sha256)
    return ingest_raw(
        app.config, app.store, app.archive, raw, record.received_at, assign_to=unit_id
    )
