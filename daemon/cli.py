"""The `anupalan` command: parse arguments, load the configuration, call one function."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog

from daemon import __version__
from daemon.errors import AnupalanError, ConfigError, UsageError

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from daemon.bootstrap import App
    from daemon.config import Config

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
MAIL_KINDS = ("ack", "rejection", "reminder", "escalation", "upstream", "digest")

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

    commands.add_parser(
        "check-config", help="validate the configuration file and render every template"
    )
    commands.add_parser("run", help="run the service until stopped (SIGTERM or Ctrl-C)")

    once = commands.add_parser("once", help="one full cycle: poll, ingest, send what is due, exit")
    once.add_argument("--now", help="act as if it were this time (ISO-8601; default: now)")
    once.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and record nothing"
    )

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
    actions = report.add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=_Parser
    )
    build = actions.add_parser("build", help="write the consolidated workbook now")
    build.add_argument("--campaign", help="campaign id (default: the first in the config)")
    build.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    send = actions.add_parser("send", help="queue the upstream mail now and send it")
    send.add_argument("--campaign", help="campaign id (default: the first in the config)")
    send.add_argument("--now", help="act as if it were this time (ISO-8601; default: now)")
    send.add_argument(
        "--force", action="store_true", help="send a new copy even if it was sent before"
    )

    preview = commands.add_parser(
        "preview", help="show one mail as it would be sent, with real data"
    )
    preview.add_argument("kind", choices=MAIL_KINDS)
    preview.add_argument(
        "--unit", help="the unit it is written to (for ack, rejection, reminder, escalation)"
    )
    preview.add_argument("--campaign", help="campaign id (default: the first in the config)")
    preview.add_argument(
        "--html", action="store_true", help="print the HTML part instead of the text"
    )
    preview.add_argument("--now", help="as of this time (default: now)")

    health = commands.add_parser(
        "health", help="exit 0 if the service is doing its job, else 1 with the reasons"
    )
    health.add_argument("--json", action="store_true", help="machine-readable output")

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
    from daemon.logging_setup import configure_logging, redact

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"anupalan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(args.log_format, logging.WARNING if args.quiet else logging.INFO)
    try:
        return _dispatch(args)
    except (ConfigError, UsageError) as exc:
        print(f"anupalan: {redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except AnupalanError as exc:
        print(f"anupalan: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "inspect":
        return _inspect(args)
    if args.command == "demo":
        from daemon.demo import run_demo

        run_demo(args.dir, sys.stdout)
        return EXIT_OK

    from daemon.config import load_config
    from daemon.logging_setup import register_secrets

    config = load_config(args.config)
    register_secrets(config.secret_values())
    if args.command == "check-config":
        return _check_config(args, config)

    from daemon.bootstrap import build_app

    handlers: dict[str, Callable[[App, argparse.Namespace], int]] = {
        "once": _once,
        "run": _run,
        "status": _status,
        "report": _report,
        "preview": _preview,
        "assign": _assign,
        "health": _health,
    }
    app = build_app(config)
    try:
        return handlers[args.command](app, args)
    finally:
        app.close()


def _check_config(args: argparse.Namespace, config: Config) -> int:
    from daemon.services.template_check import check_templates

    problems = check_templates(config)
    if problems:
        print(f"anupalan: {args.config}: mail templates do not render:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"{args.config}: OK ({len(config.units)} units, "
        f"{len(config.campaigns)} campaign(s), templates render)"
    )
    return EXIT_OK


def _once(app: App, args: argparse.Namespace) -> int:
    from daemon.logging_setup import redact

    now = _now(args.now, app.config.zone.tzinfo)
    if args.dry_run:
        from daemon.services.notify import drafts_due

        drafts = drafts_due(app, now).drafts
        print(f"At {now.isoformat(timespec='minutes')}, {len(drafts)} mail(s) would be sent:")
        for d in drafts:
            print(f"  {d.mail.kind:<10} to {', '.join(d.mail.recipients)}")
            print(f"             {d.mail.subject}")
        return EXIT_OK

    from daemon.services.cycle import run_once

    with app.lock():
        report = run_once(app, now)
    counts: dict[str, int] = {}
    for r in report.ingested:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    print(f"ingested {len(report.ingested)} message(s)" + (f": {summary}" if summary else ""))
    sent = [d for d in report.delivered if d.outcome == "sent"]
    print(f"queued {len(report.queued)} mail(s), sent {len(sent)}")
    for delivery in report.delivered:
        if delivery.outcome != "sent":
            error = redact(delivery.error or "")
            print(f"  {delivery.kind} {delivery.key}: {delivery.outcome}: {error}")
    if report.poll_error:
        error = redact(report.poll_error)
        print(f"anupalan: the mailbox could not be read: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _run(app: App, args: argparse.Namespace) -> int:
    from daemon.services.service import run_forever

    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with app.lock():
        listener = _start_http(app)
        try:
            run_forever(app, stop)
        finally:
            if listener is not None:
                listener.shutdown()
    return EXIT_OK


def _start_http(app: App) -> WSGIServer | None:
    """The /healthz and /metrics listener, when the configuration asks for it."""
    http = app.config.service.http
    if not http.enabled:
        return None
    from daemon.adapters.http_status import serve
    from daemon.services.health_check import check_health, service_figures

    tz = app.config.zone.tzinfo

    def health() -> tuple[bool, list[str]]:
        # The mailbox connection belongs to the cycle; the probe judges from the database.
        report = check_health(app, datetime.now(tz), look_in_mailbox=False)
        return report.healthy, report.reasons

    server, _ = serve(
        http.address, http.port, health, lambda: service_figures(app, datetime.now(tz))
    )
    log.info("http_listening", address=http.address, port=http.port)
    return server


def _health(app: App, args: argparse.Namespace) -> int:
    from daemon.services.health_check import check_health

    report = check_health(app, datetime.now(app.config.zone.tzinfo))
    if args.json:
        document = {"healthy": report.healthy, "reasons": report.reasons, **report.facts}
        print(json.dumps(document, indent=2, ensure_ascii=False, default=str))
    elif report.healthy:
        print("healthy")
    else:
        print("unhealthy:")
        for reason in report.reasons:
            print(f"  - {reason}")
    return EXIT_OK if report.healthy else EXIT_FAILURE


def _status(app: App, args: argparse.Namespace) -> int:
    from daemon.services.status import campaign_status, status_json, status_table

    tz = app.config.zone.tzinfo
    status = campaign_status(
        app.config, app.store, app.config.campaign(args.campaign), _now(args.now, tz)
    )
    if args.json:
        print(json.dumps(status_json(status, tz), indent=2, ensure_ascii=False))
    else:
        print(status_table(status, tz))
    return EXIT_OK


def _report(app: App, args: argparse.Namespace) -> int:
    campaign = app.config.campaign(args.campaign)
    if args.action == "build":
        from daemon.services.report import build_report

        built = build_report(app.config, app.store, campaign, args.out)
        reported = sum(u.reported for u in built.summary)
        print(
            f"wrote {args.out}: {len(built.rows)} officer(s) from {reported} unit(s), "
            f"{len(built.exceptions)} exception(s)"
        )
        return EXIT_OK

    from daemon.errors import AlreadyRunning
    from daemon.services.notify import queue_upstream
    from daemon.services.outbox import deliver_due

    now = _now(args.now, app.config.zone.tzinfo)
    draft = queue_upstream(app, campaign, now, force=args.force)
    if draft is None:
        print("the upstream report was already queued or sent; use --force to send a new copy")
        return EXIT_OK
    print(f"queued: {draft.mail.subject} (to {', '.join(draft.mail.recipients)})")
    try:
        with app.lock():
            results = [
                d for d in deliver_due(app.store, app.sender, now) if d.key == draft.mail.key
            ]
    except AlreadyRunning:
        print("the running service will send it at its next cycle")
        return EXIT_OK
    for d in results:
        print(f"{d.outcome}" + (f": {d.error}" if d.error else ""))
    return EXIT_OK


def _preview(app: App, args: argparse.Namespace) -> int:
    from daemon.services.notify import preview

    now = _now(args.now, app.config.zone.tzinfo)
    draft = preview(app, app.config.campaign(args.campaign), args.kind, args.unit, now)
    print(f"To: {', '.join(r for r in draft.mail.recipients if r not in draft.cc)}")
    if draft.cc:
        print(f"Cc: {', '.join(draft.cc)}")
    print(f"Subject: {draft.mail.subject}\n")
    print(draft.html if args.html else draft.text)
    return EXIT_OK


def _assign(app: App, args: argparse.Namespace) -> int:
    from daemon.services.review import assign

    result = assign(app, args.message_id, args.unit_id)
    detail = f": {result.reason}" if result.reason else ""
    print(f"{args.message_id}: now counted for {result.unit_id} ({result.outcome}{detail})")
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    from daemon.adapters.spreadsheets import parse_attachment
    from daemon.formats import builtin_formats
    from daemon.inspection import reports_to_json, reports_to_text

    formats = builtin_formats()
    if args.format not in formats:
        raise UsageError(f"unknown format {args.format!r}; known: {', '.join(sorted(formats))}")
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    reports = parse_attachment(data, args.file.name, formats[args.format])
    if args.json:
        document = reports_to_json(args.file.name, reports)
        print(json.dumps(document, indent=2, ensure_ascii=False, default=str))
    else:
        print(reports_to_text(reports))
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
