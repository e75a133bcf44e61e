"""Configuration: the YAML file an office writes, read into frozen, typed objects.

`load_config` reads the file, replaces `${NAME}` in string values with
environment variables and `X_file` keys with the content of the file they
name, validates everything and returns a `Config`. Every problem found is
reported at once in one `ConfigError`; each problem names the key path as it
is written in the YAML (`units[3].strength`) and its line, in words an office
IT person can act on. Secret values (from the environment or from files)
never appear in those messages.
"""

from __future__ import annotations

import difflib
import os
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from daemon.core.models import ReadLimits, ReportFormat
from daemon.errors import ConfigError, ConfigIssue, UsageError
from daemon.formats import FormatDef, builtin_formats

Loc = tuple[str | int, ...]

_MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z0-9-]{2,}$")
_STEP = re.compile(r"^([+-]?)(\d{1,3})d\s+(\d{1,2}):(\d{2})$")
_INCONSISTENT = "config_inconsistent"
DEFAULT_REMINDERS = ("-7d 10:00", "-3d 10:00", "-1d 10:00", "+1d 10:00", "+3d 10:00")

# Backends the product names that this version does not ship yet.


def _email(value: str) -> str:
    address = value.strip().lower()
    if not _EMAIL.match(address):
        raise ValueError(f"'{value}' is not an email address (expected name@office.gov.in)")
    return address


def _sender(value: str) -> str:
    text = value.strip()
    _, address = parseaddr(text)
    if "\n" in text or "\r" in text or not _EMAIL.match(address.lower()):
        raise ValueError(
            f"'{value}' does not contain a valid sender address "
            "(expected name@office.gov.in or Display Name <name@office.gov.in>)"
        )
    return text


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{value}' (use a name from the IANA list, such as Asia/Kolkata)"
        ) from None
    return value


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            "a cron schedule has 5 fields (minute hour day-of-month month day-of-week), "
            f"such as '0 9 * * mon-sat'; got {len(fields)} field(s) in '{value}'"
        )
    return " ".join(fields)


