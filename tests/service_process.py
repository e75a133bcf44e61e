"""The `anupalan` command in a process of its own, for tests that need one.

`anupalan(...)` runs a command to its end; `Service` runs `anupalan run` and
reads its JSON log as it is written, so a test can wait for an event while
the service goes on.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

WAIT = 30.0  # the longest a test waits for one event


def command(*args: str | Path) -> list[str]:
    found = shutil.which("anupalan")
    prefix = [found] if found else [sys.executable, "-m", "daemon"]
    return [*prefix, "--log-format", "json", *map(str, args)]


def anupalan(
    *args: str | Path,
    env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one command to its end, with `env` added to the environment."""
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        preexec_fn=preexec_fn,
    )


class Service:
    """`anupalan run`, its standard error kept line by line (`lines`) and parsed (`events`)."""

    def __init__(self, config: Path, env: Mapping[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            command("--config", config, "run"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.stdout = ""
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "(not a JSON line)", "text": line}
            self._queue.put(event if isinstance(event, dict) else {"event": repr(event)})
        self._queue.put(None)

    def wait_for(
        self, event: str, where: Callable[[dict[str, Any]], bool] = lambda e: True
    ) -> dict[str, Any]:
        """The next log event of this name for which `where` holds."""
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"the service ended while waiting for {event}: {self.events}")
            self.events.append(line)
            if line.get("event") == event and where(line):
                return line
        pytest.fail(f"no {event} within {WAIT:g} s: {self.events}")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """SIGTERM, then wait for the process and the rest of its output."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            assert self.process.stdout is not None
            self.stdout = self.process.stdout.read()  # the service writes next to nothing there
            self.process.stdout.close()
            self._reader.join(WAIT)
        return self.process.returncode


@contextmanager
def service(config: Path, env: Mapping[str, str] | None = None) -> Iterator[Service]:
    """The service running for the block, stopped with SIGTERM after it; it must exit 0."""
    running = Service(config, env)
    try:
        yield running
    finally:
        returncode = running.stop()
    assert returncode == 0, running.lines[-5:]
