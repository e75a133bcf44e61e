"""The optional HTTP listener: /healthz for probes, /metrics for Prometheus.

Off by default and on loopback by default. The figures are read from the
database at each scrape, so they survive restarts and agree with `status`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class ServiceFigures:
    """What the service has done so far, as the database records it."""

    messages: dict[str, int]  # by outcome
    submissions: dict[str, int]  # by campaign
    problems: int
    mails: dict[tuple[str, str], int]  # by (kind, state)
    seconds_since_last_poll: float | None


Figures = Callable[[], ServiceFigures]
Health = Callable[[], tuple[bool, list[str]]]


class _StoreCollector:
    """Turns the figures the service keeps into Prometheus metrics."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        f = self.figures()
        messages = CounterMetricFamily(
            "anupalan_messages_ingested", "Messages ingested, by outcome", labels=["outcome"]
        )
        for outcome, count in f.messages.items():
            messages.add_metric([outcome], count)
        yield messages
        submissions = CounterMetricFamily(
            "anupalan_submissions", "Unit reports stored, by campaign", labels=["campaign"]
        )
        for campaign, count in f.submissions.items():
            submissions.add_metric([campaign], count)
        yield submissions
        yield CounterMetricFamily(
            "anupalan_row_problems", "Row problems found in reports", value=f.problems
        )
        mails = CounterMetricFamily(
            "anupalan_mails", "Mails in the outbox, by kind and state", labels=["kind", "state"]
        )
        for (kind, state), count in f.mails.items():
            mails.add_metric([kind, state], count)
        yield mails
        if f.seconds_since_last_poll is not None:
            yield GaugeMetricFamily(
                "anupalan_seconds_since_last_poll",
                "Seconds since the mailbox was last read",
                value=f.seconds_since_last_poll,
            )


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Probes every few seconds are not worth a log line each."""


def serve(
    address: str, port: int, health: Health, figures: Figures
) -> tuple[WSGIServer, threading.Thread]:
    """Start the listener in a thread; returns the server (call shutdown()) and the thread."""
    registry = CollectorRegistry()
    registry.register(_StoreCollector(figures))

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            ok, reasons = health()
            body = json.dumps({"healthy": ok, "reasons": reasons}).encode()
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json")],
            )
            return [body]
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(registry)]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /healthz or /metrics\n"]

    server = make_server(address, port, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="http-status", daemon=True)
    thread.start()
    return server, thread