Email = Annotated[str, AfterValidator(_email)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Zone(BaseModel):
    """The office running anupalan: its name, its time zone and its administrators."""

    model_config = _MODEL_CONFIG

    name: Text
    timezone: Annotated[str, AfterValidator(_timezone)] = "Asia/Kolkata"
    admins: tuple[Email, ...] = Field(min_length=1)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The zone's time zone, in which every wall-clock time in the file is read."""
        return zoneinfo.ZoneInfo(self.timezone)


class MaildirMailbox(BaseModel):
    """A local Maildir where unit replies arrive (offline use, tests, the demo)."""

    model_config = _MODEL_CONFIG

    backend: Literal["maildir"]
    path: Path
    name: Text | None = None

    @property
    def identity(self) -> str:
        """A stable name for this mailbox, part of the key that makes ingestion happen once."""
        return self.name if self.name is not None else f"maildir:{self.path}"


Security = Literal["tls", "starttls", "none"]
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class MailServer(BaseModel):
    """How to reach and log in to a mail server (IMAP or SMTP)."""

    model_config = _MODEL_CONFIG

    host: Text
    port: int | None = Field(default=None, ge=1, le=65535)
    # tls: encrypted from the first byte; starttls: upgraded after connecting;
    # none: in the clear, allowed only to this machine (a local relay).
    security: Security = "tls"
    username: Text | None = None
    password: SecretStr | None = None
    # OAuth2 (XOAUTH2): a command that prints a fresh access token, or a file
    # that holds one; either is read again at every login, so it can be refreshed.
    oauth2_token_command: Text | None = None
    oauth2_token_path: Path | None = None
    tls_ca: Path | None = None  # a CA bundle to verify the server with, instead of the system's
    timeout: float = Field(default=60, gt=0, le=600)

    @model_validator(mode="after")
    def _consistent(self) -> MailServer:
        if self.security == "none" and self.host not in _LOOPBACK:
            raise ValueError(
                "security: none sends passwords and mail in the clear; it is allowed only to"
                f" this machine ({', '.join(_LOOPBACK)}); use tls or starttls for {self.host}"
            )
        ways = [
            self.password is not None,
            bool(self.oauth2_token_command),
            self.oauth2_token_path is not None,
        ]
        if sum(ways) > 1:
            raise ValueError(
                "give only one of password, oauth2_token_command and oauth2_token_path"
            )
        if any(ways) and not self.username:
            raise ValueError("a username is needed to log in")
        return self


class ImapMailbox(MailServer):
    """A mailbox on an IMAP server (NIC/Zimbra, Gmail, Microsoft 365, the office's own)."""

    backend: Literal["imap"]
    name: Text | None = None
    folder: Text = "INBOX"
    batch_size: int = Field(default=50, ge=1, le=1000)
    # What to do with a message once it is stored: leave it, flag it, or move it.
    after_ingest: Literal["leave", "flag", "move"] = "leave"
    processed_folder: Text = "anupalan-processed"
    idle: bool = True  # wait for new mail with IMAP IDLE where the server has it
    idle_renew_seconds: int = Field(default=300, ge=30, le=1500)
    # On the first run against a mailbox that already holds mail: read what came
    # since the earliest campaign started, everything, or only what arrives from now.
    first_run: Literal["since_campaign_start", "all", "new_only"] = "since_campaign_start"

    @property
    def identity(self) -> str:
        return (
            self.name
            if self.name is not None
            else f"imap:{self.username}@{self.host}/{self.folder}"
        )

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class ExchangeServer(BaseModel):
    """How to reach an on-premises Exchange Server through EWS."""

    model_config = _MODEL_CONFIG

    # Either the EWS address (https://mail.example.gov.in/EWS/Exchange.asmx) or
    # autodiscover from the mailbox address.
    ews_url: Text | None = None
    autodiscover: bool = False
    primary_smtp_address: Email
    username: Text  # DOMAIN\user, or user@domain
    auth: Literal["ntlm", "basic", "oauth2"] = "ntlm"
    password: SecretStr | None = None
    # OAuth2 (client credentials, as Exchange's hybrid modern authentication uses)
    oauth2_client_id: Text | None = None
    oauth2_tenant_id: Text | None = None
    oauth2_client_secret: SecretStr | None = None
    tls_ca: Path | None = None  # a CA bundle to verify the server with, instead of the system's
    timeout: float = Field(default=60, gt=0, le=600)
    # How long in all to keep retrying a busy server (ErrorServerBusy) before giving up.
    max_retry_wait: int = Field(default=300, ge=0, le=3600)

    @model_validator(mode="after")
    def _consistent(self) -> ExchangeServer:
        if not self.ews_url and not self.autodiscover:
            raise ValueError("give ews_url, or set autodiscover: true")
        if self.auth == "oauth2":
            missing = [
                name
                for name in ("oauth2_client_id", "oauth2_tenant_id", "oauth2_client_secret")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"auth: oauth2 needs {', '.join(missing)}")
        elif self.password is None:
            raise ValueError(f"auth: {self.auth} needs a password (password or password_file)")
        return self


class ExchangeMailbox(ExchangeServer):
    """A mailbox on an on-premises Exchange Server, read through EWS."""

    backend: Literal["exchange"]
    name: Text | None = None
    folder: Text = "Inbox"  # a folder under the mailbox root, such as Inbox or Inbox/Returns
    batch_size: int = Field(default=50, ge=1, le=512)
    after_ingest: Literal["leave", "move"] = "leave"
    processed_folder: Text = "anupalan-processed"

    @property
    def identity(self) -> str:
        return (
            self.name
            if self.name is not None
            else f"exchange:{self.primary_smtp_address}/{self.folder}"
        )


# The mailbox is chosen by `backend`.
Mailbox = Annotated[MaildirMailbox | ImapMailbox | ExchangeMailbox, Field(discriminator="backend")]


class _Sending(BaseModel):
    """Who outgoing mail is from and how it is worded."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, populate_by_name=True
    )

    from_: Annotated[str, AfterValidator(_sender)] = Field(alias="from")
    templates: Path | None = None  # a folder whose templates replace the built-in ones

    @property
    def from_address(self) -> str:
        """The bare address of `from`, lower-cased."""
        return parseaddr(self.from_)[1].lower()


class DirectoryOutgoing(_Sending):
    """Outgoing mail written as .eml files into a folder, for a relay or a person to send."""

    backend: Literal["directory"]
    path: Path


class SmtpOutgoing(_Sending, MailServer):
    """Outgoing mail through an SMTP server."""

    backend: Literal["smtp"]
    security: Security = "starttls"
    # Also keep a copy in the Sent folder of the IMAP mailbox (mailbox.backend: imap).
    save_to_sent: bool = False
    sent_folder: Text = "Sent"

    @property
    def effective_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587, "none": 25}[self.security]


class ExchangeOutgoing(_Sending, ExchangeServer):
    """Outgoing mail sent through EWS, a copy saved in Sent Items."""

    backend: Literal["exchange"]


Outgoing = Annotated[
    DirectoryOutgoing | SmtpOutgoing | ExchangeOutgoing, Field(discriminator="backend")
]


class Storage(BaseModel):
    """Where the state database and the raw-message archive live."""

    model_config = _MODEL_CONFIG

    database: Path
    archive: Path


class Unit(BaseModel):
    """A reporting office: who it is, which addresses speak for it, how many officers it has."""

    model_config = _MODEL_CONFIG

    id: Slug
    name: Text
    emails: tuple[Email, ...]
    escalation_cc: tuple[Email, ...] = ()
    strength: int = Field(ge=1)
    aliases: tuple[Text, ...] = ()


class ReminderStep(BaseModel):
    """One reminder time, in days relative to the unit deadline and a time of day.

    Written in YAML as text: `-7d 10:00` is seven days before the deadline at
    10:00, `+1d 10:00` the day after, `0d 10:00` the deadline day itself.
    """

    model_config = _MODEL_CONFIG

    spec: str
    offset_days: int
    at: time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, cls | dict):
            return value
        shown = f"'{value}'" if isinstance(value, str) else _describe(value)
        text = value.strip() if isinstance(value, str) else ""
        match = _STEP.match(text)
        if match is None:
            raise ValueError(
                "a reminder step is written like '-7d 10:00' (days before (-) or after (+) "
                f"the unit deadline, then the time of day); got {shown}"
            )
        sign, days, hours, minutes = match.groups()
        if int(days) != 0 and not sign:
            raise ValueError(
                f"write '-{days}d' for days before the unit deadline or '+{days}d' "
                f"for days after it; got {shown}"
            )
        if int(hours) > 23 or int(minutes) > 59:
            raise ValueError(f"the time of day must be between 00:00 and 23:59; got {shown}")
        return {
            "spec": text,
            "offset_days": -int(days) if sign == "-" else int(days),
            "at": time(int(hours), int(minutes)),
        }

    @classmethod
    def parse(cls, text: str) -> ReminderStep:
        """Read a step written like `-7d 10:00`; raises pydantic's ValidationError if malformed."""
        return cls.model_validate(text)


def _default_steps() -> tuple[ReminderStep, ...]:
    return tuple(ReminderStep.parse(step) for step in DEFAULT_REMINDERS)


class Reminders(BaseModel):
    """When units that have not reported are reminded, and when reminders escalate."""

    model_config = _MODEL_CONFIG

    at: tuple[ReminderStep, ...] = Field(default_factory=_default_steps)
    escalate_after: int = Field(default=2, ge=1)


class Upstream(BaseModel):
    """The consolidated report: to whom, in which format, when it is sent."""

    model_config = _MODEL_CONFIG

    to: tuple[Email, ...] = Field(min_length=1)
    cc: tuple[Email, ...] = ()
    format: Text
    send_at: NaiveDatetime
    deadline: date | None = None
    resend_corrections: date | None = None
    """Until this day, a unit's correction after the report went up sends a revised
    report that replaces it ("until 2023-05-10" or a date); unset, the digest says
    the upstream copy is stale and nothing more is sent."""

    @field_validator("resend_corrections", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"^\s*until\s+", "", value, flags=re.IGNORECASE).strip()
        return value

    @field_validator("send_at", mode="before")
    @classmethod
    def _send_at_has_time(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            raise ValueError(f"give a time as well as the date, like '{value.isoformat()} 11:00'")
        if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", value):
            raise ValueError(f"give a time as well as the date, like '{value.strip()} 11:00'")
        return value


class Digest(BaseModel):
    """The administrators' digest: when it goes out and to whom (empty: the zone admins)."""

    model_config = _MODEL_CONFIG

    cron: Annotated[str, AfterValidator(_cron)] = "0 9 * * mon-sat"
    to: tuple[Email, ...] = ()


class Campaign(BaseModel):
    """One drive: its report format, deadline, reminders, upstream report and digest."""

    model_config = _MODEL_CONFIG

    id: Slug
    title: Text
    format: Text
    keywords: tuple[Text, ...] = ()
    unit_deadline: date
    start: date | None = None  # when the drive began (default: 60 days before the deadline)
    units: tuple[Slug, ...] = ()
    reminders: Reminders = Field(default_factory=Reminders)
    upstream: Upstream
    digest: Digest = Field(default_factory=Digest)

    @property
    def opens(self) -> date:
        """The first day mail for this drive can arrive."""
        return self.start or self.unit_deadline - timedelta(days=60)


class Limits(BaseModel):
    """How much one attachment may ask of the service before it is refused as too large.

    They guard against zip bombs and runaway files; a genuine report is far below them.
    """

    model_config = _MODEL_CONFIG

    max_attachment_mb: float = Field(default=25, gt=0)
    max_uncompressed_mb: float = Field(default=128, gt=0)
    max_cells: int = Field(default=2_000_000, ge=1000)
    max_files_in_archive: int = Field(default=50, ge=1)

    def read_limits(self) -> ReadLimits:
        mib = 1024 * 1024
        return ReadLimits(
            max_attachment_bytes=int(self.max_attachment_mb * mib),
            max_uncompressed_bytes=int(self.max_uncompressed_mb * mib),
            max_cells=self.max_cells,
            max_files_in_archive=self.max_files_in_archive,
        )


class HttpListener(BaseModel):
    """The optional HTTP listener serving /healthz and /metrics (Prometheus)."""

    model_config = _MODEL_CONFIG

    enabled: bool = False
    address: Text = "127.0.0.1"  # loopback: put a reverse proxy in front to expose it
    port: int = Field(default=9464, ge=1, le=65535)


class Service(BaseModel):
    """How the long-running service behaves."""

    model_config = _MODEL_CONFIG

    poll_interval: int = Field(default=300, ge=10)
    # `health` fails when the mailbox has not been read for this many poll intervals.
    health_poll_intervals: int = Field(default=3, ge=1)
    # Worker processes that read the replies when a poll finds many (None: one per core;
    # 1: every reply is read in the service's own process).
    readers: int | None = Field(default=None, ge=1, le=64)
    http: HttpListener = Field(default_factory=HttpListener)


class Config(BaseModel):
    """The whole configuration of one anupalan instance, as read by `load_config`.

    Relative paths are resolved against the directory of `source` by
    `load_config`; a `Config` built directly keeps its paths as given.
    """

    model_config = _MODEL_CONFIG

    zone: Zone
    mailbox: Mailbox
    outgoing: Outgoing
    storage: Storage
    units: tuple[Unit, ...] = Field(min_length=1)
    campaigns: tuple[Campaign, ...] = Field(min_length=1)
    formats: dict[str, FormatDef] = Field(default_factory=dict)
    service: Service = Field(default_factory=Service)
    limits: Limits = Field(default_factory=Limits)
    source: Path

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        problems = _consistency_problems(self.model_dump(by_alias=True, exclude={"source"}))
        if problems:
            details = "; ".join(f"{_format_path(loc)}: {message}" for loc, message in problems)
            raise PydanticCustomError(_INCONSISTENT, "{details}", {"details": details})
        return self

    def unit(self, unit_id: str) -> Unit:
        """The unit with this id; KeyError if there is none."""
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise KeyError(unit_id)

    def campaign(self, campaign_id: str | None = None) -> Campaign:
        """The campaign with this id, or the first one listed when no id is given."""
        if campaign_id is None:
            return self.campaigns[0]
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        known = ", ".join(c.id for c in self.campaigns)
        raise UsageError(f"unknown campaign '{campaign_id}' (known campaigns: {known})")

    def report_format(self, name: str) -> ReportFormat:
        """The format called `name`: a `formats:` entry of this file first, else a built-in one."""
        if name in self.formats:
            return self.formats[name].to_format(name)
        builtin = builtin_formats()
        if name in builtin:
            return builtin[name]
        raise KeyError(name)

    def campaign_units(self, campaign: Campaign) -> tuple[Unit, ...]:
        """The units a campaign collects from: those it lists, in its order, or else all units."""
        if campaign.units:
            return tuple(self.unit(unit_id) for unit_id in campaign.units)
        return self.units

    def secret_values(self) -> set[str]:
        """Every secret the configuration holds (passwords, client secrets), to keep out of logs."""
        found: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, SecretStr):
                found.add(value.get_secret_value())
            elif isinstance(value, BaseModel):
                for name in type(value).model_fields:
                    walk(getattr(value, name))
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list | tuple | set | frozenset):
                for item in value:
                    walk(item)

        walk(self)
        found.discard("")
        return found


