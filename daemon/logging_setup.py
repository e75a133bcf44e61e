"""Structured logging: readable on a terminal, JSON lines everywhere else.

Secrets are kept out of messages where they are made; as a second line of
defence, every value registered with `register_secrets` (the configuration's
passwords, OAuth2 tokens as they are fetched) is replaced by `***` in every
string of every event, tracebacks included, before it is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal

import structlog

LogFormat = Literal["auto", "console", "json"]

MASK = "***"
# Shorter values would mask ordinary words all over the log, and guard nothing.
MIN_SECRET_LENGTH = 4

_secrets: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Have these values shown as `***` wherever they appear in a later event."""
    _secrets.update(v for v in values if len(v) >= MIN_SECRET_LENGTH)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    for secret in sorted(_secrets, key=len, reverse=True):  # longest first: no half-masked value
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(item) for item in value]
    shown = repr(value)  # what a renderer would write for any other object
    masked = redact(shown)
    return value if masked == shown else masked


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: registered secrets become `***` in every string of the event."""
    if not _secrets:
        return event_dict
    return {key: _redacted(value) for key, value in event_dict.items()}


def configure_logging(fmt: LogFormat = "auto", level: int = logging.INFO) -> None:
    """Send structlog events to standard error, one line each."""
    use_console = sys.stderr.isatty() if fmt == "auto" else fmt == "console"
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if use_console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,  # after the traceback is text, before anything is written
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
