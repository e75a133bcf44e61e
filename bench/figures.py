"""The five figures. Each returns the lines it prints; sizes come from `Sizes`."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import workload
from bench.harness import (
    PASSWORD,
    ZONE,
    Figure,
    anupalan,
    deliver,
    index_and_warm,
    median,
    quiet_logs,
    say,
    start_dovecot,
    unit_specs,
    worker,
    write_config,
)


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark is."""

    ingest_messages: int = 2000
    ingest_rows: int = 50
    ingest_units: int = 100
    poll_mailbox: int = 20_000
    poll_units: int = 40
    poll_cycles: int = 20
    large_rows: int = 100_000
    latency_replies: int = 10
    zones: int = 40
    units_per_zone: int = 15
    campaigns: int = 5
    officers_per_unit: int = 30
    ticks: int = 5


SMOKE = Sizes(
    ingest_messages=6,
    ingest_rows=5,
    ingest_units=3,
    poll_mailbox=30,
    poll_units=3,
    poll_cycles=3,
    large_rows=300,
    latency_replies=2,
    zones=2,
    units_per_zone=3,
    campaigns=2,
    officers_per_unit=5,
    ticks=2,
)


@dataclass
class Context:
    sizes: Sizes
    work: Path
    profile: Path | None

    def folder(self, name: str) -> Path:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def profile_file(self, name: str) -> Path | None:
        if self.profile is None:
            return None
        self.profile.mkdir(parents=True, exist_ok=True)
        return self.profile / f"{name}.txt"

    def profile_call(self, name: str, call: Callable[[], object], interval: float) -> None:
        """Run `call` once more under pyinstrument in this process, if profiles were asked for."""
        path = self.profile_file(name)
        if path is None:
            return
        from pyinstrument import Profiler

        profiler = Profiler(interval=interval)
        with profiler:
            call()
        path.write_text(profiler.output_text(show_all=False), encoding="utf-8")


# --------------------------------------------------------------------------- 1. ingest


def ingest(ctx: Context) -> list[Figure]:
    sizes = ctx.sizes
    units = unit_specs(sizes.ingest_units, strength=sizes.ingest_rows)
    reports = [workload.unit_report(sizes.ingest_rows, 40101 + 1000 * n) for n in range(len(units))]
    server = start_dovecot()
    try:
        count = deliver(
            server,
            ZONE,
            (
                workload.reply(units[n % len(units)], reports[n % len(units)], n)
                for n in range(sizes.ingest_messages)
            ),
        )
        assert index_and_warm(server, ZONE) == count
        say(f"ingest: {count} replies of {sizes.ingest_rows} rows in the mailbox")

        floor = worker("ingest-floor", server.host, server.imap_port, ZONE, PASSWORD, 50)
        assert floor.result()["messages"] == count
        root = ctx.folder("ingest")
        config = write_config(root, server, units)
        run = anupalan(config, "--quiet", "once", "--now", workload.now_in_campaign())
        stored = _table_counts(root)
        if stored["messages"] != count or stored["officer_rows"] != count * sizes.ingest_rows:
            raise RuntimeError(f"anupalan did not ingest every reply: {stored}")
        acks = len(list((root / "outbox").glob("ack-*.eml")))
        say(
            f"ingest: floor {floor.seconds:.2f} s, anupalan once {run.seconds:.2f} s"
            f" ({stored['messages']} messages, {stored['officer_rows']} rows, {acks} acks sent)"
        )
        profile = ctx.profile_file("ingest")
        if profile is not None:
            again = ctx.folder("ingest-profiled")
            anupalan(
                write_config(again, server, units),
                "--quiet",
                "once",
                "--now",
                workload.now_in_campaign(),
                profile=profile,
            )
    finally:
        server.close()
    ours, theirs = count / run.seconds, count / floor.seconds
    return [
        Figure(
            "ingest_throughput",
            f"{count} replies with a {sizes.ingest_rows}-row .xlsx, `anupalan once`",
            "msg/s",
            ours,
            theirs,
            "ratio >= 0.70",
            ours / theirs >= 0.70,
            higher_is_better=True,
        )
    ]


