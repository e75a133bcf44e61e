"""The `anupalan` command: parse arguments, load the configuration, call one function."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog

from daemon import __version__
from daemon.errors import AnupalanError, ConfigError, UsageError

if TYPE_CHECKING:
    from daemon.bootstrap import App

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

log = structlog.get_logger("anupalan")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="anupalan", description="Runs compliance-return drives over email.")
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("config.yaml"),
        help="the configuration file (default: ./config.yaml)",
    )
    parser.add_argument(
        "--log-format",
        choices=["auto", "console", "json"],
        default="auto",
        help="console on a terminal, JSON lines otherwise (default: auto)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    parser.add_argument("--version", action="version", version=f"anupalan {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    commands.add_parser("check-config", help="validate the configuration file")
    commands.add_parser("run", help="run the service until stopped")

    once = commands.add_parser("once", help="one full cycle: poll, ingest, then exit")
    once.add_argument("--now", help="act as if it were this time (ISO-8601; default: now)")

    status = commands.add_parser("status", help="per-unit compliance of a campaign")
    status.add_argument("--campaign", help="campaign id (default: the first in the config)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--now", help="the time to report as of (default: now)")

    inspect = commands.add_parser("inspect", help="read one spreadsheet as a unit's report")
    inspect.add_argument("file", type=Path)
    inspect.add_argument(
        "--format",
        default="unit-completion-report",
        help="report format name (default: unit-completion-report)",
    )
    inspect.add_argument("--json", action="store_true", help="machine-readable output")

    report = commands.add_parser("report", help="the consolidated report")
    report_commands = report.add_subparsers(
        dest="report_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    build = report_commands.add_parser("build", help="write the consolidated workbook now")
    build.add_argument("--campaign", help="campaign id (default: the first in the config)")
    build.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")

    assign = commands.add_parser("assign", help="count a held message as a unit's report")
    assign.add_argument("message_id", metavar="MESSAGE-ID")
    assign.add_argument("unit_id", metavar="UNIT-ID")

    demo = commands.add_parser("demo", help="run a self-contained demonstration (no network)")
    demo.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=Path("anupalan-demo"),
        help="where to create it (default: ./anupalan-demo)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from daemon.logging_setup import configure_logging

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"anupalan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(args.log_format, logging.WARNING if args.quiet else logging.INFO)
    try:
        return _dispatch(args)
    except (ConfigError, UsageError) as exc:
        print(f"anupalan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AnupalanError as exc:
        print(f"anupalan: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE


def _dispatch(args: argparse.Namespace) -> int:
    command: str = args.command
    if command == "inspect":
        return _inspect(args)
    if command == "demo":
        from daemon.demo import run_demo

        run_demo(args.dir, sys.stdout)
        return EXIT_OK

    from daemon.config import load_config

    config = load_config(args.config)
    if command == "check-config":
        print(f"{args.config}: OK ({len(config.units)} units, {len(config.campaigns)} campaign(s))")
        return EXIT_OK

    from daemon.bootstrap import build_app

    tz = config.zone.tzinfo
    app = build_app(config)
    try:
        if command == "once":
            from daemon.services.cycle import run_once

            results = run_once(app, _now(args.now, tz))
            counts: dict[str, int] = {}
            for r in results:
                counts[r.outcome] = counts.get(r.outcome, 0) + 1
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            print(f"ingested {len(results)} message(s)" + (f": {summary}" if summary else ""))
            return EXIT_OK
        if command == "run":
            return _run(app, tz)
        if command == "status":
            from daemon.services.status import campaign_status, status_json, status_table

            status = campaign_status(
                config, app.store, config.campaign(args.campaign), _now(args.now, tz)
            )
            if args.json:
                print(json.dumps(status_json(status, tz), indent=2, ensure_ascii=False))
            else:
                print(status_table(status, tz))
            return EXIT_OK
        if command == "report":
            from daemon.services.report import build_report

            campaign = config.campaign(args.campaign)
            built = build_report(config, app.store, campaign, args.out)
            print(
                f"wrote {args.out}: {len(built.rows)} officer(s) from "
                f"{sum(u.reported for u in built.summary)} unit(s), "
                f"{len(built.exceptions)} exception(s)"
            )
            return EXIT_OK
        if command == "assign":
            from daemon.services.review import assign

            result = assign(app, args.message_id, args.unit_id)
            print(
                f"{args.message_id}: now counted for {result.unit_id} ({result.outcome}"
                + (f": {result.reason}" if result.reason else "")
                + ")"
            )
            return EXIT_OK
        raise UsageError(f"unknown command {command}")
    finally:
        app.close()


def _inspect(args: argparse.Namespace) -> int:
    from daemon.adapters.spreadsheet_xlsx import parse_report
    from daemon.formats import builtin_formats
    from daemon.inspection import report_to_json, report_to_text

    formats = builtin_formats()
    if args.format not in formats:
        raise UsageError(f"unknown format {args.format!r}; known: {', '.join(sorted(formats))}")
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    report = parse_report(data, args.file.name, formats[args.format])
    if args.json:
        print(json.dumps(report_to_json(report), indent=2, ensure_ascii=False, default=str))
    else:
        print(report_to_text(report))
    return EXIT_OK


def _now(text: str | None, tz: ZoneInfo) -> datetime:
    """`--now` as an aware time: ISO-8601, a time without offset meaning the zone's time."""
    if text is None:
        return datetime.now(tz)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"--now {text!r} is not an ISO-8601 time such as 2023-04-24T10:00"
        ) from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _run(app: App, tz: ZoneInfo) -> int:
    from daemon.services.cycle import run_once

    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    interval = app.config.service.poll_interval
    log.info("service_started", poll_interval=interval)
    while not stop.is_set():
        try:
            run_once(app, datetime.now(tz))
        except AnupalanError as exc:
            # The service keeps running: the mailbox or disk may recover by the next poll.
            log.error("cycle_failed", error=str(exc))
        stop.wait(interval)
    log.info("service_stopped")
    return EXIT_OK