# --------------------------------------------------------------------------- loading


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, check and return the configuration in `path`.

    `env` supplies `${NAME}` values (default: the process environment).
    Raises ConfigError listing every problem found, each with its key path and line.
    """
    environment: Mapping[str, str] = os.environ if env is None else env
    source = Path(os.path.abspath(path))
    file = str(path)

    def fail(message: str, line: int | None = None) -> ConfigError:
        return ConfigError(file=file, issues=[ConfigIssue(path="", line=line, message=message)])

    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail("the configuration file does not exist (give its path with --config)") from None
    except IsADirectoryError:
        raise fail("this is a directory, not a configuration file") from None
    except PermissionError:
        raise fail("the configuration file cannot be read: permission denied") from None
    except UnicodeDecodeError:
        raise fail("the configuration file is not UTF-8 text") from None
    except OSError as exc:
        raise fail(f"the configuration file cannot be read: {exc.strerror or exc}") from None

    try:
        document = _parse(text)
    except yaml.MarkedYAMLError as exc:
        raise fail(*_yaml_problem(exc)) from None
    except yaml.YAMLError as exc:
        raise fail(f"the file is not valid YAML: {exc}") from None

    if document.data is None:
        raise fail("the configuration file is empty", 1)
    if not isinstance(document.data, dict):
        raise fail(
            "the top level must be keys and values (zone:, mailbox:, outgoing:, storage:, "
            f"units:, campaigns:), not {_describe(document.data)}",
            document.lines.get((), 1),
        )

    lines = document.lines
    found: list[tuple[Loc, str]] = list(document.issues)
    secrets = _Secrets(source.parent, environment, lines)
    data: dict[str, Any] = secrets.resolve(document.data)
    found.extend(secrets.issues)

    if "source" in data:
        del data["source"]
        found.append((("source",), _unknown_key_message("source", _known_keys(Config))))
    consistency = _consistency_problems(data)
    found.extend(consistency)

    config: Config | None = None
    reported = secrets.skip | document.unreadable
    try:
        config = Config.model_validate({**data, "source": source})
    except ValidationError as exc:
        errors = exc.errors()
        locs = [_strip_tags(tuple(error["loc"])) for error in errors]
        deeper = {loc[:end] for loc in locs for end in range(len(loc))}
        for error in errors:
            if error["type"] == _INCONSISTENT and consistency:
                continue
            if error["type"] == "too_short" and _strip_tags(tuple(error["loc"])) in deeper:
                continue  # an entry of this list is itself wrong; that error says enough
            loc, message = _explain(error, secrets)
            if not any(loc[: len(skip)] == skip for skip in reported):
                found.append((loc, message))

    if found or config is None:
        raise ConfigError(file=file, issues=_issues(found, lines, secrets))
    return _resolve_paths(config, source.parent)


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolved(path: Path) -> Path:
        path = path.expanduser()
        return path if path.is_absolute() else base / path

    def resolve(model: BaseModel, *names: str) -> Any:
        values = {n: getattr(model, n, None) for n in names}
        return model.model_copy(update={n: resolved(v) for n, v in values.items() if v is not None})

    return config.model_copy(
        update={
            "mailbox": resolve(config.mailbox, "path", "tls_ca", "oauth2_token_path"),
            "outgoing": resolve(
                config.outgoing, "path", "templates", "tls_ca", "oauth2_token_path"
            ),
            "storage": config.storage.model_copy(
                update={
                    "database": resolved(config.storage.database),
                    "archive": resolved(config.storage.archive),
                }
            ),
        }
    )


def _issues(
    found: Iterable[tuple[Loc, str]], lines: Mapping[Loc, int], secrets: _Secrets
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for loc, message in found:
        issue = ConfigIssue(
            path=_format_path(loc, secrets.renamed),
            line=_line_of(loc, lines),
            message=secrets.scrub(message),
        )
        if issue not in issues:
            issues.append(issue)
    return sorted(issues, key=lambda issue: issue.line if issue.line is not None else 1 << 30)


def _line_of(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _format_path(loc: Loc, renamed: Mapping[Loc, str] | None = None) -> str:
    text = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        if renamed is not None:
            part = renamed.get(loc[: index + 1], part)
        text += f".{part}" if text else part
    return text


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """A SafeLoader that reports impossible dates at their line instead of crashing."""


def _construct_timestamp(loader: yaml.SafeLoader, node: ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise ConstructorError(
            None, None, f"'{node.value}' is not a valid date or time ({exc})", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAX_NODES = 200_000


class _Document:
    """The plain data of a YAML file, the line of every key, and structural problems."""

    def __init__(
        self,
        data: Any,
        lines: dict[Loc, int],
        issues: list[tuple[Loc, str]],
        unreadable: set[Loc],
    ) -> None:
        self.data = data
        self.lines = lines
        self.issues = issues
        self.unreadable = unreadable  # values already reported as impossible to read


def _parse(text: str) -> _Document:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return _Document(None, {(): 1}, [], set())
        builder = _Builder(loader)
        builder.lines[()] = node.start_mark.line + 1
        data = builder.build(node, ())
        return _Document(data, builder.lines, builder.issues, builder.unreadable)
    finally:
        loader.dispose()


class _Builder:
    """Turns composed YAML nodes into plain data, noting where each key is written.

    Keys are kept as the text written (so `on:` stays "on", not True), and a key
    given twice in one mapping is a problem rather than silently overwritten.
    """

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.lines: dict[Loc, int] = {}
        self.issues: list[tuple[Loc, str]] = []
        self.unreadable: set[Loc] = set()
        self._active: set[int] = set()
        self._count = 0

    def build(self, node: Node, loc: Loc) -> Any:
        self._count += 1
        if self._count > _MAX_NODES:
            raise ConstructorError(
                None, None, "the file expands to too many values (aliases?)", node.start_mark
            )
        if isinstance(node, ScalarNode):
            try:
                return self.loader.construct_object(node, deep=True)
            except ConstructorError as exc:
                problem = exc.problem or "this value cannot be read"
                if "could not determine a constructor" in problem:
                    problem = f"the YAML tag '{node.tag}' is not supported here"
                self.issues.append((loc, problem))
                self.unreadable.add(loc)
                return None
        if id(node) in self._active:
            self.issues.append((loc, "this value refers to itself through an alias"))
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, loc)
            if isinstance(node, SequenceNode):
                return self._sequence(node, loc)
            return None
        finally:
            self._active.discard(id(node))

    def _sequence(self, node: SequenceNode, loc: Loc) -> list[Any]:
        if node.tag != _SEQ_TAG:
            self.issues.append((loc, f"the YAML tag '{node.tag}' is not supported here"))
        items: list[Any] = []
        for index, item in enumerate(node.value):
            self.lines[(*loc, index)] = item.start_mark.line + 1
            items.append(self.build(item, (*loc, index)))
        return items

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        if node.tag != _MAP_TAG:
            self.issues.append((loc, f"the YAML tag '{node.tag}' is not supported here"))
        explicit = {id(key) for key, _ in node.value}
        self.loader.flatten_mapping(node)  # applies `<<: *anchor` merges
        mapping: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.issues.append((loc, f"the key on line {line} must be plain text"))
                continue
            key = str(key_node.value)
            if key in first_line and id(key_node) in explicit:
                self.issues.append(
                    (
                        (*loc, key),
                        f"key '{key}' is given twice (lines {first_line[key]} and {line}); "
                        "keep only one",
                    )
                )
            if id(key_node) in explicit:
                first_line.setdefault(key, line)
            self.lines[(*loc, key)] = line
            mapping[key] = self.build(value_node, (*loc, key))
        return mapping


def _yaml_problem(exc: yaml.MarkedYAMLError) -> tuple[str, int | None]:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "the file is not valid YAML"
    if "\\t" in problem or "\t" in problem:
        problem += " (indent with spaces, not tabs)"
    if mark is None:
        return f"YAML syntax error: {problem}", None
    return f"YAML syntax error: {problem} (column {mark.column + 1})", mark.line + 1


# --------------------------------------------------------------------------- secrets

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{")


class _Secrets:
    """Replaces `${NAME}` and `X_file` values, remembering which values are secret."""

    def __init__(self, base: Path, env: Mapping[str, str], lines: dict[Loc, int]) -> None:
        self.base = base
        self.env = env
        self.lines = lines
        self.issues: list[tuple[Loc, str]] = []
        self.skip: set[Loc] = set()  # keys already reported; later errors there are noise
        self.hidden: dict[Loc, str] = {}  # key -> where its secret value came from
        self.values: set[str] = set()
        self.renamed: dict[Loc, str] = {}  # X -> "X_file", to show the key as written

    def resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        return self._mapping(data, ())

    def scrub(self, message: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            for variant in {value, value.strip(), value.strip().lower()}:
                if len(variant) >= 3:
                    message = message.replace(variant, "(secret value not shown)")
        return message

    def _walk(self, value: Any, loc: Loc) -> Any:
        if isinstance(value, dict):
            return self._mapping(value, loc)
        if isinstance(value, list):
            return [self._walk(item, (*loc, index)) for index, item in enumerate(value)]
        if isinstance(value, str):
            return self._string(value, loc)
        return value

    def _problem(self, loc: Loc, message: str) -> None:
        self.issues.append((loc, message))
        self.skip.add(loc)

    def _string(self, text: str, loc: Loc) -> str:
        if "$" not in text:
            return text
        names: list[str] = []
        missing: list[str] = []
        malformed = False

        def replace(match: re.Match[str]) -> str:
            nonlocal malformed
            if match.group(0) == "$${":
                return "${"
            name = match.group(1)
            if name is None:
                malformed = True
                return match.group(0)
            names.append(name)
            if name not in self.env:
                missing.append(name)
                return match.group(0)
            return self.env[name]

        result = _REFERENCE.sub(replace, text)
        if malformed:
            self._problem(
                loc,
                "'${' must be followed by a variable name and '}', as in ${IMAP_PASSWORD} "
                "(write '$${' for a literal '${')",
            )
        for name in dict.fromkeys(missing):
            self._problem(loc, f"environment variable {name} is not set")
        if names:
            self.hidden[loc] = "environment variable " + ", ".join(dict.fromkeys(names))
            self.values.add(result)
        return result

    def _mapping(self, mapping: dict[str, Any], loc: Loc) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for key, raw in mapping.items():
            value = self._walk(raw, (*loc, key))
            target = key.removesuffix("_file")
            if target == key or not target:
                resolved[key] = value
                continue
            file_loc, target_loc = (*loc, key), (*loc, target)
            if target in mapping:
                self._problem(file_loc, f"give either '{target}' or '{key}', not both")
                continue
            if file_loc in self.lines:
                self.lines[target_loc] = self.lines[file_loc]
            self.renamed[target_loc] = key
            content = self._read(value, file_loc)
            if content is None:
                self.skip.add(target_loc)
                continue
            resolved[target] = content
            self.hidden[target_loc] = f"file named by '{key}'"
            self.values.add(content)
        return resolved

    def _read(self, value: Any, loc: Loc) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self._problem(loc, f"expected the path of a file, got {_describe(value)}")
            return None
        path = Path(value.strip()).expanduser()
        if not path.is_absolute():
            path = self.base / path
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError:
            reason = "no such file"
        except IsADirectoryError:
            reason = "it is a directory"
        except PermissionError:
            reason = "permission denied"
        except UnicodeDecodeError:
            reason = "it is not UTF-8 text"
        except OSError as exc:
            reason = exc.strerror or str(exc)
        self._problem(loc, f"cannot read the file '{path}': {reason}")
        return None


# --------------------------------------------------------------------------- checks


def _consistency_problems(data: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Problems between keys: repeated ids and addresses, names that refer to nothing.

    Works on plain data, so it runs even when other parts of the file are invalid;
    values of the wrong shape are skipped (they are reported elsewhere).
    """
    problems: list[tuple[Loc, str]] = []
    units = _items(data.get("units"))
    campaigns = _items(data.get("campaigns"))

    unit_ids: dict[str, int] = {}
    owner: dict[str, int] = {}
    for index, unit in units:
        unit_id = unit.get("id")
        if isinstance(unit_id, str):
            if unit_id in unit_ids:
                problems.append(
                    (
                        ("units", index, "id"),
                        f"unit id '{unit_id}' is already used by units[{unit_ids[unit_id]}]",
                    )
                )
            else:
                unit_ids[unit_id] = index
        emails = unit.get("emails")
        for position, email in enumerate(emails if isinstance(emails, list | tuple) else ()):
            if not isinstance(email, str):
                continue
            address = email.strip().lower()
            first = owner.setdefault(address, index)
            if first != index:
                other = units[first][1].get("id", f"units[{first}]")
                problems.append(
                    (
                        ("units", index, "emails", position),
                        f"address '{address}' is also listed by unit '{other}' "
                        f"(units[{first}]); an address may belong to one unit only",
                    )
                )

    formats = data.get("formats")
    known_formats = sorted(
        {*builtin_formats(), *(formats if isinstance(formats, dict) else {})}, key=str
    )
    campaign_ids: dict[str, int] = {}
    for index, campaign in campaigns:
        campaign_id = campaign.get("id")
        if isinstance(campaign_id, str):
            if campaign_id in campaign_ids:
                problems.append(
                    (
                        ("campaigns", index, "id"),
                        f"campaign id '{campaign_id}' is already used by "
                        f"campaigns[{campaign_ids[campaign_id]}]",
                    )
                )
            else:
                campaign_ids[campaign_id] = index
        upstream = campaign.get("upstream")
        named: tuple[tuple[Loc, Any], ...] = (
            (("campaigns", index, "format"), campaign.get("format")),
            (
                ("campaigns", index, "upstream", "format"),
                upstream.get("format") if isinstance(upstream, dict) else None,
            ),
        )
        for loc, name in named:
            if isinstance(name, str) and name.strip() not in known_formats:
                problems.append(
                    (
                        loc,
                        f"unknown format '{name}' (known formats: {', '.join(known_formats)}; "
                        "define others under 'formats:')",
                    )
                )
        listed = campaign.get("units")
        seen: set[str] = set()
        for position, unit_id in enumerate(listed if isinstance(listed, list | tuple) else ()):
            if not isinstance(unit_id, str):
                continue
            unit_loc: Loc = ("campaigns", index, "units", position)
            if unit_id in seen:
                problems.append((unit_loc, f"unit '{unit_id}' is listed twice"))
            elif unit_id not in unit_ids and units:
                problems.append(
                    (unit_loc, f"unknown unit '{unit_id}' (known units: {', '.join(unit_ids)})")
                )
            seen.add(unit_id)
    return problems


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list | tuple):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