def _table_counts(root: Path) -> dict[str, int]:
    from daemon.adapters.store_sql import SqlStore

    store = SqlStore.open_sqlite(root / "var" / "anupalan.db")
    try:
        return store.table_counts()
    finally:
        store.close()


# --------------------------------------------------------------------------- 2. steady poll


class _Counting:
    """Wraps an IMAPClient and records the name of every IMAP command it is asked to send."""

    def __init__(self, client: Any, log: list[str]) -> None:
        self._client, self._log = client, log

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if callable(attribute) and not name.startswith("_") and name not in _NOT_COMMANDS:
            self._log.append(name)
        return attribute

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.__exit__(*exc)


# Methods that answer from what the client already knows, without a word to the server.
_NOT_COMMANDS = frozenset({"has_capability", "shutdown"})


def poll(ctx: Context) -> list[Figure | str]:
    from imapclient import IMAPClient

    from daemon.bootstrap import build_app
    from daemon.config import load_config
    from daemon.services.cycle import run_once
    from daemon.services.ingest import ingest_new

    sizes = ctx.sizes
    units = unit_specs(sizes.poll_units, strength=3)
    attachment = workload.csv_report(3)
    server = start_dovecot()
    try:
        count = deliver(
            server,
            ZONE,
            (
                workload.reply(units[n % len(units)], attachment, n, name="report.csv")
                for n in range(sizes.poll_mailbox)
            ),
        )
        assert index_and_warm(server, ZONE) == count
        root = ctx.folder("poll")
        config_path = write_config(root, server, units)
        say(f"poll: ingesting the {count}-message mailbox once with `anupalan once`")
        first = anupalan(config_path, "--quiet", "once", "--now", workload.now_in_campaign())
        stored = _table_counts(root)
        if stored["mailbox_items"] != count:
            raise RuntimeError(f"the mailbox was not ingested whole: {stored}")
        say(f"poll: ingested in {first.seconds:.1f} s: {stored}")

        # The floor: a bare round trip with a connection of its own (connect, log in,
        # NOOP, log out), and a NOOP alone on an open connection.
        sessions, noops = [], []
        for _ in range(sizes.poll_cycles):
            started = time.perf_counter()
            client = IMAPClient(server.host, server.imap_port, ssl=False, timeout=30)
            client.login(ZONE, PASSWORD)
            noop_started = time.perf_counter()
            client.noop()
            noops.append(time.perf_counter() - noop_started)
            client.logout()
            sessions.append(time.perf_counter() - started)

        import os

        quiet_logs()
        os.environ["BENCH_IMAP_PASSWORD"] = PASSWORD
        config = load_config(config_path)
        app = build_app(config)
        commands: list[str] = []
        connection = app.source._connection  # type: ignore[attr-defined]
        real_connect = connection._connect
        connection._connect = lambda: _Counting(real_connect(), commands)
        now = datetime.fromisoformat(workload.now_in_campaign())
        polls, cycles, per_poll = [], [], []
        try:
            for _ in range(sizes.poll_cycles):
                commands.clear()
                started = time.perf_counter()
                try:
                    found = ingest_new(app.config, app.source, app.store, app.archive, now)
                finally:
                    app.source.close()
                polls.append(time.perf_counter() - started)
                per_poll.append(tuple(commands))
                if found:
                    raise RuntimeError(f"a steady-state poll ingested {len(found)} message(s)")
            for _ in range(sizes.poll_cycles):
                started = time.perf_counter()
                report = run_once(app, now)
                cycles.append(time.perf_counter() - started)
                if report.ingested or report.queued or report.delivered:
                    raise RuntimeError("a steady-state cycle did something")
            ctx.profile_call("poll-cycle", lambda: run_once(app, now), interval=0.0002)
        finally:
            app.close()
    finally:
        server.close()
    constant = len(set(per_poll)) == 1
    listed = " ".join(c.upper() for c in per_poll[-1])
    floor = median(sessions)
    lines: list[Figure | str] = [
        f"  IMAP commands per steady-state poll ({'the same' if constant else 'VARYING'}"
        f" in all {len(per_poll)} polls): {len(per_poll[-1])}: {listed}",
        f"  bare NOOP on an open connection: {median(noops) * 1000:.2f} ms",
    ]
    poll_ms, cycle_ms = median(polls) * 1000, median(cycles) * 1000
    lines.append(
        Figure(
            "steady_poll",
            f"poll of a {count}-message mailbox already ingested (ingest_new)",
            "ms",
            poll_ms,
            floor * 1000,
            "ratio <= 5 and constant commands",
            poll_ms <= 5 * floor * 1000 and constant,
        )
    )
    lines.append(
        Figure(
            "steady_cycle",
            f"whole cycle (run_once: poll, reconcile, deliver) over {count} stored messages",
            "ms",
            cycle_ms,
            floor * 1000,
            "ratio <= 5",
            cycle_ms <= 5 * floor * 1000,
        )
    )
    return lines


