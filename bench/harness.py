"""What every figure needs: the figure itself, timing, measured subprocesses, a real Dovecot."""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

ZONE = "compliance-cell@example.gov.in"
PASSWORD = "bench-imap-secret"
SUBJECT = "Report reg Level-1 Course on Emerging Technologies"


@dataclass(frozen=True)
class Figure:
    """One measured figure: anupalan's number, the floor's, and whether the target is met."""

    key: str
    title: str
    unit: str
    anupalan: float
    floor: float
    target: str
    met: bool
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.anupalan / self.floor if self.floor else math.inf

    def line(self) -> str:
        verdict = "met" if self.met else "NOT MET"
        return (
            f"FIGURE {self.key}: anupalan {number(self.anupalan)} {self.unit}"
            f" | floor {number(self.floor)} {self.unit} | ratio {self.ratio:.2f}"
            f" | target {self.target} | {verdict}"
        )


def skipped(key: str, reason: str) -> str:
    return f"FIGURE {key}: skipped ({reason})"


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def say(text: str) -> None:
    """Progress and details, on standard error so that the figure lines stay easy to read."""
    print(text, file=sys.stderr, flush=True)


def quiet_logs() -> None:
    """Keep the in-process service quiet: its logs would be timed along with it."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# --------------------------------------------------------------------------- subprocesses


@dataclass(frozen=True)
class Measured:
    """A finished subprocess: its wall time, its peak resident memory and what it printed."""

    seconds: float
    max_rss_mb: float
    stdout: str
    stderr: str

    def result(self) -> dict[str, Any]:
        """The JSON object a bench worker prints last."""
        line = self.stdout.strip().splitlines()[-1]
        value: dict[str, Any] = json.loads(line)
        return value


def run_measured(
    args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 3600
) -> Measured:
    """Run a command to its end; peak RSS is that child's own, read with wait4(2)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited with {process.returncode}:\n{stderr[-3000:]}{stdout[-1000:]}"
        )
    # ru_maxrss is in kilobytes on Linux.
    return Measured(seconds, usage.ru_maxrss / 1024, stdout, stderr)


def worker(task: str, *args: object, timeout: float = 3600) -> Measured:
    """Run one of bench.worker's tasks in a fresh interpreter."""
    return run_measured(
        [sys.executable, "-m", "bench.worker", task, *(str(a) for a in args)], timeout=timeout
    )


def anupalan(
    config: Path, *args: str, profile: Path | None = None, timeout: float = 3600
) -> Measured:
    """Run the anupalan command itself, optionally under pyinstrument."""
    command = [sys.executable, "-m", "daemon", "--config", str(config), *args]
    if profile is not None:
        command = [
            sys.executable,
            "-m",
            "pyinstrument",
            "--renderer",
            "text",
            "--outfile",
            str(profile),
            "-m",
            "daemon",
            "--config",
            str(config),
            *args,
        ]
    return run_measured(command, env={"BENCH_IMAP_PASSWORD": PASSWORD}, timeout=timeout)


# --------------------------------------------------------------------------- Dovecot


def dovecot_module() -> Any:
    """tests/servers.py, the test suite's real Dovecot."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return importlib.import_module("servers")


def start_dovecot() -> Any:
    """A running Dovecot on free loopback ports with the zone's mailbox user."""
    servers = dovecot_module()
    if not servers.dovecot_installed():
        raise RuntimeError("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = servers.Dovecot({ZONE: PASSWORD})
    server.start()
    return server


def deliver(server: Any, user: str, messages: Iterable[bytes]) -> int:
    """Deliver messages straight into the user's Maildir, as a delivery agent does.

    Each file is written in tmp/ and renamed into new/; Dovecot indexes them at the
    next SELECT. Much faster than APPEND, and the same mailbox in the end.
    """
    maildir = Path(server.home) / user / "Maildir"
    for folder in (maildir.parent, maildir, maildir / "tmp", maildir / "new", maildir / "cur"):
        folder.mkdir(exist_ok=True)
        os.chown(folder, server.uid, server.gid)
    count = 0
    stamp = int(time.time())
    for raw in messages:
        name = f"{stamp}.M{count}P{os.getpid()}.bench"
        temporary = maildir / "tmp" / name
        temporary.write_bytes(raw.replace(b"\r\n", b"\n"))
        os.chown(temporary, server.uid, server.gid)
        os.rename(temporary, maildir / "new" / name)
        count += 1
    return count


def index_and_warm(server: Any, user: str) -> int:
    """Have Dovecot index the folder and read every message once (so every reader finds the
    files in the page cache); returns how many messages the folder holds."""
    client = server.client(user)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
        for start in range(0, len(uids), 500):
            client.fetch(uids[start : start + 500], ["BODY.PEEK[]"])
        return len(uids)
    finally:
        client.logout()


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class UnitSpec:
    id: str
    name: str
    email: str
    strength: int


def unit_specs(count: int, strength: int = 50, prefix: str = "unit") -> list[UnitSpec]:
    return [
        UnitSpec(
            f"{prefix}-{n:03d}",
            f"Unit {n:03d}",
            f"ccu-{prefix}-{n:03d}@units.example.gov.in",
            strength,
        )
        for n in range(1, count + 1)
    ]


def write_config(
    root: Path,
    server: Any,
    units: Sequence[UnitSpec],
    *,
    idle: bool = False,
    poll_interval: int = 600,
    campaigns: int = 1,
) -> Path:
    """A zone reading the Dovecot mailbox over loopback IMAP and writing mail to a folder."""
    lines = [
        "zone: {name: Bench Zone, timezone: Asia/Kolkata, admins: [" + ZONE + "]}",
        "mailbox:",
        "  backend: imap",
        "  host: 127.0.0.1",
        f"  port: {server.imap_port}",
        "  security: none",
        f"  username: {ZONE}",
        "  password: ${BENCH_IMAP_PASSWORD}",
        "  timeout: 30",
        f"  idle: {'true' if idle else 'false'}",
        "  first_run: all",
        "outgoing:",
        "  backend: directory",
        f"  path: {root}/outbox",
        f"  from: Compliance Cell <{ZONE}>",
        f"storage: {{database: {root}/var/anupalan.db, archive: {root}/var/archive}}",
        f"service: {{poll_interval: {poll_interval}}}",
        "units:",
    ]
    lines += [
        f"  - {{id: {u.id}, name: {u.name}, emails: [{u.email}], strength: {u.strength}}}"
        for u in units
    ]
    lines.append("campaigns:")
    for n in range(campaigns):
        suffix = "" if n == 0 else f"-{n}"
        keywords = "[emerging technologies, level-1]" if n == 0 else f"[bench drive {n}]"
        lines += [
            f"  - id: emerging-tech-l1{suffix}",
            f"    title: Level-1 Online Course on Emerging Technologies{suffix}",
            "    format: unit-completion-report",
            f"    keywords: {keywords}",
            "    start: 2023-03-01",
            "    unit_deadline: 2023-04-30",
            "    upstream:",
            "      to: [nacin-igot@example.nic.in]",
            "      format: zonal-completion-report",
            "      send_at: 2023-05-04 11:00",
        ]
    root.mkdir(parents=True, exist_ok=True)
    path = root / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