# --------------------------------------------------------------------------- messages

_TAGGED: dict[Loc, tuple[str, ...]] = {
    ("mailbox",): ("maildir", "imap", "exchange"),
    ("outgoing",): ("directory", "smtp", "exchange"),
}

_EXPECTED = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "date_type": "expected a date like 2023-04-30",
    "date_parsing": "expected a date like 2023-04-30",
    "date_from_datetime_parsing": "expected a date like 2023-04-30",
    "date_from_datetime_inexact": "expected a date without a time, like 2023-04-30",
    "datetime_type": "expected a date and time like 2023-05-04 11:00",
    "datetime_parsing": "expected a date and time like 2023-05-04 11:00",
    "datetime_from_date_parsing": "expected a date and time like 2023-05-04 11:00",
    "datetime_object_invalid": "expected a date and time like 2023-05-04 11:00",
    "time_type": "expected a time of day like 10:00",
    "time_parsing": "expected a time of day like 10:00",
    "tuple_type": "expected a list, like [a, b]",
    "list_type": "expected a list, like [a, b]",
    "iterable_type": "expected a list, like [a, b]",
    "model_type": "expected keys and values (key: value lines)",
    "model_attributes_type": "expected keys and values (key: value lines)",
    "dict_type": "expected keys and values (key: value lines)",
    "path_type": "expected a file or directory path",
    "timezone_naive": "write the time without a UTC offset, like 2023-05-04 11:00 (it is read "
    "in zone.timezone)",
}