# --------------------------------------------------------------------------- 3. large report


def large(ctx: Context) -> list[Figure | str]:
    rows = ctx.sizes.large_rows
    folder = ctx.folder("large")
    path = folder / "large-report.xlsx"
    path.write_bytes(workload.unit_report(rows))
    say(f"large: a {rows}-row workbook of {path.stat().st_size / 1e6:.1f} MB")
    raw = worker("parse-raw", path)
    near = worker("parse-calamine", path)
    ours = worker("parse-anupalan", path)
    raw_result, near_result, our_result = raw.result(), near.result(), ours.result()
    if our_result["rows"] != rows:
        raise RuntimeError(f"anupalan read {our_result['rows']} officer rows of {rows}")
    near_rate = near_result["rows"] / near_result["seconds"]
    our_rate = our_result["rows"] / our_result["seconds"]
    say(
        f"large: openpyxl read-only {raw_result['seconds']:.2f} s,"
        f" {raw_result['peak_rss_mb']:.0f} MB; python-calamine {near_result['seconds']:.2f} s,"
        f" {near_result['peak_rss_mb']:.0f} MB; anupalan {our_result['seconds']:.2f} s,"
        f" {our_result['peak_rss_mb']:.0f} MB"
    )
    side_by_side = (
        f"{rows}-row workbook, seconds and peak RSS: openpyxl read-only iteration"
        f" {raw_result['seconds']:.2f} s, {raw_result['peak_rss_mb']:.0f} MB;"
        f" python-calamine {near_result['seconds']:.2f} s, {near_result['peak_rss_mb']:.0f} MB;"
        f" anupalan (read and mapped) {our_result['seconds']:.2f} s,"
        f" {our_result['peak_rss_mb']:.0f} MB"
    )
    write_floor = worker("write-raw", rows)
    write_ours = worker("write-anupalan", rows)
    floor_s, ours_s = write_floor.result()["seconds"], write_ours.result()["seconds"]
    say(f"large: write-only raw {floor_s:.2f} s, anupalan's workbook {ours_s:.2f} s")
    return [
        side_by_side,
        Figure(
            "large_parse",
            f"{rows}-row workbook read and mapped (parse_attachment);"
            " floor: python-calamine's own read",
            "rows/s",
            our_rate,
            near_rate,
            "ratio >= 0.33 (within 3x calamine)",
            our_rate / near_rate >= 1 / 3,
            higher_is_better=True,
        ),
        Figure(
            "large_parse_memory",
            f"peak RSS of the process reading the {rows}-row workbook;"
            " floor: python-calamine's own read",
            "MB",
            our_result["peak_rss_mb"],
            near_result["peak_rss_mb"],
            "anupalan < 150 MB",
            our_result["peak_rss_mb"] < 150,
        ),
        Figure(
            "large_write",
            f"consolidated workbook for {rows} officers",
            "s",
            ours_s,
            floor_s,
            "ratio <= 1.30",
            ours_s <= 1.3 * floor_s,
        ),
    ]


# --------------------------------------------------------------------------- 4. ack latency


