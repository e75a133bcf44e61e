"""The raw-message archive on real files: one file per message, named by its hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from daemon.adapters.archive import Archive


def test_a_message_is_filed_once_under_its_hash(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    raw = b"From: ccu-salem@example.gov.in\r\n\r\nreport\r\n"
    digest = hashlib.sha256(raw).hexdigest()
    assert archive.store(raw) == (digest, tmp_path / "archive" / digest[:2] / f"{digest}.eml")
    assert archive.store(raw)[1].read_bytes() == raw
    assert archive.load(digest) == raw
    assert [p.name for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [f"{digest}.eml"]


def test_messages_filed_in_the_earlier_two_level_layout_are_still_found(tmp_path: Path) -> None:
    raw = b"From: ccu-salem@example.gov.in\r\n\r\nan older report\r\n"
    digest = hashlib.sha256(raw).hexdigest()
    earlier = tmp_path / "archive" / digest[:2] / digest[2:4] / f"{digest}.eml"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(raw)
    archive = Archive(tmp_path / "archive")
    assert archive.load(digest) == raw
    assert archive.store(raw) == (digest, earlier)  # not written a second time
    assert not archive.path_for(digest).exists()


def test_many_messages_make_at_most_one_folder_per_leading_byte(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    for _ in range(600):
        archive.store(os.urandom(64))
    folders = [p for p in (tmp_path / "archive").iterdir()]
    assert all(p.is_dir() and len(p.name) == 2 for p in folders)
    assert len(folders) <= 256
    assert sum(1 for _ in (tmp_path / "archive").rglob("*.eml")) == 600