def _explain(error: ErrorDetails, secrets: _Secrets) -> tuple[Loc, str]:
    """The key path and a plain-words message for one pydantic error."""
    loc = _strip_tags(tuple(error["loc"]))
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    hidden = loc in secrets.hidden
    got = f"a value from the {secrets.hidden[loc]} (not shown)" if hidden else _describe(value)
    last = loc[-1] if loc else ""

    if kind == "missing":
        return loc, f"missing required key '{last}'"
    if kind == "extra_forbidden":
        message = _unknown_key_message(str(last), _known_keys(_model_at(loc[:-1])))
        if loc in secrets.renamed:
            message += f"; it was given as '{secrets.renamed[loc]}'"
        return loc, message
    if kind in _EXPECTED:
        message = f"{_EXPECTED[kind]}, got {got}"
        if kind == "string_type" and isinstance(value, bool) and not hidden:
            message += " (put the value in quotes)"
        return loc, message
    if kind in ("too_short", "string_too_short"):
        if isinstance(value, str) or kind == "string_too_short":
            return loc, "must not be empty"
        need = int(ctx.get("min_length", 1))
        return loc, f"needs at least {need} {'entry' if need == 1 else 'entries'}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        limit = next(iter(ctx.values()), "?")
        return loc, f"must be {words} {limit}, got {got}"
    if kind == "string_pattern_mismatch":
        return loc, (
            f"{got} is not a valid id: use lower-case letters, digits and hyphens, "
            "starting with a letter or digit (like chennai-north)"
        )
    if kind == "literal_error":
        return loc, _backend_message(str(ctx.get("expected", "")), got)
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "'backend'")).strip("'\"")
        expected = str(ctx.get("expected_tags", ""))
        return (*loc, key), _backend_message(expected, got)
    if kind == "union_tag_not_found":
        key = str(ctx.get("discriminator", "'backend'")).strip("'\"")
        if not isinstance(value, dict):
            return loc, f"{_EXPECTED['model_type']}, got {got}"
        options = ", ".join(_TAGGED.get(loc, ()))
        return (*loc, key), f"missing required key '{key}' (one of: {options})"
    if kind in ("value_error", "assertion_error"):
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return loc, message
    return loc, error["msg"]


def _backend_message(expected: str, got: str) -> str:
    return f"must be one of {expected}, got {got}"


def _strip_tags(loc: Loc) -> Loc:
    """Drop the union-member names pydantic puts in paths (mailbox.maildir.path)."""
    for prefix, tags in _TAGGED.items():
        size = len(prefix)
        if loc[:size] == prefix and len(loc) > size and loc[size] in tags:
            return (*prefix, *loc[size + 1 :])
    return loc


def _unknown_key_message(key: str, known: list[str]) -> str:
    if not known:
        return f"unknown key '{key}'"
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key '{key}' ({hint}known keys: {', '.join(known)})"


def _known_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    keys = [
        field.alias or name
        for name, field in model.model_fields.items()
        if not (model is Config and name == "source")
    ]
    return keys


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, if one does."""
    annotation: Any = Config
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = next(
                (f for name, f in annotation.model_fields.items() if part in (name, f.alias)),
                None,
            )
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (tuple, list) and isinstance(part, int):
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (the key has no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"'{shown}'"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, dict):
        return "keys and values"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__