def latency(ctx: Context) -> list[Figure | str]:
    import os
    import signal
    import subprocess
    import sys

    from imapclient import IMAPClient

    sizes = ctx.sizes
    units = unit_specs(3, strength=5)
    report = workload.unit_report(5)
    server = start_dovecot()
    process = None
    try:
        server.append(ZONE, "INBOX", b"Subject: hello\r\n\r\nnot a report\r\n")
        # The floor: how long the server takes to tell an idling client of new mail.
        floors = []
        watcher = IMAPClient(server.host, server.imap_port, ssl=False, timeout=30)
        watcher.login(ZONE, PASSWORD)
        watcher.select_folder("INBOX", readonly=True)
        for n in range(sizes.latency_replies):
            watcher.idle()
            started = time.perf_counter()
            server.append(ZONE, "INBOX", workload.reply(units[0], report, 10_000 + n))
            while not any(r[1:2] == (b"EXISTS",) for r in watcher.idle_check(timeout=10)):
                if time.perf_counter() - started > 30:
                    raise RuntimeError("the server never told of the new mail")
            floors.append(time.perf_counter() - started)
            watcher.idle_done()
        watcher.logout()

        root = ctx.folder("latency")
        config = write_config(root, server, units, idle=True, poll_interval=3600)
        outbox = root / "outbox"
        log = (root / "service.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "daemon", "--config", str(config), "run"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "BENCH_IMAP_PASSWORD": PASSWORD},
            start_new_session=True,
        )
        # Wait for the first cycle (it answers what is already there) and for IDLE to start.
        _wait_for(lambda: b"service_started" in (root / "service.log").read_bytes(), 60)
        _wait_for(lambda: len(_acks(outbox)) >= sizes.latency_replies, 120)
        time.sleep(2)
        waits = []
        for n in range(sizes.latency_replies):
            before = len(_acks(outbox))
            started = time.perf_counter()
            server.append(ZONE, "INBOX", workload.reply(units[n % 3], report, 20_000 + n))
            _wait_for(lambda before=before: len(_acks(outbox)) > before, 60)  # type: ignore[misc]
            waits.append(time.perf_counter() - started)
            time.sleep(0.5)
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        server.close()
    ours, floor = statistics.median(waits), statistics.median(floors)
    return [
        "  acknowledgement waits (s): " + " ".join(f"{w:.2f}" for w in waits),
        Figure(
            "ack_latency",
            f"median over {len(waits)} replies from APPEND to the ack in the outbox"
            " (`anupalan run`, IDLE)",
            "s",
            ours,
            floor,
            "median < 2 s",
            ours < 2.0,
        ),
    ]


def _acks(outbox: Path) -> list[Path]:
    return list(outbox.glob("ack-*.eml")) if outbox.exists() else []


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"gave up waiting after {timeout:g} s")
        time.sleep(0.01)


# --------------------------------------------------------------------------- 5. reconciler


def rollup(ctx: Context) -> list[Figure | str]:
    from bench.rollup import build_rollup, floor_read, tick

    sizes = ctx.sizes
    root = ctx.folder("rollup")
    quiet_logs()
    app, stats = build_rollup(root, sizes)
    try:
        now = datetime.fromisoformat("2023-05-02T10:00:00+05:30")
        tick(app, now)  # the first tick after the state was built may still queue mail
        ticks = []
        for _ in range(sizes.ticks):
            started = time.perf_counter()
            queued = tick(app, now)
            ticks.append(time.perf_counter() - started)
            if queued:
                raise RuntimeError(f"a steady-state tick queued {queued} mail(s)")
        floors = [floor_read(root) for _ in range(sizes.ticks)]
        ctx.profile_call("rollup-tick", lambda: tick(app, now), interval=0.0005)
    finally:
        app.close()
    ours, floor = median(ticks) * 1000, median(floors) * 1000
    return [
        f"  state: {stats}",
        Figure(
            "reconcile_tick",
            f"one reconciler tick (queue_due) over {sizes.zones * sizes.units_per_zone} units"
            f" x {sizes.campaigns} campaigns",
            "ms",
            ours,
            floor,
            "tick < 200 ms",
            ours < 200,
        ),
    ]


FIGURES: dict[str, Callable[[Context], list[Any]]] = {
    "ingest": ingest,
    "poll": poll,
    "large": large,
    "latency": latency,
    "rollup": rollup,
}

FIGURE_KEYS = {
    "ingest": ["ingest_throughput"],
    "poll": ["steady_poll", "steady_cycle"],
    "large": ["large_parse", "large_parse_memory", "large_write"],
    "latency": ["ack_latency"],
    "rollup": ["reconcile_tick"],
}
